"""Operation results as the CIB status section records them (lrm_rsc_op), and one node's
operation history per resource (lrm_resource), kept as Pacemaker's controller keeps it.

Per resource, Pacemaker keeps one record per id and overwrites it:
- `RSC_last_0`: the latest non-recurring result;
- `RSC_last_failure_0`: the latest failure, recurring or not (a non-recurring failure is written
  to both `last_0` and `last_failure_0`);
- `RSC_<op>_<interval>`: each recurring operation's latest reported result.
A migrate_to or migrate_from is a one-off operation like a start: recorded at `last_0` (and
`last_failure_0`), carrying `migrate_source` and `migrate_target`, so that the next scheduler run
reads where the resource went (or may be, if only half of the migration happened).
Notifications, meta-data, validate-all and cancellations are never recorded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from vigil.executor.agents import AgentSpec, Standard
from vigil.executor.metadata import AgentMetadata
from vigil.executor.run import OperationResult
from vigil.model import ocf
from vigil.model.cib import CRM_FEATURE_SET
from vigil.model.status import OperationRecord, ResourceHistory
from vigil.model.xmlextra import Extra
from vigil.scheduler.digests import parameters_digest

FAKE_TE_UUID = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"  # for results no transition asked for
PENDING_RC = ocf.OcfResult.UNKNOWN  # the rc of a pending record
ORIGIN = "do_update_resource"

_NOT_RECORDED = frozenset({"notify", "meta-data", "validate-all", "cancel"})
# Actions whose records carry the reload information (Pacemaker's crm_op_needs_metadata).
_NEEDS_METADATA = frozenset({"start", "monitor", "promote", "demote", "reload", "reload-agent",
                             "migrate_to", "migrate_from", "notify"})
_MIGRATIONS = frozenset({"migrate_to", "migrate_from"})


@dataclass(frozen=True)
class TransitionKey:
    """`<action id>:<transition id>:<expected rc>:<DC uuid>`: who asked for an operation and
    what result it expected."""

    action_id: int
    transition_id: int
    expected_rc: int
    uuid: str

    def __str__(self) -> str:
        return f"{self.action_id}:{self.transition_id}:{self.expected_rc}:{self.uuid}"

    @classmethod
    def parse(cls, text: str) -> TransitionKey:
        """Raises ValueError if the text is not a transition key."""
        parts = text.split(":", 3)
        if len(parts) != 4:
            raise ValueError(f"not a transition key: {text!r}")
        return cls(int(parts[0]), int(parts[1]), int(parts[2]), parts[3])


def operation_key(resource_id: str, action: str, interval_ms: int) -> str:
    return f"{resource_id}_{action}_{interval_ms}"


def transition_magic(status: int, rc: int, key: TransitionKey | str) -> str:
    return f"{status}:{rc};{key}"


def _recorded_task(result: OperationResult) -> str:
    # A reload is recorded as the start it amounts to if it worked, as a failed monitor if not:
    # the scheduler then reads the resource's state the usual way.
    if result.action in ("reload", "reload-agent"):
        return "start" if result.status is ocf.ExecStatus.DONE else "monitor"
    return result.action


def _digested(name: str) -> bool:
    """Whether the scheduler's digest covers a parameter (it drops CRM_meta_* and a few
    bookkeeping names). Asked of the function itself, so the two cannot drift apart."""
    return parameters_digest({name: ""}) != _EMPTY_DIGEST


_EMPTY_DIGEST = parameters_digest({})


def op_digest(params: Mapping[str, str], *, interval_ms: int, timeout_ms: int) -> str:
    """The op-digest: the parameters without CRM_meta_* and the like; recurring operations add
    back CRM_meta_timeout (a changed timeout re-creates the monitor).

    The non-recurring digest is the scheduler's own function, so that what is recorded is what
    the scheduler compares against; the recurring one is the same text with the timeout added.
    """
    if not interval_ms:
        return parameters_digest(dict(params))
    kept = {k: v for k, v in params.items() if _digested(k)}
    kept["CRM_meta_timeout"] = str(timeout_ms)
    return parameters_digest(kept, keep=frozenset({"CRM_meta_timeout"}))


def restart_info(metadata: AgentMetadata | None, params: Mapping[str, str]) -> tuple[str, str] | None:
    """(op-force-restart, op-restart-digest), or None if the agent cannot reload.

    The list is written "  a b  " (Pacemaker pads it so that " NAME " can be searched); the
    digest covers only the listed parameters that are set.
    """
    if metadata is None:
        return None
    names = metadata.restart_parameters
    if names is None:
        return None
    listed = f"  {' '.join(names)}  " if names else ""
    subset = {n: params[n] for n in names if n in params}
    return listed, parameters_digest(subset)


def build_records(spec: AgentSpec, result: OperationResult, *, call_id: int, node: str,
                  transition_key: TransitionKey | None = None, expected_rc: int = 0,
                  metadata: AgentMetadata | None = None, origin: str = ORIGIN,
                  feature_set: str = CRM_FEATURE_SET) -> tuple[OperationRecord, ...]:
    """The lrm_rsc_op records one result writes, as Pacemaker's pcmk__create_history_xml:
    none (notify, meta-data...), one, or two for a failed non-recurring operation
    (`last_failure_0` then `last_0`). `expected_rc` is used when there is no transition key;
    a result without one gets the fake key `CALLID:-1:EXPECTED:xxxxxxxx-...`.
    `metadata` (the agent's, cached) adds op-force-restart / op-restart-digest where the agent
    can reload."""
    if result.action in _NOT_RECORDED:
        return ()
    return _build_records(spec, result, call_id=call_id, node=node, transition_key=transition_key,
                          expected_rc=expected_rc, metadata=metadata, origin=origin,
                          feature_set=feature_set)


def reported_record(spec: AgentSpec, result: OperationResult, *, call_id: int, node: str,
                    transition_key: TransitionKey | None = None, expected_rc: int = 0,
                    origin: str = ORIGIN, feature_set: str = CRM_FEATURE_SET) -> OperationRecord:
    """The lrm_rsc_op that describes a result the history does not keep (a notify): what the
    node reports to the DC, as Pacemaker's controller acknowledges such results directly to the
    DC and never writes them into the CIB. Its id is the operation key."""
    records = _build_records(spec, result, call_id=call_id, node=node,
                             transition_key=transition_key, expected_rc=expected_rc,
                             metadata=None, origin=origin, feature_set=feature_set)
    record = records[-1]
    return dataclasses.replace(record, id=record.operation_key or record.id)


def _build_records(spec: AgentSpec, result: OperationResult, *, call_id: int, node: str,
                   transition_key: TransitionKey | None, expected_rc: int,
                   metadata: AgentMetadata | None, origin: str,
                   feature_set: str) -> tuple[OperationRecord, ...]:
    if transition_key is None:
        transition_key = TransitionKey(call_id, -1, expected_rc, FAKE_TE_UUID)
    expected = transition_key.expected_rc
    task = _recorded_task(result)
    key = operation_key(result.resource_id, task, result.interval_ms)
    failed = ocf.records_failure(result.status, result.rc, expected)
    if failed:
        ids = [f"{result.resource_id}_last_failure_0"]
        if result.interval_ms == 0:
            ids.append(f"{result.resource_id}_last_0")
    elif result.interval_ms > 0:
        ids = [key]
    else:
        ids = [f"{result.resource_id}_last_0"]

    params = result.params_dict()
    if result.interval_ms and result.rc_changed_at is not None:
        rc_change = int(result.rc_changed_at)
    else:
        rc_change = int(result.started_at)
    extra: list[tuple[str, str]] = [
        ("crm-debug-origin", origin), ("crm_feature_set", feature_set),
        ("exec-time", str(result.duration_ms)), ("queue-time", str(result.queue_ms))]
    if result.action in _MIGRATIONS:
        meta = result.meta_dict()
        extra += [(n, meta[n]) for n in ("migrate_source", "migrate_target") if n in meta]
    common = OperationRecord(
        id="", operation=task, call_id=call_id, rc_code=int(result.rc), op_status=int(result.status),
        interval_ms=result.interval_ms, transition_key=str(transition_key),
        transition_magic=transition_magic(result.status, result.rc, transition_key),
        last_rc_change=rc_change,
        op_digest=op_digest(params, interval_ms=result.interval_ms, timeout_ms=result.timeout_ms),
        exit_reason=result.exit_reason if failed else "", operation_key=key, on_node=node,
        extra=Extra(tuple(extra)))
    records = [dataclasses.replace(common, id=i) for i in ids]
    # Only the last record written gets the reload information (it is added to the element
    # pcmk__create_history_xml returns), and only non-recurring operations of agents with
    # parameters.
    if (result.interval_ms == 0 and spec.runs_as in (Standard.OCF, Standard.STONITH)
            and result.action in _NEEDS_METADATA):
        info = restart_info(metadata, params)
        if info is not None:
            records[-1] = dataclasses.replace(records[-1], op_force_restart=info[0],
                                              op_restart_digest=info[1])
    return tuple(records)


def pending_record(result_like: OperationResult, *, node: str, transition_key: TransitionKey,
                   origin: str = ORIGIN, feature_set: str = CRM_FEATURE_SET) -> OperationRecord | None:
    """The record-pending placeholder written before an operation runs (call-id -1, rc 193,
    op-status -1): at `last_0`, or at the recurring operation's own id."""
    if result_like.action in _NOT_RECORDED:
        return None
    task = _recorded_task(result_like)
    key = operation_key(result_like.resource_id, task, result_like.interval_ms)
    rid = key if result_like.interval_ms > 0 else f"{result_like.resource_id}_last_0"
    return OperationRecord(
        id=rid, operation=task, call_id=-1, rc_code=int(PENDING_RC),
        op_status=int(ocf.ExecStatus.PENDING),
        interval_ms=result_like.interval_ms, transition_key=str(transition_key),
        transition_magic=transition_magic(ocf.ExecStatus.PENDING, PENDING_RC, transition_key),
        last_rc_change=int(result_like.started_at),
        op_digest=op_digest(result_like.params_dict(), interval_ms=result_like.interval_ms,
                            timeout_ms=result_like.timeout_ms),
        exit_reason="", operation_key=key, on_node=node,
        extra=Extra((("crm-debug-origin", origin), ("crm_feature_set", feature_set),
                     ("exec-time", "0"), ("queue-time", "0"))))


def apply_records(history: ResourceHistory, records: Iterable[OperationRecord]) -> ResourceHistory:
    """Write records into a resource's history: same id overwrites in place, new ids append."""
    ops = list(history.operations)
    for rec in records:
        for i, old in enumerate(ops):
            if old.id == rec.id:
                ops[i] = rec
                break
        else:
            ops.append(rec)
    return dataclasses.replace(history, operations=tuple(ops))


def without_records(history: ResourceHistory, ids: Iterable[str]) -> ResourceHistory:
    drop = set(ids)
    return dataclasses.replace(history, operations=tuple(o for o in history.operations if o.id not in drop))


class NodeHistory:
    """One node's operation history: call ids and the ResourceHistory of each resource.

    Call ids increase per node. A recurring operation keeps the call id of its first recorded
    result until it is forgotten (cancelled), as in Pacemaker, where the call id belongs to the
    request. Start a restarted executor with `next_call_id` above every recorded call id.
    """

    def __init__(self, node: str, *, next_call_id: int = 1,
                 histories: Iterable[ResourceHistory] = ()) -> None:
        self.node = node
        self._next_call_id = next_call_id
        self._histories: dict[str, ResourceHistory] = {h.id: h for h in histories}
        self._recurring_calls: dict[tuple[str, str, int], int] = {}

    def allocate_call_id(self) -> int:
        call_id = self._next_call_id
        self._next_call_id += 1
        return call_id

    def get(self, resource_id: str) -> ResourceHistory | None:
        return self._histories.get(resource_id)

    @property
    def histories(self) -> tuple[ResourceHistory, ...]:
        return tuple(self._histories.values())

    def _history_for(self, spec: AgentSpec, resource_id: str) -> ResourceHistory:
        found = self._histories.get(resource_id)
        if found is None:
            found = ResourceHistory(id=resource_id, standard=spec.standard.value, agent_type=spec.type,
                                    provider=spec.provider)
        return found

    def record(self, spec: AgentSpec, result: OperationResult, *, transition_key: TransitionKey | None = None,
               expected_rc: int = 0, metadata: AgentMetadata | None = None,
               call_id: int | None = None) -> tuple[OperationRecord, ...]:
        """Record a result; returns the records written (none for unrecorded actions)."""
        if result.action in _NOT_RECORDED:
            return ()
        if call_id is None:
            if result.interval_ms > 0:
                key = (result.resource_id, result.action, result.interval_ms)
                call_id = self._recurring_calls.get(key)
                if call_id is None:
                    call_id = self._recurring_calls[key] = self.allocate_call_id()
            else:
                call_id = self.allocate_call_id()
        records = build_records(spec, result, call_id=call_id, node=self.node, transition_key=transition_key,
                                expected_rc=expected_rc, metadata=metadata)
        hist = self._history_for(spec, result.resource_id)
        self._histories[result.resource_id] = apply_records(hist, records)
        return records

    def record_pending(self, spec: AgentSpec, request: OperationResult, *,
                       transition_key: TransitionKey) -> OperationRecord | None:
        """Write the placeholder of an operation about to run (record-pending)."""
        rec = pending_record(request, node=self.node, transition_key=transition_key)
        if rec is not None:
            self._histories[request.resource_id] = apply_records(
                self._history_for(spec, request.resource_id), [rec])
        return rec

    def forget_recurring(self, resource_id: str, interval_ms: int, action: str = "monitor") -> None:
        """A cancelled recurring operation's record goes (its last_failure stays)."""
        self._recurring_calls.pop((resource_id, action, interval_ms), None)
        hist = self._histories.get(resource_id)
        if hist is not None:
            key = operation_key(resource_id, action, interval_ms)
            self._histories[resource_id] = without_records(hist, [key])

    def forget_resource(self, resource_id: str) -> None:
        """Cleanup or refresh: the resource's whole history goes, which forces a new probe."""
        self._histories.pop(resource_id, None)
        for key in [k for k in self._recurring_calls if k[0] == resource_id]:
            del self._recurring_calls[key]
