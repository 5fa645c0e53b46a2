"""The scheduler's working set: mutable bookkeeping for one run, never seen outside the package.

`schedule()` builds it from a frozen Cib, decides, and returns frozen results. Everything here is
private to one call, so mutation is contained and the scheduler stays a pure function.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from vigil.model.constraints import Colocation, Location, Order, TicketConstraint
from vigil.model.nvset import NvSet
from vigil.model.resources import Clone, Group, Primitive
from vigil.model.score import INFINITY, add
from vigil.model.status import ResourceHistory, TicketState
from vigil.scheduler.options import ClusterOptions
from vigil.scheduler.transition import OnFail, Task


class Role(enum.IntEnum):
    UNKNOWN = 0
    STOPPED = 1
    STARTED = 2
    UNPROMOTED = 3
    PROMOTED = 4

    @property
    def text(self) -> str:
        return {0: "Unknown", 1: "Stopped", 2: "Started", 3: "Unpromoted", 4: "Promoted"}[self.value]


def parse_role(text: str | None) -> Role | None:
    if text is None:
        return None
    return {
        "stopped": Role.STOPPED, "started": Role.STARTED, "unpromoted": Role.UNPROMOTED,
        "slave": Role.UNPROMOTED, "promoted": Role.PROMOTED, "master": Role.PROMOTED,
    }.get(text.strip().lower())


class Variant(enum.IntEnum):
    PRIMITIVE = 0
    GROUP = 1
    CLONE = 2


def parse_on_fail(text: str | None) -> OnFail | None:
    if text is None:
        return None
    return {
        "ignore": OnFail.IGNORE, "demote": OnFail.DEMOTE, "restart": OnFail.RESTART,
        "migrate": OnFail.MIGRATE, "block": OnFail.BLOCK, "stop": OnFail.STOP,
        "standby": OnFail.STANDBY, "fence": OnFail.FENCE,
        "restart-container": OnFail.RESTART_CONTAINER, "reset-remote": OnFail.RESET_REMOTE,
    }.get(text.strip().lower())


_NATURAL = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Natural, case-insensitive order: n2 < n10."""
    parts: list[tuple[int, int | str]] = []
    for chunk in _NATURAL.split(name.lower()):
        if not chunk:
            continue
        parts.append((0, int(chunk)) if chunk.isdigit() else (1, chunk))
    return tuple(parts)


@dataclass(eq=False)
class Node:
    id: str
    name: str
    weight: int = 0
    online: bool = False
    unclean: bool = False
    shutdown: bool = False
    standby: bool = False
    standby_onfail: bool = False
    pending: bool = False
    maintenance: bool = False
    expected_up: bool = False
    unseen: bool = False
    remote: bool = False
    kind: str = "member"  # Pacemaker's node type (member, ping), as crm_mon reports it
    attrs: dict[str, str] = field(default_factory=dict)
    fence_reason: str | None = None
    assigned_count: int = 0  # resources assigned here in this run (a tie-breaker)
    utilization: dict[str, int] = field(default_factory=dict)  # capacity offered (configured)
    capacity_left: dict[str, int] = field(default_factory=dict)  # less what this run assigned
    # a Pacemaker Remote or guest node: the resource that connects it (see remote.py)
    connection: Rsc | None = None
    remote_requires_reset: bool = False  # its connection must be reset: fenced (or recovered)
    remote_was_fenced: bool = False  # its node_state says it was fenced already (node_fenced)

    @property
    def guest(self) -> bool:
        """A guest node: its connection runs inside a container resource."""
        return self.connection is not None and self.connection.container is not None

    @property
    def available(self) -> bool:
        return (self.online and not self.shutdown and not self.unclean and not self.standby
                and not self.pending and not self.maintenance)


@dataclass(eq=False)
class ScoreSource:
    """One contribution to a resource's score on a node (kept for `explain` and --show-scores)."""

    kind: str  # location, stickiness, colocation, fail-limit, node-weight, ban, ...
    detail: str
    value: int


