"""The endurance side of `vigil lab cts`: configuration changes between the scenarios (`--churn`)
and each node's vigild memory after every settle, turned into a trend per vigild process.

Churn: after a scenario, on a node whose stack runs, one resource created (an extra Dummy, e1,
e2 ..., at most MAX_EXTRA at a time) or deleted, and one location preference of d1..d4 added or
removed; the settle and the audits that follow cover them as they cover the scenario (the CIB
the same everywhere, nothing left to do, every resource's agent where the status says).

Memory: vigild's resident set (VmRSS) read in the node after each settle, with its PID: a vigild
restarted (ComponentFail) or a node fenced starts a new series. `trends` fits a line through
each series after its warm-up (its first half), so a leak shows as a slope in KiB per hour and
a flat process as about zero.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from vigil.lab.cts.scenarios import Outcome
from vigil.lab.cts.world import World
from vigil.lab.errors import LabError

MAX_EXTRA = 4
PREFERRED = ("d1", "d2", "d3", "d4")
MIN_SAMPLES = 4  # a series shorter than this has no trend worth a line


@dataclass
class ChurnState:
    """What the churn created and has not removed yet (carried from one change to the next)."""

    next_extra: int = 1
    extra: list[str] = field(default_factory=list)
    preferences: dict[str, str] = field(default_factory=dict)  # resource -> constraint id


def churn(w: World, rng: random.Random, o: Outcome, st: ChurnState) -> None:
    up = w.up_nodes()
    if not up:
        o.step("churn: no node's stack runs, no change")
        return
    at = rng.choice(up)
    if st.extra and (len(st.extra) >= MAX_EXTRA or rng.random() < 0.5):
        rsc = st.extra.pop(rng.randrange(len(st.extra)))
        w.vigil_ok(at, ["resource", "delete", rsc], timeout=120)
        o.step(f"churn: resource delete {rsc} (on {at})")
    else:
        rsc = f"e{st.next_extra}"
        st.next_extra += 1
        w.vigil_ok(at, ["resource", "create", rsc, "ocf:pacemaker:Dummy", "op", "monitor",
                        "interval=10s"])
        st.extra.append(rsc)
        o.step(f"churn: resource create {rsc} (on {at})")
    rsc = rng.choice(PREFERRED)
    if rsc in st.preferences:
        cid = st.preferences.pop(rsc)
        w.vigil_ok(at, ["constraint", "delete", cid])
        o.step(f"churn: constraint delete {cid}")
    else:
        node, score = rng.choice(w.nodes), rng.choice((50, 100, 500))
        w.vigil_ok(at, ["constraint", "location", rsc, "prefers", f"{node}={score}"])
        st.preferences[rsc] = f"location-{rsc}-{node}-{score}"
        o.step(f"churn: constraint location {rsc} prefers {node}={score}")


@dataclass(frozen=True)
class MemorySample:
    at_s: float  # since the run began
    node: str
    pid: int  # vigild's PID in the node: a new one after a restart or a fence
    rss_kib: int


def sample(w: World, at_s: float) -> list[MemorySample]:
    """Every running vigild's resident memory now."""
    out = []
    for node in w.up_nodes():
        try:
            found = w.vigild_memory(node)
        except LabError:
            found = None
        if found is not None:
            out.append(MemorySample(round(at_s, 1), node, found[0], found[1]))
    return out


@dataclass(frozen=True)
class MemoryTrend:
    node: str
    pid: int
    samples: int
    span_s: float  # from its first sample to its last
    first_kib: int
    last_kib: int
    max_kib: int
    slope_kib_per_h: float  # over the series' second half (after its warm-up)


def _slope(points: Sequence[tuple[float, int]]) -> float:
    """Least squares slope of (seconds, KiB), in KiB per hour; 0 for fewer than 2 points or no
    time between them."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    cov = sum((t - mx) * (v - my) for t, v in points)
    return cov / var * 3600.0


def trends(samples: Sequence[MemorySample]) -> tuple[MemoryTrend, ...]:
    """A trend per vigild process with at least MIN_SAMPLES samples, longest first."""
    series: dict[tuple[str, int], list[MemorySample]] = {}
    for s in samples:
        series.setdefault((s.node, s.pid), []).append(s)
    out = []
    for (node, pid), got in series.items():
        if len(got) < MIN_SAMPLES:
            continue
        got.sort(key=lambda s: s.at_s)
        late = got[len(got) // 2:]
        out.append(MemoryTrend(node, pid, len(got), round(got[-1].at_s - got[0].at_s, 1),
                               got[0].rss_kib, got[-1].rss_kib, max(s.rss_kib for s in got),
                               round(_slope([(s.at_s, s.rss_kib) for s in late]), 1)))
    return tuple(sorted(out, key=lambda t: -t.span_s))


@dataclass(frozen=True)
class MemoryWindow:
    """Every vigild's resident memory within one stretch of the run (processes restarted by the
    scenarios included): a baseline that rises from one window to the next is a leak that
    outlives a process (in the replicated state, the CIB, the status), which a single process's
    trend cannot show."""

    start_s: float
    samples: int
    min_kib: int
    max_kib: int


def windows(samples: Sequence[MemorySample], width_s: float = 900.0) -> tuple[MemoryWindow, ...]:
    by: dict[int, list[int]] = {}
    for s in samples:
        by.setdefault(int(s.at_s // width_s), []).append(s.rss_kib)
    return tuple(MemoryWindow(k * width_s, len(v), min(v), max(v)) for k, v in sorted(by.items()))
