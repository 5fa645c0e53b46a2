"""Tickets: the constraints that tie resources to a ticket (pcs's `constraint ticket ...`) and
this site's state of each ticket (Pacemaker's `crm_ticket`: grant, revoke, standby, activate).

A ticket's state is the cluster's status, not its configuration: on a running cluster a change
goes to vigild, which has every replica apply it alike (control.SetTicket); in a CIB file it is
written into the file's status section.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from vigil.cib import status_edit
from vigil.commands import edit
from vigil.commands.constraint import (
    Pairs,
    check_resource,
    checked_role,
    explicit_id,
    role_problems,
)
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.constraints import Constraint, ResourceSet, TicketConstraint
from vigil.model.reports import Report, ReportError
from vigil.model.status import TicketChange

LOSS_POLICIES = ("stop", "demote", "fence", "freeze")


@runtime_checkable
class TicketKeeper(Protocol):
    """What a running cluster's environment does to a ticket's state (the live one has it)."""

    def set_ticket(self, ticket: str, change: TicketChange) -> Cib: ...


@dataclass(frozen=True)
class TicketView:
    """One ticket as `vigil ticket list` shows it: its state and who needs it."""

    ticket: str
    granted: bool
    standby: bool
    last_granted: str | None
    needed_by: tuple[str, ...]  # the rsc_ticket ids that name it


# -- the constraints -------------------------------------------------------------------------
def _check_ticket_name(ticket: str) -> None:
    problem = edit.id_problem(ticket, "ticket")
    if problem:
        raise ReportError([problem])


def _loss_policy(values: dict[str, str]) -> str | None:
    policy = values.get("loss-policy")
    if policy is not None and policy.lower() not in LOSS_POLICIES:
        raise ReportError([reports.error("INVALID_OPTION_VALUE", option="loss-policy",
                                         value=policy, expected=", ".join(LOSS_POLICIES))])
    return policy.lower() if policy is not None else None


def _policy_problems(names: Sequence[str], role: str | None, policy: str | None
                     ) -> list[Report]:
    """loss-policy=demote only means something for the Promoted role of a promotable clone."""
    if policy == "demote" and role != "Promoted":
        return [reports.error("TICKET_DEMOTE_NEEDS_PROMOTED", resources=", ".join(names))]
    return []


def ticket_add(env: CibEnvironment, ticket: str, resource: str, *, role: str | None = None,
               options: Pairs = (), force: bool = False) -> Applied:
    """`constraint ticket add TICKET [ROLE] RSC [loss-policy=..] [id=..]`."""
    rsc_role = checked_role(role)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        _check_ticket_name(ticket)
        values = dict(options)
        _unknown_options(values, {"loss-policy", "id"}, "a ticket constraint")
        out = check_resource(cib, resource, force) + role_problems(cib, resource, rsc_role, force)
        policy = _loss_policy(values)
        out += _policy_problems([resource], rsc_role, policy)
        new = TicketConstraint(id="", ticket=ticket, rsc=resource, rsc_role=rsc_role,
                               loss_policy=policy)
        for c in cib.configuration.constraints:
            if isinstance(c, TicketConstraint) and dataclasses.replace(c, id="") == new:
                out.append(reports.unless_forced(force, "CONSTRAINT_DUPLICATE", id=c.id))
        taken = edit.used_ids(cib)
        if "id" in values:
            cid = explicit_id(cib, values["id"], taken)
        else:
            cid = edit.unique_id(taken, f"ticket-{ticket}-{resource}"
                                 + (f"-{rsc_role}" if rsc_role else ""))
        out.append(reports.info("CONSTRAINT_CREATED", id=cid))
        return _append(cib, dataclasses.replace(new, id=cid)), out

    return edit.apply(env, change)


def ticket_set(env: CibEnvironment, sets: Sequence[tuple[Sequence[str], Pairs]],
               options: Pairs, *, force: bool = False) -> Applied:
    """`constraint ticket set RSC... [role=R] [set RSC... [role=R]]... setoptions ticket=T
    [loss-policy=..] [id=..]`."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        values = dict(options)
        _unknown_options(values, {"ticket", "loss-policy", "id"}, "setoptions of a ticket set")
        ticket = values.get("ticket")
        if not ticket:
            raise ReportError([reports.error("TICKET_MISSING", where="setoptions")])
        _check_ticket_name(ticket)
        policy = _loss_policy(values)
        out: list[Report] = []
        taken = edit.used_ids(cib)
        cid = (explicit_id(cib, values["id"], taken) if "id" in values
               else edit.unique_id(taken, f"ticket_set_{'_'.join(r for rs, _ in sets for r in rs)}"))
        built: list[ResourceSet] = []
        for i, (names, set_options) in enumerate(sets):
            if not names:
                raise ReportError([reports.error("EMPTY_RESOURCE_SET")])
            set_values = dict(set_options)
            _unknown_options(set_values, {"role"}, "a resource set of a ticket constraint")
            role = checked_role(set_values.get("role"))
            for name in names:
                out += check_resource(cib, name, force) + role_problems(cib, name, role, force)
            out += _policy_problems(names, role, policy)
            built.append(ResourceSet(id=edit.unique_id(taken, f"{cid}-set-{i}"),
                                     resources=tuple(names), role=role))
            taken.add(built[-1].id)
        out.append(reports.info("CONSTRAINT_CREATED", id=cid))
        return _append(cib, TicketConstraint(id=cid, ticket=ticket, loss_policy=policy,
                                             sets=tuple(built))), out

    return edit.apply(env, change)


