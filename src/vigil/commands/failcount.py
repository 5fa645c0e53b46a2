"""Fail counts: how often each resource failed on each node, and resetting them.

The counts are the transient node attributes `fail-count-RSC#OP_INTERVAL` (with their
`last-failure-RSC#OP_INTERVAL` times) in the CIB's status, as attrd keeps them; older CIBs have
`fail-count-RSC` without the operation. `show` sums them per resource (clone instances under
their clone's primitive) and node. Whether they still count is the scheduler's decision: a count
whose failure-timeout has passed is expired (the scheduler ignores it, and the cluster clears it
at its next recheck). `reset` is `resource cleanup` of that resource.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.commands import edit, status
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.commands.meta import meta_value
from vigil.model.cib import Cib
from vigil.model.durations import parse_interval_ms
from vigil.model.nvset import flatten
from vigil.model.resources import Clone, Group, walk
from vigil.model.score import add, parse_score
from vigil.scheduler.engine import schedule


@dataclass(frozen=True)
class OperationFailures:
    operation: str | None  # None: a count of an older CIB, without the operation
    interval_ms: int | None
    count: int
    last_failure: int | None


@dataclass(frozen=True)
class FailCount:
    resource: str
    node: str
    count: int  # INFINITY (1000000) for a failed start or stop
    last_failure: int | None  # seconds since the epoch
    failure_timeout_s: int | None  # None: failures never expire
    expired: bool  # failure-timeout has passed since the last failure: the scheduler ignores it
    operations: tuple[OperationFailures, ...]


def _parse_name(name: str) -> tuple[str, str, str | None, int | None] | None:
    """`fail-count-RSC#OP_INTERVAL` -> ("fail-count", RSC, OP, INTERVAL); None if not one."""
    for prefix in ("fail-count-", "last-failure-"):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            rsc, hash_, op_key = rest.partition("#")
            if not hash_:
                return prefix[:-1], rsc, None, None
            op, _, interval = op_key.rpartition("_")
            if op and interval.isdigit():
                return prefix[:-1], rsc, op, int(interval)
            return prefix[:-1], rsc, op_key, None
    return None


def _base(rsc: str) -> str:
    return rsc.split(":")[0]


def _wanted(cib: Cib, resource: str | None) -> set[str] | None:
    """The primitives whose counts belong to `resource` (a group's or clone's too)."""
    if resource is None:
        return None
    rsc = edit.require_resource(cib, resource)
    if isinstance(rsc, Group | Clone):
        return {r.id for r in walk((rsc,))}
    return {rsc.id}


def _failure_timeout(cib: Cib, rsc: str) -> int | None:
    ms = parse_interval_ms(meta_value(cib, rsc, "failure-timeout"))
    return ms // 1000 if ms else None


def show(env: CibEnvironment, resource: str | None = None, node: str | None = None
         ) -> tuple[FailCount, ...]:
    """The fail counts of `resource` (every resource without one) on `node` (every node),
    sorted by resource then node."""
    cib = env.get_cib()
    wanted = _wanted(cib, resource)
    node_filter = edit.require_node(cib, node) if node is not None else None
    effective: dict[tuple[str, str], int] = {}
    for alloc in schedule(cib, env.now()).allocations:
        for where, count in alloc.fail_counts:
            key = (_base(alloc.resource), where)
            effective[key] = max(effective.get(key, 0), count)
    found: dict[tuple[str, str], dict[tuple[str | None, int | None], list[int]]] = {}
    for state in cib.status:
        if node_filter is not None and state.id != node_filter.id:
            continue
        where = state.uname or state.id
        for name, value in flatten(state.transient_attributes).items():
            parsed = _parse_name(name)
            if parsed is None:
                continue
            kind, rsc, op, interval = parsed
            base = _base(rsc)
            if wanted is not None and base not in wanted:
                continue
            ops = found.setdefault((base, where), {})
            slot = ops.setdefault((op, interval), [0, 0])
            if kind == "fail-count":
                slot[0] = add(slot[0], parse_score(value, 0))
            elif value.isdigit():
                slot[1] = max(slot[1], int(value))
    out: list[FailCount] = []
    for (rsc, where), ops in sorted(found.items()):
        operations = tuple(OperationFailures(op, interval, count, last or None)
                           for (op, interval), (count, last) in sorted(
                               ops.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or 0))
                           if count)
        total = 0
        for o in operations:
            total = add(total, o.count)
        if not total:
            continue
        last = max((o.last_failure or 0 for o in operations), default=0) or None
        timeout = _failure_timeout(cib, rsc)
        expired = (rsc, where) not in effective and timeout is not None and last is not None
        out.append(FailCount(rsc, where, total, last, timeout, expired, operations))
    return tuple(out)


def reset(env: CibEnvironment, resource: str, node: str | None = None) -> Applied:
    """Forget the resource's failures (on `node`, or everywhere): the same as its cleanup."""
    return status.cleanup(env, resource, node)
