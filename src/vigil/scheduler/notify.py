"""Notifications of clones with meta notify=true, planned as Pacemaker 2.1.5 plans them.

Around each step (start, stop, promote, demote) that some instance of such a clone takes, the
clone gets four pseudo-actions, `pre_notify_<step>`, `confirmed-pre_notify_<step>`,
`post_notify_<done>` and `confirmed-post_notify_<done>`, and every instance gets a notify action
on its node: before the step on the nodes where instances are active now, after it on the nodes
where they are active afterwards. Each notify action carries the notify data (what starts,
stops, is promoted or demoted, what is active, inactive, promoted, unpromoted, the nodes) in
`Action.notify_meta`, which the operation resolver passes on as ResolvedOperation.meta."""

from __future__ import annotations

from vigil.model.values import is_true
from vigil.scheduler.orderings import order
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, Node, OrderFlag, Role, Rsc, Variant, WorkingSet

_STEPS = (Task.STOP, Task.DEMOTE, Task.START, Task.PROMOTE)


def _instance_action(ws: WorkingSet, inst: Rsc, task: Task) -> Action | None:
    """The instance's (first primitive's) required, runnable action of this step."""
    for prim in inst.primitives():
        for a in ws.rsc_actions.get(prim.id, []):
            if a.task == task and not a.optional and a.runnable and a.node is not None:
                return a
    return None


def _pairs(items: list[tuple[str, str]]) -> tuple[str, str]:
    """Pacemaker's space-separated lists; an empty list is a single space."""
    if not items:
        return " ", " "
    return " ".join(r for r, _ in items), " ".join(n for _, n in items)


def _data(ws: WorkingSet, clone: Rsc) -> dict[str, str]:
    def rid(inst: Rsc) -> str:
        return inst.primitives()[0].id if inst.primitives() else inst.id

    active: list[tuple[str, str]] = []
    inactive: list[tuple[str, str]] = []
    promoted: list[tuple[str, str]] = []
    unpromoted: list[tuple[str, str]] = []
    steps: dict[Task, list[tuple[str, str]]] = {t: [] for t in _STEPS}
    for inst in sorted(clone.children, key=lambda c: c.instance_number):
        nodes = inst.instance_nodes()
        if nodes:
            active.append((rid(inst), nodes[0].name))
            role = inst.current_role()
            if role == Role.PROMOTED:
                promoted.append((rid(inst), nodes[0].name))
            elif clone.promotable:
                unpromoted.append((rid(inst), nodes[0].name))
        else:
            inactive.append((rid(inst), ""))
        for task in _STEPS:
            a = _instance_action(ws, inst, task)
            if a is not None and a.node is not None:
                steps[task].append((rid(inst), a.node.name))
    meta: dict[str, str] = {}
    for name, items in (("active", active), ("promoted", promoted), ("master", promoted),
                        ("unpromoted", unpromoted), ("slave", unpromoted),
                        *((t.value, steps[t]) for t in _STEPS)):
        meta[f"notify_{name}_resource"], meta[f"notify_{name}_uname"] = _pairs(items)
    meta["notify_inactive_resource"] = _pairs(inactive)[0]
    meta["notify_all_uname"] = " ".join(n.name for n in ws.nodes) or " "
    # online nodes, standby ones included [case: interleave-stop]
    meta["notify_available_uname"] = " ".join(n.name for n in ws.nodes if n.online) or " "
    return meta


def _pseudo(ws: WorkingSet, clone: Rsc, name: str, runnable: bool) -> Action:
    a = Action(rsc=clone, task=Task.NOTIFY, node=None, optional=False, runnable=runnable,
               pseudo=True, seq=len(ws.actions), order_id=name)
    ws.actions.append(a)
    ws.rsc_actions.setdefault(clone.id, []).append(a)
    return a


