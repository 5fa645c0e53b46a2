"""`vigil resource ...` and `vigil stonith ...`: pcs's grammar for resources and fence devices."""

from __future__ import annotations

from collections.abc import Sequence

from vigil.cli import (
    args,
    config_view,
    debug_cli,
    failcount_cli,
    stonith_cli,
    utilization_cli,
)
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import agents as agent_lib
from vigil.commands import clone as clone_cmd
from vigil.commands import config as config_cmd
from vigil.commands import relocate, relocation, resource, safe_disable, status
from vigil.commands.agents import AgentCatalog
from vigil.commands.clone import CloneSpec
from vigil.commands.resource import OpSpec, ResourceSpec
from vigil.commands.status_document import status_document
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import ReportError, Severity

USAGE = f"""\
usage: vigil [-f FILE] resource COMMAND ...
  create ID AGENT [k=v...] [op ACTION k=v... [ACTION k=v...]...] [meta k=v...]
         [clone [CLONE_ID] [k=v...] | promotable [CLONE_ID] [k=v...]]
         [--group G [--before ID | --after ID]] [--disabled] [--no-default-ops] [--force]
  update ID [k=v...] [op ACTION k=v...]... [meta k=v...] [--force]
  meta ID k=v...                      delete ID
  clone ID [CLONE_ID] [k=v...]        promotable ID [CLONE_ID] [k=v...]
  unclone ID                          (ID: the clone, or the resource in it)
  enable ID...                        disable ID...
  safe-disable ID... [--no-strict] [--force]   disable only if nothing else stops or moves
  relocate show | dry-run [ID...] | run [ID...] [--wait=S] | clear
                                      to the nodes they would choose without stickiness
  manage ID...                        unmanage ID...
  move ID [NODE] [lifetime=DURATION] [--promoted]
  ban ID [NODE] [lifetime=DURATION] [--promoted]
  clear ID [NODE]                     cleanup [ID] [node=NODE]
  refresh [ID] [node=NODE]            forget its whole history: probed afresh
  restart ID [NODE] [--wait[=SECONDS]]
  status [ID...] | config [ID]
  op add ID ACTION [k=v...] [--force]   op delete OP_ID | op delete ID ACTION [k=v...]
  group add GROUP ID... [--before ID | --after ID]
  group remove GROUP [ID...]          ungroup GROUP [ID...]
  defaults [config] | defaults update k=v...     op defaults [config] | update k=v...
  [op] defaults set create [id=ID] [score=S] [meta k=v...] [rule EXPRESSION]
  [op] defaults set delete [SET_ID...] | set update SET_ID meta k=v...
        a rule's EXPRESSION as a location's, and resource STD:PROV:TYPE, op NAME [interval=I]
  describe AGENT                      agents [STANDARD[:PROVIDER]]    list [FILTER]
  utilization [ID [NAME=VALUE...]]    (NAME= removes it; integers; see placement-strategy)
  debug-start|debug-stop|debug-monitor|debug-promote|debug-demote|debug-validate ID [--full]
                                      run that action of the agent here, outside the cluster
  standards                           providers
{failcount_cli.USAGE_LINES}
A promotable clone's options: promoted-max (instances promoted at once, 1 by default),
promoted-node-max, clone-max, clone-node-max, notify=true; --promoted moves or bans the
promoted instance of a promotable clone (give the clone's id).
AGENT is standard:provider:type (ocf:heartbeat:IPaddr2), standard:type (lsb:httpd,
systemd:nginx, service:x) or a type alone when a single installed agent has it (IPaddr2)."""

STONITH_USAGE = f"""\
usage: vigil [-f FILE] stonith COMMAND ...
  create ID AGENT [k=v...] [op ACTION k=v...]... [meta k=v...] [--disabled] [--force]
  delete ID        config [ID]        status        enable ID...        disable ID...
  list [FILTER]    describe AGENT     meta ID k=v...
  cleanup|refresh|failcount|defaults|op ... (as for resources)
{stonith_cli.USAGE_LINES}"""


def catalog() -> AgentCatalog | None:
    """The agents installed on this machine (the tests put their own catalog here)."""
    return agent_lib.installed_catalog()


