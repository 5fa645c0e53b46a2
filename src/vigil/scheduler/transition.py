"""The scheduler's output: frozen, deterministic, independent of how it was computed."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Task(enum.StrEnum):
    """What an action does. A StrEnum: it compares equal to, and serialises as, Pacemaker's word.

    start, stop, promote, demote, monitor and stonith run somewhere; running, stopped, promoted
    and demoted are the pseudo-actions that mark a group's or clone's step done, and
    clone-one-or-more the pseudo-action of an order that needs only some instances of a clone."""

    START = "start"
    STOP = "stop"
    PROMOTE = "promote"
    DEMOTE = "demote"
    MONITOR = "monitor"
    STONITH = "stonith"
    RUNNING = "running"
    STOPPED = "stopped"
    PROMOTED = "promoted"
    DEMOTED = "demoted"
    ONE_OR_MORE = "clone-one-or-more"

    @property
    def done(self) -> Task:
        """The pseudo-action that marks this step of a collective done (start -> running)."""
        return _DONE.get(self, self)

    @property
    def undone(self) -> Task:
        """The step a done-marker stands for (running -> start); a step stands for itself."""
        return _UNDONE.get(self, self)

    @property
    def inverse(self) -> Task | None:
        """The step that undoes this one, as a symmetric order reverses it (start <-> stop)."""
        return _INVERSE.get(self)


_DONE = {Task.START: Task.RUNNING, Task.STOP: Task.STOPPED, Task.PROMOTE: Task.PROMOTED,
         Task.DEMOTE: Task.DEMOTED}
_UNDONE = {done: step for step, done in _DONE.items()}
_INVERSE = {Task.START: Task.STOP, Task.STOP: Task.START, Task.PROMOTE: Task.DEMOTE,
            Task.DEMOTE: Task.PROMOTE, Task.RUNNING: Task.STOPPED, Task.STOPPED: Task.RUNNING,
            Task.PROMOTED: Task.DEMOTED, Task.DEMOTED: Task.PROMOTED}


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
    task: Task
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
