"""A node controller's state: frozen, replaced whole by every step."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from vigil.cib.write import write_cib
from vigil.cluster.layer import QuorumChange
from vigil.controller.graph import Graph
from vigil.controller.messages import FenceResult, Version
from vigil.model.cib import CRM_FEATURE_SET, Cib, Configuration
from vigil.model.version import CibVersion
from vigil.scheduler.transition import Transition


@dataclass(frozen=True)
class Heard:
    """A member's Hello as the sync round counts it."""

    version: Version
    digest: str
    quorate: bool  # its replica was last in step with a quorate partition


@dataclass(frozen=True)
class View:
    """This node's view of the process group and how far the view is in step."""

    ring: tuple[int, int] = (0, 0)
    members: tuple[int, ...] = ()
    round: int = 0  # the sync round: a member out of step starts the next one (controller.sync)
    said_hello: bool = False  # this node's Hello of this round is sent
    hellos: Mapping[int, Heard] = field(default_factory=dict)  # node -> its Hello of this round
    synced: bool = False
    joined: frozenset[int] = frozenset()
    # (node, resource) of operations that were running when their node joined: the join's
    # history lacks them and their results are still to come
    pending: frozenset[tuple[int, str]] = frozenset()
    # the DC's node states (membership, quorum) for this view and its latest quorum are in the
    # CIB: before that the CIB still says who was up, and whether there was quorum, before
    states_applied: bool = False


@dataclass(frozen=True)
class Plan:
    """The DC's transition in progress (none on other nodes)."""

    number: int = 0  # transitions planned by this node so far
    transition: Transition | None = None  # the last one scheduled (kept after it finished)
    graph: Graph | None = None  # its progress, while it runs
    aborted: bool = False  # the world changed under it: finish what runs, then plan again
    probing: frozenset[str] = frozenset()  # "resource@node" probes asked and not answered
    # why planning is held now (controller.planning.why_not_plan), as the events log last said
    # it: a hold is logged once when it starts, so one that never ends is seen in the log
    held: str | None = None


@dataclass(frozen=True)
class Fencing:
    """What this node knows and does about fencing."""

    history: tuple[FenceResult, ...] = ()  # durable; every replica learns all of it
    # results this node broadcast that no replica applied yet: a result delivered while a view
    # is still syncing is dropped by everyone, so it is sent again after the sync
    unapplied: tuple[FenceResult, ...] = ()
    in_flight: frozenset[str] = frozenset()  # targets this node's fencer works on now
    failures: Mapping[str, int] = field(default_factory=dict)  # target -> failed attempts in a row


@dataclass(frozen=True)
class Attributes:
    """attrd's memory on this node: node attributes that are not (or not yet) in the CIB.

    Every replica holds the same (they change only by delivered messages), except `due`, which
    only the DC keeps, and `mine`, which is this node's own."""

    # private attributes (attrd_updater --private): node id -> name -> value, never in the CIB
    private: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # dampened changes not yet written: name -> node id -> (uname, value or None for deleted)
    pending: Mapping[str, Mapping[str, tuple[str, str | None]]] = field(default_factory=dict)
    delays_ms: Mapping[str, int] = field(default_factory=dict)  # name -> dampening (--delay)
    due: Mapping[str, float] = field(default_factory=dict)  # the DC's: name -> when to write it
    # this node's own transient attributes as attrd last set them: re-announced at each join,
    # as attrd re-broadcasts its own values after a sync (the local value wins)
    mine: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    me: int
    cib: Cib
    names: Mapping[int, str] = field(default_factory=dict)
    view: View = View()
    quorum: QuorumChange | None = None
    fencing: Fencing = Fencing()
    plan: Plan = Plan()
    plan_wanted: bool = False
    fresh: bool = True  # the first join of this process clears its transient attributes
    running_ops: Mapping[str, int] = field(default_factory=dict)  # resource -> local ops running
    fenced_self: bool = False
    attributes: Attributes = Attributes()
    # this replica was last in step (synced) with a partition that had quorum: its status
    # (tickets, node states) is the cluster's, not that of a node that was on its own
    synced_quorate: bool = False

    @property
    def dc(self) -> int | None:
        return min(self.view.members) if self.view.members else None

    @property
    def is_dc(self) -> bool:
        return self.dc == self.me

    def name_of(self, node: int) -> str:
        return self.names.get(node) or f"node{node}"

    def node_id_of(self, name: str) -> int | None:
        for nid, n in self.names.items():
            if n == name:
                return nid
        for cfg in self.cib.configuration.nodes:
            if cfg.uname == name and cfg.id.isdigit():
                return int(cfg.id)
        return None

    def transition_id(self) -> str:
        return f"{self.plan.number}:{self.me}:{self.view.ring[1]}"


def initial_state(me: int, cib: Cib | None, fence_history: tuple[FenceResult, ...] = ()) -> State:
    return State(me=me, cib=cib or empty_cib(), fencing=Fencing(history=fence_history))


def empty_cib() -> Cib:
    return Cib(version=CibVersion(0, 0, 0), configuration=Configuration(),
               crm_feature_set=CRM_FEATURE_SET, validate_with="pacemaker-3.8")


def cib_digest(cib: Cib) -> str:
    """What two replicas compare at a view change: everything but the status section."""
    return hashlib.sha1(write_cib(dataclasses.replace(cib, status=())).encode()).hexdigest()
