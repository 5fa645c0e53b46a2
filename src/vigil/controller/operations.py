"""What the controller asks the node's executor and fencer to do, and what they answer: data only.

The asynchronous seams that carry them out (LocalExecutor, Fencer) live in the daemon's shell.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from vigil.model import ocf
from vigil.model.status import OperationRecord, ResourceHistory
from vigil.scheduler.transition import ResolvedOperation


@dataclass(frozen=True)
class Operation:
    """One agent operation for the local executor."""

    resource: str  # the id recorded in history (base id for anonymous clone instances)
    standard: str
    provider: str | None
    agent_type: str
    task: str
    interval_ms: int
    timeout_ms: int
    expected_rc: int
    transition_key: str
    params: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    role: str | None = None  # a recurring monitor's role (Promoted, Unpromoted), passed to the
    #                          agent as CRM_meta_role
    # the remote node it runs on, through this node's connection to that node's vigil-remoted
    # (None: on this node)
    remote: str | None = None

    def agent_meta(self) -> dict[str, str]:
        """The meta values the agent gets as OCF_RESKEY_CRM_meta_* (the executor adds timeout
        and interval): the scheduler's, and the monitor's role."""
        meta = dict(self.meta)
        if self.role is not None:
            meta.setdefault("role", self.role)
        return meta


def to_run(op: ResolvedOperation, transition_key: str, *, instance: str | None = None,
           remote: str | None = None) -> Operation:
    """The scheduler's resolved operation as this node's executor runs it. `instance` is the
    planned action's resource (`rsc:N` for a clone's instance): its number is the `clone` meta
    value Pacemaker passes (CRM_meta_clone), where the operation does not carry it already."""
    meta = op.meta
    number = clone_number(instance) if instance is not None else None
    if number is not None and any(k == "clone_max" for k, _ in meta) \
            and not any(k == "clone" for k, _ in meta):
        meta = tuple(sorted((*meta, ("clone", number))))
    return Operation(resource=op.resource, standard=op.standard, provider=op.provider,
                     agent_type=op.agent_type, task=str(op.task), interval_ms=op.interval_ms,
                     timeout_ms=op.timeout_ms, expected_rc=op.expected_rc,
                     transition_key=transition_key, params=op.params, meta=meta, role=op.role,
                     remote=remote)


def clone_number(instance: str) -> str | None:
    """The instance number of `rsc:N`; None for anything else."""
    _, sep, number = instance.rpartition(":")
    return number if sep and number.isdigit() else None


def promoted_after(task: str, record: OperationRecord) -> bool:
    """Whether the resource is in the promoted role after this successful result: a promote
    that succeeded, or anything (a probe, a monitor) that found it running promoted (rc 8)."""
    if record.op_status != ocf.ExecStatus.DONE:
        return False
    rc = ocf.effective_rc(record.rc_code)
    return rc == ocf.OcfResult.RUNNING_PROMOTED or (task == "promote" and rc == ocf.OcfResult.OK)


def monitors_for_role(monitors: tuple[Operation, ...], promoted: bool) -> tuple[Operation, ...]:
    """Of a resource's recurring monitors, those that run in the role it is in now, as
    Pacemaker schedules them: role=Promoted ones only while promoted, Unpromoted (and Started)
    ones only while not, Stopped-role ones never here; a role-less one in either role,
    expecting rc 8 (running promoted) while promoted."""
    out = []
    for mon in monitors:
        if mon.role == "Stopped" or (mon.role is not None and (mon.role == "Promoted") != promoted):
            continue
        if promoted and mon.role is None:
            mon = dataclasses.replace(mon, expected_rc=int(ocf.OcfResult.RUNNING_PROMOTED))
        out.append(mon)
    return tuple(out)


@dataclass(frozen=True)
class Outcome:
    resource: ResourceHistory  # agent identity, no operations
    record: OperationRecord
    remote: str | None = None  # the remote node it ran on (None: this node)
    # a connection's start (ocf:pacemaker:remote): what its remote node runs, by its own account
    joined: tuple[ResourceHistory, ...] | None = None

    @property
    def failed(self) -> bool:
        return ocf.operation_failed(self.record)

    @property
    def left_running(self) -> bool:
        """The resource is active after this operation (recurring monitors then apply)."""
        r = self.record
        return (ocf.effective_rc(r.rc_code) in (ocf.OcfResult.OK, ocf.OcfResult.RUNNING_PROMOTED)
                and r.op_status == ocf.ExecStatus.DONE)
