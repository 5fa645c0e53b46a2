"""What crosses vigild's control socket: typed requests and replies, and their JSON form.

Both ends work on these dataclasses; dicts exist only inside `encode_*` / `decode_*`, at the
JSON edge. A request is one JSON object with its kind in "op"; its reply is one JSON object:

    {"op": "fence", "node": "n2", "action": "off", "timeout_s": 120}
    -> {"ok": true, "target": "n2", "action": "off", "fenced": true, ..., "reports": []}
    -> {"ok": false, "reports": [{"code": "NODE_NOT_FOUND", "severity": "error", ...}]}

Reports travel whole (code, severity, fields in order, forceable) in both kinds of reply, so a
warning the daemon finds reaches the CLI as the same `Report` it made. A decode that fails
raises `BadMessage` (a ValueError) carrying the report the peer should get: one line, no
traceback, nothing changed.

Every report code the daemon side of this socket can send is in `DAEMON_CODES`; the CLI has a
message for each (tests/daemon/test_control.py checks).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

from vigil.host.jsonlines import JsonObject
from vigil.model import reports
from vigil.model.reports import Report, Severity
from vigil.model.version import CibVersion

# -- report codes the daemon side sends ------------------------------------------------------
IPC_ACCESS_DENIED = "IPC_ACCESS_DENIED"  # the peer is neither root nor in haclient
IPC_BAD_REQUEST = "IPC_BAD_REQUEST"  # not JSON, not an object, a field missing or mistyped
IPC_UNKNOWN_OP = "IPC_UNKNOWN_OP"  # a kind of request this daemon does not know (older daemon)
IPC_TIMEOUT = "IPC_TIMEOUT"  # the cluster did not answer the request in time
CIB_INVALID = "CIB_INVALID"  # every replica refused the pushed configuration as unreadable
CIB_NOT_READY = "CIB_NOT_READY"  # vigild is not yet in step with its view: try again
# vigild's exit status when another vigild holds this node's state directory
EXIT_ALREADY_RUNNING = 3
CIB_CHANGED_UNDERNEATH = "CIB_CHANGED_UNDERNEATH"  # the config changed since it was read
NODE_NOT_FOUND = "NODE_NOT_FOUND"  # fence or confirm of a node the cluster does not know
NODE_UNKNOWN = "NODE_UNKNOWN"  # forget-node of a node the cluster does not know
NODE_IS_MEMBER = "NODE_IS_MEMBER"  # forget-node of a member: stop it first
DAEMON_ERROR = "DAEMON_ERROR"  # the daemon answered something this socket cannot say
ACL_DENIED = "ACL_DENIED"  # the CIB's ACLs do not let this user do it (vigil.daemon.acl_gate)

DAEMON_CODES = frozenset({
    IPC_ACCESS_DENIED, IPC_BAD_REQUEST, IPC_UNKNOWN_OP, IPC_TIMEOUT, CIB_NOT_READY,
    CIB_CHANGED_UNDERNEATH, NODE_NOT_FOUND, DAEMON_ERROR, CIB_INVALID, NODE_UNKNOWN,
    NODE_IS_MEMBER, ACL_DENIED,
})
# A pushed configuration is parsed by the CIB codec: its reports (CIB_NOT_XML...) may come
# back too; they are the codec's, with the codec's messages.


class BadMessage(ValueError):
    """A request or reply that cannot be decoded; `report` says why, for the peer."""

    def __init__(self, report: Report) -> None:
        self.report = report
        detail = report.field("detail")
        super().__init__(f"{report.code}: {detail}" if detail else report.code)


def _bad(detail: str) -> BadMessage:
    return BadMessage(reports.error(IPC_BAD_REQUEST, detail=detail))


def _kind(value: object) -> str:
    return "null" if value is None else {bool: "a boolean", int: "an integer", float: "a number",
                                         str: "a string", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__)


class _Fields:
    """Typed reads of one JSON object's fields; BadMessage names the field and what it got."""

    def __init__(self, obj: JsonObject) -> None:
        self.obj = obj

    def _get(self, name: str, want: str, ok: Callable[[object], bool], default: object) -> object:
        if name not in self.obj:
            if default is not _REQUIRED:
                return default
            raise _bad(f"'{name}' is missing ({want})")
        value = self.obj[name]
        if not ok(value):
            raise _bad(f"'{name}' must be {want}, not {_kind(value)}")
        return value

    def text(self, name: str, default: str | None = None) -> str:
        value = self._get(name, "a string", lambda v: isinstance(v, str),
                          _REQUIRED if default is None else default)
        assert isinstance(value, str)
        return value

    def opt_text(self, name: str) -> str | None:
        value = self._get(name, "a string or null", lambda v: v is None or isinstance(v, str),
                          None)
        assert value is None or isinstance(value, str)
        return value

    def integer(self, name: str, default: int | None = None) -> int:
        value = self._get(name, "an integer", _is_int, _REQUIRED if default is None else default)
        assert isinstance(value, int)
        return value

    def opt_integer(self, name: str) -> int | None:
        value = self._get(name, "an integer or null", lambda v: v is None or _is_int(v), None)
        assert value is None or isinstance(value, int)
        return value

    def seconds(self, name: str, default: float) -> float:
        """A duration: a finite number above 0 (json reads NaN and Infinity too)."""
        value = self._get(name, "a number of seconds above 0",
                          lambda v: (isinstance(v, int | float) and not isinstance(v, bool)
                                     and 0 < v < math.inf), default)
        assert isinstance(value, int | float)
        return float(value)

    def flag(self, name: str, default: bool | None = None) -> bool:
        value = self._get(name, "true or false", lambda v: isinstance(v, bool),
                          _REQUIRED if default is None else default)
        assert isinstance(value, bool)
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        value = self._get(name, "a list of strings",
                          lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
                          _REQUIRED)
        assert isinstance(value, list)
        return tuple(value)

    def objects(self, name: str) -> list[JsonObject]:
        value = self._get(name, "a list of objects",
                          lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
                          _REQUIRED)
        assert isinstance(value, list)
        return value

    def version(self, name: str) -> CibVersion:
        value = self._get(name, "a list of 3 integers (admin_epoch, epoch, num_updates)",
                          lambda v: isinstance(v, list) and len(v) == 3 and all(map(_is_int, v)),
                          _REQUIRED)
        assert isinstance(value, list)
        return CibVersion(*value)


