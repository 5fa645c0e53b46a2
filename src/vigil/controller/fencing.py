"""Fencing decisions: when the DC fences, with what delay, how often it retries, what a result
changes in every replica, and a client's fence or confirmation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence, Set

from vigil.cib import status_edit
from vigil.controller import alerts
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.controller.graph import fence_key
from vigil.controller.state import State
from vigil.model import reports
from vigil.model.durations import parse_interval_ms
from vigil.scheduler.options import read_options
from vigil.scheduler.transition import Allocation

MAX_FENCE_ATTEMPTS = 10  # stonith-max-attempts' default


def fence_for_transition(s: Step, target: str) -> None:
    """The transition's stonith action for `target`. It completes when a result for `target`
    is applied, whoever asked for it: a fence already in flight here (asked before a view
    change) is not asked twice, its result completes this action too."""
    st = s.state
    if target in st.fencing.in_flight:
        return
    if st.fencing.failures.get(target, 0) >= MAX_FENCE_ATTEMPTS:
        # Given up, as Pacemaker does after stonith-max-attempts: the action fails (so the
        # transition can end) and nothing is retried until something else changes.
        s.emit("fencing-gave-up", target=target, attempts=MAX_FENCE_ATTEMPTS)
        graph = st.plan.graph
        if graph is not None:
            graph = graph.complete(fence_key(target), False)
            s.state = dataclasses.replace(st, plan=dataclasses.replace(st.plan, graph=graph))
        return
    action = read_options(st.cib).stonith_action  # the scheduler's reading (poweroff is off)
    # why the scheduler found the node unclean, as Pacemaker logs it ("will be fenced because
    # peer is no longer part of the cluster"): a fence nobody expected is explained by its log
    s.emit("fencing-requested", target=target, action=action, reason=_fence_reason(st, target))
    _start(s, target, action, priority_delay(s, target), None)


def _fence_reason(st: State, target: str) -> str | None:
    transition = st.plan.transition
    nodes = transition.nodes if transition is not None else ()
    return next((n.fence_reason for n in nodes if n.name == target), None)


def _start(s: Step, target: str, action: str, delay_s: float, request_id: str | None) -> None:
    fencing = s.state.fencing
    s.state = dataclasses.replace(s.state, fencing=dataclasses.replace(
        fencing, in_flight=fencing.in_flight | {target}))
    s.effects.append(fx.Fence(target, action, delay_s, request_id))


def priority_delay(s: Step, target: str) -> float:
    """priority-fencing-delay: the node running the most important resources is fenced last, so
    in a two-node fence race it is the one that survives."""
    st = s.state
    raw = st.cib.cluster_option("priority-fencing-delay")
    delay_ms = parse_interval_ms(raw) if raw else 0
    transition = st.plan.transition
    if not delay_ms or transition is None:
        return 0.0
    members = {st.name_of(n) for n in st.view.members}
    cluster_nodes = [c.uname for c in st.cib.configuration.nodes if c.type in (None, "", "member", "normal")]
    applies = priority_delay_applies(target, transition.allocations, members, len(cluster_nodes))
    return delay_ms / 1000 if applies else 0.0


def priority_delay_applies(target: str, allocations: Sequence[Allocation], members: Set[str],
                           cluster_nodes: int) -> bool:
    """Whether priority-fencing-delay holds back the fencing of `target`: it is a lost member
    (not one fenced while still with us), this partition has no majority (a majority wins the
    race anyway: no reason to wait), the nodes' priorities are not all equal and `target`'s is
    the highest. A node's priority is the sum of the priorities of the primitives active on it,
    each promoted instance of a non-zero priority counting one more."""
    if target in members or 2 * len(members) > cluster_nodes:
        return False
    totals = dict.fromkeys(members | {target}, 0)
    for a in allocations:
        if a.kind != "primitive" or not a.priority:
            continue
        bonus = 1 if a.current_role == "Promoted" else 0
        for node in a.current_nodes:
            totals[node] = totals.get(node, 0) + a.priority + bonus
    return len(set(totals.values())) > 1 and totals[target] == max(totals.values())


def on_requested(s: Step, e: ev.FenceRequested) -> None:
    """`vigil stonith fence` or `vigil stonith confirm` on this node."""
    st = s.state
    nid = st.node_id_of(e.target)
    if nid is None:
        s.effects.append(fx.Answer(e.request_id, False, code="NODE_NOT_FOUND", reports=(
            reports.error("NODE_NOT_FOUND", node=e.target),)))
        return
    if e.manual:
        result = m.FenceResult(str(nid), e.target, e.action, True, "", "confirmed by an operator",
                               int(s.now), st.name_of(st.me), 0, True, st.view.ring)
        _publish(s, result)
        s.effects.append(fx.Answer(e.request_id, True, fence=result))
        return
    _start(s, e.target, e.action, 0.0, e.request_id)


def on_finished(s: Step, e: ev.FenceFinished) -> None:
    st = s.state
    fencing = st.fencing
    s.state = dataclasses.replace(st, fencing=dataclasses.replace(
        fencing, in_flight=fencing.in_flight - {e.target}))
    nid = st.node_id_of(e.target)
    out = e.outcome
    result = m.FenceResult(str(nid) if nid is not None else e.target, e.target, e.action, out.ok,
                           out.device, out.detail, int(s.now), st.name_of(st.me), out.duration_ms,
                           ring=st.view.ring)
    _publish(s, result)
    if e.request_id is not None:
        s.effects.append(fx.Answer(e.request_id, out.ok, fence=result,
                                   code=None if out.ok else "FENCE_FAILED"))


def _publish(s: Step, result: m.FenceResult) -> None:
    """Broadcast a result, and keep it until a replica applies it (see Fencing.unapplied)."""
    fencing = s.state.fencing
    s.state = dataclasses.replace(s.state, fencing=dataclasses.replace(
        fencing, unapplied=(*fencing.unapplied, result)))
    s.send(result)


def apply_result(s: Step, msg: m.FenceResult) -> None:
    """Every replica: record the result; on success the target is down and its history gone."""
    st = s.state
    fencing = st.fencing
    history = (*fencing.history, msg)
    failures = dict(fencing.failures)
    if msg.ok:
        failures.pop(msg.target, None)
    else:
        failures[msg.target] = failures.get(msg.target, 0) + 1
    s.state = dataclasses.replace(st, fencing=dataclasses.replace(
        fencing, history=history, failures=failures,
        unapplied=tuple(r for r in fencing.unapplied if r != msg)))
    s.effects.append(fx.PersistFenceHistory(history))
    s.emit("fencing", target=msg.target, action=msg.action, ok=msg.ok, device=msg.device,
           detail=msg.detail, executioner=msg.executioner, manual=msg.manual,
           duration_ms=msg.duration_ms)
    alerts.send(s, "fencing", alerts.fencing_fields(msg.target, msg.action, msg.ok,
                                                    msg.executioner, msg.detail))
    plan = s.state.plan
    in_transition = plan.graph is not None and fence_key(msg.target) in plan.graph.running
    if plan.graph is not None and in_transition:
        plan = dataclasses.replace(plan, graph=plan.graph.complete(fence_key(msg.target), msg.ok))
        s.state = dataclasses.replace(s.state, plan=plan)
    if not msg.ok:
        s.abort(f"fencing of {msg.target} failed")
        return
    nid = int(msg.target_id) if msg.target_id.isdigit() else None
    if nid in st.view.members and tuple(msg.ring) != st.view.ring:
        # The target is a member of this view, which formed after the result was made (a
        # result re-sent after a sync): it was fenced and is back with a fresh process. The
        # result goes into the history, but the node is up and must not leave.
        return
    cib = status_edit.set_node_state(s.state.cib, msg.target_id, msg.target, in_ccm=False,
                                     crmd=False, join="down", expected="down")
    cib = status_edit.clear_history(cib, msg.target_id, msg.target)
    s.set_cib(status_edit.bump_updates(status_edit.clear_transient(cib, msg.target_id)),
              persist=False)
    if in_transition:
        # The transition that asked for this fencing planned for its success (the target's
        # resources stopped by it): it goes on, as Pacemaker's does. Aborting it redid what it
        # had done already (a promotable clone's pre-promote notifications: seconds).
        s.want_plan()
    else:
        s.abort(f"{msg.target} was fenced")
    if msg.target_id == str(st.me) and not st.fenced_self:
        # We were fenced yet still run: stop everything and leave, as Pacemaker does.
        s.state = dataclasses.replace(s.state, fenced_self=True)
        s.effects.append(fx.StopEverythingAndLeave(msg.executioner))