@dataclass(eq=False)
class ColocationEdge:
    id: str
    dependent: Rsc
    primary: Rsc
    score: int
    dependent_role: Role | None = None
    primary_role: Role | None = None
    node_attribute: str | None = None
    influence: bool = True


@dataclass(eq=False)
class Rsc:
    id: str
    variant: Variant
    parent: Rsc | None = None
    children: list[Rsc] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    standard: str = ""
    provider: str | None = None
    agent_type: str = ""
    # flags
    managed: bool = True
    orphan: bool = False
    failed: bool = False
    stop_needed: bool = False
    blocked: bool = False
    failure_ignored: bool = False  # a failed operation with on-fail=ignore (reported, not acted on)
    unique: bool = False
    promotable: bool = False
    is_fencing_device: bool = False
    start_pending: bool = False
    allocating: bool = False
    provisional: bool = True
    reload_needed: bool = False
    restart_needed: bool = False
    reason_restart: str | None = None
    stop_unexpected: bool = False
    # settings
    priority: int = 0
    stickiness: int = 0
    migration_threshold: int = INFINITY
    failure_timeout: int = 0
    multiple_active: str = "stop_start"
    requires: str = "quorum"
    critical: bool = True
    allow_migrate: bool = False
    utilization: dict[str, int] = field(default_factory=dict)  # capacity a primitive needs
    # live migration found half done in the history: migrate_to succeeded on the source, the
    # target has not answered yet (continued if it is still the chosen node)
    partial_migration_source: Node | None = None
    partial_migration_target: Node | None = None
    # sources of a finished migration whose stop is still to come (migrate_to and migrate_from
    # both succeeded): stopped there without touching the target
    dangling_migrations: list[Node] = field(default_factory=list)
    # the node a planned live migration leaves (set when its actions are created)
    migrating_from: Node | None = None
    # state
    role: Role = Role.STOPPED
    next_role: Role = Role.UNKNOWN
    running_on: list[Node] = field(default_factory=list)
    allowed: dict[str, int] = field(default_factory=dict)
    sources: dict[str, list[ScoreSource]] = field(default_factory=dict)
    assigned: Node | None = None
    this_with: list[ColocationEdge] = field(default_factory=list)
    with_this: list[ColocationEdge] = field(default_factory=list)
    # clones
    clone_max: int = 1
    clone_node_max: int = 1
    interleave: bool = False
    ordered: bool = False
    promoted_max: int = 1
    promoted_node_max: int = 1
    instance_number: int = -1
    config_order: int = 0
    fail_counts: dict[str, int] = field(default_factory=dict)
    last_failure: dict[str, int] = field(default_factory=dict)
    pending_node: Node | None = None
    model: Primitive | Group | Clone | None = None
    own_meta: dict[str, str] = field(default_factory=dict)  # meta set on this element itself
    histories: dict[str, ResourceHistory] = field(default_factory=dict)  # node name -> history
    merging: bool = False
    # promotable clones: an instance's promotion priority on its node and where it came from;
    # promotion_sort orders the instances (the clone's score on the instance's node); a clone's
    # own node scores gain promotion parts, kept apart from its allocation sources
    promotion_priority: int = 0
    forced_demote: list[Node] = field(default_factory=list)  # on-fail=demote: demote there
    clone_name: str | None = None  # the history id an anonymous instance was found under
    promotion_sort: int = 0
    promotion_sources: list[ScoreSource] = field(default_factory=list)
    promotion_node_sources: dict[str, list[tuple[Rsc | None, ScoreSource]]] = field(
        default_factory=dict)
    promotion_from_clone: bool = False  # promotion_sort is the clone's score on its node
    # a promotable clone's node scores as placement left them (promotion adds to `allowed`)
    placement_scores: dict[str, int] | None = None
    promotion_forbidden: str | None = None  # why no instance may be promoted (a ticket not held)
    promotion_frozen: bool = False  # ... except those promoted now, on the node they are on
    # remote and guest nodes (remote.py): the node a connection resource establishes, and the
    # container a guest connection (or a resource with meta `container`) lives in
    remote_node: Node | None = None
    container: Rsc | None = None
    fillers: list[Rsc] = field(default_factory=list)  # resources whose container this is
    bundle_part: bool = False  # a container or IP a bundle implies (bundle.py)

    @property
    def top(self) -> Rsc:
        rsc = self
        while rsc.parent is not None:
            rsc = rsc.parent
        return rsc

    def all_descendants(self) -> list[Rsc]:
        out: list[Rsc] = []
        for child in self.children:
            out.append(child)
            out.extend(child.all_descendants())
        return out

    def primitives(self) -> list[Rsc]:
        if self.variant == Variant.PRIMITIVE:
            return [self]
        out: list[Rsc] = []
        for child in self.children:
            out.extend(child.primitives())
        return out

    def instance_nodes(self) -> list[Node]:
        """Every node where any primitive of this resource (or clone instance) is active."""
        nodes: list[Node] = []
        for prim in self.primitives():
            for n in prim.running_on:
                if n not in nodes:
                    nodes.append(n)
        return nodes

    def clone_parent(self) -> Rsc | None:
        rsc = self.parent
        while rsc is not None:
            if rsc.variant == Variant.CLONE:
                return rsc
            rsc = rsc.parent
        return None

    def is_anonymous_instance(self) -> bool:
        clone = self.clone_parent()
        return clone is not None and not clone.unique

    @property
    def history_id(self) -> str:
        """The id its operations are recorded under: the instances of an anonymous clone share
        their primitive's own id; a globally unique clone's instance keeps its rsc:N."""
        if self.model is not None and self.is_anonymous_instance():
            return self.model.id
        return self.id

    def active(self) -> bool:
        return bool(self.running_on)

    def current_role(self) -> Role:
        """The role it has now; a group or clone has the highest of its members'."""
        if self.variant == Variant.PRIMITIVE:
            return self.role
        return max((c.current_role() for c in self.children), default=Role.STOPPED)

    def add_score(self, node: str, value: int, kind: str, detail: str) -> None:
        """Add to the score on `node` (creating the entry) and remember why."""
        self.allowed[node] = add(self.allowed.get(node, 0), value)
        self.sources.setdefault(node, []).append(ScoreSource(kind, detail, value))

    def ban_everywhere(self, nodes: list[Node], kind: str, detail: str) -> None:
        for node in nodes:
            self.add_score(node.name, -INFINITY, kind, detail)