_REQUIRED = object()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- reports' transfer form ------------------------------------------------------------------
def encode_report(report: Report) -> JsonObject:
    return {"code": report.code, "severity": report.severity.value,
            "fields": [[k, v] for k, v in report.fields], "forceable": report.forceable}


def decode_report(obj: JsonObject) -> Report:
    f = _Fields(obj)
    severity = f.text("severity")
    try:
        level = Severity(severity)
    except ValueError:
        raise _bad(f"'severity' must be error, warning or info, not {severity!r}") from None
    pairs = obj.get("fields", [])
    if not (isinstance(pairs, list) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p)
            for p in pairs)):
        raise _bad("'fields' must be a list of [name, value] string pairs")
    return Report(f.text("code"), level, tuple((str(k), str(v)) for k, v in pairs),
                  f.flag("forceable", False))


# -- reply bodies ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CibXml:
    """The whole CIB, configuration and status, as the daemon holds it."""

    xml: str

    def encode(self) -> JsonObject:
        return {"xml": self.xml}

    @classmethod
    def decode(cls, f: _Fields) -> CibXml:
        return cls(f.text("xml"))


@dataclass(frozen=True)
class DaemonStatus:
    """This node's vigild: who it is, its view, the cluster's quorum, and the CIB."""

    node: str
    node_id: int
    dc: str | None
    members: tuple[str, ...]
    synced: bool  # in step with its view (has the view's CIB)
    quorate: bool
    votes: int  # every vote cast: the members' and a quorum device's
    expected_votes: int
    xml: str
    corosync_members: int = 0  # the nodes in Corosync's membership (votequorum's members)
    # operations the cluster asked of this node that run now: their results are not in the CIB
    # yet (`cluster stop` waits for them too: a start the DC sent before it saw the request)
    operations: int = 0

    def encode(self) -> JsonObject:
        return {"node": self.node, "node_id": self.node_id, "dc": self.dc,
                "members": list(self.members), "synced": self.synced, "quorate": self.quorate,
                "votes": self.votes, "expected_votes": self.expected_votes, "xml": self.xml,
                "corosync_members": self.corosync_members, "operations": self.operations}

    @classmethod
    def decode(cls, f: _Fields) -> DaemonStatus:
        return cls(node=f.text("node"), node_id=f.integer("node_id"), dc=f.opt_text("dc"),
                   members=f.texts("members"), synced=f.flag("synced"), quorate=f.flag("quorate"),
                   votes=f.integer("votes"), expected_votes=f.integer("expected_votes"),
                   xml=f.text("xml"), corosync_members=f.integer("corosync_members", 0),
                   operations=f.integer("operations", 0))


