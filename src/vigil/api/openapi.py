"""The remote endpoint's OpenAPI 3.1 document, served at GET /api/v1/openapi.json: what a script
or a generated client needs to call the endpoint without reading vigil's source.

Kept beside the routes it describes (server.build_app); tests/api checks that every route the
application serves is in it and nothing else is."""

from __future__ import annotations

from typing import Any, Final

from vigil.api.openapi_parts import (
    BOOL,
    ID,
    NAMES,
    OPS,
    PAIRS,
    PUBLIC,
    READ,
    REFUSED,
    REPLY,
    STR,
    TOKEN,
    change,
    path_enum,
)
from vigil.api.rest_families import FAMILIES
from vigil.commands.node_ops import NodeOp


def _health(what: str) -> dict[str, Any]:
    return {"get": {
        "summary": what, "security": PUBLIC,
        "parameters": [{"name": "resource", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": {"description": "yes", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/HealthAnswer"}}}},
            "503": {"description": "no (or this node cannot tell)"},
            "404": {"description": "no such resource"},
            "400": {"description": "not a promotable clone (promoted/unpromoted)"}}}}


DOCUMENT: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {"title": "vigil remote endpoint", "version": "1",
             "description": "Health checks, metrics and the cluster's control requests of one "
                            "vigil node. Tokens come from POST /api/v1/auth (`vigil host auth`)."},
    "components": {
        "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Report": {"type": "object", "required": ["code", "severity", "fields"],
                       "properties": {"code": {"type": "string"},
                                      "severity": {"enum": ["error", "warning", "info"]},
                                      "fields": {"type": "array", "description": "[name, value]",
                                                 "items": {"type": "array", "minItems": 2,
                                                           "maxItems": 2,
                                                           "items": {"type": "string"}}},
                                      "forceable": {"type": "boolean"},
                                      "message": {"type": "string",
                                                  "description": "the CLI's line for it"}}},
            "Reply": {"type": "object", "required": ["ok", "reports"],
                      "description": "a control reply: ok, the answer's fields, reports",
                      "properties": {"ok": {"type": "boolean"},
                                     "reports": {"type": "array",
                                                 "items": {"$ref": "#/components/schemas/Report"}},
                                     "message": {"type": "string",
                                                 "description": "the endpoint's own refusals"}}},
            "HealthAnswer": {"type": "object", "properties": {
                "check": {"type": "string"}, "node": {"type": "string"},
                "resource": {"type": ["string", "null"]}, "verdict": {"type": "string"},
                "message": {"type": "string"}}},
        },
    },
    "paths": {
        "/health": {"get": {"summary": "200 when this node is online, quorate and takes "
                                       "resources", "security": PUBLIC,
                            "responses": {"200": {"description": "healthy"},
                                          "503": {"description": "not, with the reason"}}}},
        "/running/{resource}": _health("200 when the resource runs on this node"),
        "/promoted/{resource}": _health("200 when the promotable clone is Promoted here"),
        "/unpromoted/{resource}": _health("200 when the promotable clone is Unpromoted here"),
        "/metrics": {"get": {"summary": "Prometheus text format (ha_cluster_* names)",
                             "security": PUBLIC,
                             "responses": {"200": {"description": "the exposition"}}}},
        "/api/v1/auth": {
            "post": {"summary": "a token for a haclient user's password", "security": [{}],
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"type": "object", "required": ["username", "password"],
                                    "properties": {"username": {"type": "string"},
                                                   "password": {"type": "string"}}}}}},
                     "responses": {"200": {"description": "the token", "content": {
                         "application/json": {"schema": {"type": "object", "properties": {
                             "token": {"type": "string"}, "node": {"type": "string"}}}}}},
                         "401": REFUSED, "400": REFUSED}},
            "delete": {"summary": "revoke the token sent", "security": TOKEN,
                       "responses": {"200": {"description": "revoked"}, "401": REFUSED}}},
        "/api/v1/control": {"post": {
            "summary": "one control request to this node's vigild (what the CLI sends to its "
                       "local socket): {\"op\": ..., fields}; its reply as vigild gave it",
            "security": TOKEN,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "required": ["op"],
                           "properties": {"op": {"enum": [
                               "cib", "status", "replace", "cleanup", "attribute",
                               "attribute-query", "attribute-update", "node-list", "fence",
                               "confirm", "fence-history", "quorum", "forget-node",
                               "ticket"]}}}}}},
            "responses": {"200": {"description": "vigild's reply (ok or refused)",
                                  "content": {"application/json": {"schema": REPLY}}},
                          "400": REFUSED, "401": REFUSED,
                          "502": {"description": "vigild not running or not answering",
                                  "content": {"application/json": {"schema": REPLY}}}}}},
        "/api/v1/node/{op}": {"post": {
            "summary": "this node's part of a whole-cluster command (`cluster setup` of "
                       "authenticated nodes, `cluster start|stop|enable|disable|destroy --all`, "
                       "`cluster node add|remove`, `quorum device add|remove`; qnetd-ca and "
                       "qnetd-sign are asked of the quorum device's host)",
            "security": TOKEN,
            "parameters": [{"name": "op", "in": "path", "required": True, "schema": {
                "enum": [op.value for op in NodeOp]}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "force": {"type": "boolean"}, "wait_s": {"type": ["number", "null"]},
                    "whole_cluster": {"type": "boolean"},
                    "daemons": {"type": "array", "items": {"enum": ["vigild", "corosync"]}},
                    "files": {"type": "array", "items": {"type": "object", "properties": {
                        "path": {"type": "string"}, "mode": {"type": "integer"},
                        "data": {"type": "string", "contentEncoding": "base64"}}}},
                    "cluster_name": {"type": "string"},
                    "certificates": {"type": "array", "items": {
                        "type": "string", "contentEncoding": "base64"}}}}}}},
            "responses": {"200": {"description": "done (ok, the result) or refused (reports)",
                                  "content": {"application/json": {"schema": {
                                      "type": "object", "properties": {
                                          "ok": {"type": "boolean"}, "node": {"type": "string"},
                                          "result": {"type": ["object", "null"]},
                                          "reports": {"type": "array", "items": {
                                              "$ref": "#/components/schemas/Report"}}}}}}},
                          "400": REFUSED, "401": REFUSED}}},
        "/api/v1/status": {"get": {
            "summary": "the cluster's status as `vigil status --output json` shows it",
            "security": TOKEN,
            "responses": {"200": {"description": "nodes, resources, attributes, failures, "
                                                 "fencing"},
                          "401": REFUSED, "503": REFUSED}}},
        "/api/v1/cib": {"get": {"summary": "the CIB: its XML and version (for compare-and-swap)",
                                "security": TOKEN, "responses": READ}},
        "/api/v1/resources": {"post": change(
            "create a resource (`vigil resource create`)",
            {"id": STR, "agent": STR, "params": PAIRS, "meta": PAIRS, "ops": OPS,
             "group": STR, "before": STR, "after": STR, "disabled": BOOL, "force": BOOL,
             "no_default_ops": BOOL, "stonith": BOOL}, ["id", "agent"])},
        "/api/v1/resources/{id}": {
            "get": {"summary": "a resource's settings: agent, params, meta, operations (or a "
                               "group's or clone's members)", "security": TOKEN,
                    "parameters": ID, "responses": READ},
            "patch": change("change a resource's params, meta and ops (an empty value "
                             "removes one)", {"params": PAIRS, "meta": PAIRS, "ops": OPS,
                                              "force": BOOL}, [], ID),
            "delete": change("delete a resource (and what refers to it)", {}, [], ID)},
        "/api/v1/resources/{id}/explain": {"get": {
            "summary": "why the resource is where it is (`vigil explain`)", "security": TOKEN,
            "parameters": ID, "responses": READ}},
        "/api/v1/resources/{id}/{action}": {"post": change(
            "enable, disable, cleanup ({node}), move ({node, lifetime, promoted, force}), ban "
            "({node, lifetime, promoted}) or clear ({node}) a resource; clone or promotable "
            "({clone_id, meta, force}) or unclone it; manage or unmanage it; refresh ({node}): "
            "forget its whole history; safe-disable ({no_strict, force}): disable it only if "
            "nothing else stops or moves",
            {"node": STR, "lifetime": STR, "promoted": BOOL, "force": BOOL,
             "clone_id": STR, "meta": PAIRS, "no_strict": BOOL}, [],
            [*ID, path_enum("action", ["enable", "disable", "cleanup", "move", "ban",
                                       "clear", "clone", "promotable", "unclone", "manage",
                                       "unmanage", "refresh", "safe-disable"])])},
        "/api/v1/groups": {"post": change(
            "put resources into a group, created if needed (`vigil resource group add`)",
            {"id": STR, "resources": NAMES, "before": STR, "after": STR},
            ["id", "resources"])},
        "/api/v1/groups/{id}/remove": {"post": change(
            "take resources out of a group (they stay configured)", {"resources": NAMES},
            ["resources"], ID)},
        "/api/v1/groups/{id}": {"delete": change(
            "ungroup: the group goes, its members stay", {}, [], ID)},
        "/api/v1/fencing/levels": {
            "get": {"summary": "the fencing topology (`vigil stonith level`)",
                    "security": TOKEN, "responses": READ},
            "post": change("add a fencing level: devices that together fence a node",
                            {"level": {"type": "integer", "minimum": 1, "maximum": 9},
                             "node": STR, "devices": NAMES, "force": BOOL},
                            ["level", "node", "devices"]),
            "delete": change("remove every fencing level (of {node} only, when given: `vigil "
                             "stonith level clear`)", {"node": STR}, [])},
        "/api/v1/fencing/levels/{level}": {"delete": change(
            "remove fencing level LEVEL (of {node} only, when given)", {"node": STR}, [],
            [{"name": "level", "in": "path", "required": True, "schema": STR}])},
        "/api/v1/quorum": {"get": {
            "summary": "this node's quorum as its Corosync sees it (`vigil quorum status`)",
            "security": TOKEN, "responses": READ}},
        "/api/v1/constraints": {"get": {
            "summary": "every constraint: id, kind, resources and one line saying it",
            "security": TOKEN, "responses": READ}, "post": change(
            "add a constraint: location {resource, node, score, id}, colocation {source, "
            "target, score}, order {first, then, first_action, then_action}, ticket "
            "{ticket, resource, role, loss_policy, id} (`vigil constraint ticket add`)",
            {"kind": {"enum": ["location", "colocation", "order", "ticket"]}, "id": STR,
             "resource": STR, "node": STR, "score": STR, "source": STR, "target": STR,
             "first": STR, "then": STR, "first_action": STR, "then_action": STR,
             "ticket": STR, "role": STR,
             "loss_policy": {"enum": ["stop", "demote", "fence", "freeze"]},
             "force": BOOL}, ["kind"])},
        "/api/v1/constraints/{id}": {
            "delete": change("remove a constraint", {}, [], ID),
            "patch": change("change a location's or colocation's score, or an order's kind "
                             "(Mandatory, Optional, Serialize)", {"score": STR}, ["score"], ID)},
        "/api/v1/properties": {"get": {
            "summary": "the cluster properties set (`vigil property config`)",
            "security": TOKEN, "responses": READ}, "put": {
            **change("set cluster properties (an empty value unsets one)",
                      {"force": BOOL}, []),
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": {"type": "string"}}}}}}},
        "/api/v1/properties/{name}": {"delete": change(
            "unset a cluster property", {"force": BOOL}, [],
            [{"name": "name", "in": "path", "required": True, "schema": STR}])},
        "/api/v1/nodes/{node}/{action}": {"post": change(
            "standby, unstandby, maintenance or unmaintenance a node", {}, [],
            [{"name": "node", "in": "path", "required": True, "schema": STR},
             path_enum("action", ["standby", "unstandby", "maintenance", "unmaintenance"])])},
        "/api/v1/agents": {"get": {
            "summary": "the resource agents installed on this node (`vigil resource agents`)",
            "security": TOKEN, "responses": READ}},
        "/api/v1/agents/{agent}": {"get": {
            "summary": "one agent's metadata: parameters (required, default, description) "
                       "and actions (`vigil resource describe`)", "security": TOKEN,
            "parameters": [{"name": "agent", "in": "path", "required": True, "schema": STR}],
            "responses": READ}},
        "/api/v1/whatif": {"post": {
            "summary": "what the cluster would do if nodes failed, went to standby or a "
                       "resource moved: the scheduler's answer on a copy of the CIB, nothing "
                       "applied", "security": TOKEN,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "fail": {"type": "array", "items": STR},
                    "standby": {"type": "array", "items": STR},
                    "moves": {"type": "array", "items": {
                        "type": "object", "required": ["resource", "node"],
                        "properties": {"resource": STR, "node": STR,
                                       "promoted": BOOL}}}}}}}},
            "responses": READ}},
        "/api/v1/history": {"get": {
            "summary": "the last transitions, newest first: trigger, actions, outcome and "
                       "timeline, from this node's events log", "security": TOKEN,
            "parameters": [{"name": "limit", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": READ}},
        "/ui/login": {"post": {
            "summary": "the web UI's login: the hacluster password (as for `vigil host auth`); "
                       "the token goes into an HttpOnly, Secure, SameSite=Strict cookie, "
                       "vigil_session, that the API takes in place of a bearer token (a change "
                       "sent with it must carry the header X-Vigil-UI: 1)",
            "security": [{}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["username", "password"],
                "properties": {"username": STR, "password": STR}}}}},
            "responses": {"200": {"description": "logged in: the cookie is set"},
                          "400": REFUSED, "401": REFUSED}}},
        "/ui/logout": {"post": {"summary": "end the web UI's session (its token is revoked)",
                                "security": TOKEN,
                                "responses": {"200": {"description": "logged out"},
                                              "401": REFUSED}}},
        "/ui/stream": {"get": {
            "summary": "server-sent events for the web UI: `status` (the status document, each "
                       "time it changes) and `log` (the last lines of this node's events log, "
                       "then each new one)", "security": TOKEN,
            "responses": {"200": {"description": "text/event-stream"}, "401": REFUSED}}},
        "/api/v1/openapi.json": {"get": {"summary": "this document", "security": [{}],
                                         "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
}

def _with_families(paths: dict[str, Any]) -> None:
    """The paths of the families of REST routes (api.rest_*), which describe them beside their
    routes; a method of a path is described once (a family may add one to a path of api.rest)."""
    for family in FAMILIES:
        for path, methods in family.PATHS.items():
            twice = set(methods) & set(paths.get(path, {}))
            if twice:
                raise ValueError(f"{path}: {', '.join(sorted(twice))} described twice")
            paths[path] = {**paths.get(path, {}), **methods}


_with_families(DOCUMENT["paths"])
