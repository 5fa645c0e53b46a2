"""CorosyncLayer's own logic, driven through its callbacks without a corosync daemon.

The layer is wired to `LoopbackCpg`, which records the frames it is asked to send (and can refuse
some with CS_ERR_TRY_AGAIN); the test plays corosync by calling the layer's callbacks in the order
corosync would. The real daemon is exercised by test_contract.py in the namespace lab.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from vigil.cluster import _corosync_ctypes as cs
from vigil.cluster.corosync import CorosyncLayer
from vigil.cluster.layer import ClusterEvent, ClusterUnavailable, Delivery, Membership, NodeId

JOIN, LEAVE, DOWN, UP = cs.CPG_REASON_JOIN, cs.CPG_REASON_LEAVE, cs.CPG_REASON_NODEDOWN, cs.CPG_REASON_NODEUP
ME = cs.CpgAddress(1, 100, JOIN)


def addr(nodeid: int, reason: int = JOIN, pid: int | None = None) -> cs.CpgAddress:
    return cs.CpgAddress(nodeid, 100 * nodeid if pid is None else pid, reason)


class LoopbackCpg:
    """Stands in for cs.Cpg: keeps what the layer sends; refuses the first `refuse` sends."""

    def __init__(self, refuse: int = 0) -> None:
        self.frames: list[bytes] = []
        self.refuse = refuse
        self.refused = 0

    def mcast(self, frame: bytes) -> bool:
        if self.refuse:
            self.refuse -= 1
            self.refused += 1
            return False
        self.frames.append(frame)
        return True

    def leave(self) -> None:
        pass

    def close(self) -> None:
        pass


def wired(cpg: LoopbackCpg, *, atomic: int = 100) -> CorosyncLayer:
    layer = CorosyncLayer("test")
    layer._cpg = cpg  # type: ignore[assignment]
    layer._local, layer._atomic, layer._state = NodeId(1), atomic, "running"
    layer._loop = asyncio.get_running_loop()
    layer._pump_task = asyncio.create_task(layer._pump())
    return layer


def queued(layer: CorosyncLayer) -> list[ClusterEvent]:
    stream = layer.events()
    out = []
    while stream.backlog():
        out.append(stream._queue.get_nowait())
    return [e for e in out if isinstance(e, Membership | Delivery)]


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def test_the_views_of_a_ring_change_wait_for_the_totem_confchg() -> None:
    async def scenario() -> None:
        layer = wired(LoopbackCpg())
        layer._on_confchg((ME,), (), (ME,))  # our join: the ring is not known yet
        assert queued(layer) == []
        layer._on_totem((1, 8), (1, 2))
        assert queued(layer) == [Membership((1, 8), (NodeId(1),), (NodeId(1),), ())]
        layer._on_confchg((ME, addr(2)), (), (addr(2),))  # a process joins inside the ring
        assert queued(layer) == [Membership((1, 8), (1, 2), (2,), ())]  # type: ignore[arg-type]
        layer._on_confchg((ME,), (addr(2, DOWN),), ())  # node 2 lost: a new ring follows
        assert queued(layer) == []
        layer._on_totem((1, 12), (1,))
        assert queued(layer) == [Membership((1, 12), (1,), (), (2,))]  # type: ignore[arg-type]
        layer._on_confchg((ME, addr(3, UP)), (), (addr(3, UP),))  # a merge: left and joined
        layer._on_confchg((ME, addr(3, UP), addr(2, UP)), (), (addr(2, UP),))
        layer._on_totem((1, 16), (1, 2, 3))
        assert queued(layer) == [Membership((1, 16), (1, 2, 3), (2, 3), ())]  # type: ignore[arg-type]
        layer._on_confchg((ME, addr(2), addr(3), addr(3, JOIN, 333)), (), (addr(3, JOIN, 333),))
        assert queued(layer) == []  # a second process on node 3: same nodes, no view
        layer._on_confchg((ME, addr(2), addr(3, JOIN, 333)), (addr(3, LEAVE),), ())
        layer._on_confchg((ME, addr(2)), (addr(3, LEAVE, 333),), ())
        assert queued(layer) == [Membership((1, 16), (1, 2), (), (3,))]  # type: ignore[arg-type]
        # node 2 reboots faster than the token timeout: it leaves and returns in one ring change
        layer._on_confchg((ME, addr(2, UP, 444)), (addr(2, DOWN),), (addr(2, UP, 444),))
        assert queued(layer) == []
        layer._on_totem((1, 20), (1, 2))
        assert queued(layer) == [Membership((1, 20), (1, 2), (2,), (2,))]  # type: ignore[arg-type]
        # the same in two changes (gone, then back with the same pid: PID namespaces)
        layer._on_confchg((ME,), (addr(2, DOWN, 444),), ())
        layer._on_confchg((ME, addr(2, UP, 444)), (), (addr(2, UP, 444),))
        layer._on_totem((1, 24), (1, 2))
        assert queued(layer) == [Membership((1, 24), (1, 2), (2,), (2,))]  # type: ignore[arg-type]
        await layer.stop()

    run(scenario)


def test_a_split_message_aborted_by_a_join_is_sent_again_and_delivered_once() -> None:
    async def scenario() -> None:
        cpg = LoopbackCpg(refuse=3)  # and CS_ERR_TRY_AGAIN is retried on the way
        layer = wired(cpg)
        layer._on_totem((1, 4), (1, 2))
        layer._on_confchg((ME,), (), (ME,))
        payload = random.Random(3).randbytes(400)
        await layer.broadcast(payload)  # returns once accepted, before delivery
        first = list(cpg.frames)
        assert len(first) > 3 and cpg.refused == 3
        for frame in first[:2]:
            layer._on_deliver(1, 100, frame)
        layer._on_confchg((ME, addr(2)), (), (addr(2),))  # node 2 joins mid-message: abort
        await asyncio.sleep(0)  # the pump wakes up and sends it again
        again = cpg.frames[len(first) :]
        assert len(again) == len(first) and again != first
        small = asyncio.create_task(layer.broadcast(b"queued behind the big one"))
        await asyncio.sleep(0)
        assert len(cpg.frames) == 2 * len(first)  # the queue waits for the big one's delivery
        for frame in first[2:] + again:
            layer._on_deliver(1, 100, frame)
        await small
        for frame in cpg.frames[2 * len(first) :]:
            layer._on_deliver(1, 100, frame)
        deliveries = [e for e in queued(layer) if isinstance(e, Delivery)]
        assert deliveries == [Delivery(NodeId(1), payload), Delivery(NodeId(1), b"queued behind the big one")]
        await layer.stop()

    run(scenario)


class _Broken:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def dispatch(self) -> None:
        raise self.exc


@pytest.mark.parametrize(
    "exc", [cs.CorosyncError(cs.CS_ERR_LIBRARY, "cpg_dispatch"), ValueError("bug in a callback")]
)
def test_a_dispatch_failure_ends_the_stream_with_cluster_unavailable(exc: Exception) -> None:
    async def scenario() -> None:
        layer = wired(LoopbackCpg())
        layer._on_totem((1, 4), (1,))
        layer._on_confchg((ME,), (), (ME,))
        layer._on_readable(_Broken(exc))  # type: ignore[arg-type]
        stream = layer.events()
        assert isinstance(await anext(stream), Membership)
        with pytest.raises(ClusterUnavailable) as info:
            await anext(stream)
        assert info.value.__cause__ is exc
        with pytest.raises(ClusterUnavailable):
            await layer.broadcast(b"x")
        await layer.stop()  # harmless after a loss

    run(scenario)


def test_stop_before_start_ends_the_stream() -> None:
    async def scenario() -> None:
        layer = CorosyncLayer("test")
        await layer.stop()
        with pytest.raises(StopAsyncIteration):
            await anext(layer.events())
        with pytest.raises(RuntimeError):
            layer.local_node  # noqa: B018

    run(scenario)


def test_start_without_corosync_raises_cluster_unavailable() -> None:
    """In a fresh network namespace no corosync listens (libqb's sockets are per netns)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare for an empty network namespace")
    if (reason := cs.libraries_available()) is not None:
        pytest.skip(reason)
    code = (
        "import asyncio\n"
        "from vigil.cluster.corosync import CorosyncLayer\n"
        "from vigil.cluster.layer import ClusterUnavailable\n"
        "async def main():\n"
        "    try:\n"
        "        await CorosyncLayer().start()\n"
        "    except ClusterUnavailable as err:\n"
        "        print('unavailable:', err)\n"
        "asyncio.run(main())\n"
    )
    src = Path(__file__).resolve().parents[2] / "src"
    res = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", code],
        capture_output=True, text=True, timeout=30, env=dict(os.environ, PYTHONPATH=str(src)),
    )
    assert res.stdout.startswith("unavailable: cannot reach corosync"), res.stdout + res.stderr


