"""The REST API over the library commands (vigil.commands): the same functions the CLI calls,
with JSON in and out, under /api/v1/ (a token needed, see server.py).

    GET    /api/v1/cib                                  {"version", "xml"}
    GET    /api/v1/resources/ID/explain                 why ID is where it is (`vigil explain`)
    POST   /api/v1/resources                            create {"id", "agent", "params", ...}
    GET    /api/v1/resources/ID                         its agent, params, meta and operations
    PATCH  /api/v1/resources/ID                         update {"params", "meta", "ops"}
    DELETE /api/v1/resources/ID
    POST   /api/v1/resources/ID/ACTION                  enable, disable, cleanup, move, ban, clear,
                                                        manage, unmanage, refresh, safe-disable
    POST   /api/v1/constraints                          {"kind": location|colocation|order|
                                                        ticket, ...}
    DELETE /api/v1/constraints/ID
    PATCH  /api/v1/constraints/ID                       {"score"}: a location's or colocation's
                                                        score, an order's kind
    PUT    /api/v1/properties                           {"NAME": "VALUE", ...}
    DELETE /api/v1/properties/NAME
    POST   /api/v1/nodes/NODE/ACTION                    standby, unstandby, maintenance, unmaintenance
    POST   /api/v1/groups                               {"id", "resources": [...], "before"|"after"}
    POST   /api/v1/groups/ID/remove                     {"resources": [...]} out of the group
    DELETE /api/v1/groups/ID                            ungroup (the members stay)
    GET    /api/v1/fencing/levels                       the fencing topology
    POST   /api/v1/fencing/levels                       {"level", "node", "devices": [...]}
    DELETE /api/v1/fencing/levels/LEVEL                 {"node"} or every node's level LEVEL
    GET    /api/v1/quorum                               this node's quorum (corosync-quorumtool)
    GET    /api/v1/constraints                          every constraint, one line each
    GET    /api/v1/properties                           the cluster properties set
    GET    /api/v1/agents                               the resource agents installed here
    GET    /api/v1/agents/AGENT                         one agent's metadata (the create form's)
    POST   /api/v1/whatif                               {"fail", "standby", "moves"}: the
                                                        scheduler's answer, nothing applied
    GET    /api/v1/history?limit=N                      transitions with their timelines, from
                                                        this node's events log

A resource's ACTION is also clone {"clone_id", "meta"}, promotable (the same) or unclone.

The other families of routes are in modules of their own, registered here, each with its
routes' part of the OpenAPI document (api.openapi) beside them:
    api.rest_resources   operations, restart, fail counts, relocate, resource and op defaults
    api.rest_attributes  node attributes, node and resource utilization
    api.rest_fencing     fence, confirm, the fencing history, level clear and verify
    api.rest_tickets     this site's tickets: grant, revoke, standby, activate, remove
    api.rest_tags        tags
    api.rest_alerts      alerts and their recipients
    api.rest_config      the configuration whole: PUT /cib (cib-push), verify, checkpoints
    api.rest_acls        ACL roles, permissions, users and groups, enable-acl
What they share (the body, the answers, how a command runs) is api.rest_support.

Every change answers `{"ok", "changed", "version", "reports"}`; a refusal `{"ok": false,
"reports"}` with 400 (bad input: nothing changed), 409 (the CIB changed since the version the
caller sent, or since the command read it), 403 (the ACLs), 503 (no cluster to ask) or 502
(an act the cluster tried and that did not succeed: a fence, a restart's or relocation's
wait). Each report carries its code, severity and fields, and the one line the CLI prints
for it (`message`).

Compare-and-swap: a change may send `"version": "ADMIN.EPOCH.UPDATES"` (from GET /api/v1/cib
or a previous answer); it is then applied only if the configuration is still at that version,
else 409 and nothing changes. Without it, the command reads the CIB and pushes its change
conditional on what it read, as the CLI does. A command that is several changes in a row
(restart, relocate) or an act of the cluster (tickets, fencing) checks the version once,
before it starts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from vigil.api.events_follow import READ_MAX, EventsTail
from vigil.api.rest_families import FAMILIES
from vigil.api.rest_support import (
    CATALOG_KEY,
    ENV_KEY,
    BadBody,
    Body,
    CatalogFactory,
    Change,
    EnvFactory,
    bad,
    default_env,
    read_body,
    refused,
    report_json,
)
from vigil.api.rest_support import apply as _apply
from vigil.api.rest_support import read as _read
from vigil.cib.write import write_cib
from vigil.commands import (
    clone,
    constraint,
    fencing,
    node,
    quorum,
    relocation,
    resource,
    safe_disable,
    status,
    ticket,
)
from vigil.commands import property as prop
from vigil.commands.agents import (
    AgentMetadata,
    AgentName,
    installed_catalog,
    parse_agent_name,
)
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.commands.explain import explain
from vigil.commands.history import history
from vigil.commands.runner import LocalRunner, Runner
from vigil.commands.status_document import plain
from vigil.commands.whatif import Move, WhatIf, what_if
from vigil.model import reports
from vigil.model.constraints import Colocation, Constraint, Location, Order, TicketConstraint
from vigil.model.reports import ReportError
from vigil.model.score import format_score
from vigil.words.explanation import render_explanation

EVENTS_LOG_KEY = web.AppKey("rest_events_log", Path)
HISTORY_READ_MAX = READ_MAX  # the log's tail that the history reads (one read)
# runs this node's Corosync tools (the quorum route); a script in the tests
RUNNER_KEY: web.AppKey[Runner] = web.AppKey("rest_runner")


def add_routes(app: web.Application, env: EnvFactory | None = None,
               runner: Runner | None = None, *, catalog: CatalogFactory | None = None,
               events_log: Path = Path("/var/log/vigil/events.jsonl")) -> None:
    app[ENV_KEY] = env or default_env
    app[RUNNER_KEY] = runner or LocalRunner()
    app[CATALOG_KEY] = catalog or installed_catalog
    app[EVENTS_LOG_KEY] = events_log
    # the families first: their fixed paths (/resources/ID/ops, /resources/ID/restart) before
    # this module's /resources/ID/ACTION, which would take them
    for family in FAMILIES:
        family.add_routes(app)
    r = app.router
    r.add_get("/api/v1/cib", _cib)
    r.add_get("/api/v1/resources/{id}/explain", _explain)
    r.add_post("/api/v1/resources", _create)
    r.add_get("/api/v1/resources/{id}", _settings)
    r.add_patch("/api/v1/resources/{id}", _update)
    r.add_delete("/api/v1/resources/{id}", _delete)
    r.add_post("/api/v1/resources/{id}/{action}", _resource_action)
    r.add_post("/api/v1/constraints", _constraint_add)
    r.add_delete("/api/v1/constraints/{id}", _constraint_remove)
    r.add_patch("/api/v1/constraints/{id}", _constraint_change)
    r.add_put("/api/v1/properties", _properties_set)
    r.add_delete("/api/v1/properties/{name}", _property_unset)
    r.add_post("/api/v1/nodes/{node}/{action}", _node_action)
    r.add_post("/api/v1/groups", _group_add)
    r.add_post("/api/v1/groups/{id}/remove", _group_remove)
    r.add_delete("/api/v1/groups/{id}", _ungroup)
    r.add_get("/api/v1/fencing/levels", _levels)
    r.add_post("/api/v1/fencing/levels", _level_add)
    r.add_delete("/api/v1/fencing/levels/{level}", _level_remove)
    r.add_get("/api/v1/quorum", _quorum)
    r.add_get("/api/v1/constraints", _constraints)
    r.add_get("/api/v1/properties", _properties)
    r.add_get("/api/v1/agents", _agents)
    r.add_get("/api/v1/agents/{agent}", _agent)
    r.add_post("/api/v1/whatif", _whatif)
    r.add_get("/api/v1/history", _history)


# -- routes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CibDocument:
    version: str
    xml: str


async def _cib(request: web.Request) -> web.Response:
    def read(env: CibEnvironment) -> CibDocument:
        cib = env.get_cib()
        return CibDocument(cib.version.dotted(), write_cib(cib))

    return await _read(request, read)


async def _explain(request: web.Request) -> web.Response:
    """The explanation as data, and `text`: the sentences `vigil explain` prints (the web
    UI's "why" shows them as they are)."""
    rid = request.match_info["id"]
    env = request.app[ENV_KEY]()
    try:
        found = await asyncio.to_thread(explain, env, rid)
    except ReportError as exc:
        return refused(exc.reports)
    return web.json_response({"ok": True, **plain(found), "text": render_explanation(found)})


async def _create(request: web.Request) -> web.Response:
    def change(env: CibEnvironment, b: Body) -> Applied:
        spec = resource.ResourceSpec(b.pairs("params"), b.ops(), b.pairs("meta"))
        return resource.create(env, b.text("id"), b.text("agent"), spec,
                               catalog=request.app[CATALOG_KEY](), group=b.opt_text("group"),
                               before=b.opt_text("before"),
                               after=b.opt_text("after"), disabled=b.flag("disabled"),
                               force=b.flag("force"), no_default_ops=b.flag("no_default_ops"),
                               stonith=b.flag("stonith"))

    return await _apply(request, change)


async def _settings(request: web.Request) -> web.Response:
    rid = request.match_info["id"]
    return await _read(request, lambda env: resource.settings(env, rid))


async def _update(request: web.Request) -> web.Response:
    rid = request.match_info["id"]

    def change(env: CibEnvironment, b: Body) -> Applied:
        spec = resource.ResourceSpec(b.pairs("params"), b.ops(), b.pairs("meta"))
        return resource.update(env, rid, spec, force=b.flag("force"),
                               catalog=request.app[CATALOG_KEY]())

    return await _apply(request, change)


async def _delete(request: web.Request) -> web.Response:
    rid = request.match_info["id"]
    return await _apply(request, lambda env, b: resource.delete(env, rid))


def _resource_change(action: str, rid: str) -> Change | None:
    changes: dict[str, Change] = {
        "enable": lambda env, b: resource.enable(env, [rid]),
        "disable": lambda env, b: resource.disable(env, [rid]),
        "cleanup": lambda env, b: status.cleanup(env, rid, b.opt_text("node")),
        "move": lambda env, b: relocation.move(env, rid, b.opt_text("node"),
                                               lifetime=b.opt_text("lifetime"),
                                               force=b.flag("force"),
                                               promoted=b.flag("promoted")),
        "ban": lambda env, b: relocation.ban(env, rid, b.opt_text("node"),
                                             lifetime=b.opt_text("lifetime"),
                                             promoted=b.flag("promoted")),
        "clear": lambda env, b: relocation.clear(env, rid, b.opt_text("node")),
        "clone": lambda env, b: clone.clone(env, rid, clone.CloneSpec(
            False, b.opt_text("clone_id"), b.pairs("meta")), force=b.flag("force")),
        "promotable": lambda env, b: clone.clone(env, rid, clone.CloneSpec(
            True, b.opt_text("clone_id"), b.pairs("meta")), force=b.flag("force")),
        "unclone": lambda env, b: clone.unclone(env, rid),
        "manage": lambda env, b: resource.manage(env, [rid], managed=True),
        "unmanage": lambda env, b: resource.manage(env, [rid], managed=False),
        "refresh": lambda env, b: status.refresh(env, rid, b.opt_text("node")),
        "safe-disable": lambda env, b: safe_disable.safe_disable(
            env, [rid], strict=not b.flag("no_strict"), force=b.flag("force")),
    }
    return changes.get(action)


async def _resource_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    change = _resource_change(action, request.match_info["id"])
    if change is None:
        return bad(f"no resource action '{action}' (enable, disable, cleanup, move, ban, "
                   "clear, clone, promotable, unclone, manage, unmanage, refresh, "
                   "safe-disable, restart)")
    return await _apply(request, change)


async def _constraint_add(request: web.Request) -> web.Response:
    try:
        body = await read_body(request)
    except BadBody as exc:
        return bad(str(exc))
    kind = body.fields.get("kind")

    def location(env: CibEnvironment, b: Body) -> Applied:
        rid = b.text("resource")
        return constraint.location_add(env, b.opt_text("id") or f"location-{rid}-"
                                       f"{b.text('node')}", rid, b.text("node"),
                                       b.text("score", "INFINITY"), force=b.flag("force"))

    def colocation(env: CibEnvironment, b: Body) -> Applied:
        return constraint.colocation_add(env, b.text("source"), b.text("target"),
                                         score=b.opt_text("score"), force=b.flag("force"))

    def order(env: CibEnvironment, b: Body) -> Applied:
        return constraint.order_add(env, b.text("first"), b.text("then"),
                                    first_action=b.text("first_action", "start"),
                                    then_action=b.text("then_action", "start"),
                                    force=b.flag("force"))

    def needs_ticket(env: CibEnvironment, b: Body) -> Applied:
        options = tuple((name, value) for name, value in (
            ("loss-policy", b.opt_text("loss_policy")), ("id", b.opt_text("id")))
            if value is not None)
        return ticket.ticket_add(env, b.text("ticket"), b.text("resource"),
                                 role=b.opt_text("role"), options=options,
                                 force=b.flag("force"))

    changes: dict[str, Change] = {"location": location, "colocation": colocation,
                                  "order": order, "ticket": needs_ticket}
    if not isinstance(kind, str) or kind not in changes:
        return bad("'kind' is location, colocation, order or ticket")
    return await _apply(request, changes[kind], body)


async def _constraint_remove(request: web.Request) -> web.Response:
    cid = request.match_info["id"]
    return await _apply(request, lambda env, b: constraint.remove(env, [cid]))


async def _constraint_change(request: web.Request) -> web.Response:
    cid = request.match_info["id"]
    return await _apply(request, lambda env, b: constraint.set_score(env, cid, b.text("score")))


async def _properties_set(request: web.Request) -> web.Response:
    try:
        body = await read_body(request)
    except BadBody as exc:
        return bad(str(exc))
    pairs = [(k, v) for k, v in body.fields.items() if k not in ("version", "force")]
    if not pairs or not all(isinstance(v, str) for _, v in pairs):
        return bad('send {"NAME": "VALUE", ...} (strings; an empty VALUE unsets)')
    strings = tuple((k, str(v)) for k, v in pairs)
    return await _apply(request, lambda env, b: prop.set_properties(
        env, strings, force=b.flag("force")), body)


async def _property_unset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    return await _apply(request, lambda env, b: prop.unset_properties(
        env, [name], force=b.flag("force")))


async def _node_action(request: web.Request) -> web.Response:
    name, action = request.match_info["node"], request.match_info["action"]
    changes: dict[str, Change] = {
        "standby": lambda env, b: node.standby(env, [name], on=True),
        "unstandby": lambda env, b: node.standby(env, [name], on=False),
        "maintenance": lambda env, b: node.maintenance(env, [name], on=True),
        "unmaintenance": lambda env, b: node.maintenance(env, [name], on=False),
    }
    if action not in changes:
        return bad(f"no node action '{action}' (standby, unstandby, maintenance, "
                    "unmaintenance)")
    return await _apply(request, changes[action])


async def _group_add(request: web.Request) -> web.Response:
    return await _apply(request, lambda env, b: resource.group_add(
        env, b.text("id"), b.names("resources"), before=b.opt_text("before"),
        after=b.opt_text("after")))


async def _group_remove(request: web.Request) -> web.Response:
    gid = request.match_info["id"]
    return await _apply(request, lambda env, b: resource.group_remove(
        env, gid, b.names("resources")))


async def _ungroup(request: web.Request) -> web.Response:
    gid = request.match_info["id"]
    return await _apply(request, lambda env, b: resource.group_remove(env, gid, ()))


@dataclass(frozen=True)
class LevelView:
    """One fencing level as `vigil stonith level` lists it: its target as pcs writes it."""

    id: str
    level: int | None
    target: str
    devices: tuple[str, ...]


@dataclass(frozen=True)
class Levels:
    levels: tuple[LevelView, ...]


async def _levels(request: web.Request) -> web.Response:
    return await _read(request, lambda env: Levels(tuple(
        LevelView(lv.id, lv.index, lv.target_text, lv.devices) for lv in fencing.levels(env))))


async def _level_add(request: web.Request) -> web.Response:
    def change(env: CibEnvironment, b: Body) -> Applied:
        level = b.fields.get("level")
        if isinstance(level, int) and not isinstance(level, bool):
            level = str(level)
        if not isinstance(level, str):
            raise BadBody("'level' must be a number from 1 to 9")
        return fencing.level_add(env, level, b.text("node"), b.names("devices"),
                                 force=b.flag("force"))

    return await _apply(request, change)


async def _level_remove(request: web.Request) -> web.Response:
    level = request.match_info["level"]
    return await _apply(request, lambda env, b: fencing.level_remove(
        env, level, b.opt_text("node")))


async def _quorum(request: web.Request) -> web.Response:
    runner = request.app[RUNNER_KEY]
    try:
        found = await asyncio.to_thread(quorum.status, runner)
    except ReportError as exc:
        return refused(exc.reports)
    return web.json_response({"ok": True, **plain(found)})


@dataclass(frozen=True)
class AgentList:
    agents: tuple[str, ...]


async def _agents(request: web.Request) -> web.Response:
    catalog = request.app[CATALOG_KEY]()

    def read() -> AgentList:
        if catalog is None:
            return AgentList(())
        names: list[AgentName] = []
        for standard in catalog.standards():
            if standard == "ocf":
                for provider in catalog.providers():
                    names += catalog.agents(standard, provider)
            else:
                names += catalog.agents(standard, None)
        return AgentList(tuple(str(n) for n in names))

    found = await asyncio.to_thread(read)
    return web.json_response({"ok": True, **plain(found)})


async def _agent(request: web.Request) -> web.Response:
    text = request.match_info["agent"]
    name = parse_agent_name(text)
    catalog = request.app[CATALOG_KEY]()
    if name is None:
        return refused([reports.error("AGENT_NOT_FOUND", agent=text)])
    meta: AgentMetadata | None = (await asyncio.to_thread(catalog.metadata, name)
                                  if catalog is not None else None)
    if meta is None:
        return refused([reports.error("AGENT_NOT_FOUND", agent=text)])
    return web.json_response({"ok": True, **plain(meta)})


def _question(b: Body) -> WhatIf:
    def nodes(name: str) -> tuple[str, ...]:
        value = b.fields.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise BadBody(f"'{name}' must be a list of node names")
        return tuple(value)

    moves = b.fields.get("moves", [])
    if not isinstance(moves, list) or not all(isinstance(m, dict) for m in moves):
        raise BadBody("'moves' must be a list of {\"resource\", \"node\", \"promoted\"}")
    return WhatIf(nodes("fail"), nodes("standby"), tuple(
        Move(Body(m).text("resource"), Body(m).text("node"), Body(m).flag("promoted"))
        for m in moves))


async def _whatif(request: web.Request) -> web.Response:
    try:
        question = _question(await read_body(request))
    except BadBody as exc:
        return bad(str(exc))
    env = request.app[ENV_KEY]()
    try:
        answer = await asyncio.to_thread(what_if, env, question)
    except ReportError as exc:
        return refused(exc.reports)
    return web.json_response({
        "ok": True, "question": plain(answer.question), "summary": plain(answer.summary),
        "before": plain(answer.before), "after": plain(answer.after),
        "reports": [report_json(r) for r in answer.reports]})


def _tail_events(path: Path) -> list[dict[str, object]]:
    """The events in the log's last HISTORY_READ_MAX bytes (none when this node has no log:
    no vigild ran here)."""
    events, _ = EventsTail(path, from_end=True, backlog_bytes=HISTORY_READ_MAX).poll()
    return events


async def _history(request: web.Request) -> web.Response:
    text = request.query.get("limit", "50")
    if not text.isdigit() or not 0 < int(text) <= 1000:
        return bad("'limit' is a number of transitions from 1 to 1000")
    events = await asyncio.to_thread(_tail_events, request.app[EVENTS_LOG_KEY])
    return web.json_response({"ok": True, **plain(history(events, limit=int(text)))})


@dataclass(frozen=True)
class ConstraintView:
    """One constraint as a list shows it: its id, its kind and what it says in one line."""

    id: str
    kind: str
    resources: tuple[str, ...]
    says: str


@dataclass(frozen=True)
class Constraints:
    constraints: tuple[ConstraintView, ...]


def constraint_view(found: Constraint) -> ConstraintView:
    def score(value: int | None) -> str:
        return format_score(value) if value is not None else "(rules)"

    def role(name: str | None) -> str:
        return f" ({name})" if name else ""

    if isinstance(found, Location):
        where = found.node or " or ".join(r.id for r in found.rules) or "?"
        rsc = found.rsc or found.rsc_pattern or ",".join(m for s in found.sets
                                                         for m in s.resources)
        return ConstraintView(found.id, "location", (rsc,),
                              f"{rsc}{role(found.role)} on {where}: {score(found.score)}")
    if isinstance(found, Colocation):
        pair = tuple(r for r in (found.rsc, found.with_rsc) if r)
        return ConstraintView(found.id, "colocation", pair,
                              f"{found.rsc}{role(found.rsc_role)} with {found.with_rsc}"
                              f"{role(found.with_rsc_role)}: {format_score(found.score)}")
    if isinstance(found, Order):
        pair = tuple(r for r in (found.first, found.then) if r)
        return ConstraintView(found.id, "order", pair,
                              f"{found.first_action or 'start'} {found.first} then "
                              f"{found.then_action or found.first_action or 'start'} "
                              f"{found.then}" + (f" ({found.kind})" if found.kind else ""))
    if isinstance(found, TicketConstraint):
        named = (found.rsc,) if found.rsc else tuple(m for s in found.sets for m in s.resources)
        return ConstraintView(found.id, "ticket", named,
                              f"{','.join(named)}{role(found.rsc_role)} needs ticket "
                              f"{found.ticket} (loss-policy {found.loss_policy or 'stop'})")
    return ConstraintView(found.id, "other", (), "(kept as written in the CIB)")


async def _constraints(request: web.Request) -> web.Response:
    return await _read(request, lambda env: Constraints(tuple(
        constraint_view(c) for c in constraint.constraints(env))))


@dataclass(frozen=True)
class Properties:
    properties: tuple[prop.Property, ...]


async def _properties(request: web.Request) -> web.Response:
    return await _read(request, lambda env: Properties(prop.list_properties(env)))