_CLONE_WORDS = ("clone", "promotable", "master")


def parse_clone(words: Sequence[str], keyword: str) -> CloneSpec:
    """`[CLONE_ID] [meta] [k=v...]` after `clone`, `promotable` (or the legacy `master`)."""
    rest = list(words)
    clone_id = None
    if rest and "=" not in rest[0] and rest[0] != "meta":
        clone_id = rest.pop(0)
    if rest[:1] == ["meta"]:
        rest.pop(0)
    for word in rest:
        if "=" not in word:
            raise UsageError(f"unexpected '{word}' after {keyword}: give the clone's options "
                             "as NAME=VALUE (promoted-max=1)")
    return CloneSpec(promotable=keyword != "clone", clone_id=clone_id, meta=args.pairs(rest))


def parse_create(words: Sequence[str]) -> tuple[ResourceSpec, CloneSpec | None]:
    """The attributes of `resource create ID AGENT ...`, and the clone to put it in."""
    at = next((i for i, w in enumerate(words) if w in _CLONE_WORDS), None)
    if at is None:
        return parse_spec(words), None
    return parse_spec(words[:at]), parse_clone(words[at + 1:], words[at])


def parse_spec(words: Sequence[str]) -> ResourceSpec:
    """`k=v... [op ACTION k=v... [ACTION k=v...]...] [meta k=v...]` (op and meta may repeat)."""
    instance: list[tuple[str, str]] = []
    meta: list[tuple[str, str]] = []
    ops: list[OpSpec] = []
    mode = "instance"
    current: OpSpec | None = None
    for word in words:
        if word == "op":
            mode, current = "op", None
            continue
        if word == "meta":
            mode = "meta"
            continue
        if mode == "op":
            if "=" not in word:
                current = OpSpec(word)
                ops.append(current)
                continue
            if current is None:
                raise UsageError(f"'{word}': an operation starts with its action (op monitor "
                                 "interval=10s)")
            ops[-1] = current = OpSpec(current.action, (*current.options, args.pair(word)))
        elif mode == "meta":
            meta.append(args.pair(word))
        elif word == "bundle":
            raise UsageError(f"'{word}' resources cannot be created by vigil yet")
        elif word in _CLONE_WORDS:
            raise UsageError(f"'{word}' here: a clone is made with 'vigil resource create ... "
                             f"{word}' or 'vigil resource {word} ID'")
        else:
            instance.append(args.pair(word))
    return ResourceSpec(tuple(instance), tuple(ops), tuple(meta))


def _lifetime(words: list[str]) -> str | None:
    found = [w for w in words if w.startswith("lifetime=")]
    for w in found:
        words.remove(w)
    if len(found) > 1:
        raise UsageError("lifetime= given twice")
    return found[0].partition("=")[2] if found else None


def _create(inv: Invocation, rest: list[str], *, stonith: bool) -> int:
    inv.only("force", "group", "before", "after", "disabled", "no_default_ops")
    what = "device id and fence agent (stonith" if stonith else "resource id and agent (resource"
    args.need(rest, 2, f"{what} create ID AGENT ...)")
    spec, clone = parse_create(rest[2:]) if not stonith else (parse_spec(rest[2:]), None)
    return args.finish(inv, resource.create(
        inv.env(), rest[0], rest[1], spec, group=inv.group, before=inv.before,
        after=inv.after, disabled=inv.disabled, force=inv.force,
        no_default_ops=inv.no_default_ops, catalog=catalog(), stonith=stonith, clone=clone))


