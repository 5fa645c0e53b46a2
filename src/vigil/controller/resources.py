"""From the configuration to concrete agent operations: parameters, timeouts, monitors, probes."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.controller.operations import Operation
from vigil.model.cib import Cib
from vigil.model.durations import parse_interval_ms
from vigil.model.nvset import flatten
from vigil.model.ocf import OcfResult
from vigil.model.resources import Clone, Group, Primitive, Resource
from vigil.model.values import is_true

DEFAULT_TIMEOUT_MS = 20_000


@dataclass(frozen=True)
class Located:
    primitive: Primitive
    clone: Clone | None
    history_id: str


def _walk(resources: tuple[Resource, ...], clone: Clone | None = None
          ) -> list[tuple[Primitive, Clone | None]]:
    out: list[tuple[Primitive, Clone | None]] = []
    for r in resources:
        if isinstance(r, Primitive):
            out.append((r, clone))
        elif isinstance(r, Group):
            out.extend((p, clone) for p in r.members)
        else:
            out.extend(_walk((r.child,), r))
    return out


def _unique(clone: Clone) -> bool:
    return is_true(flatten(clone.meta_attributes).get("globally-unique"))


def locate(cib: Cib, resource: str) -> Located | None:
    """The primitive behind a resource id (`rsc`, or a clone instance `rsc:N`)."""
    base, _, instance = resource.partition(":")
    for prim, clone in _walk(cib.configuration.resources):
        if prim.id == resource and clone is None:
            return Located(prim, None, prim.id)
        if prim.id == base and clone is not None:
            history_id = resource if (_unique(clone) and instance) else prim.id
            return Located(prim, clone, history_id)
    return None


def _timeout(cib: Cib, prim: Primitive, task: str, interval_ms: int) -> int:
    for op in prim.operations:
        if op.name == task and op.interval_ms == interval_ms and op.timeout:
            value = parse_interval_ms(op.timeout)
            if value:
                return value
    default = flatten(cib.configuration.op_defaults).get("timeout")
    value = parse_interval_ms(default) if default else None
    return value or DEFAULT_TIMEOUT_MS


def _operation(cib: Cib, loc: Located, task: str, interval_ms: int, expected_rc: int,
               transition: str) -> Operation:
    prim = loc.primitive
    params = tuple(sorted(flatten(prim.instance_attributes).items()))
    meta: list[tuple[str, str]] = []
    if loc.clone is not None:
        cm = flatten(loc.clone.meta_attributes)
        meta.append(("clone_max", cm.get("clone-max", str(len(cib.configuration.nodes) or 1))))
        meta.append(("clone_node_max", cm.get("clone-node-max", "1")))
        meta.append(("globally_unique", cm.get("globally-unique", "false")))
    return Operation(
        resource=loc.history_id, standard=prim.standard, provider=prim.provider,
        agent_type=prim.agent_type, task=task, interval_ms=interval_ms,
        timeout_ms=_timeout(cib, prim, task, interval_ms), expected_rc=int(expected_rc),
        transition_key=transition, params=params, meta=tuple(meta))


def operation_for(cib: Cib, resource: str, task: str, transition: str) -> Operation | None:
    loc = locate(cib, resource)
    if loc is None:
        return None
    expected = OcfResult.RUNNING_PROMOTED if task == "promote" else OcfResult.OK
    return _operation(cib, loc, task, 0, expected, transition)


def recurring_monitors(cib: Cib, resource: str, after_task: str) -> list[Operation]:
    """The configured recurring monitors to run once `after_task` left the resource active."""
    loc = locate(cib, resource) or locate(cib, resource.split(":")[0])
    if loc is None:
        return []
    out = []
    for op in loc.primitive.operations:
        if op.name != "monitor" or op.interval_ms <= 0 or not op.enabled:
            continue
        role = (op.role or "").lower()
        if role in ("master", "promoted") and after_task != "promote":
            continue
        if role in ("slave", "unpromoted") and after_task == "promote":
            continue
        expected = OcfResult.RUNNING_PROMOTED if role in ("master", "promoted") else OcfResult.OK
        out.append(_operation(cib, loc, "monitor", op.interval_ms, expected, "monitor"))
    return out


def probe_targets(cib: Cib, node_id: str) -> list[Operation]:
    """Resources this node has no history for: probe them before deciding anything."""
    state = next((s for s in cib.status if s.id == node_id), None)
    known = {h.id for h in state.history} if state is not None else set()
    out = []
    seen: set[str] = set()
    for prim, clone in _walk(cib.configuration.resources):
        loc = Located(prim, clone, prim.id)
        history_id = prim.id if clone is None or not _unique(clone) else f"{prim.id}:0"
        if history_id in known or prim.id in known or history_id in seen:
            continue
        if prim.standard == "stonith":
            continue
        seen.add(history_id)
        out.append(_operation(cib, Located(loc.primitive, clone, history_id), "monitor", 0,
                              OcfResult.NOT_RUNNING, "probe"))
    return out
