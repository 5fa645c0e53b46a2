"""The endpoint's side of the ACLs: a token's user held to the CIB's ACLs as vigild's socket
holds a local user (the endpoint itself talks to vigild as root, so the check is made here).

- POST /api/v1/control: the request's needs as on the socket (`vigil.daemon.acl_gate`); the
  CIB in a cib or status answer is what the user may read.
- The REST routes over the library commands: reads see the CIB as the user may read it; a
  change is pushed only if every element it adds, removes or changes is writable, a cleanup
  only with write on the resource; an act of the cluster (a ticket's state, fencing, the
  fencing history) needs what vigild's socket wants for the control request it sends.
- Every other route under /api/v1/ and the web UI's feed (status, history, explain, what-if,
  quorum, agents, node operations): read on the whole CIB for a GET, write on the whole CIB
  for anything else. Logging out is always allowed.
root and hacluster (the web UI's usual user) are never checked; nor anyone while enable-acl
is not true (one read of the CIB per request finds that out for other users).
"""

from __future__ import annotations

import dataclasses
from http import HTTPStatus

from aiohttp import web

from vigil.cib import acl_check
from vigil.cib.acl_check import AclView
from vigil.cib.read import parse_cib
from vigil.commands.env import CibEnvironment
from vigil.daemon import acl_gate
from vigil.daemon import control as c
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError
from vigil.model.version import CibVersion

VIEW_KEY: web.RequestKey[AclView | None] = web.RequestKey("acl_view")

# routes whose handlers apply the ACLs element by element (the rest need the whole CIB)
ELEMENT_ROUTES = frozenset({
    "/api/v1/control", "/api/v1/cib", "/api/v1/resources", "/api/v1/resources/{id}",
    "/api/v1/resources/{id}/{action}", "/api/v1/constraints", "/api/v1/constraints/{id}",
    "/api/v1/properties", "/api/v1/properties/{name}", "/api/v1/nodes/{node}/{action}",
    "/api/v1/groups", "/api/v1/groups/{id}/remove", "/api/v1/groups/{id}",
    "/api/v1/fencing/levels", "/api/v1/fencing/levels/{level}",
    # the families of api.rest_*: their commands run through api.rest_support, which applies
    # the ACLs element by element, or as vigild does for the control request a command sends
    "/api/v1/resources/{id}/ops", "/api/v1/resources/{id}/ops/{action}",
    "/api/v1/operations/{id}", "/api/v1/resources/{id}/restart", "/api/v1/failcounts",
    "/api/v1/relocate", "/api/v1/defaults/{kind}",
    "/api/v1/nodes/{node}/attributes", "/api/v1/nodes/{node}/attributes/{name}",
    "/api/v1/nodes/{node}/utilization", "/api/v1/resources/{id}/utilization",
    "/api/v1/utilization",
    "/api/v1/fencing/fence/{node}", "/api/v1/fencing/confirm/{node}", "/api/v1/fencing/history",
    "/api/v1/fencing/verify",
    "/api/v1/tickets", "/api/v1/tickets/{ticket}/{change}", "/api/v1/tickets/{ticket}",
    "/api/v1/tags", "/api/v1/tags/{id}",
    "/api/v1/alerts", "/api/v1/alerts/{id}", "/api/v1/alerts/{id}/recipients",
    "/api/v1/recipients/{id}",
    "/api/v1/acl", "/api/v1/acl/roles", "/api/v1/acl/roles/{id}",
    "/api/v1/acl/roles/{id}/permissions", "/api/v1/acl/roles/{id}/{assignment}",
    "/api/v1/acl/permissions/{id}", "/api/v1/acl/{holders}", "/api/v1/acl/{holders}/{id}",
})
ALWAYS = frozenset({("DELETE", "/api/v1/auth"), ("POST", "/ui/logout")})