def _clone(inv: Invocation, sub: str, rest: list[str]) -> int:
    """`clone ID [CLONE_ID] [k=v...]`, `promotable ID ...` and pcs 0.9's `master [CLONE_ID]
    ID [k=v...]` (its clone id came first)."""
    inv.only("force")
    args.need(rest, 1, f"resource id (resource {sub} ID [CLONE_ID] [NAME=VALUE...])")
    words = list(rest)
    if sub == "master" and len(words) > 1 and "=" not in words[1] and words[1] != "meta":
        words[0], words[1] = words[1], words[0]
    spec = parse_clone(words[1:], sub)
    if sub == "clone":
        promotable = dict(spec.meta).get("promotable", "")
        spec = CloneSpec(promotable=promotable.lower() in ("true", "yes", "on", "1", "y"),
                         clone_id=spec.clone_id, meta=spec.meta)
    return args.finish(inv, clone_cmd.clone(inv.env(), words[0], spec, force=inv.force,
                                            catalog=catalog()))


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if not words or inv.help:
        print(USAGE)
        return EXIT_OK if inv.help else args.EXIT_USAGE
    sub, rest = words[0], words[1:]
    env = inv.env
    if sub == "create":
        return _create(inv, rest, stonith=False)
    if sub in ("delete", "remove"):
        inv.only("force")
        args.need(rest, 1, "resource id")
        args.no_more(rest[1:], rest[0])
        return args.finish(inv, resource.delete(env(), rest[0]))
    if sub == "update":
        inv.only("force")
        args.need(rest, 1, "resource id")
        return args.finish(inv, resource.update(env(), rest[0], parse_spec(rest[1:]),
                                                force=inv.force, catalog=catalog()))
    if sub == "meta":
        inv.only("force")
        args.need(rest, 2, "resource id and meta attributes (resource meta ID k=v...)")
        return args.finish(inv, resource.set_meta(env(), rest[0], args.pairs(rest[1:]),
                                                  force=inv.force, catalog=catalog()))
    if sub in ("clone", "promotable", "master"):
        return _clone(inv, sub, rest)
    if sub == "unclone":
        inv.only()
        args.need(rest, 1, "clone or resource id (resource unclone ID)")
        args.no_more(rest[1:], rest[0])
        return args.finish(inv, clone_cmd.unclone(env(), rest[0]))
    if sub in ("enable", "disable"):
        inv.only()
        args.need(rest, 1, "resource id")
        command = resource.enable if sub == "enable" else resource.disable
        return args.finish(inv, command(env(), rest))
    if sub in ("manage", "unmanage"):
        inv.only()
        args.need(rest, 1, "resource id")
        return args.finish(inv, resource.manage(env(), rest, managed=sub == "manage"))
    if sub == "ungroup":  # pcs: ungroup GROUP [RSC...]: those members out, or the group gone
        inv.only()
        args.need(rest, 1, "group id (resource ungroup GROUP [RESOURCE...])")
        return args.finish(inv, resource.group_remove(env(), rest[0], rest[1:]))
    if sub == "move-with-constraint":  # pcs 0.11: move, leaving the constraint (vigil's move)
        sub = "move"
    if sub in ("move", "ban"):
        inv.only(*(["force", "promoted"] if sub == "move" else ["promoted"]))
        lifetime = _lifetime(rest)
        args.need(rest, 1, "resource id")
        args.no_more(rest[2:], rest[1] if len(rest) > 1 else rest[0])
        node = rest[1] if len(rest) > 1 else None
        if sub == "move":
            return args.finish(inv, relocation.move(env(), rest[0], node, lifetime=lifetime,
                                                    force=inv.force, promoted=inv.promoted))
        return args.finish(inv, relocation.ban(env(), rest[0], node, lifetime=lifetime,
                                               promoted=inv.promoted))
    if sub in ("clear", "unmove", "unban"):
        inv.only()
        args.need(rest, 1, "resource id")
        args.no_more(rest[2:], rest[1] if len(rest) > 1 else rest[0])
        return args.finish(inv, relocation.clear(env(), rest[0], rest[1] if len(rest) > 1
                                                 else None))
    if sub in ("refresh", "cleanup", "failcount"):
        rest = _node_word(inv, rest)
    if sub == "refresh":
        inv.only("node", "force")
        args.no_more(rest[1:], rest[0] if rest else "refresh")
        return args.finish(inv, status.refresh(env(), rest[0] if rest else None, inv.node))
    if sub == "cleanup":
        inv.only("node")
        args.no_more(rest[1:], rest[0] if rest else "cleanup")
        return args.finish(inv, status.cleanup(env(), rest[0] if rest else None, inv.node))
    if sub == "restart":
        inv.only()
        args.need(rest, 1, "resource id")
        args.no_more(rest[2:], rest[1] if len(rest) > 1 else rest[0])
        timeout = inv.wait_seconds(status.RESTART_TIMEOUT_S) or status.RESTART_TIMEOUT_S
        return args.finish(inv, status.restart(env(), rest[0], rest[1] if len(rest) > 1 else None,
                                               timeout=timeout))
    if sub == "status":
        inv.only("full")
        return _status(inv, rest)
    if sub in ("config", "show"):
        inv.only("full")
        return _config(inv, rest)
    if sub == "group":
        return _group(inv, rest)
    if sub == "defaults" or (sub == "rsc" and rest[:1] == ["defaults"]):
        values = rest[1:] if sub == "rsc" else rest
        return _defaults(inv, "rsc", values)
    if sub == "op" and rest[:1] == ["defaults"]:
        return _defaults(inv, "op", rest[1:])
    if sub == "op" and rest[:1] == ["add"]:  # pcs: op add RSC ACTION [k=v...]
        inv.only("force")
        args.need(rest, 3, "resource and action (resource op add ID ACTION [k=v...])")
        return args.finish(inv, resource.op_add(env(), rest[1], OpSpec(rest[2], args.pairs(
            rest[3:])), force=inv.force, catalog=catalog()))
    if sub == "op" and rest[:1] in (["delete"], ["remove"]):  # op delete OP_ID | RSC ACTION [k=v]
        inv.only()
        args.need(rest, 2, "an operation id, or resource and action")
        return args.finish(inv, resource.op_delete(env(), rest[1:]))
    if sub in ("describe", "agents", "standards", "providers", "list"):
        return _agents(inv, sub, rest)
    if sub == "failcount":
        return failcount_cli.run(inv, rest)
    if sub == "utilization":
        return utilization_cli.run_resource(inv, rest)
    if sub == "relocate":
        return _relocate(inv, rest)
    if sub == "safe-disable":
        inv.only("force", "no_strict")
        args.need(rest, 1, "resource id")
        return args.finish(inv, safe_disable.safe_disable(env(), rest, strict=not inv.no_strict,
                                                          force=inv.force))
    if sub in debug_cli.WORDS:
        return debug_cli.run(inv, sub, rest)
    if sub == "relations":
        from vigil.commands import relations

        inv.only("full")
        args.need(rest, 1, "the resource (resource relations RSC)")
        args.no_more(rest[1:], rest[0])
        tree = relations.relations(env(), rest[0])
        if inv.json:
            args.print_json(tree)
        else:
            args.print_lines(relations.tree_lines(tree))
        return EXIT_OK
    raise UsageError(f"unknown resource command '{sub}'")


