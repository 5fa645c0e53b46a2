"""Live migration's rules: what a migration found in the history means, and when a move may be a
migration.

A live migration moves a running resource without stopping it: `migrate_to` on the node it
leaves (the source), `migrate_from` on the node it goes to (the target), then a stop on the
source, which only cleans up. The start on the target is a pseudo action: the resource is already
running there once migrate_from succeeds. Each record carries `migrate_source` and
`migrate_target`, so the history on one node says where the other half ran.

A sequence cut short leaves the history half done, and each case reads differently:
- migrate_to succeeded, the target has no newer word (migrate_from not run yet, or lost): the
  resource may be active on both nodes; the migration may continue (only migrate_from and the
  stop remain) if the target is still the chosen node;
- both halves succeeded but the source's stop has not: the resource runs on the target only;
  the source gets a stop of its own ("dangling");
- migrate_from failed, or migrate_to failed: the resource may be active on both nodes, failed:
  it is stopped on both and started again (a recovery, never a migration);
- anything newer on a node (a start, stop or migration there, or a probe that found it stopped)
  means the migration no longer tells anything about that node.

Nothing here creates actions (migration_actions.py does): these are the decisions actions.py and
unpack.py ask for.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.status import OperationRecord
from vigil.scheduler.working import Node, Role, Rsc, WorkingSet

MIGRATE_TO = "migrate_to"
MIGRATE_FROM = "migrate_from"
# the operations after which a migration record no longer describes a node (monitors do not
# count, except a probe that found the resource stopped)
_STATE_CHANGES = frozenset({"start", "stop", MIGRATE_TO, MIGRATE_FROM})
_PENDING_RC = int(OcfResult.UNKNOWN)  # 193: what a pending record carries


@dataclass(frozen=True)
class Finding:
    """What one migration record says beyond the node it is recorded on."""

    role: Role | None = None  # the resource's role on the record's node now (None: unchanged)
    also_active_on: Node | None = None  # the other end, where the resource may be active too
    partial: tuple[Node, Node] | None = None  # (source, target) of a migration half done
    dangling: bool = False  # finished on both ends; the record's node (the source) needs a stop
    recover: bool = False  # the resource must be stopped and started again: no migration


NOTHING = Finding()


def source_of(op: OperationRecord) -> str | None:
    return dict(op.extra.attrs).get("migrate_source")


def target_of(op: OperationRecord) -> str | None:
    return dict(op.extra.attrs).get("migrate_target")


def is_newer(a: OperationRecord, b: OperationRecord, *, same_node: bool) -> bool:
    """Whether `a` was recorded after `b`. Call ids count only on one node (each node numbers
    its own); across nodes, or for equal call ids, the time of the result decides, and a missing
    time decides nothing. The records' on_node, where both have one, says whether they are on
    the same node; otherwise the caller knows. A pending record (call id -1) is the newest."""
    if a.on_node is not None and b.on_node is not None:
        same_node = a.on_node == b.on_node
    if same_node and a.call_id != b.call_id and a.call_id >= 0 and b.call_id >= 0:
        return a.call_id > b.call_id
    if a.last_rc_change is not None and b.last_rc_change is not None \
            and a.last_rc_change != b.last_rc_change:
        return a.last_rc_change > b.last_rc_change
    return a.call_id < 0 <= b.call_id


def _ops(ws: WorkingSet, rsc: Rsc, node: str) -> tuple[OperationRecord, ...]:
    hist = ws.status_histories.get((node, rsc.history_id))
    return hist.operations if hist is not None else ()


def _find(ws: WorkingSet, rsc: Rsc, node: str, task: str, peer: str,
          succeeded_only: bool) -> OperationRecord | None:
    """The record of `task` on `node` whose other end is `peer` (the first one recorded)."""
    for op in _ops(ws, rsc, node):
        if op.operation != task:
            continue
        other = target_of(op) if task == MIGRATE_TO else source_of(op)
        if other != peer:
            continue
        if succeeded_only and not _succeeded(op):
            return None
        return op
    return None


def _succeeded(op: OperationRecord) -> bool:
    return op.rc_code == int(OcfResult.OK) and op.op_status == int(ExecStatus.DONE)


def _changed_after(ws: WorkingSet, rsc: Rsc, node: str, ref: OperationRecord,
                   same_node: bool) -> bool:
    """A start, stop or migration on `node` newer than `ref`."""
    return any(op is not ref and op.operation in _STATE_CHANGES
               and is_newer(op, ref, same_node=same_node) for op in _ops(ws, rsc, node))


def _found_stopped_after(ws: WorkingSet, rsc: Rsc, node: str, ref: OperationRecord,
                         same_node: bool) -> bool:
    """The node's (first) monitor record says "not running", and is newer than `ref`."""
    for op in _ops(ws, rsc, node):
        if op.operation == "monitor":
            return (op.rc_code == int(OcfResult.NOT_RUNNING)
                    and op.op_status == int(ExecStatus.DONE)
                    and is_newer(op, ref, same_node=same_node))
    return False


def _unknown_on(ws: WorkingSet, rsc: Rsc, node: str) -> bool:
    """Nothing but pending records there: a probe will tell, so no guess is made."""
    return all(op.rc_code == _PENDING_RC for op in _ops(ws, rsc, node))


