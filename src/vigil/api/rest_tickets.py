"""Tickets over REST: this site's state of each ticket (`vigil ticket`, commands.ticket).

    GET    /api/v1/tickets                      every ticket: granted, standby, who needs it
    POST   /api/v1/tickets/TICKET/CHANGE        grant, revoke, standby, activate ({"force"})
    DELETE /api/v1/tickets/TICKET               forget this site's state of it ({"force"})

A ticket's state is the cluster's status, not its configuration: the change is vigild's
(control.SetTicket, on every replica), so a user the ACLs restrict needs what vigild wants for
that request (write on the ticket's state), and `version`, when sent, is checked once before.
The constraints that need a ticket are POST /api/v1/constraints {"kind": "ticket"} (api.rest).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from vigil.api import openapi_parts as doc
from vigil.api import rest_support as support
from vigil.api.rest_support import Body
from vigil.commands import ticket
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.daemon import control as c
from vigil.model.status import TicketChange

# removing is DELETE on the ticket: the path's changes are the others
_PATH_CHANGES = {t.value: t for t in TicketChange if t is not TicketChange.REMOVE}


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/tickets", _tickets)
    app.router.add_post("/api/v1/tickets/{ticket}/{change}", _change)
    app.router.add_delete("/api/v1/tickets/{ticket}", _remove)


async def _tickets(request: web.Request) -> web.Response:
    return await support.read(request, lambda env: {"tickets": ticket.tickets(env)})


async def _changed(request: web.Request, name: str, change: TicketChange) -> web.Response:
    def command(env: CibEnvironment, b: Body) -> Applied:
        return ticket.change_ticket(env, name, change, force=b.flag("force"))

    return await support.act(request, command, support.applied_answer,
                             control=lambda b: c.SetTicket(name, change.value))


async def _change(request: web.Request) -> web.Response:
    word = request.match_info["change"]
    change = _PATH_CHANGES.get(word)
    if change is None:
        return support.bad(f"no ticket change '{word}' ({', '.join(_PATH_CHANGES)}; DELETE "
                           "the ticket to remove its state)")
    return await _changed(request, request.match_info["ticket"], change)


async def _remove(request: web.Request) -> web.Response:
    return await _changed(request, request.match_info["ticket"], TicketChange.REMOVE)


_TICKET = doc.path("ticket")
PATHS: dict[str, Any] = {
    "/api/v1/tickets": {"get": doc.read(
        "every ticket this site knows: granted, standby, last granted, the constraints that "
        "need it (`vigil ticket list`)")},
    "/api/v1/tickets/{ticket}/{change}": {"post": doc.act(
        "grant, revoke, put in standby or activate this site's ticket (`vigil ticket "
        "CHANGE`); revoking one that resources need applies their loss-policy: refused "
        "(TICKET_REVOKE_STOPS) unless forced", {"force": doc.BOOL}, [],
        [_TICKET, doc.path_enum("change", list(_PATH_CHANGES))])},
    "/api/v1/tickets/{ticket}": {"delete": doc.act(
        "forget this site's state of the ticket, as if never granted (`vigil ticket remove`)",
        {"force": doc.BOOL}, [], [_TICKET])},
}
