#!/usr/bin/env python3
"""Faults of a replicated PostgreSQL's primary, seen from a client that commits numbered rows.

Usage (root; after `bash scripts/install.sh`):
  python3 bench/database_failover.py --stack vigil|pacemaker|patroni
        --fault powercut|kill|switchover [--runs 10] [--token MS] [--json] [--seed N]

The lab: 3 nodes in namespaces, Debian's PostgreSQL 15 on each (one primary, two streaming
standbys, synchronous replication: a commit is acknowledged once a standby has flushed it), a
write address the client commits through. A client in the client namespace (vigil.lab.sql_client,
psycopg) inserts row 1, 2, 3, ... one at a time and records each acknowledged commit. Faults:
  powercut    the primary's node loses its power (switch port down, every process killed); it is
              powered on again once a standby took over
  kill        SIGKILL of the primary's postmaster (its backends follow); the node stays up
  switchover  a planned switchover to the next node (`vigil resource move PG NODE --promoted`,
              then `resource clear`)
The fault comes 1 s plus a uniformly random share (--seed) of the primary's 5 s monitor
period after the client's first 20 commits. Per run:
the client's longest time without a commit after the fault (write downtime), the acknowledged
commits missing on the primary afterwards (lost: 0 is the promise of synchronous replication),
and whether the old primary streams again (from the new primary, or is the primary again after
a kill recovered in place) without operator action, and how long after its power came back
(powercut) or after the fault. Between runs the lab is made healthy (nodes powered on, fail-counts
cleaned up, one primary and two streaming standbys).

Stacks: `vigil` (vigild with ocf:vigil:pgsqlms, PAF's agent plus the old primary's rejoin, and
the write VIP: vigil.lab.demo_postgres's resources). `pacemaker` (Pacemaker 2.1.5 + PAF, as
../shared/reference/pacemaker-lab runs it) and `patroni` (Patroni 3.0.2 + etcd 3.4 in the same
namespace lab: bench/db_patroni.py, vigil.lab.patroni; synchronous_mode, use_pg_rewind, the client
on every node's address with target_session_attrs=read-write; Patroni's default ttl/loop_wait/
retry_timeout 30/10/10, or 10/2/4 with --token 1000) are the anchors. In the pacemaker stack the
old primary of a power cut is rebuilt the way PAF's documentation tells the operator to (a fresh
base backup, then `crm resource cleanup`) and counted as not rejoined by itself.

Each run prints one line (--json: one JSON object); the last line is the summary (--json: a
JSON object with stack, fault, runs, token_ms, median_downtime_s, min/max, lost_commits (the sum
over the runs), rejoined (runs in which the old primary streamed again by itself), load1). The
lab is torn down at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import signal
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from vigil.lab import pacemaker, power
from vigil.lab import postgres as pg
from vigil.lab.demo import cluster_status, powered_on_nodes, vigil_ok, wait_tolerant
from vigil.lab.demo_postgres import (
    CLONE,
    RSC,
    VIP_RSC,
    WRITE_VIP,
    create_postgres_resources,
    postgres_commands,
    promoted_node,
    requirements,
    rows_on,
    settled_primary,
    switchover_to,
)
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.sql_client import SqlWriter

STACKS = ("vigil", "pacemaker", "patroni")
FAULTS = ("powercut", "kill", "switchover")
SETTLE_TIMEOUT_S = 180.0
FAILOVER_TIMEOUT_S = 120.0
REJOIN_TIMEOUT_S = 120.0
STABLE_S = 2.0  # commits needed after the last failed one before a run's downtime is final
DSN = f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}"


@dataclass(frozen=True)
class RunResult:
    stack: str
    fault: str
    run: int
    token_ms: int | None
    downtime_s: float | None  # None: commits did not resume within FAILOVER_TIMEOUT_S
    acked: int
    lost: int  # acknowledged, missing on the primary afterwards
    in_doubt: int  # writes that failed: never acknowledged, never promised
    old_primary: str
    new_primary: str
    rejoined: bool  # the old primary streams again (or is the primary again) by itself
    rejoin_s: float | None  # after its power came back (powercut) or after the fault
    load1: float


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} database_failover: {msg}", file=sys.stderr, flush=True)


class Stack(Protocol):
    """What a run needs of a stack under test: the same lab (vigil.lab.Lab's namespaces, the
    same PostgreSQL set up by vigil.lab.postgres), a different manager."""

    stack: str  # its name in the results: vigil, pacemaker, patroni

    def up(self) -> None: ...
    def down(self) -> None: ...
    def healthy(self) -> str: ...
    def writer(self, primary: str) -> SqlWriter: ...
    def fault(self, kind: str, primary: str) -> str: ...
    def primary_now(self, old: str) -> str | None: ...
    def rows(self, node: str) -> set[int]: ...
    def after(self, kind: str, old: str, new: str) -> tuple[bool, float | None]: ...
    def postmaster_pid(self, node: str) -> int: ...
    def the_lab(self) -> Lab: ...


class VigilStack:
    """vigild on 3 lab nodes with PAF's pgsqlms (ocf:vigil:pgsqlms) and the write VIP."""

    stack = "vigil"

    def __init__(self, token_ms: int | None, name: str) -> None:
        self.token_ms, self.name = token_ms, name
        self.lab: Lab | None = None

    def up(self) -> None:
        log(f"bringing lab {self.name!r} up (vigil)")
        self.lab = lab = Lab.up(nodes=3, token_ms=self.token_ms, name=self.name, timeout=90)
        first = lab.topology.node_names()[0]
        wait_tolerant(lab, "vigild answers on every node", lambda: all(
            cluster_status(lab, n, timeout=10)["dc"] is not None
            for n in lab.topology.node_names()), timeout=90)
        pg.setup_postgres(lab, primary=first, synchronous=True, upstream=WRITE_VIP)
        create_postgres_resources(lab, first)

    def down(self) -> None:
        if self.lab is not None:
            log(f"tearing lab {self.name!r} down")
            Lab.down_by_name(self.name, graceful=False)
            self.lab = None

    def healthy(self) -> str:
        """Every node powered on and a member, fail-counts cleaned up, one primary with every
        other node streaming from it and the VIP there: its name."""
        lab = self.the_lab()
        names = list(lab.topology.node_names())
        for n in names:
            lab.power_on(n)
        lab.wait_members(names, timeout=90)
        wait_tolerant(lab, "every vigild answers",
                      lambda: all(cluster_status(lab, n)["dc"] for n in names), 90)
        vigil_ok(lab, names[0], ["resource", "cleanup"])
        found: list[str] = []

        def settled() -> bool:
            p = settled_primary(lab, names[0], names)
            if p:
                found.append(p)
            return p is not None

        wait_tolerant(lab, "one primary, the others streaming from it, the VIP there", settled,
                      SETTLE_TIMEOUT_S, 0.5)
        # the cleanup may set the cluster to work again (a re-probe, a promotion score that
        # changed since): settled means the same primary a few seconds later
        while True:
            time.sleep(3.0)
            before = found[-1]
            wait_tolerant(lab, "one primary, the others streaming from it, the VIP there",
                          settled, SETTLE_TIMEOUT_S, 0.5)
            if found[-1] == before:
                return before

    def writer(self, primary: str) -> SqlWriter:
        """The client, numbering its rows after the last one already in the table (each run
        adds to it)."""
        last = pg.psql(self.the_lab(), primary, f"SELECT coalesce(max(id), 0) FROM {pg.APP_TABLE}")
        return SqlWriter(self.the_lab(), DSN, first_id=int(last) + 1).start()

    def fault(self, kind: str, primary: str) -> str:
        """Break `primary` as `kind` says; the node a switchover goes to ("" otherwise)."""
        lab = self.the_lab()
        if kind == "powercut":
            lab.power_off(primary)
        elif kind == "kill":
            os.kill(self.postmaster_pid(primary), signal.SIGKILL)
        else:
            names = list(lab.topology.node_names())
            target = names[(names.index(primary) + 1) % len(names)]
            switchover_to(lab, target, target)
            return target
        return ""

    def primary_now(self, old: str) -> str | None:
        """The promoted node, asked of a powered node (not `old` when another is on)."""
        on = powered_on_nodes(self.the_lab())
        via = next((n for n in on if n != old), on[0] if on else old)
        return promoted_node(self.the_lab(), via)

    def rows(self, node: str) -> set[int]:
        return rows_on(self.the_lab(), node)

    def after(self, kind: str, old: str, new: str) -> tuple[bool, float | None]:
        """Bring the old primary back as the fault allows; (it streams again or is the primary
        again by itself, seconds it took)."""
        lab = self.the_lab()
        t0 = time.time()
        if kind == "powercut":
            lab.power_on(old)
        elif kind == "switchover":
            vigil_ok(lab, new, ["resource", "clear", CLONE])
        names = list(lab.topology.node_names())

        def back() -> bool:
            p = settled_primary(lab, new if new != old else names[0], names)
            return p is not None and (p == old or old in pg.pg_streaming_to(lab, p))

        try:
            wait_tolerant(lab, f"{old} streams again", back, REJOIN_TIMEOUT_S, 1.0)
        except LabError:
            return False, None
        return True, round(time.time() - t0, 1)

    def postmaster_pid(self, node: str) -> int:
        """The host PID of `node`'s postmaster, found before the fault (a lookup at fault time
        would count as downtime)."""
        pid = pg.postmaster_pid(self.the_lab(), node)
        if pid is None:
            raise LabError(f"no postmaster of {pg.PGDATA} runs on {node}")
        return pid

    def the_lab(self) -> Lab:
        if self.lab is None:
            raise LabError("the lab is not up")
        return self.lab


