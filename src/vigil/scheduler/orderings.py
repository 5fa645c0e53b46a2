"""The ordering graph: each resource's own orderings, and the order constraints of the CIB.

An ordering ties two actions with flags that say what one implies for the other; what they imply
is worked out afterwards, in propagation.py."""

from __future__ import annotations

from vigil.model.constraints import Order, ResourceSet
from vigil.model.score import parse_score
from vigil.model.values import is_true
from vigil.scheduler import remote
from vigil.scheduler.actions import get_action, rsc_actions
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, OrderFlag, Ordering, Role, Rsc, Variant, WorkingSet

# the actions an order constraint may name (Pacemaker's schema allows no other word)
_CONSTRAINT_TASKS = {t.value: t for t in (Task.START, Task.STOP, Task.PROMOTE, Task.DEMOTE)}


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


def order_rsc_tasks(ws: WorkingSet, first_rsc: Rsc, first_task: Task, then_rsc: Rsc,
                    then_task: Task, flags: OrderFlag, order_id: str = "") -> None:
    """Order every `first_task` action of first_rsc before every `then_task` of then_rsc.

    A missing first action is created without a node (so it cannot run), except a stop of a
    stopped resource or a demote of an unpromoted one, which are simply not needed."""
    firsts = rsc_actions(ws, first_rsc, first_task)
    if not firsts and first_rsc is then_rsc:
        return
    if not firsts:
        state = first_rsc.current_role()
        if first_task in (Task.STOP, Task.STOPPED) and state == Role.STOPPED:
            return
        if first_task in (Task.DEMOTE, Task.DEMOTED) and state <= Role.UNPROMOTED:
            return
        firsts = [get_action(ws, first_rsc, first_task, None, True)]
    thens = rsc_actions(ws, then_rsc, then_task)
    for f in firsts:
        for t in thens:
            order(ws, f, t, flags, order_id)


def internal_orderings(ws: WorkingSet) -> None:
    for rsc in ws.resources:
        _internal(ws, rsc)


def _internal(ws: WorkingSet, rsc: Rsc) -> None:
    """A resource's own orderings, a member's or instance's in the middle of its parent's, in
    the order Pacemaker creates them: an ordering whose first action is missing creates it (with
    no node), one whose 'then' action is missing is dropped, so the order matters (a stopping
    clone instance's start, created by its parent's orderings, is not ordered after its
    stop: crm_simulate bug-lf-2153)."""
    if rsc.variant == Variant.PRIMITIVE:
        order_rsc_tasks(ws, rsc, Task.STOP, rsc, Task.START,
                        OrderFlag.OPTIONAL | OrderFlag.IMPLIES_THEN | OrderFlag.RESTART)
        if rsc.top.promotable or rsc.role > Role.UNPROMOTED:
            order_rsc_tasks(ws, rsc, Task.DEMOTE, rsc, Task.STOP, OrderFlag.PROMOTED_IMPLIES_FIRST)
            order_rsc_tasks(ws, rsc, Task.START, rsc, Task.PROMOTE, OrderFlag.RUNNABLE_LEFT)
        remote.container_orderings(ws, rsc)
    elif rsc.variant == Variant.GROUP:
        _group_orderings(ws, rsc)
    else:
        _clone_orderings(ws, rsc)


