"""The ClusterLayer contract: what vigild needs from the cluster engine (Corosync 3 or the sim).

Every backend passes the same behavioural suite (tests/cluster/test_contract.py). Events reach the
daemon through one async iterator, in the order the backend observed them:

- `Membership`: a new view of the process group (CPG). Every member of a view receives the same
  views in the same order, and messages delivered between two views were delivered to every
  member of the earlier view that stayed in the later one (virtual synchrony).
- `Delivery`: a message broadcast by a member, in agreed (total) order. The sender receives its
  own messages too, at their place in the order. A message is never delivered twice.
- `QuorumChange`: votequorum's verdict for this partition. It may arrive shortly after the
  Membership that caused it: never assume quorum is current at a membership change. The first one
  follows the first Membership; after that, one comes whenever any of its fields changes.

Views are of nodes: `members` are the node ids with a process in the group. `ring_id` is the
totem ring the view belongs to: it grows with every change of the node-level membership (a node
lost, partitioned, merged, booted); a process joining or leaving inside one ring gives a new view
with the same `ring_id`. `joined` and `left` are relative to this layer's previous view (in the
first view, every member has joined). A node whose process was replaced between two views (it
rebooted faster than the token timeout, so Corosync reports its loss and return in one ring
change) is in both `left` and `joined`: the view changes although its node ids do not.

Errors: `ClusterUnavailable` means the local engine is gone (Corosync died or was never running):
the daemon must exit and let its supervisor restart it. `broadcast` never raises for a full queue:
it retries (CS_ERR_TRY_AGAIN) itself; it raises `MessageTooLarge` above `max_message_size`.
Using a layer that was not started, or was stopped, raises RuntimeError (a programming error).

Backends: `vigil.cluster.corosync.CorosyncLayer` (production), `vigil.cluster.sim.SimNetwork`
(tests, deterministic).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import NewType, Protocol

NodeId = NewType("NodeId", int)


@dataclass(frozen=True)
class Membership:
    ring_id: tuple[int, int]  # (representative node id, ring sequence)
    members: tuple[NodeId, ...]  # sorted ascending
    joined: tuple[NodeId, ...]
    left: tuple[NodeId, ...]


@dataclass(frozen=True)
class Delivery:
    sender: NodeId
    payload: bytes


@dataclass(frozen=True)
class QuorumChange:
    quorate: bool
    total_votes: int
    expected_votes: int
    quorum: int  # votes needed
    members: tuple[NodeId, ...]
    two_node: bool = False
    wait_for_all: bool = False


ClusterEvent = Membership | Delivery | QuorumChange


class ClusterUnavailable(Exception):
    """The local cluster engine cannot be reached (or was lost): fatal for the daemon."""


class MessageTooLarge(Exception):
    """The payload exceeds what the backend can deliver atomically, even after compression."""


class ClusterLayer(Protocol):
    @property
    def local_node(self) -> NodeId:
        """This node's id (Corosync nodeid). Valid after start()."""
        ...

    @property
    def max_message_size(self) -> int:
        """The largest payload broadcast() accepts, in bytes."""
        ...

    async def start(self) -> None:
        """Connect and join the group. The first event is this node's first Membership.
        Raises ClusterUnavailable when the engine cannot be reached."""
        ...

    async def stop(self) -> None:
        """Send what broadcast() already accepted, leave the group, release the connection, and
        end the event stream (after the events already queued). Idempotent."""
        ...

    async def broadcast(self, payload: bytes) -> None:
        """Queue `payload` for agreed-order delivery to every member, this node included.

        Returns once the engine accepted it (not once delivered). Order among one sender's
        broadcasts is preserved (concurrent calls: in call order). Raises ClusterUnavailable if
        the engine is lost before accepting it."""
        ...

    def events(self) -> AsyncIterator[ClusterEvent]:
        """The event stream (one reader; every call returns the same stream). Ends
        (StopAsyncIteration) after stop(); raises ClusterUnavailable if the engine is lost, once
        the events observed before the loss have been read."""
        ...

    def node_names(self) -> dict[NodeId, str]:
        """Configured nodes (Corosync nodelist: nodeid -> name)."""
        ...

    async def quorum(self) -> QuorumChange:
        """The current quorum state, asked directly (not from the stream)."""
        ...
