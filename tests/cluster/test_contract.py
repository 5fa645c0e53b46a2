"""The ClusterLayer contract (vigil.cluster.layer), run against every backend: sim and corosync.

The corosync runs need root and corosync installed: they run a 3-node lab in network namespaces
(tests/cluster/corosync_lab.py) and drive one CorosyncLayer per node through cluster_driver.py;
without them they are skipped with the reason. Timeouts bound every wait; the sim never waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from harness import END, Generated, Harness, Lost, RunCluster, Watch

from vigil.cluster.layer import (
    ClusterUnavailable,
    Delivery,
    Membership,
    MessageTooLarge,
    NodeId,
)


def test_start_gives_a_first_membership_containing_self(run_cluster: RunCluster) -> None:
    async def scenario(h: Harness) -> None:
        w = Watch(h)
        for n in h.nodes:
            await h.start(n)
            first = await w.next(n)
            assert isinstance(first, Membership), f"first event of node {n}: {first}"
            assert n in first.members and n in first.joined and not first.left
            assert list(first.members) == sorted(first.members)
            assert set(first.joined) == set(first.members)  # a first view: everyone is new to it
        for n in h.nodes:
            view = await w.view_of(n, tuple(h.nodes))
            assert view.ring_id[0] in h.nodes
            quorum = await w.quorate(n, True)
            assert (quorum.total_votes, quorum.expected_votes, quorum.quorum) == (3, 3, 2)
            assert quorum.members == tuple(h.nodes)
            direct = await h.quorum(n)
            assert direct.quorate and direct.total_votes == 3

    run_cluster(scenario)


def test_agreed_order_is_identical_on_all_members(run_cluster: RunCluster) -> None:
    per_sender = 40

    async def scenario(h: Harness) -> None:
        w = Watch(h)
        await w.start_all()

        async def send(n: NodeId) -> None:
            for i in range(per_sender):
                await h.broadcast(n, f"{n}:{i}".encode())
                await asyncio.sleep(0)  # let the other senders interleave

        await asyncio.gather(*(send(n) for n in h.nodes))
        total = per_sender * len(h.nodes)
        orders = {n: [(d.sender, d.payload) for d in await w.deliveries(n, total)] for n in h.nodes}
        first = orders[h.nodes[0]]
        for n in h.nodes:
            assert orders[n] == first, f"node {n} delivered in another order"
        for sender in h.nodes:
            mine = [p for s, p in first if s == sender]
            assert mine == [f"{sender}:{i}".encode() for i in range(per_sender)]  # FIFO per sender
            assert all(p.startswith(f"{s}:".encode()) for s, p in first)

    run_cluster(scenario)


def test_sender_receives_its_own_message(run_cluster: RunCluster) -> None:
    async def scenario(h: Harness) -> None:
        w = Watch(h)
        await w.start_all()
        await h.broadcast(NodeId(2), b"from two")
        for n in h.nodes:
            [d] = await w.deliveries(n, 1)
            assert d == Delivery(NodeId(2), b"from two")

    run_cluster(scenario)


def test_large_messages_are_delivered_intact(run_cluster: RunCluster) -> None:
    async def scenario(h: Harness) -> None:
        w = Watch(h)
        await w.start_all()
        atomic = h.atomic_size
        incompressible = Generated(2 * atomic + 12345, seed=7)  # split in 3 fragments
        compressible = Generated(3 * atomic, seed=-120)  # one compressed frame
        await h.broadcast(NodeId(1), incompressible)
        await h.broadcast(NodeId(2), compressible)
        await h.broadcast(NodeId(1), b"small after big")
        expected = {
            (1, incompressible.materialize()),
            (2, compressible.materialize()),
            (1, b"small after big"),
        }
        orders = []
        for n in h.nodes:
            got = await w.deliveries(n, 3)
            assert {(d.sender, d.payload) for d in got} == expected
            ones = [d.payload for d in got if d.sender == 1]
            assert ones[1] == b"small after big"
            orders.append([(d.sender, len(d.payload)) for d in got])
        assert all(o == orders[0] for o in orders)
        with pytest.raises(MessageTooLarge):
            await h.broadcast(NodeId(3), Generated(h.max_message_size + 1, seed=-1))
        await h.broadcast(NodeId(3), b"still fine")
        for n in h.nodes:
            assert await w.deliveries(n, 1) == [Delivery(NodeId(3), b"still fine")]

    run_cluster(scenario)


def test_a_member_leaving_changes_the_view_and_can_come_back(run_cluster: RunCluster) -> None:
    async def scenario(h: Harness) -> None:
        w = Watch(h)
        await w.start_all()
        await h.broadcast(NodeId(3), b"last words")
        await h.stop(NodeId(3))
        assert await w.end(NodeId(3)) is END
        assert [d.payload for d in w.inbox[NodeId(3)]] == [b"last words"]
        for n in (NodeId(1), NodeId(2)):
            view = await w.view_of(n, (1, 2))
            assert view.left == (3,) and view.joined == ()
            assert [d.payload for d in await w.deliveries(n, 1)] == [b"last words"]  # before the view
            assert w.log[n].index(view) > max(i for i, e in enumerate(w.log[n]) if isinstance(e, Delivery))
        w.reset(NodeId(3))
        await h.start(NodeId(3))
        for n in h.nodes:
            view = await w.view_of(n, (1, 2, 3))
            assert view.joined == ((1, 2, 3) if n == 3 else (3,))

    run_cluster(scenario)


def test_a_crashed_node_leaves_the_view_and_rejoins_after_restart(
    run_cluster: RunCluster, record_measurement: Callable[[str], None]
) -> None:
    async def scenario(h: Harness) -> None:
        w = Watch(h)
        await w.start_all()
        before = w.view[NodeId(1)]
        assert before is not None
        t0 = time.monotonic()
        await h.crash(NodeId(3))
        lost = await w.end(NodeId(3))
        assert isinstance(lost, Lost), lost
        for n in (NodeId(1), NodeId(2)):
            view = await w.view_of(n, (1, 2))
            assert view.left == (3,)
            assert view.ring_id[1] > before.ring_id[1]
        detected = time.monotonic() - t0
        quorum = await h.quorum(NodeId(1))
        assert quorum.quorate and quorum.expected_votes == 3
        w.reset(NodeId(3))
        with pytest.raises(ClusterUnavailable):
            await h.start(NodeId(3))  # no engine on node 3
        t1 = time.monotonic()
        await h.restart(NodeId(3))
        w.reset(NodeId(3))
        await h.start(NodeId(3))
        for n in h.nodes:
            view = await w.view_of(n, (1, 2, 3))
            assert view.ring_id[1] > before.ring_id[1]
        await w.quorate(NodeId(3), True)
        if h.name == "corosync":
            back = time.monotonic() - t1
            record_measurement(f"corosync lab, token 1000 ms: crash noticed by the survivors in "
                               f"{detected:.2f} s, restarted node back in the view in {back:.2f} s")

    run_cluster(scenario)


def test_quorum_is_lost_in_the_minority_and_kept_in_the_majority(
    run_cluster: RunCluster, record_measurement: Callable[[str], None]
) -> None:
    async def scenario(h: Harness) -> None:
        w = Watch(h)
        await w.start_all()
        ring_before = max(v.ring_id[1] for v in w.view.values() if v is not None)
        t0 = time.monotonic()
        await h.partition({1, 2}, {3})
        minority = await w.quorate(NodeId(3), False)
        assert (minority.total_votes, minority.expected_votes, minority.quorum) == (1, 3, 2)
        assert minority.members == (3,)
        await w.view_of(NodeId(3), (3,))
        for n in (NodeId(1), NodeId(2)):
            view = await w.view_of(n, (1, 2))
            assert view.left == (3,) and view.ring_id[1] > ring_before
            assert (await h.quorum(n)).quorate
        split = time.monotonic() - t0
        await h.broadcast(NodeId(1), b"majority")
        await h.broadcast(NodeId(3), b"minority")
        for n in (NodeId(1), NodeId(2)):
            assert [d.payload for d in await w.deliveries(n, 1)] == [b"majority"]
        assert [d.payload for d in await w.deliveries(NodeId(3), 1)] == [b"minority"]

        t1 = time.monotonic()
        await h.heal()
        merged = {n: await w.view_of(n, (1, 2, 3)) for n in h.nodes}
        assert len({v.ring_id for v in merged.values()}) == 1
        assert all(v.ring_id[1] > ring_before for v in merged.values())
        assert merged[NodeId(3)].joined == (1, 2) and merged[NodeId(1)].joined == (3,)
        await w.quorate(NodeId(3), True)
        healed = time.monotonic() - t1
        for n in h.nodes:  # nothing crossed the partition
            await w.drain(n)
            assert not w.inbox[n], f"node {n} got {w.inbox[n]}"
        if h.name == "corosync":
            record_measurement(f"corosync lab, token 1000 ms: partition noticed in {split:.2f} s, "
                               f"heal merged in {healed:.2f} s")

    run_cluster(scenario)


def test_stop_ends_the_stream(run_cluster: RunCluster) -> None:
    async def scenario(h: Harness) -> None:
        w = Watch(h)
        await h.start(NodeId(1))
        first = await w.next(NodeId(1))
        assert isinstance(first, Membership) and first.members == (1,)
        await h.stop(NodeId(1))
        assert await w.end(NodeId(1)) is END
        await h.stop(NodeId(1))  # idempotent
        with pytest.raises(RuntimeError):
            await h.broadcast(NodeId(1), b"too late")

    run_cluster(scenario)
