"""Choose the Transition Summary line of each resource (crm_simulate's rules), as data."""

from __future__ import annotations

from vigil.scheduler import migration
from vigil.scheduler.transition import SummaryItem, Task
from vigil.scheduler.working import Action, Node, Role, Rsc, Variant, WorkingSet


def _find(ws: WorkingSet, rsc: Rsc, task: Task, node: Node | None) -> Action | None:
    """Like pe__resource_actions(): with a node, actions there (or without a node); else any."""
    for a in ws.rsc_actions.get(rsc.id, []):
        if a.task != task:
            continue
        if node is None or a.node is None or a.node is node:
            return a
    return None


def _details(rsc: Rsc, origin: Node | None, dest: Node | None, role: Role, next_role: Role) -> str:
    need_role = role > Role.STARTED or next_role > Role.UNPROMOTED
    same_host = origin is not None and dest is not None and origin is dest
    same_role = role == next_role
    if need_role and origin is None:
        assert dest is not None
        return f"{role.text} -> {next_role.text} {dest.name}"
    if origin is None:
        assert dest is not None
        return dest.name
    if need_role and dest is None:
        return f"{role.text} {origin.name}"
    if dest is None:
        return origin.name
    if need_role and same_role and same_host:
        return f"{role.text} {origin.name}"
    if same_role and same_host:
        return origin.name
    if need_role and same_role:
        return f"{origin.name} -> {dest.name} {role.text}"
    if same_role:
        return f"{origin.name} -> {dest.name}"
    if same_host:
        return f"{role.text} -> {next_role.text} {origin.name}"
    return f"{role.text} {origin.name} -> {next_role.text} {dest.name}"


def _item(verb: str, rsc: Rsc, origin: Node | None, dest: Node | None, action: Action | None,
          source: Action | None, role: Role) -> SummaryItem:
    src = source if source is not None else action
    runnable = action.runnable if action is not None else False
    reason = src.reason if src is not None else None
    return SummaryItem(verb=verb, resource=rsc.id,
                       details=_details(rsc, origin, dest, role, rsc.next_role),
                       reason=reason, blocked=not runnable)


def _current(rsc: Rsc) -> Node | None:
    return migration.current_node(rsc)


def primitive_items(ws: WorkingSet, rsc: Rsc) -> list[SummaryItem]:
    nxt = rsc.assigned
    current = _current(rsc)
    role = rsc.role
    if rsc.running_on and role == Role.STOPPED:
        role = Role.STARTED
    if current is None and rsc.orphan:
        return []
    if not rsc.managed or (current is None and nxt is None):
        return []
    moving = current is not None and nxt is not None and current is not nxt
    start = _find(ws, rsc, Task.START, nxt)
    start_node = current if (start is not None and start.runnable) else None
    stop = _find(ws, rsc, Task.STOP, start_node)
    if stop is None and rsc.stop_unexpected:
        stop = _find(ws, rsc, Task.STOP, None)
    promote = _find(ws, rsc, Task.PROMOTE, nxt)
    demote = _find(ws, rsc, Task.DEMOTE, nxt)
    if role == rsc.next_role:
        if nxt is None:
            return []
        migrate_from = _find(ws, rsc, Task.MIGRATE_FROM, nxt)
        if migrate_from is not None and migrate_from.runnable and current is not None:
            return [_item("Migrate", rsc, current, nxt, start, None, role)]
        if rsc.reload_needed and (start is None or start.optional):
            # a reload whose start another order made required becomes a restart
            # [case: reload-becomes-restart]
            return [_item("Reload", rsc, current, nxt, start, None, role)]
        if start is None or start.optional:
            if (demote is not None and promote is not None and not demote.optional
                    and not promote.optional):
                return [_item("Re-promote", rsc, current, nxt, promote, demote, role)]
            return []
        if not start.runnable:
            source = stop if (stop is not None and stop.reason) else start
            return [_item("Stop", rsc, current, None, stop, source, role)]
        if moving and current is not None:
            return [_item("Recover" if rsc.failed else "Move", rsc, current, nxt, stop, None, role)]
        if rsc.failed:
            return [_item("Recover", rsc, current, None, stop, None, role)]
        return [_item("Restart", rsc, current, nxt, start, None, role)]
    if stop is not None and (rsc.next_role == Role.STOPPED or (
            start is not None and not start.runnable)):
        items = []
        for node in rsc.running_on:
            stop_op = _find_exact(ws, rsc, Task.STOP, node)
            cause = stop_op if (stop_op is not None and stop_op.reason) else start
            items.append(_item("Stop", rsc, node, None, stop_op, cause, role))
        return items
    if stop is not None and rsc.failed and rsc.stop_needed:
        return [_item("Recover", rsc, current, nxt, stop, start, role)]
    if moving:
        return [_item("Move", rsc, current, nxt, stop, None, role)]
    if rsc.reload_needed:
        return [_item("Reload", rsc, current, nxt, start, None, role)]
    if stop is not None and not stop.optional:
        return [_item("Restart", rsc, current, nxt, start, None, role)]
    if role == Role.PROMOTED:
        return [_item("Demote", rsc, current, nxt, demote, None, role)]
    if rsc.next_role == Role.PROMOTED:
        return [_item("Promote", rsc, current, nxt, promote, None, role)]
    if role == Role.STOPPED and rsc.next_role > Role.STOPPED:
        return [_item("Start", rsc, current, nxt, start, None, role)]
    return []


def _find_exact(ws: WorkingSet, rsc: Rsc, task: Task, node: Node) -> Action | None:
    for a in ws.rsc_actions.get(rsc.id, []):
        if a.task == task and (a.node is node or a.node is None):
            return a
    return None


def _visit(ws: WorkingSet, rsc: Rsc, out: list[SummaryItem]) -> None:
    if rsc.variant == Variant.PRIMITIVE:
        out.extend(primitive_items(ws, rsc))
        return
    children = rsc.children
    if rsc.variant == Variant.CLONE and rsc.ordered:
        children = sorted(children, key=lambda c: c.instance_number)
    for child in children:
        _visit(ws, child, out)


def summary_items(ws: WorkingSet, order: list[Rsc]) -> list[SummaryItem]:
    items: list[SummaryItem] = []
    for fence in reversed(ws.fence_actions):
        assert fence.node is not None
        conn = fence.node.connection
        container = conn.container.id if conn is not None and conn.container is not None \
            else None
        items.append(SummaryItem(verb="Fence", resource=fence.node.name,
                                 details=fence.reason or "", reason=fence.reason,
                                 blocked=False, fence_action=fence.fence_action,
                                 fence_container=container))
    for rsc in order:
        _visit(ws, rsc, items)
    return items
