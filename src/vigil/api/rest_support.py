"""What every REST route shares (vigil.api.rest and the rest_* families it registers): reading
the request's body, answering with reports as data, and running a library command on the right
environment (the caller's version held, the token's user held to the ACLs).

Three ways to run a command:
- `apply`: one change of the configuration, pushed conditional on what it read; with the
  caller's `version`, on a CIB still at that version only (PinnedEnvironment). A user the ACLs
  restrict may push only what touches elements it may write (acl.CheckedEnvironment).
- `read`: a read, of the CIB as the user may read it (acl.ReadingEnvironment).
- `act`: what is not one pushed change: an act of the running cluster (a ticket's state,
  fencing), held to the ACLs as vigild's socket holds the control request it sends; or several
  changes in a row (restart, relocate), each pushed conditional on its own read. The caller's
  `version` is checked once, before anything is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TypeVar

from aiohttp import web

from vigil.api import acl
from vigil.commands import resource
from vigil.commands.agents import AgentCatalog
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment, LiveEnvironment
from vigil.commands.status_document import plain
from vigil.daemon import control as c
from vigil.daemon.control import encode_report
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError
from vigil.model.version import CibVersion
from vigil.words.messages import render_report

T = TypeVar("T")
EnvFactory = Callable[[], CibEnvironment]
ENV_KEY: web.AppKey[EnvFactory] = web.AppKey("rest_env")
CatalogFactory = Callable[[], AgentCatalog | None]
CATALOG_KEY: web.AppKey[CatalogFactory] = web.AppKey("rest_catalog")

CONFLICT_CODES = frozenset({"CIB_CHANGED_UNDERNEATH"})
UNAVAILABLE_CODES = frozenset({"DAEMON_NOT_RUNNING", "DAEMON_ACCESS_DENIED",
                               "DAEMON_UNREACHABLE", "DAEMON_ERROR", "CIB_NOT_READY",
                               "IPC_TIMEOUT", "NEEDS_RUNNING_CLUSTER",
                               "FENCING_NEEDS_RUNNING_CLUSTER"})
# an act the cluster tried and that did not succeed: not the caller's input (400), and some of
# it may have happened (a fence device ran, a resource stopped), so not "nothing changed"
FAILED_CODES = frozenset({"FENCE_FAILED", "RESTART_TIMEOUT", "RELOCATE_TIMEOUT"})


def default_env() -> CibEnvironment:
    return LiveEnvironment(timeout=60)


# -- the request's body ------------------------------------------------------------------------
class BadBody(ValueError):
    """A body that does not say what the route needs: one line, 400, nothing changed."""


@dataclass(frozen=True)
class Body:
    fields: Mapping[str, object]

    def text(self, name: str, default: str | None = None) -> str:
        value = self.fields.get(name, default)
        if not isinstance(value, str) or not value:
            raise BadBody(f"'{name}' must be a non-empty string")
        return value

    def opt_text(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is not None and (not isinstance(value, str) or not value):
            raise BadBody(f"'{name}' must be a non-empty string when given")
        return value

    def flag(self, name: str) -> bool:
        value = self.fields.get(name, False)
        if not isinstance(value, bool):
            raise BadBody(f"'{name}' must be true or false")
        return value

    def pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        """An object of name -> string value, in the order given."""
        value = self.fields.get(name, {})
        if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise BadBody(f"'{name}' must be an object of names to string values")
        return tuple(value.items())

    def some_pairs(self, name: str) -> tuple[tuple[str, str], ...]:
        """`pairs`, at least one (a change that names nothing to change is a mistake)."""
        found = self.pairs(name)
        if not found:
            raise BadBody(f"'{name}' must name at least one NAME: VALUE (an empty VALUE "
                          "removes NAME)")
        return found

    def ops(self, name: str = "ops") -> tuple[resource.OpSpec, ...]:
        value = self.fields.get(name, [])
        if not isinstance(value, list):
            raise BadBody(f"'{name}' must be a list of {{\"action\", \"options\"}}")
        out = []
        for item in value:
            if not isinstance(item, dict):
                raise BadBody(f"each of '{name}' is an object {{\"action\", \"options\"}}")
            one = Body(item)
            out.append(resource.OpSpec(one.text("action"), one.pairs("options")))
        return tuple(out)

    def names(self, name: str) -> tuple[str, ...]:
        """A non-empty list of non-empty strings (resource or device ids)."""
        value = self.fields.get(name)
        if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v for v in value):
            raise BadBody(f"'{name}' must be a non-empty list of names")
        return tuple(value)

    def opt_names(self, name: str) -> tuple[str, ...]:
        """A list of non-empty strings, perhaps empty or not given."""
        value = self.fields.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise BadBody(f"'{name}' must be a list of names")
        return tuple(value)

    def seconds(self, name: str, default: float, most: float) -> float:
        """A number of seconds from 1 to `most` (how long a command may wait)."""
        value = self.fields.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or \
                not 1 <= value <= most:
            raise BadBody(f"'{name}' is a number of seconds from 1 to {most:g}")
        return float(value)

    def version(self) -> CibVersion | None:
        value = self.fields.get("version")
        if value is None:
            return None
        parts = value.split(".") if isinstance(value, str) else []
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise BadBody("'version' is ADMIN_EPOCH.EPOCH.NUM_UPDATES, as GET /api/v1/cib gives")
        return CibVersion(*(int(p) for p in parts))


async def json_object(request: web.Request) -> dict[str, object] | None:
    """The request's body as a JSON object; None if it is not one (every route's reading of
    a body: the REST routes, auth and control in api.server)."""
    try:
        value = await request.json()
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def read_body(request: web.Request) -> Body:
    if not request.can_read_body:
        return Body({})
    value = await json_object(request)
    if value is None:
        raise BadBody("the body must be a JSON object")
    return Body(value)


# -- answers -----------------------------------------------------------------------------------
def report_json(report: Report) -> dict[str, object]:
    return {**encode_report(report), "message": render_report(report)}


def refused(found: tuple[Report, ...] | list[Report]) -> web.Response:
    codes = {r.code for r in found}
    status = (HTTPStatus.CONFLICT if codes & CONFLICT_CODES else
              HTTPStatus.FORBIDDEN if "ACL_DENIED" in codes else
              HTTPStatus.SERVICE_UNAVAILABLE if codes & UNAVAILABLE_CODES else
              HTTPStatus.BAD_GATEWAY if codes & FAILED_CODES else
              HTTPStatus.BAD_REQUEST)
    return web.json_response({"ok": False, "reports": [report_json(r) for r in found]},
                             status=int(status))


def bad(detail: str) -> web.Response:
    return refused([reports.error("REMOTE_BAD_REQUEST", detail=detail)])


def applied_answer(done: Applied) -> dict[str, object]:
    return {"ok": True, "changed": done.changed, "version": done.cib.version.dotted(),
            "reports": [report_json(r) for r in done.reports]}


# -- running a command -------------------------------------------------------------------------
class PinnedEnvironment:
    """The environment a change runs on when the caller sent the version it saw: the command
    reads the CIB only if its configuration is still at that version (compare-and-swap from
    the caller's read, not only from the command's own)."""

    def __init__(self, inner: CibEnvironment, expected: CibVersion) -> None:
        self.inner = inner
        self.expected = expected

    def get_cib(self) -> Cib:
        cib = self.inner.get_cib()
        if cib.version.as_tuple()[:2] != self.expected.as_tuple()[:2]:
            raise ReportError([reports.error("CIB_CHANGED_UNDERNEATH",
                                             read=self.expected.dotted(),
                                             now=cib.version.dotted())])
        return cib

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        return self.inner.push_cib(cib, read_version=read_version)

    def now(self) -> int:
        return self.inner.now()

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self.inner.warnings

    def cleanup(self, resource: str, node: str | None) -> None:
        """A cleanup changes the status only: no version to hold it to (status.cleanup asks
        the running cluster, as the CLI's does)."""
        cleanup = getattr(self.inner, "cleanup", None)
        if cleanup is None:
            raise ReportError([reports.error("NEEDS_RUNNING_CLUSTER", command="cleanup")])
        cleanup(resource, node)


Change = Callable[[CibEnvironment, Body], Applied]


async def apply(request: web.Request, change: Change, body: Body | None = None
                ) -> web.Response:
    """Run one change in a thread (the control client blocks) and answer it."""
    try:
        body = body if body is not None else await read_body(request)
        expected = body.version()
    except BadBody as exc:
        return bad(str(exc))
    env: CibEnvironment = request.app[ENV_KEY]()
    view = request.get(acl.VIEW_KEY)
    if view is not None:  # a user the ACLs restrict: each element it touches is checked
        env = acl.CheckedEnvironment(env, view)
    target: CibEnvironment = PinnedEnvironment(env, expected) if expected is not None else env
    try:
        done = await asyncio.to_thread(change, target, body)
    except BadBody as exc:
        return bad(str(exc))
    except ReportError as exc:
        return refused(exc.reports)
    return web.json_response(applied_answer(done))


async def read(request: web.Request, reader: Callable[[CibEnvironment], object]
               ) -> web.Response:
    env: CibEnvironment = request.app[ENV_KEY]()
    view = request.get(acl.VIEW_KEY)
    if view is not None:  # a user the ACLs restrict reads what they let it read
        env = acl.ReadingEnvironment(env, view)
    try:
        value = await asyncio.to_thread(reader, env)
    except ReportError as exc:
        return refused(exc.reports)
    return web.json_response({"ok": True, **plain(value)} if isinstance(plain(value), dict)
                             else {"ok": True, "value": plain(value)})


async def act(request: web.Request, command: Callable[[CibEnvironment, Body], T],
              answer: Callable[[T], dict[str, object]], *,
              control: Callable[[Body], c.Request] | None = None,
              body: Body | None = None) -> web.Response:
    """Run a command that is not one pushed change (see the module's docstring) and answer
    with `answer` of what it returned.

    `control`: the control request the command sends to vigild (of the body); a user the ACLs
    restrict needs what vigild would want of it (vigil.daemon.acl_gate), and the command runs
    on the environment as it is, since its effect is the request's, not a pushed CIB. Without
    it, the command's changes are pushed through acl.CheckedEnvironment, each checked."""
    try:
        body = body if body is not None else await read_body(request)
        expected = body.version()
        sent = control(body) if control is not None else None
    except BadBody as exc:
        return bad(str(exc))
    env: CibEnvironment = request.app[ENV_KEY]()
    view = request.get(acl.VIEW_KEY)

    def run() -> T:
        if expected is not None:  # held once, before: the command's own changes move it on
            PinnedEnvironment(env, expected).get_cib()
        if view is not None and sent is not None:
            refusal = acl.control_refusal(view, sent)
            if refusal is not None:
                raise ReportError(refusal.reports)
            return command(env, body)
        return command(acl.CheckedEnvironment(env, view) if view is not None else env, body)

    try:
        done = await asyncio.to_thread(run)
    except BadBody as exc:
        return bad(str(exc))
    except ReportError as exc:
        return refused(exc.reports)
    return web.json_response(answer(done))
