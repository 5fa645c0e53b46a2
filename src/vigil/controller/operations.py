"""What the controller asks the node's executor and fencer to do, and what they answer: data only.

The asynchronous seams that carry them out (LocalExecutor, Fencer) live in the daemon's shell.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.status import OperationRecord, ResourceHistory


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


@dataclass(frozen=True)
class Outcome:
    resource: ResourceHistory  # agent identity, no operations
    record: OperationRecord

    @property
    def failed(self) -> bool:
        r = self.record
        expected = r.expected_rc if r.expected_rc is not None else 0
        rc = {190: 0, 191: 8}.get(r.rc_code, r.rc_code)
        if r.op_status != 0:
            return True
        if r.operation == "monitor" and r.interval_ms == 0:
            return rc not in (0, 7, 8)  # a probe reports state; only errors are failures
        return rc != expected

    @property
    def left_running(self) -> bool:
        """The resource is active after this operation (recurring monitors then apply)."""
        return self.record.rc_code in (0, 8, 190, 191) and self.record.op_status == 0


@dataclass(frozen=True)
class FenceOutcome:
    ok: bool
    device: str
    detail: str
    duration_ms: int = 0
