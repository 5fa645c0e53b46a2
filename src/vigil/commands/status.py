"""The cluster's state as crm_mon shows it, read from a CIB; cleanup and restart of resources.

The state of nodes and resources is the scheduler's view of the CIB's status section (where
each resource runs now, in which role, whether it failed, its fail-counts). Failed actions are
the operation records whose result was not the expected one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vigil.cib import status_edit
from vigil.commands import edit
from vigil.commands import resource as resource_cmd
from vigil.commands.clone_shape import CloneShape as CloneShape
from vigil.commands.clone_shape import clone_shapes
from vigil.commands.edit import Applied, RunningCluster
from vigil.commands.env import CibEnvironment
from vigil.commands.fencing import FenceEvent
from vigil.model import ocf, reports
from vigil.model.cib import Cib
from vigil.model.constraints import Location
from vigil.model.nvset import flatten
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone, Group, walk
from vigil.model.status import NodeState
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Transition


@dataclass(frozen=True)
class FailedAction:
    resource: str
    node: str
    operation: str
    interval_ms: int
    rc_code: int
    op_status: int
    call_id: int
    exit_reason: str | None
    last_rc_change: int | None


@dataclass(frozen=True)
class NodeAttributes:
    """A node's attributes as crm_mon -A lists them: permanent and transient (a transient
    value wins), sorted by name, without those the status shows elsewhere (fail-counts,
    standby) or that belong to the cluster itself (#...)."""

    node: str
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class OperationDone:
    """One operation a node's history keeps, as crm_mon -o lists it."""

    resource: str
    operation: str
    interval_ms: int
    call_id: int
    rc_code: int
    last_rc_change: int | None


@dataclass(frozen=True)
class NodeOperations:
    node: str
    operations: tuple[OperationDone, ...]  # by resource, then call id


@dataclass(frozen=True)
class ClusterStatus:
    cluster_name: str | None
    dc: str | None
    have_quorum: bool
    nodes_configured: int
    resource_instances: int
    disabled: int
    stonith_devices: int
    transition: Transition
    failed_actions: tuple[FailedAction, ...]
    fencing: tuple[FenceEvent, ...] = ()  # the running cluster's fencing history (live only)
    clones: tuple[tuple[str, CloneShape], ...] = ()  # every clone's id and shape
    node_attributes: tuple[NodeAttributes, ...] = ()
    locations: tuple[Location, ...] = ()  # the configuration's location constraints
    operations: tuple[NodeOperations, ...] = ()  # each node's operation history (status --full)


def _node_name(state: NodeState) -> str:
    return state.uname or state.id


def failed_actions(cib: Cib) -> tuple[FailedAction, ...]:
    """One entry per failed operation, the `_last_failure_` record and the `_last_` record of
    the same call counted once."""
    seen: set[tuple[str, str, str, int, int]] = set()
    out: list[FailedAction] = []
    for state in cib.status:
        for hist in state.history:
            for rec in hist.operations:
                if not ocf.operation_failed(rec):
                    continue
                key = (_node_name(state), hist.id, rec.operation, rec.interval_ms, rec.call_id)
                if key in seen:
                    continue
                seen.add(key)
                out.append(FailedAction(hist.id, _node_name(state), rec.operation,
                                        rec.interval_ms, rec.rc_code, rec.op_status,
                                        rec.call_id, rec.exit_reason or None,
                                        rec.last_rc_change))
    return tuple(out)


_HIDDEN_ATTRIBUTES = ("standby", "shutdown", "terminate")
_HIDDEN_PREFIXES = ("#", "fail-count-", "last-failure-")


def node_attributes(cib: Cib) -> tuple[NodeAttributes, ...]:
    """Every node's attributes as crm_mon -A shows them (nodes without any are left out)."""
    transient = {(s.uname or s.id): flatten(s.transient_attributes) for s in cib.status}
    out = []
    for node in cib.configuration.nodes:
        values = dict(flatten(node.instance_attributes))
        values.update(transient.get(node.uname, {}))
        shown = tuple(sorted((k, v) for k, v in values.items()
                             if k not in _HIDDEN_ATTRIBUTES and not k.startswith(_HIDDEN_PREFIXES)))
        if shown:
            out.append(NodeAttributes(node.uname, shown))
    return tuple(out)


def cluster_status(env: CibEnvironment) -> ClusterStatus:
    cib = env.get_cib()
    transition = schedule(cib, env.now())
    dc = next((n.uname for n in cib.configuration.nodes if n.id == cib.dc_uuid), cib.dc_uuid)
    prims = [a for a in transition.allocations if a.kind == "primitive"]
    stonith = [p for p in edit.primitives(cib) if p.standard == "stonith"]
    disabled = sum(1 for a in prims if (a.target_role or "").lower() == "stopped")
    return ClusterStatus(
        cluster_name=_cluster_name(env, cib), dc=dc, have_quorum=cib.have_quorum,
        # crm_mon counts remote and guest nodes too
        nodes_configured=len(edit.all_node_names(cib)),
        resource_instances=len(prims),
        disabled=disabled, stonith_devices=len(stonith), transition=transition,
        failed_actions=failed_actions(cib), fencing=_fencing_history(env),
        clones=clone_shapes(cib), node_attributes=node_attributes(cib),
        locations=tuple(c for c in cib.configuration.constraints if isinstance(c, Location)),
        operations=operation_history(cib))


def operation_history(cib: Cib) -> tuple[NodeOperations, ...]:
    """Each node's recorded operations (its lrm history: the last result of each operation,
    a recurring monitor's, the last failure), as `status --full` lists them."""
    out = []
    for state in cib.status:
        ops = tuple(
            OperationDone(hist.id, rec.operation, rec.interval_ms, rec.call_id, rec.rc_code,
                          rec.last_rc_change)
            for hist in sorted(state.history, key=lambda h: h.id)
            for rec in sorted(hist.operations, key=lambda r: (r.call_id, r.id)))
        if ops:
            out.append(NodeOperations(_node_name(state), ops))
    return tuple(sorted(out, key=lambda n: n.node))


def _cluster_name(env: CibEnvironment, cib: Cib) -> str | None:
    """The `cluster-name` property, as crm_mon shows it; when it is unset, the running cluster's
    Corosync name (totem.cluster_name). Pacemaker's DC copies that name into the property when it
    takes over; vigild does not, so the live status reads it where the DC would. A CIB file has
    no running cluster: only the property."""
    name = cib.cluster_option("cluster-name")
    if name:
        return name
    corosync_name = getattr(env, "corosync_cluster_name", None)
    return corosync_name() if corosync_name is not None else None


def _fencing_history(env: CibEnvironment) -> tuple[FenceEvent, ...]:
    """Only the running cluster remembers fencing (a CIB file has no fencing history)."""
    history = getattr(env, "fence_history", None)
    if history is None:
        return ()
    try:
        events: tuple[FenceEvent, ...] = history()
    except ReportError:
        return ()  # an older daemon without the operation: show the rest of the status
    return events


# -- cleanup -----------------------------------------------------------------------------------
def _subtree(cib: Cib, resource: str) -> set[str]:
    rsc = edit.require_resource(cib, resource)
    ids = {rsc.id}
    if isinstance(rsc, Group):
        ids |= {m.id for m in rsc.members}
    elif isinstance(rsc, Clone):
        ids |= {r.id for r in walk((rsc.child,))}
    return ids


def _base(name: str) -> str:
    return name.split(":")[0]


def _failure_attribute_resources(state: NodeState) -> Iterator[str]:
    for pair in flatten(state.transient_attributes):
        for prefix in ("fail-count-", "last-failure-"):
            if pair.startswith(prefix):
                yield _base(pair[len(prefix):].split("#")[0])


def _selection(cib: Cib, resource: str | None, node: str | None
               ) -> tuple[set[str] | None, set[str] | None, list[NodeState]]:
    """What cleanup and refresh act on in a CIB file: the resource's ids (None: every
    resource), the names its history and attributes use for them, and the node states (those
    of `node`, or all)."""
    wanted = _subtree(cib, resource) if resource else None
    node_id = edit.require_node(cib, node).id if node else None
    states = [s for s in cib.status
              if node_id is None or s.id == node_id or s.uname == node]
    return wanted, None if wanted is None else {_base(w) for w in wanted}, states


def cleanup(env: CibEnvironment, resource: str | None = None, node: str | None = None
            ) -> Applied:
    """Forget a resource's failures (all resources' without one): on a running cluster, ask it
    to (it also re-probes); on a CIB file, remove the fail-count and last-failure attributes
    and the failed operation records from the status section."""
    if isinstance(env, RunningCluster):
        cib = env.get_cib()
        targets = [resource] if resource else [p.id for p in edit.primitives(cib)]
        if resource:
            edit.require_resource(cib, resource)
        if node:
            edit.require_node(cib, node)
        for rsc in targets:
            env.cleanup(rsc, node)
        return Applied(env.get_cib(), True, tuple(
            reports.info("CLEANED_UP", resource=r, node=node or "all nodes") for r in targets))

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        wanted, bases, states = _selection(cib, resource, node)
        out: list[Report] = []
        new = cib
        for state in states:
            names = {r for r in _failure_attribute_resources(state)
                     if bases is None or r in bases}
            for name in sorted(names):
                new = status_edit.clear_failures(new, state.id, name)
            new, cleaned = _drop_failed_records(new, state.id, wanted)
            for rsc in sorted(names | cleaned):
                out.append(reports.info("CLEANED_UP", resource=rsc, node=_node_name(state)))
        if not out:
            out.append(reports.info("NOTHING_TO_CLEAN", resource=resource or "any resource"))
        return new, out

    return edit.apply(env, change)


def refresh(env: CibEnvironment, resource: str | None = None, node: str | None = None
            ) -> Applied:
    """Forget a resource's whole operation history (every resource's without one), failures
    included, so that the cluster probes it again and finds out afresh where it runs (pcs's
    `resource refresh`, crm_resource --refresh). A running cluster's cleanup already forgets
    the whole history, so there the two are one request; in a CIB file every lrm_resource of
    it goes, not only the failed records."""
    if isinstance(env, RunningCluster):
        return cleanup(env, resource, node)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        _, bases, states = _selection(cib, resource, node)
        out: list[Report] = []
        new = cib
        for state in states:
            names = {h.id for h in state.history if bases is None or _base(h.id) in bases}
            names |= {r for r in _failure_attribute_resources(state)
                      if bases is None or r in bases}
            for name in sorted(names):
                new = status_edit.clear_failures(new, state.id, name)
                new = status_edit.forget_resource(new, state.id, name)
                out.append(reports.info("REFRESHED", resource=name, node=_node_name(state)))
        if not out:
            out.append(reports.info("NOTHING_TO_REFRESH", resource=resource or "any resource"))
        return new, out

    return edit.apply(env, change)


def _drop_failed_records(cib: Cib, node_id: str, wanted: set[str] | None
                         ) -> tuple[Cib, set[str]]:
    states = list(cib.status)
    cleaned: set[str] = set()
    for i, state in enumerate(states):
        if state.id != node_id:
            continue
        histories = []
        for hist in state.history:
            if wanted is not None and hist.id not in wanted and _base(hist.id) not in wanted:
                histories.append(hist)
                continue
            kept = tuple(r for r in hist.operations if not ocf.operation_failed(r))
            if kept != hist.operations:
                cleaned.add(_base(hist.id))
            if kept:
                histories.append(dataclasses.replace(hist, operations=kept))
        states[i] = dataclasses.replace(state, history=tuple(histories))
    return dataclasses.replace(cib, status=tuple(states)), cleaned


# -- restart -----------------------------------------------------------------------------------
RESTART_TIMEOUT_S = 60.0
_EDIT_ATTEMPTS = 5


def _active(env: CibEnvironment, ids: set[str]) -> dict[str, tuple[str, ...]]:
    """The running instances of the primitives in `ids` and their nodes, as the cluster sees
    them now."""
    transition = schedule(env.get_cib(), env.now())
    return {a.resource: a.current_nodes for a in transition.allocations
            if a.kind == "primitive" and _base(a.resource) in ids and a.current_nodes}


def _set_target_role(env: CibEnvironment, resource: str, value: str | None) -> None:
    """Set (None: remove) the resource's target-role; retried when the status changed under
    the edit, as it does while resources stop and start."""
    for attempt in range(1, _EDIT_ATTEMPTS + 1):
        try:
            resource_cmd.set_meta(env, resource, (("target-role", value or ""),), force=True)
            return
        except ReportError as exc:
            if attempt == _EDIT_ATTEMPTS or [r.code for r in exc.reports] != [
                    "CIB_CHANGED_UNDERNEATH"]:
                raise


def _wait(done: Callable[[], bool], timeout: float, clock: Callable[[], float],
          sleep: Callable[[float], None], poll: float) -> bool:
    deadline = clock() + timeout
    while not done():
        if clock() >= deadline:
            return False
        sleep(poll)
    return True


def restart(env: CibEnvironment, resource: str, node: str | None = None, *,
            timeout: float = RESTART_TIMEOUT_S, clock: Callable[[], float] = time.monotonic,
            sleep: Callable[[float], None] = time.sleep, poll: float = 0.5) -> Applied:
    """Stop a resource and start it again, as `crm_resource --restart` does: set its
    target-role to Stopped (remembering the previous value), wait until it is stopped
    everywhere, put the previous value back, wait until it runs again (as many instances as
    before). Each wait lasts at most `timeout` seconds; after a timeout the target-role is what
    it was before and RESTART_TIMEOUT says which wait did not end. Only a running cluster can.

    With `node`, the resource (a primitive or group) must run there; one instance of a clone
    cannot be restarted alone yet."""
    cib = env.get_cib()
    rsc = edit.require_resource(cib, resource)
    if not isinstance(env, RunningCluster):
        raise ReportError([reports.error("NEEDS_RUNNING_CLUSTER", command="resource restart")])
    ids = _subtree(cib, resource)
    if node is not None:
        edit.require_node(cib, node)
        if isinstance(rsc, Clone) or edit.enclosing_clone(cib, resource) is not None:
            raise ReportError([reports.error("NOT_SUPPORTED_YET",
                                             command="resource restart CLONE NODE")])
    before = _active(env, ids)
    if not before:
        raise ReportError([reports.error("RESOURCE_NOT_RUNNING", resource=resource)])
    if node is not None and not any(node in nodes for nodes in before.values()):
        raise ReportError([reports.error("RESOURCE_NOT_RUNNING_ON_NODE", resource=resource,
                                         node=node, running=", ".join(sorted(
                                             {n for nodes in before.values() for n in nodes})))])
    previous = edit.plain_value(rsc.meta_attributes, "target-role")
    _set_target_role(env, resource, "Stopped")
    try:
        stopped = _wait(lambda: not _active(env, ids), timeout, clock, sleep, poll)
    finally:
        _set_target_role(env, resource, previous)  # also when the wait is interrupted
    if not stopped:
        left = _active(env, ids)
        raise ReportError([reports.error(
            "RESTART_TIMEOUT", resource=resource, seconds=f"{timeout:g}", phase="stop",
            where=", ".join(sorted({n for nodes in left.values() for n in nodes})))])
    if not _wait(lambda: len(_active(env, ids)) >= len(before), timeout, clock, sleep, poll):
        raise ReportError([reports.error("RESTART_TIMEOUT", resource=resource,
                                         seconds=f"{timeout:g}", phase="start", where="")])
    now = _active(env, ids)
    return Applied(env.get_cib(), True, (reports.info(
        "RESOURCE_RESTARTED", resource=resource,
        nodes=", ".join(sorted({n for nodes in now.values() for n in nodes}))),))
