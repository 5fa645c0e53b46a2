"""Actions for every resource, their orderings, and the propagation of optional/runnable flags."""

from __future__ import annotations

from vigil.model.constraints import Order
from vigil.model.score import INFINITY
from vigil.model.values import is_true
from vigil.scheduler.digests import check_definition_changes
from vigil.scheduler.unpack import WorkingSet
from vigil.scheduler.working import (
    Action,
    OrderFlag,
    Ordering,
    Role,
    Rsc,
    Variant,
)

DONE_TASK = {"start": "running", "stop": "stopped", "promote": "promoted", "demote": "demoted"}
CHILD_TASK = {"running": "start", "stopped": "stop", "promoted": "promote", "demoted": "demote",
              "start": "start", "stop": "stop", "promote": "promote", "demote": "demote"}
INVERSE = {"start": "stop", "stop": "start", "promote": "demote", "demote": "promote",
           "running": "stopped", "stopped": "running", "promoted": "demoted",
           "demoted": "promoted"}


# --- creation -------------------------------------------------------------------------------

def _quorum_block(ws: WorkingSet, action: Action) -> None:
    rsc = action.rsc
    if rsc is None or action.pseudo or action.task not in ("start", "promote"):
        return
    if rsc.requires == "nothing" or ws.options.have_quorum:
        return
    policy = ws.options.no_quorum_policy
    if policy == "ignore":
        return
    if policy == "freeze":
        if not rsc.active() or rsc.next_role > rsc.role:
            action.runnable = False
            action.reason = "quorum freeze"
        return
    action.runnable = False
    action.reason = "no quorum"


def get_action(ws: WorkingSet, rsc: Rsc, task: str, node_name: str | None, optional: bool = True,
               pseudo: bool = False) -> Action:
    key = (rsc.id, task, node_name or "")
    action = ws.action_index.get(key)
    if action is None:
        node = ws.node(node_name) if node_name else None
        action = Action(rsc=rsc, task=task, node=node, pseudo=pseudo, seq=len(ws.actions))
        if pseudo:
            action.runnable = True
        elif node is None or not node.online or node.pending:
            action.runnable = False
        else:
            _quorum_block(ws, action)
        if not rsc.managed and not pseudo:
            action.optional = True
        ws.actions.append(action)
        ws.action_index[key] = action
        ws.rsc_actions.setdefault(rsc.id, []).append(action)
    if not optional:
        action.optional = False
    return action


def rsc_actions(ws: WorkingSet, rsc: Rsc, task: str) -> list[Action]:
    return [a for a in ws.rsc_actions.get(rsc.id, []) if a.task == task]


def _stop(ws: WorkingSet, rsc: Rsc, optional: bool) -> None:
    for node in rsc.running_on:
        if rsc.stop_unexpected and rsc.assigned is node:
            continue
        stop = get_action(ws, rsc, "stop", node.name, optional)
        if rsc.assigned is None:
            stop.reason = "node availability"
        elif rsc.stop_unexpected:
            stop.reason = "being multiply active"
        if not rsc.managed:
            stop.runnable = False


def _start(ws: WorkingSet, rsc: Rsc, node_name: str | None, optional: bool) -> None:
    start = get_action(ws, rsc, "start", node_name, True)
    if start.runnable and not optional:
        start.optional = False


def _promote(ws: WorkingSet, rsc: Rsc, node_name: str | None, optional: bool) -> bool:
    if node_name is None:
        return False
    starts = [a for a in rsc_actions(ws, rsc, "start") if a.node and a.node.name == node_name]
    if all(a.runnable for a in starts):
        get_action(ws, rsc, "promote", node_name, optional)
        return True
    for a in rsc_actions(ws, rsc, "promote"):
        if a.node and a.node.name == node_name:
            a.runnable = False
    return True


def _demote(ws: WorkingSet, rsc: Rsc, optional: bool) -> None:
    for node in rsc.running_on:
        get_action(ws, rsc, "demote", node.name, optional)


