"""The scheduler's output: frozen, deterministic, independent of how it was computed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreContribution:
    kind: str  # location, stickiness, colocation, dependent, fail-limit, ban, node-weight, ...
    detail: str
    value: int


@dataclass(frozen=True)
class NodeScore:
    node: str
    score: int
    available: bool
    contributions: tuple[ScoreContribution, ...]


@dataclass(frozen=True)
class Allocation:
    """Where a resource is and where it goes, with the scores that decided it."""

    resource: str
    kind: str  # primitive, group, clone
    parent: str | None
    agent: str | None
    current_nodes: tuple[str, ...]
    current_role: str
    next_node: str | None
    next_role: str
    managed: bool
    failed: bool
    orphan: bool
    scores: tuple[NodeScore, ...]
    fail_counts: tuple[tuple[str, int], ...]
    migration_threshold: int
    target_role: str | None
    priority: int = 0  # the resource's effective priority meta-attribute
    failure_timeout_s: int = 0  # its effective failure-timeout; 0: failures never expire


@dataclass(frozen=True)
class PlannedAction:
    id: int
    resource: str | None
    task: str
    node: str | None
    optional: bool
    runnable: bool
    pseudo: bool
    reason: str | None


@dataclass(frozen=True)
class ActionOrder:
    first: int
    then: int


@dataclass(frozen=True)
class SummaryItem:
    """One Transition Summary line, as data: crm_simulate's wording is made at the edge."""

    verb: str  # Start Stop Move Recover Restart Promote Demote Re-promote Reload Migrate Fence
    resource: str  # the resource id, or the node name for Fence
    details: str  # "node1", "node1 -> node2", "Unpromoted -> Promoted node1", fence reason
    reason: str | None
    blocked: bool
    fence_action: str | None = None


@dataclass(frozen=True)
class NodeStatus:
    name: str
    id: str
    online: bool
    unclean: bool
    standby: bool
    maintenance: bool
    pending: bool
    shutdown: bool
    fence_reason: str | None


@dataclass(frozen=True)
class Transition:
    nodes: tuple[NodeStatus, ...]
    allocations: tuple[Allocation, ...]
    actions: tuple[PlannedAction, ...]
    orderings: tuple[ActionOrder, ...]
    summary: tuple[SummaryItem, ...]
    have_quorum: bool
    no_quorum_policy: str
    stonith_enabled: bool
    maintenance_mode: bool
    now: int
