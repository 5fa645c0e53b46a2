"""crm_attribute: query and update node attributes and cluster options, as Pacemaker 2.1.5's.

Where the attribute lives (Pacemaker's rules):
- `--type status` or `--lifetime reboot`: a transient node attribute (through attrd);
- `--type nodes` or `--lifetime forever`: a permanent node attribute (the configuration);
- `--promotion [RSC]`: the node attribute `master-RSC` (RSC: $OCF_RESOURCE_INSTANCE as it is),
  lifetime reboot unless `--lifetime`/`--type` say otherwise, on this node unless `--node`;
- `--utilization`: the node's utilization (the nodes section);
- else with `--node`: permanent; without: a cluster option (`--type crm_config`, the default,
  `rsc_defaults` or `op_defaults`).
Node-scoped requests without `--node` are about this node.

Output: a query prints `scope=S  name=N value=V` per attribute, or only the values with
`--quiet`; nothing found: `--default` if given, else exit 105 (CRM_EX_NOSUCH) with Pacemaker's
"No such device or address" on stderr. An unknown node: "Could not map name=N to a UUID", 105.
An unknown option: one line, exit 64 (CRM_EX_USAGE). Updates and deletes print nothing (a
permanent attribute or option deleted says so unless `--quiet`), nothing when nothing changed.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from vigil.attrs.common import Arg, Exit, Opt, ToolError, answer, main, parse
from vigil.daemon import control as c

PROG = "crm_attribute"
VERSION = "Pacemaker 2.1.5 (vigil)"

OPTS = (
    Opt("name", "n", ("name",), Arg.REQUIRED),
    Opt("pattern", "P", ("pattern",), Arg.REQUIRED),
    Opt("promotion", "p", ("promotion",), Arg.OPTIONAL),
    Opt("set", "s", ("set-name",), Arg.REQUIRED),
    Opt("id", "i", ("id", "attr-id"), Arg.REQUIRED),
    Opt("delete", "D", ("delete", "delete-attr")),
    Opt("query", "G", ("query", "get-value")),
    Opt("update", "v", ("update", "attr-value"), Arg.REQUIRED),
    Opt("default", "d", ("default",), Arg.REQUIRED),
    Opt("lifetime", "l", ("lifetime",), Arg.REQUIRED),
    Opt("node", "N", ("node",), Arg.REQUIRED),
    Opt("node", "U", ("uname",), Arg.REQUIRED),  # deprecated spelling of --node
    Opt("type", "t", ("type",), Arg.REQUIRED),
    Opt("utilization", "z", ("utilization",)),
    Opt("quiet", "q", ("quiet",)),
    Opt("quiet", "Q"),  # deprecated spelling of --quiet (crm_master passes it on)
    Opt("verbose", "V", ("verbose",)),
    Opt("version", "$", ("version",)),
    Opt("help", "h", ("help", "help-all", "help-output", "help-selections", "help-command",
                      "help-additional")),
    Opt("output", None, ("output-as",), Arg.REQUIRED),
    Opt("output-to", None, ("output-to",), Arg.REQUIRED),
    Opt("fancy", None, ("text-fancy",)),
)

USAGE = """Usage:
  crm_attribute [OPTION?]