@dataclass(frozen=True)
class NewVersion:
    """The CIB's version once the change was applied by every replica."""

    version: CibVersion

    def encode(self) -> JsonObject:
        return {"version": list(self.version.as_tuple())}

    @classmethod
    def decode(cls, f: _Fields) -> NewVersion:
        return cls(f.version("version"))


@dataclass(frozen=True)
class Done:
    """Accepted; nothing to say."""

    def encode(self) -> JsonObject:
        return {}

    @classmethod
    def decode(cls, f: _Fields) -> Done:
        return cls()


@dataclass(frozen=True)
class FenceOutcome:
    """One fencing operation, as it happened or as the history remembers it: `ok` says whether
    it worked. (On the wire that is "fenced": the reply's own "ok" says whether the request
    was answered.)"""

    target: str
    action: str
    ok: bool
    time: int | None = None  # when it completed, seconds since the epoch
    executioner: str | None = None  # the node that ran the device
    device: str | None = None
    detail: str | None = None
    duration_ms: int | None = None
    manual: bool = False  # confirmed by an operator, no device ran

    def encode(self) -> JsonObject:
        return {"target": self.target, "action": self.action, "fenced": self.ok,
                "time": self.time, "executioner": self.executioner, "device": self.device,
                "detail": self.detail, "duration_ms": self.duration_ms, "manual": self.manual}

    @classmethod
    def decode(cls, f: _Fields) -> FenceOutcome:
        return cls(target=f.text("target"), action=f.text("action"), ok=f.flag("fenced"),
                   time=f.opt_integer("time"), executioner=f.opt_text("executioner"),
                   device=f.opt_text("device"), detail=f.opt_text("detail"),
                   duration_ms=f.opt_integer("duration_ms"), manual=f.flag("manual", False))


@dataclass(frozen=True)
class FenceHistory:
    entries: tuple[FenceOutcome, ...]

    def encode(self) -> JsonObject:
        return {"history": [e.encode() for e in self.entries]}

    @classmethod
    def decode(cls, f: _Fields) -> FenceHistory:
        return cls(tuple(FenceOutcome.decode(_Fields(e)) for e in f.objects("history")))


@dataclass(frozen=True)
class QuorumState:
    """Corosync's votequorum as this node's vigild last heard it (all zero before it has)."""

    quorate: bool
    votes: int
    expected_votes: int
    quorum: int  # votes needed
    members: tuple[str, ...]
    two_node: bool
    wait_for_all: bool

    def encode(self) -> JsonObject:
        return {"quorate": self.quorate, "votes": self.votes,
                "expected_votes": self.expected_votes, "quorum": self.quorum,
                "members": list(self.members), "two_node": self.two_node,
                "wait_for_all": self.wait_for_all}

    @classmethod
    def decode(cls, f: _Fields) -> QuorumState:
        return cls(quorate=f.flag("quorate"), votes=f.integer("votes"),
                   expected_votes=f.integer("expected_votes"), quorum=f.integer("quorum"),
                   members=f.texts("members"), two_node=f.flag("two_node"),
                   wait_for_all=f.flag("wait_for_all"))


