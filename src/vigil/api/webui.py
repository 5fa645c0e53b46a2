"""The web UI's side of the remote endpoint: the page and its assets, the browser's login, and
the live feed the dashboard listens to.

    GET  /, /ui/                 the page (one HTML document, vigil's own script and style)
    GET  /ui/static/NAME         its assets, all in the package: no CDN, no outside request
    POST /ui/login               {"username", "password"} -> a session cookie
    POST /ui/logout              revokes the session's token, clears the cookie
    GET  /ui/stream              server-sent events: `status` (the status document, each time
                                 it changes: the endpoint reads it every half second, and at
                                 once when the events log gains a line) and
                                 `log` (the last lines of this node's events log, then each
                                 new one)

The session is one of the endpoint's tokens (the same store `vigil host auth` fills), kept in
an HttpOnly, Secure, SameSite=Strict cookie: the page's script never sees it. Everything the
page shows or does goes through the REST API, with the cookie instead of a bearer token; a
change sent with the cookie must also carry the X-Vigil-UI header, which a page of another
origin cannot add without the endpoint's consent (CORS), so a cross-site form cannot act.
"""

from __future__ import annotations

import asyncio
import json
import time
from importlib import resources
from pathlib import Path

from aiohttp import web

from vigil.api.events_follow import EventsTail
from vigil.api.snapshots import Snapshot
from vigil.commands.status_document import status_document

COOKIE = "vigil_session"
UI_HEADER = "X-Vigil-UI"
STREAM_TICK_S = 0.2  # how often the feed looks at the status snapshot and the log
KEEPALIVE_S = 15.0
BACKLOG_BYTES = 64 * 1024  # the log's tail a page starts from ...
BACKLOG_EVENTS = 30  # ... of which it is sent this many last lines
ASSETS = {"app.js": "text/javascript", "app.css": "text/css", "index.html": "text/html",
          "favicon.svg": "image/svg+xml"}
EVENTS_PATH_KEY = web.AppKey("ui_events_path", Path)
# the page and its assets: a document for people, not part of the API (not in OpenAPI)
PAGE_PATHS = frozenset({"/", "/ui", "/ui/", "/ui/static/{name}"})


def public(path: str, method: str) -> bool:
    """The paths a browser reaches before it has logged in: the page and its assets (no
    cluster data in them), and the login itself."""
    return (path in ("/", "/ui", "/ui/") or path.startswith("/ui/static/")
            or (path == "/ui/login" and method == "POST"))


def session_token(request: web.Request) -> str:
    return request.cookies.get(COOKIE, "")


def cross_site_refusal(request: web.Request) -> str | None:
    """Why a change carried by the session cookie is refused, or None: it must say it comes
    from the page (see the module's docstring)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.headers.get(UI_HEADER) == "1":
        return None
    return (f"a change made with the web UI's session must carry the header {UI_HEADER}: 1 "
            "(the page sends it; another site's page cannot)")


def add_routes(app: web.Application, events_log: Path) -> None:
    app[EVENTS_PATH_KEY] = events_log
    app.router.add_get("/", _root)
    app.router.add_get("/ui", _root)
    app.router.add_get("/ui/", _page)
    app.router.add_get("/ui/static/{name}", _asset)
    app.router.add_get("/ui/stream", _stream)


def _read_asset(name: str) -> bytes:
    return resources.files("vigil.api").joinpath("ui", name).read_bytes()


async def _root(request: web.Request) -> web.Response:
    raise web.HTTPFound("/ui/")


async def _page(request: web.Request) -> web.Response:
    return _asset_response("index.html")


async def _asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound(text=f"no asset '{name}'\n")
    return _asset_response(name)


def _asset_response(name: str) -> web.Response:
    return web.Response(body=_read_asset(name), content_type=ASSETS[name], headers={
        "Cache-Control": "no-cache",
        # the page runs only its own script and style, and talks only to this endpoint
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                   "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def login_response(token: str, node: str) -> web.Response:
    response = web.json_response({"ok": True, "node": node})
    response.set_cookie(COOKIE, token, httponly=True, secure=True, samesite="Strict", path="/")
    return response


def logout_response() -> web.Response:
    response = web.json_response({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


def _status_event(snap: Snapshot, node: str) -> dict[str, object]:
    if snap.status is not None:
        return {"ok": True, "node": node, **status_document(snap.status)}
    return {"ok": False, "node": node, "error": str(snap.error) if snap.error else "not read yet"}


async def _stream(request: web.Request) -> web.StreamResponse:
    from vigil.api.server import CACHE_KEY, SETTINGS_KEY

    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    cache = request.app[CACHE_KEY]
    node = request.app[SETTINGS_KEY].local_node
    # the page opens with the last lines of the log, then each new one
    tail = EventsTail(request.app[EVENTS_PATH_KEY], from_end=True, backlog_bytes=BACKLOG_BYTES)
    first = True
    sent: str | None = None
    seen: Snapshot | None = None
    beat = time.monotonic()
    try:
        while True:
            events, _ = await asyncio.to_thread(tail.poll)
            if first:
                events, first = events[-BACKLOG_EVENTS:], False
            elif events:
                # vigild logged something (a result, a membership): read the status now
                # rather than at the cache's next turn, so the page shows it at once
                await cache.refresh()
            snap = cache.latest
            if snap is not seen:  # a new read (every half second): is it a new status?
                seen = snap
                text = json.dumps(_status_event(snap, node), sort_keys=True)
                if text != sent:
                    await response.write(f"event: status\ndata: {text}\n\n".encode())
                    sent, beat = text, time.monotonic()
            for event in events:
                await response.write(f"event: log\ndata: {json.dumps(event)}\n\n".encode())
                beat = time.monotonic()
            if time.monotonic() - beat > KEEPALIVE_S:
                await response.write(b": keepalive\n\n")
                beat = time.monotonic()
            await asyncio.sleep(STREAM_TICK_S)
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the page went away
    return response
