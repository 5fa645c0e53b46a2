"""Propagation of the optional and runnable flags along the orderings, to a fixed point.

A required action makes what it implies required; an action that cannot run blocks what waits on
it (and what is colocated with it). Groups and clones answer for their members and instances."""

from __future__ import annotations

from vigil.model.score import INFINITY
from vigil.scheduler.actions import rsc_actions
from vigil.scheduler.orderings import order
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, OrderFlag, Role, Rsc, Variant, WorkingSet


def _done_action(ws: WorkingSet, action: Action) -> Action:
    rsc = action.rsc
    if rsc is None or rsc.variant == Variant.PRIMITIVE:
        return action
    if action.task.done is action.task:
        return action
    done = ws.action_index.get((rsc.id, action.task.done, ""))
    return done if done is not None else action


def _is_parent(child: Rsc, parent: Rsc) -> bool:
    rsc = child.parent
    while rsc is not None:
        if rsc is parent:
            return True
        rsc = rsc.parent
    return False


def _find_child_action(ws: WorkingSet, child: Rsc, task: Task, node_name: str | None
                       ) -> Action | None:
    for a in ws.rsc_actions.get(child.id, []):
        if a.task != task:
            continue
        if node_name is None or child.children or a.node is None or a.node.name == node_name:
            return a
    return None


def action_flags(ws: WorkingSet, action: Action, node_name: str | None) -> tuple[bool, bool]:
    """(optional, runnable) of an action as an ordering sees it, collectives summarised."""
    rsc = action.rsc
    if rsc is None or rsc.variant == Variant.PRIMITIVE:
        return action.optional, action.runnable
    if rsc.variant == Variant.GROUP:
        optional, runnable = True, action.runnable
        for child in rsc.children:
            task = action.task.undone
            child_action = _find_child_action(ws, child, task, node_name)
            if child_action is not None:
                c_opt, c_run = action_flags(ws, child_action, node_name)
                if optional and not c_opt:
                    optional = False
                    action.optional = False
                if task != action.task and runnable and not c_run:
                    runnable = False
                    action.runnable = False
            elif task not in (Task.STOP, Task.DEMOTE):
                runnable = False
        return optional, runnable
    # clone: summary of the instances
    optional, any_runnable = True, False
    for child in rsc.children:
        # an instance that is a group answers with its own done-marker (running): it is
        # runnable only when every member can do the step
        task = action.task if child.children else action.task.undone
        child_action = _find_child_action(ws, child, task, node_name)
        if child_action is None:
            continue
        c_opt, c_run = action_flags(ws, child_action, node_name)
        if optional and not c_opt:
            optional = False
            action.optional = False
        if c_run:
            any_runnable = True
    runnable = True
    if not any_runnable:
        runnable = False
        if node_name is None:
            action.runnable = False
    return optional, runnable


def _flags_for_ordering(ws: WorkingSet, action: Action, node_name: str | None) -> tuple[bool, bool]:
    rsc = action.rsc
    optional, runnable = action_flags(ws, action, None)
    if node_name is None or rsc is None or rsc.variant != Variant.CLONE:
        return optional, runnable
    any_runnable = runnable
    optional, runnable = action_flags(ws, action, node_name)
    if any_runnable and not runnable:
        runnable = True
    return optional, runnable


def _set_reason(action: Action, cause: Action | None, change: str) -> None:
    if cause is None:
        return
    if cause.rsc is None:
        text = f"{change} {cause.label}"
        if action.reason is None:
            action.reason = text
        return
    if action.rsc is cause.rsc:
        return
    text = f"{change} {cause.rsc.id} {cause.task}"
    if action.reason is None:
        action.reason = text


def _require(action: Action, cause: Action | None) -> bool:
    if action.optional:
        action.optional = False
        _set_reason(action, cause, "required")
        return True
    return False


def _block(action: Action, cause: Action | None) -> bool:
    if action.runnable:
        action.runnable = False
        _set_reason(action, cause, "unrunnable")
        return True
    return False