def view_of(user: str, env: CibEnvironment) -> AclView | None:
    """The decisions for `user`, or None when nothing restricts it (blocking: reads the CIB
    unless the user is root or hacluster)."""
    who = acl_gate.principal_named(user)
    if who.unrestricted:
        return None
    view = AclView(env.get_cib(), who)
    return view if view.restricted else None


def route_refusal(request: web.Request, view: AclView) -> web.Response | None:
    """The refusal of a route that needs the whole CIB, or None."""
    route = request.match_info.route.resource
    canonical = route.canonical if route is not None else request.path
    if canonical in ELEMENT_ROUTES or (request.method, request.path) in ALWAYS:
        return None
    get = request.method in ("GET", "HEAD")
    need = acl_check.FULL_READ if get else acl_check.FULL_WRITE
    if view.allows(need):
        return None
    return denied_response(acl_gate.denied(view.who, f"{request.method} {request.path}",
                                           f"{'read' if get else 'write'} the whole CIB"))


def control_refusal(view: AclView, req: c.Request) -> c.Refused | None:
    """vigil.daemon.acl_gate's decision for a control request made for a token's user: one
    forwarded (POST /api/v1/control) or one a REST route's command sends (a ticket, fencing)."""
    nodes = {n.uname: n.id for n in view.cib.configuration.nodes}
    local = next(iter(nodes.values()), "")

    def node_id(name: str | None) -> str:
        return nodes.get(name, "") if name is not None else local

    try:
        new = parse_cib(req.config_xml)[0] if isinstance(req, c.ReplaceConfig) else None
    except ReportError as exc:
        return c.Refused(exc.reports)
    return acl_gate.refusal(view, req, node_id, new)


def denied_response(report: Report) -> web.Response:
    body = c.encode_reply(c.Refused((report,)))
    return web.json_response(body, status=int(HTTPStatus.FORBIDDEN))


def filtered_reply(reply: dict[str, object], user_view: AclView) -> dict[str, object]:
    """A cib or status answer with its CIB cut to what the user may read (the answer's own
    CIB, which may be newer than the one the request was checked on)."""
    xml = reply.get("xml")
    if reply.get("ok") is not True or not isinstance(xml, str):
        return reply
    cib, _ = parse_cib(xml)
    return {**reply, "xml": AclView(cib, user_view.who).readable_xml()}


class ReadingEnvironment:
    """A REST read: the CIB as the user may read it."""

    def __init__(self, inner: CibEnvironment, view: AclView) -> None:
        self.inner = inner
        self.view = view

    def get_cib(self) -> Cib:
        cib = self.inner.get_cib()
        return parse_cib(AclView(cib, self.view.who).readable_xml())[0]

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        raise ReportError([acl_gate.denied(self.view.who, "push", "a change on a read route")])

    def now(self) -> int:
        return self.inner.now()

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self.inner.warnings


class CheckedEnvironment:
    """A REST change: pushed only if the user may write every element it touches."""

    def __init__(self, inner: CibEnvironment, view: AclView) -> None:
        self.inner = inner
        self.view = view

    def get_cib(self) -> Cib:
        return self.inner.get_cib()

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        current = AclView(self.inner.get_cib(), self.view.who)
        found = current.replace_denials(dataclasses.replace(cib, status=(), tickets=()))
        if found:
            raise ReportError([acl_gate.denied(self.view.who, c.ReplaceConfig.OP, "; ".join(
                acl_check.describe(d) for d in found[:3]))])
        return self.inner.push_cib(cib, read_version=read_version)

    def now(self) -> int:
        return self.inner.now()

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self.inner.warnings

    def cleanup(self, resource: str, node: str | None) -> None:
        current = AclView(self.inner.get_cib(), self.view.who)
        if not current.allows(acl_check.resource_need(resource)):
            raise ReportError([acl_gate.denied(self.view.who, c.Cleanup.OP,
                                               f"write resource '{resource}'")])
        cleanup = getattr(self.inner, "cleanup", None)
        if cleanup is None:
            raise ReportError([reports.error("NEEDS_RUNNING_CLUSTER", command="cleanup")])
        cleanup(resource, node)