def _node_word(inv: Invocation, words: list[str]) -> list[str]:
    """pcs 0.11's `node=NODE` (pcs 0.10's --node NODE): taken into `inv.node`; the other words
    returned. `operation=` and `interval=` narrow pcs's cleanup to one operation, which vigil's
    does not: refused rather than ignored."""
    rest = []
    for word in words:
        name, eq, value = word.partition("=")
        if eq and name == "node":
            if not value:
                raise UsageError("node= needs the node's name")
            if inv.node is not None and inv.node != value:
                raise UsageError("give the node once: node=NODE or --node NODE")
            inv.node = value
            inv.given.add("node")
        elif eq and name in ("operation", "interval"):
            raise UsageError(f"'{word}': vigil forgets every operation's failures of the "
                             "resource (on the node given), not one operation's")
        else:
            rest.append(word)
    return rest


def _relocate(inv: Invocation, rest: list[str]) -> int:
    """`relocate show | dry-run [ID...] | run [ID...] | clear` (pcs)."""
    sub, ids = (rest[0], rest[1:]) if rest else ("show", [])
    if sub in ("show", "dry-run"):
        inv.only()
        if sub == "show":
            args.no_more(ids, "relocate show")
        environment = inv.env()
        found = relocate.plan(environment.get_cib(), environment.now(), ids)
        if inv.json:
            args.print_json(list(found))
            return EXIT_OK
        print("Resource\tnow\tpreferred (without stickiness)")
        for r in found:
            mark = "  <- would move" if r.moves else ""
            print(f"{r.resource}\t{r.current or '-'}\t{r.preferred or '-'}{mark}")
        return EXIT_OK
    if sub == "run":
        inv.only()
        seconds = inv.wait_seconds(120.0) or 120.0
        return args.finish(inv, relocate.run(inv.env(), ids, timeout=seconds))
    if sub == "clear":
        inv.only()
        args.no_more(ids, "relocate clear")
        return args.finish(inv, relocate.clear(inv.env()))
    raise UsageError(f"unknown relocate command '{sub}' (show, dry-run, run, clear)")


