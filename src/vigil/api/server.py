"""The remote endpoint's HTTP side (aiohttp).

    GET  /health, /running/RSC, /promoted/RSC, /unpromoted/RSC   health checks (load balancers)
    GET  /metrics                                                Prometheus text format
    POST /api/v1/auth      {"username", "password"} -> {"token"}  (`vigil host auth`)
    DELETE /api/v1/auth    revoke the token sent
    POST /api/v1/control   one vigild control request -> its reply (`vigil --host`)
    POST /api/v1/node/OP   this node's part of a whole-cluster command (setup-check, receive,
                           start, stop, enable, disable, destroy: vigil.commands.node_ops)
    GET  /api/v1/status    what `vigil status --output json` shows
    GET  /api/v1/openapi.json
    GET  /ui/ ...          the web UI (api.webui): the page, its login and its live feed
    ...  /api/v1/cib, resources, constraints, properties, nodes: the REST API (api.rest)

Everything under /api/v1/ but the auth POST and the OpenAPI document needs a token
(`Authorization: Bearer TOKEN`); the health checks and /metrics need none unless the operator
asks (`--protect`). A request without a valid token gets 401 and nothing else.

The answers' content is the cores' (health.health, metrics.exposition, status_document, the
daemon's own replies); this module turns them into HTTP, checks tokens and logs every change a
remote caller asked for with who asked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from vigil.api import acl, metrics, openapi, rest, rest_support, webui
from vigil.api import health as health_core
from vigil.api.events_follow import EVENTS_LOG, EventsFollower
from vigil.api.snapshots import StatusCache
from vigil.api.tokens import TokenHolder, TokenStore
from vigil.cib.acl_check import UNRESTRICTED_USERS, AclView
from vigil.commands import node_ops
from vigil.commands.env import LiveEnvironment
from vigil.commands.localnode import LocalNode
from vigil.commands.runner import Runner
from vigil.commands.status_document import status_document
from vigil.daemon import control as c
from vigil.host import jsonlines
from vigil.host.passwords import NodePasswords, PasswordCheck
from vigil.model import reports

log = logging.getLogger("vigil.api")

# requests that only read: not logged (status polls would drown the changes)
READ_OPS = frozenset({c.GetCib.OP, c.GetStatus.OP, c.GetQuorum.OP, c.QueryAttribute.OP,
                      c.GetNodeList.OP, c.GetFenceHistory.OP})
FORWARD_TIMEOUT_S = 300.0  # above the longest request: a fence waits for its devices (150 s)
FAILED_AUTH_DELAY_S = 1.0  # a wrong password costs a guesser a second a try
PROTECTABLE = ("health", "metrics")


@dataclass(frozen=True)
class Settings:
    local_node: str
    control_socket: str
    protect: frozenset[str] = frozenset()  # of PROTECTABLE: checks that need a token here too
    failed_auth_delay_s: float = FAILED_AUTH_DELAY_S


CACHE_KEY = web.AppKey("status_cache", StatusCache)
SETTINGS_KEY = web.AppKey("settings", Settings)
TOKENS_KEY = web.AppKey("tokens", TokenStore)
PASSWORDS_KEY = web.AppKey("passwords", PasswordCheck)
HOLDER_KEY = web.RequestKey("token_holder", TokenHolder)  # set by the token check
NodeRunner = Callable[[node_ops.NodeRequest], Awaitable[node_ops.NodeAnswer]]
NODE_RUNNER_KEY: web.AppKey[NodeRunner] = web.AppKey("node_runner")  # how node ops are run
NODE_LOCK_KEY = web.AppKey("node_lock", asyncio.Lock)  # one node operation at a time
EVENTS_KEY: web.AppKey[EventsFollower | None] = web.AppKey("events")  # this node's events log
NODE_OP_TIMEOUT_S = 600.0  # above the longest: a stop's drain (its --wait) and two daemons'


async def run_node_op_process(request: node_ops.NodeRequest) -> node_ops.NodeAnswer:
    """The operation in a process of its own (node_ops.main: see there why)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "vigil.commands.node_ops", request.op.value,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True)
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(json.dumps(request.encode()).encode()), NODE_OP_TIMEOUT_S)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        out, err = b"", f"did not finish within {NODE_OP_TIMEOUT_S:g} s".encode()
    node = socket.gethostname()

    def failed(detail: str) -> node_ops.NodeAnswer:
        return node_ops.NodeAnswer(node, None, (reports.error(
            "REMOTE_NODE_OP_FAILED", node=node, op=request.op.value, detail=detail),))

    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        return failed(lines[-1] if lines else f"exit {proc.returncode}")
    try:
        return node_ops.NodeAnswer.decode(request.op, json.loads(out))
    except ValueError as exc:
        return failed(f"an answer that does not read: {exc}")


