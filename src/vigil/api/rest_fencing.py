"""Fencing over REST, besides the levels (api.rest): the running cluster's fencer (`vigil stonith
fence|confirm|history`, commands.fencing) and the topology's whole-list commands (`vigil stonith
level clear|verify`).

    POST   /api/v1/fencing/fence/NODE       {"off": true}: power it off rather than reboot
    POST   /api/v1/fencing/confirm/NODE     {"force": true}: NODE is down, fenced by hand
    GET    /api/v1/fencing/history?node=N   every fencing operation remembered (of N)
    DELETE /api/v1/fencing/levels           {"node"}: every level (of NODE)
    GET    /api/v1/fencing/verify           the levels' problems (devices, targets), as data

Fence and confirm are acts of the cluster, not changes of the CIB: a user the ACLs restrict
needs what vigild wants for them (write on the whole CIB), the history what it wants for that
(read on the status). A confirm is refused without "force", as the CLI refuses it when it
cannot ask (CONFIRM_NEEDS_FORCE): if the node is not down, its resources run twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.api.rest_support import Body
from vigil.commands import fencing
from vigil.commands.env import CibEnvironment
from vigil.commands.fencing import FenceEvent
from vigil.commands.status_document import plain
from vigil.daemon import control as c
from vigil.model import reports
from vigil.model.reports import Report, ReportError


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/fencing/fence/{node}", _fence)
    r.add_post("/api/v1/fencing/confirm/{node}", _confirm)
    r.add_get("/api/v1/fencing/history", _history)
    r.add_delete("/api/v1/fencing/levels", _level_clear)
    r.add_get("/api/v1/fencing/verify", _verify)


def _fenced(event: FenceEvent) -> dict[str, object]:
    return {"ok": True, "changed": True, "outcome": plain(event), "reports": []}


async def _fence(request: web.Request) -> web.Response:
    name = request.match_info["node"]

    def action(b: Body) -> c.FenceAction:
        return c.FenceAction.OFF if b.flag("off") else c.FenceAction.REBOOT

    return await support.act(
        request, lambda env, b: fencing.fence(env, name, off=b.flag("off")), _fenced,
        control=lambda b: c.Fence(name, action(b)))


def _confirmed(found: tuple[Report, ...]) -> dict[str, object]:
    return {"ok": True, "changed": True,
            "reports": [support.report_json(r) for r in found]}


async def _confirm(request: web.Request) -> web.Response:
    name = request.match_info["node"]

    def command(env: CibEnvironment, b: Body) -> tuple[Report, ...]:
        if not b.flag("force"):
            raise ReportError([reports.unless_forced(False, "CONFIRM_NEEDS_FORCE", node=name)])
        return fencing.confirm(env, name)

    return await support.act(request, command, _confirmed,
                             control=lambda b: c.ConfirmFenced(name))


@dataclass(frozen=True)
class History:
    history: tuple[FenceEvent, ...]


async def _history(request: web.Request) -> web.Response:
    name = request.query.get("node") or None
    return await support.act(
        request, lambda env, b: History(fencing.history(env, name)),
        lambda found: {"ok": True, **plain(found)}, control=lambda b: c.GetFenceHistory())


async def _level_clear(request: web.Request) -> web.Response:
    return await support.apply(request, lambda env, b: fencing.level_clear(
        env, b.opt_text("node")))


async def _verify(request: web.Request) -> web.Response:
    def read(env: CibEnvironment) -> dict[str, object]:
        return {"problems": [support.report_json(r) for r in fencing.level_verify(env)]}

    return await support.read(request, read)


_NODE = [doc.path("node")]
# not a change of the CIB: no version in the answer
_DONE: dict[str, Any] = {"200": {"description": "done: ok, changed, reports (and a fence's "
                                                "outcome: target, action, ok, device, time)"}}
PATHS: dict[str, Any] = {
    "/api/v1/fencing/fence/{node}": {"post": doc.act(
        "fence a node now and wait for the outcome (`vigil stonith fence`): reboot, or power "
        "it off", {"off": doc.BOOL}, [], _NODE, done=_DONE)},
    "/api/v1/fencing/confirm/{node}": {"post": doc.act(
        "tell the cluster the node is down, fenced by hand (`vigil stonith confirm`): if it "
        "is not, its resources run twice; refused without force (CONFIRM_NEEDS_FORCE)",
        {"force": doc.BOOL}, ["force"], _NODE, done=_DONE)},
    "/api/v1/fencing/history": {"get": doc.read(
        "every fencing operation the cluster remembers, oldest first (`vigil stonith "
        "history`)", [doc.query("node")])},
    "/api/v1/fencing/verify": {"get": doc.read(
        "the fencing levels' problems: devices that are not fence devices, targets that are "
        "not nodes (`vigil stonith level verify`); none when all is well")},
}
