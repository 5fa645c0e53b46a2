"""The remote endpoint's HTTP side (aiohttp): health checks for load balancers and `/metrics`
for Prometheus, both answered from the node's latest status snapshot (snapshots.StatusCache).

    GET /health, /running/RSC, /promoted/RSC, /unpromoted/RSC   (no token: load balancers)
    GET /metrics                                                (Prometheus text format)

The answers' content is the pure cores' (health.health, metrics.exposition); this module only
turns them into HTTP. The REST API and its tokens come on top of this application."""

from __future__ import annotations

import dataclasses
import json

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from vigil.api import health as health_core
from vigil.api import metrics
from vigil.api.snapshots import StatusCache

CACHE_KEY = web.AppKey("status_cache", StatusCache)
NODE_KEY = web.AppKey("local_node", str)


def build_app(cache: StatusCache, local_node: str) -> web.Application:
    app = web.Application()
    app[CACHE_KEY] = cache
    app[NODE_KEY] = local_node
    app.router.add_get("/health", _health)
    for check in ("running", "promoted", "unpromoted"):
        app.router.add_get(f"/{check}/{{resource}}", _health)
    app.router.add_get("/metrics", _metrics)
    return app


async def _health(request: web.Request) -> web.Response:
    snap = request.app[CACHE_KEY].latest
    answer = health_core.health(snap.status, request.app[NODE_KEY], request.path)
    body = json.dumps(dataclasses.asdict(answer.body)) + "\n"
    return web.Response(status=int(answer.status), text=body, content_type="application/json")


async def _metrics(request: web.Request) -> web.Response:
    snap = request.app[CACHE_KEY].latest
    data = metrics.exposition(snap.status if snap.error is None else snap.error,
                              local_node=request.app[NODE_KEY])
    # CONTENT_TYPE_LATEST carries its own charset parameter: set the header as it is
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})