crm_attribute - query and update Pacemaker cluster options and node attributes
(vigil's, for resource agents: it asks the local vigild)

  -n, --name=NAME        the attribute or option
  -P, --pattern=PATTERN  every attribute matching this pattern
  -p, --promotion[=RSC]  the promotion score of RSC ($OCF_RESOURCE_INSTANCE)
  -s, --set-name=NAME    in the set with this id
  -G, --query            print the value
  -v, --update=VALUE     set the value
  -D, --delete           delete it
  -d, --default=VALUE    print this when there is none
  -l, --lifetime=L       reboot (transient) or forever (permanent)
  -N, --node=NODE        a node attribute of NODE (default: this node)
  -t, --type=SECTION     crm_config, rsc_defaults, op_defaults, nodes or status
  -q, --quiet            print only the value
"""

_TYPES = {"status": c.AttributeScope.STATUS, "nodes": c.AttributeScope.NODES,
          "crm_config": c.AttributeScope.CRM_CONFIG,
          "rsc_defaults": c.AttributeScope.RSC_DEFAULTS,
          "op_defaults": c.AttributeScope.OP_DEFAULTS}
_LIFETIMES = {"reboot": c.AttributeScope.STATUS, "forever": c.AttributeScope.NODES}


@dataclass(frozen=True)
class Request:
    """What one crm_attribute invocation asks, parsed (tests read it)."""

    command: str  # query | update | delete
    scope: c.AttributeScope
    name: str | None
    pattern: str | None
    value: str | None
    node: str | None
    set_id: str | None
    default: str | None
    quiet: bool


def parse_request(argv: Sequence[str], environ: Mapping[str, str]) -> Request | str:
    """The request, or the text to print and leave with 0 (--help, --version)."""
    found, words = parse(PROG, argv, OPTS)
    if words:
        raise ToolError(f"{PROG}: unexpected argument '{words[0]}' (values go after an "
                        "option, e.g. --update VALUE)", Exit.USAGE)
    o: dict[str, str | None] = {}
    command = "query"
    promotion = False
    for key, value in found:
        if key in ("query", "update", "delete"):
            command = key
        if key == "promotion":
            promotion = True
        o[key] = value
    if "help" in o:
        return USAGE
    if "version" in o:
        return VERSION
    if o.get("output", "text") != "text":
        raise ToolError(f"{PROG}: --output-as={o['output']} is not provided by vigil's "
                        f"{PROG} (use text)", Exit.USAGE)
    name = o.get("name")
    if promotion:
        rsc = o.get("promotion") or environ.get("OCF_RESOURCE_INSTANCE")
        if not rsc:
            raise ToolError(f"{PROG}: -p/--promotion must be called from an OCF resource agent "
                            "or with a resource ID specified", Exit.USAGE)
        name = f"master-{rsc}"
    scope = _scope(o.get("type"), o.get("lifetime"), promotion, "node" in o)
    if "utilization" in o:
        scope = c.AttributeScope.UTILIZATION
    node = o.get("node") if scope.of_node else None
    pattern = o.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ToolError(f"{PROG}: invalid --pattern '{pattern}': {exc}", Exit.USAGE) from None
    if command != "query" and name is None and pattern is None:
        what = "update" if command == "update" else "delete"
        raise ToolError(f"{PROG}: Error: must specify attribute name or pattern to {what}",
                        Exit.USAGE)
    if name is not None and not name:
        raise ToolError(f"{PROG}: --name must not be empty", Exit.USAGE)
    return Request(command=command, scope=scope, name=name, pattern=pattern,
                   value=o.get("update") if command == "update" else None, node=node,
                   set_id=o.get("set"), default=o.get("default"), quiet="quiet" in o)


def _scope(kind: str | None, lifetime: str | None, promotion: bool,
           has_node: bool) -> c.AttributeScope:
    if kind is not None:
        if kind == "tickets":
            raise ToolError(f"{PROG}: tickets are not provided by vigil", Exit.UNIMPLEMENT_FEATURE)
        if kind not in _TYPES:
            raise ToolError(f"{PROG}: Error performing operation: unknown --type '{kind}' (use "
                            "crm_config, rsc_defaults, op_defaults, nodes or status)",
                            Exit.PROTOCOL)
        return _TYPES[kind]
    if lifetime is not None:
        if lifetime not in _LIFETIMES:
            raise ToolError(f"{PROG}: Error performing operation: unknown --lifetime "
                            f"'{lifetime}' (use reboot or forever)", Exit.PROTOCOL)
        return _LIFETIMES[lifetime]
    if promotion:
        return c.AttributeScope.STATUS
    return c.AttributeScope.NODES if has_node else c.AttributeScope.CRM_CONFIG


def _label(scope: c.AttributeScope) -> str:
    return "nodes" if scope is c.AttributeScope.UTILIZATION else scope.value


def run(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    req = parse_request(argv, os.environ if environ is None else environ)
    if isinstance(req, str):
        print(req)
        return int(Exit.OK)
    if req.command == "query":
        return _query(req)
    names = [req.name] if req.name is not None else _matching(req)
    for name in names:
        if req.command == "delete" and req.scope is not c.AttributeScope.STATUS:
            existed = _values(req, name)
            _update(req, name, None)
            if existed and not req.quiet:
                kind = "attribute" if req.scope.of_node else "option"
                pair = f"id={existed[0].id} " if existed[0].id else ""
                print(f"Deleted {_label(req.scope)} {kind}: {pair}name={name}")
        else:
            _update(req, name, req.value)
    return int(Exit.OK)


def _values(req: Request, name: str | None) -> tuple[c.AttributeValue, ...]:
    return answer(PROG, c.QueryAttribute(req.scope, name, req.node, False, req.set_id)).values


def _matching(req: Request) -> list[str]:
    assert req.pattern is not None
    return [v.name for v in _values(req, None) if re.search(req.pattern, v.name)]


def _update(req: Request, name: str, value: str | None) -> None:
    answer(PROG, c.UpdateAttribute(req.scope, name, value, req.node, set_id=req.set_id))


def _query(req: Request) -> int:
    found = [v for v in _values(req, req.name)
             if req.pattern is None or re.search(req.pattern, v.name)]
    if not found and req.default is not None and req.name is not None:
        found = [c.AttributeValue(req.name, req.default, req.node, req.scope.value)]
    if not found:
        raise ToolError(f"{PROG}: Error performing operation: No such device or address",
                        Exit.NOSUCH)
    for v in found:
        print(v.value if req.quiet else f"scope={_label(req.scope)}  name={v.name} value={v.value}")
    return int(Exit.OK)


if __name__ == "__main__":
    sys.exit(main(PROG, run))