_MATRIX_NEXT = {
    Role.UNKNOWN: {Role.UNKNOWN: Role.UNKNOWN, Role.STOPPED: Role.STOPPED, Role.STARTED: Role.STOPPED,
                   Role.UNPROMOTED: Role.STOPPED, Role.PROMOTED: Role.STOPPED},
    Role.STOPPED: {Role.UNKNOWN: Role.STOPPED, Role.STOPPED: Role.STOPPED, Role.STARTED: Role.STARTED,
                   Role.UNPROMOTED: Role.UNPROMOTED, Role.PROMOTED: Role.UNPROMOTED},
    Role.STARTED: {Role.UNKNOWN: Role.STOPPED, Role.STOPPED: Role.STOPPED, Role.STARTED: Role.STARTED,
                   Role.UNPROMOTED: Role.UNPROMOTED, Role.PROMOTED: Role.PROMOTED},
    Role.UNPROMOTED: {Role.UNKNOWN: Role.STOPPED, Role.STOPPED: Role.STOPPED,
                      Role.STARTED: Role.STOPPED, Role.UNPROMOTED: Role.UNPROMOTED,
                      Role.PROMOTED: Role.PROMOTED},
    Role.PROMOTED: {Role.UNKNOWN: Role.STOPPED, Role.STOPPED: Role.UNPROMOTED,
                    Role.STARTED: Role.UNPROMOTED, Role.UNPROMOTED: Role.UNPROMOTED,
                    Role.PROMOTED: Role.PROMOTED},
}


def _transition(ws: WorkingSet, rsc: Rsc, frm: Role, to: Role, node_name: str | None,
                optional: bool) -> bool:
    """One step of the role matrix; False where Pacemaker's matrix has no action (NullOp)."""
    if frm == Role.UNKNOWN:
        if to == Role.STOPPED:
            _stop(ws, rsc, optional)
            return True
        return False
    if frm == Role.STOPPED:
        if to in (Role.STARTED, Role.UNPROMOTED):
            _start(ws, rsc, node_name, optional)
            return True
        return False
    if frm == Role.STARTED:
        if to == Role.STOPPED:
            _stop(ws, rsc, optional)
            return True
        if to == Role.PROMOTED:
            return _promote(ws, rsc, node_name, optional)
        return False
    if frm == Role.UNPROMOTED:
        if to in (Role.STOPPED, Role.STARTED):
            _stop(ws, rsc, optional)
            return True
        if to == Role.PROMOTED:
            return _promote(ws, rsc, node_name, optional)
        return False
    if frm == Role.PROMOTED:
        if to in (Role.STOPPED, Role.STARTED, Role.UNPROMOTED):
            _demote(ws, rsc, optional)
            return True
        return False
    return False


def _active_counts(rsc: Rsc) -> tuple[int, int]:
    all_active = len(rsc.running_on)
    clean = sum(1 for n in rsc.running_on if n.online and not n.unclean)
    return all_active, clean


