"""attrd_updater: node attributes through attrd, as Pacemaker 2.1.5's.

- `-U/--update VALUE` (also the deprecated `-v`): set (VALUE may be `name++`, `name+=N`);
  `-B/--update-both VALUE -d DELAY`: set and change the dampening; `-Y/--update-delay -d
  DELAY`: change the dampening only; `-D/--delete`: delete; `-R/--refresh`: nothing to do here
  (vigild's CIB is always written).
- `-Q/--query`: `name="N" host="H" value="V"` per node (this node, `--node`, or `-A` every
  node), from attrd's memory: a dampened change not yet written, a private attribute, else
  the status section. None: "attribute does not exist", exit 105.
- `-p/--private`: never written to the CIB. `-l/--lifetime` is accepted and ignored, as
  Pacemaker ignores it. `-d` takes seconds or a duration (`5s`, `500ms`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

from vigil.attrs.common import Arg, Exit, Opt, ToolError, answer, main, parse
from vigil.daemon import control as c
from vigil.model.durations import parse_interval_ms

PROG = "attrd_updater"
VERSION = "Pacemaker 2.1.5 (vigil)"

OPTS = (
    Opt("name", "n", ("name",), Arg.REQUIRED),
    Opt("pattern", "P", ("pattern",), Arg.REQUIRED),
    Opt("update", "U", ("update",), Arg.REQUIRED),
    Opt("update", "v", (), Arg.REQUIRED),  # deprecated spelling of -U
    Opt("update-both", "B", ("update-both",), Arg.REQUIRED),
    Opt("update-delay", "Y", ("update-delay",)),
    Opt("query", "Q", ("query",)),
    Opt("delete", "D", ("delete",)),
    Opt("refresh", "R", ("refresh",)),
    Opt("delay", "d", ("delay",), Arg.REQUIRED),
    Opt("set", "s", ("set",), Arg.REQUIRED),
    Opt("node", "N", ("node",), Arg.REQUIRED),
    Opt("all", "A", ("all",)),
    Opt("lifetime", "l", ("lifetime",), Arg.REQUIRED),
    Opt("private", "p", ("private",)),
    Opt("quiet", "q", ("quiet",)),
    Opt("verbose", "V", ("verbose",)),
    Opt("version", "$", ("version",)),
    Opt("help", "h", ("help", "help-all", "help-output", "help-required", "help-command",
                      "help-additional")),
    Opt("output", None, ("output-as",), Arg.REQUIRED),
)

USAGE = """Usage:
  attrd_updater [OPTION?]

query and update Pacemaker node attributes (vigil's, for resource agents)

  -n, --name=NAME         the attribute's name
  -U, --update=VALUE      set the value
  -B, --update-both=VALUE set the value and the dampening (-d)
  -Y, --update-delay      set the dampening (-d)
  -Q, --query             print the value
  -D, --delete            delete it
  -d, --delay=SECONDS     dampening
  -N, --node=NODE         of NODE (default: this node)
  -A, --all               of every node (query)
  -p, --private           never written to the CIB
"""

_COMMANDS = ("update", "update-both", "update-delay", "query", "delete", "refresh")


def run(argv: Sequence[str]) -> int:
    found, words = parse(PROG, argv, OPTS)
    if words:
        raise ToolError(f"{PROG}: unexpected argument '{words[0]}'", Exit.USAGE)
    o: dict[str, str | None] = {}
    command: str | None = None
    for key, given in found:
        if key in _COMMANDS:
            command = key
        o[key] = given
    if "help" in o:
        print(USAGE)
        return int(Exit.OK)
    if "version" in o:
        print(VERSION)
        return int(Exit.OK)
    if o.get("output", "text") != "text":
        raise ToolError(f"{PROG}: --output-as={o['output']} is not provided by vigil's {PROG} "
                        "(use text)", Exit.USAGE)
    name, pattern = o.get("name"), o.get("pattern")
    if command is None:
        raise ToolError(f"{PROG}: Please specify a command (-U, -B, -Y, -Q, -D or -R)",
                        Exit.USAGE)
    if command == "refresh":
        return int(Exit.OK)
    if not name and not (pattern and command != "query"):
        raise ToolError(f"{PROG}: Command requires --name argument", Exit.USAGE)
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ToolError(f"{PROG}: invalid --pattern '{pattern}': {exc}", Exit.USAGE) from None
    delay_ms = None
    if "delay" in o:
        delay_ms = parse_interval_ms(o["delay"])
        if delay_ms is None or delay_ms < 0:
            raise ToolError(f"{PROG}: invalid --delay '{o['delay']}' (seconds, or a duration "
                            "such as 5s or 500ms)", Exit.USAGE)
    if command in ("update-both", "update-delay") and delay_ms is None:
        raise ToolError(f"{PROG}: '{'B' if command == 'update-both' else 'Y'}' command given "
                        "without required --delay", Exit.USAGE)
    node = o.get("node")
    if command == "query":
        assert name is not None
        return _query(name, node, "all" in o)
    names = [name] if name else _matching(pattern or "", node)
    for each in names:
        if command == "delete":
            value: str | None = None
        elif command == "update-delay":
            value = _current(each, node)
        else:
            value = o.get(command)
        answer(PROG, c.UpdateAttribute(c.AttributeScope.ATTRD, each, value, node,
                                       private="private" in o, delay_ms=delay_ms))
    return int(Exit.OK)


def _values(name: str | None, node: str | None, all_nodes: bool) -> tuple[c.AttributeValue, ...]:
    return answer(PROG, c.QueryAttribute(c.AttributeScope.ATTRD, name, node, all_nodes)).values


def _current(name: str, node: str | None) -> str | None:
    found = _values(name, node, False)
    return found[0].value if found else None


def _matching(pattern: str, node: str | None) -> list[str]:
    return sorted({v.name for v in _values(None, node, False) if re.search(pattern, v.name)})


def _query(name: str, node: str | None, all_nodes: bool) -> int:
    found = _values(name, node, all_nodes)
    if not found:
        raise ToolError(f"{PROG}: Could not query value of {name}: attribute does not exist",
                        Exit.NOSUCH)
    for v in found:
        print(f'name="{v.name}" host="{v.node}" value="{v.value}"')
    return int(Exit.OK)


if __name__ == "__main__":
    sys.exit(main(PROG, run))