@dataclass(frozen=True)
class AttributeValue:
    """One attribute: of a node (`node` its name) or a cluster option (`node` None)."""

    name: str
    value: str
    node: str | None
    scope: str  # an AttributeScope's value: where it was found
    id: str | None = None  # the nvpair's XML id, for a value of the configuration

    def encode(self) -> JsonObject:
        return {"name": self.name, "value": self.value, "node": self.node, "scope": self.scope,
                "id": self.id}

    @classmethod
    def decode(cls, f: _Fields) -> AttributeValue:
        return cls(f.text("name"), f.text("value", ""), f.opt_text("node"), f.text("scope"),
                   f.opt_text("id"))


@dataclass(frozen=True)
class AttributeValues:
    """What a query found (nothing: no such attribute)."""

    values: tuple[AttributeValue, ...]

    def encode(self) -> JsonObject:
        return {"values": [v.encode() for v in self.values]}

    @classmethod
    def decode(cls, f: _Fields) -> AttributeValues:
        return cls(tuple(AttributeValue.decode(_Fields(v)) for v in f.objects("values")))


@dataclass(frozen=True)
class NodeEntry:
    node_id: int
    name: str
    member: bool  # in this node's view (partition)

    def encode(self) -> JsonObject:
        return {"id": self.node_id, "name": self.name, "member": self.member}

    @classmethod
    def decode(cls, f: _Fields) -> NodeEntry:
        return cls(f.integer("id"), f.text("name"), f.flag("member"))


@dataclass(frozen=True)
class NodeList:
    """This node, the nodes the cluster knows (past and present), and the partition's quorum."""

    node_id: int
    node: str
    quorate: bool
    nodes: tuple[NodeEntry, ...]

    def encode(self) -> JsonObject:
        return {"node_id": self.node_id, "node": self.node, "quorate": self.quorate,
                "nodes": [n.encode() for n in self.nodes]}

    @classmethod
    def decode(cls, f: _Fields) -> NodeList:
        return cls(f.integer("node_id"), f.text("node"), f.flag("quorate"),
                   tuple(NodeEntry.decode(_Fields(n)) for n in f.objects("nodes")))


B = TypeVar("B", CibXml, DaemonStatus, NewVersion, Done, FenceOutcome, FenceHistory,
            QuorumState, AttributeValues, NodeList)


@dataclass(frozen=True)
class Answer(Generic[B]):
    """The request was carried out; `reports` holds what it found on the way (warnings...)."""

    body: B
    reports: tuple[Report, ...] = ()


@dataclass(frozen=True)
class Refused:
    """The request was not carried out (nothing changed); `reports` says why."""

    reports: tuple[Report, ...]


Reply = (Answer[CibXml] | Answer[DaemonStatus] | Answer[NewVersion] | Answer[Done]
         | Answer[FenceOutcome] | Answer[FenceHistory] | Answer[QuorumState]
         | Answer[AttributeValues] | Answer[NodeList] | Refused)


# -- requests --------------------------------------------------------------------------------
class RequestOf(Generic[B]):
    """A request whose answer carries a `B`. Subclasses are frozen dataclasses."""

    OP: ClassVar[str]

    def encode_fields(self) -> JsonObject:
        return {}

    def decode_body(self, f: _Fields) -> B:
        raise NotImplementedError


@dataclass(frozen=True)
class GetCib(RequestOf[CibXml]):
    OP: ClassVar[str] = "cib"

    def decode_body(self, f: _Fields) -> CibXml:
        return CibXml.decode(f)


@dataclass(frozen=True)
class GetStatus(RequestOf[DaemonStatus]):
    OP: ClassVar[str] = "status"

    def decode_body(self, f: _Fields) -> DaemonStatus:
        return DaemonStatus.decode(f)


