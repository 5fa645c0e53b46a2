"""Executing a Transition: which required actions may run now, given what has completed.

Pure bookkeeping on frozen values: the controller dispatches what `ready()` returns and reports
completions back. Optional actions are not part of the graph; pseudo actions complete as soon as
they are ready.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from vigil.scheduler.transition import PlannedAction, ResolvedOperation, Task, Transition

EXECUTABLE = {"start", "stop", "promote", "demote", "monitor", "notify", "stonith", "migrate_to",
              "migrate_from"}


@dataclass(frozen=True)
class GraphAction:
    key: str
    resource: str | None
    task: str
    node: str | None
    pseudo: bool
    runnable: bool
    operation: ResolvedOperation | None = None  # what runs, as the scheduler resolved it


def action_key(a: PlannedAction) -> str:
    """The action's name in the graph and in results: RSC_TASK_NODE; a notification adds
    which (pre or post) and of what (RSC_pre_notify_promote_NODE, as Pacemaker names them),
    since one instance gets several in one transition."""
    if a.task == Task.NOTIFY and a.operation is not None:
        meta = dict(a.operation.meta)
        kind = meta.get("notify_type") or meta.get("notify_key_type") or ""
        operation = meta.get("notify_operation") or meta.get("notify_key_operation") or ""
        return f"{a.resource or 'cluster'}_{kind}_notify_{operation}_{a.node or ''}"
    return f"{a.resource or 'cluster'}_{a.task}_{a.node or ''}"


def is_post_notification(action: GraphAction) -> bool:
    """A notification sent after a step (notify_type post): it tells what already happened."""
    return (action.task == "notify" and action.operation is not None
            and dict(action.operation.meta).get("notify_type") == "post")


def fence_key(target: str) -> str:
    """The graph key of the fencing of `target` (what action_key gives a stonith action)."""
    return f"cluster_stonith_{target}"


@dataclass(frozen=True)
class Graph:
    """The required part of one transition and its progress."""

    actions: Mapping[str, GraphAction]
    needs: Mapping[str, frozenset[str]]
    done: frozenset[str] = frozenset()
    running: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()

    def _eligible(self, key: str, done: frozenset[str]) -> bool:
        action = self.actions[key]
        return (key not in done and key not in self.running and key not in self.failed
                and action.runnable and self.needs[key] <= done)

    def ready(self, allow: Callable[[GraphAction], bool] | None = None
              ) -> tuple[Graph, tuple[GraphAction, ...]]:
        """The actions whose prerequisites are done and that are not started yet, now marked
        running. Pseudo actions become done on the spot (and may make more actions ready).
        With `allow`, only the real actions it accepts start; the others stay waiting."""
        done = set(self.done)
        running = set(self.running)
        out: list[GraphAction] = []
        progress = True
        while progress:
            progress = False
            for key, action in self.actions.items():
                if key in running or not self._eligible(key, frozenset(done)):
                    continue
                if action.pseudo:
                    done.add(key)
                    progress = True
                    continue
                if allow is not None and not allow(action):
                    continue
                running.add(key)
                out.append(action)
        return dataclasses.replace(self, done=frozenset(done), running=frozenset(running)), tuple(out)

    def complete(self, key: str, ok: bool) -> Graph:
        running = self.running - {key}
        if ok:
            return dataclasses.replace(self, running=running, done=self.done | {key})
        return dataclasses.replace(self, running=running, failed=self.failed | {key})

    @property
    def finished(self) -> bool:
        """Nothing runs and nothing more can become ready."""
        return not self.running and not any(self._eligible(k, self.done) for k in self.actions)


def build_graph(t: Transition) -> Graph:
    # A notification that cannot run (to the instance on a node being fenced) is not part of the
    # graph, nor are orderings after it, as in Pacemaker's graphs: it told nobody anything, and
    # kept it held back the promotion ordered after it until the transition ended and a new one
    # redid the notifications. Any other unrunnable action stays and blocks what follows it (a
    # start after a stop that cannot run must not run: the resource may still be active).
    required = {a.id: a for a in t.actions
                if not a.optional and (a.runnable or a.task != Task.NOTIFY)}
    keys: dict[int, str] = {}
    taken: set[str] = set()
    for i, a in required.items():
        key = action_key(a)
        # two actions the names cannot tell apart (a collective's pseudo notifications, say)
        # stay two actions
        keys[i] = key if key not in taken else f"{key}#{i}"
        taken.add(keys[i])
    actions: dict[str, GraphAction] = {}
    for i, a in required.items():
        pseudo = a.pseudo or a.task not in EXECUTABLE
        actions[keys[i]] = GraphAction(keys[i], a.resource, a.task, a.node, pseudo, a.runnable,
                                       a.operation)
    needs: dict[str, set[str]] = {k: set() for k in actions}
    for o in t.orderings:
        if o.first in keys and o.then in keys:
            needs[keys[o.then]].add(keys[o.first])
    return Graph(actions, {k: frozenset(v) for k, v in needs.items()})
