"""More of `vigil resource` over REST, besides create, update, delete and the actions of
api.rest: operations, restart, fail counts, relocation, defaults (commands.resource, status,
failcount, relocate).

    POST   /api/v1/resources/ID/ops                 {"action", "options", "force"} (op add)
    DELETE /api/v1/resources/ID/ops/ACTION          {"options"}: those of ACTION that have them
    DELETE /api/v1/operations/OP_ID                 one operation by its id (op delete OP_ID)
    POST   /api/v1/resources/ID/restart             {"node", "wait"}: stopped, then started
    GET    /api/v1/failcounts?resource=ID&node=N    fail counts, expired or not
    GET    /api/v1/relocate?resources=A,B           where each would go without stickiness
    POST   /api/v1/relocate                         {"resources", "wait"}: sent there, waited for
    DELETE /api/v1/relocate                         the relocation constraints left, removed
    GET    /api/v1/defaults/KIND                    rsc or op defaults
    PUT    /api/v1/defaults/KIND                    {"defaults": {"NAME": "VALUE"}, "force"}

A fail count is reset by the resource's cleanup (POST /api/v1/resources/ID/cleanup), as
`resource failcount reset` is. Restart and relocate are several changes in a row, each pushed
conditional on its own read: a `version` sent is checked once, before they start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.api.rest_support import Body
from vigil.commands import failcount, relocate, resource, status
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.commands.resource import OpSpec

MOST_WAIT_S = 300.0  # the endpoint's longest forwarded request: a client waits no longer
RELOCATE_WAIT_S = 120.0  # the CLI's `relocate run` default
_DEFAULTS = ("rsc", "op")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/resources/{id}/ops", _op_add)
    r.add_delete("/api/v1/resources/{id}/ops/{action}", _op_delete)
    r.add_delete("/api/v1/operations/{id}", _op_delete_by_id)
    r.add_post("/api/v1/resources/{id}/restart", _restart)
    r.add_get("/api/v1/failcounts", _failcounts)
    r.add_get("/api/v1/relocate", _relocate_plan)
    r.add_post("/api/v1/relocate", _relocate_run)
    r.add_delete("/api/v1/relocate", _relocate_clear)
    r.add_get("/api/v1/defaults/{kind}", _defaults)
    r.add_put("/api/v1/defaults/{kind}", _defaults_set)


async def _op_add(request: web.Request) -> web.Response:
    rid = request.match_info["id"]
    catalog = request.app[support.CATALOG_KEY]()  # the op's checks are its agent's
    return await support.apply(request, lambda env, b: resource.op_add(
        env, rid, OpSpec(b.text("action"), b.pairs("options")), force=b.flag("force"),
        catalog=catalog))


async def _op_delete(request: web.Request) -> web.Response:
    rid, action = request.match_info["id"], request.match_info["action"]
    # the library takes the CLI's words: RSC ACTION [NAME=VALUE...]
    return await support.apply(request, lambda env, b: resource.op_delete(
        env, [rid, action, *(f"{k}={v}" for k, v in b.pairs("options"))]))


async def _op_delete_by_id(request: web.Request) -> web.Response:
    op_id = request.match_info["id"]
    return await support.apply(request, lambda env, b: resource.op_delete(env, [op_id]))


async def _restart(request: web.Request) -> web.Response:
    rid = request.match_info["id"]

    def command(env: CibEnvironment, b: Body) -> Applied:
        return status.restart(env, rid, b.opt_text("node"), timeout=b.seconds(
            "wait", status.RESTART_TIMEOUT_S, MOST_WAIT_S))

    return await support.act(request, command, support.applied_answer)


async def _failcounts(request: web.Request) -> web.Response:
    rid = request.query.get("resource") or None
    name = request.query.get("node") or None
    return await support.read(request, lambda env: {"failcounts": failcount.show(
        env, rid, name)})


@dataclass(frozen=True)
class RelocationView:
    resource: str
    current: str | None
    preferred: str | None  # where it would go without stickiness
    moves: bool


async def _relocate_plan(request: web.Request) -> web.Response:
    names = [n for n in request.query.get("resources", "").split(",") if n]

    def read(env: CibEnvironment) -> dict[str, object]:
        found = relocate.plan(env.get_cib(), env.now(), names)
        return {"relocations": tuple(RelocationView(r.resource, r.current, r.preferred,
                                                    r.moves) for r in found)}

    return await support.read(request, read)


async def _relocate_run(request: web.Request) -> web.Response:
    def command(env: CibEnvironment, b: Body) -> Applied:
        return relocate.run(env, b.opt_names("resources"),
                            timeout=b.seconds("wait", RELOCATE_WAIT_S, MOST_WAIT_S))

    return await support.act(request, command, support.applied_answer)


async def _relocate_clear(request: web.Request) -> web.Response:
    return await support.apply(request, lambda env, b: relocate.clear(env))


def _kind(request: web.Request) -> str | None:
    kind = request.match_info["kind"]
    return kind if kind in _DEFAULTS else None


async def _defaults(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind is None:
        return support.bad(f"no defaults '{request.match_info['kind']}' (rsc, op)")

    def read(env: CibEnvironment) -> dict[str, object]:
        config = env.get_cib().configuration
        return {"sets": config.rsc_defaults if kind == "rsc" else config.op_defaults}

    return await support.read(request, read)


async def _defaults_set(request: web.Request) -> web.Response:
    kind = _kind(request)
    if kind is None:
        return support.bad(f"no defaults '{request.match_info['kind']}' (rsc, op)")
    return await support.apply(request, lambda env, b: resource.set_defaults(
        env, kind, b.some_pairs("defaults"), force=b.flag("force")))


_WAIT: dict[str, Any] = {"type": "number", "minimum": 1, "maximum": MOST_WAIT_S}
_KIND = [doc.path_enum("kind", list(_DEFAULTS))]
PATHS: dict[str, Any] = {
    "/api/v1/resources/{id}/ops": {"post": doc.change(
        "add an operation to a primitive (`vigil resource op add`); the same action and "
        "interval twice is refused unless forced",
        {"action": doc.STR, "options": doc.PAIRS, "force": doc.BOOL}, ["action"], doc.ID)},
    "/api/v1/resources/{id}/ops/{action}": {"delete": doc.change(
        "delete the primitive's operations of ACTION that have every option given (`vigil "
        "resource op delete ID ACTION`)", {"options": doc.PAIRS}, [],
        [*doc.ID, doc.path("action")])},
    "/api/v1/operations/{id}": {"delete": doc.change(
        "delete one operation by its id (`vigil resource op delete OP_ID`)", {}, [], doc.ID)},
    "/api/v1/resources/{id}/restart": {"post": doc.act(
        "stop the resource and start it again, waiting for each (`vigil resource restart`); "
        "with node, where it runs (a primitive or group)",
        {"node": doc.STR, "wait": _WAIT}, [], doc.ID)},
    "/api/v1/failcounts": {"get": doc.read(
        "the fail counts per resource and node, each operation's, and whether "
        "failure-timeout has expired them (`vigil resource failcount show`); reset one with "
        "the resource's cleanup", [doc.query("resource"), doc.query("node")])},
    "/api/v1/relocate": {
        "get": doc.read("where each resource runs and where it would without stickiness "
                        "(`vigil resource relocate dry-run`)",
                        [doc.query("resources", {"type": "string",
                                                 "description": "ids, comma-separated"})]),
        "post": doc.act("send resources where they would go without stickiness, wait until "
                        "they are there, remove the constraints that sent them (`vigil "
                        "resource relocate run`)",
                        {"resources": {"type": "array", "items": doc.STR}, "wait": _WAIT},
                        []),
        "delete": doc.change("remove the relocation constraints left behind (`vigil resource "
                             "relocate clear`)", {}, [])},
    "/api/v1/defaults/{kind}": {
        "get": doc.read("the resource (rsc) or operation (op) defaults", _KIND),
        "put": doc.change("set resource or operation defaults; an empty value removes one "
                          "(`vigil resource [op] defaults`)",
                          {"defaults": {**doc.PAIRS, "minProperties": 1}, "force": doc.BOOL},
                          ["defaults"], _KIND)},
}