@dataclass(frozen=True)
class ReplaceConfig(RequestOf[NewVersion]):
    """Replace the configuration if it is still at `read_version` (compare-and-swap).

    `config_xml` is a CIB document whose status section is empty: the status belongs to the
    cluster, which replicates it itself, and is not the client's to send (or to overwrite)."""

    OP: ClassVar[str] = "replace"
    config_xml: str
    read_version: CibVersion
    timeout_s: float = 30.0

    def encode_fields(self) -> JsonObject:
        return {"xml": self.config_xml, "read_version": list(self.read_version.as_tuple()),
                "timeout_s": self.timeout_s}

    @classmethod
    def decode(cls, f: _Fields) -> ReplaceConfig:
        return cls(f.text("xml"), f.version("read_version"), f.seconds("timeout_s", 30.0))

    def decode_body(self, f: _Fields) -> NewVersion:
        return NewVersion.decode(f)


@dataclass(frozen=True)
class Cleanup(RequestOf[NewVersion]):
    """Forget the failures and history of `resource` on `node` (every node when None)."""

    OP: ClassVar[str] = "cleanup"
    resource: str
    node: str | None = None

    def encode_fields(self) -> JsonObject:
        return {"resource": self.resource, "node": self.node}

    @classmethod
    def decode(cls, f: _Fields) -> Cleanup:
        return cls(f.text("resource"), f.opt_text("node"))

    def decode_body(self, f: _Fields) -> NewVersion:
        return NewVersion.decode(f)


@dataclass(frozen=True)
class ForgetNode(RequestOf[NewVersion]):
    """Drop a node that is no member from the CIB and the cluster's memory (a node removed
    from corosync.conf: `vigil cluster node remove`, Pacemaker's `crm_node -R`)."""

    OP: ClassVar[str] = "forget-node"
    node: str

    def encode_fields(self) -> JsonObject:
        return {"node": self.node}

    @classmethod
    def decode(cls, f: _Fields) -> ForgetNode:
        return cls(f.text("node"))

    def decode_body(self, f: _Fields) -> NewVersion:
        return NewVersion.decode(f)


@dataclass(frozen=True)
class SetTicket(RequestOf[NewVersion]):
    """Change this site's state of a ticket (grant, revoke, standby, activate, remove): the
    status's <tickets>, which every replica keeps alike, as `crm_ticket` changes Pacemaker's."""

    OP: ClassVar[str] = "ticket"
    ticket: str
    change: str  # a TicketChange value

    def encode_fields(self) -> JsonObject:
        return {"ticket": self.ticket, "change": self.change}

    @classmethod
    def decode(cls, f: _Fields) -> SetTicket:
        return cls(f.text("ticket"), f.text("change"))

    def decode_body(self, f: _Fields) -> NewVersion:
        return NewVersion.decode(f)


@dataclass(frozen=True)
class SetAttribute(RequestOf[Done]):
    """Set (value) or remove (None) a transient node attribute."""

    OP: ClassVar[str] = "attribute"
    node_id: str
    uname: str
    name: str
    value: str | None

    def encode_fields(self) -> JsonObject:
        return {"node_id": self.node_id, "uname": self.uname, "name": self.name,
                "value": self.value}

    @classmethod
    def decode(cls, f: _Fields) -> SetAttribute:
        return cls(f.text("node_id"), f.text("uname"), f.text("name"), f.opt_text("value"))

    def decode_body(self, f: _Fields) -> Done:
        return Done.decode(f)


class AttributeScope(enum.Enum):
    """Where a node attribute or cluster option lives, as the agents' tools name it."""

    ATTRD = "attrd"  # attrd_updater: attrd's memory (held changes, private ones), then status
    STATUS = "status"  # crm_attribute -l reboot: transient, the status section
    NODES = "nodes"  # crm_attribute -l forever: permanent, the nodes section
    UTILIZATION = "utilization"  # crm_attribute -z: a node's utilization (nodes section)
    CRM_CONFIG = "crm_config"  # cluster options
    RSC_DEFAULTS = "rsc_defaults"
    OP_DEFAULTS = "op_defaults"

    @property
    def of_node(self) -> bool:
        return self in (AttributeScope.ATTRD, AttributeScope.STATUS, AttributeScope.NODES,
                        AttributeScope.UTILIZATION)


