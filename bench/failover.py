#!/usr/bin/env python3
"""Client-observed failover of the seeds' web service in the lab, scenario by scenario.

Usage (root; after `bash scripts/install.sh`):
  python3 bench/failover.py --scenario webkill|hardkill|hardkill-dc|move [--runs 5]
                            [--token MS] [--json] [--name bench] [--seed N]

The same scenarios, service and probe as the reference Pacemaker lab
(../shared/reference/pacemaker-lab: bench.py), on a 3-node vigil lab with fencing through the
lab's power switch:
  webkill      SIGKILL of the web server process where it runs (1 s monitor), from the host
  hardkill     power cut of the node running the service, which is first placed on a non-DC node
  hardkill-dc  the same with the service placed on the DC (adds the loss of the DC)
  move         graceful move of the group to the next node (`vigil resource move web NODE`)
Without --token Corosync keeps its default token (3000 ms + 650 ms per node above two, as the
reference's "default" profile); --token 1000 is the reference's "tuned" profile.

An HTTP GET goes from the client namespace to the VIP every 50 ms (0.8 s timeout); the fault
comes 2 to 3 s (uniformly random, --seed) after the probe first sees the page, so that it falls
anywhere in the monitors' period. Downtime =
first good probe after the last failure - last good probe before the first failure. The phases
(membership change, fencing, start of WebSite) are read from every node's vigild events; "vigil
work" is the time from the event that set vigil to work (membership change, failed monitor,
configuration change) to WebSite's successful start. Between runs the lab is made healthy again
(nodes powered on, fail-counts cleaned up). Each run prints one line (--json: one JSON object);
the last line is the summary: {"scenario", "runs", "min_s", "median_s", "max_s",
"after_membership_median_s", ...}. The lab is torn down at the end, whatever happens.

Each run also reads what the survivors' Corosync logged after the fault: `peer_link_downs`, the
knet links between survivors that went down (only the lost node's should), and `memberships`,
the most new memberships one survivor formed (1 when a node is lost; 2 means the survivors lost
each other for a moment too). When a run fails (the service not back, or an error), the nodes'
logs (corosync.log, vigild's events and daemon.stdio, init.log, the power switch's log) are
copied before the teardown into --logs-dir/<time>-<scenario>-run<N>/, named in the output.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vigil.lab.demo import (
    GROUP,
    URL,
    cluster_status,
    create_service,
    powered_on_nodes,
    read_events,
    requirements,
    resource_nodes,
    vigil_ok,
    wait_tolerant,
)
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.measure import client_downtime, corosync_churn, failover_phases
from vigil.lab.probe_http import HttpProbe, http_ok

SCENARIOS = ("webkill", "hardkill", "hardkill-dc", "move")
RESOURCE = "WebSite"
PROBE_INTERVAL_S = 0.05
PROBE_TIMEOUT_S = 0.8  # the reference lab's probe timeout
STABLE_S = 2.0  # good probes needed after the last failure before a run ends
RUN_TIMEOUT_S = 120.0
LOGS_DIR = "/var/tmp/vigil-bench"  # outside the checkout: post-mortems are not results
COROSYNC_LOG = "var/log/corosync/corosync.log"
# Medians of the reference Pacemaker 2.1.5 lab (../shared/reference/pacemaker-lab/results),
# (default token, token 1000), seconds of client-observed downtime.
PACEMAKER_MEDIANS = {"webkill": (1.25, 1.20), "hardkill": (8.75, 2.80),
                     "hardkill-dc": (9.75, 3.85), "move": (0.65, 0.70)}


@dataclass(frozen=True)
class RunResult:
    scenario: str
    run: int
    token_ms: int | None
    downtime_s: float | None  # None: the service did not come back within RUN_TIMEOUT_S
    failed_probes: int
    probes: int
    fault_to_ok_s: float | None
    victim: str  # the node that lost the service (or ran it, for webkill)
    dc_before: str
    served_after: str
    vigil_work_s: float | None  # trigger -> WebSite started
    trigger: str | None
    phases: dict[str, float]
    load1: float
    peer_link_downs: int = 0  # knet links between survivors that went down after the fault
    memberships: int = 0  # the most new memberships one survivor formed after the fault
    link_down_lines: list[str] = field(default_factory=list)


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} failover: {msg}", file=sys.stderr, flush=True)


def where(lab: Lab) -> str | None:
    nodes = resource_nodes(lab, RESOURCE)
    return nodes[0] if len(nodes) == 1 else None


def dc_of(lab: Lab) -> str:
    dc = cluster_status(lab, powered_on_nodes(lab)[0])["dc"]
    if not isinstance(dc, str):
        raise LabError("no DC")
    return dc


def healthy(lab: Lab) -> None:
    """Every node on and a member, fail-counts cleaned up, the service up on one node."""
    names = lab.topology.node_names()
    for n in names:
        lab.power_on(n)
    lab.wait_members(names, timeout=90)
    wait_tolerant(lab, "every vigild answers",
                  lambda: all(cluster_status(lab, n)["dc"] for n in names), 60)
    vigil_ok(lab, names[0], ["resource", "cleanup"])
    wait_tolerant(lab, "the service runs on one node", lambda: where(lab), 60)
    wait_tolerant(lab, "the page answers", lambda: http_ok(lab, URL), 60)
    time.sleep(1.0)


def move_group(lab: Lab, target: str, via: str) -> None:
    vigil_ok(lab, via, ["resource", "move", GROUP, target])


def place(lab: Lab, on_dc: bool) -> None:
    """hardkill variants: put the service on (or off) the DC, then drop the move constraint."""
    dc, active = dc_of(lab), where(lab)
    if (active == dc) == on_dc:
        return
    target = dc if on_dc else next(n for n in lab.topology.node_names() if n != dc)
    log(f"placing {GROUP} on {target} (DC {dc})")
    move_group(lab, target, target)
    wait_tolerant(lab, f"{GROUP} runs on {target}", lambda: where(lab) == target, 60)
    vigil_ok(lab, target, ["resource", "clear", GROUP])
    wait_tolerant(lab, "the page answers", lambda: http_ok(lab, URL), 30)
    time.sleep(1.0)


def web_server_pid(lab: Lab, node: str) -> int:
    """The host PID of the web server on `node`, found before the fault so that the kill itself
    is instantaneous (a lookup at fault time would count as downtime)."""
    for pid in lab.pids(node):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"http.server" in argv and b"80" in argv:
            return pid
    raise LabError(f"no web server process on {node}")


def log_sizes(lab: Lab) -> dict[str, int]:
    """How long each node's corosync.log is now: what is written after is the run's."""
    sizes = {}
    for n in lab.topology.node_names():
        try:
            sizes[n] = (lab.node_dir(n) / COROSYNC_LOG).stat().st_size
        except OSError:
            sizes[n] = 0
    return sizes


def logged_since(lab: Lab, sizes: dict[str, int], nodes: list[str]) -> dict[int, str]:
    """Each node's corosync.log written since `sizes`, by node id."""
    out = {}
    for n in nodes:
        try:
            with open(lab.node_dir(n) / COROSYNC_LOG, "rb") as f:
                f.seek(sizes.get(n, 0))
                out[lab.topology.host(n).nodeid] = f.read().decode(errors="replace")
        except OSError:
            continue
    return out


