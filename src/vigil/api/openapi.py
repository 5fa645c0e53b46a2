"""The remote endpoint's OpenAPI 3.1 document, served at GET /api/v1/openapi.json: what a script
or a generated client needs to call the endpoint without reading vigil's source.

Kept beside the routes it describes (server.build_app); tests/api checks that every route the
application serves is in it and nothing else is."""

from __future__ import annotations

from typing import Any, Final

from vigil.commands.node_ops import NodeOp

_REPLY = {"$ref": "#/components/schemas/Reply"}
_REFUSED = {"description": "refused: the reasons as reports",
            "content": {"application/json": {"schema": _REPLY}}}
_TOKEN: list[dict[str, list[str]]] = [{"token": []}]
_PUBLIC: list[dict[str, list[str]]] = [{}, {"token": []}]  # open unless --protect names it


_STR: dict[str, Any] = {"type": "string"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_NAMES: dict[str, Any] = {"type": "array", "items": {"type": "string"}, "minItems": 1}
_PAIRS: dict[str, Any] = {"type": "object", "additionalProperties": {"type": "string"}}
_OPS: dict[str, Any] = {"type": "array", "items": {"type": "object", "required": ["action"],
                                                  "properties": {"action": _STR,
                                                                 "options": _PAIRS}}}
_ID: list[dict[str, Any]] = [{"name": "id", "in": "path", "required": True, "schema": _STR}]
_READ: dict[str, Any] = {"200": {"description": "the document, with ok: true"},
                         "401": _REFUSED, "503": _REFUSED}
_CHANGED: dict[str, Any] = {
    "200": {"description": "applied", "content": {"application/json": {"schema": {
        "type": "object", "properties": {
            "ok": _BOOL, "changed": _BOOL,
            "version": {"type": "string", "description": "ADMIN_EPOCH.EPOCH.NUM_UPDATES"},
            "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}}}}}},
    "400": {"description": "bad input: nothing changed (the reports say why)"},
    "401": _REFUSED,
    "409": {"description": "the CIB changed since the version sent (or read): nothing changed"},
    "503": {"description": "no running cluster to ask"}}


def _path_enum(name: str, values: list[str]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"enum": values}}


def _change(summary: str, fields: dict[str, Any], required: list[str],
            parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A change of the REST API: its body's fields (and `version`, for compare-and-swap)."""
    schema = {"type": "object", "required": required, "properties": {
        **fields, "version": {"type": "string", "description": "apply only if the CIB is "
                                                              "still at this version"}}}
    out: dict[str, Any] = {"summary": summary, "security": _TOKEN,
                           "requestBody": {"required": bool(required), "content": {
                               "application/json": {"schema": schema}}},
                           "responses": _CHANGED}
    if parameters:
        out["parameters"] = parameters
    return out


def _health(what: str) -> dict[str, Any]:
    return {"get": {
        "summary": what, "security": _PUBLIC,
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
                                       "resources", "security": _PUBLIC,
                            "responses": {"200": {"description": "healthy"},
                                          "503": {"description": "not, with the reason"}}}},
        "/running/{resource}": _health("200 when the resource runs on this node"),
        "/promoted/{resource}": _health("200 when the promotable clone is Promoted here"),
        "/unpromoted/{resource}": _health("200 when the promotable clone is Unpromoted here"),
        "/metrics": {"get": {"summary": "Prometheus text format (ha_cluster_* names)",
                             "security": _PUBLIC,
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
                         "401": _REFUSED, "400": _REFUSED}},
            "delete": {"summary": "revoke the token sent", "security": _TOKEN,
                       "responses": {"200": {"description": "revoked"}, "401": _REFUSED}}},
        "/api/v1/control": {"post": {
            "summary": "one control request to this node's vigild (what the CLI sends to its "
                       "local socket): {\"op\": ..., fields}; its reply as vigild gave it",
            "security": _TOKEN,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"type": "object", "required": ["op"],
                           "properties": {"op": {"enum": [
                               "cib", "status", "replace", "cleanup", "attribute",
                               "attribute-query", "attribute-update", "node-list", "fence",
                               "confirm", "fence-history", "quorum", "forget-node",
                               "ticket"]}}}}}},
            "responses": {"200": {"description": "vigild's reply (ok or refused)",
                                  "content": {"application/json": {"schema": _REPLY}}},
                          "400": _REFUSED, "401": _REFUSED,
                          "502": {"description": "vigild not running or not answering",
                                  "content": {"application/json": {"schema": _REPLY}}}}}},
        "/api/v1/node/{op}": {"post": {
            "summary": "this node's part of a whole-cluster command (`cluster setup` of "
                       "authenticated nodes, `cluster start|stop|enable|disable|destroy --all`, "
                       "`cluster node add|remove`, `quorum device add|remove`; qnetd-ca and "
                       "qnetd-sign are asked of the quorum device's host)",
            "security": _TOKEN,
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
                          "400": _REFUSED, "401": _REFUSED}}},
        "/api/v1/status": {"get": {
            "summary": "the cluster's status as `vigil status --output json` shows it",
            "security": _TOKEN,
            "responses": {"200": {"description": "nodes, resources, attributes, failures, "
                                                 "fencing"},
                          "401": _REFUSED, "503": _REFUSED}}},
        "/api/v1/cib": {"get": {"summary": "the CIB: its XML and version (for compare-and-swap)",
                                "security": _TOKEN, "responses": _READ}},
        "/api/v1/resources": {"post": _change(
            "create a resource (`vigil resource create`)",
            {"id": _STR, "agent": _STR, "params": _PAIRS, "meta": _PAIRS, "ops": _OPS,
             "group": _STR, "before": _STR, "after": _STR, "disabled": _BOOL, "force": _BOOL,
             "no_default_ops": _BOOL, "stonith": _BOOL}, ["id", "agent"])},
        "/api/v1/resources/{id}": {
            "get": {"summary": "a resource's settings: agent, params, meta, operations (or a "
                               "group's or clone's members)", "security": _TOKEN,
                    "parameters": _ID, "responses": _READ},
            "patch": _change("change a resource's params, meta and ops (an empty value "
                             "removes one)", {"params": _PAIRS, "meta": _PAIRS, "ops": _OPS,
                                              "force": _BOOL}, [], _ID),
            "delete": _change("delete a resource (and what refers to it)", {}, [], _ID)},
        "/api/v1/resources/{id}/explain": {"get": {
            "summary": "why the resource is where it is (`vigil explain`)", "security": _TOKEN,
            "parameters": _ID, "responses": _READ}},
        "/api/v1/resources/{id}/{action}": {"post": _change(
            "enable, disable, cleanup ({node}), move ({node, lifetime, promoted, force}), ban "
            "({node, lifetime, promoted}) or clear ({node}) a resource; clone or promotable "
            "({clone_id, meta, force}) or unclone it",
            {"node": _STR, "lifetime": _STR, "promoted": _BOOL, "force": _BOOL,
             "clone_id": _STR, "meta": _PAIRS}, [],
            [*_ID, _path_enum("action", ["enable", "disable", "cleanup", "move", "ban",
                                         "clear", "clone", "promotable", "unclone"])])},
        "/api/v1/groups": {"post": _change(
            "put resources into a group, created if needed (`vigil resource group add`)",
            {"id": _STR, "resources": _NAMES, "before": _STR, "after": _STR},
            ["id", "resources"])},
        "/api/v1/groups/{id}/remove": {"post": _change(
            "take resources out of a group (they stay configured)", {"resources": _NAMES},
            ["resources"], _ID)},
        "/api/v1/groups/{id}": {"delete": _change(
            "ungroup: the group goes, its members stay", {}, [], _ID)},
        "/api/v1/fencing/levels": {
            "get": {"summary": "the fencing topology (`vigil stonith level`)",
                    "security": _TOKEN, "responses": _READ},
            "post": _change("add a fencing level: devices that together fence a node",
                            {"level": {"type": "integer", "minimum": 1, "maximum": 9},
                             "node": _STR, "devices": _NAMES, "force": _BOOL},
                            ["level", "node", "devices"])},
        "/api/v1/fencing/levels/{level}": {"delete": _change(
            "remove fencing level LEVEL (of {node} only, when given)", {"node": _STR}, [],
            [{"name": "level", "in": "path", "required": True, "schema": _STR}])},
        "/api/v1/quorum": {"get": {
            "summary": "this node's quorum as its Corosync sees it (`vigil quorum status`)",
            "security": _TOKEN, "responses": _READ}},
        "/api/v1/constraints": {"get": {
            "summary": "every constraint: id, kind, resources and one line saying it",
            "security": _TOKEN, "responses": _READ}, "post": _change(
            "add a constraint: location {resource, node, score, id}, colocation {source, "
            "target, score}, order {first, then, first_action, then_action}",
            {"kind": {"enum": ["location", "colocation", "order"]}, "id": _STR,
             "resource": _STR, "node": _STR, "score": _STR, "source": _STR, "target": _STR,
             "first": _STR, "then": _STR, "first_action": _STR, "then_action": _STR,
             "force": _BOOL}, ["kind"])},
        "/api/v1/constraints/{id}": {
            "delete": _change("remove a constraint", {}, [], _ID),
            "patch": _change("change a location's or colocation's score, or an order's kind "
                             "(Mandatory, Optional, Serialize)", {"score": _STR}, ["score"], _ID)},
        "/api/v1/properties": {"get": {
            "summary": "the cluster properties set (`vigil property config`)",
            "security": _TOKEN, "responses": _READ}, "put": {
            **_change("set cluster properties (an empty value unsets one)",
                      {"force": _BOOL}, []),
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "additionalProperties": {"type": "string"}}}}}}},
        "/api/v1/properties/{name}": {"delete": _change(
            "unset a cluster property", {"force": _BOOL}, [],
            [{"name": "name", "in": "path", "required": True, "schema": _STR}])},
        "/api/v1/nodes/{node}/{action}": {"post": _change(
            "standby, unstandby, maintenance or unmaintenance a node", {}, [],
            [{"name": "node", "in": "path", "required": True, "schema": _STR},
             _path_enum("action", ["standby", "unstandby", "maintenance", "unmaintenance"])])},
        "/api/v1/agents": {"get": {
            "summary": "the resource agents installed on this node (`vigil resource agents`)",
            "security": _TOKEN, "responses": _READ}},
        "/api/v1/agents/{agent}": {"get": {
            "summary": "one agent's metadata: parameters (required, default, description) "
                       "and actions (`vigil resource describe`)", "security": _TOKEN,
            "parameters": [{"name": "agent", "in": "path", "required": True, "schema": _STR}],
            "responses": _READ}},
        "/api/v1/whatif": {"post": {
            "summary": "what the cluster would do if nodes failed, went to standby or a "
                       "resource moved: the scheduler's answer on a copy of the CIB, nothing "
                       "applied", "security": _TOKEN,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "fail": {"type": "array", "items": _STR},
                    "standby": {"type": "array", "items": _STR},
                    "moves": {"type": "array", "items": {
                        "type": "object", "required": ["resource", "node"],
                        "properties": {"resource": _STR, "node": _STR,
                                       "promoted": _BOOL}}}}}}}},
            "responses": _READ}},
        "/api/v1/history": {"get": {
            "summary": "the last transitions, newest first: trigger, actions, outcome and "
                       "timeline, from this node's events log", "security": _TOKEN,
            "parameters": [{"name": "limit", "in": "query", "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": _READ}},
        "/ui/login": {"post": {
            "summary": "the web UI's login: the hacluster password (as for `vigil host auth`); "
                       "the token goes into an HttpOnly, Secure, SameSite=Strict cookie, "
                       "vigil_session, that the API takes in place of a bearer token (a change "
                       "sent with it must carry the header X-Vigil-UI: 1)",
            "security": [{}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["username", "password"],
                "properties": {"username": _STR, "password": _STR}}}}},
            "responses": {"200": {"description": "logged in: the cookie is set"},
                          "400": _REFUSED, "401": _REFUSED}}},
        "/ui/logout": {"post": {"summary": "end the web UI's session (its token is revoked)",
                                "security": _TOKEN,
                                "responses": {"200": {"description": "logged out"},
                                              "401": _REFUSED}}},
        "/ui/stream": {"get": {
            "summary": "server-sent events for the web UI: `status` (the status document, each "
                       "time it changes) and `log` (the last lines of this node's events log, "
                       "then each new one)", "security": _TOKEN,
            "responses": {"200": {"description": "text/event-stream"}, "401": _REFUSED}}},
        "/api/v1/openapi.json": {"get": {"summary": "this document", "security": [{}],
                                         "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
}