def _status(inv: Invocation, words: list[str]) -> int:
    """`resource status [ID...] [node=NODE]`: every resource, or those named (each with its
    members); pcs 0.11's node=NODE: those active on NODE."""
    from vigil.cli import status_view
    from vigil.commands import edit

    ids = [w for w in words if not w.startswith("node=")]
    nodes = [w.removeprefix("node=") for w in words if w.startswith("node=")]
    if len(nodes) > 1 or (nodes and not nodes[0]):
        raise UsageError("give node=NODE once, with a node's name")
    environment = inv.env()
    cib = environment.get_cib()
    if ids:
        missing = [edit.not_found(cib, r) for r in ids if edit.find_resource(cib, r) is None]
        if missing:
            raise ReportError(missing)
    if nodes:
        edit.require_placement_node(cib, nodes[0])
    state = status.cluster_status(environment)
    if nodes:
        # what runs there, and the groups and clones it belongs to (shown with their members)
        parents = {a.resource: a.parent for a in state.transition.allocations}
        here: set[str] = set()
        for a in state.transition.allocations:
            if a.kind == "primitive" and nodes[0] in a.current_nodes:
                name: str | None = a.resource
                while name is not None:
                    here.add(name)
                    name = parents.get(name)
        ids = [i for i in ids if i in here] if ids else sorted(here)
        if not ids:
            return EXIT_OK  # nothing active there
    if inv.json:
        found = status_document(state)["resources"]
        args.print_json([r for r in found if not ids or r["id"] in ids or r["parent"] in ids])
        return EXIT_OK
    args.print_lines(status_view.resource_lines(state.transition, clones=dict(state.clones),
                                                only=set(ids) if ids else None))
    return EXIT_OK


def _config(inv: Invocation, rest: list[str]) -> int:
    cib = config_cmd.cib(inv.env())
    if rest:
        from vigil.commands import edit

        found = [edit.require_resource(cib, r) for r in rest]
    else:
        found = [r for r in cib.configuration.resources
                 if not config_view.is_stonith_resource(r)]
    if inv.json:
        args.print_json(found)
        return EXIT_OK
    args.print_lines(line for rsc in found for line in config_view.resource_lines(rsc, 0))
    return EXIT_OK


def _group(inv: Invocation, rest: list[str]) -> int:
    if not rest or rest[0] not in ("add", "remove", "delete", "list"):
        raise UsageError("resource group takes add, remove or list")
    sub, rest = rest[0], rest[1:]
    if sub == "list":
        inv.only()
        args.no_more(rest, "group list")
        cib = config_cmd.cib(inv.env())
        from vigil.model.resources import Group, walk

        groups = [g for g in walk(cib.configuration.resources) if isinstance(g, Group)]
        if inv.json:
            args.print_json({g.id: [m.id for m in g.members] for g in groups})
        else:
            args.print_lines(f"{g.id}: {' '.join(m.id for m in g.members)}" for g in groups)
        return EXIT_OK
    if sub == "add":
        inv.only("before", "after")
        args.need(rest, 2, "group id and resources (resource group add GROUP ID...)")
        return args.finish(inv, resource.group_add(inv.env(), rest[0], rest[1:],
                                                   before=inv.before, after=inv.after))
    inv.only()
    args.need(rest, 1, "group id")
    return args.finish(inv, resource.group_remove(inv.env(), rest[0], rest[1:]))


