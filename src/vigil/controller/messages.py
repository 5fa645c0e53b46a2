"""What vigild nodes say to each other over the cluster layer, and its wire encoding (JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from vigil.controller.operations import Operation
from vigil.model.status import OperationRecord, ResourceHistory
from vigil.model.xmlextra import Extra

Version = tuple[int, int, int]


@dataclass(frozen=True)
class Hello:
    """Sent by every member after each view change: how far its CIB is."""

    ring: tuple[int, int]
    node: int
    version: Version
    digest: str
    # What this node knows of fencing, so a node that joins later learns the history too.
    fence_history: tuple[FenceResult, ...] = ()
    round: int = 0  # the sync round of the view this Hello belongs to (see controller.sync)
    # its replica was last in step with a quorate partition (False from a peer that predates it)
    quorate: bool = False


@dataclass(frozen=True)
class Sync:
    """The chosen member's whole CIB for this view: everyone adopts it."""

    ring: tuple[int, int]
    source: int
    cib_xml: str
    round: int = 0


@dataclass(frozen=True)
class ConfigReplace:
    """A new configuration, computed by a command against `read_version`."""

    request_id: str
    origin: int
    read_version: Version
    cib_xml: str


@dataclass(frozen=True)
class NodeStateRow:
    node_id: str
    uname: str
    in_ccm: bool
    crmd: bool
    join: str
    expected: str


@dataclass(frozen=True)
class NodeStates:
    """The DC's record of membership, as Pacemaker keeps it in node_state entries."""

    rows: tuple[NodeStateRow, ...]
    have_quorum: bool
    dc: int


@dataclass(frozen=True)
class NodeHistory:
    """A node's own operation history: replaces what the cluster recorded for it (join)."""

    ring: tuple[int, int]
    node: int
    uname: str
    history: tuple[ResourceHistory, ...]
    fresh: bool = False  # first join since this vigild started: its transient attributes go
    # resources with an operation still running on the node (its result is not in `history`
    # and comes as an OpResult later): the DC plans nothing until those results are in
    pending: tuple[str, ...] = ()
    # the node's own transient and private attributes: its values win over the replicas'
    attributes: tuple[tuple[str, str], ...] = ()
    private: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class OpResult:
    """One finished operation on `node`, to be recorded in every replica."""

    node: int
    uname: str
    resource: ResourceHistory  # the agent identity (operations empty)
    record: OperationRecord
    transition: str | None
    action_key: str | None
    failed: bool
    fatal: bool  # a failed start with start-failure-is-fatal: fail-count INFINITY
    when: int
    remote: str | None = None  # it ran on this remote node, through `node`'s connection


@dataclass(frozen=True)
class RemoteHistory:
    """A remote node's own account of its resources, read by `router` when its connection
    started there: it replaces what the replicas recorded, as a member's join does."""

    ring: tuple[int, int]
    router: int
    remote: str
    history: tuple[ResourceHistory, ...]


@dataclass(frozen=True)
class ExecRequest:
    """The DC asks `node` to run an operation."""

    transition: str
    action_key: str
    node: int
    operation: Operation  # as the scheduler resolved it
    # the recurring monitors to start once the operation left the resource active
    monitors: tuple[Operation, ...] = ()

    @property
    def resource(self) -> str:
        return self.operation.resource

    @property
    def task(self) -> str:
        return self.operation.task


@dataclass(frozen=True)
class Attribute:
    """Set (value) or remove (None) a node attribute through attrd: transient (the status
    section, written at once or after the attribute's dampening) or `private` (never in the
    CIB). `delay_ms` (not None) changes the attribute's dampening."""

    node_id: str
    uname: str
    name: str
    value: str | None
    private: bool = False
    delay_ms: int | None = None
    origin: int = 0  # the node whose client asked (it answers `request_id`)
    request_id: str = ""


