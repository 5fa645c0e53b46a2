"""Names and value kinds of the options operators set: cluster properties, resource meta
attributes, operation options. Data and one value check, nothing else.

The cluster properties and their defaults are those of Pacemaker 2.1.5's daemons' `metadata`
(pacemaker-schedulerd, -controld, -based, -fenced).
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.durations import parse_interval_ms
from vigil.model.score import is_valid_score
from vigil.model.values import parse_bool


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: str  # boolean, integer, score, time, percentage, string, select
    default: str | None = None
    values: tuple[str, ...] = ()  # the choices of a select
    advanced: bool = False
    readonly: bool = False  # maintained by the cluster itself (dc-version...)


def _o(name: str, kind: str, default: str | None = None, *values: str,
       advanced: bool = False, readonly: bool = False) -> OptionSpec:
    return OptionSpec(name, kind, default, values, advanced, readonly)


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

_ROLES = ("Stopped", "Started", "Promoted", "Unpromoted", "Master", "Slave")
# the names Pacemaker 2.1 writes for the roles, the legacy ones included
_CANONICAL_ROLES = {"stopped": "Stopped", "started": "Started", "promoted": "Promoted",
                    "unpromoted": "Unpromoted", "master": "Promoted", "slave": "Unpromoted"}


def canonical_role(text: str) -> str | None:
    """The role a word names, in any case, as Pacemaker 2.1 writes it (Master is Promoted,
    Slave is Unpromoted); None if it names no role."""
    return _CANONICAL_ROLES.get(text.strip().lower())

# Resource meta attributes (primitives, groups, clones) whose values Pacemaker interprets.
RESOURCE_META: tuple[OptionSpec, ...] = (
    _o("allow-migrate", "boolean"),
    _o("allow-unhealthy-nodes", "boolean"),
    _o("clone-max", "integer"),
    _o("clone-min", "integer"),
    _o("clone-node-max", "integer"),
    _o("critical", "boolean"),
    _o("failure-timeout", "time"),
    _o("globally-unique", "boolean"),
    _o("interleave", "boolean"),
    _o("is-managed", "boolean"),
    _o("maintenance", "boolean"),
    _o("migration-threshold", "score"),
    _o("multiple-active", "select", None, "block", "stop_only", "stop_start",
       "stop_unexpected"),
    _o("notify", "boolean"),
    _o("ordered", "boolean"),
    _o("priority", "score"),
    _o("promotable", "boolean"),
    _o("promoted-max", "integer"),
    _o("promoted-node-max", "integer"),
    _o("requires", "select", None, "nothing", "quorum", "fencing", "unfencing"),
    _o("resource-stickiness", "score"),
    _o("target-role", "select", None, *_ROLES),
)

# Options of an operation (`op ACTION k=v...`); OCF_CHECK_LEVEL goes to its instance attributes.
OPERATION_OPTIONS: tuple[OptionSpec, ...] = (
    _o("description", "string"),
    _o("enabled", "boolean"),
    _o("id", "string"),
    _o("interval", "time"),
    _o("interval-origin", "string"),
    _o("OCF_CHECK_LEVEL", "integer"),
    _o("on-fail", "select", None, "ignore", "block", "stop", "restart", "standby", "fence",
       "restart-container", "demote"),
    _o("record-pending", "boolean"),
    _o("requires", "select", None, "nothing", "quorum", "fencing", "unfencing"),
    _o("role", "select", None, *_ROLES),
    _o("start-delay", "time"),
    _o("timeout", "time"),
)

def by_name(specs: tuple[OptionSpec, ...]) -> dict[str, OptionSpec]:
    return {s.name: s for s in specs}


def value_problem(spec: OptionSpec, value: str) -> str | None:
    """What is wrong with `value` for the option, in words fit for a message, or None."""
    v = value.strip()
    if spec.kind == "boolean" and parse_bool(v) is None:
        return "a boolean (true or false)"
    if spec.kind == "integer":
        body = v[1:] if v[:1] in "+-" else v
        if not body.isdigit():
            return "an integer"
    if spec.kind == "score" and not is_valid_score(v):
        return "a score (an integer, INFINITY or -INFINITY)"
    if spec.kind == "time" and (parse_interval_ms(v) is None or not v):
        return "a time (such as 30s, 5min, 1h or PT30S)"
    if spec.kind == "percentage":
        body = v[:-1] if v.endswith("%") else v
        if not body.isdigit():
            return "a percentage (such as 80%)"
    if spec.kind == "select":
        if spec.name in ("target-role", "role"):
            if v.capitalize() not in spec.values and v not in spec.values:
                return "one of " + ", ".join(spec.values)
        elif v.lower() not in spec.values:
            return "one of " + ", ".join(spec.values)
    return None
