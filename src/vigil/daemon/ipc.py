"""The local control socket: JSON lines between the `vigil` CLI and this node's vigild.

What travels is `vigil.daemon.control`'s typed requests and replies; the framing is
`vigil.host.jsonlines`. The server sees the daemon only through `ControlledDaemon`.

Only root and members of the `haclient` group may connect (checked with SO_PEERCRED on every
connection, on top of the socket file's mode 0660 root:haclient). Every request of a peer other
than root is held to the CIB's ACLs (`vigil.daemon.acl_gate`): refused as ACL_DENIED, or
answered with the part of the CIB the user may read.

Bad input gets one reply that says what is wrong (IPC_BAD_REQUEST, IPC_UNKNOWN_OP) and changes
nothing; the connection stays open for the next request, except after a line too long to read
(the stream is no longer in step with the lines, so it is closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import grp
import os
import socket
import struct
from collections.abc import Mapping, Sequence
from typing import Protocol

from vigil.cib.acl_check import AclView, Principal
from vigil.cib.io import check_for_save
from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.cluster.layer import QuorumChange
from vigil.controller import attributes
from vigil.controller import messages as m
from vigil.controller.state import Attributes
from vigil.daemon import acl_gate
from vigil.daemon import control as c
from vigil.host import jsonlines
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError
from vigil.model.status import TicketChange
from vigil.model.version import CibVersion

DEFAULT_SOCKET = "/run/vigil/vigild.sock"
CLIENT_GROUP = "haclient"
CLEANUP_TIMEOUT_S = 30.0
ATTRIBUTE_TIMEOUT_S = 30.0


# -- what the server needs from the daemon ---------------------------------------------------
class ControlView(Protocol):
    """The daemon's current view of the cluster."""

    @property
    def members(self) -> tuple[int, ...]: ...

    @property
    def synced(self) -> bool:
        """In step with this view: has the CIB every member agreed on."""
        ...


class ControlledDaemon(Protocol):
    """What the control socket asks of the daemon. Reads are of its current state; the
    `request_*` coroutines return once the cluster has applied the request (agreed order)."""

    @property
    def cib(self) -> Cib: ...

    @property
    def me(self) -> int:
        """This node's id."""
        ...

    @property
    def dc(self) -> int | None: ...

    @property
    def view(self) -> ControlView: ...

    @property
    def quorum(self) -> QuorumChange | None:
        """The last quorum Corosync reported; None before the first."""
        ...

    @property
    def fence_history(self) -> Sequence[m.FenceResult]: ...

    def name_of(self, node: int) -> str: ...

    def node_id_of(self, name: str) -> int | None: ...

    @property
    def names(self) -> Mapping[int, str]:
        """Node id -> name, as the cluster layer knows them."""
        ...

    @property
    def running_operations(self) -> int:
        """Operations the cluster asked of this node that have not finished."""
        ...

    @property
    def node_attributes(self) -> Attributes:
        """attrd's memory: private attributes and dampened changes not yet in the CIB."""
        ...

    async def send(self, msg: m.Message) -> None:
        """Broadcast to every replica (used for node attributes)."""
        ...

    async def request_config(self, cib_xml: str, read_version: CibVersion
                             ) -> tuple[bool, object]:
        """Replace the configuration if its (admin_epoch, epoch) is still `read_version`'s.
        (True, (admin_epoch, epoch, num_updates)) once applied; (False, report code) if not:
        CIB_CHANGED_UNDERNEATH, CIB_NOT_READY. (False, tuple of Reports) is understood too."""
        ...

    async def request_cleanup(self, resource: str, node: str | None) -> tuple[bool, object]:
        """Forget `resource`'s failures and history on `node` (every node for None); the
        answer has the form of `request_config`'s."""
        ...

    async def request_ticket(self, ticket: str, change: str) -> tuple[bool, object]:
        """Change this site's state of `ticket` (a TicketChange value); the answer has the
        form of `request_config`'s."""
        ...

    async def request_forget(self, node: str) -> tuple[bool, object]:
        """Drop `node` (no member) from the CIB and the cluster's memory; the answer has the
        form of `request_config`'s (NODE_UNKNOWN, NODE_IS_MEMBER)."""
        ...

    async def request_fence(self, target: str, action: str, manual: bool = False
                            ) -> m.FenceResult:
        """Fence `target` ("reboot" or "off") or, `manual`, record an operator's confirmation.
        Raises ReportError (NODE_NOT_FOUND) for a node the cluster does not know."""
        ...

    async def request_attribute(self, node_id: str, uname: str, name: str, value: str | None,
                                *, private: bool = False, delay_ms: int | None = None
                                ) -> tuple[bool, object]:
        """Set (or, None, delete) a node attribute through attrd (see
        `controller.attributes`); the answer has the form of `request_config`'s."""
        ...

    async def request_config_attribute(self, section: str, node_id: str | None, name: str,
                                       value: str | None, set_id: str | None = None
                                       ) -> tuple[bool, object]:
        """Set (or delete) a permanent node attribute or a cluster option; the answer has the
        form of `request_config`'s (NODE_NOT_FOUND for a node not in the configuration)."""
        ...