def create_primitive_actions(ws: WorkingSet, rsc: Rsc) -> None:
    chosen = rsc.assigned
    if rsc.next_role == Role.UNKNOWN:
        rsc.next_role = Role.STOPPED if chosen is None else Role.STARTED
    current = rsc.running_on[0] if rsc.running_on else None
    if current is not None and rsc.requires not in ("fencing", "unfencing"):
        clean = [n for n in rsc.running_on if n.online and not n.unclean]
        current = clean[0] if clean else rsc.running_on[0]
    need_stop = False
    need_promote = False
    all_active, clean_active = _active_counts(rsc)
    if rsc.requires in ("fencing", "unfencing"):
        multiply_active = all_active > 1
    else:
        multiply_active = clean_active > 1
    if multiply_active:
        if rsc.multiple_active == "stop_start":
            need_stop = True
        elif rsc.multiple_active == "stop_unexpected":
            need_stop = True
            rsc.stop_unexpected = True
    if rsc.start_pending:
        get_action(ws, rsc, "start", chosen.name if chosen else None, True)
    if current is not None and chosen is not None and current is not chosen:
        need_stop = True
    elif rsc.failed:
        if rsc.stop_needed:
            need_stop = True
        elif rsc.next_role == Role.PROMOTED:
            need_promote = True
    elif rsc.blocked:
        need_stop = True
    elif rsc.role > Role.STARTED and current is not None and chosen is not None:
        start = get_action(ws, rsc, "start", chosen.name, True)
        if not start.optional:
            need_stop = True
    if rsc.restart_needed and rsc.role > Role.STOPPED and chosen is not None:
        need_stop = True
    chosen_name = chosen.name if chosen else None
    role = rsc.role
    while role != Role.STOPPED:
        nxt = _MATRIX_NEXT[role][Role.STOPPED]
        if not _transition(ws, rsc, role, nxt, current.name if current else None, not need_stop):
            break
        role = nxt
    while rsc.role <= rsc.next_role and role != rsc.role and not rsc.blocked:
        required = need_stop
        nxt = _MATRIX_NEXT[role][rsc.role]
        if nxt == Role.PROMOTED and need_promote:
            required = True
        if not _transition(ws, rsc, role, nxt, chosen_name, not required):
            break
        role = nxt
    role = rsc.role
    while role != rsc.next_role:
        nxt = _MATRIX_NEXT[role][rsc.next_role]
        if not _transition(ws, rsc, role, nxt, chosen_name, False):
            break
        role = nxt
    if not rsc.blocked and (rsc.next_role != Role.STOPPED or not rsc.managed):
        get_action(ws, rsc, "start", chosen_name, True)
    if rsc.restart_needed and rsc.reason_restart is not None:
        for a in rsc_actions(ws, rsc, "start"):
            if a.reason is None:
                a.reason = rsc.reason_restart
    if chosen is None:
        # assignment failed: the stop is required, the start cannot run
        for a in rsc_actions(ws, rsc, "stop"):
            a.optional = False
        for a in rsc_actions(ws, rsc, "start"):
            a.runnable = False


def create_collective_actions(ws: WorkingSet, rsc: Rsc) -> None:
    for task in ("start", "running", "stop", "stopped"):
        get_action(ws, rsc, task, None, True, pseudo=True)
    if rsc.promotable or (rsc.parent is not None and rsc.top.promotable):
        for task in ("promote", "promoted", "demote", "demoted"):
            get_action(ws, rsc, task, None, True, pseudo=True)


def create_actions(ws: WorkingSet) -> None:
    for rsc in ws.all_rscs():
        if rsc.variant == Variant.PRIMITIVE:
            check_definition_changes(ws, rsc)
    for rsc in ws.all_rscs():
        if rsc.variant == Variant.PRIMITIVE:
            create_primitive_actions(ws, rsc)
        else:
            create_collective_actions(ws, rsc)


# --- orderings ------------------------------------------------------------------------------

def order(ws: WorkingSet, first: Action | None, then: Action | None, flags: OrderFlag,
          order_id: str = "") -> None:
    if first is None or then is None or first is then:
        return
    for existing in then.before:
        if existing.first is first:
            existing.flags |= flags
            return
    ordering = Ordering(first, then, flags, order_id)
    ws.orderings.append(ordering)
    first.after.append(ordering)
    then.before.append(ordering)


def order_rsc_tasks(ws: WorkingSet, first_rsc: Rsc, first_task: str, then_rsc: Rsc,
                    then_task: str, flags: OrderFlag, order_id: str = "") -> None:
    """Order every `first_task` action of first_rsc before every `then_task` of then_rsc.

    A missing first action is created without a node (so it cannot run), except a stop of a
    stopped resource or a demote of an unpromoted one, which are simply not needed."""
    firsts = rsc_actions(ws, first_rsc, first_task)
    if not firsts and first_rsc is then_rsc:
        return
    if not firsts:
        state = _current_role(first_rsc)
        if first_task in ("stop", "stopped") and state == Role.STOPPED:
            return
        if first_task in ("demote", "demoted") and state <= Role.UNPROMOTED:
            return
        firsts = [get_action(ws, first_rsc, first_task, None, True)]
    thens = rsc_actions(ws, then_rsc, then_task)
    for f in firsts:
        for t in thens:
            order(ws, f, t, flags, order_id)