def _no_migrate(action: Action, cause: Action) -> bool:
    """The action may no longer be part of a migration: the resource restarts instead. The
    cause replaces any reason the action had (it is why a move is not a migration)."""
    if not action.migrate_runnable:
        return False
    action.migrate_runnable = False
    if cause.rsc is None:
        action.reason = f"unrunnable {cause.label}"
    elif action.rsc is not cause.rsc:
        action.reason = f"unrunnable {cause.rsc.id} {cause.task}"
    return True


def _really_restarts(ws: WorkingSet, then: Action) -> bool:
    """Whether a required 'then' stops something that comes back: a primitive's action, or a
    group's or clone's stop when it also starts something. A clone that only loses instances
    lets a resource ordered after it migrate (crm_simulate: 10-a-then-bm-b-move-a-clone,
    migrate-both-vms; 11-a-then-bm-b-move-a-clone-starting does not migrate)."""
    rsc = then.rsc
    if rsc is None or rsc.variant == Variant.PRIMITIVE:
        return True
    return any(not a.optional for member in [rsc, *rsc.primitives()]
               for a in rsc_actions(ws, member, Task.START))


def _state(action: Action) -> tuple[bool, bool, bool, bool]:
    return action.optional, action.runnable, action.migrate_runnable, action.pseudo


def _update_primitive(ws: WorkingSet, first: Action, then: Action, f_opt: bool, f_run: bool,
                      flags: OrderFlag, member: bool = False) -> tuple[bool, bool]:
    """Apply one ordering's rules; returns (then changed, first changed). `member`: 'then' is
    a member's or instance's action reached through its group's or clone's."""
    then_before = _state(then)
    first_before = _state(first)
    if flags & OrderFlag.ASYMMETRIC and then.rsc is not None and not f_run \
            and not _asymmetric_exempt(then):
        _require(then, first)
        _block(then, first)
    if flags & OrderFlag.IMPLIES_FIRST and not then.optional and first.optional \
            and not then.migrate_runnable:
        # (a migration's stop needs nothing stopped before it: the resource stays up)
        _require(first, then)
    if flags & OrderFlag.IMPLIES_FIRST and first.migrate_runnable and not then.migrate_runnable \
            and not member and not action_flags(ws, then, None)[0] and _really_restarts(ws, then):
        # what must really happen first cannot be migrated (a group or clone answers for its
        # members here)
        _no_migrate(first, then)
    if (flags & OrderFlag.PROMOTED_IMPLIES_FIRST and not then.optional and first.optional
            and first.rsc is not None and first.rsc.role == Role.PROMOTED):
        # a promoted resource that must stop demotes first [case: order_constraint_stops_promoted]
        _require(first, then)
        if not then.migrate_runnable:
            _no_migrate(first, then)
    if flags & OrderFlag.IMPLIES_FIRST_MIGRATABLE:
        # a migration's steps stand or fall together, and are needed when the start is
        if not (then.migrate_runnable and then.runnable):
            _block(first, then)
        if not then.optional:
            _require(first, then)
    if flags & OrderFlag.PSEUDO_LEFT and not first.runnable:
        # no migrate_from: the start on the target is a real one
        _no_migrate(then, first)
        then.pseudo = False
    if (flags & (OrderFlag.IMPLIES_FIRST | OrderFlag.IMPLIES_THEN) and not then.optional
            and first.rsc is not None and not first.rsc.managed and not f_run):
        # 'then' must wait for an action that an unmanaged resource will never take
        _block(then, first)
    if flags & OrderFlag.RUNNABLE_LEFT and then.runnable and not f_run:
        _block(then, first)
        _no_migrate(then, first)
    if flags & OrderFlag.IMPLIES_THEN and then.optional and not f_opt \
            and not first.migrate_runnable and not first.dangling:
        # a migrating resource keeps running: what follows its start need not restart; nor
        # does the stop of a finished migration's source restart anything
        _require(then, first)
    if flags & OrderFlag.RESTART and not first.dangling:
        _restart(first, then)
    return _state(then) != then_before, _state(first) != first_before


def _asymmetric_exempt(then: Action) -> bool:
    """An asymmetric order never stops a stopped resource nor restarts one that stays put."""
    rsc = then.rsc
    assert rsc is not None
    role = rsc.current_role()
    if role == Role.STOPPED and then.task == Task.STOP:
        return True
    return (role >= Role.STARTED and then.task == Task.START and then.optional
            and then.node is not None and len(rsc.running_on) == 1
            and rsc.running_on[0] is then.node)


