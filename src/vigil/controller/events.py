"""What happens to a node's controller: the shell turns callbacks, results, timers and requests
into these events and feeds them to `vigil.controller.step`, one at a time, in order."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vigil.cluster.layer import QuorumChange
from vigil.controller.messages import ExecRequest, Message, Version
from vigil.controller.operations import Outcome
from vigil.model.fencing import FenceOutcome


@dataclass(frozen=True)
class ViewChanged:
    """A new view of the process group (the cluster layer's Membership). `left` also names a
    node that rebooted between two views (it is a member again, with a fresh process)."""

    ring: tuple[int, int]
    members: tuple[int, ...]
    left: tuple[int, ...]
    names: tuple[tuple[int, str], ...]  # node id -> name, as the cluster layer knows them


@dataclass(frozen=True)
class QuorumChanged:
    quorum: QuorumChange


@dataclass(frozen=True)
class Delivered:
    """A message in agreed order (the sender gets its own too)."""

    sender: int
    message: Message


@dataclass(frozen=True)
class OperationFinished:
    """The local executor finished an operation the controller asked for (`effects.Execute`)."""

    request: ExecRequest
    outcome: Outcome


@dataclass(frozen=True)
class MonitorChanged:
    """A recurring monitor on this node reported a changed or failed result."""

    outcome: Outcome


@dataclass(frozen=True)
class FenceFinished:
    """The local fencer finished an attempt the controller asked for (`effects.Fence`). The
    shell reports every attempt, also one that raised, as a failed outcome."""

    target: str
    action: str
    outcome: FenceOutcome
    request_id: str | None


class Timer(enum.Enum):
    RESYNC = "resync"  # this node said hello a while ago: still out of step?
    RECHECK = "recheck"  # the DC's cluster-recheck-interval / the next failure expiry
    ATTRIBUTES = "attributes"  # the DC's: a dampened attribute is due to be written


@dataclass(frozen=True)
class TimerFired:
    timer: Timer


@dataclass(frozen=True)
class PlanDue:
    """The shell feeds this when the controller wants to plan (`State.plan_wanted`) and no other
    event is waiting: a burst of results makes one plan, not one per result."""


@dataclass(frozen=True)
class ConfigPushRequested:
    """A local client's new configuration, computed against `read_version`."""

    request_id: str
    cib_xml: str
    read_version: Version


@dataclass(frozen=True)
class CleanupRequested:
    request_id: str
    resource: str
    node: str | None  # a node name; None: every node


@dataclass(frozen=True)
class TicketRequested:
    request_id: str
    ticket: str
    change: str  # a TicketChange value


@dataclass(frozen=True)
class ForgetNodeRequested:
    request_id: str
    node: str  # a node name (or id) that is no member


@dataclass(frozen=True)
class FenceRequested:
    """`vigil stonith fence` (manual False) or `vigil stonith confirm` (manual True)."""

    request_id: str
    target: str
    action: str
    manual: bool


@dataclass(frozen=True)
class AttributeRequested:
    """Set (value) or remove (None) a node attribute through attrd: transient (in the status
    section) or, `private`, only in attrd's memory. `value` may be `v++` or `v+=N` (expanded
    against this node's current value). `delay_ms` sets the attribute's dampening."""

    node_id: str
    uname: str
    name: str
    value: str | None
    private: bool = False
    delay_ms: int | None = None
    request_id: str = ""  # a local client's request, answered once this replica applied it


@dataclass(frozen=True)
class ConfigAttributeRequested:
    """Set (value) or remove (None) a permanent node attribute (section "nodes", `node_id`) or
    a cluster option ("crm_config", "rsc_defaults", "op_defaults"): a configuration change."""

    request_id: str
    section: str
    node_id: str | None
    name: str
    value: str | None
    set_id: str | None = None


@dataclass(frozen=True)
class LeaveRequested:
    """A clean shutdown of this node's daemon."""


Event = (ViewChanged | QuorumChanged | Delivered | OperationFinished | MonitorChanged
         | FenceFinished | TimerFired | PlanDue | ConfigPushRequested | CleanupRequested
         | FenceRequested | AttributeRequested | ConfigAttributeRequested | LeaveRequested
         | ForgetNodeRequested | TicketRequested)