def _current_role(rsc: Rsc) -> Role:
    if rsc.variant == Variant.PRIMITIVE:
        return rsc.role
    roles = [_current_role(c) for c in rsc.children]
    return max(roles) if roles else Role.STOPPED


def internal_orderings(ws: WorkingSet) -> None:
    for rsc in ws.all_rscs():
        if rsc.variant == Variant.PRIMITIVE:
            order_rsc_tasks(ws, rsc, "stop", rsc, "start",
                            OrderFlag.OPTIONAL | OrderFlag.IMPLIES_THEN | OrderFlag.RESTART)
            if rsc.top.promotable or rsc.role > Role.UNPROMOTED:
                order_rsc_tasks(ws, rsc, "demote", rsc, "stop", OrderFlag.IMPLIES_FIRST_PRINTED)
                order_rsc_tasks(ws, rsc, "start", rsc, "promote", OrderFlag.RUNNABLE_LEFT)
        elif rsc.variant == Variant.GROUP:
            _group_orderings(ws, rsc)
        else:
            _clone_orderings(ws, rsc)


def _group_orderings(ws: WorkingSet, grp: Rsc) -> None:
    order_rsc_tasks(ws, grp, "stopped", grp, "start", OrderFlag.OPTIONAL)
    order_rsc_tasks(ws, grp, "start", grp, "running", OrderFlag.RUNNABLE_LEFT)
    order_rsc_tasks(ws, grp, "stop", grp, "stopped", OrderFlag.RUNNABLE_LEFT)
    ordered = is_true(grp.meta.get("ordered"), default=True)
    promotable = grp.top.promotable
    last: Rsc | None = None
    last_active: Rsc | None = None
    for child in grp.children:
        stop_flags = OrderFlag.NONE
        stopped_flags = OrderFlag.NONE
        if last is None and ordered:
            stop_flags |= OrderFlag.OPTIONAL
            stopped_flags = OrderFlag.IMPLIES_THEN
        if promotable:
            order_rsc_tasks(ws, grp, "demote", child, "demote", stop_flags)
            order_rsc_tasks(ws, child, "demote", grp, "demoted", stopped_flags)
            order_rsc_tasks(ws, child, "promote", grp, "promoted",
                            OrderFlag.RUNNABLE_LEFT | OrderFlag.IMPLIES_THEN)
            order_rsc_tasks(ws, grp, "promote", child, "promote", OrderFlag.NONE)
        order_rsc_tasks(ws, grp, "start", child, "start", OrderFlag.NONE)
        order_rsc_tasks(ws, grp, "stop", child, "stop", stop_flags)
        order_rsc_tasks(ws, child, "stop", grp, "stopped", stopped_flags)
        order_rsc_tasks(ws, child, "start", grp, "running",
                        OrderFlag.RUNNABLE_LEFT | OrderFlag.IMPLIES_THEN)
        start_flags = OrderFlag.IMPLIES_THEN | OrderFlag.RUNNABLE_LEFT
        if not ordered:
            order_rsc_tasks(ws, grp, "start", child, "start", start_flags)
            if promotable:
                order_rsc_tasks(ws, grp, "promote", child, "promote", start_flags)
        elif last is not None:
            order_rsc_tasks(ws, last, "start", child, "start", start_flags)
            order_rsc_tasks(ws, child, "stop", last, "stop", OrderFlag.OPTIONAL | OrderFlag.RESTART)
            if promotable:
                order_rsc_tasks(ws, last, "promote", child, "promote", start_flags)
                order_rsc_tasks(ws, child, "demote", last, "demote", OrderFlag.OPTIONAL)
        else:
            order_rsc_tasks(ws, grp, "start", child, "start", OrderFlag.NONE)
        if child.running_on:
            if ordered and last is not None and not last.running_on and last_active is not None \
                    and last_active.running_on:
                order_rsc_tasks(ws, child, "stop", last_active, "stop", OrderFlag.OPTIONAL)
            last_active = child
        last = child
    if ordered and last is not None:
        order_rsc_tasks(ws, grp, "stop", last, "stop", OrderFlag.IMPLIES_THEN)
        order_rsc_tasks(ws, last, "stop", grp, "stopped", OrderFlag.OPTIONAL)
        if promotable:
            order_rsc_tasks(ws, grp, "demote", last, "demote", OrderFlag.IMPLIES_THEN)
            order_rsc_tasks(ws, last, "demote", grp, "demoted", OrderFlag.OPTIONAL)


