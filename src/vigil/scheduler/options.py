"""Cluster options (crm_config) with Pacemaker 2.1.5's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.cib import Cib
from vigil.model.nvset import flatten
from vigil.model.score import INFINITY, parse_score
from vigil.model.values import is_true


@dataclass(frozen=True)
class ClusterOptions:
    symmetric: bool = True
    stonith_enabled: bool = True
    no_quorum_policy: str = "stop"
    stop_orphan_resources: bool = True
    stop_orphan_actions: bool = True
    start_failure_is_fatal: bool = True
    startup_fencing: bool = True
    maintenance_mode: bool = False
    stop_all_resources: bool = False
    placement_strategy: str = "default"
    stonith_action: str = "reboot"
    shutdown_lock: bool = False
    have_watchdog: bool = False
    have_quorum: bool = False
    concurrent_fencing: bool = True
    # node health (vigil.scheduler.health): the strategy and the scores of its colours
    node_health_strategy: str = "none"
    node_health_base: int = 0
    node_health_red: int = -INFINITY
    node_health_yellow: int = 0
    node_health_green: int = 0


def read_options(cib: Cib) -> ClusterOptions:
    props = flatten(cib.configuration.properties)
    stonith = is_true(props.get("stonith-enabled"), True)
    policy = (props.get("no-quorum-policy") or "stop").strip().lower()
    if policy not in ("stop", "freeze", "ignore", "demote", "suicide"):
        policy = "stop"
    if policy == "suicide" and not stonith:
        policy = "stop"
    action = (props.get("stonith-action") or "reboot").strip().lower()
    if action == "poweroff":
        action = "off"
    strategy = (props.get("placement-strategy") or "default").strip().lower()
    if strategy not in ("default", "utilization", "minimal", "balanced"):
        strategy = "default"
    return ClusterOptions(
        symmetric=is_true(props.get("symmetric-cluster"), True),
        stonith_enabled=stonith,
        no_quorum_policy=policy,
        stop_orphan_resources=is_true(props.get("stop-orphan-resources"), True),
        stop_orphan_actions=is_true(props.get("stop-orphan-actions"), True),
        start_failure_is_fatal=is_true(props.get("start-failure-is-fatal"), True),
        startup_fencing=is_true(props.get("startup-fencing"), True),
        maintenance_mode=is_true(props.get("maintenance-mode"), False),
        stop_all_resources=is_true(props.get("stop-all-resources"), False),
        placement_strategy=strategy,
        stonith_action=action,
        shutdown_lock=is_true(props.get("shutdown-lock"), False),
        have_watchdog=is_true(props.get("have-watchdog"), False),
        have_quorum=cib.have_quorum,
        concurrent_fencing=is_true(props.get("concurrent-fencing"), True),
        node_health_strategy=(props.get("node-health-strategy") or "none").strip().lower(),
        node_health_base=parse_score(props.get("node-health-base"), 0),
        node_health_red=parse_score(props.get("node-health-red"), -INFINITY),
        node_health_yellow=parse_score(props.get("node-health-yellow"), 0),
        node_health_green=parse_score(props.get("node-health-green"), 0),
    )