def in_thread_runner(host: LocalNode) -> NodeRunner:
    """Run operations in this process on `host` (tests: a node that is a directory)."""
    async def run(request: node_ops.NodeRequest) -> node_ops.NodeAnswer:
        return await asyncio.to_thread(node_ops.answer, host, request)

    return run

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(cache: StatusCache, local_node: str, *, control_socket: str = "",
              tokens: TokenStore | None = None, passwords: PasswordCheck | None = None,
              protect: Collection[str] = (), host: LocalNode | None = None,
              events: EventsFollower | None = None,
              failed_auth_delay_s: float = FAILED_AUTH_DELAY_S,
              tools: Runner | None = None,
              events_log: Path = EVENTS_LOG) -> web.Application:
    app = web.Application(middlewares=[_token_check], client_max_size=64 * 1024 * 1024)
    app[CACHE_KEY] = cache
    app[SETTINGS_KEY] = Settings(local_node, control_socket, frozenset(protect),
                                 failed_auth_delay_s)
    app[TOKENS_KEY] = tokens or TokenStore()
    app[PASSWORDS_KEY] = passwords or NodePasswords()
    app[NODE_RUNNER_KEY] = in_thread_runner(host) if host is not None else run_node_op_process
    app[NODE_LOCK_KEY] = asyncio.Lock()
    app[EVENTS_KEY] = events
    app.router.add_get("/health", _health)
    for check in ("running", "promoted", "unpromoted"):
        app.router.add_get(f"/{check}/{{resource}}", _health)
    app.router.add_get("/metrics", _metrics)
    app.router.add_post("/api/v1/auth", _auth)
    app.router.add_delete("/api/v1/auth", _deauth)
    app.router.add_post("/api/v1/control", _control)
    app.router.add_post("/api/v1/node/{op}", _node_op)
    app.router.add_get("/api/v1/status", _status)
    app.router.add_get("/api/v1/openapi.json", _openapi)
    rest.add_routes(app, lambda: LiveEnvironment(control_socket or None, timeout=60), tools,
                    events_log=events_log)
    app.router.add_post("/ui/login", _ui_login)
    app.router.add_post("/ui/logout", _ui_logout)
    webui.add_routes(app, events_log)
    return app


def build_plain_app(cache: StatusCache, local_node: str, *, serve: Collection[str] = PROTECTABLE,
                    events: EventsFollower | None = None) -> web.Application:
    """The health checks and /metrics (those of `serve`) alone, for a plain-HTTP port: load
    balancers and scrapers that do not speak TLS (ha_cluster_exporter serves plain HTTP). No
    token ever travels on it, so nothing that needs one is served there."""
    app = web.Application()
    app[CACHE_KEY] = cache
    app[SETTINGS_KEY] = Settings(local_node, "")
    app[EVENTS_KEY] = events
    if "health" in serve:
        app.router.add_get("/health", _health)
        for check in ("running", "promoted", "unpromoted"):
            app.router.add_get(f"/{check}/{{resource}}", _health)
    if "metrics" in serve:
        app.router.add_get("/metrics", _metrics)
    return app


def _needs_token(request: web.Request) -> bool:
    path = request.path
    protect = request.app[SETTINGS_KEY].protect
    if path == "/metrics":
        return "metrics" in protect
    if path == "/health" or path.startswith(("/running/", "/promoted/", "/unpromoted/")):
        return "health" in protect
    # everything else, unknown paths included: nothing is learnt without a token
    return not (path == "/api/v1/openapi.json"
                or (path == "/api/v1/auth" and request.method == "POST")
                or webui.public(path, request.method))


def bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _refusal(status: HTTPStatus, code: str, message: str, **fields: object) -> web.Response:
    """The endpoint's own refusal, in the control protocol's reply shape (so `vigil --host`
    decodes every answer the same way), with one line for people: the api is an edge."""
    body = c.encode_reply(c.refused(code, **fields))
    body["message"] = message
    return web.json_response(body, status=int(status))