def _clone_orderings(ws: WorkingSet, clone: Rsc) -> None:
    order_rsc_tasks(ws, clone, "start", clone, "running", OrderFlag.RUNNABLE_LEFT)
    order_rsc_tasks(ws, clone, "stop", clone, "stopped", OrderFlag.RUNNABLE_LEFT)
    order_rsc_tasks(ws, clone, "stopped", clone, "start", OrderFlag.OPTIONAL)
    if clone.promotable:
        order_rsc_tasks(ws, clone, "demote", clone, "demoted", OrderFlag.RUNNABLE_LEFT)
        order_rsc_tasks(ws, clone, "promote", clone, "promoted", OrderFlag.RUNNABLE_LEFT)
        order_rsc_tasks(ws, clone, "demoted", clone, "promote", OrderFlag.OPTIONAL)
        order_rsc_tasks(ws, clone, "stopped", clone, "promote", OrderFlag.OPTIONAL)
        order_rsc_tasks(ws, clone, "demoted", clone, "start", OrderFlag.OPTIONAL)
    last: Rsc | None = None
    for child in clone.children:
        order_rsc_tasks(ws, clone, "start", child, "start", OrderFlag.IMPLIES_FIRST_PRINTED)
        order_rsc_tasks(ws, child, "start", clone, "running", OrderFlag.IMPLIES_THEN)
        if clone.ordered and last is not None:
            order_rsc_tasks(ws, last, "start", child, "start", OrderFlag.OPTIONAL)
        order_rsc_tasks(ws, clone, "stop", child, "stop", OrderFlag.IMPLIES_FIRST_PRINTED)
        order_rsc_tasks(ws, child, "stop", clone, "stopped", OrderFlag.IMPLIES_THEN)
        if clone.ordered and last is not None:
            order_rsc_tasks(ws, child, "stop", last, "stop", OrderFlag.OPTIONAL)
        if clone.promotable:
            order_rsc_tasks(ws, clone, "promote", child, "promote", OrderFlag.NONE)
            order_rsc_tasks(ws, child, "promote", clone, "promoted", OrderFlag.IMPLIES_THEN)
            order_rsc_tasks(ws, clone, "demote", child, "demote", OrderFlag.NONE)
            order_rsc_tasks(ws, child, "demote", clone, "demoted", OrderFlag.IMPLIES_THEN)
        last = child


def _kind(o: Order) -> str:
    if o.kind:
        k = o.kind.strip().lower()
        return {"mandatory": "mandatory", "optional": "optional", "serialize": "serialize"}.get(
            k, "mandatory")
    if o.score is not None:
        return "optional" if o.score == 0 else "mandatory"
    return "mandatory"


def _flags_for(kind: str, first_task: str, symmetry: str) -> OrderFlag:
    flags = OrderFlag.OPTIONAL
    if kind == "mandatory":
        if symmetry == "asymmetric":
            flags |= OrderFlag.ASYMMETRIC
        elif symmetry == "symmetric":
            flags |= OrderFlag.IMPLIES_THEN
            if first_task in ("start", "promote"):
                flags |= OrderFlag.RUNNABLE_LEFT
        else:
            flags |= OrderFlag.IMPLIES_FIRST
    return flags