class PacemakerStack(VigilStack):
    """Pacemaker 2.1.5 in the same lab (vigil.lab.pacemaker: pacemakerd in vigild's place, the
    same Corosync and fence device) with PAF's own ocf:heartbeat:pgsqlms and the same write VIP
    and constraints, configured by the same CLI commands (written with `vigil -f`, pushed with
    cibadmin). PAF does not rejoin an old primary; between runs this stack does what the
    operator would: a base backup of the primary on that node, then a cleanup."""

    stack = "pacemaker"

    def up(self) -> None:
        log(f"bringing lab {self.name!r} up (Pacemaker 2.1.5)")
        self.lab = lab = pacemaker.up(name=self.name, token_ms=self.token_ms)
        pacemaker.wait_ready(lab, timeout=150)
        names = list(lab.topology.node_names())
        pg.setup_postgres(lab, primary=names[0], synchronous=True, upstream=WRITE_VIP)
        fencing = [["stonith", "create", "fence-lab", "fence_vigil_lab",
                    f"pcmk_host_list={' '.join(names)}", f"socket={power.socket_path(self.name)}",
                    "op", "monitor", "interval=60s"],
                   ["property", "set", "stonith-enabled=true"]]
        pacemaker.apply(lab, names[0], fencing + postgres_commands("ocf:heartbeat:pgsqlms"))

    def healthy(self) -> str:
        lab = self.the_lab()
        names = list(lab.topology.node_names())
        off = [n for n in names if not lab.pids(n)]
        if off:
            self._repair(off, names)
        pacemaker.wait_ready(lab, timeout=150)
        pacemaker.cleanup(lab, names[0])
        found: list[str] = []

        def settled() -> bool:
            p = self._settled(names)
            if p:
                found.append(p)
            return p is not None

        try:
            wait_tolerant(lab, "one primary, the others streaming, the VIP there", settled, 60, 1.0)
        except LabError:
            primary = self.primary_now("") or ""
            left = [n for n in names if n != primary and primary
                    and n not in pg.pg_streaming_to(lab, primary)]
            if not left:
                raise
            for n in left:
                lab.power_off(n)
            self._repair(left, names)
            pacemaker.cleanup(lab, names[0])
            wait_tolerant(lab, "one primary, the others streaming, the VIP there", settled,
                          SETTLE_TIMEOUT_S, 1.0)
        return found[-1]

    def _repair(self, off: list[str], names: list[str]) -> None:
        """Boot the powered-off nodes with Pacemaker held; rebuild by hand (a base backup of
        the primary) the PostgreSQL of each that PAF would refuse (an old primary, not shut
        down in recovery); then let Pacemaker start. What PAF's operator does after a failover."""
        lab = self.the_lab()
        for n in off:
            pacemaker.hold(lab, n, True)
            lab.power_on(n)
        try:
            primary = ""

            def promoted() -> bool:
                nonlocal primary
                primary = self.primary_now("") or ""
                return bool(primary) and pg.pg_in_recovery(lab, primary) is False

            wait_tolerant(lab, "a primary", promoted, SETTLE_TIMEOUT_S, 1.0)
            for n in off:
                # the node's init binds its disk a moment after the power comes back
                wait_tolerant(lab, f"{n}'s disk", functools.partial(pg.pg_state, lab, n), 30, 0.2)
                state = pg.pg_state(lab, n)
                if state != "shut down in recovery":
                    log(f"{n}: PostgreSQL {state!r}, PAF refuses it: rebuilt by hand from "
                        f"{primary} (base backup), as its operator would")
                    pg.rebuild_standby(lab, n, primary, upstream=WRITE_VIP)
        finally:
            for n in off:
                pacemaker.hold(lab, n, False)

    def _settled(self, names: list[str]) -> str | None:
        lab = self.the_lab()
        v = pacemaker.view(lab, names[0])
        promoted = v.nodes_of(RSC, "Promoted")
        if len(promoted) != 1 or pg.pg_in_recovery(lab, promoted[0]) is not False:
            return None
        primary = promoted[0]
        others = sorted(n for n in names if n != primary)
        if pg.pg_streaming_to(lab, primary) != others or v.nodes_of(VIP_RSC) != [primary]:
            return None
        return primary

    def fault(self, kind: str, primary: str) -> str:
        if kind != "switchover":
            return super().fault(kind, primary)
        lab = self.the_lab()
        names = list(lab.topology.node_names())
        target = names[(names.index(primary) + 1) % len(names)]
        proc = lab.exec(primary, ["crm_resource", "--move", "--promoted", "-r", CLONE,
                                  "--node", target], timeout=30)
        if proc.returncode != 0:
            raise LabError(f"crm_resource --move --promoted: {(proc.stderr or proc.stdout).strip()}")
        return target

    def primary_now(self, old: str) -> str | None:
        """The promoted node, asked of the first powered node (not `old`) where Pacemaker
        answers (a node held for a repair runs none)."""
        on = powered_on_nodes(self.the_lab())
        for via in [n for n in on if n != old] + [n for n in on if n == old]:
            try:
                promoted = pacemaker.view(self.the_lab(), via).nodes_of(RSC, "Promoted")
            except LabError:
                continue
            return promoted[0] if len(promoted) == 1 else None
        return None

    def after(self, kind: str, old: str, new: str) -> tuple[bool, float | None]:
        lab = self.the_lab()
        t0 = time.time()
        if kind == "powercut":
            lab.power_on(old)
        elif kind == "switchover":
            proc = lab.exec(new, ["crm_resource", "--clear", "-r", CLONE], timeout=30)
            if proc.returncode != 0:
                raise LabError(f"crm_resource --clear: {(proc.stderr or proc.stdout).strip()}")
        refused = False
        names = list(lab.topology.node_names())

        def back() -> bool:
            nonlocal refused
            v = pacemaker.view(lab, new if new != old else names[0])
            if (f"{RSC}_start_0", old) in v.failed_ops or not lab.pids(old):
                # PAF refused to start it (its start failed, or its stop did and the node was
                # fenced): it stays out until an operator acts
                refused = True
                return True
            p = v.nodes_of(RSC, "Promoted")
            return len(p) == 1 and (p[0] == old or old in pg.pg_streaming_to(lab, p[0]))

        try:
            wait_tolerant(lab, f"{old} streams again", back, REJOIN_TIMEOUT_S, 1.0)
        except LabError:
            return False, None
        if refused:
            log(f"{old}: PAF refused to start it as a standby (its start failed): manual")
            return False, None
        return True, round(time.time() - t0, 1)


