"""Notifications of clones with meta notify=true, planned as Pacemaker 2.1.5 plans them.

Around each step (start, stop, promote, demote) that some instance of such a clone takes, the
clone gets four pseudo-actions, `pre_notify_<step>`, `confirmed-pre_notify_<step>`,
`post_notify_<done>` and `confirmed-post_notify_<done>`, and every primitive of every instance
(each member of a cloned group) gets notify actions: for a stop or demote where it is active
now, for a start or promote where it is assigned (`_recipients` has the details). Each notify
action carries the notify data (what starts, stops, is promoted or demoted, what is active,
inactive, promoted, unpromoted, the nodes), primitive by primitive, in `Action.notify_meta`,
which the operation resolver passes on as ResolvedOperation.meta."""

from __future__ import annotations

from vigil.model.values import is_true
from vigil.scheduler.orderings import order
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, Node, OrderFlag, Role, Rsc, Variant, WorkingSet

_STEPS = (Task.STOP, Task.DEMOTE, Task.START, Task.PROMOTE)


def _action(ws: WorkingSet, prim: Rsc, task: Task) -> Action | None:
    """The primitive's required, runnable action of this step; a stop on an unclean node
    counts even if it cannot run (the node may not be fenceable) [case: bug-cl-5212]."""
    for a in ws.rsc_actions.get(prim.id, []):
        if a.task != task or a.optional or a.node is None:
            continue
        if a.runnable or (task == Task.STOP and a.node.unclean):
            return a
    return None


def _pairs(items: list[tuple[str, str]]) -> tuple[str, str]:
    """Pacemaker's space-separated lists; an empty list is a single space."""
    if not items:
        return " ", " "
    return " ".join(r for r, _ in items), " ".join(n for _, n in items)


def _members(clone: Rsc) -> list[Rsc]:
    """The primitives of the clone's instances, by instance number: each is notified, and
    each counts in the notify data on its own (a cloned group's members one by one)
    [case: bug-5059]."""
    return [prim for inst in sorted(clone.children, key=lambda c: c.instance_number)
            for prim in inst.primitives()]


def _data(ws: WorkingSet, clone: Rsc) -> dict[str, str]:
    active: list[tuple[str, str]] = []
    inactive: list[tuple[str, str]] = []
    promoted: list[tuple[str, str]] = []
    unpromoted: list[tuple[str, str]] = []
    steps: dict[Task, list[tuple[str, str]]] = {t: [] for t in _STEPS}
    for prim in _members(clone):
        if prim.running_on:
            node = prim.running_on[0].name
            active.append((prim.id, node))
            if prim.role == Role.PROMOTED:
                promoted.append((prim.id, node))
            elif clone.promotable:
                unpromoted.append((prim.id, node))
        else:
            inactive.append((prim.id, ""))
        for task in _STEPS:
            a = _action(ws, prim, task)
            if a is not None and a.node is not None:
                steps[task].append((prim.id, a.node.name))
    meta: dict[str, str] = {}
    for name, items in (("active", active), ("promoted", promoted), ("master", promoted),
                        ("unpromoted", unpromoted), ("slave", unpromoted),
                        *((t.value, steps[t]) for t in _STEPS)):
        meta[f"notify_{name}_resource"], meta[f"notify_{name}_uname"] = _pairs(items)
    meta["notify_inactive_resource"] = _pairs(inactive)[0]
    meta["notify_all_uname"] = " ".join(n.name for n in ws.nodes) or " "
    # the nodes the clone may know of: its node table, offline and standby nodes included
    # [case: bug-n-387749, interleave-stop]
    meta["notify_available_uname"] = " ".join(
        n.name for n in ws.nodes if n.name in clone.allowed) or " "
    return meta


def _pseudo(ws: WorkingSet, clone: Rsc, name: str, runnable: bool) -> Action:
    a = Action(rsc=clone, task=Task.NOTIFY, node=None, optional=False, runnable=runnable,
               pseudo=True, seq=len(ws.actions), order_id=name)
    ws.actions.append(a)
    ws.rsc_actions.setdefault(clone.id, []).append(a)
    return a


def _notify(ws: WorkingSet, prim: Rsc, node: Node, meta: dict[str, str]) -> Action:
    a = Action(rsc=prim, task=Task.NOTIFY, node=node, optional=False,
               runnable=node.online and not node.unclean, seq=len(ws.actions))
    a.notify_meta = meta
    ws.actions.append(a)
    ws.rsc_actions.setdefault(prim.id, []).append(a)
    return a


def _recipients(ws: WorkingSet, prim: Rsc, task: Task) -> tuple[list[Node], list[Node]]:
    """The nodes where the instance is told before and after the clone's `task` step.

    Stop and demote happen where the instances are now: every active instance hears before,
    on each of its nodes, except on an unclean node whose stop the fencing implies; after a
    demote it hears there too (its stop, if any, comes later), after the stops only if it does
    not stop [case: bug-1572-1]. Start and promote happen where the instances go: an instance
    that will be active hears after, on its assigned node; before a promotion too, before the
    starts only if it is not starting itself [case: interleave-restart]."""
    pre: list[Node] = []
    post: list[Node] = []
    if task in (Task.STOP, Task.DEMOTE):
        if prim.role == Role.STOPPED:
            return pre, post
        stop = _action(ws, prim, Task.STOP)
        for node in prim.running_on:
            if stop is not None and stop.pseudo and node.unclean:
                continue
            pre.append(node)
            if task == Task.DEMOTE or stop is None:
                post.append(node)
        return pre, post
    if prim.next_role == Role.STOPPED or prim.assigned is None:
        return pre, post
    start = _action(ws, prim, Task.START)
    if task == Task.PROMOTE or start is None:
        pre.append(prim.assigned)
    post.append(prim.assigned)
    return pre, post


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
            if not any(_action(ws, prim, task) for prim in _members(clone)):
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
            for prim in _members(clone):
                pre_nodes, post_nodes = _recipients(ws, prim, task)
                for kind, nodes, first, then in (("pre", pre_nodes, pre, pre_ok),
                                                 ("post", post_nodes, post, post_ok)):
                    op = task if kind == "pre" else task.done
                    for node in nodes:
                        meta = dict(base, notify_type=kind, notify_operation=task.value,
                                    notify_key_type=kind, notify_key_operation=op.value)
                        a = _notify(ws, prim, node, meta)
                        order(ws, first, a, OrderFlag.OPTIONAL)
                        order(ws, a, then, OrderFlag.OPTIONAL)
            made[task] = (pre, post_ok)
        # stop notifications finish before a start's begin, demote's before a promote's
        for earlier, later in ((Task.STOP, Task.START), (Task.DEMOTE, Task.PROMOTE),
                               (Task.DEMOTE, Task.STOP), (Task.STOP, Task.PROMOTE)):
            if earlier in made and later in made:
                order(ws, made[earlier][1], made[later][0], OrderFlag.OPTIONAL)
