"""The cluster's history as transitions: what set each one off, what it did, how long each step
took, read from a node's events log (vigild's events.jsonl). The web UI's history page and
`GET /api/v1/history` show it; each transition's timeline is the failover timeline the demos
print (the trigger at +0.00 s, then fencing, stops, starts and the end).

Pure: the events come in as the log's JSON objects; a record goes out as data.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# what sets a transition off, as the events log records it, the likeliest cause first: a node
# lost or back, a failed operation, a fencing done, then a configuration change or a quorum
# change (both also follow a lost node, or change nothing to plan)
TRIGGER_RANK = {"membership": 0, "action": 1, "fencing": 2, "config": 3, "quorum": 4}
TRIGGER_KINDS = frozenset(TRIGGER_RANK)
# what a transition's timeline shows besides its own actions' results
TIMELINE_KINDS = frozenset({"membership", "quorum", "fencing-requested", "fencing",
                            "fencing-gave-up", "transition-start", "transition-end",
                            "transition-abort"})
TRIGGER_WINDOW_S = 120.0  # a cause older than this is not what set the transition off
Scalar = str | int | float | bool | None
Value = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class Moment:
    """One logged event, `after_s` seconds after the transition's trigger."""

    after_s: float
    ts: float
    kind: str
    node: str
    fields: tuple[tuple[str, Value], ...]


@dataclass(frozen=True)
class TransitionRecord:
    transition: str
    started: float
    ended: float | None  # None: still running, or aborted
    outcome: str  # running, done, failed, aborted
    abort_reason: str | None
    planned: tuple[str, ...]  # "start web on n2", "fence n1"
    trigger: Moment | None  # the last cause logged before it started
    timeline: tuple[Moment, ...]
    duration_s: float | None  # from its trigger (else its start) to its end


@dataclass(frozen=True)
class History:
    transitions: tuple[TransitionRecord, ...]  # newest first
    events_read: int


def _value(v: object) -> Value:
    if v is None or isinstance(v, str | int | float | bool):
        return v
    if isinstance(v, list | tuple):
        return tuple(x if x is None or isinstance(x, str | int | float | bool) else str(x)
                     for x in v)
    return str(v)


def _moment(event: Mapping[str, object], origin: float) -> Moment:
    ts = _ts(event)
    return Moment(round(ts - origin, 3), ts, str(event.get("event", "")),
                  str(event.get("node", "")),
                  tuple((k, _value(v)) for k, v in event.items()
                        if k not in ("ts", "event", "node")))


def _ts(event: Mapping[str, object]) -> float:
    ts = event.get("ts")
    return float(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else 0.0


def _is_cause(event: Mapping[str, object]) -> bool:
    kind = event.get("event")
    if kind == "action":  # a failed operation (a monitor that found it dead), not a result
        return event.get("failed") is True and event.get("transition") is None
    return kind in TRIGGER_KINDS


def _in_timeline(event: Mapping[str, object], transition: str) -> bool:
    kind = event.get("event")
    if kind == "action":  # this transition's results; another's belong to its own timeline
        return event.get("transition") == transition
    return kind in TIMELINE_KINDS and kind != "transition-start"


def history(events: Iterable[Mapping[str, object]], *, limit: int = 50) -> History:
    """The last `limit` transitions in the events (in time order or not), newest first."""
    ordered: Sequence[Mapping[str, object]] = sorted(
        (e for e in events if isinstance(e.get("event"), str)), key=_ts)
    starts = [i for i, e in enumerate(ordered) if e.get("event") == "transition-start"
              and isinstance(e.get("transition"), str)]
    records: list[TransitionRecord] = []
    for n, i in enumerate(starts):
        start = ordered[i]
        tid = str(start["transition"])
        # what set it off: of the causes logged since the previous transition ended, the
        # likeliest (TRIGGER_RANK), the first of those (a power cut logs the membership
        # change, then the quorum: the membership is the cause)
        since = float("-inf")
        if n:
            before = records[-1]
            since = before.ended if before.ended is not None else before.started
        since = max(since, _ts(start) - TRIGGER_WINDOW_S)
        lo = bisect.bisect_right(ordered, since, hi=i, key=_ts)
        causes = [k for k in range(lo, i) if _is_cause(ordered[k])]
        first = min(causes, key=lambda k: (TRIGGER_RANK[str(ordered[k]["event"])], k),
                    default=None)
        trigger = ordered[first] if first is not None else None
        end_index, end = None, None
        for j in range(i + 1, len(ordered)):
            e = ordered[j]
            if e.get("event") == "transition-end" and e.get("transition") == tid:
                end_index, end = j, e
                break
            if e.get("event") in ("transition-abort", "transition-start"):
                end_index, end = j, e
                break
        origin = _ts(trigger) if trigger is not None else _ts(start)
        stop = end_index + 1 if end_index is not None else len(ordered)
        timeline = tuple(_moment(ordered[k], origin)
                         for k in range(first if first is not None else i, stop)
                         if k in (first, i) or _in_timeline(ordered[k], tid))
        kind = end.get("event") if end is not None else None
        if kind == "transition-end":
            failed = end.get("failed") if end is not None else None
            outcome = "failed" if failed else "done"
        elif kind is None:
            outcome = "running"
        else:
            outcome = "aborted"
        abort = str(end.get("reason")) if end is not None and kind == "transition-abort" else None
        ended = _ts(end) if end is not None and kind == "transition-end" else None
        planned = start.get("actions")
        records.append(TransitionRecord(
            tid, _ts(start), ended, outcome, abort,
            tuple(str(a) for a in planned) if isinstance(planned, list) else (),
            _moment(trigger, origin) if trigger is not None else None, timeline,
            round(ended - origin, 3) if ended is not None else None))
    return History(tuple(reversed(records[-limit:])) if limit > 0 else (), len(ordered))