def _first_task_for(rsc: Rsc, task: str) -> str:
    """A first action on a group or clone is its "done" pseudo-action."""
    if rsc.variant != Variant.PRIMITIVE:
        return DONE_TASK.get(task, task)
    return task


def user_orderings(ws: WorkingSet) -> None:
    for o in ws.orders:
        if o.sets:
            _set_orderings(ws, o)
            continue
        first = ws.by_id.get(o.first or "")
        then = ws.by_id.get(o.then or "")
        if first is None or then is None:
            continue
        first_action = (o.first_action or "start").strip().lower()
        then_action = (o.then_action or first_action).strip().lower()
        kind = _kind(o)
        symmetrical = o.symmetrical if o.symmetrical is not None else kind != "serialize"
        if kind == "serialize":
            symmetrical = False
        _add_user_order(ws, o.id, first, first_action, then, then_action, kind,
                        symmetrical, o.require_all, _clone_min(first))


def _clone_min(rsc: Rsc) -> int:
    if rsc.variant != Variant.CLONE:
        return 0
    from vigil.model.score import parse_score

    return parse_score(rsc.meta.get("clone-min"), 0)


def _add_user_order(ws: WorkingSet, oid: str, first: Rsc, first_action: str, then: Rsc,
                    then_action: str, kind: str, symmetrical: bool, require_all: bool,
                    clone_min: int) -> None:
    flags = _flags_for(kind, first_action, "symmetric" if symmetrical else "asymmetric")
    if kind == "optional" and _restart_type(then):
        flags |= OrderFlag.IMPLIES_THEN  # the deprecated restart-type=restart
    if (clone_min > 0 or not require_all) and first.variant == Variant.CLONE:
        needed = clone_min if clone_min > 0 else 1
        pseudo = _one_or_more(ws, oid, needed)
        for inst in first.children:
            for a in _rsc_actions_deep(ws, inst, first_action):
                order(ws, a, pseudo, OrderFlag.ONE_OR_MORE, oid)
        for t in rsc_actions(ws, then, then_action):
            order(ws, pseudo, t, flags, oid)
    else:
        order_rsc_tasks(ws, first, _first_task_for(first, first_action), then, then_action,
                        flags, oid)
    if not symmetrical:
        return
    inv_first = INVERSE.get(then_action)
    inv_then = INVERSE.get(first_action)
    if inv_first is None or inv_then is None:
        return
    inv_flags = _flags_for(kind, inv_first, "inverse")
    if kind == "optional" and _restart_type(first):
        inv_flags |= OrderFlag.IMPLIES_FIRST
    order_rsc_tasks(ws, then, _first_task_for(then, inv_first), first, inv_then, inv_flags, oid)


def _restart_type(rsc: Rsc) -> bool:
    return (rsc.meta.get("restart-type") or "").strip().lower() == "restart"


def _rsc_actions_deep(ws: WorkingSet, rsc: Rsc, task: str) -> list[Action]:
    if rsc.variant == Variant.PRIMITIVE:
        return rsc_actions(ws, rsc, task)
    return rsc_actions(ws, rsc, DONE_TASK.get(task, task))


def _one_or_more(ws: WorkingSet, oid: str, needed: int) -> Action:
    holder = Rsc(id=f"clone-one-or-more:{oid}", variant=Variant.PRIMITIVE)
    action = Action(rsc=None, task=f"clone-one-or-more:{oid}", node=None, pseudo=True,
                    seq=len(ws.actions))
    action.runnable_needed = needed
    action.holder_name = holder.id  # type: ignore[attr-defined]
    ws.actions.append(action)
    return action