# -- the server ------------------------------------------------------------------------------
def _peer(sock: socket.socket) -> tuple[int, int]:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, gid = struct.unpack("3i", creds)
    return uid, gid


def _peer_allowed(uid: int, gid: int) -> bool:
    if uid == 0:
        return True
    try:
        group = grp.getgrnam(CLIENT_GROUP)
    except KeyError:
        return False
    if gid == group.gr_gid:
        return True
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        return False
    return name in group.gr_mem


class ControlServer:
    def __init__(self, daemon: ControlledDaemon, path: str = DEFAULT_SOCKET) -> None:
        self.daemon = daemon
        self.path = path
        self.server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.Task[object]] = set()  # the connections being served

    async def start(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        # the limit: a replace request carries a whole configuration on its line
        self.server = await asyncio.start_unix_server(self._client, path=self.path,
                                                      limit=jsonlines.MAX_LINE)
        os.chmod(self.path, 0o660)
        with contextlib.suppress(KeyError, PermissionError):
            os.chown(self.path, 0, grp.getgrnam(CLIENT_GROUP).gr_gid)

    async def stop(self) -> None:
        """No new connections; those being served are ended here, while the loop runs (left
        to asyncio.run's final cancellation, a connection's end logged a traceback: CTS's
        StartOnebyOne found it in vigild's log)."""
        if self.server is not None:
            self.server.close()
        clients = list(self._clients)
        for task in clients:
            task.cancel()
        if clients:
            await asyncio.gather(*clients, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        task = asyncio.current_task()
        if task is not None:
            self._clients.add(task)
        try:
            uid, gid = _peer(sock) if sock is not None else (-1, -1)
            if sock is None or not _peer_allowed(uid, gid):
                await _send(writer, c.refused(c.IPC_ACCESS_DENIED))
                return
            who = acl_gate.principal(uid, gid)
            while True:
                try:
                    raw = await reader.readline()
                except ValueError:  # over the limit: asyncio has dropped part of the line
                    await _send(writer, c.refused(
                        c.IPC_BAD_REQUEST, detail=f"request longer than {jsonlines.MAX_LINE} bytes"))
                    return
                if not raw:
                    return
                await _send(writer, await self.answer(raw, who))
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:
            # the server stops: the connection ends here. Python 3.11's stream server asks a
            # finished handler task for its exception, which raises for a cancelled task and
            # is logged as an error with a traceback: this task ends normally instead
            return
        finally:
            self._clients.discard(task)
            writer.close()

    async def answer(self, raw: bytes, who: Principal | None = None) -> c.Reply:
        """The reply to one request line, whatever the line holds (never raises for it);
        `who`: the peer, held to the ACLs (None: root, who is not)."""
        try:
            request = c.decode_request(jsonlines.decode(raw))
        except c.BadMessage as exc:
            return c.Refused((exc.report,))
        except ValueError as exc:
            return c.refused(c.IPC_BAD_REQUEST, detail=str(exc))
        try:
            view = AclView(self.daemon.cib, who) if who is not None else None
            if view is not None and view.restricted:
                new = (parse_cib(request.config_xml)[0]
                       if isinstance(request, c.ReplaceConfig) else None)
                refused = acl_gate.refusal(view, request, lambda name: self._node(name)[0], new)
                if refused is not None:
                    return refused
            return await self._handle(request, view if view is not None and view.restricted
                                      else None)
        except ReportError as exc:
            return c.Refused(exc.reports)
        except TimeoutError:
            return c.refused(c.IPC_TIMEOUT, request=request.OP)

    async def _handle(self, request: c.Request, view: AclView | None = None) -> c.Reply:
        d = self.daemon

        def cib_xml() -> str:  # what the peer may read of the CIB
            return view.readable_xml() if view is not None else write_cib(d.cib)

        match request:
            case c.GetCib():
                return c.Answer(c.CibXml(cib_xml()))
            case c.GetStatus():
                q = d.quorum
                dc = d.dc
                return c.Answer(c.DaemonStatus(
                    node=d.name_of(d.me), node_id=d.me,
                    dc=d.name_of(dc) if dc is not None else None,
                    members=tuple(d.name_of(n) for n in d.view.members), synced=d.view.synced,
                    quorate=bool(q and q.quorate), votes=q.total_votes if q else 0,
                    expected_votes=q.expected_votes if q else 0, xml=cib_xml(),
                    corosync_members=len(q.members) if q else 0,
                    operations=d.running_operations))
            case c.ReplaceConfig():
                new, warnings = parse_cib(request.config_xml)  # ReportError: CIB_NOT_XML...
                # Only the configuration is the client's to replace: a status section sent
                # anyway is dropped here, not broadcast to every replica.
                config = dataclasses.replace(new, status=(), tickets=())
                # Pacemaker's schema and vigil's validation before the cluster agrees on it,
                # not only when each node stores it: a refused push changes nothing anywhere
                check_for_save(config)  # ReportError: CIB_SCHEMA_..., CIB_UNKNOWN_RESOURCE...
                ok, detail = await asyncio.wait_for(
                    d.request_config(write_cib(config), request.read_version),
                    timeout=request.timeout_s)
                return self._new_version(ok, detail, warnings, request.read_version)
            case c.Cleanup():
                ok, detail = await asyncio.wait_for(
                    d.request_cleanup(request.resource, request.node), timeout=CLEANUP_TIMEOUT_S)
                return self._new_version(ok, detail, (), None)
            case c.SetTicket():
                if not request.ticket or request.change not in {t.value for t in TicketChange}:
                    return c.refused(c.IPC_BAD_REQUEST, detail=f"ticket {request.ticket!r}, change "
                                     f"{request.change!r}")
                ok, detail = await asyncio.wait_for(
                    d.request_ticket(request.ticket, request.change), timeout=CLEANUP_TIMEOUT_S)
                return self._new_version(ok, detail, (), None)
            case c.ForgetNode():
                ok, detail = await asyncio.wait_for(d.request_forget(request.node),
                                                    timeout=CLEANUP_TIMEOUT_S)
                if not ok and detail in (c.NODE_UNKNOWN, c.NODE_IS_MEMBER):
                    return c.refused(str(detail), node=request.node)
                return self._new_version(ok, detail, (), None)
            case c.SetAttribute():
                ok, detail = await asyncio.wait_for(d.request_attribute(
                    request.node_id, request.uname, request.name, request.value),
                    timeout=ATTRIBUTE_TIMEOUT_S)
                if ok:
                    return c.Answer(c.Done())
                return self._new_version(ok, detail, (), None)
            case c.QueryAttribute():
                return c.Answer(c.AttributeValues(self._query(request)))
            case c.UpdateAttribute():
                ok, detail = await asyncio.wait_for(self._update(request),
                                                    timeout=ATTRIBUTE_TIMEOUT_S)
                return self._new_version(ok, detail, (), None)
            case c.GetNodeList():
                q = d.quorum
                members = set(d.view.members)
                return c.Answer(c.NodeList(
                    node_id=d.me, node=d.name_of(d.me), quorate=bool(q and q.quorate),
                    nodes=tuple(c.NodeEntry(nid, name, nid in members)
                                for nid, name in self._known_nodes())))
            case c.Fence():
                result = await asyncio.wait_for(
                    d.request_fence(request.node, request.action.value),
                    timeout=request.timeout_s)
                return c.Answer(fence_outcome(result))
            case c.ConfirmFenced():
                return c.Answer(fence_outcome(
                    await d.request_fence(request.node, "off", manual=True)))
            case c.GetFenceHistory():
                return c.Answer(c.FenceHistory(tuple(fence_outcome(f) for f in d.fence_history)))
            case c.GetQuorum():
                q = d.quorum
                return c.Answer(c.QuorumState(
                    quorate=bool(q and q.quorate), votes=q.total_votes if q else 0,
                    expected_votes=q.expected_votes if q else 0, quorum=q.quorum if q else 0,
                    members=tuple(d.name_of(int(n)) for n in q.members) if q else (),
                    two_node=bool(q and q.two_node), wait_for_all=bool(q and q.wait_for_all)))

    # -- node attributes -------------------------------------------------------------------
    def _known_nodes(self) -> list[tuple[int, str]]:
        """Every node the cluster knows, past and present: (id, name) by id."""
        d = self.daemon
        known = {int(n.id): n.uname for n in d.cib.configuration.nodes if n.id.isdigit()}
        known.update({nid: d.name_of(nid) for nid in d.names})
        known.update({nid: d.name_of(nid) for nid in d.view.members})
        return sorted(known.items())

    def _node(self, name: str | None) -> tuple[str, str]:
        """(id, name) of the node called `name` (None: this node); NODE_NOT_FOUND if none."""
        d = self.daemon
        if name is None:
            return str(d.me), d.name_of(d.me)
        nid = d.node_id_of(name)
        if nid is None:
            raise ReportError([reports.error(c.NODE_NOT_FOUND, node=name)])
        return str(nid), name

    def _query(self, q: c.QueryAttribute) -> tuple[c.AttributeValue, ...]:
        d = self.daemon
        cib = d.cib
        if not q.scope.of_node:
            found = attributes.option_values(cib, q.scope.value, q.set_id)
            ids = attributes.config_pair_ids(cib, q.scope.value, None, q.set_id)
            return tuple(c.AttributeValue(n, v, None, q.scope.value, ids.get(n))
                         for n, v in found.items() if q.name is None or n == q.name)
        if q.all_nodes:
            nodes = [(str(nid), name) for nid, name in self._known_nodes()]
        else:
            nodes = [self._node(q.node)]
        out = []
        for node_id, uname in nodes:
            if q.scope is c.AttributeScope.ATTRD:
                values = attributes.attrd_values(cib, d.node_attributes, node_id)
            elif q.scope is c.AttributeScope.STATUS:
                values = attributes.transient_values(cib, node_id)
            elif q.scope is c.AttributeScope.UTILIZATION:
                values = attributes.utilization_values(cib, node_id, q.set_id)
            else:
                values = attributes.permanent_values(cib, node_id, q.set_id)
            ids = (attributes.config_pair_ids(cib, q.scope.value, node_id, q.set_id)
                   if q.scope in (c.AttributeScope.NODES, c.AttributeScope.UTILIZATION) else {})
            out += [c.AttributeValue(n, v, uname, q.scope.value, ids.get(n))
                    for n, v in values.items() if q.name is None or n == q.name]
        return tuple(out)

    async def _update(self, u: c.UpdateAttribute) -> tuple[bool, object]:
        d = self.daemon
        if u.scope in (c.AttributeScope.ATTRD, c.AttributeScope.STATUS):
            node_id, uname = self._node(u.node)
            return await d.request_attribute(node_id, uname, u.name, u.value,
                                             private=u.private, delay_ms=u.delay_ms)
        target = self._node(u.node)[0] if u.scope.of_node else None
        return await d.request_config_attribute(u.scope.value, target, u.name, u.value,
                                                u.set_id)

    def _new_version(self, ok: bool, detail: object, warnings: tuple[Report, ...],
                     read: CibVersion | None) -> c.Reply:
        """The daemon's (ok, detail) answer to a CIB change, as a reply (see
        `ControlledDaemon.request_config` for the forms it may take)."""
        if ok and isinstance(detail, tuple) and len(detail) == 3 and all(
                isinstance(x, int) for x in detail):
            return c.Answer(c.NewVersion(CibVersion(*detail)), warnings)
        if not ok and detail == c.CIB_CHANGED_UNDERNEATH and read is not None:
            return c.refused(c.CIB_CHANGED_UNDERNEATH, read=read.dotted(),
                             now=self.daemon.cib.version.dotted())
        if not ok and isinstance(detail, str) and detail:
            return c.refused(detail)
        if not ok and isinstance(detail, tuple) and detail and all(
                isinstance(r, Report) for r in detail):
            return c.Refused(tuple(r for r in detail if isinstance(r, Report)))
        return c.refused(c.DAEMON_ERROR, detail=f"unexpected answer {detail!r:.200}")


def fence_outcome(f: m.FenceResult) -> c.FenceOutcome:
    return c.FenceOutcome(target=f.target, action=f.action, ok=f.ok, time=f.when,
                          executioner=f.executioner or None, device=f.device or None,
                          detail=f.detail or None, duration_ms=f.duration_ms, manual=f.manual)


async def _send(writer: asyncio.StreamWriter, reply: c.Reply) -> None:
    writer.write(jsonlines.encode(c.encode_reply(reply)))
    await writer.drain()


# -- the client ------------------------------------------------------------------------------
class ControlClient:
    """Blocking client used by the CLI."""

    def __init__(self, path: str = DEFAULT_SOCKET, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout

    def call(self, request: c.RequestOf[c.B]) -> c.Answer[c.B] | c.Refused:
        """One request, its reply. OSError when vigild cannot be reached (or times out),
        ValueError (BadMessage among them) when what it sent is not a reply to `request`."""
        obj = jsonlines.exchange(self.path, c.encode_request(request), timeout=self.timeout)
        return c.decode_reply(request, obj)