_SET_WORDS = ("create", "delete", "remove", "update")


def _defaults_set(inv: Invocation, kind: str, words: list[str]) -> int:
    """`defaults set create [id=ID] [score=S] [meta k=v...] [rule EXPRESSION]`, `set delete
    [SET_ID...]`, `set update SET_ID [meta k=v...]` (pcs 0.11)."""
    from vigil.commands import defaults_sets

    sub, rest = words[0], words[1:]
    if sub == "create":
        inv.only("force")
        at_rule = rest.index("rule") if "rule" in rest else len(rest)
        head, rule = rest[:at_rule], (rest[at_rule + 1:] if at_rule < len(rest) else None)
        at_meta = head.index("meta") if "meta" in head else len(head)
        set_options, values = head[:at_meta], head[at_meta + 1:]
        return args.finish(inv, defaults_sets.set_create(
            inv.env(), kind, set_options=args.pairs(set_options), pairs=args.pairs(values),
            rule=rule, force=inv.force))
    if sub in ("delete", "remove"):
        inv.only()
        return args.finish(inv, defaults_sets.set_delete(inv.env(), kind, rest))
    inv.only("force")
    args.need(rest, 1, "the set's id (defaults set update SET_ID meta NAME=VALUE...)")
    values = rest[2:] if rest[1:2] == ["meta"] else rest[1:]
    args.need(values, 1, "NAME=VALUE after meta")
    return args.finish(inv, defaults_sets.set_update(inv.env(), kind, rest[0],
                                                     args.pairs(values), force=inv.force))


def _defaults(inv: Invocation, kind: str, words: list[str]) -> int:
    if words[:1] == ["set"] and words[1:2] and words[1] in _SET_WORDS:
        return _defaults_set(inv, kind, words[1:])
    if words[:1] in (["set"], ["update"]):
        words = words[1:]
    if words[:1] == ["config"]:
        words = words[1:]
        args.no_more(words, "defaults config")
    if words:
        inv.only("force")
        return args.finish(inv, resource.set_defaults(inv.env(), kind, args.pairs(words),
                                                      force=inv.force))
    inv.only()
    cib = config_cmd.cib(inv.env())
    sets = cib.configuration.rsc_defaults if kind == "rsc" else cib.configuration.op_defaults
    if inv.json:
        args.print_json(sets)
        return EXIT_OK
    args.print_lines(config_view.defaults_lines(sets, indent=""))
    return EXIT_OK


def _agents(inv: Invocation, sub: str, rest: list[str]) -> int:
    inv.only()
    found = catalog()
    if found is None:
        raise ReportError([reports.error("AGENT_CATALOG_UNAVAILABLE")])
    if sub == "standards":
        args.no_more(rest, sub)
        data: object = list(found.standards())
        lines = list(found.standards())
    elif sub == "providers":
        args.no_more(rest, sub)
        data = list(found.providers())
        lines = list(found.providers())
    elif sub == "list":  # pcs: list [FILTER]: every agent whose name has FILTER in it
        args.no_more(rest[1:], rest[0] if rest else sub)
        wanted = rest[0].lower() if rest else ""
        names = [a for s in found.standards() for a in found.agents(s, None)
                 if wanted in str(a).lower()]
        data = [str(a) for a in names]
        lines = list(data)
    elif sub == "agents":
        args.no_more(rest[1:], rest[0] if rest else sub)
        standard, _, provider = (rest[0] if rest else "").partition(":")
        if standard and standard.lower() not in agent_lib.STANDARDS:
            raise ReportError([reports.error("INVALID_AGENT_NAME", agent=rest[0],
                                             reason=f"'{standard}' is not a standard")])
        standards = [standard.lower()] if standard else list(found.standards())
        names = [a for s in standards for a in found.agents(s, provider or None)]
        data = [str(a) for a in names]
        lines = [str(a) if not standard else a.type for a in names]
    else:
        args.need(rest, 1, "agent name")
        args.no_more(rest[1:], rest[0])
        name, meta, notes = agent_lib.resolve(rest[0], found, force=True)
        if meta is None:
            raise ReportError([reports.error("AGENT_NOT_FOUND", agent=str(name))])
        args.print_reports(n for n in notes if n.severity is Severity.INFO)
        if inv.json:
            args.print_json(meta)
            return EXIT_OK
        args.print_lines(config_view.describe_lines(meta))
        return EXIT_OK
    if inv.json:
        args.print_json(data)
    else:
        args.print_lines(lines)
    return EXIT_OK