def _set_orderings(ws: WorkingSet, o: Order) -> None:
    kind = _kind(o)
    symmetrical = o.symmetrical if o.symmetrical is not None else kind != "serialize"
    prev: list[tuple[Rsc, str]] = []
    for rs in o.sets:
        action = (rs.action or "start").strip().lower()
        members = [ws.by_id[r] for r in rs.resources if r in ws.by_id]
        set_kind = kind
        if rs.sequential:
            for a, b in zip(members, members[1:], strict=False):
                _add_user_order(ws, o.id, a, action, b, action, set_kind, symmetrical, True, 0)
        if prev and members:
            firsts = prev
            thens = members[:1] if rs.sequential else members
            for f, f_action in firsts:
                for t in thens:
                    _add_user_order(ws, o.id, f, f_action, t, action, kind, symmetrical,
                                    rs.require_all, 0)
        if members:
            prev = [(members[-1], action)] if rs.sequential else [(m, action) for m in members]


# --- fencing --------------------------------------------------------------------------------

def can_fence(ws: WorkingSet, online: bool) -> bool:
    if not ws.options.stonith_enabled or not ws.has_fencing_device:
        return False
    if ws.options.have_quorum or ws.options.no_quorum_policy == "ignore":
        return True
    return online


def schedule_fencing(ws: WorkingSet) -> None:
    for node in ws.nodes:
        if not node.unclean:
            continue
        fence = Action(rsc=None, task="stonith", node=node, seq=len(ws.actions))
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
            for a in rsc_actions(ws, rsc, "stop") + rsc_actions(ws, rsc, "demote"):
                if a.node is node:
                    a.pseudo = True
                    a.runnable = True
                    order(ws, fence, a, OrderFlag.NONE)


# --- flag propagation -----------------------------------------------------------------------

def _done_action(ws: WorkingSet, action: Action) -> Action:
    rsc = action.rsc
    if rsc is None or rsc.variant == Variant.PRIMITIVE:
        return action
    task = DONE_TASK.get(action.task)
    if task is None:
        return action
    done = ws.action_index.get((rsc.id, task, ""))
    return done if done is not None else action


def _is_parent(child: Rsc, parent: Rsc) -> bool:
    rsc = child.parent
    while rsc is not None:
        if rsc is parent:
            return True
        rsc = rsc.parent
    return False


