"""A node added to or removed from a cluster's configuration in use (`vigil cluster node add|
remove`): corosync.conf's nodelist edited in its tree (everything else kept as it is), its
quorum section's `two_node` following the node count, and cluster.json's node list. Pure.

A new node gets the lowest free node id above every existing one (ids are never reused while
the cluster runs: Corosync keys its state by them), one address per knet link the cluster
has, none already in use. Corosync rereads the file on `corosync-cfgtool -R` run on one member:
the nodelist, the expected votes and two_node follow (votequorum recomputes them on reload).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from vigil.clusterconf.conf_tree import Option, Section, put_section, set_options
from vigil.clusterconf.corosync_conf import ClusterNode, node_problems
from vigil.model import reports
from vigil.model.reports import Report


def nodes_of(root: Section) -> tuple[ClusterNode, ...]:
    """The nodelist's nodes (name, nodeid, ring addresses in link order)."""
    nodelist = root.section("nodelist")
    out = []
    for node in nodelist.sections("node") if nodelist is not None else ():
        addrs = []
        k = 0
        while node.get(f"ring{k}_addr") is not None:
            addrs.append(node.get(f"ring{k}_addr") or "")
            k += 1
        nodeid = node.get("nodeid") or "0"
        out.append(ClusterNode(nodeid=int(nodeid) if nodeid.isdigit() else 0,
                               name=node.get("name") or (addrs[0] if addrs else ""),
                               addrs=tuple(addrs)))
    return tuple(out)


def _with_two_node_rule(root: Section) -> Section:
    """`two_node: 1` exactly when two nodes and no quorum device nor auto_tie_breaker (what
    `cluster setup` writes, and what votequorum needs for a pair to survive one's loss)."""
    quorum = root.section("quorum") or Section("quorum", (Option("provider",
                                                                 "corosync_votequorum"),))
    two = (len(nodes_of(root)) == 2 and quorum.section("device") is None
           and quorum.get("auto_tie_breaker") not in ("1", "on", "yes"))
    return put_section(root, set_options(quorum, [("two_node", "1" if two else None)]),
                       name="quorum")


def add_problems(root: Section, name: str, addrs: Sequence[str]) -> list[Report]:
    """Why `name` at `addrs` cannot join this cluster's configuration."""
    found = list(node_problems(name, addrs))
    existing = nodes_of(root)
    if any(n.name == name for n in existing):
        found.append(reports.error("CLUSTER_NODE_EXISTS", node=name))
    links = len(existing[0].addrs) if existing else 1
    if len(addrs) != links and not any(r.code == "COROSYNC_LINK_COUNT_INVALID" for r in found):
        found.append(reports.error("CLUSTER_NODE_LINKS", node=name, given=len(addrs),
                                   links=links))
    used = {a for n in existing for a in n.addrs}
    for addr in addrs:
        if addr in used:
            found.append(reports.error("COROSYNC_ADDRESS_DUPLICATE", node=name, address=addr))
    return found


def with_node(root: Section, name: str, addrs: Sequence[str]) -> tuple[Section, ClusterNode]:
    """The file with `name` appended to its nodelist (check `add_problems` first)."""
    nodeid = max((n.nodeid for n in nodes_of(root)), default=0) + 1
    node = ClusterNode(nodeid=nodeid, name=name, addrs=tuple(addrs))
    opts = [Option("nodeid", str(nodeid)), Option("name", name),
            *(Option(f"ring{k}_addr", a) for k, a in enumerate(addrs))]
    nodelist = root.section("nodelist") or Section("nodelist")
    nodelist = Section(nodelist.name, (*nodelist.body, Section("node", tuple(opts))))
    return _with_two_node_rule(put_section(root, nodelist, name="nodelist")), node


def without_node(root: Section, name: str) -> Section:
    """The file without node `name` in its nodelist."""
    nodelist = root.section("nodelist") or Section("nodelist")
    kept = tuple(e for e in nodelist.body
                 if not (isinstance(e, Section) and e.name == "node"
                         and (e.get("name") or e.get("ring0_addr")) == name))
    return _with_two_node_rule(put_section(root, Section(nodelist.name, kept), name="nodelist"))


def cluster_json_nodes(text: str, nodes: Sequence[ClusterNode]) -> str:
    """cluster.json with its node list replaced (ValueError for a file that is not one)."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("cluster.json is not a JSON object")
    data["nodes"] = [{"name": n.name, "nodeid": n.nodeid, "addrs": list(n.addrs)}
                     for n in sorted(nodes, key=lambda n: n.nodeid)]
    return json.dumps(data, indent=1) + "\n"