class _ScriptedDispatch(cs._Dispatching):
    """The binding's dispatch plumbing with the library call replaced: "dispatching" runs the
    given callbacks through the same guard the C callbacks use, then returns `rc`."""

    _lib_name = "cpg"
    _prefix = "cpg"

    def __init__(self, callbacks: list[Callable[[], None]], rc: int = cs.CS_OK) -> None:
        super().__init__()
        self.callbacks, self.rc = callbacks, rc

    def _call(self, fn: str, *args: object) -> int:
        if fn == "dispatch":
            for cb in self.callbacks:
                self._guard(cb)
        return self.rc


def test_an_exception_in_a_callback_is_raised_after_dispatch() -> None:
    ran: list[int] = []

    def fail(n: int) -> Callable[[], None]:
        def cb() -> None:
            ran.append(n)
            raise ValueError(f"callback {n}")

        return cb

    handle = _ScriptedDispatch([fail(1), fail(2), lambda: ran.append(3)])
    with pytest.raises(ValueError, match="callback 1"):
        handle.dispatch()
    assert ran == [1, 2, 3]  # the library finished its dispatch; the first error wins
    handle.callbacks = []
    handle.dispatch()  # nothing left over from the previous dispatch
    with pytest.raises(cs.CorosyncError) as info:
        _ScriptedDispatch([], rc=cs.CS_ERR_LIBRARY).dispatch()
    assert info.value.lost
    _ScriptedDispatch([], rc=cs.CS_ERR_TRY_AGAIN).dispatch()  # nothing to read: not an error