@web.middleware
async def _token_check(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not _needs_token(request):
        return await handler(request)
    token = bearer(request)
    from_page = not token
    holder = request.app[TOKENS_KEY].holder(token or webui.session_token(request))
    if holder is None:
        return _refusal(HTTPStatus.UNAUTHORIZED, "REMOTE_TOKEN_REJECTED",
                        "no valid token: run 'vigil host auth NODE' and send the token it keeps "
                        "as 'Authorization: Bearer TOKEN' (or log in to the web UI)")
    refusal = webui.cross_site_refusal(request) if from_page else None
    if refusal is not None:
        return _refusal(HTTPStatus.FORBIDDEN, "REMOTE_UI_HEADER_MISSING", refusal)
    request[HOLDER_KEY] = holder
    view = await _acl_view(request, holder.user)
    if isinstance(view, web.Response):
        return view
    request[acl.VIEW_KEY] = view
    if view is not None:
        refused = acl.route_refusal(request, view)
        if refused is not None:
            log.info("refused by the ACLs: %s %s by %s", request.method, request.path,
                     holder.user)
            return refused
    return await handler(request)


async def _acl_view(request: web.Request, user: str) -> AclView | None | web.Response:
    """The ACL decisions for the token's user (None: unrestricted), or the refusal to answer
    when the CIB they depend on cannot be read."""
    if user in UNRESTRICTED_USERS:
        return None
    try:
        return await asyncio.to_thread(acl.view_of, user, request.app[rest_support.ENV_KEY]())
    except reports.ReportError as exc:
        return web.json_response(c.encode_reply(c.Refused(exc.reports)),
                                 status=int(HTTPStatus.SERVICE_UNAVAILABLE))


async def _health(request: web.Request) -> web.Response:
    snap = request.app[CACHE_KEY].latest
    answer = health_core.health(snap.status, request.app[SETTINGS_KEY].local_node, request.path)
    body = json.dumps(dataclasses.asdict(answer.body)) + "\n"
    return web.Response(status=int(answer.status), text=body, content_type="application/json")


async def _metrics(request: web.Request) -> web.Response:
    snap = request.app[CACHE_KEY].latest
    follower = request.app[EVENTS_KEY]
    tally = await asyncio.to_thread(follower.poll) if follower is not None else None
    data = metrics.exposition(snap.status if snap.error is None else snap.error,
                              local_node=request.app[SETTINGS_KEY].local_node, tally=tally)
    # CONTENT_TYPE_LATEST carries its own charset parameter: set the header as it is
    return web.Response(body=data, headers={"Content-Type": CONTENT_TYPE_LATEST})


async def _auth(request: web.Request) -> web.Response:
    token = await _issue(request)
    if isinstance(token, web.Response):
        return token
    return web.json_response({"ok": True, "token": token,
                              "node": request.app[SETTINGS_KEY].local_node})


async def _ui_login(request: web.Request) -> web.Response:
    """The web UI's login: the same check and token as `vigil host auth`, in a cookie."""
    token = await _issue(request)
    if isinstance(token, web.Response):
        return token
    return webui.login_response(token, request.app[SETTINGS_KEY].local_node)


async def _ui_logout(request: web.Request) -> web.Response:
    holder: TokenHolder = request[HOLDER_KEY]
    request.app[TOKENS_KEY].revoke(webui.session_token(request))
    log.info("auth: web session of %s ended from %s", holder.user, request.remote or "?")
    return webui.logout_response()


async def _issue(request: web.Request) -> str | web.Response:
    """A new token for the user and password in the body, or the refusal to answer."""
    settings = request.app[SETTINGS_KEY]
    body = await rest_support.json_object(request)
    user = body.get("username") if body else None
    password = body.get("password") if body else None
    if not isinstance(user, str) or not isinstance(password, str):
        return _refusal(HTTPStatus.BAD_REQUEST, "REMOTE_BAD_REQUEST",
                        'send a JSON object {"username": ..., "password": ...}')
    # PAM and scrypt block: in a thread, so health checks are answered meanwhile
    ok = await asyncio.to_thread(request.app[PASSWORDS_KEY].check, user, password)
    peer = request.remote or "?"
    if not ok:
        log.warning("auth refused: user %s from %s", user, peer)
        await asyncio.sleep(settings.failed_auth_delay_s)
        return _refusal(HTTPStatus.UNAUTHORIZED, "REMOTE_AUTH_FAILED",
                        f"user '{user}' and this password do not log in on "
                        f"{settings.local_node} (a member of the haclient group, with the "
                        "password set by 'passwd' or 'vigil host password')", user=user)
    token = request.app[TOKENS_KEY].issue(user, int(time.time()))
    log.info("auth: token issued to %s from %s", user, peer)
    return token


async def _deauth(request: web.Request) -> web.Response:
    holder: TokenHolder = request[HOLDER_KEY]
    request.app[TOKENS_KEY].revoke(bearer(request))
    log.info("auth: token of %s revoked from %s", holder.user, request.remote or "?")
    return web.json_response({"ok": True})


async def _control(request: web.Request) -> web.Response:
    """One control request, checked here as vigild would check it (a bad one never reaches
    vigild), forwarded to this node's vigild, its reply returned as it is."""
    settings = request.app[SETTINGS_KEY]
    holder: TokenHolder = request[HOLDER_KEY]
    obj = await rest_support.json_object(request)
    if obj is None:
        return _refusal(HTTPStatus.BAD_REQUEST, c.IPC_BAD_REQUEST,
                        "the body must be one JSON object: a control request",
                        detail="not a JSON object")
    try:
        req = c.decode_request(obj)
    except c.BadMessage as exc:
        return web.json_response(c.encode_reply(c.Refused((exc.report,))),
                                 status=int(HTTPStatus.BAD_REQUEST))
    view = request.get(acl.VIEW_KEY)
    if view is not None:
        refused = await asyncio.to_thread(acl.control_refusal, view, req)
        if refused is not None:
            log.info("control %s by %s from %s: refused by the ACLs", req.OP, holder.user,
                     request.remote or "?")
            return web.json_response(c.encode_reply(refused), status=int(HTTPStatus.FORBIDDEN))
    try:
        # what was checked is what goes: vigild checks it again (it trusts no client)
        reply = await asyncio.to_thread(jsonlines.exchange, settings.control_socket, obj,
                                        timeout=FORWARD_TIMEOUT_S)
    except (FileNotFoundError, ConnectionRefusedError):
        return _refusal(HTTPStatus.BAD_GATEWAY, "REMOTE_DAEMON_NOT_RUNNING",
                        f"vigild is not running on {settings.local_node}: start the cluster "
                        "there ('vigil cluster start')", node=settings.local_node)
    except (OSError, ValueError) as exc:
        return _refusal(HTTPStatus.BAD_GATEWAY, "REMOTE_DAEMON_UNREACHABLE",
                        f"vigild on {settings.local_node} did not answer ({exc})",
                        node=settings.local_node, detail=str(exc))
    if view is not None and isinstance(req, (c.GetCib, c.GetStatus)):
        reply = await asyncio.to_thread(acl.filtered_reply, reply, view)
    if req.OP not in READ_OPS:
        outcome = "done" if reply.get("ok") is True else "refused"
        sent = reply.get("reports")
        codes = [r.get("code") for r in sent if isinstance(r, dict)] if isinstance(sent, list) else []
        log.info("control %s by %s from %s: %s%s", req.OP, holder.user, request.remote or "?",
                 outcome, f" {codes}" if codes else "")
    return web.json_response(reply)


async def _node_op(request: web.Request) -> web.Response:
    """This node's part of a whole-cluster command, run as the CLI runs it on the node itself
    (one at a time: two setups or a start racing a stop on one node make no sense)."""
    holder: TokenHolder = request[HOLDER_KEY]
    body = await rest_support.json_object(request)
    try:
        if body is None:
            raise ValueError("the body must be one JSON object")
        req = node_ops.NodeRequest.decode(request.match_info["op"], body)
    except ValueError as exc:
        return _refusal(HTTPStatus.BAD_REQUEST, "REMOTE_BAD_REQUEST", str(exc), detail=str(exc))
    async with request.app[NODE_LOCK_KEY]:
        done = await request.app[NODE_RUNNER_KEY](req)
    codes = [r.code for r in done.reports]
    log.info("node %s by %s from %s: %s%s", req.op.value, holder.user, request.remote or "?",
             "done" if done.result is not None else "refused", f" {codes}" if codes else "")
    return web.json_response(done.encode())


async def _status(request: web.Request) -> web.Response:
    snap = request.app[CACHE_KEY].latest
    if snap.status is None:
        detail = str(snap.error) if snap.error else "not read yet"
        return _refusal(HTTPStatus.SERVICE_UNAVAILABLE, "REMOTE_NO_STATUS",
                        f"{request.app[SETTINGS_KEY].local_node} cannot read the cluster's "
                        f"status ({detail})", detail=detail)
    return web.json_response({"ok": True, **status_document(snap.status)})


async def _openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi.DOCUMENT)

