"""Tags over REST (`vigil tag`, commands.tag): names for lists of resources, usable wherever a
constraint names a resource.

    GET    /api/v1/tags                 every tag and the ids it names
    POST   /api/v1/tags                 {"id", "resources": [...]}
    PATCH  /api/v1/tags/ID              {"add": [...], "remove": [...], "before"|"after"}
    DELETE /api/v1/tags/ID              (refused while a constraint names it)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.api.rest_support import BadBody, Body
from vigil.commands import tag
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/tags", _tags)
    app.router.add_post("/api/v1/tags", _create)
    app.router.add_patch("/api/v1/tags/{id}", _update)
    app.router.add_delete("/api/v1/tags/{id}", _delete)


async def _tags(request: web.Request) -> web.Response:
    return await support.read(request, lambda env: {"tags": tag.tags(env)})


async def _create(request: web.Request) -> web.Response:
    return await support.apply(request, lambda env, b: tag.create(
        env, b.text("id"), b.names("resources")))


async def _update(request: web.Request) -> web.Response:
    tag_id = request.match_info["id"]

    def change(env: CibEnvironment, b: Body) -> Applied:
        add, remove = b.opt_names("add"), b.opt_names("remove")
        if not add and not remove:  # as the CLI's `tag update` refuses it
            raise BadBody("'add' or 'remove' must name at least one resource")
        return tag.update(env, tag_id, add, remove, before=b.opt_text("before"),
                          after=b.opt_text("after"))

    return await support.apply(request, change)


async def _delete(request: web.Request) -> web.Response:
    tag_id = request.match_info["id"]
    return await support.apply(request, lambda env, b: tag.delete(env, [tag_id]))


_LIST: dict[str, Any] = {"type": "array", "items": doc.STR}
PATHS: dict[str, Any] = {
    "/api/v1/tags": {
        "get": doc.read("every tag and the ids it names (`vigil tag config`)"),
        "post": doc.change("create a tag naming resources (`vigil tag create`)",
                           {"id": doc.STR, "resources": doc.NAMES}, ["id", "resources"])},
    "/api/v1/tags/{id}": {
        "patch": doc.change("add ids to a tag (before or after one of its ids) and remove "
                            "others (`vigil tag update`)",
                            {"add": _LIST, "remove": _LIST, "before": doc.STR,
                             "after": doc.STR}, [], doc.ID),
        "delete": doc.change("delete a tag (refused while a constraint names it)", {}, [],
                             doc.ID)},
}