def _restart(first: Action, then: Action) -> None:
    reason = None
    if not then.optional:
        reason = "restart"
    if not then.runnable and then.rsc is not None and then.rsc.managed and first.rsc is then.rsc:
        reason = Task.STOP
    if reason is None:
        return
    if first.runnable:
        _require(first, then)
    if not then.optional:
        _require(first, then)
    if not then.migrate_runnable:
        _no_migrate(first, then)
    if not first.optional and not first.runnable:
        _block(then, first)


def _update_ordered(ws: WorkingSet, first: Action, then: Action, node_name: str | None,
                    f_opt: bool, f_run: bool, flags: OrderFlag, member: bool = False
                    ) -> tuple[bool, bool]:
    then_rsc = then.rsc
    if then_rsc is None or then_rsc.variant == Variant.PRIMITIVE:
        return _update_primitive(ws, first, then, f_opt, f_run, flags, member)
    if then_rsc.variant == Variant.GROUP:
        changed_then, changed_first = _update_primitive(ws, first, then, f_opt, f_run, flags)
        for child in then_rsc.children:
            child_action = _find_child_action(ws, child, then.task, node_name)
            if child_action is not None:
                ct, cf = _update_ordered(ws, first, child_action, node_name, f_opt, f_run, flags,
                                         True)
                if ct:
                    ws.pending_updates.append(child_action)
                changed_first = changed_first or cf
        return changed_then, changed_first
    # clone
    if _can_interleave(first, then):
        return _update_interleaved(ws, first, then, node_name, flags)
    changed_then, changed_first = _update_primitive(ws, first, then, f_opt, f_run, flags)
    for child in then_rsc.children:
        child_action = _find_child_action(ws, child, then.task, node_name)
        if child_action is None:
            continue
        _, c_run = action_flags(ws, child_action, node_name)
        if c_run:
            ct, cf = _update_ordered(ws, first, child_action, node_name, f_opt, f_run, flags,
                                     True)
            if ct:
                ws.pending_updates.append(child_action)
                for o in child_action.after:
                    ws.pending_updates.append(o.then)
            changed_first = changed_first or cf
    return changed_then, changed_first


def _can_interleave(first: Action, then: Action) -> bool:
    if first.rsc is None or then.rsc is None or first.rsc is then.rsc:
        return False
    if first.rsc.variant != Variant.CLONE or then.rsc.variant != Variant.CLONE:
        return False
    rsc = first.rsc if then.task in (Task.STOP, Task.DEMOTE) else then.rsc
    return rsc.interleave


def _compatible_child(ws: WorkingSet, then_child: Rsc, first_clone: Rsc, current: bool
                      ) -> Rsc | None:
    if current:
        nodes = list(then_child.instance_nodes())
    else:
        nodes = [then_child.assigned] if then_child.assigned is not None else []
    for node in nodes:
        for inst in first_clone.children:
            where = inst.instance_nodes() if current else (
                [inst.assigned] if inst.assigned is not None else [])
            if node in where:
                return inst
    return None


def _update_interleaved(ws: WorkingSet, first: Action, then: Action, node_name: str | None,
                        flags: OrderFlag) -> tuple[bool, bool]:
    assert first.rsc is not None and then.rsc is not None
    current = first.task in (Task.STOPPED, Task.DEMOTED)
    changed_then = False
    changed_first = False
    for then_child in then.rsc.children:
        first_child = _compatible_child(ws, then_child, first.rsc, current)
        if first_child is None:
            if current:
                continue
            if flags & (OrderFlag.RUNNABLE_LEFT | OrderFlag.IMPLIES_THEN):
                # no instance to pair with: this instance may not be active at all (it loses
                # its node, so a stopped one is not even listed as a blocked start)
                _inhibit(ws, then_child)
            continue
        task = first.task.undone
        first_action = _find_child_action(ws, first_child, task, node_name)
        then_action = _find_child_action(ws, then_child, then.task, node_name)
        if first_action is None or then_action is None:
            continue
        order(ws, first_action, then_action, flags)
        f_opt, f_run = action_flags(ws, first_action, node_name)
        ct, cf = _update_ordered(ws, first_action, then_action, node_name, f_opt, f_run, flags)
        if ct:
            ws.pending_updates.append(then_action)
            changed_then = True
        if cf:
            changed_first = True
    return changed_then, changed_first


