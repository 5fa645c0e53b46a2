"""`vigil ticket ...` (this site's tickets, as Pacemaker's crm_ticket changes them) and
`vigil constraint ticket ...` (pcs's grammar for the constraints that need a ticket)."""

from __future__ import annotations

from vigil.cli import args, config_view, set_words
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import constraint, ticket
from vigil.model.status import TicketChange

USAGE = """\
usage: vigil [-f FILE] ticket [list]                 every ticket: granted, standby, who needs it
  grant TICKET                 this site holds TICKET: the resources that need it may run
  revoke TICKET [--force]      it does not: each constraint's loss-policy applies
                               (stop, demote, fence or freeze; --force when resources need it)
  standby TICKET               still held, but its resources stop (or demote) gracefully
  activate TICKET              out of standby
  remove TICKET [--force]      forget this site's state of TICKET (as never granted)
A ticket's state is the cluster's status: it is not kept over a restart of the whole cluster."""

CONSTRAINT_USAGE = """\
usage: vigil [-f FILE] constraint ticket [config]
  add TICKET [ROLE] RSC [loss-policy=stop|demote|fence|freeze] [id=ID]
  set RSC... [role=ROLE] [set RSC... [role=ROLE]]... setoptions ticket=TICKET
        [loss-policy=...] [id=ID]
  remove TICKET RSC            the ticket constraints of TICKET forget RSC
  delete ID | remove ID        (constraint remove ID works too)"""

_CHANGES = {c.value: c for c in TicketChange}


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help:
        print(USAGE)
        return EXIT_OK
    if not words or words[0] in ("list", "show", "status"):
        args.no_more(words[1:], words[0] if words else "ticket")
        inv.only()
        return _list(inv)
    sub, rest = words[0], words[1:]
    change = _CHANGES.get(sub)
    if change is None:
        raise UsageError(f"unknown ticket command '{sub}': give list, "
                         f"{', '.join(_CHANGES)}")
    args.need(rest, 1, "ticket name")
    args.no_more(rest[1:], sub)
    inv.only("force")
    return args.finish(inv, ticket.change_ticket(inv.env(), rest[0], change, force=inv.force))


def _list(inv: Invocation) -> int:
    found = ticket.tickets(inv.env())
    if inv.json:
        args.print_json(list(found))
        return EXIT_OK
    if not found:
        print("No tickets")
        return EXIT_OK
    for t in found:
        state = "granted" if t.granted else "revoked"
        if t.standby:
            state += ", standby"
        when = f" (last granted {t.last_granted})" if t.last_granted else ""
        needed = f"  needed by: {', '.join(t.needed_by)}" if t.needed_by else ""
        print(f"{t.ticket}\t{state}{when}{needed}")
    return EXIT_OK


def run_constraint(inv: Invocation, rest: list[str]) -> int:
    """`constraint ticket ...` (rest: the words after `ticket`)."""
    if inv.help:
        print(CONSTRAINT_USAGE)
        return EXIT_OK
    if not rest or rest[0] in ("show", "list", "config"):
        args.no_more(rest[1:], rest[0] if rest else "ticket")
        inv.only("full", "all")
        found = constraint.constraints(inv.env())
        if inv.json:
            args.print_json([c for c in found if type(c).__name__ == "TicketConstraint"])
            return EXIT_OK
        args.print_lines(config_view.ticket_lines(found, inv.full))
        return EXIT_OK
    sub, words = rest[0], rest[1:]
    inv.only("force")
    if sub == "add":
        plain = [w for w in words if "=" not in w]
        opts = args.pairs(w for w in words if "=" in w)
        if len(plain) == 3:
            name, role, rsc = plain
        elif len(plain) == 2:
            (name, rsc), role = plain, None
        else:
            raise UsageError("constraint ticket add TICKET [ROLE] RSC [options]")
        return args.finish(inv, ticket.ticket_add(inv.env(), name, rsc, role=role, options=opts,
                                                  force=inv.force))
    if sub == "set":
        return _set(inv, words)
    if sub in ("remove", "delete"):
        if len(words) == 2 and not all(w in _constraint_ids(inv) for w in words):
            return args.finish(inv, ticket.ticket_remove(inv.env(), words[0], words[1]))
        args.need(words, 1, "constraint id (or TICKET RSC)")
        return args.finish(inv, constraint.remove(inv.env(), words))
    raise UsageError(f"unknown constraint ticket command '{sub}'")


def _constraint_ids(inv: Invocation) -> set[str]:
    return {c.id for c in constraint.constraints(inv.env())}


def _set(inv: Invocation, words: list[str]) -> int:
    sets, options = set_words.parse_sets(words, "constraint ticket set")
    return args.finish(inv, ticket.ticket_set(inv.env(), sets, options, force=inv.force))
