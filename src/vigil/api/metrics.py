"""The cluster's metrics for Prometheus (`/metrics`), from one status snapshot: a custom
collector for the official client library, prometheus-client.

Names and labels are ClusterLabs' ha_cluster_exporter's (doc/metrics.md, test/pacemaker.metrics)
where it has them, so that dashboards and alerts written for it keep working:

- `ha_cluster_pacemaker_nodes{node,status,type}`: one line per node and per status (online,
  standby, standby_onfail, maintenance, pending, unclean, shutdown, expected_up, dc), 1 or 0;
  type is member or ping (remote nodes are not scheduled by vigil yet, so never listed).
- `ha_cluster_pacemaker_resources{agent,clone,group,managed,node,resource,role,status}`: one line
  per primitive (per instance of a clone), per node it is active on (node "" when stopped) and
  per status (active, orphaned, blocked, failed, failure_ignored), 1 or 0. role is lowercase as
  the exporter writes it: started, stopped, and master / slave for Promoted / Unpromoted, the
  words of its documentation. Note: on Pacemaker 2.1.5, crm_mon says Promoted / Unpromoted (as
  checked with its crm_mon here), so an exporter there writes promoted / unpromoted; vigil keeps
  the documented master / slave. resource is the id crm_mon shows: an anonymous clone's
  instances all go by the primitive's id (their lines are merged, statuses or-ed, when they
  would be identical), a unique clone's by `id:N`. agent is `standard:provider:type`, as
  Pacemaker 2.1's crm_mon writes it (older ones wrote `ocf::heartbeat:Dummy`).
- `ha_cluster_pacemaker_fail_count{node,resource}` and
  `ha_cluster_pacemaker_migration_threshold{node,resource}`: for every node where the resource
  has a fail count or runs now (crm_mon's node history lists every resource with history on the
  node; vigil's status keeps fail counts and placement, not the history per node).
- `ha_cluster_pacemaker_location_constraints{constraint,node,resource,role}`: the score of each
  location constraint that names one resource and one node (rule-, pattern- and set-based ones
  have no single node or score and are left out); role is the constraint's role, lowercase, ""
  when it has none.
- `ha_cluster_pacemaker_node_attributes{node,name,value}`: 1 for each attribute `vigil status
  -A` shows (the agents' own, master-<rsc> included).
- `ha_cluster_pacemaker_stonith_enabled`, `ha_cluster_pacemaker_maintenance_mode_enabled`: 1 or 0.
- `ha_cluster_corosync_quorate`: whether the partition this status comes from has quorum.
Every score at +-INFINITY (fail counts, thresholds, constraints, promotion) is +-Inf.
`ha_cluster_pacemaker_config_last_change` is not exported: vigil's CIB model does not keep
`cib-last-written` (an unknown root attribute survives on write, but nothing updates it).

vigil's own (prefix `ha_cluster_vigil_`):
- `promotion_score{node,resource}`: the promotion score the scheduler ranks each placed instance
  of a promotable clone by, on its node (the agent's master-<rsc> plus role-based constraints
  and stickiness, as `vigil explain` shows it); the agent's raw value is the master-<rsc> line of
  ha_cluster_pacemaker_node_attributes.
- `fencing_operations_total{target,action,result}`: the fencing history by outcome (result:
  success, failure, or manual for a confirmation by an operator). A counter over the history
  the cluster keeps: it goes down when the history is trimmed or cleaned, which Prometheus
  reads as a reset.
- `fencing_last_duration_seconds{target}`: how long the latest fencing of each node took.
- `node_is_dc{node}`: 1 when the node answering is the DC.
- `transitions_total{outcome}` (ok, failed), `transition_duration_seconds` (a histogram) and
  `recovery_seconds{kind}` (a histogram; kind resource for a failed action, node for a node
  lost): what this node did as the DC, from its own events log (api.event_tally defines each):
  exported by every node, each transition and each recovery counted on the one node that ran
  it, so sums over instances are the cluster's however often the DC moved. The time from a
  failure to the cluster's recovery, over the last day:
  `histogram_quantile(0.5, sum by (le) (increase(ha_cluster_vigil_recovery_seconds_bucket[1d])))`.
- `scrape_success`: 1 when a snapshot was read, 0 when none could be.

No double counting. Prometheus scrapes every node and each node's snapshot describes the whole
cluster, so every series above but the counts of the DC's own work is cluster-wide and only
the DC exports it; a node that is not the DC exports only `ha_cluster_vigil_node_is_dc{node=
<itself>} 0`, `ha_cluster_vigil_scrape_success 1` and the counts of what it did when it was the
DC. Sum or count across instances and each fact is counted
once; `ha_cluster_vigil_node_is_dc == 1` finds the instance that speaks for the cluster (when
the DC moves, the series move to another instance with it). In a split, each partition has its
own DC and each speaks for its own partition. Without a snapshot (the collector is given an
exception or None) the only line is `ha_cluster_vigil_scrape_success 0`: whether this node is
the DC is then unknown too (the counts of the events log above are still exported: they do not
come from the snapshot).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import CollectorRegistry

from vigil.api.event_tally import KINDS, OUTCOMES, Histogram, Tally
from vigil.commands.fencing import FenceEvent
from vigil.commands.resource_state import ResourceTree, base_id
from vigil.commands.status import ClusterStatus
from vigil.model.score import INFINITY
from vigil.scheduler.transition import Allocation

# What the collector is given: the snapshot, or why there is none
Snapshot = ClusterStatus | BaseException | None

NODE_STATUSES = ("online", "standby", "standby_onfail", "maintenance", "pending", "unclean",
                 "shutdown", "expected_up", "dc")
RESOURCE_STATUSES = ("active", "orphaned", "blocked", "failed", "failure_ignored")

# Pacemaker 2.1's roles in the words ha_cluster_exporter documents
_EXPORTER_ROLE = {"Started": "started", "Stopped": "stopped", "Promoted": "master",
                  "Unpromoted": "slave"}


def score_value(score: int) -> float:
    """A Pacemaker score as a sample's value: +-INFINITY is +-Inf."""
    if score >= INFINITY:
        return float("inf")
    if score <= -INFINITY:
        return float("-inf")
    return float(score)


