"""What goes wrong with the database pair gets a clear answer (issue 11): a standby that does
not stream from the primary (here n3, whose replication connections the primary refuses) is
behind, and must never become the primary.

- `vigil explain pgsqld-clone` says why it is not to be promoted (PAF's -1000: not connected);
- a switchover to it (`vigil resource move pgsqld-clone n3 --promoted`) is refused before
  anything moves: exit status 2, one line naming the reason, no constraint written;
- when the primary then loses its power, the standby that streams is promoted, not n3, and
  every commit the client was told was saved is on it.

Three vigild on Corosync with fencing, PAF's pgsqlms (ocf:vigil:pgsqlms), synchronous
replication, standbys streaming from the write VIP. Needs root, PostgreSQL 15, PAF, psycopg;
marked slow; the lab is torn down whatever happens.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from vigil.lab import Lab
from vigil.lab import postgres as pg
from vigil.lab.demo import cluster_status
from vigil.lab.demo_postgres import (
    CLONE,
    WRITE_VIP,
    create_postgres_resources,
    promoted_node,
    requirements,
    rows_on,
    settled_primary,
)
from vigil.lab.sql_client import SqlWriter

from .service_support import requirements as lab_requirements
from .service_support import wait

NODES = ["n1", "n2", "n3"]
REASON = lab_requirements() or requirements()
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]


@pytest.fixture
def lab() -> Iterator[Lab]:
    lab = Lab.up(nodes=3, token_ms=1000, name=f"pgr{os.getpid()}", timeout=60)
    try:
        wait("vigild answers on every node", lambda: all(
            cluster_status(lab, n, timeout=10)["dc"] is not None for n in NODES), timeout=90)
        pg.setup_postgres(lab, primary="n1", synchronous=True, upstream=WRITE_VIP)
        create_postgres_resources(lab, "n1")
        wait("n1 primary, both standbys streaming, the VIP there",
             lambda: settled_primary(lab, "n1", NODES) == "n1", timeout=180)
        yield lab
    finally:
        lab.down(purge=True)


def _cut_off_replication(lab: Lab, primary: str, standby: str) -> None:
    """The primary refuses `standby`'s replication connections from now on, and ends the one
    it has (what a broken network path or a wrong pg_hba.conf does to a standby)."""
    addr = next(n.addr for n in pg.lab_nodes(lab) if n.name == standby)
    hba = pg.disk(lab, primary, f"{pg.PGDATA}/pg_hba.conf")
    hba.write_text(f"host replication {pg.REPL_USER} {addr}/32 reject\n" + hba.read_text())
    pg.psql(lab, primary, "SELECT pg_reload_conf()")
    pg.psql(lab, primary, "SELECT pg_terminate_backend(pid) FROM pg_stat_replication "
                          f"WHERE application_name = '{standby}'")


def test_a_standby_behind_is_never_promoted(lab: Lab) -> None:
    _cut_off_replication(lab, "n1", "n3")
    wait("n1 streams to n2 only", lambda: pg.pg_streaming_to(lab, "n1") == ["n2"], timeout=30)

    # PAF's next monitor of the primary marks n3 unfit; explain says so in words
    def explained() -> bool:
        out = lab.vigil("n1", ["explain", CLONE], timeout=30).stdout
        return "not connected to the primary" in out

    wait("explain says n3's standby is not connected", explained, timeout=30)

    # a switchover to it is refused, and nothing changed
    before = lab.vigil("n1", ["constraint", "--full"], timeout=30).stdout
    proc = lab.vigil("n1", ["resource", "move", CLONE, "n3", "--promoted"], timeout=30)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unfit for promotion" in lines[0], proc.stderr
    assert lab.vigil("n1", ["constraint", "--full"], timeout=30).stdout == before
    assert promoted_node(lab, "n1") == "n1"

    # the client writes; n3 receives none of it
    writer = SqlWriter(lab, f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}").start()
    try:
        wait("the client commits", lambda: len(writer.snapshot().acked) >= 20, timeout=60)
        t_cut = time.time()
        lab.power_off("n1")
        wait("the client commits again, on a new primary",
             lambda: writer.acked_after(t_cut), timeout=120)
        assert promoted_node(lab, "n2") == "n2", "the standby that was behind was promoted"
        assert pg.pg_in_recovery(lab, "n3") is not False, "n3 runs as a primary"
    finally:
        record = writer.stop()
    missing = sorted(set(record.acked) - rows_on(lab, "n2"))
    assert not missing, f"acknowledged commits lost: {missing[:20]}"