class ActionFlag(enum.IntFlag):
    NONE = 0
    OPTIONAL = 1
    RUNNABLE = 2
    PSEUDO = 4


@dataclass(eq=False)
class Action:
    rsc: Rsc | None
    task: Task
    node: Node | None
    optional: bool = True
    runnable: bool = True
    pseudo: bool = False
    reason: str | None = None
    seq: int = 0
    fence_action: str | None = None  # for stonith: reboot / off
    before: list[Ordering] = field(default_factory=list)  # orderings where this is "then"
    after: list[Ordering] = field(default_factory=list)  # orderings where this is "first"
    runnable_needed: int = 0  # for clone-one-or-more pseudo actions
    # the order constraint a clone-one-or-more pseudo action serves (the resource set, for a
    # set's one-or-more)
    order_id: str | None = None
    notify_meta: dict[str, str] = field(default_factory=dict)  # a notify action's CRM_meta_notify_*
    # part of a live migration that still may happen (its start, stop, migrate_to, migrate_from);
    # cleared when an ordering needs a real stop and start, and the migration is abandoned
    migrate_runnable: bool = False
    dangling: bool = False  # the stop of a finished migration's source (see Rsc)

    @property
    def label(self) -> str:
        """The task as Pacemaker names the action in a reason: a clone-one-or-more pseudo
        action carries its order's id ("clone-one-or-more:order-A-B")."""
        return f"{self.task}:{self.order_id}" if self.order_id else str(self.task)


