"""The DC's part: when to plan, probes first, then the scheduler's transition, executed in graph
order; re-planning whenever the world changes under it, until the cluster converges."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import fencing
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.controller.graph import GraphAction, build_graph, is_post_notification
from vigil.controller.operations import Operation, to_run
from vigil.controller.remote import router_of
from vigil.controller.state import State
from vigil.model.cib import Cib
from vigil.model.durations import parse_interval_ms
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Task, Transition

DEFAULT_RECHECK_MS = 15 * 60_000
_UNSYNCED = "view not in step"
_PENDING = "waiting for operations running at the join"


def why_not_plan(st: State) -> str | None:
    """Why the DC cannot plan now (None: it can)."""
    if not st.is_dc:
        return "not the DC"
    if not st.view.synced:
        return _UNSYNCED
    if not set(st.view.members) <= st.view.joined:
        return "waiting for joins"
    if not st.view.states_applied:
        return "waiting for the node states of this view"  # membership and quorum as they are
    if st.view.pending:
        return _PENDING  # their results re-plan
    return None


def on_plan_due(s: Step) -> None:
    s.state = dataclasses.replace(s.state, plan_wanted=False)
    if not _held(s, why_not_plan(s.state)):
        return
    plan = s.state.plan
    if plan.transition is not None:
        # The recheck timer follows the CIB as it is now, not only as it was when the last
        # transition was computed: a failure recorded while a transition runs (its last-failure
        # written by attrd after the result) must be retried when its failure-timeout expires.
        s.effects.append(fx.SetTimer(ev.Timer.RECHECK,
                                     recheck_in(s.state.cib, plan.transition, s.now)))
    if plan.graph is not None and plan.aborted:
        # An aborted transition starts nothing new but the post-notifications of the steps it
        # took (a post-promote tells the replicas who their new primary is: losing it to the
        # abort an attribute change causes would leave them unconfigured); then plan again.
        _dispatch(s, allow=is_post_notification)
        if s.state.plan.graph is not None and s.state.plan.graph.running:
            return  # wait for what runs; results re-trigger planning
    elif plan.graph is not None and plan.graph.running:
        _dispatch(s)
        return  # wait for what runs; results re-trigger planning
    elif plan.graph is not None and not plan.graph.finished:
        _dispatch(s)
        return
    _end_if_finished(s)
    plan = s.state.plan
    if plan.probing:
        return  # their results re-plan
    transition = schedule(s.state.cib, int(s.now))
    if _probe(s, transition):
        return
    graph = build_graph(transition)
    plan = s.state.plan
    todo = [a for a in graph.actions.values() if not a.pseudo]
    plan = dataclasses.replace(plan, number=plan.number + 1, transition=transition,
                               graph=graph if todo else None, aborted=False)
    s.state = dataclasses.replace(s.state, plan=plan)
    s.effects.append(fx.SetTimer(ev.Timer.RECHECK, recheck_in(s.state.cib, transition, s.now)))
    if not todo:
        return  # nothing to do: the cluster is where it should be
    s.emit("transition-start", transition=s.state.transition_id(),
           actions=[f"fence {a.node}" if a.task == "stonith" else
                    f"{a.task} {a.resource} on {a.node}" for a in todo])
    _dispatch(s)


def _held(s: Step, reason: str | None) -> bool:
    """Log when the DC's planning starts or stops being held, and why: True if it may plan.
    What holds it is released by a message (a join, a result), so a hold that lasts names
    what never came."""
    plan = s.state.plan
    # a view out of step holds planning after every view change; its `synced` event says when
    # that ends, so only the holds after the sync are logged
    if reason is not None and s.state.is_dc and reason != plan.held and reason != _UNSYNCED:
        extra = ({"operations": sorted(f"{rsc} on {s.state.name_of(n)}"
                                       for n, rsc in s.state.view.pending)}
                 if s.state.view.pending and reason == _PENDING else {})
        s.emit("planning-held", reason=reason, **extra)
    elif reason is None and plan.held not in (None, _UNSYNCED):
        s.emit("planning-resumed", after=plan.held)
    held = reason if s.state.is_dc else None
    if held != plan.held:
        s.state = dataclasses.replace(s.state, plan=dataclasses.replace(plan, held=held))
    return reason is None


def on_recheck(s: Step) -> None:
    if s.state.is_dc:
        s.want_plan()


def recheck_in(cib: Cib, transition: Transition, now: float) -> float:
    """Seconds until the DC plans again with nothing new: the next failure expiry
    (failure-timeout) or cluster-recheck-interval, like Pacemaker's recheck timer."""
    raw = cib.cluster_option("cluster-recheck-interval")
    interval = (parse_interval_ms(raw) if raw else None) or DEFAULT_RECHECK_MS
    soonest = now + interval / 1000
    for expiry in failure_expiries(cib, transition):
        if expiry > now:
            soonest = min(soonest, expiry + 1)
    return max(0.5, soonest - now)


