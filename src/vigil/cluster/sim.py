"""An in-process cluster for deterministic tests: the `ClusterLayer` contract without Corosync.

    net = SimNetwork()
    a, b, c = (net.add_node(i, f"n{i}") for i in (1, 2, 3))
    await a.start(); ...
    net.partition({1, 2}, {3}); net.heal(); net.crash(3); c = net.restart(3)

It models what Corosync gives vigild, at the same two levels:
- nodes (a Corosync process each): up or crashed, connected or partitioned. Each connected set of
  up nodes forms a totem ring; any change of a ring's nodes gives it a new ring id
  (lowest node id, a sequence number that only grows). Quorum is votequorum's: one vote per node,
  expected votes = configured nodes, quorate with more than half (`two_node`: 1 of 2, which
  implies `wait_for_all` unless it is set to False); with wait_for_all, a node that (re)started is
  not quorate until it has seen all configured nodes at once;
- layers (the vigild process, a CPG group member): a `SimLayer` joins on `start()` and leaves on
  `stop()` without changing the ring, as a CPG process does. A crash ends the stream of the node's
  layer with ClusterUnavailable; `restart()` boots the node and hands out a fresh layer.

Messages: `broadcast()` puts the message in flight; with `autoflush` (the default) it is delivered
at once, else at `flush()` or at the next change. Delivery goes to the layers of the sender's
ring, in one order for all of them (the order of the broadcast calls). Virtual synchrony: before
any view change, the messages in flight are delivered to the members of the old view that stay
connected to their sender; a crashed sender's messages in flight are dropped by everyone.

Everything runs synchronously in the caller: no clock, no randomness, no tasks. Events wait in
each layer's asyncio queue, so a test reads them with `async for` and never sleeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vigil.cluster._stream import EventStream
from vigil.cluster.layer import (
    ClusterLayer,
    ClusterUnavailable,
    Delivery,
    Membership,
    MessageTooLarge,
    NodeId,
    QuorumChange,
)

HARD_CAP = 64 * 1024 * 1024


@dataclass
class _Node:
    node_id: NodeId
    name: str
    label: int  # partition label: nodes with the same label are connected
    up: bool = True
    seen_all: bool = False  # wait_for_all satisfied since this node's (re)start
    ring: tuple[int, int] | None = None
    ring_nodes: tuple[NodeId, ...] = ()
    layer: SimLayer | None = None


@dataclass(frozen=True)
class _Message:
    sender: SimLayer
    payload: bytes


class SimNetwork:
    """The simulated cluster. All methods are synchronous and deterministic."""

    def __init__(
        self,
        *,
        two_node: bool = False,
        wait_for_all: bool | None = None,
        autoflush: bool = True,
        max_message_size: int = HARD_CAP,
    ) -> None:
        self.two_node = two_node
        self.wait_for_all = two_node if wait_for_all is None else wait_for_all
        self.autoflush = autoflush
        self.max_message_size = max_message_size
        self._nodes: dict[NodeId, _Node] = {}
        self._seq = 0
        self._next_label = 1
        self._in_flight: list[_Message] = []
        self._partitioned = False  # since partition(), until heal(): new nodes are alone
        self._view_serial = 0

    # --- the operator's (test's) controls -------------------------------------------------------

    def add_node(self, node_id: int, name: str | None = None) -> SimLayer:
        """Configure a node and boot its Corosync; returns its (not yet started) layer. A node added
        while partitioned is alone on its side; expected votes grow for every node."""
        nid = NodeId(node_id)
        if nid in self._nodes or node_id <= 0:
            raise ValueError(f"node id {node_id} taken or not positive")
        self._settle(crashed=())
        label = self._label() if self._partitioned else 0
        node = self._nodes[nid] = _Node(nid, name or f"node{node_id}", label)
        node.layer = SimLayer(self, nid)
        self._reconfigure()
        return node.layer

    def partition(self, *groups: Iterable[int]) -> None:
        """Cut the network into these groups of node ids; unnamed nodes (also nodes added later,
        until `heal()`) are each alone."""
        seen: set[NodeId] = set()
        labels: dict[NodeId, int] = {}
        for group in groups:
            label = self._label()
            for i in group:
                nid = self._known(i)
                if nid in seen:
                    raise ValueError(f"node {i} named in two groups")
                seen.add(nid)
                labels[nid] = label
        for nid in self._nodes:
            if nid not in labels:
                labels[nid] = self._label()
        self._settle(crashed=(), labels=labels)
        for nid, label in labels.items():
            self._nodes[nid].label = label
        self._partitioned = True
        self._reconfigure()

    def heal(self) -> None:
        """Reconnect everything."""
        labels = {nid: 0 for nid in self._nodes}
        self._settle(crashed=(), labels=labels)
        for node in self._nodes.values():
            node.label = 0
        self._partitioned = False
        self._reconfigure()

    def crash(self, node_id: int) -> None:
        """Kill the node's Corosync: its layer's stream ends with ClusterUnavailable."""
        node = self._nodes[self._known(node_id)]
        if not node.up:
            return
        self._settle(crashed=(node.node_id,))
        node.up, node.seen_all, node.ring, node.ring_nodes = False, False, None, ()
        if node.layer is not None:
            node.layer._lose(ClusterUnavailable(f"corosync on node {node_id} crashed"))
        self._reconfigure()

    def remove_node(self, node_id: int) -> None:
        """Drop a node whose Corosync is down from the nodelist (corosync.conf edited and
        reloaded on the members: `vigil cluster node remove`): its name is gone from every
        layer's node_names, and the expected votes follow."""
        nid = self._known(node_id)
        if self._nodes[nid].up:
            raise RuntimeError(f"node {node_id} still runs Corosync: crash it first")
        del self._nodes[nid]
        self._reconfigure()

    def restart(self, node_id: int) -> SimLayer:
        """Boot the node's Corosync again (crashing it first if it runs); returns a fresh layer."""
        nid = self._known(node_id)
        self.crash(nid)
        node = self._nodes[nid]
        node.up = True
        node.layer = SimLayer(self, nid)
        self._settle(crashed=())
        self._reconfigure()
        return node.layer

    def reboot(self, node_id: int) -> SimLayer:
        """Crash the node's Corosync and boot it again faster than the token timeout: the peers
        never see a view without it. Its old layer is lost; once the returned layer starts, every
        member gets one new ring in which the node left and joined again (same node ids)."""
        nid = self._known(node_id)
        node = self._nodes[nid]
        self._settle(crashed=(nid,))
        if node.layer is not None:
            node.layer._lose(ClusterUnavailable(f"corosync on node {node_id} rebooted"))
        node.layer = SimLayer(self, nid)
        node.seen_all = False
        self._seq += 1
        for n in self._nodes.values():
            if n.up and n.label == node.label:
                n.ring = (min(n.ring_nodes or (nid,)), self._seq)
        return node.layer

    def new_layer(self, node_id: int) -> SimLayer:
        """A fresh layer on a running node (vigild restarted, Corosync kept running). The previous
        layer must have stopped or been lost."""
        node = self._nodes[self._known(node_id)]
        if node.layer is not None and node.layer._state in ("new", "running"):
            raise RuntimeError(f"node {node_id} still has a live layer")
        node.layer = SimLayer(self, node.node_id)
        return node.layer

    def flush(self) -> int:
        """Deliver every message in flight (the autoflush=False mode); returns how many."""
        count = len(self._in_flight)
        self._settle(crashed=())
        return count

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    # --- inspection -----------------------------------------------------------------------------

    def layer(self, node_id: int) -> SimLayer | None:
        return self._nodes[self._known(node_id)].layer

    def ring_of(self, node_id: int) -> tuple[int, int] | None:
        return self._nodes[self._known(node_id)].ring

    def quorum_of(self, node_id: int) -> QuorumChange:
        node = self._nodes[self._known(node_id)]
        if not node.up:
            raise ClusterUnavailable(f"corosync on node {node_id} is down")
        return self._quorum(node)

    # --- the model ------------------------------------------------------------------------------

    def _known(self, node_id: int) -> NodeId:
        nid = NodeId(node_id)
        if nid not in self._nodes:
            raise KeyError(f"no node {node_id}")
        return nid

    def _label(self) -> int:
        self._next_label += 1
        return self._next_label

    def _connected(self, a: NodeId, b: NodeId, labels: dict[NodeId, int] | None = None) -> bool:
        na, nb = self._nodes[a], self._nodes[b]
        if not (na.up and nb.up):
            return False
        if labels is None:
            return na.label == nb.label
        return labels[a] == labels[b]

    def _settle(self, *, crashed: Iterable[NodeId], labels: dict[NodeId, int] | None = None) -> None:
        """Deliver the messages in flight before a change: to the running layers of the sender's
        current ring that stay connected to the sender afterwards (new `labels`, `crashed` nodes
        gone). A crashed sender's messages are dropped."""
        gone = set(crashed)
        pending, self._in_flight = self._in_flight, []
        for msg in pending:
            sender = msg.sender.local_node
            if sender in gone or not msg.sender.running:
                continue
            for nid in self._nodes:
                layer = self._nodes[nid].layer
                if layer is None or not layer.running or nid in gone:
                    continue
                if self._connected(sender, nid) and (labels is None or self._connected(sender, nid, labels)):
                    layer._put(Delivery(sender, msg.payload))

    def _components(self) -> list[tuple[NodeId, ...]]:
        by_label: dict[int, list[NodeId]] = {}
        for nid in sorted(self._nodes):
            node = self._nodes[nid]
            if node.up:
                by_label.setdefault(node.label, []).append(nid)
        return sorted(tuple(members) for members in by_label.values())

    def _reconfigure(self) -> None:
        """New rings where the set of connected nodes changed, then views, then quorum."""
        for comp in self._components():
            if any(self._nodes[n].ring_nodes != comp for n in comp):
                self._seq += 1
                for n in comp:
                    self._nodes[n].ring, self._nodes[n].ring_nodes = (comp[0], self._seq), comp
            if len(comp) == len(self._nodes):
                for n in comp:
                    self._nodes[n].seen_all = True
        self._publish()

    def _publish(self) -> None:
        for comp in self._components():
            group = tuple(n for n in comp if self._running(n))
            changed = [self._nodes[n].layer for n in group]
            if any(layer is not None and (layer._view != group or layer._view_processes != tuple(
                    self._nodes[n].layer for n in group)) for layer in changed):
                self._view_serial += 1
            processes = tuple(self._nodes[n].layer for n in group)
            for n in group:
                node = self._nodes[n]
                assert node.layer is not None and node.ring is not None
                node.layer._view_changed(node.ring, group, self._view_serial, processes)
            for n in group:
                node = self._nodes[n]
                assert node.layer is not None
                node.layer._quorum_changed(self._quorum(node))

    def _running(self, nid: NodeId) -> bool:
        layer = self._nodes[nid].layer
        return layer is not None and layer.running

    def _quorum(self, node: _Node) -> QuorumChange:
        expected = len(self._nodes)
        two_node = self.two_node and expected == 2
        needed = 1 if two_node else expected // 2 + 1
        total = len(node.ring_nodes)
        quorate = total >= needed and (node.seen_all or not self.wait_for_all)
        return QuorumChange(
            quorate=quorate,
            total_votes=total,
            expected_votes=expected,
            quorum=needed,
            members=node.ring_nodes,
            two_node=two_node,
            wait_for_all=self.wait_for_all,
        )

    # --- called by SimLayer ---------------------------------------------------------------------

    def _join(self, layer: SimLayer) -> None:
        node = self._nodes[layer.local_node]
        if not node.up or node.layer is not layer:
            raise ClusterUnavailable(f"corosync on node {layer.local_node} is not running")
        self._settle(crashed=())
        layer._state = "running"
        self._publish()

    def _leave(self, layer: SimLayer) -> None:
        self._settle(crashed=())
        layer._state = "stopped"
        layer._stream.end()
        self._publish()

    def _broadcast(self, layer: SimLayer, payload: bytes) -> None:
        self._in_flight.append(_Message(layer, payload))
        if self.autoflush:
            self._settle(crashed=())


