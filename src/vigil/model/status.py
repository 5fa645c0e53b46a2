"""The status section: node states, operation histories, transient node attributes."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from vigil.model.nvset import NvSet
from vigil.model.xmlextra import NO_EXTRA, Extra


@dataclass(frozen=True)
class OperationRecord:
    """One lrm_rsc_op: the recorded result of an agent operation on a node."""

    id: str
    operation: str
    call_id: int
    rc_code: int
    op_status: int
    interval_ms: int
    transition_key: str | None = None
    transition_magic: str | None = None
    last_rc_change: int | None = None
    op_digest: str | None = None
    op_restart_digest: str | None = None
    op_force_restart: str | None = None
    # the digest without the private parameters (op-secure-params names them): a CIB shown
    # with masked passwords can still be compared on everything else
    op_secure_params: str | None = None
    op_secure_digest: str | None = None
    exit_reason: str | None = None
    operation_key: str | None = None
    on_node: str | None = None
    extra: Extra = NO_EXTRA

    @property
    def expected_rc(self) -> int | None:
        """The third field of the transition key: what the controller expected."""
        if not self.transition_key:
            return None
        parts = self.transition_key.split(":")
        if len(parts) < 3:
            return None
        try:
            return int(parts[2])
        except ValueError:
            return None

    @property
    def is_probe(self) -> bool:
        """A one-off monitor: it asks what state the resource is in, expecting none."""
        return self.operation == "monitor" and self.interval_ms == 0

    @property
    def transition_number(self) -> int:
        key = self.transition_key or ""
        parts = key.split(":")
        try:
            return int(parts[1])
        except (IndexError, ValueError):
            return -1


@dataclass(frozen=True)
class ResourceHistory:
    """One lrm_resource: every recorded operation of one resource on one node."""

    id: str
    standard: str | None
    agent_type: str | None
    provider: str | None = None
    container: str | None = None
    operations: tuple[OperationRecord, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class NodeState:
    id: str
    uname: str | None
    in_ccm: str | None = None
    crmd: str | None = None
    join: str | None = None
    expected: str | None = None
    transient_attributes: tuple[NvSet, ...] = ()
    history: tuple[ResourceHistory, ...] = ()
    has_lrm: bool = False
    transient_id: str | None = None
    lrm_id: str | None = None
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class TicketState:
    """One ticket_state of the status's <tickets>: whether this site holds the ticket. A ticket
    with no state is not granted. `standby` asks the resources that need it to stop (or demote)
    while the ticket stays granted, so it can be handed over cleanly."""

    id: str
    granted: bool = False
    standby: bool = False
    last_granted: str | None = None
    extra: Extra = NO_EXTRA


class TicketChange(enum.Enum):
    """What `crm_ticket` (and `vigil ticket`) can do to this site's state of a ticket."""

    GRANT = "grant"  # granted, last-granted set to now
    REVOKE = "revoke"  # not granted: the loss-policy of every rsc_ticket on it applies
    STANDBY = "standby"  # still granted, but its resources give up gracefully
    ACTIVATE = "activate"  # out of standby
    REMOVE = "remove"  # no state at all (as if never granted)
