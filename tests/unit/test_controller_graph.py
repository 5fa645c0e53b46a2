"""The transition graph the DC runs (controller.graph), built from the scheduler's answer for a
promotable clone with notify=true whose promoted node was lost (data/promoted-node-lost.xml:
n1 unclean, a fencing device on n2; crm_simulate: fence n1, stop db:0 there, promote db:1 on n2).

Run to its end as the DC runs it (every action it starts succeeds): the promotion must happen in
this transition. A notification that cannot run (the scheduler planned some to the instance on
the node being fenced) held the promotion back until the transition ended, and a new one redid
the notifications; other unrunnable actions must still hold back what follows them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from vigil.cib.io import load_cib_file
from vigil.controller.graph import Graph, build_graph
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Task

CIB = Path(__file__).with_name("data") / "promoted-node-lost.xml"
NOW = 1_700_000_000


def run_to_the_end(graph: Graph) -> list[str]:
    """Start what is ready, complete it successfully, until nothing more can run; what ran."""
    ran: list[str] = []
    while True:
        graph, ready = graph.ready()
        if not ready:
            assert graph.finished
            return ran
        for action in ready:
            ran.append(f"{action.task} {action.resource} {action.node}")
            graph = graph.complete(action.key, True)


def test_the_promotion_runs_in_the_transition_that_fences() -> None:
    cib, _ = load_cib_file(CIB)
    ran = run_to_the_end(build_graph(schedule(cib, NOW)))
    assert "stonith None n1" in ran, ran
    assert "promote db:1 n2" in ran, ran
    notified = [r for r in ran if r.startswith("notify")]
    assert notified and not any(r.endswith(" n1") for r in notified), ran
    # the pre-promote notifications came before the promotion, the post ones after it
    assert ran.index("promote db:1 n2") > min(ran.index(r) for r in notified)


def test_a_notification_that_cannot_run_does_not_hold_back_what_follows() -> None:
    # as when the scheduler planned a notification to the instance on the node being fenced:
    # the pre-promote notification of db:2 cannot run; the promotion still does
    cib, _ = load_cib_file(CIB)
    transition = schedule(cib, NOW)
    unrunnable = dataclasses.replace(transition, actions=tuple(
        dataclasses.replace(a, runnable=False)
        if a.task == Task.NOTIFY and a.node == "n3" and a.operation is not None
        and dict(a.operation.meta).get("notify_type") == "pre" else a
        for a in transition.actions))
    ran = run_to_the_end(build_graph(unrunnable))
    assert "promote db:1 n2" in ran, ran


def test_an_unrunnable_action_that_is_not_a_notification_still_blocks() -> None:
    # the same transition with a fencing that cannot run: nothing ordered after it may run
    cib, _ = load_cib_file(CIB)
    transition = schedule(cib, NOW)
    blocked = dataclasses.replace(transition, actions=tuple(
        dataclasses.replace(a, runnable=False) if a.task == Task.STONITH else a
        for a in transition.actions))
    ran = run_to_the_end(build_graph(blocked))
    assert "promote db:1 n2" not in ran and not any(r.startswith("stonith") for r in ran), ran
