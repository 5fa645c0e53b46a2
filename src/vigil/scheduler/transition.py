"""The scheduler's output: frozen, deterministic, independent of how it was computed."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Task(enum.StrEnum):
    """What an action does. A StrEnum: it compares equal to, and serialises as, Pacemaker's word.

    start, stop, promote, demote, monitor, migrate_to, migrate_from and stonith run somewhere;
    running, stopped, promoted and demoted are the pseudo-actions that mark a group's or clone's
    step done, and
    clone-one-or-more the pseudo-action of an order that needs only some instances of a clone,
    one-or-more that of an ordered set with require-all=false (any member will do)."""

    START = "start"
    STOP = "stop"
    PROMOTE = "promote"
    DEMOTE = "demote"
    MONITOR = "monitor"
    NOTIFY = "notify"  # a clone's notification: its data rides in ResolvedOperation.meta
    STONITH = "stonith"
    MIGRATE_TO = "migrate_to"  # a live migration's first half, on the node it leaves
    MIGRATE_FROM = "migrate_from"  # its second half, on the node it goes to
    RUNNING = "running"
    STOPPED = "stopped"
    PROMOTED = "promoted"
    DEMOTED = "demoted"
    ONE_OR_MORE = "clone-one-or-more"
    SET_ONE_OR_MORE = "one-or-more"

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


class OnFail(enum.IntEnum):
    """Failure responses, ordered by severity (the more severe one wins when merged)."""

    IGNORE = 0
    DEMOTE = 1
    RESTART = 2
    RESET_REMOTE = 3  # a remote connection's failure: reset it (fencing its node)
    RESTART_CONTAINER = 4  # a failure inside a container: restart the container
    MIGRATE = 5
    BLOCK = 6
    STOP = 7
    STANDBY = 8
    FENCE = 9


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
    # a promotable clone's instance: its promotion score on its node, with where each part came
    # from (the agent's master-<rsc> attribute, role-based locations and colocations, stickiness
    # of the promoted role); empty for anything else
    promotion: tuple[NodeScore, ...] = ()
    # unmanaged because a failure or a multiple-active policy blocked it (crm_mon's blocked)
    blocked: bool = False
    # an operation failed with on-fail=ignore and the resource carries on as if it had not
    # (crm_mon's failure_ignored)
    failure_ignored: bool = False


@dataclass(frozen=True)
class ResolvedOperation:
    """One agent operation as a node's executor runs it, every value resolved by the scheduler
    from the configuration (the operation's own settings, op_defaults, rules at `now`, the
    clone's settings), so that nothing downstream reads the configuration again to run it."""

    resource: str  # the history id: the base id for an anonymous clone's instance, rsc:N for a
    #                globally unique clone's
    standard: str
    provider: str | None
    agent_type: str
    task: Task
    interval_ms: int  # 0: a one-shot action, or a probe when the task is monitor
    timeout_ms: int
    expected_rc: int  # the OCF code of success: 7 for a probe and a Stopped-role monitor, 8 for a
    #                   Promoted-role monitor, else 0
    on_fail: OnFail
    role: str | None = None  # a recurring monitor's role (Promoted, Unpromoted, Started, Stopped)
    params: tuple[tuple[str, str], ...] = ()  # the instance attributes, sorted by name
    meta: tuple[tuple[str, str], ...] = ()  # what Pacemaker passes as CRM_meta_*, without the
    #   prefix (clone_max, clone_node_max, globally_unique, promoted_max, notify, and for a notify
    #   action notify_type, notify_operation and the notify_*_resource/_uname lists); the executor
    #   adds timeout and interval


@dataclass(frozen=True)
class ProbeRequest:
    """What to ask one node before deciding anything: the state of every resource that it has
    no history for (fence devices are not probed)."""

    node_id: str
    node: str
    operations: tuple[ResolvedOperation, ...]


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
    operation: ResolvedOperation | None  # what runs; None for pseudo actions and fencing


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
    fence_container: str | None = None  # a guest node's: the container whose recovery fences it


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
    expected_up: bool = False  # the node's state says the cluster expects it up (expected=member)
    standby_onfail: bool = False  # put in standby by a failure with on-fail=standby
    kind: str = "member"  # Pacemaker's node type: member, ping, remote or guest


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
    probes: tuple[ProbeRequest, ...]
    monitors: tuple[ResolvedOperation, ...]  # every configured recurring monitor

    def monitors_after(self, resource: str, task: Task) -> tuple[ResolvedOperation, ...]:
        """The recurring monitors to run once `task` (start, promote, demote, or a probe's
        monitor) left `resource` (a history id) active: Promoted-role monitors after a promote
        only, Unpromoted-role ones after anything but a promote, Stopped-role ones never."""
        out = []
        for mon in self.monitors:
            if mon.resource != resource or mon.role == "Stopped":
                continue
            if mon.role == "Promoted" and task != Task.PROMOTE:
                continue
            if mon.role == "Unpromoted" and task == Task.PROMOTE:
                continue
            out.append(mon)
        return tuple(out)