def ticket_remove(env: CibEnvironment, ticket: str, resource: str) -> Applied:
    """`constraint ticket remove TICKET RSC`: the ticket constraints of TICKET lose RSC (one
    naming it directly goes; a set loses it, and goes when empty)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        edit.require_resource(cib, resource)
        kept: list[Constraint] = []
        out: list[Report] = []
        for c in cib.configuration.constraints:
            if not isinstance(c, TicketConstraint) or c.ticket != ticket or \
                    resource not in edit.constraint_resources(c):
                kept.append(c)
                continue
            sets = tuple(dataclasses.replace(rs, resources=tuple(r for r in rs.resources
                                                                 if r != resource))
                         for rs in c.sets)
            sets = tuple(rs for rs in sets if rs.resources)
            if c.rsc == resource or not sets:
                out.append(reports.info("CONSTRAINT_REMOVED", id=c.id))
                continue
            kept.append(dataclasses.replace(c, sets=sets))
            out.append(reports.info("CONSTRAINT_CHANGED", id=c.id))
        if not out:
            raise ReportError([reports.error("TICKET_CONSTRAINT_NOT_FOUND", ticket=ticket,
                                             resource=resource)])
        return edit.with_config(cib, constraints=tuple(kept)), out

    return edit.apply(env, change)


def _append(cib: Cib, constraint: Constraint) -> Cib:
    return edit.with_config(cib, constraints=(*cib.configuration.constraints, constraint))


def _unknown_options(values: dict[str, str], allowed: set[str], where: str) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ReportError([reports.error("INVALID_OPTION", option=unknown[0], where=where,
                                         allowed=", ".join(sorted(allowed)))])


# -- the state -----------------------------------------------------------------------------------
def tickets(env: CibEnvironment) -> tuple[TicketView, ...]:
    """Every ticket the CIB knows: those with a state, and those only constraints name."""
    cib = env.get_cib()
    needed: dict[str, list[str]] = {}
    for c in cib.configuration.constraints:
        if isinstance(c, TicketConstraint):
            needed.setdefault(c.ticket, []).append(c.id)
    states = {t.id: t for t in cib.tickets}
    names = list(states) + [n for n in needed if n not in states]
    return tuple(TicketView(n, states[n].granted if n in states else False,
                            states[n].standby if n in states else False,
                            states[n].last_granted if n in states else None,
                            tuple(needed.get(n, ()))) for n in sorted(names))


def _losses(cib: Cib, ticket: str) -> list[str]:
    """What losing `ticket` does: each constraint on it with its resources and policy."""
    out = []
    for c in cib.configuration.constraints:
        if isinstance(c, TicketConstraint) and c.ticket == ticket:
            named = ", ".join(sorted(edit.constraint_resources(c)))
            out.append(f"{named} ({c.loss_policy or 'stop'})")
    return out


def change_ticket(env: CibEnvironment, ticket: str, change: TicketChange, *,
                  force: bool = False) -> Applied:
    """Grant, revoke, put in standby, activate or remove this site's state of `ticket`.

    Revoking (or removing) a granted ticket that constraints need applies their loss-policy
    (stop, demote, fence or freeze): refused without --force, naming what it would hit."""
    _check_ticket_name(ticket)
    cib = env.get_cib()
    state = next((t for t in cib.tickets if t.id == ticket), None)
    out: list[Report] = []
    if change in (TicketChange.REVOKE, TicketChange.REMOVE) and state is not None and \
            state.granted and _losses(cib, ticket):
        out.append(reports.unless_forced(force, "TICKET_REVOKE_STOPS", ticket=ticket,
                                         resources="; ".join(_losses(cib, ticket))))
    if change in (TicketChange.STANDBY, TicketChange.ACTIVATE, TicketChange.REVOKE) and \
            state is None and not _losses(cib, ticket):
        raise ReportError([reports.error("TICKET_NOT_FOUND", ticket=ticket)])
    edit.check(out)
    out.append(reports.info("TICKET_CHANGED", ticket=ticket, change=change.value))
    if isinstance(env, TicketKeeper):
        return Applied(env.set_ticket(ticket, change), True, tuple(out))

    def apply(current: Cib) -> tuple[Cib, list[Report]]:
        return status_edit.change_ticket(current, ticket, change, env.now()), out

    return edit.apply(env, apply)
