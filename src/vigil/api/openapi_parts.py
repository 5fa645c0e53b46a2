"""The pieces the OpenAPI document (api.openapi) is written with: schemas of the bodies the REST
routes take, a change's answers, a read's. The families of routes under /api/v1/ (api.rest_*)
describe their paths with them, beside their routes."""

from __future__ import annotations

from typing import Any

REPLY = {"$ref": "#/components/schemas/Reply"}
REFUSED = {"description": "refused: the reasons as reports",
           "content": {"application/json": {"schema": REPLY}}}
TOKEN: list[dict[str, list[str]]] = [{"token": []}]
PUBLIC: list[dict[str, list[str]]] = [{}, {"token": []}]  # open unless --protect names it


STR: dict[str, Any] = {"type": "string"}
BOOL: dict[str, Any] = {"type": "boolean"}
NAMES: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "minItems": 1}
PAIRS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
OPS: dict[str, Any] = {"type": "array", "items": {"type": "object", "required": ["action"],
                                                  "properties": {"action": STR,
                                                                 "options": PAIRS}}}
ID: list[dict[str, Any]] = [{"name": "id", "in": "path", "required": True, "schema": STR}]
READ: dict[str, Any] = {"200": {"description": "the document, with ok: true"},
                        "401": REFUSED, "403": REFUSED, "503": REFUSED}
CHANGED: dict[str, Any] = {
    "200": {"description": "applied", "content": {"application/json": {"schema": {
        "type": "object", "properties": {
            "ok": BOOL, "changed": BOOL,
            "version": {"type": "string", "description": "ADMIN_EPOCH.EPOCH.NUM_UPDATES"},
            "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}}}}}},
    "400": {"description": "bad input: nothing changed (the reports say why)"},
    "401": REFUSED,
    "403": {"description": "the token's user may not: the ACLs (ACL_DENIED)"},
    "409": {"description": "the CIB changed since the version sent (or read): nothing changed"},
    "503": {"description": "no running cluster to ask"}}


def path_enum(name: str, values: list[str]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"enum": values}}


def change(summary: str, fields: dict[str, Any], required: list[str],
           parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A change of the REST API: its body's fields (and `version`, for compare-and-swap)."""
    schema = {"type": "object", "required": required, "properties": {
        **fields, "version": {"type": "string", "description": "apply only if the CIB is "
                                                             "still at this version"}}}
    out: dict[str, Any] = {"summary": summary, "security": TOKEN,
                           "requestBody": {"required": bool(required), "content": {
                               "application/json": {"schema": schema}}},
                           "responses": CHANGED}
    if parameters:
        out["parameters"] = parameters
    return out


ACTED: dict[str, Any] = {
    **CHANGED,
    "502": {"description": "the cluster tried and did not succeed (FENCE_FAILED, "
                           "RESTART_TIMEOUT, RELOCATE_TIMEOUT): some of it may have happened"}}


def path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": STR}


def query(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema or STR}


def read(summary: str, parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A read of the REST API (what the token's user may read)."""
    out: dict[str, Any] = {"summary": summary, "security": TOKEN, "responses": READ}
    if parameters:
        out["parameters"] = parameters
    return out


def act(summary: str, fields: dict[str, Any], required: list[str],
        parameters: list[dict[str, Any]] | None = None, *,
        done: dict[str, Any] | None = None) -> dict[str, Any]:
    """A command that is not one pushed change (a cluster act, several changes in a row):
    `version` is checked once, before it starts. `done`: its own 200, when not a change's."""
    return {**change(summary, fields, required, parameters),
            "responses": {**ACTED, **(done or {})}}