def _flag(value: bool) -> float:
    return 1.0 if value else 0.0


class ClusterCollector:
    """A prometheus-client collector over one snapshot, as seen from `local_node`.

    It holds the snapshot it was given and reads nothing else: build one per scrape (see
    `exposition`), or register an adapter whose `collect` builds one from the daemon's latest
    snapshot."""

    def __init__(self, snapshot: Snapshot, *, local_node: str, tally: Tally | None = None
                 ) -> None:
        self._snapshot = snapshot
        self._local_node = local_node
        self._tally = tally

    def collect(self) -> Iterator[Metric]:
        if self._tally is not None:
            yield from _dc_work(self._tally)
        if not isinstance(self._snapshot, ClusterStatus):
            yield _scrape_success(False)
            return
        try:
            families = list(_families(self._snapshot, self._local_node))
        except Exception:
            # A snapshot this code cannot read must not turn the scrape into a traceback: the
            # failed scrape is said with scrape_success 0 (and nothing half-read beside it).
            yield _scrape_success(False)
            return
        yield from families
        yield _scrape_success(True)


def exposition(snapshot: Snapshot, *, local_node: str, tally: Tally | None = None) -> bytes:
    """The text exposition format of one scrape (content type
    prometheus_client.exposition.CONTENT_TYPE_LATEST)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector(snapshot, local_node=local_node, tally=tally))
    return generate_latest(registry)


def _histogram(h: Histogram) -> tuple[list[tuple[str, float]], float]:
    return [(le, float(c)) for le, c in h.buckets()], h.total


def _dc_work(tally: Tally) -> Iterator[Metric]:
    transitions = CounterMetricFamily(
        "ha_cluster_vigil_transitions", "Transitions this node ran as the DC, by outcome",
        labels=["outcome"])
    for outcome in OUTCOMES:
        transitions.add_metric([outcome], float(tally.transitions.get(outcome, 0)))
    yield transitions
    buckets, total = _histogram(tally.transition_seconds)
    yield HistogramMetricFamily(
        "ha_cluster_vigil_transition_duration_seconds",
        "How long the transitions this node ran as the DC took", buckets=buckets,
        sum_value=total)
    recovery = HistogramMetricFamily(
        "ha_cluster_vigil_recovery_seconds",
        "From a failure (kind resource: a failed action; node: a node lost) to the end of the "
        "first transition after it that ended without failure, paired on this node as the DC",
        labels=["kind"])
    for kind in KINDS:
        buckets, total = _histogram(tally.recovery_seconds[kind])
        recovery.add_metric([kind], buckets, total)
    yield recovery


def _scrape_success(ok: bool) -> GaugeMetricFamily:
    return GaugeMetricFamily("ha_cluster_vigil_scrape_success",
                             "Whether this node could read the cluster's status for this scrape",
                             value=_flag(ok))


def _families(status: ClusterStatus, local_node: str) -> Iterator[Metric]:
    is_dc = status.dc is not None and status.dc == local_node
    node_is_dc = GaugeMetricFamily(
        "ha_cluster_vigil_node_is_dc",
        "Whether this node is the DC, the one that exports the cluster-wide series",
        labels=["node"])
    node_is_dc.add_metric([local_node], _flag(is_dc))
    yield node_is_dc
    if is_dc:
        yield from _cluster_wide(status)


def _cluster_wide(status: ClusterStatus) -> Iterator[Metric]:
    t = status.transition
    tree = ResourceTree.of(status)
    primitives = [a for a in t.allocations if a.kind == "primitive"]
    yield _nodes(status)
    yield _resources(tree, primitives)
    yield from _failures(tree, primitives)
    yield _locations(status)
    yield _node_attributes(status)
    yield GaugeMetricFamily("ha_cluster_pacemaker_stonith_enabled",
                            "Whether or not stonith is enabled", value=_flag(t.stonith_enabled))
    yield GaugeMetricFamily("ha_cluster_pacemaker_maintenance_mode_enabled",
                            "Whether or not cluster wide maintenance-mode is enabled",
                            value=_flag(t.maintenance_mode))
    yield GaugeMetricFamily("ha_cluster_corosync_quorate", "Whether or not the cluster is quorate",
                            value=_flag(status.have_quorum))
    yield _promotion_scores(tree, primitives)
    yield from _fencing(status.fencing)


def _nodes(status: ClusterStatus) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "ha_cluster_pacemaker_nodes",
        "The status of each node in the cluster; 1 means the node is in that status, 0 otherwise",
        labels=["node", "status", "type"])
    for n in status.transition.nodes:
        states = {"online": n.online, "standby": n.standby, "standby_onfail": n.standby_onfail,
                  "maintenance": n.maintenance, "pending": n.pending, "unclean": n.unclean,
                  "shutdown": n.shutdown, "expected_up": n.expected_up,
                  "dc": n.name == status.dc}
        for name in NODE_STATUSES:
            family.add_metric([n.name, name, n.kind], _flag(states[name]))
    return family


@dataclass(frozen=True)
class _ResourceLine:
    """The labels of one ha_cluster_pacemaker_resources line, but its status."""

    agent: str
    clone: str
    group: str
    managed: str
    node: str
    resource: str
    role: str


def _resources(tree: ResourceTree, primitives: list[Allocation]) -> GaugeMetricFamily:
    lines: dict[_ResourceLine, set[str]] = {}
    for a in primitives:
        clone = tree.enclosing_clone(a)
        group = tree.enclosing_group(a)
        role = _EXPORTER_ROLE.get(tree.role(a), tree.role(a).lower())
        states = {"active": bool(a.current_nodes), "orphaned": a.orphan, "blocked": a.blocked,
                  "failed": a.failed, "failure_ignored": a.failure_ignored}
        for node in a.current_nodes or ("",):
            line = _ResourceLine(
                agent=a.agent or "", clone=clone.resource if clone else "",
                group=base_id(group.resource) if group else "",
                managed="true" if a.managed else "false", node=node,
                resource=tree.shown_id(a), role=role)
            lines.setdefault(line, set()).update(s for s, on in states.items() if on)
    family = GaugeMetricFamily(
        "ha_cluster_pacemaker_resources",
        "The status of each resource in the cluster; 1 means the resource is in that status, "
        "0 otherwise",
        labels=["agent", "clone", "group", "managed", "node", "resource", "role", "status"])
    for line, on in lines.items():
        for name in RESOURCE_STATUSES:
            family.add_metric([line.agent, line.clone, line.group, line.managed, line.node,
                               line.resource, line.role, name], _flag(name in on))
    return family


def _failures(tree: ResourceTree, primitives: list[Allocation]) -> Iterator[GaugeMetricFamily]:
    counts: dict[tuple[str, str], int] = {}
    thresholds: dict[tuple[str, str], int] = {}
    for a in primitives:
        resource = tree.shown_id(a)
        per_node = dict(a.fail_counts)
        for node in sorted(set(per_node) | set(a.current_nodes)):
            key = (node, resource)
            counts[key] = max(counts.get(key, 0), per_node.get(node, 0))
            thresholds[key] = a.migration_threshold
    fail_count = GaugeMetricFamily("ha_cluster_pacemaker_fail_count",
                                   "The Fail count number per node and resource id",
                                   labels=["node", "resource"])
    threshold = GaugeMetricFamily("ha_cluster_pacemaker_migration_threshold",
                                  "The migration_threshold number per node and resource id",
                                  labels=["node", "resource"])
    for key, count in counts.items():
        fail_count.add_metric(list(key), score_value(count))
        threshold.add_metric(list(key), score_value(thresholds[key]))
    yield fail_count
    yield threshold


def _locations(status: ClusterStatus) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "ha_cluster_pacemaker_location_constraints",
        "Resource location constraints. The value indicates the score.",
        labels=["constraint", "node", "resource", "role"])
    for loc in status.locations:
        if loc.rsc is None or loc.node is None or loc.score is None:
            continue
        family.add_metric([loc.id, loc.node, loc.rsc, (loc.role or "").lower()],
                          score_value(loc.score))
    return family


def _node_attributes(status: ClusterStatus) -> GaugeMetricFamily:
    family = GaugeMetricFamily("ha_cluster_pacemaker_node_attributes",
                               "Metadata attributes of each node; value is always 1",
                               labels=["node", "name", "value"])
    for node in status.node_attributes:
        for name, value in node.attributes:
            family.add_metric([node.node, name, value], 1.0)
    return family


def _promotion_scores(tree: ResourceTree, primitives: list[Allocation]) -> GaugeMetricFamily:
    scores: dict[tuple[str, str], int] = {}
    for a in primitives:
        for placed in a.promotion:
            key = (placed.node, tree.shown_id(a))
            # two instances on one node (clone-node-max > 1): the better one is promoted first
            scores[key] = max(scores.get(key, -INFINITY), placed.score)
    family = GaugeMetricFamily(
        "ha_cluster_vigil_promotion_score",
        "The promotion score of each placed instance of a promotable clone, on its node",
        labels=["node", "resource"])
    for key, score in scores.items():
        family.add_metric(list(key), score_value(score))
    return family


def _fence_result(event: FenceEvent) -> str:
    if event.manual:
        return "manual"
    return "success" if event.ok else "failure"


def _fencing(history: tuple[FenceEvent, ...]) -> Iterator[Metric]:
    totals: dict[tuple[str, str, str], int] = {}
    latest: dict[str, tuple[tuple[int, int], int]] = {}  # target: ((time, position), duration)
    for position, event in enumerate(history):
        key = (event.target, event.action, _fence_result(event))
        totals[key] = totals.get(key, 0) + 1
        if event.duration_ms is not None:
            when = (event.time or 0, position)
            if event.target not in latest or when > latest[event.target][0]:
                latest[event.target] = (when, event.duration_ms)
    operations = CounterMetricFamily("ha_cluster_vigil_fencing_operations",
                                     "Fencing operations in the cluster's fencing history",
                                     labels=["target", "action", "result"])
    for key, total in totals.items():
        operations.add_metric(list(key), float(total))
    yield operations
    duration = GaugeMetricFamily("ha_cluster_vigil_fencing_last_duration_seconds",
                                 "How long the latest fencing of each node took",
                                 labels=["target"], unit="seconds")
    for target, (_, ms) in latest.items():
        duration.add_metric([target], ms / 1000.0)
    yield duration
