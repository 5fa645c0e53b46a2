"""What the controller asks the node's executor and fencer to do, and what they answer: data only.

The asynchronous seams that carry them out (LocalExecutor, Fencer) live in the daemon's shell.
"""

from __future__ import annotations

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


def to_run(op: ResolvedOperation, transition_key: str) -> Operation:
    """The scheduler's resolved operation as this node's executor runs it."""
    return Operation(resource=op.resource, standard=op.standard, provider=op.provider,
                     agent_type=op.agent_type, task=str(op.task), interval_ms=op.interval_ms,
                     timeout_ms=op.timeout_ms, expected_rc=op.expected_rc,
                     transition_key=transition_key, params=op.params, meta=op.meta)


@dataclass(frozen=True)
class Outcome:
    resource: ResourceHistory  # agent identity, no operations
    record: OperationRecord

    @property
    def failed(self) -> bool:
        return ocf.operation_failed(self.record)

    @property
    def left_running(self) -> bool:
        """The resource is active after this operation (recurring monitors then apply)."""
        r = self.record
        return (ocf.effective_rc(r.rc_code) in (ocf.OcfResult.OK, ocf.OcfResult.RUNNING_PROMOTED)
                and r.op_status == ocf.ExecStatus.DONE)
