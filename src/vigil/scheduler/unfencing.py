"""Unfencing: a node is fenced "on" before resources that need it are probed or started there.

Unfencing is in use when fencing is enabled and a fence device says provides=unfencing. Then
every resource requires unfencing unless it says otherwise (`requires`), and fence devices need
it too: their agents often cannot even probe a node that has not been unfenced.

A node is unfenced ("* Fence (on) NODE 'reason'") when it is online, clean and not shutting down
and either
- it has never been unfenced (no #node-unfenced attribute, or "0") and a resource that needs
  unfencing is to be probed there (it has no history there); the reason names the first such
  probe, nodes and resources in configuration order ("required by dlm:2 monitor": an anonymous
  clone is probed through the instance active there, else its first inactive one); or
- a fence device active there changed: its agent ("Device definition changed") or its
  parameters ("Device parameters changed"); these are found before the probes.
Resources that need unfencing stop before the node is unfenced and start after it; one that
stays on an unfenced node is restarted ("due to required stonith").
"""

from __future__ import annotations

from vigil.model.nvset import flatten
from vigil.model.resources import Primitive
from vigil.scheduler.actions import rsc_actions
from vigil.scheduler.fencing import can_fence
from vigil.scheduler.orderings import order
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, Node, OrderFlag, Rsc, Variant, WorkingSet

UNFENCED_ATTR = "#node-unfenced"


def provides_unfencing(prim: Primitive) -> bool:
    """A fence device that unfences (provides=unfencing, as a meta or an instance attribute)."""
    if prim.standard != "stonith":
        return False
    for sets in (prim.meta_attributes, prim.instance_attributes):
        if (flatten(sets).get("provides") or "").strip().lower() == "unfencing":
            return True
    return False


def needs_unfencing(ws: WorkingSet, rsc: Rsc) -> bool:
    return ws.unfencing and (rsc.is_fencing_device or rsc.requires == "unfencing")


def _was_unfenced(node: Node) -> bool:
    value = node.attrs.get(UNFENCED_ATTR)
    return value is not None and value != "0"


def _can_unfence(node: Node) -> bool:
    return node.online and not node.unclean and not node.shutdown and not node.pending


def _device_change(rsc: Rsc, node: Node) -> str | None:
    hist = rsc.histories.get(node.name)
    if hist is not None and ((hist.agent_type and hist.agent_type != rsc.agent_type) or (
            hist.standard and hist.standard != rsc.standard)):
        return "Device definition changed"
    if rsc.restart_needed:
        return "Device parameters changed"
    return None


def _known_on(rsc: Rsc, node: Node) -> bool:
    """Whether the resource (any instance, for an anonymous clone) has history on the node."""
    clone = rsc.clone_parent()
    if clone is None or clone.unique:
        return node.name in rsc.histories
    return any(node.name in p.histories for p in clone.primitives()
               if p.history_id == rsc.history_id)


def _probed_instance(rsc: Rsc, node: Node) -> Rsc:
    """The instance of an anonymous clone a probe on `node` goes to: the one active there,
    else the first one active nowhere."""
    clone = rsc.clone_parent()
    if clone is None or clone.unique:
        return rsc
    siblings = [p for p in clone.primitives() if p.history_id == rsc.history_id]
    for p in siblings:
        if node in p.running_on:
            return p
    for p in siblings:
        if not p.running_on:
            return p
    return siblings[0]


def _probe_reasons(ws: WorkingSet, prims: list[Rsc], node: Node) -> str | None:
    seen: set[str] = set()
    for rsc in prims:
        if rsc.orphan or not needs_unfencing(ws, rsc) or rsc.history_id in seen:
            continue
        if rsc.is_anonymous_instance():
            seen.add(rsc.history_id)
        if _known_on(rsc, node):
            continue
        return f"required by {_probed_instance(rsc, node).id} monitor"
    return None


def _unfence_reasons(ws: WorkingSet, prims: list[Rsc]) -> dict[str, str]:
    reasons: dict[str, str] = {}
    for rsc in prims:
        if not rsc.is_fencing_device or rsc.orphan:
            continue
        for node in rsc.running_on:
            reason = _device_change(rsc, node)
            if reason is not None and _can_unfence(node):
                reasons.setdefault(node.name, reason)
    for node in ws.nodes:
        if _was_unfenced(node) or not _can_unfence(node) or node.name in reasons:
            continue
        reason = _probe_reasons(ws, prims, node)
        if reason is not None:
            reasons[node.name] = reason
    return reasons


def schedule_unfencing(ws: WorkingSet) -> None:
    """Unfence the nodes that need it, and order and restart around it (after the resources'
    actions are created, before the orderings propagate)."""
    if not ws.unfencing:
        return
    prims = [r for r in ws.all_rscs() if r.variant == Variant.PRIMITIVE]
    reasons = _unfence_reasons(ws, prims)
    for node in ws.nodes:
        reason = reasons.get(node.name)
        if reason is None or not can_fence(ws, node.online):
            continue
        unfence = Action(rsc=None, task=Task.STONITH, node=node, seq=len(ws.actions),
                         optional=False, reason=reason)
        unfence.fence_action = "on"
        ws.actions.append(unfence)
        ws.fence_actions.append(unfence)
        for rsc in prims:
            if needs_unfencing(ws, rsc):
                _around(ws, rsc, node, unfence)


def _around(ws: WorkingSet, rsc: Rsc, node: Node, unfence: Action) -> None:
    """Stops on the node before the unfencing, starts after it; a resource that stays there
    restarts."""
    stops = [a for a in rsc_actions(ws, rsc, Task.STOP) if a.node is node]
    starts = [a for a in rsc_actions(ws, rsc, Task.START) if a.node is node]
    for stop in stops:
        order(ws, stop, unfence, OrderFlag.OPTIONAL)
    for start in starts:
        order(ws, unfence, start, OrderFlag.IMPLIES_THEN)
        if start.runnable and start.optional and node in rsc.running_on:
            start.optional = False
            start.reason = start.reason or "required stonith"
            for stop in stops:
                stop.optional = False
