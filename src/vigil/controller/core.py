"""`step(state, event, now) -> (state, effects)`: every decision of a node's daemon.

Pure: no I/O, no clock of its own, no asyncio. The shell (vigil.daemon.vigild) feeds events in
order and applies the effects in order. Where each rule lives:

- sync: view changes, Hello/Sync, re-hello, the join, the DC's node states;
- replica: how a delivered message changes the replicated CIB;
- planning: when the DC plans, probes, the transition in graph order, the recheck timer;
- fencing: fencing requests, delays, retries, results;
- local: operations the DC asks of this node, its monitors, their results.
"""

from __future__ import annotations

import dataclasses

from vigil.controller import attributes, fencing, local, planning, replica, sync
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.controller.state import State


def step(state: State, event: ev.Event, now: float) -> tuple[State, tuple[fx.Effect, ...]]:
    s = Step(state, now)
    if isinstance(event, ev.ViewChanged):
        sync.on_view(s, event)
    elif isinstance(event, ev.QuorumChanged):
        sync.on_quorum(s, event)
    elif isinstance(event, ev.Delivered):
        replica.on_message(s, event.sender, event.message)
    elif isinstance(event, ev.OperationFinished):
        local.on_finished(s, event.request, event.outcome)
    elif isinstance(event, ev.MonitorChanged):
        local.on_monitor(s, event.outcome)
    elif isinstance(event, ev.FenceFinished):
        fencing.on_finished(s, event)
    elif isinstance(event, ev.TimerFired):
        if event.timer is ev.Timer.RESYNC:
            sync.on_resync_timer(s)
        elif event.timer is ev.Timer.ATTRIBUTES:
            attributes.on_timer(s)
        else:
            planning.on_recheck(s)
    elif isinstance(event, ev.PlanDue):
        planning.on_plan_due(s)
    elif isinstance(event, ev.ConfigPushRequested):
        s.send(m.ConfigReplace(event.request_id, s.state.me, event.read_version, event.cib_xml))
    elif isinstance(event, ev.CleanupRequested):
        _cleanup(s, event)
    elif isinstance(event, ev.ForgetNodeRequested):
        _forget(s, event)
    elif isinstance(event, ev.TicketRequested):
        s.send(m.TicketUpdate(event.request_id, s.state.me, event.ticket, event.change,
                              int(s.now)))
    elif isinstance(event, ev.FenceRequested):
        fencing.on_requested(s, event)
    elif isinstance(event, ev.AttributeRequested):
        attributes.on_requested(s, event)
    elif isinstance(event, ev.ConfigAttributeRequested):
        attributes.on_config_requested(s, event)
    elif isinstance(event, ev.LeaveRequested):
        # A clean shutdown: the others record this node as expected down, nobody fences it.
        s.send(m.Leaving(str(s.state.me), s.state.name_of(s.state.me)))
    return s.state, tuple(s.effects)


def _cleanup(s: Step, e: ev.CleanupRequested) -> None:
    node_id = None
    if e.node is not None:
        nid = s.state.node_id_of(e.node)
        node_id = str(nid) if nid is not None else e.node
    s.send(m.Cleanup(e.request_id, s.state.me, e.resource, node_id))


def _forget(s: Step, e: ev.ForgetNodeRequested) -> None:
    nid = s.state.node_id_of(e.node)
    if nid is None and e.node.isdigit() and any(n.id == e.node for n in s.state.cib.status):
        nid = int(e.node)
    if nid is None:
        s.effects.append(fx.Answer(e.request_id, False, code="NODE_UNKNOWN"))
    elif nid in s.state.view.members:
        s.effects.append(fx.Answer(e.request_id, False, code="NODE_IS_MEMBER"))
    else:
        s.send(m.ForgetNode(e.request_id, s.state.me, str(nid), s.state.name_of(nid)))


def wants_plan(state: State) -> bool:
    return state.plan_wanted


def with_names(state: State, names: dict[int, str]) -> State:
    """The cluster layer's node names, known before the first view."""
    return dataclasses.replace(state, names={**state.names, **names})