def _require_devices(cib: Cib, ids: list[str]) -> None:
    """Each id names a fence device (a missing one, or a resource that is not a device, is
    refused rather than listed as nothing)."""
    from vigil.commands import edit

    for rid in ids:
        if not config_view.is_stonith_resource(edit.require_resource(cib, rid)):
            raise ReportError([reports.error("NOT_A_FENCE_DEVICE", resource=rid)])


def run_stonith(inv: Invocation) -> int:
    words = inv.words[1:]
    if not words or inv.help:
        print(STONITH_USAGE)
        return EXIT_OK if inv.help else args.EXIT_USAGE
    sub, rest = words[0], words[1:]
    if sub in ("cleanup", "refresh", "failcount", "defaults", "op", "meta"):
        # pcs: the same as for resources (fence devices are resources)
        inv.words = ["resource", *words]
        return run(inv)
    if sub == "create":
        return _create(inv, rest, stonith=True)
    if sub in ("delete", "remove"):
        inv.only()
        args.need(rest, 1, "device id")
        args.no_more(rest[1:], rest[0])
        return args.finish(inv, resource.delete(inv.env(), rest[0]))
    if sub in ("enable", "disable"):
        inv.only()
        args.need(rest, 1, "device id")
        environment = inv.env()
        cib = config_cmd.cib(environment)
        from vigil.commands import edit

        for rid in rest:  # a resource that is not a device is refused, as pcs refuses it
            found_rsc = edit.require_resource(cib, rid)
            if not config_view.is_stonith_resource(found_rsc):
                raise ReportError([reports.error("NOT_A_FENCE_DEVICE", resource=rid)])
        command = resource.enable if sub == "enable" else resource.disable
        return args.finish(inv, command(environment, rest))
    if sub in ("config", "show"):
        inv.only("full")
        cib = config_cmd.cib(inv.env())
        _require_devices(cib, rest)
        found = [r for r in cib.configuration.resources if config_view.is_stonith_resource(r)
                 and (not rest or r.id in rest)]
        if inv.json:
            args.print_json(found)
        else:
            args.print_lines(line for r in found for line in config_view.resource_lines(r, 0))
        return EXIT_OK
    if sub == "status":  # pcs: stonith status [ID...]
        inv.only()
        from vigil.cli import status_view

        environment = inv.env()
        _require_devices(config_cmd.cib(environment), rest)
        state = status.cluster_status(environment)
        lines = status_view.resource_lines(state.transition, clones=dict(state.clones),
                                           only=set(rest) if rest else None)
        args.print_lines([lines[0]] + [ln for ln in lines[1:] if "(stonith:" in ln])
        return EXIT_OK
    if sub == "list":  # pcs: stonith list [FILTER]: the fence agents installed
        inv.only()
        args.no_more(rest[1:], rest[0] if rest else sub)
        agents = catalog()
        if agents is None:
            raise ReportError([reports.error("AGENT_CATALOG_UNAVAILABLE")])
        names = [a.type for a in agents.agents("stonith", None) if not rest or rest[0] in a.type]
        if inv.json:
            args.print_json(names)
        else:
            args.print_lines(names)
        return EXIT_OK
    if sub == "describe":  # pcs: stonith describe AGENT (fence_xvm or stonith:fence_xvm)
        args.need(rest, 1, "fence agent name (stonith describe AGENT)")
        name = rest[0] if rest[0].startswith("stonith:") else f"stonith:{rest[0]}"
        return _agents(inv, "describe", [name, *rest[1:]])
    if sub in stonith_cli.SUBCOMMANDS:
        return stonith_cli.run(inv, sub, rest)
    raise UsageError(f"unknown stonith command '{sub}'")
