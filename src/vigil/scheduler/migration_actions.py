"""The actions of a live migration and their orderings.

A migrating resource gets `migrate_to` on the source (left out when a migration found half done
goes on), `migrate_from` on the target, a stop on the source after migrate_from, and a start on
the target that is a pseudo action after both. All four are marked migrate_runnable: propagation
clears the mark where an ordering needs a real stop or start (a dependency that restarts, a
first action that is not a migration itself), and then migrate_from cannot run, the start becomes
real, and the summary says Move instead of Migrate.

Orderings between a migrating resource and others are mirrored onto the migration actions, so
that the graph runs migrate_to where the start or stop it replaces would have waited.
"""

from __future__ import annotations

from vigil.scheduler.actions import get_action, rsc_actions
from vigil.scheduler.orderings import order
from vigil.scheduler.transition import Task
from vigil.scheduler.working import Action, OrderFlag, Rsc, Variant, WorkingSet


def create_migration_actions(ws: WorkingSet) -> None:
    """The migrate_to / migrate_from of every resource actions.py found free to migrate."""
    for rsc in ws.all_rscs():
        if rsc.variant == Variant.PRIMITIVE and rsc.migrating_from is not None \
                and rsc.assigned is not None:
            _migration(ws, rsc, rsc.migrating_from.name, rsc.assigned.name)


def _migration(ws: WorkingSet, rsc: Rsc, source: str, target: str) -> None:
    continuing = rsc.partial_migration_target is not None
    start = get_action(ws, rsc, Task.START, target, True)
    stop = get_action(ws, rsc, Task.STOP, source, True)
    migrate_to = None if continuing else get_action(ws, rsc, Task.MIGRATE_TO, source, True)
    migrate_from = get_action(ws, rsc, Task.MIGRATE_FROM, target, True)
    for action in (start, stop, migrate_to, migrate_from):
        if action is not None:
            action.migrate_runnable = True
    start.pseudo = True  # the resource runs on the target once migrate_from is done
    steps = OrderFlag.OPTIONAL | OrderFlag.IMPLIES_FIRST_MIGRATABLE
    if migrate_to is not None:
        order(ws, migrate_to, migrate_from, steps)
    order(ws, migrate_from, stop, steps)
    order(ws, migrate_from, start, steps | OrderFlag.PSEUDO_LEFT)


def _related(a: Rsc, b: Rsc) -> bool:
    """One contains the other (a group and its member, a clone and its instance)."""
    for child, parent in ((a, b), (b, a)):
        rsc = child.parent
        while rsc is not None:
            if rsc is parent:
                return True
            rsc = rsc.parent
    return False


def _migrates(rsc: Rsc) -> bool:
    return rsc.variant == Variant.PRIMITIVE and rsc.allow_migrate


def _on(ws: WorkingSet, rsc: Rsc, task: Task) -> list[Action]:
    return rsc_actions(ws, rsc, task)


def order_equivalents(ws: WorkingSet) -> None:
    """Mirror the orderings between two resources onto their migration actions:
    - start A then start B: B's migrate_to waits for A's start, and for A's migrate_from if A
      migrates too (then A's start, a pseudo action, no longer counts);
    - stop A then stop B, B migrating: B's migrate_to (migrate_from, half done) waits for A's
      stop, unless A's stop is itself part of a migration;
    - promote A then start B, demote A then stop B: B's migrate_to waits for it.
    These only order: they neither require nor block anything."""
    for o in list(ws.orderings):
        first, then = o.first, o.then
        a, b = first.rsc, then.rsc
        if a is None or b is None or a is b or _related(a, b):
            continue
        a_migrates, b_migrates = _migrates(a), _migrates(b)
        if not a_migrates and not b_migrates:
            continue
        pair = (first.task.undone, then.task.undone)
        unless_migrating = OrderFlag.OPTIONAL | (
            OrderFlag.APPLY_FIRST_NON_MIGRATABLE if a_migrates else OrderFlag.NONE)
        if pair == (Task.START, Task.START):
            if a_migrates and b_migrates:
                for f in _on(ws, a, Task.MIGRATE_FROM):
                    for t in _on(ws, b, Task.MIGRATE_TO):
                        order(ws, f, t, OrderFlag.OPTIONAL)
            if b_migrates:
                for t in _on(ws, b, Task.MIGRATE_TO):
                    order(ws, first, t, unless_migrating)
        elif pair == (Task.STOP, Task.STOP) and b_migrates:
            tasks = [Task.MIGRATE_TO]
            if b.partial_migration_target is not None:
                tasks.append(Task.MIGRATE_FROM)
            for task in tasks:
                for t in _on(ws, b, task):
                    order(ws, first, t, unless_migrating)
        elif pair in ((Task.PROMOTE, Task.START), (Task.DEMOTE, Task.STOP)) and b_migrates:
            tasks = [Task.MIGRATE_TO]
            if pair[0] == Task.DEMOTE and b.partial_migration_target is not None:
                tasks.append(Task.MIGRATE_FROM)
            for task in tasks:
                for t in _on(ws, b, task):
                    order(ws, first, t, OrderFlag.OPTIONAL)
