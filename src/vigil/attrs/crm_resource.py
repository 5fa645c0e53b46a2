"""crm_resource for resource agents: what they ask of it.

- `--resource RSC [--meta] --get-parameter NAME` (PAF's pgsqlms asks for `notify`): the value
  of the instance attribute NAME of RSC, or with `--meta` of its meta attribute, inherited from
  the group or clone that holds it as Pacemaker's crm_resource reads it (RSC may name a clone
  instance, `rsc:N`). Not set: "Attribute 'NAME' not found for 'RSC'" on stderr, exit 0, as
  Pacemaker's. No such resource: exit 105.
- `--ban --resource RSC --node NODE [-Q]` (the pgsql agent bans itself from a node whose data
  is newer than the new primary's): the `cli-ban-RSC-on-NODE` constraint, as `vigil resource
  ban` writes it.
Any other command: one line, exit 3.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from vigil.attrs.common import Arg, Exit, Opt, ToolError, answer, main, parse, socket_path
from vigil.daemon import control as c
from vigil.model.nvset import first_value

PROG = "crm_resource"

OPTS = (
    Opt("resource", "r", ("resource",), Arg.REQUIRED),
    Opt("meta", "m", ("meta",)),
    Opt("get-parameter", "g", ("get-parameter",), Arg.REQUIRED),
    Opt("ban", "B", ("ban",)),
    Opt("node", "N", ("node",), Arg.REQUIRED),
    Opt("quiet", "Q", ("quiet",)),
    Opt("verbose", "V", ("verbose",)),
    Opt("help", "h", ("help", "help-all")),
    Opt("version", "$", ("version",)),
    Opt("output", None, ("output-as",), Arg.REQUIRED),
    *(Opt("other", ch, (), Arg.NONE) for ch in "LlOocqwWMUCRpdDASFGtz"),
)


def run(argv: Sequence[str]) -> int:
    found, words = parse(PROG, argv, OPTS)
    o = dict(found)
    if "help" in o:
        print("crm_resource - what resource agents ask of it (vigil's)\n"
              "  crm_resource --resource RSC [--meta] --get-parameter NAME\n"
              "  crm_resource --ban --resource RSC --node NODE [-Q]")
        return int(Exit.OK)
    if "version" in o:
        print("Pacemaker 2.1.5 (vigil)")
        return int(Exit.OK)
    if words:
        raise ToolError(f"{PROG}: unexpected argument '{words[0]}'", Exit.USAGE)
    if o.get("output", "text") != "text":
        raise ToolError(f"{PROG}: --output-as is not provided by vigil's {PROG} (use text)",
                        Exit.USAGE)
    rsc = o.get("resource")
    if "other" in o or ("get-parameter" not in o and "ban" not in o):
        raise ToolError(f"{PROG}: only --get-parameter and --ban are provided by vigil's {PROG} "
                        "(manage resources with vigil)", Exit.UNIMPLEMENT_FEATURE)
    if not rsc:
        raise ToolError(f"{PROG}: Must supply a resource id with -r", Exit.USAGE)
    if "ban" in o:
        return _ban(rsc, o.get("node"), "quiet" in o)
    name = o["get-parameter"] or ""
    value, instance = parameter(answer(PROG, c.GetCib()).xml, rsc, name, meta="meta" in o)
    if value is None:
        print(f"Attribute '{name}' not found for '{instance}'", file=sys.stderr)
        return int(Exit.OK)
    print(value)
    return int(Exit.OK)


def parameter(cib_xml: str, rsc: str, name: str, *, meta: bool) -> tuple[str | None, str]:
    """(the value or None, the name Pacemaker's message gives the resource): NOSUCH if the
    configuration has no resource `rsc` (or, for `rsc:N`, no `rsc`)."""
    from vigil.cib.read import parse_cib
    from vigil.model.bundles import Bundle
    from vigil.model.resources import Clone, Group, Resource

    cib, _ = parse_cib(cib_xml)
    base = rsc.split(":", 1)[0]
    chain: list[Resource] = []

    def find(resources: Sequence[Resource], parents: list[Resource]) -> bool:
        for r in resources:
            if r.id == base:
                chain.extend([r, *reversed(parents)])
                return True
            children: Sequence[Resource] = ()
            if isinstance(r, Group):
                children = r.members
            elif isinstance(r, Clone):
                children = (r.child,)
            elif isinstance(r, Bundle) and r.primitive is not None:
                children = (r.primitive,)
            if find(children, [*parents, r]):
                return True
        return False

    if not find(cib.configuration.resources, []):
        raise ToolError(f"{PROG}: Resource '{rsc}' not found\nError performing operation: "
                        "No such object", Exit.NOSUCH)
    in_clone = any(isinstance(r, Clone) for r in chain[1:])
    instance = f"{base}:0" if in_clone and not isinstance(chain[0], Clone) else base
    for r in chain if meta else chain[:1]:
        if meta:
            value = first_value(r.meta_attributes, name)
        elif isinstance(r, Bundle):
            continue  # a bundle has no instance attributes
        else:
            value = first_value(r.instance_attributes, name)
        if value is not None:
            return value, instance
    return None, instance


def _ban(rsc: str, node: str | None, quiet: bool) -> int:
    """crm_resource --ban: as `vigil resource ban` writes it, but, as Pacemaker's crm_resource
    does, also for a clone's primitive (the agent's own OCF_RESOURCE_INSTANCE), which vigil's
    CLI keeps for `--promoted`."""
    from vigil.commands import edit, relocation
    from vigil.commands.env import LiveEnvironment
    from vigil.model.cib import Cib
    from vigil.model.reports import Report, ReportError

    env = LiveEnvironment(socket_path())
    now = env.now()
    base = rsc.split(":", 1)[0]

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        edit.require_resource(cib, base)
        return relocation._ban(cib, base, node, None, now, moving=False)  # noqa: SLF001

    try:
        edit.apply(env, change)
    except ReportError as exc:
        first = exc.reports[0] if exc.reports else None
        detail = ", ".join(f"{k}={v}" for k, v in first.fields) if first else ""
        raise ToolError(f"{PROG}: Error performing operation: "
                        f"{first.code if first else 'failed'} {detail}".rstrip(),
                        Exit.ERROR) from None
    if not quiet:
        where = node or "the node it runs on"
        print(f"WARNING: Creating rsc_location constraint 'cli-ban-{base}-on-{where}' with a "
              f"score of -INFINITY for resource {base} on {where}.")
    return int(Exit.OK)


if __name__ == "__main__":
    sys.exit(main(PROG, run))
