"""The `patroni` stack of bench/database_failover.py: Patroni 3.0.2 + etcd 3.4 on vigil's
namespace lab, the anchor a user would otherwise run for PostgreSQL failover.

Why here and not in vigil.lab: it is one of the bench's stacks (its Stack protocol); what it
drives (configuration, the REST API's answers) is vigil.lab.patroni, what runs in the nodes
vigil.lab.patroni_node. Patroni has no write address: the client connects with libpq's
multi-host form and target_session_attrs=read-write, as Patroni's users do without a proxy.
Timings: Patroni's defaults, or vigil.lab.patroni.TUNED_TIMINGS with --token 1000.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from vigil.lab import patroni as pat
from vigil.lab import postgres as pg
from vigil.lab.dbnode import lab_nodes
from vigil.lab.demo import wait_tolerant
from vigil.lab.demo_postgres import rows_on
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.sql_client import SqlWriter

SETTLE_TIMEOUT_S = 180.0
REJOIN_TIMEOUT_S = 120.0


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} database_failover: {msg}", file=sys.stderr, flush=True)


class PatroniStack:
    """etcd and Patroni on 3 lab nodes (each node's daemon: vigil.lab.patroni_node)."""

    stack = "patroni"

    def __init__(self, token_ms: int | None, name: str) -> None:
        self.token_ms, self.name = token_ms, name
        self.lab: Lab | None = None

    def up(self) -> None:
        problem = pat.requirements()
        if problem:
            raise LabError(problem)
        t = pat.timings_for(self.token_ms)
        log(f"bringing lab {self.name!r} up (patroni: ttl {t.ttl}, loop_wait {t.loop_wait}, "
            f"retry_timeout {t.retry_timeout})")
        self.lab = lab = Lab.up(nodes=3, token_ms=self.token_ms, name=self.name, timeout=90,
                                daemon_argv=[sys.executable, "-m", pat.DAEMON_ARGV_MODULE])
        pat.write_configs(lab, self.name, self.token_ms)
        found: list[str] = []

        def bootstrapped() -> bool:
            p = self._leader()
            if p:
                found.append(p)
            return p is not None

        wait_tolerant(lab, "Patroni bootstraps a leader", bootstrapped, SETTLE_TIMEOUT_S, 1.0)
        wait_tolerant(lab, "the leader accepts writes",
                      lambda: pg.pg_in_recovery(lab, found[-1]) is False, 60, 1.0)
        pat.setup_app(lab, found[-1])

    def down(self) -> None:
        if self.lab is not None:
            log(f"tearing lab {self.name!r} down")
            Lab.down_by_name(self.name, graceful=False)
            self.lab = None

    def _leader(self, avoid: str | None = None) -> str | None:
        lab = self.the_lab()
        for n in lab_nodes(lab):
            if n.name == avoid:
                continue
            try:
                p = pat.leader(lab, n.name)
            except LabError:
                continue
            if p:
                return p
        return None

    def _settled(self) -> str | None:
        lab = self.the_lab()
        p = self._leader()
        if p is None or pg.pg_in_recovery(lab, p) is not False:
            return None
        others = sorted(n.name for n in lab_nodes(lab) if n.name != p)
        if pat.streaming(lab, p) != others:
            return None
        # synchronous_mode: commits are synchronous once Patroni named a synchronous standby
        return p if pat.sync_standby(lab, p) in others else None

    def healthy(self) -> str:
        """Every node powered on, a leader, every other node streaming from it, one of them the
        synchronous standby: the leader's name (the same a few seconds later)."""
        lab = self.the_lab()
        for n in lab.topology.node_names():
            lab.power_on(n)
        found: list[str] = []

        def settled() -> bool:
            p = self._settled()
            if p:
                found.append(p)
            return p is not None

        while True:
            wait_tolerant(lab, "a Patroni leader, the others streaming from it", settled,
                          SETTLE_TIMEOUT_S, 0.5)
            before = found[-1]
            time.sleep(3.0)
            wait_tolerant(lab, "a Patroni leader, the others streaming from it", settled,
                          SETTLE_TIMEOUT_S, 0.5)
            if found[-1] == before:
                return before

    def writer(self, primary: str) -> SqlWriter:
        """The client, with every node's address (libpq finds the read-write one), numbering its
        rows after the last one already in the table."""
        lab = self.the_lab()
        last = pg.psql(lab, primary, f"SELECT coalesce(max(id), 0) FROM {pg.APP_TABLE}")
        hosts = ",".join(n.addr for n in lab_nodes(lab))
        dsn = (f"host={hosts} dbname=postgres user={pg.APP_USER} "
               f"target_session_attrs=read-write")
        return SqlWriter(lab, dsn, first_id=int(last) + 1).start()

    def fault(self, kind: str, primary: str) -> str:
        """Break `primary` as `kind` says; the node a switchover goes to ("" otherwise): the
        synchronous standby (the only candidate synchronous_mode allows)."""
        lab = self.the_lab()
        if kind == "powercut":
            lab.power_off(primary)
        elif kind == "kill":
            os.kill(self.postmaster_pid(primary), signal.SIGKILL)
        else:
            # synchronous_mode: Patroni switches over only to the synchronous standby
            target = pat.sync_standby(lab, primary) or ""
            pat.switchover(lab, primary, primary, target)
            return target
        return ""

    def primary_now(self, old: str) -> str | None:
        """The leader, asked of the nodes other than `old` first."""
        return self._leader(avoid=old) or self._leader()

    def rows(self, node: str) -> set[int]:
        return rows_on(self.the_lab(), node)

    def after(self, kind: str, old: str, new: str) -> tuple[bool, float | None]:
        """Power the old primary on again after a power cut; (it streams from the leader again
        or is the leader again by itself, seconds it took)."""
        lab = self.the_lab()
        t0 = time.time()
        if kind == "powercut":
            lab.power_on(old)

        def back() -> bool:
            p = self._leader()
            return p is not None and (p == old or old in pat.streaming(lab, p))

        try:
            wait_tolerant(lab, f"{old} streams again", back, REJOIN_TIMEOUT_S, 1.0)
        except LabError:
            return False, None
        return True, round(time.time() - t0, 1)

    def postmaster_pid(self, node: str) -> int:
        pid = pat.postmaster_pid(self.the_lab(), node)
        if pid is None:
            raise LabError(f"no postmaster of {pg.PGDATA} runs on {node}")
        return pid

    def the_lab(self) -> Lab:
        if self.lab is None:
            raise LabError("the lab is not up")
        return self.lab
