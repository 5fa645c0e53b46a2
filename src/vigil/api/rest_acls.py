"""Access control lists over REST (`vigil acl`, commands.acl): roles of permissions, and the
users and groups given them. Editing them is a change of the CIB like any other (a user the
ACLs restrict needs write on the acls section to make it).

    GET    /api/v1/acl                          enable-acl, roles, users, groups
    PUT    /api/v1/acl                          {"enabled": true|false}
    POST   /api/v1/acl/roles                    {"id", "description", "permissions": [...]}
    DELETE /api/v1/acl/roles/ID                 (its users and groups keep their other roles)
    POST   /api/v1/acl/roles/ID/permissions     {"permissions": [...]} (the role made if new)
    DELETE /api/v1/acl/permissions/ID
    POST   /api/v1/acl/roles/ID/ASSIGNMENT      assign, unassign {"name", "kind": user|group}
    POST   /api/v1/acl/HOLDERS                  users, groups {"id", "roles": [...]}
    DELETE /api/v1/acl/HOLDERS/ID

A permission is {"kind": read|write|deny, "xpath": XPATH} or {"kind", "id": ID}.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.api.rest_support import BadBody, Body
from vigil.commands import acl
from vigil.commands.acl import PermissionSpec
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment

# the path's word -> the library's kind of holder
_HOLDERS = {"users": "user", "groups": "group"}
_ASSIGNMENTS = ("assign", "unassign")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/acl", _config)
    r.add_put("/api/v1/acl", _enable)
    r.add_post("/api/v1/acl/roles", _role_create)
    r.add_delete("/api/v1/acl/roles/{id}", _role_delete)
    r.add_post("/api/v1/acl/roles/{id}/permissions", _permission_add)
    r.add_post("/api/v1/acl/roles/{id}/{assignment}", _assignment)
    r.add_delete("/api/v1/acl/permissions/{id}", _permission_delete)
    r.add_post("/api/v1/acl/{holders}", _holder_create)
    r.add_delete("/api/v1/acl/{holders}/{id}", _holder_delete)


def _permissions(b: Body, *, some: bool) -> tuple[PermissionSpec, ...]:
    """The body's permissions, as the CLI's `(read|write|deny) (xpath X | id ID)` words."""
    value = b.fields.get("permissions", [])
    shape = ("'permissions' must be a list of {\"kind\": read|write|deny, \"xpath\": XPATH} "
             "or {\"kind\", \"id\": ID}")
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise BadBody(shape)
    if some and not value:
        raise BadBody(shape + ", at least one")
    out = []
    for item in value:
        one = Body(item)
        scopes = [s for s in ("xpath", "id") if s in item]
        if len(scopes) != 1:
            raise BadBody(shape)
        out.append(PermissionSpec(one.text("kind"), scopes[0], one.text(scopes[0])))
    return tuple(out)


async def _config(request: web.Request) -> web.Response:
    return await support.read(request, acl.config)


async def _enable(request: web.Request) -> web.Response:
    def change(env: CibEnvironment, b: Body) -> Applied:
        if not isinstance(b.fields.get("enabled"), bool):
            raise BadBody("'enabled' must be true or false")
        return acl.enable(env, b.flag("enabled"))

    return await support.apply(request, change)


async def _role_create(request: web.Request) -> web.Response:
    return await support.apply(request, lambda env, b: acl.role_create(
        env, b.text("id"), description=b.opt_text("description"),
        permissions=_permissions(b, some=False)))


async def _role_delete(request: web.Request) -> web.Response:
    role_id = request.match_info["id"]
    return await support.apply(request, lambda env, b: acl.role_delete(env, role_id))


async def _permission_add(request: web.Request) -> web.Response:
    role_id = request.match_info["id"]
    return await support.apply(request, lambda env, b: acl.permission_add(
        env, role_id, _permissions(b, some=True)))


async def _permission_delete(request: web.Request) -> web.Response:
    pid = request.match_info["id"]
    return await support.apply(request, lambda env, b: acl.permission_delete(env, pid))


def _kind(b: Body) -> str | None:
    kind = b.opt_text("kind")
    if kind not in (None, "user", "group"):
        raise BadBody("'kind' is user or group (or not given: whichever has the name)")
    return kind


async def _assignment(request: web.Request) -> web.Response:
    role_id, word = request.match_info["id"], request.match_info["assignment"]
    if word not in _ASSIGNMENTS:
        return support.bad(f"no role action '{word}' (permissions, assign, unassign)")
    command = acl.role_assign if word == "assign" else acl.role_unassign
    return await support.apply(request, lambda env, b: command(
        env, role_id, b.text("name"), _kind(b)))


def _holder_kind(request: web.Request) -> str | None:
    return _HOLDERS.get(request.match_info["holders"])


async def _holder_create(request: web.Request) -> web.Response:
    kind = _holder_kind(request)
    if kind is None:
        return support.bad(f"no ACL list '{request.match_info['holders']}' (roles, users, "
                           "groups)")
    return await support.apply(request, lambda env, b: acl.holder_create(
        env, kind, b.text("id"), b.opt_names("roles")))


async def _holder_delete(request: web.Request) -> web.Response:
    kind = _holder_kind(request)
    if kind is None:
        return support.bad(f"no ACL list '{request.match_info['holders']}' (roles, users, "
                           "groups, permissions)")
    name = request.match_info["id"]
    return await support.apply(request, lambda env, b: acl.holder_delete(env, kind, name))


_PERMISSION: dict[str, Any] = {
    "type": "object", "required": ["kind"],
    "properties": {"kind": {"enum": ["read", "write", "deny"]}, "xpath": doc.STR,
                   "id": doc.STR},
    "description": "exactly one of xpath and id"}
_PERMISSIONS: dict[str, Any] = {"type": "array", "items": _PERMISSION}
_HOLDER_PATH = doc.path_enum("holders", list(_HOLDERS))
PATHS: dict[str, Any] = {
    "/api/v1/acl": {
        "get": doc.read("whether the ACLs bind (enable-acl) and the roles, users and groups "
                        "(`vigil acl config`)"),
        "put": doc.change("enable or disable the ACLs: the cluster option enable-acl (`vigil "
                          "acl enable|disable`)", {"enabled": doc.BOOL}, ["enabled"])},
    "/api/v1/acl/roles": {"post": doc.change(
        "create a role with its permissions (`vigil acl role create`)",
        {"id": doc.STR, "description": doc.STR, "permissions": _PERMISSIONS}, ["id"])},
    "/api/v1/acl/roles/{id}": {"delete": doc.change(
        "delete a role; its users and groups keep their other roles", {}, [], doc.ID)},
    "/api/v1/acl/roles/{id}/permissions": {"post": doc.change(
        "add permissions to a role, created if there is none by that id (`vigil acl "
        "permission add`)", {"permissions": {**_PERMISSIONS, "minItems": 1}},
        ["permissions"], doc.ID)},
    "/api/v1/acl/roles/{id}/{assignment}": {"post": doc.change(
        "give a role to a user or group, or take it back (`vigil acl role assign|unassign`)",
        {"name": doc.STR, "kind": {"enum": ["user", "group"]}}, ["name"],
        [*doc.ID, doc.path_enum("assignment", list(_ASSIGNMENTS))])},
    "/api/v1/acl/permissions/{id}": {"delete": doc.change(
        "delete a permission (`vigil acl permission delete`)", {}, [], doc.ID)},
    "/api/v1/acl/{holders}": {"post": doc.change(
        "create an ACL user or group with roles (`vigil acl user|group create`)",
        {"id": doc.STR, "roles": {"type": "array", "items": doc.STR}}, ["id"],
        [_HOLDER_PATH])},
    "/api/v1/acl/{holders}/{id}": {"delete": doc.change(
        "delete an ACL user or group (`vigil acl user|group delete`)", {}, [],
        [_HOLDER_PATH, *doc.ID])},
}