def _group_orderings(ws: WorkingSet, grp: Rsc) -> None:
    order_rsc_tasks(ws, grp, Task.STOPPED, grp, Task.START, OrderFlag.OPTIONAL)
    order_rsc_tasks(ws, grp, Task.START, grp, Task.RUNNING, OrderFlag.RUNNABLE_LEFT)
    order_rsc_tasks(ws, grp, Task.STOP, grp, Task.STOPPED, OrderFlag.RUNNABLE_LEFT)
    ordered = is_true(grp.meta.get("ordered"), True)
    promotable = grp.top.promotable
    last: Rsc | None = None
    last_active: Rsc | None = None
    for child in grp.children:
        _internal(ws, child)
        stop_flags = OrderFlag.NONE
        stopped_flags = OrderFlag.NONE
        if last is None and ordered:
            stop_flags |= OrderFlag.OPTIONAL
            stopped_flags = OrderFlag.IMPLIES_THEN
        if promotable:
            order_rsc_tasks(ws, grp, Task.DEMOTE, child, Task.DEMOTE, stop_flags)
            order_rsc_tasks(ws, child, Task.DEMOTE, grp, Task.DEMOTED, stopped_flags)
            order_rsc_tasks(ws, child, Task.PROMOTE, grp, Task.PROMOTED,
                            OrderFlag.RUNNABLE_LEFT | OrderFlag.IMPLIES_THEN)
            order_rsc_tasks(ws, grp, Task.PROMOTE, child, Task.PROMOTE, OrderFlag.NONE)
        order_rsc_tasks(ws, grp, Task.START, child, Task.START, OrderFlag.NONE)
        order_rsc_tasks(ws, grp, Task.STOP, child, Task.STOP, stop_flags)
        order_rsc_tasks(ws, child, Task.STOP, grp, Task.STOPPED, stopped_flags)
        order_rsc_tasks(ws, child, Task.START, grp, Task.RUNNING,
                        OrderFlag.RUNNABLE_LEFT | OrderFlag.IMPLIES_THEN)
        start_flags = OrderFlag.IMPLIES_THEN | OrderFlag.RUNNABLE_LEFT
        if not ordered:
            # members of an unordered group start on their own: no restart when another one
            # starts (crm_simulate: bug-pm-11, also with ordered=false on the group itself)
            order_rsc_tasks(ws, grp, Task.START, child, Task.START, OrderFlag.RUNNABLE_LEFT)
            if promotable:
                order_rsc_tasks(ws, grp, Task.PROMOTE, child, Task.PROMOTE, start_flags)
        elif last is not None:
            order_rsc_tasks(ws, last, Task.START, child, Task.START, start_flags)
            order_rsc_tasks(ws, child, Task.STOP, last, Task.STOP, OrderFlag.OPTIONAL | OrderFlag.RESTART)
            if promotable:
                order_rsc_tasks(ws, last, Task.PROMOTE, child, Task.PROMOTE, start_flags)
                order_rsc_tasks(ws, child, Task.DEMOTE, last, Task.DEMOTE, OrderFlag.OPTIONAL)
        else:
            order_rsc_tasks(ws, grp, Task.START, child, Task.START, OrderFlag.NONE)
        if child.running_on:
            if ordered and last is not None and not last.running_on and last_active is not None \
                    and last_active.running_on:
                order_rsc_tasks(ws, child, Task.STOP, last_active, Task.STOP, OrderFlag.OPTIONAL)
            last_active = child
        last = child
    if ordered and last is not None:
        order_rsc_tasks(ws, grp, Task.STOP, last, Task.STOP, OrderFlag.IMPLIES_THEN)
        order_rsc_tasks(ws, last, Task.STOP, grp, Task.STOPPED, OrderFlag.OPTIONAL)
        if promotable:
            order_rsc_tasks(ws, grp, Task.DEMOTE, last, Task.DEMOTE, OrderFlag.IMPLIES_THEN)
            order_rsc_tasks(ws, last, Task.DEMOTE, grp, Task.DEMOTED, OrderFlag.OPTIONAL)


def _clone_orderings(ws: WorkingSet, clone: Rsc) -> None:
    order_rsc_tasks(ws, clone, Task.START, clone, Task.RUNNING, OrderFlag.RUNNABLE_LEFT)
    order_rsc_tasks(ws, clone, Task.STOP, clone, Task.STOPPED, OrderFlag.RUNNABLE_LEFT)
    order_rsc_tasks(ws, clone, Task.STOPPED, clone, Task.START, OrderFlag.OPTIONAL)
    if clone.promotable:
        order_rsc_tasks(ws, clone, Task.DEMOTE, clone, Task.DEMOTED, OrderFlag.RUNNABLE_LEFT)
        order_rsc_tasks(ws, clone, Task.PROMOTE, clone, Task.PROMOTED, OrderFlag.RUNNABLE_LEFT)
        order_rsc_tasks(ws, clone, Task.DEMOTED, clone, Task.PROMOTE, OrderFlag.OPTIONAL)
        order_rsc_tasks(ws, clone, Task.STOPPED, clone, Task.PROMOTE, OrderFlag.OPTIONAL)
        order_rsc_tasks(ws, clone, Task.DEMOTED, clone, Task.START, OrderFlag.OPTIONAL)
    last: Rsc | None = None
    for child in clone.children:
        _internal(ws, child)
        order_rsc_tasks(ws, clone, Task.START, child, Task.START, OrderFlag.IMPLIES_FIRST_PRINTED)
        order_rsc_tasks(ws, child, Task.START, clone, Task.RUNNING, OrderFlag.IMPLIES_THEN)
        if clone.ordered and last is not None:
            order_rsc_tasks(ws, last, Task.START, child, Task.START, OrderFlag.OPTIONAL)
        order_rsc_tasks(ws, clone, Task.STOP, child, Task.STOP, OrderFlag.IMPLIES_FIRST_PRINTED)
        order_rsc_tasks(ws, child, Task.STOP, clone, Task.STOPPED, OrderFlag.IMPLIES_THEN)
        if clone.ordered and last is not None:
            order_rsc_tasks(ws, child, Task.STOP, last, Task.STOP, OrderFlag.OPTIONAL)
        if clone.promotable:
            order_rsc_tasks(ws, clone, Task.PROMOTE, child, Task.PROMOTE, OrderFlag.NONE)
            order_rsc_tasks(ws, child, Task.PROMOTE, clone, Task.PROMOTED, OrderFlag.IMPLIES_THEN)
            order_rsc_tasks(ws, clone, Task.DEMOTE, child, Task.DEMOTE, OrderFlag.NONE)
            order_rsc_tasks(ws, child, Task.DEMOTE, clone, Task.DEMOTED, OrderFlag.IMPLIES_THEN)
        last = child