def _inhibit(ws: WorkingSet, inst: Rsc) -> None:
    for rsc in [inst, *inst.children]:
        if rsc.assigned is not None:
            rsc.assigned.assigned_count -= 1
        rsc.assigned = None
        rsc.next_role = Role.STOPPED
    for prim in inst.primitives() + ([inst] if inst.children else []):
        for a in rsc_actions(ws, prim, Task.START):
            if _block(a, None):
                ws.pending_updates.append(a)


def update_action(ws: WorkingSet, then: Action) -> None:
    before = _state(then)
    if then.runnable_needed:
        count = 0
        for o in then.before:
            _, run = _flags_for_ordering(ws, o.first, None)
            if run:
                count += 1
        then.runnable = count >= then.runnable_needed
        if not then.runnable and then.reason is None:
            pass
    for o in list(then.before):
        if o.flags & OrderFlag.ONE_OR_MORE:
            continue
        first = o.first
        if first.rsc is not None and then.rsc is not None and first.rsc is not then.rsc \
                and not _is_parent(then.rsc, first.rsc):
            first = _done_action(ws, first)
        then_node = then.node.name if then.node else None
        f_opt, f_run = _flags_for_ordering(ws, first, then_node)
        changed_then, changed_first = _update_ordered(ws, first, then, then_node, f_opt, f_run,
                                                      o.flags)
        if changed_first:
            for o2 in first.after:
                ws.pending_updates.append(o2.then)
            ws.pending_updates.append(first)
    if _state(then) != before:
        if before[1] and not then.runnable:
            block_colocation_dependents(ws, then)
        ws.pending_updates.append(then)
        for o in then.after:
            ws.pending_updates.append(o.then)


def propagate(ws: WorkingSet) -> None:
    for action in list(ws.actions):
        if action.task in (Task.START, Task.PROMOTE) and not action.runnable:
            block_colocation_dependents(ws, action)
    for action in list(ws.actions):
        ws.pending_updates.append(action)
        _drain(ws)


def _drain(ws: WorkingSet) -> None:
    guard = 0
    limit = 200 * (len(ws.actions) + 10)
    while ws.pending_updates:
        guard += 1
        if guard > limit:
            ws.pending_updates.clear()
            break
        action = ws.pending_updates.pop()
        update_action(ws, action)


def block_colocation_dependents(ws: WorkingSet, action: Action) -> None:
    if action.runnable or action.task not in (Task.START, Task.PROMOTE) or action.rsc is None:
        return
    rsc = action.rsc.top
    for child in rsc.children:
        child_action = _find_child_action(ws, child, action.task, None)
        if child_action is None or child_action.runnable:
            return
    edges = list(rsc.with_this)
    for member in rsc.primitives():
        for e in member.with_this:
            if e not in edges and e.dependent.top is not rsc:
                edges.append(e)
    if rsc.variant == Variant.CLONE:
        for inst in rsc.children:
            for e in inst.with_this:
                if e not in edges and e.dependent.top is not rsc:
                    edges.append(e)
    for edge in edges:
        if edge.score < INFINITY:
            continue
        if action.task == Task.PROMOTE and edge.primary_role != Role.PROMOTED:
            continue
        task = Task.PROMOTE if edge.dependent_role == Role.PROMOTED else Task.START
        _mark_blocked(ws, edge.dependent, task, action.rsc)


def _mark_blocked(ws: WorkingSet, rsc: Rsc, task: Task, reason: Rsc) -> None:
    text = f"colocation with {reason.id}"
    for a in list(ws.rsc_actions.get(rsc.id, [])):
        if a.runnable and a.task == task:
            a.runnable = False
            if a.reason is None:
                a.reason = text
            block_colocation_dependents(ws, a)
            ws.pending_updates.append(a)
            for o in a.after:
                ws.pending_updates.append(o.then)
    for child in rsc.children:
        _mark_blocked(ws, child, task, reason)
