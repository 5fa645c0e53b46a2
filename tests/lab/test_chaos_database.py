"""A seeded chaos run over the replicated PostgreSQL (issue 11): random faults against three
vigild nodes with fencing, PAF's pgsqlms (ocf:vigil:pgsqlms) as a promotable clone, synchronous
replication, and a client committing numbered rows through the write VIP all along.

Faults: power cut (of the primary more often than not), reboot, partition (one node away), heal,
SIGKILL of the primary's postmaster. After every fault the databases themselves are sampled for a
while: never two powered-on nodes where PostgreSQL answers pg_is_in_recovery() = false (two
writable primaries). Every few faults the lab is made healthy again (heal, power on) and the time
until one primary has both other nodes streaming from it and the VIP, without any operator action
on the databases, is the recovery time, which must stay under RECOVERY_BOUND_S; then every commit
the client was told was saved must be on that primary (synchronous replication loses none).

Needs root, PostgreSQL 15, PAF, psycopg; skipped with the reason otherwise. Marked slow. Seed and
length: VIGIL_DB_CHAOS_SEED (default 11), VIGIL_DB_CHAOS_FAULTS (default 12, the run CI runs;
the longer runs are documented in the README). At 12 faults seed 11 ends with two primaries
lost in a row (faults 10-12), often with the last standby still at PAF's -1000: the election
of ocf:vigil:pgsqlms (old primaries publish their timeline and end of WAL) promotes it
(tests/lab/test_postgres_faults.py::test_two_primaries_lost_in_a_row covers that case too).
The 12-fault run failed about half the time in the morning of 2026-12-07: after a restoration
the DC planned nothing more. The cause, found with the planning-held events: a graph's
recurring monitor's first result never released the DC's hold on the operation it waited for
after a join (its record carries the interval, the release looked for one-shot results only),
so the DC waited for a result that had come; fixed (tests/unit/test_controller_planning_hold.py)
and three 12-fault runs in a row then passed.
"""

from __future__ import annotations

import functools
import os
import random
import signal
import time
from collections.abc import Iterator

import pytest

from vigil.lab import Lab
from vigil.lab import postgres as pg
from vigil.lab.demo import cluster_status
from vigil.lab.demo_postgres import (
    WRITE_VIP,
    create_postgres_resources,
    requirements,
    rows_on,
    settled_primary,
)
from vigil.lab.errors import LabError
from vigil.lab.sql_client import SqlWriter

from .service_support import requirements as lab_requirements
from .service_support import wait

NODES = ("n1", "n2", "n3")
SEED = int(os.environ.get("VIGIL_DB_CHAOS_SEED", "11"))
FAULTS = int(os.environ.get("VIGIL_DB_CHAOS_FAULTS", "12"))
RECOVERY_BOUND_S = 180.0
SLOW_RESTORE_S = 30.0  # a restoration slower than this prints what vigil status kept of it
SAMPLE_S = 4.0
REASON = lab_requirements() or requirements()
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]


@pytest.fixture
def db_lab() -> Iterator[Lab]:
    lab = Lab.up(nodes=3, token_ms=1000, name=f"dbc{os.getpid()}", timeout=60)
    try:
        wait("vigild answers on every node", lambda: all(
            cluster_status(lab, n, timeout=10)["dc"] is not None for n in NODES), timeout=90)
        pg.setup_postgres(lab, primary="n1", synchronous=True, upstream=WRITE_VIP)
        create_postgres_resources(lab, "n1")
        yield lab
    finally:
        lab.down(purge=True)


def powered(lab: Lab) -> list[str]:
    return [n.name for n in lab.status().nodes if n.power == "on"]


def writable(lab: Lab) -> list[str]:
    """The powered-on nodes where PostgreSQL answers as a primary (not in recovery)."""
    return [n for n in powered(lab) if pg.pg_in_recovery(lab, n) is False]


def primary_of(lab: Lab) -> str | None:
    """The settled primary (both others streaming from it, the VIP there), None before; a
    vigild that does not answer yet (a node booting) is "not yet"."""
    for via in powered(lab):
        try:
            return settled_primary(lab, via, list(NODES))
        except LabError:
            continue
    return None


def check(lab: Lab, seconds: float, log: list[str]) -> None:
    samples = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        found = writable(lab)
        assert len(found) <= 1, f"two writable primaries: {found}"
        samples += 1
    log.append(f"    checked {samples} samples: at most one writable primary")


def restore(lab: Lab) -> tuple[float, str]:
    """Heal, power every node on (again if a late fencing took one off), until one primary has
    both others streaming from it and the VIP: (seconds it took, the primary)."""
    t0 = time.monotonic()
    lab.heal()
    found: list[str] = []

    def healthy() -> bool:
        for n in lab.status().nodes:
            if n.power != "on":
                lab.power_on(n.name)
        p = primary_of(lab)
        if p:
            found.append(p)
        return p is not None

    wait("one primary, both other nodes streaming from it, the VIP there", healthy,
         timeout=RECOVERY_BOUND_S)
    return time.monotonic() - t0, found[-1]


def slow_restore_summary(lab: Lab, primary: str) -> str:
    """What a slow restoration went through, as `vigil status` keeps it: the failed actions and
    fail-counts (the data to find where the time went; the run still passes within its bound)."""
    status = lab.vigil(primary, ["status", "--full"], timeout=30).stdout
    keep = [ln for ln in status.splitlines()
            if "fail-count" in ln or "_0 on " in ln or "Fencing History" in ln
            or " of n" in ln and "successful" in ln]
    return "    slow restoration; vigil status says:\n" + "\n".join(f"      {ln.strip()}" for ln in keep)