class SimLayer:
    """One node's `ClusterLayer` in a `SimNetwork`."""

    def __init__(self, net: SimNetwork, node_id: NodeId) -> None:
        self._net = net
        self._node_id = node_id
        self._state = "new"  # new -> running -> stopped | lost
        self._stream = EventStream()
        self._view: tuple[NodeId, ...] | None = None
        self._view_processes: tuple[SimLayer | None, ...] = ()  # the layer of each view member
        self._last_quorum: QuorumChange | None = None
        self._error: ClusterUnavailable | None = None
        self.view_ids: list[int] = []
        """A sim-wide id for each view this layer installed, in order: ground truth for tests
        (the ring id alone repeats when processes join and leave inside one ring)."""

    @property
    def local_node(self) -> NodeId:
        return self._node_id

    @property
    def max_message_size(self) -> int:
        return self._net.max_message_size

    @property
    def running(self) -> bool:
        return self._state == "running"

    @property
    def state(self) -> str:
        """new, running, stopped (after stop()) or lost (its node crashed)."""
        return self._state

    async def start(self) -> None:
        if self._error is not None:
            raise self._error
        if self._state != "new":
            raise RuntimeError(f"start() on a layer that is {self._state}")
        try:
            self._net._join(self)
        except ClusterUnavailable as err:
            self._lose(err)
            raise

    async def stop(self) -> None:
        if self._state == "running":
            self._net._leave(self)
        elif self._state == "new":
            self._state = "stopped"
            self._stream.end()

    async def broadcast(self, payload: bytes) -> None:
        if self._error is not None:
            raise self._error
        if self._state != "running":
            raise RuntimeError(f"broadcast() on a layer that is {self._state}")
        if len(payload) > self.max_message_size:
            raise MessageTooLarge(f"{len(payload)} bytes above the cap of {self.max_message_size}")
        self._net._broadcast(self, bytes(payload))

    def events(self) -> EventStream:
        return self._stream

    def node_names(self) -> dict[NodeId, str]:
        return {nid: node.name for nid, node in sorted(self._net._nodes.items())}

    async def quorum(self) -> QuorumChange:
        if self._error is not None:
            raise self._error
        if self._state != "running":
            raise RuntimeError(f"quorum() on a layer that is {self._state}")
        return self._net.quorum_of(self._node_id)

    # --- called by SimNetwork -------------------------------------------------------------------

    def _put(self, event: Delivery) -> None:
        self._stream.put(event)

    def _view_changed(self, ring: tuple[int, int], members: tuple[NodeId, ...], serial: int,
                      processes: tuple[SimLayer | None, ...]) -> None:
        previous = self._view or ()
        if self._view is not None and members == previous and processes == self._view_processes:
            return
        # a member whose process changed (see SimNetwork.reboot) left and joined again
        before = dict(zip(previous, self._view_processes, strict=True))
        restarted = {n for n, p in zip(members, processes, strict=True)
                     if n in before and before[n] is not p}
        self._view = members
        self._view_processes = processes
        self.view_ids.append(serial)
        self._stream.put(
            Membership(
                ring_id=ring,
                members=members,
                joined=tuple(n for n in members if n not in previous or n in restarted),
                left=tuple(n for n in previous if n not in members or n in restarted),
            )
        )

    def _quorum_changed(self, change: QuorumChange) -> None:
        if change != self._last_quorum:
            self._last_quorum = change
            self._stream.put(change)

    def _lose(self, error: ClusterUnavailable) -> None:
        if self._state in ("new", "running"):
            self._state = "lost"
            self._error = error
            self._stream.end(error)


if TYPE_CHECKING:
    _conforms: ClusterLayer = SimNetwork().add_node(1)