@dataclass(frozen=True)
class AttributeFlush:
    """The DC: the dampening of these attributes is over, write their pending values."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class ConfigAttribute:
    """A permanent node attribute (section "nodes") or a cluster option ("crm_config",
    "rsc_defaults", "op_defaults"): set (value) or removed (None) in the configuration."""

    request_id: str
    origin: int
    section: str
    node_id: str | None
    name: str
    value: str | None
    set_id: str | None = None


@dataclass(frozen=True)
class Cleanup:
    """Forget failures (and history) of a resource, on one node or all."""

    request_id: str
    origin: int
    resource: str
    node_id: str | None = None


@dataclass(frozen=True)
class TicketUpdate:
    """A change of this site's state of a ticket; `now` (the origin's clock) is what a grant
    records as last-granted, so every replica writes the same."""

    request_id: str
    origin: int
    ticket: str
    change: str  # a TicketChange value
    now: int


@dataclass(frozen=True)
class ForgetNode:
    """A node removed from the cluster (`vigil cluster node remove`, Pacemaker's crm_node -R):
    every replica drops it from the configuration's nodes, the status and the names it knows,
    unless it is a member again by the time this is delivered."""

    request_id: str
    origin: int
    node_id: str
    uname: str


@dataclass(frozen=True)
class FenceResult:
    """A fencing attempt's outcome; on success every replica records the target as down."""

    target_id: str
    target: str
    action: str
    ok: bool
    device: str
    detail: str
    when: int
    executioner: str
    duration_ms: int = 0
    manual: bool = False  # `vigil stonith confirm`: an operator vouched the node is down
    # the view the fencing node was in when the result was made: a result about a node that is
    # a member of a later view is older than the node's current life (see controller.fencing)
    ring: tuple[int, int] = (0, 0)


def fence_result_from(d: dict[str, Any]) -> FenceResult:
    """A FenceResult from its JSON form (wire and store); older forms have no ring."""
    fields = dict(d)
    fields["ring"] = tuple(fields.get("ring") or (0, 0))
    return FenceResult(**fields)


@dataclass(frozen=True)
class Leaving:
    """A node shuts down cleanly: it is expected down, nobody should fence it for leaving."""

    node_id: str
    uname: str


Message = (Hello | Sync | ConfigReplace | NodeStates | NodeHistory | OpResult | ExecRequest
           | Attribute | AttributeFlush | ConfigAttribute | Cleanup | FenceResult | Leaving
           | ForgetNode | TicketUpdate | RemoteHistory)

_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in (
    Hello, Sync, ConfigReplace, NodeStates, NodeHistory, OpResult, ExecRequest, Attribute,
    AttributeFlush, ConfigAttribute, Cleanup, FenceResult, Leaving, ForgetNode, TicketUpdate,
    RemoteHistory)}


class BadMessage(Exception):
    pass


# --- encoding -------------------------------------------------------------------------------

def _extra(e: Extra) -> dict[str, Any]:
    return {"attrs": [list(p) for p in e.attrs], "children": list(e.children)}


def _extra_from(d: dict[str, Any] | None) -> Extra:
    if not d:
        return Extra()
    return Extra(tuple((str(a), str(b)) for a, b in d.get("attrs", [])),
                 tuple(str(c) for c in d.get("children", [])))


def _record(r: OperationRecord) -> dict[str, Any]:
    return {
        "id": r.id, "operation": r.operation, "call_id": r.call_id, "rc_code": r.rc_code,
        "op_status": r.op_status, "interval_ms": r.interval_ms,
        "transition_key": r.transition_key, "transition_magic": r.transition_magic,
        "last_rc_change": r.last_rc_change, "op_digest": r.op_digest,
        "op_restart_digest": r.op_restart_digest, "op_force_restart": r.op_force_restart,
        "op_secure_params": r.op_secure_params, "op_secure_digest": r.op_secure_digest,
        "exit_reason": r.exit_reason, "operation_key": r.operation_key, "on_node": r.on_node,
        "extra": _extra(r.extra),
    }