def keep_logs(lab: Lab, logs_dir: Path, label: str) -> Path | None:
    """Copy every node's logs and the power switch's into logs_dir/<time>-<label>/; the path, or
    None when nothing could be copied (said on stderr)."""
    dest = logs_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{label}"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for n in lab.topology.node_names():
            d = lab.node_dir(n)
            for rel in ("var/log/corosync", "var/log/vigil"):
                if (d / rel).is_dir():
                    shutil.copytree(d / rel, dest / n / rel, dirs_exist_ok=True)
            for rel in ("init.log", "etc/corosync/corosync.conf"):
                if (d / rel).is_file():
                    (dest / n / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(d / rel, dest / n / rel)
        power_log = lab.node_dir(lab.topology.node_names()[0]).parent / "power.log"
        if power_log.is_file():
            shutil.copy2(power_log, dest / "power.log")
    except (OSError, LabError) as exc:
        log(f"could not keep the logs in {dest}: {exc}")
        return None
    return dest


def recovered(probe: HttpProbe, t_fault: float, expect_failure: bool) -> bool:
    samples = [s for s in probe.snapshot() if s.ts >= t_fault - 1.0]
    fails = [s for s in samples if not s.ok]
    if not fails and expect_failure and time.time() - t_fault < 10:
        return False
    if not fails and time.time() - t_fault < STABLE_S + 1:
        return False
    last_fail = fails[-1].ts if fails else t_fault
    good = [s.ts for s in samples if s.ok and s.ts > last_fail]
    return bool(good) and good[-1] - good[0] >= STABLE_S


def one_run(lab: Lab, scenario: str, run: int, token_ms: int | None,
            rng: random.Random) -> RunResult:
    healthy(lab)
    if scenario.startswith("hardkill"):
        place(lab, on_dc=scenario == "hardkill-dc")
    active = where(lab)
    dc = dc_of(lab)
    if active is None:
        raise LabError("the service is not running on exactly one node")
    names = lab.topology.node_names()
    web_pid = web_server_pid(lab, active) if scenario == "webkill" else 0
    probe = HttpProbe(lab, URL, interval=PROBE_INTERVAL_S, timeout=PROBE_TIMEOUT_S).start()
    victim = None
    sizes: dict[str, int] = {}
    try:
        wait_tolerant(lab, "the probe sees the page",
                      lambda: probe.good_since(time.time() - 1), 10, 0.05)
        # A random wait, so that the fault falls anywhere in the monitors' period: the steps
        # before it take a nearly fixed time after the cleanup that restarted the monitors,
        # which would otherwise put every kill just before the next monitor run.
        time.sleep(2.0 + rng.uniform(0.0, 1.0))
        load1 = os.getloadavg()[0]
        sizes = log_sizes(lab)
        t_fault = time.time()
        if scenario == "webkill":
            os.kill(web_pid, signal.SIGKILL)
        elif scenario.startswith("hardkill"):
            victim = active
            lab.power_off(active)
        else:
            target = names[(names.index(active) + 1) % len(names)]
            move_group(lab, target, target)
        try:
            wait_tolerant(lab, "the service is back",
                          lambda: recovered(probe, t_fault, scenario != "move"), RUN_TIMEOUT_S, 0.1)
        except LabError:
            log(f"run {run}: the service did not come back within {RUN_TIMEOUT_S:.0f} s")
    finally:
        probe.stop()
    samples = probe.snapshot()
    down = client_downtime(samples, t_fault)
    events = [ev for n in names for ev in read_events(lab, n)]
    timeline = failover_phases(events, t_fault, resource=RESOURCE, victim=victim,
                               moved=scenario == "move")
    survivors = powered_on_nodes(lab)
    lost = [lab.topology.host(victim).nodeid] if victim else []
    churn = corosync_churn(logged_since(lab, sizes, [n for n in names if n != victim]), lost)
    served_after = ""
    with contextlib.suppress(LabError):
        served_after = where(lab) or ""
    if scenario == "move" and survivors:
        vigil_ok(lab, survivors[0], ["resource", "clear", GROUP])
    return RunResult(
        scenario=scenario, run=run, token_ms=token_ms,
        downtime_s=None if down.still_down else down.seconds,
        failed_probes=down.failed_probes, probes=down.probes, fault_to_ok_s=down.back_s,
        victim=active, dc_before=dc, served_after=served_after,
        vigil_work_s=timeline.vigil_work_s, trigger=timeline.trigger,
        phases={p.name: p.after_fault_s for p in timeline.phases}, load1=round(load1, 2),
        peer_link_downs=churn.peer_link_downs, memberships=churn.memberships,
        link_down_lines=list(churn.lines))


def describe(r: RunResult) -> str:
    down = f"{r.downtime_s:.2f} s" if r.downtime_s is not None else "NOT BACK"
    phases = ", ".join(f"{k} +{v:.2f}" for k, v in r.phases.items())
    work = f"{r.vigil_work_s:.2f} s" if r.vigil_work_s is not None else "?"
    return (f"run {r.run}: downtime {down} ({r.failed_probes}/{r.probes} probes failed), "
            f"{r.victim} -> {r.served_after or '?'} (DC {r.dc_before}); {phases}; "
            f"vigil work after {r.trigger or '?'}: {work}; load {r.load1:.2f}; corosync: "
            f"{r.memberships} membership(s), {r.peer_link_downs} survivor link(s) down")


def summary(scenario: str, token_ms: int | None, results: list[RunResult]) -> dict[str, Any]:
    downs = [r.downtime_s for r in results if r.downtime_s is not None]
    works = [r.vigil_work_s for r in results if r.vigil_work_s is not None]
    pm_default, pm_tuned = PACEMAKER_MEDIANS[scenario]
    pacemaker = pm_tuned if token_ms == 1000 else pm_default if token_ms is None else None
    return {
        "scenario": scenario, "runs": len(results), "token_ms": token_ms,
        "recovered": len(downs),
        "min_s": min(downs) if downs else None,
        "median_s": round(statistics.median(downs), 3) if downs else None,
        "max_s": max(downs) if downs else None,
        "after_membership_median_s": (round(statistics.median(works), 3)
                                      if works and scenario.startswith("hardkill") else None),
        "vigil_work_median_s": round(statistics.median(works), 3) if works else None,
        "pacemaker_median_s": pacemaker,
        "load1_median": round(statistics.median(r.load1 for r in results), 2) if results else None,
        "runs_with_peer_link_down": sum(1 for r in results if r.peer_link_downs),
        "runs_with_extra_membership": sum(1 for r in results
                                          if r.memberships > (1 if scenario.startswith("hardkill") else 0)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", required=True, choices=SCENARIOS)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--token", type=int, default=None, metavar="MS",
                    help="Corosync token in ms (default: Corosync's own default)")
    ap.add_argument("--json", action="store_true", help="one JSON object per run, then the summary")
    ap.add_argument("--name", default="bench", help="the lab's name (default: bench)")
    ap.add_argument("--seed", type=int, default=1,
                    help="seed of the random wait before each fault (default: 1)")
    ap.add_argument("--logs-dir", default=LOGS_DIR, type=Path,
                    help="where a failed run's logs are kept (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.token is not None and args.token <= 0:
        ap.error("--token must be a positive number of milliseconds")
    problem = requirements()
    if problem:
        print(f"failover: {problem}", file=sys.stderr)
        return 2
    token_label = f"token {args.token} ms" if args.token else "Corosync's default token"
    log(f"{args.scenario}: {args.runs} runs, {token_label}; bringing lab {args.name!r} up")
    results: list[RunResult] = []
    rng = random.Random(args.seed)
    lab = None
    run = 0
    try:
        lab = Lab.up(nodes=3, token_ms=args.token, name=args.name, timeout=90)
        create_service(lab, lab.topology.node_names()[0])
        for run in range(1, args.runs + 1):
            r = one_run(lab, args.scenario, run, args.token, rng)
            results.append(r)
            print(json.dumps(asdict(r)) if args.json else describe(r), flush=True)
            if r.downtime_s is None:
                kept = keep_logs(lab, args.logs_dir, f"{args.scenario}-run{run}")
                if kept:
                    log(f"run {run} did not recover: its logs are in {kept}")
    except LabError as err:
        print(f"failover: {err}", file=sys.stderr)
        if lab is not None:
            kept = keep_logs(lab, args.logs_dir, f"{args.scenario}-run{run}-error")
            if kept:
                log(f"run {run} failed: the logs are in {kept}")
        return 1
    finally:
        if lab is not None:
            log(f"tearing lab {args.name!r} down")
            Lab.down_by_name(args.name, graceful=False)
    s = summary(args.scenario, args.token, results)
    if args.json:
        print(json.dumps(s))
    else:
        pm = s["pacemaker_median_s"]
        print(f"{args.scenario} ({token_label}, {s['runs']} runs, {s['recovered']} recovered): "
              f"downtime min {s['min_s']} / median {s['median_s']} / max {s['max_s']} s"
              + (f" (Pacemaker 2.1.5 median {pm} s)" if pm is not None else "")
              + f"; vigil work median {s['vigil_work_median_s']} s; load1 {s['load1_median']}")
    return 0 if s["recovered"] == s["runs"] else 1


if __name__ == "__main__":
    sys.exit(main())