def failure_expiries(cib: Cib, transition: Transition) -> list[int]:
    """When each recorded failure stops counting: its last-failure time plus the resource's
    failure-timeout, as the scheduler resolved it (Allocation.failure_timeout_s)."""
    timeouts = {a.resource: a.failure_timeout_s for a in transition.allocations}
    # a clone's failures are recorded under the primitive's id (last-failure-pgsqld#start_0),
    # its instances are allocated as pgsqld:0, pgsqld:1...: their timeout is the primitive's
    for a in transition.allocations:
        base, sep, _n = a.resource.partition(":")
        if sep:
            timeouts[base] = max(timeouts.get(base, 0), a.failure_timeout_s)
    out = []
    for state in cib.status:
        for nvset in state.transient_attributes:
            for pair in nvset.pairs:
                if not pair.name.startswith("last-failure-") or not (pair.value or "").isdigit():
                    continue
                timeout = timeouts.get(pair.name[len("last-failure-"):].split("#")[0], 0)
                if timeout > 0:
                    out.append(int(pair.value or 0) + timeout)
    return out


def _probe(s: Step, transition: Transition) -> bool:
    """Ask every member about resources it has no history for (Pacemaker's probes), as the
    scheduler listed them; nothing is decided before their results are in."""
    st = s.state
    members = {str(n) for n in st.view.members}
    probing = set(st.plan.probing)
    sent = False
    for request in transition.probes:
        if request.node_id in members:
            nid, remote = int(request.node_id), None
        else:
            router = router_of(st, request.node)  # a remote node whose connection is up
            if router is None:
                continue
            nid, remote = router, request.node
        for probe in request.operations:
            key = f"{probe.resource}@{request.node_id}"
            if key in probing:
                continue
            probing.add(key)
            # the probe may find it running in either role: the node starts those of the role
            # found (controller.local)
            s.send(m.ExecRequest(transition="probe", action_key=key, node=nid,
                                 operation=to_run(probe, "probe", remote=remote),
                                 monitors=_on(_monitors(transition, probe.resource, Task.MONITOR,
                                                        Task.PROMOTE), remote)))
            sent = True
    s.state = dataclasses.replace(st, plan=dataclasses.replace(st.plan, probing=frozenset(probing)))
    return sent


def _monitors(transition: Transition, resource: str, *tasks: Task) -> tuple[Operation, ...]:
    """The recurring monitors that follow any of `tasks` (each once)."""
    out: list[Operation] = []
    for task in tasks:
        for mon in transition.monitors_after(resource, task):
            op = to_run(mon, "monitor")
            if op not in out:
                out.append(op)
    return tuple(out)


def _on(monitors: tuple[Operation, ...], remote: str | None) -> tuple[Operation, ...]:
    """The monitors as they run on a remote node (None: on the member itself)."""
    if remote is None:
        return monitors
    return tuple(dataclasses.replace(op, remote=remote) for op in monitors)


def _dispatch(s: Step, allow: Callable[[GraphAction], bool] | None = None) -> None:
    plan = s.state.plan
    if plan.graph is None or (plan.aborted and allow is None):
        return
    graph, ready = plan.graph.ready(allow)
    s.state = dataclasses.replace(s.state, plan=dataclasses.replace(plan, graph=graph))
    for action in ready:
        _send_action(s, action)
    _end_if_finished(s)


def _end_if_finished(s: Step) -> None:
    """A transition whose every action is done ends here, once: `transition-end` (what the
    events log and /metrics count), and the plan holds no graph any more. A transition ends
    when its last result arrives, which the planning that result asks for sees first."""
    plan = s.state.plan
    if plan.graph is not None and plan.graph.finished and not plan.aborted:
        s.emit("transition-end", transition=s.state.transition_id(),
               failed=sorted(plan.graph.failed))
        s.state = dataclasses.replace(s.state, plan=dataclasses.replace(plan, graph=None))


def _fail(s: Step, key: str) -> None:
    plan = s.state.plan
    assert plan.graph is not None
    s.state = dataclasses.replace(s.state, plan=dataclasses.replace(
        plan, graph=plan.graph.complete(key, False)))


def _send_action(s: Step, action: GraphAction) -> None:
    if action.task == "stonith" and action.node is not None:
        fencing.fence_for_transition(s, action.node)
        return
    st = s.state
    nid = st.node_id_of(action.node) if action.node is not None else None
    remote = None
    if nid is None and action.node is not None:
        nid = router_of(st, action.node)  # a remote node: through its connection's member
        remote = action.node if nid is not None else None
    op = action.operation
    if nid is None or op is None or st.plan.transition is None:
        _fail(s, action.key)
        return
    # the monitors of the role the action leaves the resource in; none after a stop or a
    # notification
    # (a migrate_from leaves it running on the target, as a start does)
    monitors = (_monitors(st.plan.transition, op.resource,
                          Task.START if op.task == Task.MIGRATE_FROM else op.task)
                if op.task in (Task.START, Task.PROMOTE, Task.DEMOTE, Task.MIGRATE_FROM) else ())
    s.send(m.ExecRequest(transition=st.transition_id(), action_key=action.key, node=nid,
                         operation=to_run(op, st.transition_id(), instance=action.resource,
                                          remote=remote),
                         monitors=_on(monitors, remote)))