def _record_from(d: dict[str, Any]) -> OperationRecord:
    return OperationRecord(
        id=d["id"], operation=d["operation"], call_id=int(d["call_id"]),
        rc_code=int(d["rc_code"]), op_status=int(d["op_status"]),
        interval_ms=int(d["interval_ms"]), transition_key=d.get("transition_key"),
        transition_magic=d.get("transition_magic"), last_rc_change=d.get("last_rc_change"),
        op_digest=d.get("op_digest"), op_restart_digest=d.get("op_restart_digest"),
        op_force_restart=d.get("op_force_restart"),
        op_secure_params=d.get("op_secure_params"), op_secure_digest=d.get("op_secure_digest"),
        exit_reason=d.get("exit_reason"),
        operation_key=d.get("operation_key"), on_node=d.get("on_node"),
        extra=_extra_from(d.get("extra")))


def _operation(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = dict(op.__dict__)
    out["params"] = [list(p) for p in op.params]
    out["meta"] = [list(p) for p in op.meta]
    return out


def _operation_from(d: dict[str, Any]) -> Operation:
    fields = dict(d)
    fields["params"] = tuple((str(a), str(b)) for a, b in d.get("params", []))
    fields["meta"] = tuple((str(a), str(b)) for a, b in d.get("meta", []))
    return Operation(**fields)


def _history(h: ResourceHistory) -> dict[str, Any]:
    return {"id": h.id, "standard": h.standard, "agent_type": h.agent_type,
            "provider": h.provider, "container": h.container,
            "operations": [_record(r) for r in h.operations], "extra": _extra(h.extra)}


def _history_from(d: dict[str, Any]) -> ResourceHistory:
    return ResourceHistory(id=d["id"], standard=d.get("standard"), agent_type=d.get("agent_type"),
                           provider=d.get("provider"), container=d.get("container"),
                           operations=tuple(_record_from(r) for r in d.get("operations", [])),
                           extra=_extra_from(d.get("extra")))


def encode(msg: Message) -> bytes:
    body: dict[str, Any] = {"t": type(msg).__name__}
    for f in msg.__dataclass_fields__:
        value = getattr(msg, f)
        if isinstance(value, OperationRecord):
            value = _record(value)
        elif isinstance(value, ResourceHistory):
            value = _history(value)
        elif isinstance(value, Operation):
            value = _operation(value)
        elif f == "monitors":
            value = [_operation(op) for op in value]
        elif f == "history":
            value = [_history(h) for h in value]
        elif f == "rows":
            value = [list(r.__dict__.values()) for r in value]
        elif f == "fence_history":
            value = [dict(r.__dict__) for r in value]
        body[f] = value
    return json.dumps(body, separators=(",", ":")).encode()


def decode(data: bytes) -> Message:
    try:
        body = json.loads(data)
        cls = _TYPES[body.pop("t")]
        kwargs: dict[str, Any] = {}
        for f, value in body.items():
            if f == "record":
                value = _record_from(value)
            elif f == "resource" and isinstance(value, dict):
                value = _history_from(value)
            elif f == "operation":
                value = _operation_from(value)
            elif f == "monitors":
                value = tuple(_operation_from(op) for op in value)
            elif f == "history":
                value = tuple(_history_from(h) for h in value)
            elif f == "rows":
                value = tuple(NodeStateRow(*r) for r in value)
            elif f == "fence_history":
                value = tuple(fence_result_from(r) for r in value)
            elif f in ("ring", "version", "read_version", "pending", "names"):
                value = tuple(value)
            elif f in ("attributes", "private") and isinstance(value, list) or f in ("params", "meta"):
                value = tuple((str(a), str(b)) for a, b in value)
            kwargs[f] = value
        msg: Message = cls(**kwargs)
        return msg
    except (ValueError, KeyError, TypeError) as exc:
        raise BadMessage(str(exc)) from exc


# the same encodings for vigil-remoted's protocol (vigil.remoted.wire)
operation_to_wire = _operation
operation_from_wire = _operation_from
history_to_wire = _history
history_from_wire = _history_from
record_to_wire = _record
record_from_wire = _record_from

__all__ = ["Message", "encode", "decode", "BadMessage", "operation_to_wire", "operation_from_wire",
           "history_to_wire", "history_from_wire", "record_to_wire", "record_from_wire"]
