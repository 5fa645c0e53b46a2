"""Names and value kinds of the options operators set: cluster properties, resource meta
attributes, operation options. Data and one value check, nothing else.

The cluster properties and their defaults are those of Pacemaker 2.1.5's daemons' `metadata`
(pacemaker-schedulerd, -controld, -based, -fenced).
"""

from __future__ import annotations

from vigil.model.cluster_options import CLUSTER_OPTIONS as CLUSTER_OPTIONS
from vigil.model.cluster_options import OptionSpec
from vigil.model.cluster_options import option_spec as _o
from vigil.model.durations import parse_interval_ms
from vigil.model.score import is_valid_score
from vigil.model.values import parse_bool

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
