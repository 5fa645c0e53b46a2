"""The Corosync 3 backend of `ClusterLayer`: libcpg, libvotequorum and libcmap through ctypes.

One CPG group (`group_name`), joined with model V1; its fd and votequorum's are read by the running
asyncio loop (`add_reader`), and every callback runs on the loop thread inside `*_dispatch`.

Membership: CPG reports processes, vigil reports nodes. A view is emitted when the set of node ids
in the group changes; its `ring_id` is the totem ring it belongs to. Corosync sends the confchg of
a ring change (reasons NODEUP/NODEDOWN) before the totem confchg naming the new ring, so those views
wait for it; a process joining or leaving inside a ring is emitted at once, with the current ring.

Sending: `broadcast` queues; one pump task sends in call order, retrying CS_ERR_TRY_AGAIN with a
backoff from 0.5 ms to 50 ms. Payloads above the atomic size are compressed and, if still too
big, split (see `_framing`). A split message blocks the queue until it is delivered back to this
process; if a view with joined members aborted it (everywhere alike), it is sent again.

Loss: a dispatch or send error from the library (CS_ERR_LIBRARY, CS_ERR_BAD_HANDLE, ...) or an
exception raised by our own callback code ends the stream with `ClusterUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from vigil.cluster import _corosync_ctypes as cs
from vigil.cluster import _framing as framing
from vigil.cluster._stream import EventStream
from vigil.cluster.layer import (
    ClusterEvent,
    ClusterLayer,
    ClusterUnavailable,
    Delivery,
    Membership,
    MessageTooLarge,
    NodeId,
    QuorumChange,
)

log = logging.getLogger(__name__)

HARD_CAP = 64 * 1024 * 1024
_BACKOFF_FIRST = 0.0005
_BACKOFF_MAX = 0.05
_HIGH_WATER = 10_000  # queued events above which the CPG fd is no longer read
_LOW_WATER = 1_000
# votequorum calls back on quorum and node list changes, not when a quorum device casts or
# withdraws its vote (nor when a device is added by a reload): the votes are read again this
# often, and a change is an event like any other
_QUORUM_POLL_S = 2.0


@dataclass
class _Outgoing:
    payload: bytes
    accepted: asyncio.Future[None]
    end_marker: bool = False  # put by stop(): resolved once everything queued before is sent


@dataclass
class _Inflight:
    msg_id: int
    outcome: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


def _unavailable(what: str, err: BaseException) -> ClusterUnavailable:
    exc = ClusterUnavailable(f"{what}: {err}")
    exc.__cause__ = err
    return exc


class CorosyncLayer:
    """`ClusterLayer` over the local Corosync 3. Use from one asyncio loop; `events()` has one reader."""

    def __init__(self, group_name: str = "vigil", *, max_message_size: int = HARD_CAP) -> None:
        if not group_name or len(group_name.encode()) > cs.CPG_MAX_NAME_LENGTH:
            raise ValueError(f"bad CPG group name {group_name!r}")
        self._group = group_name
        self._max = max_message_size
        self._state = "new"  # new -> running -> stopped | lost
        self._stream = EventStream(high_water=_HIGH_WATER, low_water=_LOW_WATER)
        self._stream.on_drained = self._resume_reading
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cpg: cs.Cpg | None = None
        self._vq: cs.Votequorum | None = None
        self._cmap: cs.Cmap | None = None
        self._fds: list[int] = []
        self._paused = False
        self._local = NodeId(0)
        self._atomic = 0
        self._nonce = int.from_bytes(os.urandom(8), "big")
        self._next_msg_id = 0
        self._reasm = framing.Reassembler(limit=max_message_size)
        self._outbox: asyncio.Queue[_Outgoing] = asyncio.Queue()
        self._pump_task: asyncio.Task[None] | None = None
        self._quorum_poll: asyncio.TimerHandle | None = None
        self._inflight: _Inflight | None = None
        self._busy = False  # the pump holds a message taken from the outbox
        self._error: ClusterUnavailable | None = None
        # membership
        self._ring: tuple[int, int] | None = None
        self._group_nodes: tuple[NodeId, ...] = ()
        # nodes that were out of the group for a moment since the last view (a node that left
        # and came back between two views must still give a new view)
        self._left_since_view: set[int] = set()
        self._view_pending = False
        self._view: tuple[NodeId, ...] | None = None
        # quorum
        self._quorum_dirty = False
        self._quorum_nodes: tuple[NodeId, ...] = ()
        self._last_quorum: QuorumChange | None = None
        self._names: dict[NodeId, str] = {}

    # --- ClusterLayer -------------------------------------------------------------------------

    @property
    def local_node(self) -> NodeId:
        if self._local == 0:  # corosync never uses node id 0
            raise RuntimeError("local_node is known after start()")
        return self._local

    @property
    def max_message_size(self) -> int:
        return self._max

    @property
    def atomic_size(self) -> int:
        """libcpg's largest message sent as one (payloads above it are compressed or split)."""
        return self._atomic

    async def start(self) -> None:
        if self._state != "new":
            raise RuntimeError(f"start() on a layer that is {self._state}")
        loop = self._loop = asyncio.get_running_loop()
        self._state = "running"
        try:
            self._cpg = cs.Cpg(
                on_deliver=self._on_deliver, on_confchg=self._on_confchg, on_totem=self._on_totem
            )
            self._local = NodeId(self._cpg.local_nodeid())
            self._atomic = self._cpg.max_atomic_msgsize()
            self._vq = cs.Votequorum(
                on_quorum=self._on_quorum, on_expected=self._on_expected, on_nodelist=self._on_nodelist
            )
            self._cmap = cs.Cmap()
            self._names = self._read_names(self._cmap)
            for handle in (self._cpg, self._vq):
                fd = handle.fileno()
                loop.add_reader(fd, self._on_readable, handle)
                self._fds.append(fd)
            self._vq.trackstart(cs.CS_TRACK_CURRENT | cs.CS_TRACK_CHANGES)
            self._vq.dispatch()  # the current state, if already there: quorum() has members at once
            delay = _BACKOFF_FIRST
            while self._cpg.join(self._group) == cs.CS_ERR_TRY_AGAIN:
                await asyncio.sleep(delay)
                delay = min(2 * delay, _BACKOFF_MAX)
                if self._error is not None:
                    raise self._error
        except cs.CorosyncError as err:
            self._release()
            self._state = "lost"
            raise _unavailable("cannot reach corosync", err) from err
        except BaseException:  # cancelled while retrying the join, or lost meanwhile
            self._release()
            if self._state == "running":
                self._state = "lost"
            raise
        self._pump_task = loop.create_task(self._pump(), name=f"vigil-cpg-send-{self._group}")
        self._quorum_poll = loop.call_later(_QUORUM_POLL_S, self._poll_quorum)

    async def stop(self) -> None:
        if self._state in ("stopped", "lost"):
            return
        if self._state == "new":
            self._state = "stopped"
            self._stream.end()
            return
        if self._pump_task is not None and not self._pump_task.done():
            drained: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._outbox.put_nowait(_Outgoing(b"", drained, end_marker=True))
            with contextlib.suppress(ClusterUnavailable):
                await drained
        if self._state != "running":
            return
        self._state = "stopped"
        if self._pump_task is not None:
            self._pump_task.cancel()
        self._fail_pending(ClusterUnavailable("layer stopped"))
        if self._cpg is not None:
            self._cpg.leave()
        self._release()
        self._stream.end()

    async def broadcast(self, payload: bytes) -> None:
        if self._state == "lost" and self._error is not None:
            raise self._error
        if self._state != "running":
            raise RuntimeError(f"broadcast() on a layer that is {self._state}")
        if len(payload) > self._max:
            raise MessageTooLarge(f"{len(payload)} bytes above the cap of {self._max}")
        payload = bytes(payload)
        if self._idle() and 1 + len(payload) <= self._atomic and self._cpg is not None:
            # fast path: nothing queued before it, so sending now keeps the order
            try:
                if self._cpg.mcast(bytes([framing.WHOLE]) + payload):
                    return
            except cs.CorosyncError as err:
                error = _unavailable("cpg_mcast_joined", err)
                self._lose(error)
                raise error from err
        accepted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.put_nowait(_Outgoing(payload, accepted))
        await accepted

    def events(self) -> EventStream:
        return self._stream

    def node_names(self) -> dict[NodeId, str]:
        if self._cmap is not None:
            try:
                self._names = self._read_names(self._cmap)
            except cs.CorosyncError as err:
                log.debug("cmap nodelist: %s", err)
        return dict(self._names)

    async def quorum(self) -> QuorumChange:
        if self._state == "lost" and self._error is not None:
            raise self._error
        if self._state != "running" or self._vq is None:
            raise RuntimeError(f"quorum() on a layer that is {self._state}")
        try:
            return self._quorum_state()
        except cs.CorosyncError as err:
            error = _unavailable("votequorum_getinfo", err)
            self._lose(error)
            raise error from err

    # --- engine callbacks (inside dispatch, on the loop thread) -------------------------------

    def _on_deliver(self, nodeid: int, pid: int, frame: bytes) -> None:
        if self._view_pending:  # corosync sends the totem confchg before any later message
            log.warning("message before the totem confchg of a pending view: emitting the view")
            self._emit_view()
        try:
            done = self._reasm.feed((nodeid, pid), frame)
        except framing.FrameError as err:
            log.warning("dropped an unreadable frame from node %d pid %d: %s", nodeid, pid, err)
            return
        if done is None:
            return
        if nodeid == self._local and done.fid is not None and done.fid.nonce == self._nonce:
            self._settle_inflight(done.fid.msg_id, delivered=True)
        self._stream.put(Delivery(NodeId(nodeid), done.payload))

    def _on_confchg(
        self,
        members: tuple[cs.CpgAddress, ...],
        left: tuple[cs.CpgAddress, ...],
        joined: tuple[cs.CpgAddress, ...],
    ) -> None:
        for gone in left:
            self._reasm.drop_sender((gone.nodeid, gone.pid))
        if joined:
            for aborted in self._reasm.abort_all():
                if aborted.sender[0] == self._local and aborted.fid.nonce == self._nonce:
                    self._settle_inflight(aborted.fid.msg_id, delivered=False)
        self._group_nodes = tuple(sorted({NodeId(m.nodeid) for m in members}))
        # A node is gone for a moment when its processes left and none is left in the group,
        # or when one left and one joined in the same change (it rebooted).
        present = {m.nodeid for m in members}
        came = {a.nodeid for a in joined}
        self._left_since_view.update(a.nodeid for a in left
                                     if a.nodeid not in present or a.nodeid in came)
        ring_change = any(a.reason in (cs.CPG_REASON_NODEUP, cs.CPG_REASON_NODEDOWN) for a in left + joined)
        if self._view_pending or self._ring is None or ring_change:
            self._view_pending = True  # emitted with the totem confchg that follows
        else:
            self._emit_view()

    def _on_totem(self, ring: tuple[int, int], _nodes: tuple[int, ...]) -> None:
        self._ring = ring
        if self._view_pending:
            self._emit_view()

    def _on_quorum(self, _quorate: bool, nodes: tuple[tuple[int, int], ...]) -> None:
        # quorate, votes and flags are read with getinfo after the dispatch, all at one moment
        members = (NodeId(n) for n, state in nodes if state == cs.VOTEQUORUM_NODESTATE_MEMBER)
        self._quorum_nodes = tuple(sorted(members))
        self._quorum_dirty = True

    def _on_expected(self, _expected: int) -> None:
        self._quorum_dirty = True

    def _on_nodelist(self, _ring: tuple[int, int], _nodes: tuple[int, ...]) -> None:
        self._quorum_dirty = True

    # --- internals ----------------------------------------------------------------------------

    def _emit_view(self) -> None:
        self._view_pending = False
        members, previous = self._group_nodes, self._view or ()
        # A node whose process left and came back (it rebooted faster than the token timeout,
        # so Corosync reports its loss and return in one ring change) gives a new view although
        # the node ids are the same: it must join again.
        restarted = {n for n in members if n in previous and n in self._left_since_view}
        if self._view is not None and members == previous and not restarted:
            return
        if self._local not in members and self._view is None:
            return  # not in the group yet (cannot happen with CPG, kept for safety)
        assert self._ring is not None
        self._view = members
        self._left_since_view.clear()
        self._stream.put(
            Membership(
                ring_id=self._ring,
                members=members,
                joined=tuple(n for n in members if n not in previous or n in restarted),
                left=tuple(n for n in previous if n not in members or n in restarted),
            )
        )

    def _quorum_state(self) -> QuorumChange:
        assert self._vq is not None
        info = self._vq.getinfo(self._local)
        return QuorumChange(
            quorate=info.quorate,
            total_votes=info.total_votes,
            expected_votes=info.expected_votes,
            quorum=info.quorum,
            members=self._quorum_nodes,
            two_node=info.two_node,
            wait_for_all=info.wait_for_all,
        )

    def _after_dispatch(self) -> None:
        if self._quorum_dirty and self._view is not None and self._state == "running":
            self._quorum_dirty = False
            change = self._quorum_state()
            if change != self._last_quorum:
                self._last_quorum = change
                self._stream.put(change)
        if not self._paused and self._stream.backlog() > _HIGH_WATER and self._loop is not None and self._fds:
            self._paused = True
            self._loop.remove_reader(self._fds[0])

    def _resume_reading(self) -> None:
        if self._paused and self._state == "running" and self._loop is not None and self._cpg is not None:
            self._paused = False
            self._loop.add_reader(self._fds[0], self._on_readable, self._cpg)
            self._loop.call_soon(self._on_readable, self._cpg)

    def _on_readable(self, handle: cs.Cpg | cs.Votequorum) -> None:
        if self._state != "running":
            return
        try:
            handle.dispatch()
            self._after_dispatch()
        except cs.CorosyncError as err:
            self._lose(_unavailable("corosync connection lost", err))
        except Exception as err:  # a bug in our callbacks: fatal, surfaced through the stream
            log.exception("error in a corosync callback")
            self._lose(_unavailable("internal error in a corosync callback", err))

    def _poll_quorum(self) -> None:
        if self._state != "running" or self._loop is None:
            return
        self._quorum_dirty = True
        try:
            self._after_dispatch()
        except cs.CorosyncError as err:
            self._lose(_unavailable("votequorum_getinfo", err))
            return
        self._quorum_poll = self._loop.call_later(_QUORUM_POLL_S, self._poll_quorum)

    def _idle(self) -> bool:
        return not self._busy and self._outbox.empty()

    async def _pump(self) -> None:
        while True:
            out = await self._outbox.get()
            if out.accepted.done():
                continue
            if out.end_marker:
                out.accepted.set_result(None)
                continue
            self._busy = True
            try:
                await self._send(out)
            except ClusterUnavailable as err:
                if not out.accepted.done():
                    out.accepted.set_exception(err)
                return
            finally:
                self._busy = False

    async def _send(self, out: _Outgoing) -> None:
        atomic = self._atomic
        payload = out.payload
        if 1 + len(payload) <= atomic:
            prepared = framing.Prepared(bytes([framing.WHOLE]) + payload)
        else:
            prepared = await asyncio.to_thread(framing.prepare, payload, atomic=atomic)
        while True:
            self._next_msg_id += 1
            frames = framing.fragments(prepared, atomic=atomic, nonce=self._nonce, msg_id=self._next_msg_id)
            inflight = self._inflight = _Inflight(self._next_msg_id) if len(frames) > 1 else None
            for frame in frames:
                if inflight is not None and inflight.outcome.done():
                    break  # aborted by a view change: start again
                await self._mcast(frame)
            if not out.accepted.done():
                out.accepted.set_result(None)
            if inflight is None or await inflight.outcome:
                self._inflight = None
                return
            log.info("split message %d aborted by a view change: sending it again", inflight.msg_id)

    async def _mcast(self, frame: bytes) -> None:
        delay = _BACKOFF_FIRST
        while True:
            if self._error is not None:
                raise self._error
            if self._cpg is None or self._state != "running":
                raise ClusterUnavailable("layer stopped")
            try:
                if self._cpg.mcast(frame):
                    return
            except cs.CorosyncError as err:
                error = _unavailable("cpg_mcast_joined", err)
                self._lose(error)
                raise error from err
            await asyncio.sleep(delay)
            delay = min(2 * delay, _BACKOFF_MAX)

    def _settle_inflight(self, msg_id: int, *, delivered: bool) -> None:
        inflight = self._inflight
        if inflight is not None and inflight.msg_id == msg_id and not inflight.outcome.done():
            inflight.outcome.set_result(delivered)

    def _fail_pending(self, error: ClusterUnavailable) -> None:
        if self._inflight is not None and not self._inflight.outcome.done():
            self._inflight.outcome.set_exception(error)
            self._inflight.outcome.exception()  # mark retrieved: nobody may await it any more
        while not self._outbox.empty():
            out = self._outbox.get_nowait()
            if not out.accepted.done():
                out.accepted.set_exception(error)

    def _lose(self, error: ClusterUnavailable) -> None:
        if self._state != "running":
            return
        log.error("%s", error)
        self._state = "lost"
        self._error = error
        self._fail_pending(error)
        if self._pump_task is not None and self._pump_task is not asyncio.current_task():
            self._pump_task.cancel()
        self._release()
        self._stream.end(error)

    def _release(self) -> None:
        if self._quorum_poll is not None:
            self._quorum_poll.cancel()
        if self._loop is not None:
            for fd in self._fds:
                self._loop.remove_reader(fd)
        self._fds.clear()
        for close in self._closers():
            try:
                close()
            except cs.CorosyncError as err:
                log.debug("finalize: %s", err)

    def _closers(self) -> list[Callable[[], None]]:
        return [h.close for h in (self._cpg, self._vq, self._cmap) if h is not None]

    @staticmethod
    def _read_names(cmap: cs.Cmap) -> dict[NodeId, str]:
        names: dict[NodeId, str] = {}
        for nodeid, attrs in cmap.nodelist().items():
            name = attrs.get("name", attrs.get("ring0_addr", str(nodeid)))
            names[NodeId(nodeid)] = name if isinstance(name, str) else str(nodeid)
        return names

if TYPE_CHECKING:
    _conforms: ClusterLayer = CorosyncLayer()

__all__ = ["HARD_CAP", "ClusterEvent", "CorosyncLayer"]