KINDS = frozenset({"mandatory", "optional", "serialize"})  # an order's kind, in any case


def _kind(o: Order) -> str:
    if o.kind:
        k = o.kind.strip().lower()
        return k if k in KINDS else "mandatory"
    if o.score is not None:
        return "optional" if o.score == 0 else "mandatory"
    return "mandatory"


def _flags_for(kind: str, first_task: Task, symmetry: str) -> OrderFlag:
    flags = OrderFlag.OPTIONAL
    if kind == "mandatory":
        if symmetry == "asymmetric":
            flags |= OrderFlag.ASYMMETRIC
        elif symmetry == "symmetric":
            flags |= OrderFlag.IMPLIES_THEN
            if first_task in (Task.START, Task.PROMOTE):
                flags |= OrderFlag.RUNNABLE_LEFT
        else:
            flags |= OrderFlag.IMPLIES_FIRST
    return flags


def _first_task_for(rsc: Rsc, task: Task) -> Task:
    """A first action on a group or clone is its "done" pseudo-action."""
    return task if rsc.variant == Variant.PRIMITIVE else task.done


def _constraint_task(text: str | None, default: Task) -> Task | None:
    """An order's action word; None for a word the schema does not allow (the order is dropped)."""
    if text is None:
        return default
    return _CONSTRAINT_TASKS.get(text.strip().lower())


def user_orderings(ws: WorkingSet) -> None:
    for o in ws.orders:
        if o.sets:
            _set_orderings(ws, o)
            continue
        first = ws.by_id.get(o.first or "")
        then = ws.by_id.get(o.then or "")
        if first is None or then is None:
            continue
        first_action = _constraint_task(o.first_action, Task.START)
        then_action = _constraint_task(o.then_action, first_action or Task.START)
        if first_action is None or then_action is None:
            continue
        kind = _kind(o)
        symmetrical = o.symmetrical if o.symmetrical is not None else kind != "serialize"
        if kind == "serialize":
            symmetrical = False
        _add_user_order(ws, o.id, first, first_action, then, then_action, kind,
                        symmetrical, o.require_all, _clone_min(first))


def _clone_min(rsc: Rsc) -> int:
    if rsc.variant != Variant.CLONE:
        return 0
    return parse_score(rsc.meta.get("clone-min"), 0)


def _add_user_order(ws: WorkingSet, oid: str, first: Rsc, first_action: Task, then: Rsc,
                    then_action: Task, kind: str, symmetrical: bool, require_all: bool,
                    clone_min: int) -> None:
    flags = _flags_for(kind, first_action, "symmetric" if symmetrical else "asymmetric")
    if kind == "optional" and _restart_type(then):
        flags |= OrderFlag.IMPLIES_THEN  # the deprecated restart-type=restart
    if (clone_min > 0 or not require_all) and first.variant == Variant.CLONE:
        needed = clone_min if clone_min > 0 else 1
        pseudo = _one_or_more(ws, oid, needed)
        for inst in first.children:
            for a in rsc_actions(ws, inst, _first_task_for(inst, first_action)):
                order(ws, a, pseudo, OrderFlag.ONE_OR_MORE, oid)
        for t in rsc_actions(ws, then, then_action):
            order(ws, pseudo, t, flags, oid)
        # an order that needs only some instances of the first clone has no inverse: stopping
        # one instance does not stop what follows [case: clone_min_stop_one]
        return
    else:
        order_rsc_tasks(ws, first, _first_task_for(first, first_action), then, then_action,
                        flags, oid)
    if symmetrical:
        _add_inverse(ws, oid, first, first_action, then, then_action, kind)


