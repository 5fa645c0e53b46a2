"""Pacemaker 2.1.5's cluster options (crm_config): their names, value kinds and defaults, from the
daemons' `metadata` (pacemaker-schedulerd, -controld, -based, -fenced). Data only.

Names outside this table in crm_config are not Pacemaker's: agents keep their own state there
(ocf:heartbeat:redis writes `<resource>_REPL_INFO`), and no decision of the cluster reads them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: str  # boolean, integer, score, time, percentage, string, select
    default: str | None = None
    values: tuple[str, ...] = ()  # the choices of a select
    advanced: bool = False
    readonly: bool = False  # maintained by the cluster itself (dc-version...)


def option_spec(name: str, kind: str, default: str | None = None, *values: str,
       advanced: bool = False, readonly: bool = False) -> OptionSpec:
    return OptionSpec(name, kind, default, values, advanced, readonly)


_o = option_spec

CLUSTER_OPTIONS: tuple[OptionSpec, ...] = (
    _o("batch-limit", "integer", "0"),
    _o("cluster-delay", "time", "60s"),
    _o("cluster-infrastructure", "string", "corosync", readonly=True),
    _o("cluster-ipc-limit", "integer", "500"),
    _o("cluster-name", "string", None),
    _o("cluster-recheck-interval", "time", "15min"),
    _o("concurrent-fencing", "boolean", "false"),
    _o("dc-deadtime", "time", "20s"),
    _o("dc-version", "string", None, readonly=True),
    _o("election-timeout", "time", "2min", advanced=True),
    _o("enable-acl", "boolean", "false"),
    _o("enable-startup-probes", "boolean", "true"),
    _o("fence-reaction", "select", "stop", "stop", "panic"),
    _o("have-watchdog", "boolean", "false", readonly=True),
    _o("join-finalization-timeout", "time", "30min", advanced=True),
    _o("join-integration-timeout", "time", "3min", advanced=True),
    _o("load-threshold", "percentage", "80%"),
    _o("maintenance-mode", "boolean", "false"),
    _o("migration-limit", "integer", "-1"),
    _o("no-quorum-policy", "select", "stop", "stop", "freeze", "ignore", "demote", "suicide"),
    _o("node-action-limit", "integer", "0"),
    _o("node-health-base", "integer", "0"),
    _o("node-health-green", "score", "0"),
    _o("node-health-red", "score", "-INFINITY"),
    _o("node-health-strategy", "select", "none", "none", "migrate-on-red", "only-green",
       "progressive", "custom"),
    _o("node-health-yellow", "score", "0"),
    _o("pe-error-series-max", "integer", "-1"),
    _o("pe-input-series-max", "integer", "4000"),
    _o("pe-warn-series-max", "integer", "5000"),
    _o("placement-strategy", "select", "default", "default", "utilization", "minimal",
       "balanced"),
    _o("priority-fencing-delay", "time", "0"),
    _o("remove-after-stop", "boolean", "false", advanced=True),
    _o("shutdown-escalation", "time", "20min", advanced=True),
    _o("shutdown-lock", "boolean", "false"),
    _o("shutdown-lock-limit", "time", "0"),
    _o("start-failure-is-fatal", "boolean", "true"),
    _o("startup-fencing", "boolean", "true", advanced=True),
    _o("stonith-action", "select", "reboot", "reboot", "off", "poweroff"),
    _o("stonith-enabled", "boolean", "true"),
    _o("stonith-max-attempts", "integer", "10"),
    _o("stonith-timeout", "time", "60s"),
    _o("stonith-watchdog-timeout", "time", "0"),
    _o("stop-all-resources", "boolean", "false"),
    _o("stop-orphan-actions", "boolean", "true"),
    _o("stop-orphan-resources", "boolean", "true"),
    _o("symmetric-cluster", "boolean", "true"),
    _o("transition-delay", "time", "0s", advanced=True),
)

# A change to one of these names may change a decision of the cluster (the scheduler's options,
# the controller's timers, the fencer's); last-lrm-refresh is how Pacemaker's tools ask for a
# new transition (crm_resource --refresh).
DECIDING_PROPERTY_NAMES: frozenset[str] = frozenset(
    [o.name for o in CLUSTER_OPTIONS] + ["last-lrm-refresh"])
