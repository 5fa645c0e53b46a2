"""Node attributes and utilization over REST (`vigil node attribute|utilization`, `vigil
resource utilization`: commands.node, commands.utilization). Both are configuration: a node's
permanent attributes and what it offers, what a primitive uses.

    GET    /api/v1/nodes/NODE/attributes            its permanent attributes
    PUT    /api/v1/nodes/NODE/attributes            {"attributes": {"NAME": "VALUE"}, "force"}
    DELETE /api/v1/nodes/NODE/attributes/NAME       {"force"}: refused if not set, unless forced
    GET    /api/v1/nodes/NODE/utilization           what it offers
    PUT    /api/v1/nodes/NODE/utilization           {"utilization": {"NAME": "INTEGER"}}
    GET    /api/v1/resources/ID/utilization         what the primitive (or each in it) uses
    PUT    /api/v1/resources/ID/utilization         {"utilization": {"NAME": "INTEGER"}}
    GET    /api/v1/utilization                      every node and primitive that has some

An empty VALUE removes NAME, as `NAME=` does on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.commands import node, utilization
from vigil.commands.env import CibEnvironment
from vigil.commands.utilization import Listing


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/nodes/{node}/attributes", _attributes)
    r.add_put("/api/v1/nodes/{node}/attributes", _attributes_set)
    r.add_delete("/api/v1/nodes/{node}/attributes/{name}", _attribute_unset)
    r.add_get("/api/v1/nodes/{node}/utilization", _node_utilization)
    r.add_put("/api/v1/nodes/{node}/utilization", _node_utilization_set)
    r.add_get("/api/v1/resources/{id}/utilization", _resource_utilization)
    r.add_put("/api/v1/resources/{id}/utilization", _resource_utilization_set)
    r.add_get("/api/v1/utilization", _utilization)


@dataclass(frozen=True)
class Named:
    """One node's or resource's names and values."""

    name: str
    values: dict[str, str]


def _named(found: Listing) -> tuple[Named, ...]:
    return tuple(Named(name, dict(pairs)) for name, pairs in found)


async def _attributes(request: web.Request) -> web.Response:
    name = request.match_info["node"]
    return await support.read(request, lambda env: {"attributes": dict(
        node.attributes(env, name)[0][1])})


async def _attributes_set(request: web.Request) -> web.Response:
    name = request.match_info["node"]
    return await support.apply(request, lambda env, b: node.set_attributes(
        env, name, b.some_pairs("attributes"), force=b.flag("force")))


async def _attribute_unset(request: web.Request) -> web.Response:
    name, attribute = request.match_info["node"], request.match_info["name"]
    return await support.apply(request, lambda env, b: node.set_attributes(
        env, name, ((attribute, ""),), force=b.flag("force")))


async def _node_utilization(request: web.Request) -> web.Response:
    name = request.match_info["node"]
    return await support.read(request, lambda env: {"utilization": dict(
        utilization.of_nodes(env, name)[0][1])})


async def _node_utilization_set(request: web.Request) -> web.Response:
    name = request.match_info["node"]
    return await support.apply(request, lambda env, b: utilization.set_node(
        env, name, b.some_pairs("utilization")))


async def _resource_utilization(request: web.Request) -> web.Response:
    rid = request.match_info["id"]
    return await support.read(request, lambda env: {"resources": _named(
        utilization.of_resources(env, rid))})


async def _resource_utilization_set(request: web.Request) -> web.Response:
    rid = request.match_info["id"]
    return await support.apply(request, lambda env, b: utilization.set_resource(
        env, rid, b.some_pairs("utilization")))


async def _utilization(request: web.Request) -> web.Response:
    def read(env: CibEnvironment) -> dict[str, object]:
        return {"nodes": _named(utilization.of_nodes(env)),
                "resources": _named(utilization.of_resources(env))}

    return await support.read(request, read)


_NODE = [doc.path("node")]
_VALUES: dict[str, Any] = {**doc.PAIRS, "minProperties": 1}
PATHS: dict[str, Any] = {
    "/api/v1/nodes/{node}/attributes": {
        "get": doc.read("the node's permanent attributes (`vigil node attribute NODE`)", _NODE),
        "put": doc.change("set the node's attributes; an empty value removes one (refused "
                          "if not set, unless forced)",
                          {"attributes": _VALUES, "force": doc.BOOL}, ["attributes"], _NODE)},
    "/api/v1/nodes/{node}/attributes/{name}": {"delete": doc.change(
        "remove a node attribute (refused if it is not set, unless forced)",
        {"force": doc.BOOL}, [], [*_NODE, doc.path("name")])},
    "/api/v1/nodes/{node}/utilization": {
        "get": doc.read("what the node offers (`vigil node utilization NODE`)", _NODE),
        "put": doc.change("set what the node offers (integers; an empty value removes one)",
                          {"utilization": _VALUES}, ["utilization"], _NODE)},
    "/api/v1/resources/{id}/utilization": {
        "get": doc.read("what the primitive uses, or each primitive in the group or clone "
                        "(`vigil resource utilization ID`)", doc.ID),
        "put": doc.change("set what a primitive uses (integers; an empty value removes one)",
                          {"utilization": _VALUES}, ["utilization"], doc.ID)},
    "/api/v1/utilization": {"get": doc.read(
        "every node and primitive with utilization (weighed when placement-strategy is not "
        "default)")},
}