def resumed(writer: SqlWriter, t_fault: float) -> bool:
    """Commits succeed again after the fault, for STABLE_S since the last failure."""
    rec = writer.snapshot()
    fails = [ts for _id, ts, _why in rec.errors if ts >= t_fault]
    last_fail = max(fails, default=t_fault)
    good = sorted(ts for ts in rec.acked.values() if ts > last_fail)
    return bool(good) and good[-1] - good[0] >= STABLE_S


def one_run(stack: Stack, fault: str, run: int, token_ms: int | None,
            rng: random.Random) -> RunResult:
    primary = stack.healthy()
    if fault == "kill":
        stack.postmaster_pid(primary)  # there is one to kill, before the client starts
    writer = stack.writer(primary)
    try:
        try:
            wait_tolerant(stack.the_lab(), "the client's first commits",
                          lambda: len(writer.snapshot().acked) >= 20 or bool(writer.failure()), 60)
        except LabError as exc:
            rec = writer.snapshot()
            last = rec.errors[-1][2] if rec.errors else "none"
            raise LabError(f"{exc}: {len(rec.acked)} acknowledged, {len(rec.errors)} failed "
                           f"(last error: {last}); primary {primary}") from None
        if writer.failure():
            raise LabError(f"the client stopped: {writer.failure()}")
        # the fault anywhere in the primary's monitor period: a kill is seen by the next monitor,
        # and a wait shorter than the period would keep hitting the same phase of it
        time.sleep(1.0 + rng.uniform(0.0, pg.PROMOTED_MONITOR_S))
        load1 = os.getloadavg()[0]
        t_fault = time.time()
        target = stack.fault(fault, primary)
        down: float | None = None
        try:
            wait_tolerant(stack.the_lab(), "commits succeed again",
                          lambda: resumed(writer, t_fault), FAILOVER_TIMEOUT_S, 0.1)
        except LabError:
            rec = writer.snapshot()
            since = [e for e in rec.errors if e[1] > t_fault]
            errs = sorted({e[2] for e in since})
            log(f"run {run}: commits did not resume within {FAILOVER_TIMEOUT_S:.0f} s; the "
                f"client failed {len(since)} writes since the fault, the last "
                f"{time.time() - since[-1][1] if since else 0:.0f} s ago: "
                f"{'; '.join(errs[-5:]) or 'none'}; "
                f"{'running' if writer.running() else 'stopped: ' + writer.failure()}")
    finally:
        record = writer.stop()
    if record.acked_after(t_fault):
        down = round(record.gaps(t_fault), 3)
    new = stack.primary_now(primary) or ""
    if fault == "switchover" and new != target:
        log(f"run {run}: the switchover went to {new or 'nowhere'}, not {target}")
    lost = len(set(record.acked) - stack.rows(new)) if new else len(record.acked)
    rejoined, rejoin_s = stack.after(fault, primary, new or primary)
    return RunResult(stack=stack.stack, fault=fault, run=run, token_ms=token_ms, downtime_s=down,
                     acked=len(record.acked), lost=lost, in_doubt=len(record.errors),
                     old_primary=primary, new_primary=new, rejoined=rejoined, rejoin_s=rejoin_s,
                     load1=round(load1, 2))


