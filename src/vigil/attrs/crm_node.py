"""crm_node: this node's name and id, the members of its partition, the nodes the cluster knows,
and quorum, as Pacemaker 2.1.5's prints them:

- `-n/--name`: the node's name; `-i/--cluster-id`: its id; `-N/--name-for-id ID`: that node's
  name (105 if none);
- `-p/--partition`: the names of the partition's members on one line, by id;
- `-l/--list`: `ID NAME member|lost` per known node, by id;
- `-q/--quorum`: 1 with quorum (exit 0), else 0 (exit 106, CRM_EX_QUORUM);
- no command: the usage, exit 64. `-R/--remove` is not provided (exit 3).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from vigil.attrs.common import Arg, Exit, Opt, ToolError, answer, main, parse
from vigil.daemon import control as c

PROG = "crm_node"
VERSION = "Pacemaker 2.1.5 (vigil)"

OPTS = (
    Opt("cluster-id", "i", ("cluster-id",)),
    Opt("list", "l", ("list",)),
    Opt("name", "n", ("name",)),
    Opt("partition", "p", ("partition",)),
    Opt("quorum", "q", ("quorum",)),
    Opt("name-for-id", "N", ("name-for-id",), Arg.REQUIRED),
    Opt("remove", "R", ("remove",), Arg.REQUIRED),
    Opt("force", "f", ("force",)),
    Opt("quiet", "Q", ("quiet",)),
    Opt("verbose", "V", ("verbose",)),
    Opt("version", "$", ("version",)),
    Opt("help", "h", ("help", "help-all", "help-commands", "help-additional", "help-output")),
    Opt("output", None, ("output-as",), Arg.REQUIRED),
)

USAGE = """Usage:
  crm_node [OPTION?]

crm_node - Tool for displaying low-level node information (vigil's, for resource agents)

Commands:
  -i, --cluster-id         Display this node's cluster id
  -l, --list               Display all known members (past and present) of this cluster
  -n, --name               Display the name used by the cluster for this node
  -p, --partition          Display the members of this partition
  -q, --quorum             Display a 1 if our partition has quorum, 0 if not
  -N, --name-for-id=ID     Display the name used by the cluster for the node with the specified ID
"""

_COMMANDS = ("cluster-id", "list", "name", "partition", "quorum", "name-for-id", "remove")


def run(argv: Sequence[str]) -> int:
    found, words = parse(PROG, argv, OPTS)
    if words:
        raise ToolError(f"{PROG}: unexpected argument '{words[0]}'", Exit.USAGE)
    command: tuple[str, str | None] | None = None
    keys = {k for k, _ in found}
    for key, value in found:
        if key in _COMMANDS:
            command = (key, value)
    if "help" in keys:
        print(USAGE)
        return int(Exit.OK)
    if "version" in keys:
        print(VERSION)
        return int(Exit.OK)
    if dict(found).get("output", "text") != "text":
        raise ToolError(f"{PROG}: --output-as is not provided by vigil's {PROG} (use text)",
                        Exit.USAGE)
    if command is None:
        print(USAGE)
        return int(Exit.USAGE)
    kind, value = command
    if kind == "remove":
        raise ToolError(f"{PROG}: removing a node is done with 'vigil cluster node remove', not "
                        f"{PROG} -R", Exit.UNIMPLEMENT_FEATURE)
    nodes = answer(PROG, c.GetNodeList())
    if kind == "name":
        print(nodes.node)
    elif kind == "cluster-id":
        print(nodes.node_id)
    elif kind == "partition":
        print(" ".join(n.name for n in nodes.nodes if n.member))
    elif kind == "list":
        for n in nodes.nodes:
            print(f"{n.node_id} {n.name} {'member' if n.member else 'lost'}")
    elif kind == "quorum":
        print(1 if nodes.quorate else 0)
        return int(Exit.OK if nodes.quorate else Exit.QUORUM)
    elif kind == "name-for-id":
        match = [n.name for n in nodes.nodes if str(n.node_id) == (value or "").strip()]
        if not match:
            raise ToolError(f"{PROG}: Could not find node name for node id {value}",
                            Exit.NOSUCH)
        print(match[0])
    return int(Exit.OK)


if __name__ == "__main__":
    sys.exit(main(PROG, run))