def _find_child_action(ws: WorkingSet, child: Rsc, task: str, node_name: str | None
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
        optional, runnable = True, True
        for child in rsc.children:
            task = CHILD_TASK.get(action.task, action.task)
            child_action = _find_child_action(ws, child, task, node_name)
            if child_action is not None:
                c_opt, c_run = action_flags(ws, child_action, node_name)
                if optional and not c_opt:
                    optional = False
                    action.optional = False
                if task != action.task and runnable and not c_run:
                    runnable = False
                    action.runnable = False
            elif task not in ("stop", "demote"):
                runnable = False
        return optional, runnable
    # clone: summary of the instances
    optional, any_runnable = True, False
    task = CHILD_TASK.get(action.task, action.task)
    for child in rsc.children:
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
        text = f"{change} {cause.task}"
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


def _update_primitive(first: Action, then: Action, f_opt: bool, f_run: bool,
                      flags: OrderFlag) -> tuple[bool, bool]:
    """Apply one ordering's rules; returns (then changed, first changed)."""
    then_before = (then.optional, then.runnable)
    first_before = (first.optional, first.runnable)
    if flags & OrderFlag.ASYMMETRIC and then.rsc is not None and not f_run \
            and not _asymmetric_exempt(then):
        _require(then, first)
        _block(then, first)
    if flags & OrderFlag.IMPLIES_FIRST and not then.optional and first.optional:
        _require(first, then)
    if (flags & (OrderFlag.IMPLIES_FIRST | OrderFlag.IMPLIES_THEN) and not then.optional
            and first.rsc is not None and not first.rsc.managed and not f_run):
        # 'then' must wait for an action that an unmanaged resource will never take
        _block(then, first)
    if flags & OrderFlag.RUNNABLE_LEFT and then.runnable and not f_run:
        _block(then, first)
    if flags & OrderFlag.IMPLIES_THEN and then.optional and not f_opt:
        _require(then, first)
    if flags & OrderFlag.RESTART:
        _restart(first, then)
    return (then.optional, then.runnable) != then_before, \
        (first.optional, first.runnable) != first_before


def _asymmetric_exempt(then: Action) -> bool:
    """An asymmetric order never stops a stopped resource nor restarts one that stays put."""
    rsc = then.rsc
    assert rsc is not None
    role = _current_role(rsc)
    if role == Role.STOPPED and then.task == "stop":
        return True
    return (role >= Role.STARTED and then.task == "start" and then.optional
            and then.node is not None and len(rsc.running_on) == 1
            and rsc.running_on[0] is then.node)


def _restart(first: Action, then: Action) -> None:
    reason = None
    if not then.optional:
        reason = "restart"
    if not then.runnable and then.rsc is not None and then.rsc.managed and first.rsc is then.rsc:
        reason = "stop"
    if reason is None:
        return
    if first.runnable:
        _require(first, then)
    if not then.optional:
        _require(first, then)
    if not first.optional and not first.runnable:
        _block(then, first)


def _update_ordered(ws: WorkingSet, first: Action, then: Action, node_name: str | None,
                    f_opt: bool, f_run: bool, flags: OrderFlag) -> tuple[bool, bool]:
    then_rsc = then.rsc
    if then_rsc is None or then_rsc.variant == Variant.PRIMITIVE:
        return _update_primitive(first, then, f_opt, f_run, flags)
    if then_rsc.variant == Variant.GROUP:
        changed_then, changed_first = _update_primitive(first, then, f_opt, f_run, flags)
        for child in then_rsc.children:
            child_action = _find_child_action(ws, child, then.task, node_name)
            if child_action is not None:
                ct, cf = _update_ordered(ws, first, child_action, node_name, f_opt, f_run, flags)
                if ct:
                    ws.pending_updates.append(child_action)
                changed_first = changed_first or cf
        return changed_then, changed_first
    # clone
    if _can_interleave(first, then):
        return _update_interleaved(ws, first, then, node_name, flags)
    changed_then, changed_first = _update_primitive(first, then, f_opt, f_run, flags)
    for child in then_rsc.children:
        child_action = _find_child_action(ws, child, then.task, node_name)
        if child_action is None:
            continue
        _, c_run = action_flags(ws, child_action, node_name)
        if c_run:
            ct, cf = _update_ordered(ws, first, child_action, node_name, f_opt, f_run, flags)
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
    rsc = first.rsc if then.task in ("stop", "demote") else then.rsc
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
    current = first.task in ("stopped", "demoted")
    changed_then = False
    changed_first = False
    for then_child in then.rsc.children:
        first_child = _compatible_child(ws, then_child, first.rsc, current)
        if first_child is None:
            if current:
                continue
            if flags & (OrderFlag.RUNNABLE_LEFT | OrderFlag.IMPLIES_THEN):
                for prim in then_child.primitives() + ([then_child] if then_child.children else []):
                    for a in rsc_actions(ws, prim, "start"):
                        if _block(a, None):
                            ws.pending_updates.append(a)
            continue
        task = CHILD_TASK.get(first.task, first.task)
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


def update_action(ws: WorkingSet, then: Action) -> None:
    before = (then.optional, then.runnable)
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
    if (then.optional, then.runnable) != before:
        if before[1] and not then.runnable:
            block_colocation_dependents(ws, then)
        ws.pending_updates.append(then)
        for o in then.after:
            ws.pending_updates.append(o.then)


def propagate(ws: WorkingSet) -> None:
    for action in list(ws.actions):
        if action.task in ("start", "promote") and not action.runnable:
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
    if action.runnable or action.task not in ("start", "promote") or action.rsc is None:
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
        if action.task == "promote" and edge.primary_role != Role.PROMOTED:
            continue
        task = "promote" if edge.dependent_role == Role.PROMOTED else "start"
        _mark_blocked(ws, edge.dependent, task, action.rsc)


def _mark_blocked(ws: WorkingSet, rsc: Rsc, task: str, reason: Rsc) -> None:
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
