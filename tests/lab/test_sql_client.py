"""The lab's SQL client (vigil.lab.sql_client) against a primary that loses its power while a
COMMIT waits on it: the benchmarks and the database chaos run count on the client to report
every write that was never acknowledged and to go on, never to wait forever.

The primary is synchronous with no standby running, so its COMMIT waits (the server has the
request, TCP acknowledged it, no answer comes); then its power is cut. Without keepalives a
client waits for that answer forever (tcp_user_timeout only counts while sent data is
unacknowledged): the database chaos run once hung like this after a power cut of the primary.
The lab is torn down whatever happens. Needs root, PostgreSQL 15, psycopg; marked slow.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from vigil.lab import Lab
from vigil.lab import postgres as pg
from vigil.lab.demo_postgres import requirements
from vigil.lab.sql_client import SqlWriter

from .service_support import requirements as lab_requirements
from .service_support import wait

REASON = lab_requirements() or requirements()
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]
REPORT_BOUND_S = 8.0  # keepalives: 1 s idle, 2 probes 1 s apart, each bounded by 1 s


@pytest.fixture
def lab() -> Iterator[Lab]:
    lab = Lab.up(nodes=2, token_ms=1000, name=f"sqlc{os.getpid()}", timeout=60)
    try:
        pg.setup_postgres(lab, primary="n1", synchronous=True)
        yield lab
    finally:
        lab.down(purge=True)


def test_commit_waiting_on_a_primary_that_loses_power_is_reported(lab: Lab) -> None:
    pg.pg_ctl(lab, "n1", "start", "-l", f"{pg.PGDATA}/startup.log")  # no standby: commits wait
    addr = next(n.addr for n in pg.lab_nodes(lab) if n.name == "n1")
    writer = SqlWriter(lab, f"host={addr} dbname=postgres user={pg.APP_USER}").start()
    try:
        # the first INSERT reached the server and waits there for a synchronous standby
        wait("the client's first write waits on the server",
             lambda: _waiting_on_sync_rep(lab) == 1, timeout=30)
        time.sleep(1.5)
        snap = writer.snapshot()
        assert not snap.acked and not snap.errors, "a commit without a standby was answered"
        t_cut = time.time()
        lab.power_off("n1")
        wait("the client reports the write it was never told was saved",
             lambda: bool(writer.snapshot().errors), timeout=30)
        took = writer.snapshot().errors[0][1] - t_cut
        assert writer.running(), f"the client stopped: {writer.failure()}"
    finally:
        record = writer.stop()
    assert not record.acked
    assert took <= REPORT_BOUND_S, f"the hung write was reported only {took:.1f} s after the cut"


def _waiting_on_sync_rep(lab: Lab) -> int:
    """The client's sessions on n1 whose COMMIT waits for a synchronous standby."""
    out = pg.psql(lab, "n1", f"SELECT count(*) FROM pg_stat_activity WHERE usename = "
                             f"'{pg.APP_USER}' AND wait_event = 'SyncRep'")
    return int(out.strip() or 0)
