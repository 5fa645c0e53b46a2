"""Alerts and their recipients over REST (`vigil alert`, commands.alert).

    GET    /api/v1/alerts                       every alert with its recipients
    POST   /api/v1/alerts                       {"path", "id", "description", "options", "meta"}
    PATCH  /api/v1/alerts/ID                    {"path", "description", "options", "meta"}
    DELETE /api/v1/alerts/ID
    POST   /api/v1/alerts/ID/recipients         {"value", "id", "description", "options",
                                                 "meta", "force"}
    PATCH  /api/v1/recipients/ID                {"value", "description", "options", "meta"}
    DELETE /api/v1/recipients/ID

A recipient's id is unique in the CIB, as the CLI names it (`alert recipient update ID`): its
own routes need not name its alert. In "options" and "meta" an empty value removes the name.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.api.rest_support import Body
from vigil.commands import alert
from vigil.commands.alert import AlertSpec


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/alerts", _alerts)
    app.router.add_post("/api/v1/alerts", _create)
    app.router.add_patch("/api/v1/alerts/{id}", _update)
    app.router.add_delete("/api/v1/alerts/{id}", _delete)
    app.router.add_post("/api/v1/alerts/{id}/recipients", _recipient_add)
    app.router.add_patch("/api/v1/recipients/{id}", _recipient_update)
    app.router.add_delete("/api/v1/recipients/{id}", _recipient_delete)


def _spec(b: Body, *own: str) -> AlertSpec:
    """The body as the CLI's words give it: the element's own attributes (`own`, those sent),
    its options (instance attributes) and meta."""
    values = tuple((name, value) for name in own
                   if (value := b.opt_text(name)) is not None)
    return AlertSpec(values, b.pairs("options"), b.pairs("meta"))


async def _alerts(request: web.Request) -> web.Response:
    return await support.read(request, lambda env: {"alerts": alert.alerts(env)})


async def _create(request: web.Request) -> web.Response:
    return await support.apply(request, lambda env, b: alert.create(
        env, _spec(b, "path", "id", "description")))


async def _update(request: web.Request) -> web.Response:
    alert_id = request.match_info["id"]
    return await support.apply(request, lambda env, b: alert.update(
        env, alert_id, _spec(b, "path", "description")))


async def _delete(request: web.Request) -> web.Response:
    alert_id = request.match_info["id"]
    return await support.apply(request, lambda env, b: alert.delete(env, [alert_id]))


async def _recipient_add(request: web.Request) -> web.Response:
    alert_id = request.match_info["id"]
    return await support.apply(request, lambda env, b: alert.recipient_add(
        env, alert_id, _spec(b, "value", "id", "description"), force=b.flag("force")))


async def _recipient_update(request: web.Request) -> web.Response:
    rid = request.match_info["id"]
    return await support.apply(request, lambda env, b: alert.recipient_update(
        env, rid, _spec(b, "value", "description")))


async def _recipient_delete(request: web.Request) -> web.Response:
    rid = request.match_info["id"]
    return await support.apply(request, lambda env, b: alert.recipient_delete(env, [rid]))


_SETS = {"options": doc.PAIRS, "meta": doc.PAIRS}
PATHS: dict[str, Any] = {
    "/api/v1/alerts": {
        "get": doc.read("every alert and its recipients (`vigil alert config`)"),
        "post": doc.change("create an alert: the agent at `path` runs on node, resource and "
                           "fencing events (`vigil alert create`)",
                           {"path": doc.STR, "id": doc.STR, "description": doc.STR, **_SETS},
                           ["path"])},
    "/api/v1/alerts/{id}": {
        "patch": doc.change("change an alert's path, description, options or meta (`vigil "
                            "alert update`)",
                            {"path": doc.STR, "description": doc.STR, **_SETS}, [], doc.ID),
        "delete": doc.change("delete an alert and its recipients", {}, [], doc.ID)},
    "/api/v1/alerts/{id}/recipients": {"post": doc.change(
        "add a recipient to an alert (`vigil alert recipient add`); the same value twice is "
        "refused unless forced",
        {"value": doc.STR, "id": doc.STR, "description": doc.STR, "force": doc.BOOL, **_SETS},
        ["value"], doc.ID)},
    "/api/v1/recipients/{id}": {
        "patch": doc.change("change a recipient's value, description, options or meta",
                            {"value": doc.STR, "description": doc.STR, **_SETS}, [], doc.ID),
        "delete": doc.change("delete an alert's recipient", {}, [], doc.ID)},
}
