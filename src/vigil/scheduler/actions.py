"""The actions of every resource: what each must do to go from its role to its next role."""

from __future__ import annotations

from vigil.scheduler import migration, probes
from vigil.scheduler.digests import check_definition_changes
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, Role, Rsc, Variant, WorkingSet

# what needs quorum: bringing a resource up, including the halves of a migration
_NEEDS_QUORUM = frozenset({Task.START, Task.PROMOTE, Task.MIGRATE_TO, Task.MIGRATE_FROM})


def _quorum_block(ws: WorkingSet, action: Action) -> None:
    rsc = action.rsc
    if rsc is None or action.pseudo or action.task not in _NEEDS_QUORUM:
        return
    if rsc.requires == "nothing" or ws.options.have_quorum:
        return
    policy = ws.options.no_quorum_policy
    if policy == "ignore":
        return
    if policy == "demote" and action.task == Task.START and rsc.top.promotable \
            and rsc.running_on:
        # demote: a promotable clone's instances keep running, unpromoted; a stopped one is
        # not started (crm_simulate)
        return
    if policy == "freeze":
        if not rsc.active() or rsc.next_role > rsc.role:
            action.runnable = False
            action.reason = "quorum freeze"
        return
    action.runnable = False
    action.reason = "no quorum"


def get_action(ws: WorkingSet, rsc: Rsc, task: Task, node_name: str | None, optional: bool = True,
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


def rsc_actions(ws: WorkingSet, rsc: Rsc, task: Task) -> list[Action]:
    return [a for a in ws.rsc_actions.get(rsc.id, []) if a.task == task]


def _stop(ws: WorkingSet, rsc: Rsc, optional: bool) -> None:
    for node in rsc.running_on:
        if rsc.stop_unexpected and rsc.assigned is node:
            continue
        if rsc.partial_migration_target is node and rsc.assigned is node:
            continue  # the migration there goes on: no stop
        stop = get_action(ws, rsc, Task.STOP, node.name, optional)
        if rsc.assigned is None:
            stop.reason = "node availability"
        elif rsc.stop_unexpected:
            stop.reason = "being multiply active"
        if not rsc.managed:
            stop.runnable = False


def _start(ws: WorkingSet, rsc: Rsc, node_name: str | None, optional: bool) -> None:
    start = get_action(ws, rsc, Task.START, node_name, True)
    if start.runnable and not optional:
        start.optional = False


def _promote(ws: WorkingSet, rsc: Rsc, node_name: str | None, optional: bool) -> bool:
    if node_name is None:
        return False
    starts = [a for a in rsc_actions(ws, rsc, Task.START) if a.node and a.node.name == node_name]
    if all(a.runnable for a in starts):
        get_action(ws, rsc, Task.PROMOTE, node_name, optional)
        return True
    for a in rsc_actions(ws, rsc, Task.PROMOTE):
        if a.node and a.node.name == node_name:
            a.runnable = False
    return True


def _demote(ws: WorkingSet, rsc: Rsc, optional: bool) -> None:
    for node in rsc.running_on:
        get_action(ws, rsc, Task.DEMOTE, node.name, optional)


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
    for node in rsc.forced_demote:
        get_action(ws, rsc, Task.DEMOTE, node.name, optional=False)
    chosen = rsc.assigned
    if rsc.next_role == Role.UNKNOWN:
        rsc.next_role = Role.STOPPED if chosen is None else Role.STARTED
    current = migration.current_node(rsc)
    for node in rsc.dangling_migrations:
        # a finished migration's source: stopped there, which changes nothing on the target
        stop = get_action(ws, rsc, Task.STOP, node.name, optional=False)
        stop.dangling = True
    need_stop = False
    need_promote = False
    allow_migrate = False
    moving = current is not None and chosen is not None and current is not chosen
    if moving and rsc.next_role >= Role.STARTED:
        allow_migrate = migration.may_migrate(rsc, current)
    all_active, clean_active = _active_counts(rsc)
    multiply_active = False
    if migration.continues_partial(rsc, current, allow_migrate):
        pass  # active on both ends of the migration, as expected
    elif rsc.partial_migration_source is not None or rsc.partial_migration_target is not None:
        # a migration half done that cannot go on: stop it on both ends, start it afresh
        need_stop = True
        rsc.partial_migration_source = rsc.partial_migration_target = None
        allow_migrate = False
    elif rsc.requires in ("fencing", "unfencing"):
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
        get_action(ws, rsc, Task.START, chosen.name if chosen else None, True)
    if moving:
        need_stop = True
    elif rsc.failed:
        if rsc.stop_needed:
            need_stop = True
        elif rsc.next_role == Role.PROMOTED:
            need_promote = True
    elif rsc.blocked:
        need_stop = True
    elif rsc.role > Role.STARTED and current is not None and chosen is not None:
        start = get_action(ws, rsc, Task.START, chosen.name, True)
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
        get_action(ws, rsc, Task.START, chosen_name, True)
    if rsc.restart_needed and rsc.reason_restart is not None:
        for a in rsc_actions(ws, rsc, Task.START):
            if a.reason is None:
                a.reason = rsc.reason_restart
    if chosen is None:
        # assignment failed: the stop is required, the start cannot run
        for a in rsc_actions(ws, rsc, Task.STOP):
            a.optional = False
        for a in rsc_actions(ws, rsc, Task.START):
            a.runnable = False
    elif probes.start_waits_for_probe(ws, rsc):
        for a in rsc_actions(ws, rsc, Task.START):
            a.runnable = False
    rsc.migrating_from = current if allow_migrate else None


def create_collective_actions(ws: WorkingSet, rsc: Rsc) -> None:
    for task in (Task.START, Task.RUNNING, Task.STOP, Task.STOPPED):
        get_action(ws, rsc, task, None, True, pseudo=True)
    if rsc.promotable or (rsc.parent is not None and rsc.top.promotable):
        for task in (Task.PROMOTE, Task.PROMOTED, Task.DEMOTE, Task.DEMOTED):
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
