"""The configuration as a whole over REST: `cib-push` (any change the other routes do not name,
written as Pacemaker's XML), `verify`, and the checkpoints (`config checkpoint`).

    PUT    /api/v1/cib                          {"xml", "config": true|false}: replace the
                                                configuration (config) or the whole CIB
    GET    /api/v1/verify                       the findings of `vigil verify`, as reports
    GET    /api/v1/checkpoints                  the configurations replaced, newest last
    GET    /api/v1/checkpoints/N                checkpoint N's configuration (XML)
    POST   /api/v1/checkpoints/N/restore        the configuration of checkpoint N back
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.api.rest_support import BadBody, Body
from vigil.cib.io import load_cib_bytes
from vigil.cib.write import write_cib
from vigil.commands import checkpoint, config, quorum, verify
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment


def add_routes(app: web.Application) -> None:
    app.router.add_put("/api/v1/cib", _push)
    app.router.add_get("/api/v1/verify", _verify)
    app.router.add_get("/api/v1/checkpoints", _checkpoints)
    app.router.add_get("/api/v1/checkpoints/{n}", _checkpoint)
    app.router.add_post("/api/v1/checkpoints/{n}/restore", _restore)


async def _push(request: web.Request) -> web.Response:
    def change(env: CibEnvironment, b: Body) -> Applied:
        pushed, warnings = load_cib_bytes(b.text("xml").encode())  # refused: nothing changes
        return config.push(env, pushed, warnings, config_only=b.flag("config"))

    return await support.apply(request, change)


def _verify_reports(env: CibEnvironment) -> dict[str, object]:
    result = verify.verify_env(env, corosync_conf=quorum.conf_path())
    return {"valid": result.valid, "errors": result.errors, "warnings": result.warnings,
            "reports": [support.report_json(r) for r in result.reports]}


async def _verify(request: web.Request) -> web.Response:
    return await support.read(request, _verify_reports)


async def _checkpoints(request: web.Request) -> web.Response:
    return await support.read(request, lambda env: {"checkpoints": [
        {"number": c.number, "version": c.version, "saved_at": c.saved_at}
        for c in checkpoint.checkpoints()]})


def _number(request: web.Request) -> int:
    text = request.match_info["n"]
    if not text.isdigit():
        raise BadBody(f"'{text}' is not a checkpoint number (GET /api/v1/checkpoints)")
    return int(text)


async def _checkpoint(request: web.Request) -> web.Response:
    try:
        number = _number(request)
    except BadBody as exc:
        return support.bad(str(exc))
    return await support.read(request, lambda env: {
        "number": number, "xml": write_cib(checkpoint.load(number))})


async def _restore(request: web.Request) -> web.Response:
    try:
        number = _number(request)
    except BadBody as exc:
        return support.bad(str(exc))
    return await support.apply(request, lambda env, b: checkpoint.restore(env, number))


_N = doc.path("n")
PATHS: dict[str, Any] = {
    "/api/v1/cib": {
        "put": doc.change("replace the configuration (`config`: true) or the whole CIB by "
                          "Pacemaker's XML (`vigil cib-push [--config]`): checked as a file "
                          "is, nothing changed when it is refused",
                          {"xml": doc.STR, "config": {"type": "boolean"}}, ["xml"])},
    "/api/v1/verify": {
        "get": doc.read("the configuration's findings (`vigil verify`): valid, the counts, "
                        "each finding as a report")},
    "/api/v1/checkpoints": {
        "get": doc.read("the configurations replaced, oldest first (`vigil config "
                        "checkpoint`)")},
    "/api/v1/checkpoints/{n}": {
        "get": doc.read("checkpoint N as CIB XML (`vigil config checkpoint view N`)", [_N])},
    "/api/v1/checkpoints/{n}/restore": {
        "post": doc.change("put checkpoint N's configuration back (`vigil config checkpoint "
                           "restore N`)", {}, [], [_N])},
}
