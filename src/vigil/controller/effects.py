"""What a controller step asks the shell to do: typed data, applied by the shell in order."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.controller.events import Timer
from vigil.controller.messages import ExecRequest, FenceResult, Message, Version
from vigil.controller.operations import Operation
from vigil.model.cib import Cib
from vigil.model.reports import Report


@dataclass(frozen=True)
class Broadcast:
    """Send to every member of the view, in agreed order (this node gets it back too)."""

    message: Message


@dataclass(frozen=True)
class BroadcastJoin:
    """Broadcast this node's NodeHistory for `ring`: the shell adds the executor's history as it
    is when the effect is applied. An operation whose result is not in that history yet is in
    `pending` (it may be in both: the DC then waits for a result that does come)."""

    ring: tuple[int, int]
    fresh: bool
    pending: tuple[str, ...]
    # this node's own attributes, announced with its join (see controller.attributes)
    attributes: tuple[tuple[str, str], ...] = ()
    private: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PersistCib:
    cib: Cib


@dataclass(frozen=True)
class PersistFenceHistory:
    history: tuple[FenceResult, ...]


@dataclass(frozen=True)
class Execute:
    """Run an operation on this node; its result comes back as `events.OperationFinished`."""

    request: ExecRequest
    operation: Operation


@dataclass(frozen=True)
class StartMonitors:
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class CancelMonitors:
    resource: str
    remote: str | None = None  # the remote node whose monitors of `resource` stop


@dataclass(frozen=True)
class Fence:
    """Fence `target` from this node after `delay_s` (priority-fencing-delay), with the devices
    of the CIB as it is then; the outcome comes back as `events.FenceFinished`, always."""

    target: str
    action: str
    delay_s: float
    request_id: str | None  # a client's request, answered when the result is known


@dataclass(frozen=True)
class Answer:
    """The reply to a local client's request (only the node the request came from answers)."""

    request_id: str
    ok: bool
    version: Version | None = None
    code: str | None = None
    reports: tuple[Report, ...] = ()
    fence: FenceResult | None = None


@dataclass(frozen=True)
class Emit:
    """One event for the event log (`vigil status --watch`, the benchmarks)."""

    kind: str
    fields: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class SetTimer:
    """(Re)arm `timer` to fire `events.TimerFired` in `after_s` seconds; one of each at a time."""

    timer: Timer
    after_s: float


@dataclass(frozen=True)
class StopEverythingAndLeave:
    """This node was fenced yet still runs: stop every resource it runs and leave the cluster."""

    fenced_by: str


@dataclass(frozen=True)
class AlertCall:
    """One run of an alert agent for one recipient: its path, its environment (every
    CRM_alert_* variable but the sequence number and timestamp, which the shell adds when it
    runs it), its timeout and the strftime-like format of CRM_alert_timestamp."""

    alert_id: str
    recipient_id: str | None
    path: str
    env: tuple[tuple[str, str], ...]
    timeout_ms: int
    timestamp_format: str


@dataclass(frozen=True)
class RunAlerts:
    """Run these alert agents now, each on its own; their outcome changes nothing here."""

    calls: tuple[AlertCall, ...]


Effect = (Broadcast | BroadcastJoin | PersistCib | PersistFenceHistory | Execute | StartMonitors
          | CancelMonitors | Fence | Answer | Emit | SetTimer | StopEverythingAndLeave | RunAlerts)
