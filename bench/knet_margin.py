#!/usr/bin/env python3
"""How long one node's Corosync may stall before a peer's knet declares its links down.

Usage (root; after `bash scripts/install.sh`):
  python3 bench/knet_margin.py [--timers lab|corosync] [--token MS] [--pauses 100,200,300,400]
                               [--trials 12] [--name margin] [--seed 7]

A 3-node lab without vigild. For each pause, `--trials` times at a random moment: n3's corosync
is stopped (SIGSTOP) for the pause, then continued (SIGCONT); a trial counts when n2's
corosync.log says "host: 3 link: K is down" within a second. After such a trial it waits 12 s:
knet multiplies a link's pong timeout by up to 10 after the link went down, decaying by one each
second.

--timers lab: the lab's knet_ping_interval / knet_ping_timeout (vigil.lab.topology.knet_ping_ms);
--timers corosync: Corosync's own, derived from the token (the interface sections are removed
from every node's corosync.conf and the nodes power-cycled before the trials).

Such stalls are what the lab's nodes see when they share two busy CPUs; the pauses here are the
measuring instrument of this script, not something the lab does. One JSON line per pause, then
a summary line; the lab is torn down at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sys
import time
from pathlib import Path

from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

BACKOFF_DECAY_S = 12.0
LINK_DOWN = re.compile(r"host: 3 link: \d+ is down")
INTERFACE = re.compile(r"\tinterface \{\n(?:\t\t[^\n]*\n)*\t\}\n")


def corosync_pid(lab: Lab, node: str) -> int:
    for pid in lab.pids(node):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "corosync":
                return pid
        except OSError:
            continue
    raise LabError(f"no corosync in {node}")


def use_corosync_timers(lab: Lab) -> None:
    names = list(lab.topology.node_names())
    for n in names:
        conf = lab.node_dir(n) / "etc/corosync/corosync.conf"
        conf.write_text(INTERFACE.sub("", conf.read_text()))
    for n in names:
        lab.power_off(n)
    for n in names:
        lab.power_on(n)
    lab.wait_members(names, timeout=60)


def trial(lab: Lab, log: Path, pause_s: float) -> bool:
    pid = corosync_pid(lab, "n3")
    size = log.stat().st_size
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(pause_s)
    finally:
        os.kill(pid, signal.SIGCONT)
    time.sleep(1.0)
    with open(log, "rb") as f:
        f.seek(size)
        return bool(LINK_DOWN.search(f.read().decode(errors="replace")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timers", choices=("lab", "corosync"), default="lab")
    ap.add_argument("--token", type=int, default=1000, metavar="MS")
    ap.add_argument("--pauses", default="100,200,300,400", help="stalls in ms, comma-separated")
    ap.add_argument("--trials", type=int, default=12)
    ap.add_argument("--name", default="margin", help="the lab's name (default: margin)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    try:
        pauses = [int(p) for p in args.pauses.split(",")]
    except ValueError:
        ap.error(f"--pauses takes milliseconds separated by commas, not {args.pauses!r}")
    if args.trials < 1 or args.token <= 0 or any(p <= 0 for p in pauses):
        ap.error("--trials, --token and every pause must be positive")
    if os.geteuid() != 0:
        print("knet_margin: the lab needs root", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    lab = None
    summary: dict[str, object] = {"timers": args.timers, "token_ms": args.token, "trials": args.trials}
    try:
        lab = Lab.up(nodes=3, token_ms=args.token, name=args.name, daemon_argv=["sleep", "infinity"],
                     timeout=60)
        if args.timers == "corosync":
            use_corosync_timers(lab)
        conf = (lab.node_dir("n2") / "etc/corosync/corosync.conf").read_text()
        summary["knet_ping"] = re.findall(r"knet_ping_(?:interval|timeout): \d+", conf)[:2] or "derived"
        time.sleep(BACKOFF_DECAY_S)
        log = lab.node_dir("n2") / "var/log/corosync/corosync.log"
        downs: dict[int, int] = {}
        for pause in pauses:
            downs[pause] = 0
            for _ in range(args.trials):
                time.sleep(rng.uniform(0.5, 1.0))  # a random phase against knet's 200 ms ticks
                if trial(lab, log, pause / 1000):
                    downs[pause] += 1
                    time.sleep(BACKOFF_DECAY_S)
            print(json.dumps({"timers": args.timers, "pause_ms": pause, "trials": args.trials,
                              "link_down_trials": downs[pause]}), flush=True)
        summary["link_down_trials"] = downs
    except LabError as err:
        print(f"knet_margin: {err}", file=sys.stderr)
        return 1
    finally:
        if lab is not None:
            Lab.down_by_name(args.name, graceful=False)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
