"""Fencing of unclean nodes: a fence action for each, and the stops and demotes it stands for."""

from __future__ import annotations

from vigil.scheduler import remote
from vigil.scheduler.actions import rsc_actions
from vigil.scheduler.orderings import order
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, OrderFlag, Variant, WorkingSet


def can_fence(ws: WorkingSet, online: bool) -> bool:
    if not ws.options.stonith_enabled or not ws.has_fencing_device:
        return False
    if ws.options.have_quorum or ws.options.no_quorum_policy == "ignore":
        return True
    return online


def schedule_fencing(ws: WorkingSet) -> None:
    ws.fence_actions.extend(remote.guest_fence_actions(ws))
    for node in ws.nodes:
        if not node.unclean or node.guest:
            continue
        fence = Action(rsc=None, task=Task.STONITH, node=node, seq=len(ws.actions))
        fence.fence_action = ws.options.stonith_action
        fence.reason = node.fence_reason or "node is unclean"
        if can_fence(ws, node.online):
            fence.optional = False
        else:
            fence.optional = True
            continue
        ws.actions.append(fence)
        ws.fence_actions.append(fence)
        for rsc in ws.all_rscs():
            if rsc.variant != Variant.PRIMITIVE:
                continue
            for a in rsc_actions(ws, rsc, Task.STOP) + rsc_actions(ws, rsc, Task.DEMOTE):
                if a.node is node:
                    a.pseudo = True
                    a.runnable = True
                    order(ws, fence, a, OrderFlag.NONE)