def diagnose(lab: Lab) -> str:
    out = []
    for n in lab.status().nodes:
        if n.power != "on":
            out.append(f"{n.name}: off")
            continue
        proc = lab.vigil(n.name, ["status", "--full"], timeout=30)
        state = ""
        try:
            state = pg.pg_state(lab, n.name)
        except LabError as exc:
            state = str(exc)
        events = lab.exec(n.name, ["tail", "-n", "25", "/var/log/vigil/events.jsonl"], timeout=10)
        # what held a DC's planning last (controller.planning logs each hold and its end), and
        # what the daemon itself logged (a controller failure is only there)
        holds = lab.exec(n.name, ["sh", "-c", "grep -E 'planning-(held|resumed)' "
                                  "/var/log/vigil/events.jsonl | tail -n 6"], timeout=10)
        daemon = lab.exec(n.name, ["tail", "-n", "30", "/var/log/vigil/daemon.stdio"], timeout=10)
        # the addresses really configured: vigil's view of the VIP is not the network's
        addrs = lab.exec(n.name, ["ip", "-o", "-4", "addr", "show"], timeout=10)
        out.append(f"--- {n.name}: {state}\n{proc.stdout}{proc.stderr}\n--- addresses\n"
                   f"{addrs.stdout}--- events\n{events.stdout}--- planning holds\n"
                   f"{holds.stdout}--- daemon log\n{daemon.stdout}")
        # what PostgreSQL itself said, and an old primary's last rejoin (ocf:vigil:pgsqlms)
        for name, lines in (("log/postgresql.log", 30), ("rejoin.log", 15)):
            path = pg.disk(lab, n.name, f"{pg.PGDATA}/{name}")
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {n.name}: {name}\n" + "\n".join(tail))
    neigh = lab.exec("client", ["ip", "neigh", "show"], timeout=10)
    out.append(f"--- the client's neighbours\n{neigh.stdout}")
    return "\n".join(out)


def test_seeded_database_chaos(db_lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    lab = db_lab
    rnd = random.Random(SEED)
    log: list[str] = []

    def say(line: str) -> None:
        log.append(line)
        with capsys.disabled():
            print(line, flush=True)

    took, primary = restore(lab)
    say(f"database chaos run: seed {SEED}, {FAULTS} faults; {primary} primary after {took:.1f} s")
    writer = SqlWriter(lab, f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}").start()
    recoveries: list[float] = []
    try:
        for i in range(1, FAULTS + 1):
            on = powered(lab)
            current = next(iter(writable(lab)), None)
            kind = rnd.choice(["powercut", "powercut", "pgkill", "pgkill", "reboot", "partition",
                               "heal"])
            if kind in ("powercut", "reboot") and len(on) <= 1:
                kind = "heal"
            if kind == "powercut":
                node = current if current in on and rnd.random() < 0.6 else rnd.choice(on)
                lab.power_off(node)
                what = f"power cut of {node}" + (" (the primary)" if node == current else "")
            elif kind == "reboot":
                node = rnd.choice(on)
                lab.power_off(node)
                lab.power_on(node)
                what = f"reboot of {node}"
            elif kind == "partition":
                lone = rnd.choice(NODES)
                lab.partition([[n for n in NODES if n != lone], [lone]])
                what = f"partition {lone} away"
            elif kind == "heal":
                lab.heal()
                what = "heal"
            else:
                pid = pg.postmaster_pid(lab, current) if current else None
                if current and pid:
                    os.kill(pid, signal.SIGKILL)
                    what = f"postmaster of the primary {current} killed"
                else:
                    what = "postmaster kill (no primary running: nothing to kill)"
            say(f"fault {i:2d}: {what}")
            check(lab, SAMPLE_S, log)
            if i % 3 == 0 or i == FAULTS:
                try:
                    took, primary = restore(lab)
                except AssertionError:
                    say(diagnose(lab))
                    raise
                recoveries.append(took)
                if took > SLOW_RESTORE_S:
                    say(slow_restore_summary(lab, primary))
                t_healthy = time.time()
                # the client commits through the VIP again (a client that died, or a VIP that
                # answers nowhere, would pass every other check)
                try:
                    wait("the client commits again",
                         functools.partial(writer.acked_after, t_healthy), timeout=60)
                except AssertionError:
                    errors = [e for e in writer.snapshot().errors if e[1] > t_healthy]
                    say(f"client: {'running' if writer.running() else writer.failure()}; "
                        f"{len(errors)} failed writes since healthy: "
                        f"{sorted({e[2] for e in errors})[-5:]}")
                    say(diagnose(lab))
                    raise
                assert writer.running(), f"the client stopped: {writer.failure()}"
                say(f"    healthy again {took:.1f} s after the lab was restored: {primary} "
                    f"primary, both others streaming from it; {len(writer.snapshot().acked)} "
                    "commits acknowledged so far")
    finally:
        record = writer.stop()
    took, primary = restore(lab)
    missing = sorted(set(record.acked) - rows_on(lab, primary))
    say(f"client: {len(record.acked)} commits acknowledged, {len(record.errors)} failed (never "
        f"acknowledged); {len(missing)} acknowledged commits missing on {primary}")
    assert not missing, f"acknowledged commits lost: {missing[:20]}"
    assert max(recoveries) <= RECOVERY_BOUND_S
    say(f"worst recovery: {max(recoveries):.1f} s (bound {RECOVERY_BOUND_S:.0f} s), median "
        f"{sorted(recoveries)[len(recoveries) // 2]:.1f} s over {len(recoveries)} restorations")
