"""vigil.commands.history: the events log grouped into transitions, each with what set it off
and its timeline (the web UI's history page, GET /api/v1/history)."""

from __future__ import annotations

from vigil.commands.history import history


def _ev(ts: float, kind: str, **fields: object) -> dict[str, object]:
    return {"ts": ts, "event": kind, "node": "n1", **fields}


POWER_CUT = [
    _ev(10.0, "config", version=[0, 5, 0]),
    _ev(11.0, "transition-start", transition="t1", actions=["start web on n2"]),
    _ev(11.2, "action", resource="web", task="start", target="n2", failed=False,
        transition="t1"),
    _ev(11.3, "transition-end", transition="t1", failed=[]),
    # the power cut: Corosync's membership, then the quorum, then the DC's transition
    _ev(20.0, "membership", members=["n1", "n3"], left=["n2"]),
    _ev(20.01, "quorum", quorate=True, votes=2, expected=3),
    _ev(20.05, "transition-start", transition="t2", actions=["start web on n3"]),
    _ev(20.06, "action", resource="other", task="monitor", target="n1", failed=False,
        transition="t0"),
    _ev(20.4, "action", resource="web", task="start", target="n3", failed=False,
        transition="t2"),
    _ev(20.5, "transition-end", transition="t2", failed=[]),
]


def test_the_first_cause_since_the_last_transition_is_the_trigger() -> None:
    found = history(POWER_CUT)
    assert [t.transition for t in found.transitions] == ["t2", "t1"]  # newest first
    cut, config = found.transitions
    assert cut.trigger is not None and cut.trigger.kind == "membership"
    assert cut.duration_s == 0.5 and cut.outcome == "done"
    assert [(m.after_s, m.kind) for m in cut.timeline] == [
        (0.0, "membership"), (0.01, "quorum"), (0.05, "transition-start"), (0.4, "action"),
        (0.5, "transition-end")]  # another transition's result is not in this timeline
    assert config.trigger is not None and config.trigger.kind == "config"
    assert config.planned == ("start web on n2",)


def test_aborted_running_and_failed_transitions() -> None:
    events = [
        _ev(1.0, "action", resource="db", task="monitor", target="n1", failed=True,
            transition=None),
        _ev(1.1, "transition-start", transition="a", actions=["stop db on n1"]),
        _ev(1.2, "transition-abort", reason="configuration changed"),
        _ev(1.3, "transition-start", transition="b", actions=["start db on n2"]),
        _ev(1.9, "transition-end", transition="b", failed=["start db on n2"]),
        _ev(2.0, "transition-start", transition="c", actions=["start db on n3"]),
    ]
    c, b, a = history(events).transitions
    assert (a.outcome, a.abort_reason, a.ended) == ("aborted", "configuration changed", None)
    assert a.trigger is not None and a.trigger.kind == "action"  # the failed monitor
    assert b.outcome == "failed" and b.trigger is None  # nothing new since a: no cause
    assert c.outcome == "running" and c.duration_s is None
    assert [t.transition for t in history(events, limit=1).transitions] == ["c"]


def test_odd_lines_are_skipped() -> None:
    events: list[dict[str, object]] = [{"no": "event"}, _ev(1.0, "transition-start"),
                                       {"event": "transition-start", "transition": "x"}]
    found = history(events)
    assert [t.transition for t in found.transitions] == ["x"] and found.events_read == 2


def test_a_lost_node_outranks_a_configuration_change_before_it() -> None:
    """An operator's change that planned nothing, then a power cut: the cut set it off."""
    events = [_ev(5.0, "config", version=[0, 6, 0]),
              _ev(8.0, "membership", members=["n1"], left=["n2"]),
              _ev(8.01, "quorum", quorate=False),
              _ev(8.1, "transition-start", transition="t", actions=["start web on n1"]),
              _ev(8.3, "transition-end", transition="t", failed=[])]
    [t] = history(events).transitions
    assert t.trigger is not None and t.trigger.kind == "membership" and t.duration_s == 0.3
    assert [m.kind for m in t.timeline][0] == "membership"
