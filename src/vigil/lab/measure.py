"""What a failover cost, from the client's probes and vigild's events (pure: no I/O).

    downtime = client_downtime(samples, t_fault)       # the outage around the fault
    timeline = failover_phases(events, t_fault, victim="n2", resource="WebSite")

The client's downtime is measured as the reference Pacemaker lab measures it: from the send time
of the last good probe before the first failure to the send time of the first good probe after
the last failure, over the probes sent from one second before the fault on. Phases are seconds
after the fault at which the cluster's events show each step; `vigil_work_s` is the time from
the event that set vigil to work (the membership change for a lost node, the failed monitor for a
killed process, the configuration change for a move) to the successful start of `resource`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from vigil.lab.probe_http import Sample

WINDOW_BEFORE_S = 1.0

Event = Mapping[str, object]


@dataclass(frozen=True)
class Downtime:
    seconds: float  # 0.0 when no probe failed
    failed_probes: int
    probes: int
    first_failure_s: float | None  # after the fault
    back_s: float | None  # fault -> first good probe after the last failure
    still_down: bool  # no good probe after the last failure


def client_downtime(samples: Sequence[Sample], t_fault: float) -> Downtime:
    ordered = sorted(samples, key=lambda s: s.ts)
    window = [s for s in ordered if s.ts >= t_fault - WINDOW_BEFORE_S]
    fails = [s for s in window if not s.ok]
    if not fails:
        return Downtime(0.0, 0, len(window), None, None, False)
    first_fail, last_fail = fails[0].ts, fails[-1].ts
    last_ok = max((s.ts for s in ordered if s.ok and s.ts < first_fail), default=None)
    first_ok = min((s.ts for s in ordered if s.ok and s.ts > last_fail), default=None)
    if first_ok is None:
        end = ordered[-1].ts
        start = last_ok if last_ok is not None else first_fail
        return Downtime(round(end - start, 3), len(fails), len(window),
                        round(first_fail - t_fault, 3), None, True)
    start = last_ok if last_ok is not None else first_fail
    return Downtime(round(first_ok - start, 3), len(fails), len(window),
                    round(first_fail - t_fault, 3), round(first_ok - t_fault, 3), False)


@dataclass(frozen=True)
class Phase:
    name: str
    after_fault_s: float


@dataclass(frozen=True)
class Timeline:
    phases: tuple[Phase, ...]  # in time order
    trigger: str | None  # the phase vigil's work is counted from
    vigil_work_s: float | None  # trigger -> resource started

    def at(self, name: str) -> float | None:
        return next((p.after_fault_s for p in self.phases if p.name == name), None)


def _first(events: Sequence[tuple[float, Event]], since: float, match: Mapping[str, object],
           also: Callable[[Event], bool] | None = None) -> float | None:
    """The time of the first event at or after `since` with the fields of `match`."""
    for ts, ev in events:
        if ts >= since and all(ev.get(k) == v for k, v in match.items()) and (
                also is None or also(ev)):
            return ts
    return None


def failover_phases(events: Iterable[Event], t_fault: float, *, resource: str,
                    victim: str | None = None, moved: bool = False) -> Timeline:
    """The steps of one failover in `events` (every node's, any order) after `t_fault`.

    victim: the node that was lost (its membership change is the trigger); moved: the fault was
    an operator's move (the configuration change is the trigger); otherwise a failed monitor of
    `resource` is."""
    evs = sorted(((float(ts), e) for e in events if isinstance(ts := e.get("ts"), int | float)),
                 key=lambda te: te[0])
    found: dict[str, float | None] = {}
    if victim is not None:
        trigger = "membership"
        found[trigger] = _first(evs, t_fault, {"event": "membership"},
                                lambda e: victim in (e.get("left") or ()))  # type: ignore[operator]
        found["fencing requested"] = _first(evs, t_fault, {"event": "fencing-requested",
                                                           "target": victim})
        found["fenced"] = _first(evs, t_fault, {"event": "fencing", "target": victim, "ok": True})
    elif moved:
        trigger = "configuration changed"
        found[trigger] = _first(evs, t_fault, {"event": "config"})
    else:
        trigger = "failure detected"
        found[trigger] = _first(evs, t_fault, {"event": "action", "resource": resource,
                                               "task": "monitor", "failed": True})
    t_trigger = found[trigger]
    since = t_trigger if t_trigger is not None else t_fault
    found["transition started"] = _first(evs, since, {"event": "transition-start"})
    started = f"{resource} started"
    found[started] = _first(evs, since, {"event": "action", "resource": resource,
                                         "task": "start", "failed": False})
    phases = tuple(sorted((Phase(k, round(v - t_fault, 3)) for k, v in found.items()
                           if v is not None), key=lambda p: p.after_fault_s))
    t_started = found[started]
    work = None
    if t_trigger is not None and t_started is not None:
        work = round(t_started - t_trigger, 3)
    return Timeline(phases, trigger if t_trigger is not None else None, work)


__all__ = ["Downtime", "Phase", "Timeline", "client_downtime", "failover_phases"]


# -- Corosync's own view of a failover: link flaps and memberships -------------------------------
_LINK_DOWN = re.compile(r"host: (\d+) link: (\d+) is down")
_NEW_MEMBERSHIP = "A new membership ("


@dataclass(frozen=True)
class Churn:
    """What the survivors' corosync.log said after a fault: `peer_link_downs` counts the knet
    links to another survivor that went down (a lost node's links going down is expected);
    `memberships` is the most new memberships one survivor formed (1 for a lost node: more means
    the survivors lost each other too)."""

    peer_link_downs: int
    memberships: int
    lines: tuple[str, ...]  # the peer link-down lines, for the post-mortem


def corosync_churn(logs: Mapping[int, str], lost: Iterable[int] = ()) -> Churn:
    """`logs`: each survivor's corosync.log text written since the fault, by node id; `lost`:
    node ids whose links are expected to go down."""
    expected = set(lost)
    downs: list[str] = []
    most = 0
    for nodeid, text in sorted(logs.items()):
        count = 0
        for line in text.splitlines():
            m = _LINK_DOWN.search(line)
            if m and int(m.group(1)) not in expected and int(m.group(1)) != nodeid:
                downs.append(line.strip())
            if _NEW_MEMBERSHIP in line:
                count += 1
        most = max(most, count)
    return Churn(peer_link_downs=len(downs), memberships=most, lines=tuple(downs))