def _newer_state(ws: WorkingSet, rsc: Rsc, node: str, migrate_to: OperationRecord | None,
                 migrate_from: OperationRecord | None) -> bool:
    """Whether `node` has news of the resource after the migration: compared with the record of
    the migration on that node itself where there is one (call ids compare there)."""
    last = migrate_from or migrate_to
    if last is None:
        return False
    ref, same_node = last, False
    if node == target_of(last):
        ref = migrate_from or migrate_to or last
        same_node = migrate_from is not None
    elif node == source_of(last):
        ref = migrate_to or migrate_from or last
        same_node = migrate_to is not None
    return _changed_after(ws, rsc, node, ref, same_node) \
        or _found_stopped_after(ws, rsc, node, ref, same_node)


def _online(ws: WorkingSet, name: str | None) -> Node | None:
    node = ws.node(name)
    return node if node is not None and node.online else None


def after_migrate_to(ws: WorkingSet, rsc: Rsc, node: Node, op: OperationRecord) -> Finding:
    """A successful migrate_to on `node`, the source."""
    source, target = source_of(op), target_of(op)
    if source != node.name or target is None:
        return NOTHING
    source_moved_on = _changed_after(ws, rsc, source, op, True)
    migrate_from = _find(ws, rsc, target, MIGRATE_FROM, source, succeeded_only=False)
    if source_moved_on and migrate_from is not None:
        return NOTHING  # the whole sequence is over: the later records tell the rest
    target_moved_on = _newer_state(ws, rsc, target, op, migrate_from)
    if source_moved_on and target_moved_on:
        return NOTHING
    target_node = _online(ws, target)
    if migrate_from is not None and _succeeded(migrate_from):
        return Finding(role=Role.STOPPED, dangling=True)
    if migrate_from is not None and migrate_from.op_status != int(ExecStatus.PENDING):
        # migrate_from failed: the target may hold it (its failure is read there)
        if not target_moved_on and target_node is not None:
            return Finding(role=Role.STARTED, also_active_on=target_node)
        return Finding(role=Role.STARTED, recover=True)
    # migrate_from pending, or not recorded
    if not target_moved_on and target_node is not None:
        if _unknown_on(ws, rsc, target):
            # it is probed there first: nothing is assumed (a new migration may follow)
            return Finding(role=Role.STARTED)
        source_node = _online(ws, source)
        partial = (source_node, target_node) if source_node is not None else None
        return Finding(role=Role.STARTED, also_active_on=target_node, partial=partial)
    if not source_moved_on:
        return Finding(role=Role.STARTED, recover=True)
    return Finding(role=Role.STARTED)


def after_failed_migrate_to(ws: WorkingSet, rsc: Rsc, node: Node, op: OperationRecord) -> Finding:
    """A failed migrate_to on `node`, the source: the resource may be on either end."""
    source, target = source_of(op), target_of(op)
    if source != node.name or target is None:
        return NOTHING
    migrate_from = _find(ws, rsc, target, MIGRATE_FROM, source, succeeded_only=True)
    if not _unknown_on(ws, rsc, target) and not _newer_state(ws, rsc, target, op, migrate_from):
        return Finding(role=Role.STARTED, also_active_on=_online(ws, target))
    if not _changed_after(ws, rsc, source, op, True):
        return Finding(role=Role.STARTED, dangling=True)
    return Finding(role=Role.STARTED)


def after_failed_migrate_from(ws: WorkingSet, rsc: Rsc, node: Node, op: OperationRecord
                              ) -> Finding:
    """A failed migrate_from on `node`, the target: the source may still hold the resource."""
    source, target = source_of(op), target_of(op)
    if target != node.name or source is None:
        return NOTHING
    migrate_to = _find(ws, rsc, source, MIGRATE_TO, target, succeeded_only=True)
    if not _unknown_on(ws, rsc, source) and not _newer_state(ws, rsc, source, migrate_to, op):
        return Finding(role=Role.STARTED, also_active_on=_online(ws, source))
    return Finding(role=Role.STARTED)


# --- when a move is a migration -------------------------------------------------------------

def current_node(rsc: Rsc) -> Node | None:
    """The node a resource is taken from: the source of a migration half done, else the first
    clean online node it is active on (any node, for one that requires fencing)."""
    if not rsc.running_on:
        return None
    source = rsc.partial_migration_source
    if source is not None and source in rsc.running_on:
        return source
    if rsc.requires not in ("fencing", "unfencing"):
        for node in rsc.running_on:
            if node.online and not node.unclean:
                return node
    return rsc.running_on[0]


def may_migrate(rsc: Rsc, current: Node | None) -> bool:
    """Whether moving `rsc` away from `current` may be a live migration: it allows it, it is
    managed, healthy and not starting, and both ends are clean. (Orderings may still make a
    real restart necessary: see migration_actions.)"""
    if not rsc.allow_migrate or not rsc.managed or rsc.failed or rsc.start_pending:
        return False
    if rsc.is_anonymous_instance() or rsc.clone_parent() is not None:
        return False  # clone instances never migrate
    chosen = rsc.assigned
    return current is not None and not current.unclean and chosen is not None \
        and not chosen.unclean


def continues_partial(rsc: Rsc, current: Node | None, allowed: bool) -> bool:
    """A migration half done goes on (migrate_from and the source's stop only) when the chosen
    node is still its target and the resource is active on exactly its two ends."""
    return (allowed and rsc.partial_migration_source is not None
            and rsc.partial_migration_target is not None and len(rsc.running_on) == 2
            and current is rsc.partial_migration_source
            and rsc.assigned is rsc.partial_migration_target)