def _add_inverse(ws: WorkingSet, oid: str, first: Rsc, first_action: Task, then: Rsc,
                 then_action: Task, kind: str) -> None:
    """A symmetrical order's other half: undoing `then` comes before undoing `first`."""
    inv_first = then_action.inverse
    inv_then = first_action.inverse
    if inv_first is None or inv_then is None:
        return
    inv_flags = _flags_for(kind, inv_first, "inverse")
    if kind == "optional" and _restart_type(first):
        inv_flags |= OrderFlag.IMPLIES_FIRST
    order_rsc_tasks(ws, then, _first_task_for(then, inv_first), first, inv_then, inv_flags, oid)


def _restart_type(rsc: Rsc) -> bool:
    return (rsc.meta.get("restart-type") or "").strip().lower() == "restart"




def _one_or_more(ws: WorkingSet, oid: str, needed: int,
                 task: Task = Task.ONE_OR_MORE) -> Action:
    action = Action(rsc=None, task=task, node=None, pseudo=True, seq=len(ws.actions),
                    order_id=oid)
    action.runnable_needed = needed
    ws.actions.append(action)
    return action


def _set_orderings(ws: WorkingSet, o: Order) -> None:
    kind = _kind(o)
    symmetrical = o.symmetrical if o.symmetrical is not None else kind != "serialize"
    words = [_constraint_task(rs.action, Task.START) for rs in o.sets]
    tasks = [t for t in words if t is not None]
    if len(tasks) != len(words):
        return
    prev: list[tuple[Rsc, Task]] = []
    prev_set: ResourceSet | None = None
    prev_members: list[Rsc] = []
    for rs, action in zip(o.sets, tasks, strict=True):
        members = [ws.by_id[r] for r in rs.resources if r in ws.by_id]
        set_kind = kind
        if rs.sequential:
            for a, b in zip(members, members[1:], strict=False):
                _add_user_order(ws, o.id, a, action, b, action, set_kind, symmetrical, True, 0)
        if prev_set is not None and not prev_set.require_all and prev_members and members:
            _any_member_first(ws, o.id, prev_set.id, [(m, prev[0][1]) for m in prev_members],
                              members, action, kind, symmetrical)
        elif prev and members:
            firsts = prev
            thens = members[:1] if rs.sequential else members
            for f, f_action in firsts:
                for t in thens:
                    _add_user_order(ws, o.id, f, f_action, t, action, kind, symmetrical,
                                    rs.require_all, 0)
        if members:
            prev = [(members[-1], action)] if rs.sequential else [(m, action) for m in members]
            prev_set, prev_members = rs, members


def _any_member_first(ws: WorkingSet, oid: str, set_id: str, firsts: list[tuple[Rsc, Task]],
                      thens: list[Rsc], then_action: Task, kind: str, symmetrical: bool) -> None:
    """A set with require-all=false before the next set: any one of its members is enough. Each
    member's action feeds one pseudo-action that is runnable when one of them is, and every
    member of the next set waits for that pseudo-action. Undoing goes back member by member,
    as the inverse of an ordinary set order."""
    pseudo = _one_or_more(ws, set_id, 1, Task.SET_ONE_OR_MORE)
    for first, first_action in firsts:
        for a in rsc_actions(ws, first, _first_task_for(first, first_action)):
            order(ws, a, pseudo, OrderFlag.ONE_OR_MORE, oid)
    flags = _flags_for(kind, firsts[0][1], "symmetric" if symmetrical else "asymmetric")
    for then in thens:
        for t in rsc_actions(ws, then, then_action):
            order(ws, pseudo, t, flags | OrderFlag.RUNNABLE_LEFT, oid)
    if symmetrical:
        for first, first_action in firsts:
            for then in thens:
                _add_inverse(ws, oid, first, first_action, then, then_action, kind)