def describe(r: RunResult) -> str:
    down = f"{r.downtime_s:.2f} s" if r.downtime_s is not None else "NOT BACK"
    back = (f"streams again after {r.rejoin_s:.1f} s" if r.rejoined
            else "does NOT stream again by itself")
    return (f"run {r.run}: {r.fault} of {r.old_primary}: {down} without a commit, "
            f"{r.new_primary or '?'} primary after; {r.lost} of {r.acked} acknowledged commits "
            f"lost, {r.in_doubt} in doubt; {r.old_primary} {back}; load {r.load1:.2f}")


def summary(stack: str, fault: str, token_ms: int | None,
            results: list[RunResult], aborted: str | None = None) -> dict[str, Any]:
    """`aborted`: why the runs stopped before the number asked for (the lab could not be made
    healthy again, say), or None."""
    downs = [r.downtime_s for r in results if r.downtime_s is not None]
    return {
        "stack": stack, "fault": fault, "runs": len(results), "token_ms": token_ms,
        "aborted": aborted,
        "recovered": len(downs),
        "min_downtime_s": min(downs) if downs else None,
        "median_downtime_s": round(statistics.median(downs), 3) if downs else None,
        "max_downtime_s": max(downs) if downs else None,
        "lost_commits": sum(r.lost for r in results),
        "acked_commits": sum(r.acked for r in results),
        "rejoined": sum(1 for r in results if r.rejoined),
        "rejoin_median_s": (round(statistics.median(x for r in results if (x := r.rejoin_s)
                                                    is not None), 1)
                            if any(r.rejoin_s is not None for r in results) else None),
        "load1_median": round(statistics.median(r.load1 for r in results), 2) if results else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stack", required=True, choices=STACKS)
    ap.add_argument("--fault", required=True, choices=FAULTS)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--token", type=int, default=None, metavar="MS",
                    help="Corosync token in ms (default: Corosync's own default)")
    ap.add_argument("--json", action="store_true", help="one JSON object per run, then the summary")
    ap.add_argument("--name", default="dbbench", help="the lab's name (default: dbbench)")
    ap.add_argument("--seed", type=int, default=1,
                    help="seed of the random wait before each fault (default: 1)")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.token is not None and args.token <= 0:
        ap.error("--token must be a positive number of milliseconds")
    if args.stack == "patroni":
        from db_patroni import PatroniStack  # beside this file (bench/)
        from vigil.lab.patroni import requirements as patroni_requirements

        problem = patroni_requirements()
        stack: Stack = PatroniStack(args.token, args.name)
    elif args.stack == "pacemaker":
        problem = pacemaker.requirements()
        stack = PacemakerStack(args.token, args.name)
    else:
        problem = requirements()
        stack = VigilStack(args.token, args.name)
    if problem:
        print(f"database_failover: {problem}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    results: list[RunResult] = []
    aborted: str | None = None
    try:
        stack.up()
        for run in range(1, args.runs + 1):
            r = one_run(stack, args.fault, run, args.token, rng)
            results.append(r)
            print(json.dumps(asdict(r)) if args.json else describe(r), flush=True)
    except LabError as err:
        # the runs so far still count: the summary says where and why the rest did not happen
        print(f"database_failover: {err}", file=sys.stderr)
        aborted = f"run {len(results) + 1}: {err}"
    finally:
        stack.down()
    s = summary(args.stack, args.fault, args.token, results, aborted)
    token_label = f"token {args.token} ms" if args.token else "Corosync's default token"
    if args.json:
        print(json.dumps(s))
    else:
        print(f"{args.stack} {args.fault} ({token_label}, {s['runs']} runs, {s['recovered']} "
              f"recovered): {s['min_downtime_s']} / {s['median_downtime_s']} / "
              f"{s['max_downtime_s']} s without a commit (min/median/max); {s['lost_commits']} "
              f"of {s['acked_commits']} acknowledged commits lost; the old primary streamed "
              f"again by itself in {s['rejoined']} of {s['runs']} runs "
              f"(median {s['rejoin_median_s']} s); load1 {s['load1_median']}")
    if aborted:
        print(f"stopped before run {len(results) + 1} of {args.runs}: {aborted}", file=sys.stderr)
    ok = (not aborted and s["recovered"] == s["runs"] and s["lost_commits"] == 0
          and s["rejoined"] == s["runs"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
