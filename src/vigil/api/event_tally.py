"""What this node did as the DC, counted from its own events log (vigild's
/var/log/vigil/events.jsonl), for /metrics: transitions by outcome and duration, and how long
the cluster took to recover from each failure. Pure: events in, a tally out (api.events_follow
reads the file).

- A transition is counted when it ends (`transition-end`), as `ok` when no action of it failed,
  its duration from its `transition-start` (same id) to its end.
- A failure is a failed action (`action` with failed true: a monitor that found the resource
  failed, a start or stop that failed) or a node lost (`membership` with nodes in `left`). Its
  recovery time runs from the failure to the end of the first transition that started after it
  and ended with no failed action: the cluster's whole answer to it (fencing, stops, starts,
  promotions) done. Failures are paired on the node whose log has that transition, the DC, so
  summing every node's counts counts each failure once; a failure that no transition here
  answers (the DC was another node) stays unpaired and is dropped after `PENDING_MAX` newer
  ones.

Every node logs the failures (results and memberships are replicated) but only the DC its
transitions: the sums over instances are the cluster's, however often the DC moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

PENDING_MAX = 256  # unpaired failures kept (another node was the DC for them)
STARTED_MAX = 64  # transitions started and not ended yet (aborted ones never end)
OUTCOMES = ("ok", "failed")
KINDS = ("resource", "node")
TRANSITION_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
RECOVERY_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)


@dataclass(frozen=True)
class Histogram:
    """Prometheus's histogram state: cumulative counts per upper bound, the sum, the count."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...] = ()  # one per bound (cumulative), filled on the first observation
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> Histogram:
        counts = self.counts or (0,) * len(self.bounds)
        return Histogram(self.bounds, tuple(c + (value <= b) for c, b in zip(counts, self.bounds,
                                                                               strict=True)),
                         self.total + value, self.count + 1)

    def buckets(self) -> list[tuple[str, int]]:
        """(le, cumulative count) with +Inf last, as prometheus-client takes them."""
        counts = self.counts or (0,) * len(self.bounds)
        return [*((repr(b), c) for b, c in zip(self.bounds, counts, strict=True)),
                ("+Inf", self.count)]


@dataclass(frozen=True)
class Failure:
    ts: float
    kind: str  # "resource" or "node"


def _recoveries() -> Mapping[str, Histogram]:
    return {k: Histogram(RECOVERY_BUCKETS) for k in KINDS}


@dataclass(frozen=True)
class Tally:
    transitions: Mapping[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    transition_seconds: Histogram = Histogram(TRANSITION_BUCKETS)
    recovery_seconds: Mapping[str, Histogram] = field(default_factory=_recoveries)  # by kind
    started: Mapping[str, float] = field(default_factory=dict)  # transition id -> its start
    pending: tuple[Failure, ...] = ()  # failures not answered yet


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def fold(tally: Tally, event: Mapping[str, object]) -> Tally:
    """`tally` with one more event of the log (an event it does not know changes nothing)."""
    ts = _number(event.get("ts"))
    kind = event.get("event")
    if ts is None:
        return tally
    if kind == "transition-start" and isinstance(event.get("transition"), str):
        started = {**tally.started, str(event["transition"]): ts}
        return replace(tally, started=dict(list(started.items())[-STARTED_MAX:]))
    if kind == "transition-end" and isinstance(event.get("transition"), str):
        tid = str(event["transition"])
        failed = bool(event.get("failed"))
        outcome = "failed" if failed else "ok"
        started = dict(tally.started)
        begun = started.pop(tid, None)
        durations = tally.transition_seconds
        if begun is not None:
            durations = durations.observe(max(0.0, ts - begun))
        recoveries, pending = dict(tally.recovery_seconds), tally.pending
        if not failed and begun is not None:
            for f in pending:
                if f.ts <= begun:
                    recoveries[f.kind] = recoveries[f.kind].observe(max(0.0, ts - f.ts))
            pending = tuple(f for f in pending if f.ts > begun)
        return replace(tally, transitions={**tally.transitions,
                                           outcome: tally.transitions.get(outcome, 0) + 1},
                       transition_seconds=durations, recovery_seconds=recoveries,
                       pending=pending, started=started)
    failure = None
    if kind == "action" and event.get("failed") is True:
        failure = Failure(ts, "resource")
    elif kind == "membership" and isinstance(event.get("left"), list) and event["left"]:
        failure = Failure(ts, "node")
    if failure is None:
        return tally
    return replace(tally, pending=(*tally.pending, failure)[-PENDING_MAX:])


def fold_all(tally: Tally, events: Iterable[Mapping[str, object]]) -> Tally:
    for event in events:
        tally = fold(tally, event)
    return tally
