"""Tickets (rsc_ticket): resources that may run, or be promoted, only while this site holds a
ticket, and what happens to them when it does not.

A ticket with no ticket_state is not granted. When a needed ticket is not granted, the
constraint's loss-policy applies. On the Started role (the default) it acts on placement:

- stop (the default), demote: the resource may run nowhere, so it stops;
- fence: every node where the resource is active is fenced, and the resource stops;
- freeze: a resource active anywhere is left exactly as it is (not stopped, not moved, not
  started on more nodes); one that is not active may not start.

On the Promoted role it acts on promotion only (the instances keep running where placement puts
them), except stop, which stops the whole clone:

- demote: no instance may be promoted, so the promoted one is demoted;
- fence: the nodes where an instance is promoted are fenced, and none may be promoted;
- freeze: the promoted instances stay promoted where they are; no other may be promoted.

A granted ticket put in standby (so that it can be handed to another site cleanly) makes its
resources give up gracefully whatever the loss-policy: they stop, or, on the Promoted role,
demote; only loss-policy=stop still stops a promotable clone whole. Nothing is fenced or frozen.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vigil.model.score import INFINITY
from vigil.scheduler.working import Node, Role, Rsc, WorkingSet, parse_role

LOST_REASON = "deadman ticket was lost"  # the fence reason crm_simulate prints


@dataclass(frozen=True)
class TicketNeed:
    """One resource's need of one ticket, from one rsc_ticket (or one of its sets)."""

    constraint_id: str
    ticket: str
    rsc: Rsc
    role: Role
    loss_policy: str


def needs(ws: WorkingSet) -> Iterator[TicketNeed]:
    for c in ws.tickets:
        policy = (c.loss_policy or "stop").lower()
        if c.rsc is not None:
            pairs = [(c.rsc, c.rsc_role)]
        else:
            pairs = [(name, rs.role) for rs in c.sets for name in rs.resources]
        for name, role_text in pairs:
            rsc = ws.by_id.get(name)
            if rsc is None:
                continue
            role = parse_role(role_text) or Role.STARTED
            yield TicketNeed(c.id, c.ticket, rsc, role, policy)


def _effective_policy(ws: WorkingSet, need: TicketNeed) -> str | None:
    """The policy to apply now, or None while the ticket is granted and not in standby."""
    state = ws.ticket_states.get(need.ticket)
    granted = state is not None and state.granted
    standby = state is not None and state.standby
    if granted and not standby:
        return None
    if granted:  # standby: give up gracefully
        return "stop" if need.loss_policy == "stop" else "demote"
    return need.loss_policy


def _active_nodes(rsc: Rsc, role: Role) -> list[Node]:
    """Nodes where the resource is active in `role` (Promoted: only where it is promoted)."""
    nodes: list[Node] = []
    for prim in rsc.primitives():
        if role == Role.PROMOTED and prim.role != Role.PROMOTED:
            continue
        for node in prim.running_on:
            if node not in nodes:
                nodes.append(node)
    return nodes


def _ban(ws: WorkingSet, rsc: Rsc, detail: str) -> None:
    stack = [rsc]
    while stack:
        r = stack.pop()
        stack.extend(r.children)
        for node in ws.nodes:
            r.add_score(node.name, -INFINITY, "ticket", detail)


def _freeze(rsc: Rsc) -> None:
    stack = [rsc]
    while stack:
        r = stack.pop()
        stack.extend(r.children)
        r.managed = False


def _forbid_promotion(rsc: Rsc, detail: str, *, keep_promoted: bool) -> None:
    clone = rsc if rsc.promotable else rsc.clone_parent()
    if clone is not None and clone.promotable:
        clone.promotion_forbidden = detail
        clone.promotion_frozen = keep_promoted


def _fence_where_active(need: TicketNeed) -> None:
    for node in _active_nodes(need.rsc, need.role):
        node.unclean = True
        if node.fence_reason is None:
            node.fence_reason = LOST_REASON


def apply_tickets(ws: WorkingSet) -> None:
    """Before placement: fence, freeze, ban or forbid promotion for every ticket not held."""
    for need in needs(ws):
        policy = _effective_policy(ws, need)
        if policy is None:
            continue
        state = ws.ticket_states.get(need.ticket)
        held = "in standby" if state is not None and state.granted else "not granted"
        detail = f"ticket {need.ticket} is {held} (rsc_ticket {need.constraint_id})"
        if policy == "fence":
            _fence_where_active(need)
        if need.role == Role.PROMOTED and policy != "stop":
            _forbid_promotion(need.rsc, detail, keep_promoted=policy == "freeze")
        elif policy == "freeze" and _active_nodes(need.rsc, Role.STARTED):
            _freeze(need.rsc)
        else:
            _ban(ws, need.rsc, detail)