def _scope(f: _Fields) -> AttributeScope:
    text = f.text("scope")
    try:
        return AttributeScope(text)
    except ValueError:
        known = ", ".join(s.value for s in AttributeScope)
        raise _bad(f"'scope' must be one of {known}, not {text!r}") from None


@dataclass(frozen=True)
class QueryAttribute(RequestOf[AttributeValues]):
    """The value of `name` (None: every attribute) of `node` (a name; None: this node), or of
    every node (`all_nodes`), or the cluster option `name` in `set_id` (None: any set)."""

    OP: ClassVar[str] = "attribute-query"
    scope: AttributeScope
    name: str | None = None
    node: str | None = None
    all_nodes: bool = False
    set_id: str | None = None

    def encode_fields(self) -> JsonObject:
        return {"scope": self.scope.value, "name": self.name, "node": self.node,
                "all_nodes": self.all_nodes, "set_id": self.set_id}

    @classmethod
    def decode(cls, f: _Fields) -> QueryAttribute:
        return cls(_scope(f), f.opt_text("name"), f.opt_text("node"),
                   f.flag("all_nodes", False), f.opt_text("set_id"))

    def decode_body(self, f: _Fields) -> AttributeValues:
        return AttributeValues.decode(f)


@dataclass(frozen=True)
class UpdateAttribute(RequestOf[NewVersion]):
    """Set `name` to `value` (None: delete it) for `node` (None: this node) or as a cluster
    option; through attrd for ATTRD and STATUS (`private`: never in the CIB; `delay_ms`: the
    attribute's dampening), a configuration change for the others. Answered once this node
    applied it (agreed order)."""

    OP: ClassVar[str] = "attribute-update"
    scope: AttributeScope
    name: str
    value: str | None
    node: str | None = None
    private: bool = False
    delay_ms: int | None = None
    set_id: str | None = None

    def encode_fields(self) -> JsonObject:
        return {"scope": self.scope.value, "name": self.name, "value": self.value,
                "node": self.node, "private": self.private, "delay_ms": self.delay_ms,
                "set_id": self.set_id}

    @classmethod
    def decode(cls, f: _Fields) -> UpdateAttribute:
        delay = f.opt_integer("delay_ms")
        if delay is not None and delay < 0:
            raise _bad(f"'delay_ms' must be 0 or more, not {delay}")
        name = f.text("name")
        if not name:
            raise _bad("'name' must not be empty")
        return cls(_scope(f), name, f.opt_text("value"), f.opt_text("node"),
                   f.flag("private", False), delay, f.opt_text("set_id"))

    def decode_body(self, f: _Fields) -> NewVersion:
        return NewVersion.decode(f)


@dataclass(frozen=True)
class GetNodeList(RequestOf[NodeList]):
    OP: ClassVar[str] = "node-list"

    def decode_body(self, f: _Fields) -> NodeList:
        return NodeList.decode(f)


class FenceAction(enum.Enum):
    REBOOT = "reboot"
    OFF = "off"


@dataclass(frozen=True)
class Fence(RequestOf[FenceOutcome]):
    """Fence `node` now and wait for the fencer's outcome (which says whether it worked)."""

    OP: ClassVar[str] = "fence"
    node: str
    action: FenceAction = FenceAction.REBOOT
    timeout_s: float = 120.0

    def encode_fields(self) -> JsonObject:
        return {"node": self.node, "action": self.action.value, "timeout_s": self.timeout_s}

    @classmethod
    def decode(cls, f: _Fields) -> Fence:
        action = f.text("action", FenceAction.REBOOT.value)
        try:
            kind = FenceAction(action)
        except ValueError:
            raise _bad(f"'action' must be reboot or off, not {action!r}") from None
        return cls(f.text("node"), kind, f.seconds("timeout_s", 120.0))

    def decode_body(self, f: _Fields) -> FenceOutcome:
        return FenceOutcome.decode(f)


