"""What holds the DC's planning after a join, and what releases it (controller.planning and
controller.replica): operations that were running when their node joined hold it until their
results come; the hold is logged once when it starts and once when it ends.

The database chaos run saw a DC plan nothing more after a restoration; a result that never
releases the hold (a graph's recurring monitor: its record carries its interval) was one way."""

from __future__ import annotations

import dataclasses

from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.core import step
from vigil.controller.effects import Emit
from vigil.controller.state import State, View, initial_state
from vigil.model.status import OperationRecord, ResourceHistory

RING = (1, 7)


def dc_waiting_for(pending: set[tuple[int, str]]) -> State:
    """Node 1, DC of a synced view of nodes 1 and 2, every join and node state in."""
    st = initial_state(1, None)
    view = View(ring=RING, members=(1, 2), synced=True, joined=frozenset({1, 2}),
                states_applied=True, pending=frozenset(pending))
    return dataclasses.replace(st, view=view, names={1: "n1", 2: "n2"})


def result(rsc: str, *, interval_ms: int, transition: str | None) -> ev.Delivered:
    record = OperationRecord(id=f"{rsc}_monitor_{interval_ms}", operation="monitor", call_id=9,
                             rc_code=0, op_status=0, interval_ms=interval_ms)
    msg = m.OpResult(2, "n2", ResourceHistory(rsc, "ocf", "Dummy", "heartbeat"), record,
                     transition, f"{rsc}_monitor_n2" if transition else None, False, False, 100)
    return ev.Delivered(2, msg)


def events(effects: tuple[object, ...]) -> list[tuple[str, dict[str, object]]]:
    return [(e.kind, dict(e.fields)) for e in effects if isinstance(e, Emit)]


def test_an_operation_running_at_the_join_holds_planning_and_the_hold_is_logged_once() -> None:
    st = dc_waiting_for({(2, "db")})
    st, effects = step(st, ev.PlanDue(), 10.0)
    held = [f for kind, f in events(effects) if kind == "planning-held"]
    assert held == [{"node": "n1", "reason": "waiting for operations running at the join",
                     "operations": ["db on n2"]}]
    st, effects = step(st, ev.PlanDue(), 11.0)
    assert not [k for k, _ in events(effects) if k == "planning-held"]  # said once


def test_the_first_result_of_a_recurring_monitor_the_dc_asked_for_releases_the_hold() -> None:
    st = dc_waiting_for({(2, "db")})
    st, _ = step(st, ev.PlanDue(), 10.0)
    st, _ = step(st, result("db", interval_ms=10_000, transition="3:1:7"), 11.0)
    assert not st.view.pending
    st, effects = step(st, ev.PlanDue(), 11.0)
    assert ("planning-resumed", {"node": "n1", "after": "waiting for operations running at "
                                 "the join"}) in events(effects)


def test_a_recurring_monitors_own_report_does_not_release_the_hold() -> None:
    """A monitor that runs on its own while a start of the same resource runs says nothing
    about that start."""
    st = dc_waiting_for({(2, "db")})
    st, _ = step(st, result("db", interval_ms=10_000, transition=None), 11.0)
    assert st.view.pending == {(2, "db")}
    st, _ = step(st, result("db", interval_ms=0, transition="probe"), 12.0)
    assert not st.view.pending
