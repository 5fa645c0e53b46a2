"""What the sim promises beyond the shared contract: virtual synchrony with messages in flight,
votequorum's arithmetic (two_node, wait_for_all), ring ids, determinism; and a stateful
hypothesis test that attacks all of it under random partitions, crashes and restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from vigil.cluster.layer import ClusterEvent, ClusterUnavailable, Delivery, Membership, NodeId, QuorumChange
from vigil.cluster.sim import SimLayer, SimNetwork


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def take(layer: SimLayer) -> list[ClusterEvent]:
    stream = layer.events()
    out: list[ClusterEvent] = []
    while stream.backlog():
        try:
            out.append(await anext(stream))
        except (StopAsyncIteration, ClusterUnavailable):
            break
    return out


def views(events: list[ClusterEvent]) -> list[tuple[int, ...]]:
    return [tuple(e.members) for e in events if isinstance(e, Membership)]


def payloads(events: list[ClusterEvent]) -> list[bytes]:
    return [e.payload for e in events if isinstance(e, Delivery)]


async def three(net: SimNetwork) -> list[SimLayer]:
    layers = [net.add_node(i, f"n{i}") for i in (1, 2, 3)]
    for layer in layers:
        await layer.start()
    for layer in layers:
        await take(layer)
    return layers


def test_messages_in_flight_at_a_partition_stay_on_their_senders_side() -> None:
    async def scenario() -> None:
        net = SimNetwork(autoflush=False)
        a, b, c = await three(net)
        await a.broadcast(b"from 1")
        await c.broadcast(b"from 3")
        await b.broadcast(b"from 2")
        assert net.in_flight == 3
        net.partition({1, 2}, {3})
        ea, eb, ec = await take(a), await take(b), await take(c)
        assert payloads(ea) == payloads(eb) == [b"from 1", b"from 2"]
        assert payloads(ec) == [b"from 3"]
        for events in (ea, eb, ec):  # delivered before the new view, in the old one
            last_delivery = max(i for i, e in enumerate(events) if isinstance(e, Delivery))
            first_view = min(i for i, e in enumerate(events) if isinstance(e, Membership))
            assert last_delivery < first_view
        assert views(ea) == views(eb) == [(1, 2)] and views(ec) == [(3,)]

    run(scenario)


def test_a_crashed_senders_messages_in_flight_are_dropped_by_everyone() -> None:
    async def scenario() -> None:
        net = SimNetwork(autoflush=False)
        a, b, c = await three(net)
        await c.broadcast(b"lost with node 3")
        await a.broadcast(b"kept")
        net.crash(3)
        for layer in (a, b):
            events = await take(layer)
            assert payloads(events) == [b"kept"]
            assert views(events) == [(1, 2)]
        with pytest.raises(ClusterUnavailable):
            await anext(c.events())
        with pytest.raises(ClusterUnavailable):
            await c.broadcast(b"x")

    run(scenario)


def test_flush_delivers_in_call_order_and_a_join_waits_for_it() -> None:
    async def scenario() -> None:
        net = SimNetwork(autoflush=False)
        a = net.add_node(1)
        b = net.add_node(2)
        await a.start()
        await a.broadcast(b"before 2 joined")
        await b.start()  # flushes first: node 2 never sees the earlier message
        ea, eb = await take(a), await take(b)
        assert payloads(ea) == [b"before 2 joined"] and payloads(eb) == []
        assert views(ea) == [(1,), (1, 2)] and views(eb) == [(1, 2)]

    run(scenario)


def test_ring_ids_grow_with_node_changes_but_not_with_process_joins() -> None:
    async def scenario() -> None:
        net = SimNetwork()
        a, b, c = (net.add_node(i) for i in (1, 2, 3))
        ring = net.ring_of(1)
        assert ring is not None and ring[0] == 1
        await a.start()
        await b.start()
        rings = {e.ring_id for e in await take(a) if isinstance(e, Membership)}
        assert rings == {ring}  # process joins stay in the ring
        net.crash(1)
        r2 = net.ring_of(2)
        assert r2 is not None and r2[0] == 2 and r2[1] > ring[1]
        b_views = [e for e in await take(b) if isinstance(e, Membership)]
        assert b_views[-1].ring_id == r2 and b_views[-1].left == (1,)
        net.restart(1)
        r3 = net.ring_of(3)
        assert r3 is not None and r3[0] == 1 and r3[1] > r2[1]
        del c

    run(scenario)


def test_two_node_keeps_quorum_with_one_node_but_waits_for_all_after_a_restart() -> None:
    async def scenario() -> None:
        net = SimNetwork(two_node=True)
        a, b = net.add_node(1), net.add_node(2)
        await a.start()
        await b.start()
        q = await a.quorum()
        assert q.quorate and q.two_node and q.wait_for_all and q.quorum == 1
        net.partition({1}, {2})  # the fence race two_node leaves to fencing
        assert (await a.quorum()).quorate and (await b.quorum()).quorate
        net.heal()
        net.crash(2)
        assert (await a.quorum()).quorate
        net.partition({1}, {2})
        b = net.restart(2)
        await b.start()
        q2 = await b.quorum()
        assert not q2.quorate and q2.total_votes == 1  # wait_for_all: has not seen node 1 yet
        net.heal()
        assert (await b.quorum()).quorate
        changes = [e for e in await take(b) if isinstance(e, QuorumChange)]
        assert [c.quorate for c in changes] == [False, True]

    run(scenario)


def test_wait_for_all_without_two_node() -> None:
    async def scenario() -> None:
        net = SimNetwork(wait_for_all=True)
        for i in (1, 2, 3):
            net.add_node(i)
        net.partition({1, 2}, {3})
        third = net.layer(3)
        assert third is not None
        layers = [net.restart(1), net.restart(2), third]  # 1 and 2 boot without seeing 3
        for layer in layers:
            await layer.start()
        assert not (await layers[0].quorum()).quorate  # 2 of 3 votes, but never saw all 3
        net.heal()
        assert (await layers[0].quorum()).quorate
        net.partition({1, 2}, {3})
        assert (await layers[0].quorum()).quorate  # seen all once: plain majority again
        assert not (await layers[2].quorum()).quorate

    run(scenario)


def test_expected_votes_follow_the_configured_nodes() -> None:
    async def scenario() -> None:
        net = SimNetwork()
        a = net.add_node(1)
        await a.start()
        assert (await a.quorum()).expected_votes == 1
        for i in (2, 3, 4):
            net.add_node(i)
        q = await a.quorum()
        assert (q.expected_votes, q.total_votes, q.quorum, q.quorate) == (4, 4, 3, True)
        assert a.node_names() == {1: "node1", 2: "node2", 3: "node3", 4: "node4"}
        quorum_events = [e for e in await take(a) if isinstance(e, QuorumChange)]
        assert [e.expected_votes for e in quorum_events] == [1, 2, 3, 4]

    run(scenario)


def test_misuse_is_reported() -> None:
    async def scenario() -> None:
        net = SimNetwork(max_message_size=10)
        a = net.add_node(1)
        with pytest.raises(RuntimeError):
            await a.broadcast(b"not started")
        await a.start()
        with pytest.raises(RuntimeError):
            await a.start()
        from vigil.cluster.layer import MessageTooLarge

        with pytest.raises(MessageTooLarge):
            await a.broadcast(b"x" * 11)
        with pytest.raises(RuntimeError):
            net.new_layer(1)  # a live layer is there
        with pytest.raises(ValueError):
            net.add_node(1)
        with pytest.raises(ValueError):
            net.partition({1}, {1})

    run(scenario)


def test_same_script_same_events() -> None:
    async def script() -> list[list[ClusterEvent]]:
        net = SimNetwork(autoflush=False)
        layers = await three(net)
        for i, layer in enumerate(layers * 3):
            if layer.running:
                await layer.broadcast(f"m{i}".encode())
            if i == 4:
                net.partition({1}, {2, 3})
            if i == 6:
                net.crash(2)
        layers[1] = net.restart(2)
        await layers[1].start()
        net.heal()
        net.flush()
        return [await take(layer) for layer in layers]

    async def scenario() -> None:
        assert await script() == await script()

    run(scenario)


class SimMachine(RuleBasedStateMachine):
    """Random partitions, crashes, restarts, leaves and broadcasts; after each step, check that
    views are well formed, quorum is held by at most one side, and virtual synchrony holds:
    two layers that installed the same view and then the same next view delivered the same
    messages in between, in the same order."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.net = SimNetwork(autoflush=False)
        self.ids = (1, 2, 3, 4, 5)
        self.layers: dict[int, SimLayer] = {i: self.net.add_node(i) for i in self.ids}
        self.logs: dict[SimLayer, list[ClusterEvent]] = {}  # every layer ever started, in order
        self.counter = 0
        for i in self.ids:
            self.do(self.layers[i].start())
        self.collect()

    def do(self, coro: Coroutine[Any, Any, None]) -> None:
        self.loop.run_until_complete(coro)

    def collect(self) -> None:
        for layer in self.layers.values():
            self.logs.setdefault(layer, []).extend(self.loop.run_until_complete(take(layer)))

    def teardown(self) -> None:
        self.loop.close()

    @rule(groups=st.lists(st.integers(0, 2), min_size=5, max_size=5))
    def partition(self, groups: list[int]) -> None:
        self.net.partition(*({i for i, g in zip(self.ids, groups, strict=True) if g == k} for k in range(3)))
        self.collect()

    @rule()
    def heal(self) -> None:
        self.net.heal()
        self.collect()

    @rule(node=st.sampled_from((1, 2, 3, 4, 5)))
    def crash(self, node: int) -> None:
        self.net.crash(node)
        self.collect()

    @rule(node=st.sampled_from((1, 2, 3, 4, 5)))
    def restart(self, node: int) -> None:
        self.layers[node] = self.net.restart(node)
        self.do(self.layers[node].start())
        self.collect()

    @rule(node=st.sampled_from((1, 2, 3, 4, 5)))
    def leave_and_rejoin(self, node: int) -> None:
        layer = self.layers[node]
        if layer.running:
            self.do(layer.stop())
            self.collect()
            self.layers[node] = self.net.new_layer(node)
            self.do(self.layers[node].start())
            self.collect()

    @rule(node=st.sampled_from((1, 2, 3, 4, 5)), count=st.integers(1, 3))
    def broadcast(self, node: int, count: int) -> None:
        layer = self.layers[node]
        if layer.running:
            for _ in range(count):
                self.counter += 1
                self.do(layer.broadcast(f"{node}:{self.counter}".encode()))

    @precondition(lambda self: self.net.in_flight > 0)
    @rule()
    def flush(self) -> None:
        self.net.flush()
        self.collect()

    @invariant()
    def views_are_well_formed(self) -> None:
        same_view: dict[int, tuple[tuple[int, int], tuple[NodeId, ...]]] = {}
        for layer, log in self.logs.items():
            node = layer.local_node
            previous: Membership | None = None
            view_ids = iter(layer.view_ids)
            for e in log:
                if isinstance(e, Membership):
                    key = next(view_ids)
                    assert same_view.setdefault(key, (e.ring_id, e.members)) == (e.ring_id, e.members)
                    assert node in e.members and list(e.members) == sorted(e.members)
                    if previous is not None:
                        assert e.ring_id[1] >= previous.ring_id[1]
                        assert set(e.joined) == set(e.members) - set(previous.members)
                        assert set(e.left) == set(previous.members) - set(e.members)
                    previous = e

    @invariant()
    def one_quorate_side_at_most(self) -> None:
        sides = {self.net.quorum_of(i).members for i in self.ids if self._up(i)}
        quorate = [m for m in sides if m and self.net.quorum_of(m[0]).quorate]
        assert len(quorate) <= 1, quorate

    def _up(self, node: int) -> bool:
        try:
            self.net.quorum_of(node)
        except ClusterUnavailable:
            return False
        return True

    @invariant()
    def virtual_synchrony(self) -> None:
        between: dict[tuple[int, int], tuple[tuple[NodeId, bytes], ...]] = {}
        for layer, log in self.logs.items():
            view_ids = iter(layer.view_ids)
            current: int | None = None
            batch: list[tuple[NodeId, bytes]] = []
            for e in log:
                if isinstance(e, Delivery):
                    assert current is not None, "delivery before the first view"
                    batch.append((e.sender, e.payload))
                elif isinstance(e, Membership):
                    nxt = next(view_ids)
                    if current is not None:
                        span = (current, nxt)
                        got = tuple(batch)
                        assert between.setdefault(span, got) == got, f"views {span}: {between[span]} != {got}"
                    current, batch = nxt, []
            delivered = [e.payload for e in log if isinstance(e, Delivery)]
            assert len(delivered) == len(set(delivered)), "a message delivered twice"


TestSimMachine = SimMachine.TestCase
TestSimMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
