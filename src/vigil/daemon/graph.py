"""Executing a Transition: which required actions may run now, given what has completed.

Pure bookkeeping: the daemon dispatches what `ready()` returns and reports completions back.
Optional actions are not part of the graph; pseudo actions complete as soon as they are ready.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.scheduler.transition import PlannedAction, Transition

EXECUTABLE = {"start", "stop", "promote", "demote", "monitor", "stonith"}


@dataclass(frozen=True)
class GraphAction:
    key: str
    resource: str | None
    task: str
    node: str | None
    pseudo: bool
    runnable: bool


def action_key(a: PlannedAction) -> str:
    return f"{a.resource or 'cluster'}_{a.task}_{a.node or ''}"


@dataclass
class Graph:
    """The required part of one transition and its progress."""

    actions: dict[str, GraphAction]
    needs: dict[str, frozenset[str]]
    done: set[str] = field(default_factory=set)
    running: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)

    def ready(self) -> list[GraphAction]:
        """Actions whose prerequisites are done and that are not started yet.

        Pseudo actions become done on the spot (and may make more actions ready)."""
        out: list[GraphAction] = []
        progress = True
        while progress:
            progress = False
            for key, action in self.actions.items():
                if key in self.done or key in self.running or key in self.failed:
                    continue
                if not action.runnable:
                    continue
                if not self.needs[key] <= self.done:
                    continue
                if action.pseudo:
                    self.done.add(key)
                    progress = True
                    continue
                self.running.add(key)
                out.append(action)
        return out

    def complete(self, key: str, ok: bool) -> None:
        self.running.discard(key)
        (self.done if ok else self.failed).add(key)

    @property
    def finished(self) -> bool:
        """Nothing runs and nothing more can become ready."""
        return not self.running and not self.ready_preview()

    def ready_preview(self) -> list[str]:
        return [k for k, a in self.actions.items()
                if k not in self.done and k not in self.running and k not in self.failed
                and a.runnable and self.needs[k] <= self.done]


def build_graph(t: Transition) -> Graph:
    required = {a.id: a for a in t.actions if not a.optional}
    keys = {i: action_key(a) for i, a in required.items()}
    actions: dict[str, GraphAction] = {}
    for i, a in required.items():
        pseudo = a.pseudo or a.task not in EXECUTABLE
        actions[keys[i]] = GraphAction(keys[i], a.resource, a.task, a.node, pseudo, a.runnable)
    needs: dict[str, set[str]] = {k: set() for k in actions}
    for o in t.orderings:
        if o.first in keys and o.then in keys:
            needs[keys[o.then]].add(keys[o.first])
    return Graph(actions, {k: frozenset(v) for k, v in needs.items()})
