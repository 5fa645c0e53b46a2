"""`resource debug-start|stop|monitor|promote|demote|validate ID`: run one action of a
resource's agent here, now, outside the cluster's control, and show what it said (Pacemaker's
`crm_resource --force-start` and friends; pcs's `resource debug-*`).

The agent gets the resource's parameters and meta attributes as the cluster would pass them
(the sets without rules; a set with a rule is named in a warning, since which one applies
depends on the node and time the cluster decides for), and the timeout of the resource's own
operation for that action (20 s otherwise). Nothing is recorded in the CIB: the cluster does
not learn of it, which is the point (and the danger: see the warning the CLI prints).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from vigil.commands import edit
from vigil.commands.env import CibEnvironment
from vigil.executor import agents as installed
from vigil.executor.run import OperationResult, run_operation
from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.durations import parse_interval_ms
from vigil.model.nvset import NvSet
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone, Group, Primitive

ACTIONS = ("start", "stop", "monitor", "promote", "demote", "validate-all", "notify")
DEFAULT_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class DebugRun:
    """One action run by hand: the agent, what it returned, and the warnings about it."""

    resource: str
    agent: str
    result: OperationResult
    warnings: tuple[Report, ...]


def _plain(sets: tuple[NvSet, ...], rsc_id: str, out: list[Report]) -> dict[str, str]:
    values: dict[str, str] = {}
    for nvset in sets:
        if nvset.rule is not None:
            out.append(reports.warning("DEBUG_RULE_SET_SKIPPED", resource=rsc_id, set=nvset.id))
            continue
        for pair in nvset.pairs:
            values.setdefault(pair.name, pair.value or "")
    return values


def _primitive(env: CibEnvironment, resource_id: str) -> Primitive:
    rsc = edit.require_resource(env.get_cib(), resource_id)
    if isinstance(rsc, Clone) and isinstance(rsc.child, Primitive):
        return rsc.child
    if isinstance(rsc, Bundle) and rsc.primitive is not None:
        return rsc.primitive
    if isinstance(rsc, Group | Clone | Bundle):
        raise ReportError([reports.error("DEBUG_NEEDS_PRIMITIVE", resource=resource_id)])
    return rsc


def run_action(env: CibEnvironment, resource_id: str, action: str) -> DebugRun:
    if action not in ACTIONS:
        raise ReportError([reports.error("INVALID_OPTION_VALUE", option="action", value=action,
                                         expected=", ".join(ACTIONS))])
    prim = _primitive(env, resource_id)
    if prim.standard == "stonith":
        raise ReportError([reports.error("DEBUG_FENCE_DEVICE", resource=prim.id)])
    warnings: list[Report] = []
    if action in ("start", "stop", "promote", "demote"):
        # as with crm_resource --force-*: the cluster does not learn of it, and may act
        warnings.append(reports.warning("DEBUG_OUTSIDE_CLUSTER", resource=prim.id,
                                        action=action))
    params = _plain(prim.instance_attributes, prim.id, warnings)
    meta = _plain(prim.meta_attributes, prim.id, warnings)
    timeout_ms = DEFAULT_TIMEOUT_MS
    for op in prim.operations:
        if op.name == action and (action != "monitor" or op.interval_ms):
            timeout_ms = parse_interval_ms(op.timeout) or timeout_ms
            break
    name = (f"{prim.standard}:{prim.provider}:{prim.agent_type}" if prim.provider
            else f"{prim.standard}:{prim.agent_type}")
    spec = installed.resolve_agent(name)  # ReportError AGENT_NOT_FOUND: one line
    result = asyncio.run(run_operation(spec, action, params, timeout_ms=timeout_ms,
                                       resource_id=prim.id, meta=meta))
    return DebugRun(prim.id, name, result, tuple(warnings))