@dataclass(frozen=True)
class ConfirmFenced(RequestOf[FenceOutcome]):
    """An operator vouches that `node` is down (fenced by hand)."""

    OP: ClassVar[str] = "confirm"
    node: str

    def encode_fields(self) -> JsonObject:
        return {"node": self.node}

    @classmethod
    def decode(cls, f: _Fields) -> ConfirmFenced:
        return cls(f.text("node"))

    def decode_body(self, f: _Fields) -> FenceOutcome:
        return FenceOutcome.decode(f)


@dataclass(frozen=True)
class GetFenceHistory(RequestOf[FenceHistory]):
    OP: ClassVar[str] = "fence-history"

    def decode_body(self, f: _Fields) -> FenceHistory:
        return FenceHistory.decode(f)


@dataclass(frozen=True)
class GetQuorum(RequestOf[QuorumState]):
    OP: ClassVar[str] = "quorum"

    def decode_body(self, f: _Fields) -> QuorumState:
        return QuorumState.decode(f)


Request = (GetCib | GetStatus | ReplaceConfig | Cleanup | ForgetNode | SetAttribute | Fence | ConfirmFenced
           | GetFenceHistory | GetQuorum | QueryAttribute | UpdateAttribute | GetNodeList
           | SetTicket)

_DECODERS: dict[str, Callable[[_Fields], Request]] = {
    GetCib.OP: lambda f: GetCib(),
    GetStatus.OP: lambda f: GetStatus(),
    ReplaceConfig.OP: ReplaceConfig.decode,
    Cleanup.OP: Cleanup.decode,
    ForgetNode.OP: ForgetNode.decode,
    SetAttribute.OP: SetAttribute.decode,
    Fence.OP: Fence.decode,
    ConfirmFenced.OP: ConfirmFenced.decode,
    GetFenceHistory.OP: lambda f: GetFenceHistory(),
    GetQuorum.OP: lambda f: GetQuorum(),
    QueryAttribute.OP: QueryAttribute.decode,
    UpdateAttribute.OP: UpdateAttribute.decode,
    GetNodeList.OP: lambda f: GetNodeList(),
    SetTicket.OP: SetTicket.decode,
}


def encode_request(request: RequestOf[B]) -> JsonObject:
    return {"op": request.OP, **request.encode_fields()}


def decode_request(obj: JsonObject) -> Request:
    """The request in a JSON object; BadMessage (IPC_UNKNOWN_OP, IPC_BAD_REQUEST) if none."""
    op = obj.get("op")
    if not isinstance(op, str):
        raise _bad(f"'op' must be a string naming the request, not {_kind(op)}")
    decoder = _DECODERS.get(op)
    if decoder is None:
        raise BadMessage(reports.error(IPC_UNKNOWN_OP, op=op, known=", ".join(sorted(_DECODERS))))
    return decoder(_Fields(obj))


# -- replies ---------------------------------------------------------------------------------
def encode_reply(reply: Reply) -> JsonObject:
    sent = [encode_report(r) for r in reply.reports]
    if isinstance(reply, Refused):
        return {"ok": False, "reports": sent}
    return {"ok": True, **reply.body.encode(), "reports": sent}


def decode_reply(request: RequestOf[B], obj: JsonObject) -> Answer[B] | Refused:
    """The reply to `request`; BadMessage (IPC_BAD_REQUEST) when it is not one."""
    f = _Fields(obj)
    found = tuple(decode_report(r) for r in f.objects("reports")) if "reports" in obj else ()
    if not f.flag("ok"):
        if not any(r.severity is Severity.ERROR for r in found):
            found += (reports.error(DAEMON_ERROR, detail="refused without saying why"),)
        return Refused(found)
    return Answer(request.decode_body(f), found)


def refused(code: str, **fields: object) -> Refused:
    return Refused((reports.error(code, **fields),))


def warnings_of(found: Sequence[Report]) -> tuple[Report, ...]:
    """What is not an error, of the reports a reply carried."""
    return tuple(r for r in found if r.severity is not Severity.ERROR)