def _notify(ws: WorkingSet, inst: Rsc, node: Node, meta: dict[str, str]) -> Action:
    prim = inst.primitives()[0]
    a = Action(rsc=prim, task=Task.NOTIFY, node=node, optional=False,
               runnable=node.online and not node.unclean, seq=len(ws.actions))
    a.notify_meta = meta
    ws.actions.append(a)
    ws.rsc_actions.setdefault(prim.id, []).append(a)
    return a


def _after_nodes(inst: Rsc, stopping: bool) -> list[Node]:
    if stopping and inst.assigned is None:
        return []
    return [inst.assigned] if inst.assigned is not None else []


def plan_notifications(ws: WorkingSet) -> None:
    """Add the notify actions, their pseudo-actions and orderings of every notify=true clone."""
    for clone in ws.all_rscs():
        if clone.variant != Variant.CLONE or not is_true(clone.meta.get("notify"), False):
            continue
        base = _data(ws, clone)
        made: dict[Task, tuple[Action, Action]] = {}
        for task in _STEPS:
            step = ws.action_index.get((clone.id, task, ""))
            if step is None or step.optional:
                continue
            if not any(_instance_action(ws, inst, task) for inst in clone.children):
                continue
            runnable = step.runnable
            done = ws.action_index.get((clone.id, task.done, ""))
            pre = _pseudo(ws, clone, f"pre_notify_{task.value}", runnable)
            pre_ok = _pseudo(ws, clone, f"confirmed-pre_notify_{task.value}", runnable)
            post = _pseudo(ws, clone, f"post_notify_{task.done.value}", runnable)
            post_ok = _pseudo(ws, clone, f"confirmed-post_notify_{task.done.value}", runnable)
            order(ws, pre, pre_ok, OrderFlag.OPTIONAL)
            order(ws, pre_ok, step, OrderFlag.OPTIONAL)
            if done is not None:
                order(ws, done, post, OrderFlag.OPTIONAL)
            order(ws, post, post_ok, OrderFlag.OPTIONAL)
            for inst in sorted(clone.children, key=lambda c: c.instance_number):
                # a promotion happens after the starts: its pre-notifications already reach
                # the instances that start; a start's pre-notifications after the stops, only
                # the instances that stay [case: interleave-restart]
                stopping = _instance_action(ws, inst, Task.STOP) is not None
                if task == Task.PROMOTE:
                    now_nodes = _after_nodes(inst, False)
                elif task == Task.START and stopping:
                    now_nodes = []
                else:
                    now_nodes = inst.instance_nodes()
                for node in now_nodes[:1]:
                    meta = dict(base, notify_type="pre", notify_operation=task.value,
                                notify_key_type="pre", notify_key_operation=task.value)
                    a = _notify(ws, inst, node, meta)
                    order(ws, pre, a, OrderFlag.OPTIONAL)
                    order(ws, a, pre_ok, OrderFlag.OPTIONAL)
                after = _after_nodes(inst, task == Task.STOP)
                if task == Task.STOP:  # after the stops: the instances that did not stop
                    after = [] if stopping else inst.instance_nodes()
                for node in after[:1]:
                    if inst.next_role == Role.STOPPED:
                        continue
                    meta = dict(base, notify_type="post", notify_operation=task.value,
                                notify_key_type="post", notify_key_operation=task.done.value)
                    a = _notify(ws, inst, node, meta)
                    order(ws, post, a, OrderFlag.OPTIONAL)
                    order(ws, a, post_ok, OrderFlag.OPTIONAL)
            made[task] = (pre, post_ok)
        # stop notifications finish before a start's begin, demote's before a promote's
        for earlier, later in ((Task.STOP, Task.START), (Task.DEMOTE, Task.PROMOTE),
                               (Task.DEMOTE, Task.STOP), (Task.STOP, Task.PROMOTE)):
            if earlier in made and later in made:
                order(ws, made[earlier][1], made[later][0], OrderFlag.OPTIONAL)
