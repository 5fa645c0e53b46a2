"""The asynchronous seams between vigild's shell and what it drives: the local executor, the
fencer, the clock, storage. The data crossing them is in vigil.controller.operations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from vigil.controller.effects import AlertCall
from vigil.controller.messages import FenceResult
from vigil.controller.operations import Operation, Outcome
from vigil.model.cib import Cib
from vigil.model.fencing import FenceOutcome, FenceStatus
from vigil.model.status import ResourceHistory


class LocalExecutor(Protocol):
    async def execute(self, op: Operation) -> Outcome:
        """Run the operation now (with its timeout) and return its recorded result."""
        ...

    def start_monitor(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        """Run a recurring monitor; call `report` on each changed or failed result."""
        ...

    def cancel_monitors(self, resource: str, remote: str | None = None) -> None:
        """Stop the recurring monitors of `resource` here (or on the remote node `remote`,
        through this node's connection to it)."""
        ...

    def history(self) -> tuple[ResourceHistory, ...]:
        """Everything this node's executor has recorded since it started."""
        ...


class Clock(Protocol):
    def now(self) -> int:
        """Wall-clock seconds since the epoch (recorded in history and fail-counts)."""
        ...


class CibStore(Protocol):
    def load(self) -> Cib | None:
        ...

    def save(self, cib: Cib) -> None:
        """Persist durably (the configuration; status is rebuilt at runtime)."""
        ...

    def load_fence_history(self) -> tuple[FenceResult, ...]:
        """The fencing results saved last (oldest first); () when none or unreadable."""
        ...

    def save_fence_history(self, history: Sequence[FenceResult]) -> None:
        """Persist durably: the history must survive a restart of every node."""
        ...


class Fencer(Protocol):
    async def fence(self, cib: Cib, target: str, action: str) -> FenceOutcome:
        """Fence `target` ("reboot" or "off") with the devices and levels configured in `cib`.

        Never raises for a failed attempt: the outcome says what happened."""
        ...


class AlertRunner(Protocol):
    async def run(self, call: AlertCall, sequence: int) -> str | None:
        """Run one alert agent (`sequence`: this node's alert count, CRM_alert_node_sequence);
        None when it succeeded, else what went wrong in one line. Never raises for the agent."""
        ...


class NoAlerts:
    """A node that runs no alert agents (the simulated cluster's default)."""

    async def run(self, call: AlertCall, sequence: int) -> str | None:
        return None


class NoFencer:
    """For nodes with no fencer configured: every attempt fails, saying why."""

    async def fence(self, cib: Cib, target: str, action: str) -> FenceOutcome:
        return FenceOutcome(target=target, action=action, status=FenceStatus.NO_DEVICE,
                            detail="no fencer available on this node")