class OrderFlag(enum.IntFlag):
    NONE = 0
    IMPLIES_THEN = 1
    IMPLIES_FIRST = 2
    RUNNABLE_LEFT = 4
    RESTART = 8
    ASYMMETRIC = 16
    OPTIONAL = 32
    ONE_OR_MORE = 64
    IMPLIES_FIRST_PRINTED = 128
    PROMOTED_IMPLIES_FIRST = 256  # a required 'then' requires 'first' of a promoted resource
    # a migration step: a required 'then' requires 'first'; a 'then' that cannot run or migrate
    # makes 'first' unable to run
    IMPLIES_FIRST_MIGRATABLE = 512
    PSEUDO_LEFT = 1024  # 'then' is pseudo (a migration's start) only while 'first' can run
    # an ordering that stands for another around a migration: void when 'first' migrates
    APPLY_FIRST_NON_MIGRATABLE = 2048


@dataclass(eq=False)
class Ordering:
    first: Action
    then: Action
    flags: OrderFlag
    id: str = ""


@dataclass(eq=False)
class WorkingSet:
    options: ClusterOptions
    now: int
    # the CIB is shown as crm_simulate shows it, private parameters masked: compare the secure
    # digests where the full ones differ (digests.py)
    sanitized: bool = False
    nodes: list[Node] = field(default_factory=list)
    resources: list[Rsc] = field(default_factory=list)  # top level, configuration order
    by_id: dict[str, Rsc] = field(default_factory=dict)
    template_ids: dict[str, Rsc] = field(default_factory=dict)  # anonymous clone child id -> clone
    locations: list[Location] = field(default_factory=list)
    colocations: list[Colocation] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    tickets: list[TicketConstraint] = field(default_factory=list)
    ticket_states: dict[str, TicketState] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    action_index: dict[tuple[str, Task, str], Action] = field(default_factory=dict)
    orderings: list[Ordering] = field(default_factory=list)
    fence_actions: list[Action] = field(default_factory=list)
    rsc_actions: dict[str, list[Action]] = field(default_factory=dict)
    pending_updates: list[Action] = field(default_factory=list)
    has_fencing_device: bool = False
    unfencing: bool = False  # fencing is enabled and a fence device provides unfencing
    rsc_defaults: tuple[NvSet, ...] = ()
    op_defaults: tuple[NvSet, ...] = ()
    new_feature_set: bool = True
    config_counter: int = 0
    warnings: list[str] = field(default_factory=list)
    assignment_order: list[Rsc] | None = None  # top-level resources, as placement took them
    # every lrm_resource of the status by (node name, history id): a migration's record on one
    # node is read together with its other half on another
    status_histories: dict[tuple[str, str], ResourceHistory] = field(default_factory=dict)
    # bundles (bundle.py): each bundle's clone of containers, its (IP, container) pairs, its
    # inner clone, and the bundle an inner clone belongs to
    bundle_rscs: list[Rsc] = field(default_factory=list)
    bundle_ips: dict[str, list[tuple[Rsc, Rsc]]] = field(default_factory=dict)
    bundle_inner: dict[str, Rsc] = field(default_factory=dict)
    bundle_of_inner: dict[str, Rsc] = field(default_factory=dict)

    def node(self, name_or_id: str | None) -> Node | None:
        if name_or_id is None:
            return None
        for node in self.nodes:
            if node.name == name_or_id:
                return node
        for node in self.nodes:
            if node.id == name_or_id:
                return node
        return None

    @property
    def quorate(self) -> bool:
        return self.options.have_quorum or self.options.no_quorum_policy == "ignore"

    def all_rscs(self) -> list[Rsc]:
        out: list[Rsc] = []

        def visit(rsc: Rsc) -> None:
            out.append(rsc)
            for child in rsc.children:
                visit(child)

        for rsc in self.resources:
            visit(rsc)
        return out
