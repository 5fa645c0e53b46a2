#!/usr/bin/env python3
"""Idle CPU and memory of vigild (and Corosync) per node, with the web group running.

Usage (root; after `bash scripts/install.sh`):
  python3 bench/overhead.py [--seconds 60] [--token MS] [--json] [--name overhead]

Brings up a 3-node lab with fencing and the seeds' web group (the reference Pacemaker lab's
service: VIP with a 5 s monitor, web server with a 1 s monitor, fence device with a 60 s
monitor), waits until it runs, then samples /proc over --seconds:
  cpu_pct           (utime + stime) delta / wall time of the daemon itself (100 % = one core)
  children_cpu_pct  (cutime + cstime) delta: the resource and fence agents it ran and reaped
  rss_mib, pss_mib  VmRSS, and Pss from smaps_rollup (shared pages split) at the end
The reference (../shared/reference/pacemaker-lab/results/*-overhead.json): Pacemaker's seven
daemons together use 0.2-0.4 % CPU (+0 to 1.6 % for agents) and 100-117 MiB RSS (34-50 MiB PSS)
per node; Corosync 0.7-1.4 % and about 100 MiB. ARCHITECTURE's target for vigild: under 1 % CPU
and 80 MiB RSS. The lab is torn down at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass

from vigil.lab.demo import URL, create_service, requirements, resource_nodes
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.probe_http import http_ok

HZ = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Row:
    node: str
    daemon: str
    pid: int
    cpu_pct: float
    children_cpu_pct: float
    rss_mib: float
    pss_mib: float


def ticks(pid: int) -> tuple[int, int]:
    """(own, reaped children's) CPU ticks of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def memory_mib(pid: int) -> tuple[float, float]:
    rss = pss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss / 1024, pss / 1024


def daemon_of(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return None
    if os.path.basename(argv[0].decode()) == "corosync":
        return "corosync"
    if b"vigil.daemon" in argv:
        return "vigild"
    return None


def daemons(lab: Lab) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for node in lab.topology.node_names():
        for pid in lab.pids(node):
            name = daemon_of(pid)
            if name is not None:
                found[(node, name)] = pid
    return found


def measure(lab: Lab, seconds: float) -> list[Row]:
    procs = daemons(lab)
    t0 = time.monotonic()
    start = {k: ticks(p) for k, p in procs.items()}
    time.sleep(seconds)
    wall = time.monotonic() - t0
    rows = []
    for (node, name), pid in sorted(procs.items()):
        own, children = ticks(pid)
        rss, pss = memory_mib(pid)
        rows.append(Row(node, name, pid,
                        round(100 * (own - start[(node, name)][0]) / HZ / wall, 3),
                        round(100 * (children - start[(node, name)][1]) / HZ / wall, 3),
                        round(rss, 1), round(pss, 1)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--token", type=int, default=None, metavar="MS",
                    help="Corosync token in ms (default: Corosync's own default)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--name", default="overhead", help="the lab's name (default: overhead)")
    args = ap.parse_args(argv)
    if args.seconds <= 0:
        ap.error("--seconds must be positive")
    problem = requirements()
    if problem:
        print(f"overhead: {problem}", file=sys.stderr)
        return 2
    lab = None
    try:
        lab = Lab.up(nodes=3, token_ms=args.token, name=args.name, timeout=90)
        first = lab.topology.node_names()[0]
        create_service(lab, first)
        lab.wait_for(lambda: http_ok(lab, URL), 60, interval=0.5, what="the page answers")
        where = ",".join(resource_nodes(lab, "WebSite"))
        time.sleep(5.0)  # let the start-up work finish: idle means idle
        load1 = os.getloadavg()[0]
        rows = measure(lab, args.seconds)
    except LabError as err:
        print(f"overhead: {err}", file=sys.stderr)
        return 1
    finally:
        if lab is not None:
            Lab.down_by_name(args.name, graceful=False)
    vigild = [r for r in rows if r.daemon == "vigild"]
    summary = {
        "seconds": args.seconds, "token_ms": args.token, "service_on": where,
        "load1": round(load1, 2),
        "vigild_max_cpu_pct": max(r.cpu_pct for r in vigild),
        "vigild_max_children_cpu_pct": max(r.children_cpu_pct for r in vigild),
        "vigild_max_rss_mib": max(r.rss_mib for r in vigild),
        "vigild_max_pss_mib": max(r.pss_mib for r in vigild),
    }
    if args.json:
        for r in rows:
            print(json.dumps(asdict(r)))
        print(json.dumps(summary))
    else:
        print(f"idle for {args.seconds:g} s, web group on {where}, load1 {load1:.2f}")
        print(f"{'node':<5} {'daemon':<9} {'cpu %':>7} {'agents %':>9} {'RSS MiB':>8} {'PSS MiB':>8}")
        for r in rows:
            print(f"{r.node:<5} {r.daemon:<9} {r.cpu_pct:>7.2f} {r.children_cpu_pct:>9.2f} "
                  f"{r.rss_mib:>8.1f} {r.pss_mib:>8.1f}")
        print(f"vigild worst node: {summary['vigild_max_cpu_pct']:.2f} % CPU "
              f"(+{summary['vigild_max_children_cpu_pct']:.2f} % agents), "
              f"{summary['vigild_max_rss_mib']:.1f} MiB RSS, {summary['vigild_max_pss_mib']:.1f} MiB PSS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
