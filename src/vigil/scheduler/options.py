"""Cluster options (crm_config) with Pacemaker 2.1.5's defaults."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.cib import Cib
from vigil.model.nvset import flatten

_TRUE = {"true", "on", "yes", "y", "1"}


def truthy(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in _TRUE


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


def read_options(cib: Cib) -> ClusterOptions:
    props = flatten(cib.configuration.properties)
    stonith = truthy(props.get("stonith-enabled"), True)
    policy = (props.get("no-quorum-policy") or "stop").strip().lower()
    if policy not in ("stop", "freeze", "ignore", "demote", "suicide"):
        policy = "stop"
    if policy == "suicide" and not stonith:
        policy = "stop"
    action = (props.get("stonith-action") or "reboot").strip().lower()
    if action == "poweroff":
        action = "off"
    return ClusterOptions(
        symmetric=truthy(props.get("symmetric-cluster"), True),
        stonith_enabled=stonith,
        no_quorum_policy=policy,
        stop_orphan_resources=truthy(props.get("stop-orphan-resources"), True),
        stop_orphan_actions=truthy(props.get("stop-orphan-actions"), True),
        start_failure_is_fatal=truthy(props.get("start-failure-is-fatal"), True),
        startup_fencing=truthy(props.get("startup-fencing"), True),
        maintenance_mode=truthy(props.get("maintenance-mode"), False),
        stop_all_resources=truthy(props.get("stop-all-resources"), False),
        placement_strategy=(props.get("placement-strategy") or "default").strip().lower(),
        stonith_action=action,
        shutdown_lock=truthy(props.get("shutdown-lock"), False),
        have_watchdog=truthy(props.get("have-watchdog"), False),
        have_quorum=cib.have_quorum,
        concurrent_fencing=truthy(props.get("concurrent-fencing"), True),
    )
