"""api.event_tally and api.events_follow: transitions and recoveries counted from an events log
as vigild writes it (one JSON object a line), and the log followed as it grows, is cut or is
replaced."""

from __future__ import annotations

import json
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from vigil.api import event_tally as et
from vigil.api import metrics
from vigil.api.events_follow import EventsFollower


def ev(ts: float, event: str, **fields: object) -> dict[str, object]:
    return {"ts": ts, "event": event, "node": "n1", **fields}


def failed_monitor(ts: float) -> dict[str, object]:
    return ev(ts, "action", resource="web", task="monitor", target="n2", rc=7, status=0,
              failed=True, transition="", exec_ms=0)


def transition(start: float, end: float, tid: str, failed: list[str] | None = None
               ) -> list[dict[str, object]]:
    return [ev(start, "transition-start", transition=tid, actions=[]),
            ev(end, "transition-end", transition=tid, failed=failed or [])]


def test_a_failure_is_recovered_at_the_end_of_the_first_clean_transition_after_it() -> None:
    events = [*transition(1.0, 1.2, "a"),  # before the failure: not its answer
              failed_monitor(10.0),
              *transition(10.5, 11.0, "b", failed=["start web on n3"]),  # failed: not yet
              *transition(11.2, 12.5, "c")]
    tally = et.fold_all(et.Tally(), events)
    assert dict(tally.transitions) == {"ok": 2, "failed": 1}
    rec = tally.recovery_seconds["resource"]
    assert (rec.count, rec.total) == (1, 2.5)
    assert tally.recovery_seconds["node"].count == 0 and tally.pending == ()
    assert tally.transition_seconds.count == 3
    assert abs(tally.transition_seconds.total - (0.2 + 0.5 + 1.3)) < 1e-9


def test_a_transition_already_running_at_the_failure_is_not_its_answer() -> None:
    events = [ev(10.0, "transition-start", transition="a", actions=[]),
              ev(10.4, "membership", ring=[1, 9], members=["n1", "n3"], left=["n2"]),
              ev(11.0, "transition-end", transition="a", failed=[]),
              *transition(11.1, 13.4, "b")]
    tally = et.fold_all(et.Tally(), events)
    node = tally.recovery_seconds["node"]
    assert (node.count, round(node.total, 3)) == (1, 3.0)


def test_failures_no_transition_here_answers_are_bounded() -> None:
    """A node that is not the DC logs failures and never their answers."""
    tally = et.fold_all(et.Tally(), (failed_monitor(float(i)) for i in range(1000)))
    assert len(tally.pending) == et.PENDING_MAX
    assert all(h.count == 0 for h in tally.recovery_seconds.values())


def test_the_histograms_are_prometheus_histograms() -> None:
    tally = et.fold_all(et.Tally(), [failed_monitor(10.0), *transition(10.1, 13.0, "a")])
    text = metrics.exposition(None, local_node="n1", tally=tally).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    buckets = {s.labels["le"]: s.value for s in families["ha_cluster_vigil_recovery_seconds"].samples
               if s.name.endswith("_bucket") and s.labels["kind"] == "resource"}
    assert buckets["2.0"] == 0 and buckets["5.0"] == 1 and buckets["+Inf"] == 1
    totals = {s.labels["outcome"]: s.value for s in families["ha_cluster_vigil_transitions"].samples
              if s.name == "ha_cluster_vigil_transitions_total"}
    assert totals == {"ok": 1.0, "failed": 0.0}
    # without a status snapshot the log's counts are still there, and the scrape says it failed
    assert families["ha_cluster_vigil_scrape_success"].samples[0].value == 0


def test_the_log_is_followed_as_it_grows_is_cut_and_is_replaced(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    follower = EventsFollower(log)
    assert follower.poll() == et.Tally()  # no log yet
    lines = [json.dumps(e) for e in [failed_monitor(1.0), *transition(1.5, 2.0, "a")]]
    log.write_text(lines[0] + "\n" + lines[1] + "\nnot json\n" + lines[2][:10])  # a partial last line
    assert follower.poll().recovery_seconds["resource"].count == 0
    with log.open("a") as f:
        f.write(lines[2][10:] + "\n")
    assert follower.poll().recovery_seconds["resource"].count == 1
    log.write_text(lines[1] + "\n")  # cut shorter: read again from the start
    assert follower.poll().transitions["ok"] == 0
    replaced = tmp_path / "new.jsonl"
    replaced.write_text("\n".join(lines) + "\n" + json.dumps(ev(3.0, "transition-start",
                                                                transition="b", actions=[])) + "\n")
    replaced.replace(log)  # another inode, longer than what was read
    assert follower.poll().transitions["ok"] == 1
