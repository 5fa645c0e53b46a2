"""What goes wrong with the database pair, and what vigil does about it (issue 11):

- a standby that does not stream from the primary (here n3, whose replication connections the
  primary refuses) is behind: `vigil explain pgsqld-clone` says why it is not to be promoted
  (PAF's -1000: not connected); a switchover to it (`vigil resource move pgsqld-clone n3
  --promoted`) is refused before anything moves (exit status 2, one line, no constraint
  written); when the primary then loses its power, the standby that streams is promoted, not
  n3, and every commit the client was told was saved is on it;
- an old primary whose rejoin fails (pg_rewind and the base backup both refused) stays out with
  the reason in `vigil status`, its directory as it was, never a second primary; a cleanup once
  the cause is fixed brings it back;
- a primary whose postmaster is killed (its node up) is restarted in place by
  ocf:vigil:pgsqlms's promoted monitor: no other node promoted, no failure for the cluster to
  recover, nothing acknowledged lost;
- no standby ranked when the primary is lost (PAF's -1000 window), and two primaries lost in a
  row: ocf:vigil:pgsqlms's election promotes the most advanced standby once every node is
  accounted for (old primaries publish their timeline and end of WAL), nothing acknowledged is
  lost, and the old primaries rejoin by themselves;
- a stale postmaster.pid does not keep an old primary out.

Three vigild on Corosync with fencing, PAF's pgsqlms (ocf:vigil:pgsqlms), synchronous
replication, standbys streaming from the write VIP. Needs root, PostgreSQL 15, PAF, psycopg;
marked slow; the lab is torn down whatever happens.
"""

from __future__ import annotations

import os
import signal
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
    nodes_in_role,
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
        # and ranked by the primary's monitor: until it runs, PAF's standbys keep the -1000
        # ("not connected") of their start, and a primary lost then leaves none to promote
        wait("both standbys ranked for promotion",
             lambda: all((_score(lab, "n1", n) or -1) >= 0 for n in ("n2", "n3")), timeout=60)
        yield lab
    finally:
        lab.down(purge=True)


def _score(lab: Lab, via: str, node: str) -> int | None:
    """`node`'s promotion score (PAF's master-pgsqld) as vigild shows it through `via`."""
    value = cluster_status(lab, via)["node_attributes"].get(node, {}).get("master-pgsqld")
    return None if value is None else int(value)


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
        lab.power_off("n1")
        # (a commit in flight at the cut may still be acknowledged: wait for the promotion)
        wait("a standby promoted", lambda: promoted_node(lab, "n2") in ("n2", "n3"), timeout=120)
        assert promoted_node(lab, "n2") == "n2", "the standby that was behind was promoted"
        t_promoted = time.time()
        wait("the client commits again, on n2",
             lambda: writer.acked_after(t_promoted), timeout=120)
        assert pg.pg_in_recovery(lab, "n3") is not False, "n3 runs as a primary"
    finally:
        record = writer.stop()
    missing = sorted(set(record.acked) - rows_on(lab, "n2"))
    assert not missing, f"acknowledged commits lost: {missing[:20]}"


def _standby_promoted(lab: Lab) -> str:
    """Once n1 is lost: the standby vigil shows promoted and PostgreSQL runs as a primary."""
    new: list[str] = []

    def promoted() -> bool:
        p = promoted_node(lab, "n2")
        if p in ("n2", "n3") and pg.pg_in_recovery(lab, p) is False:
            new.append(p)
            return True
        return False

    wait("a standby promoted", promoted, timeout=120)
    return new[-1]


REWIND_FUNCTIONS = ("pg_ls_dir(text, boolean, boolean)", "pg_stat_file(text, boolean)",
                    "pg_read_binary_file(text)",
                    "pg_read_binary_file(text, bigint, bigint, boolean)")


def _rejoin_rights(lab: Lab, primary: str, granted: bool) -> None:
    """What pg_rewind and a base backup need of the role the old primary rejoins as
    (vigil.lab.postgres.setup_postgres grants it): taken away, or given back."""
    verb, prep = ("GRANT", "TO") if granted else ("REVOKE", "FROM")
    for fn in REWIND_FUNCTIONS:
        pg.psql(lab, primary, f"{verb} EXECUTE ON FUNCTION pg_catalog.{fn} {prep} {pg.REWIND_USER}")
    pg.psql(lab, primary, f"ALTER ROLE {pg.REWIND_USER} {'' if granted else 'NO'}REPLICATION")


def test_a_failed_rejoin_keeps_the_old_primary_out_with_its_reason(lab: Lab) -> None:
    """The old primary's rewind and its fallback, a base backup, both fail: it stays out of the
    cluster with the reason in `vigil status`, its data directory as it was, never a second
    primary; once the cause is fixed, a cleanup brings it back as a standby."""
    lab.power_off("n1")
    primary = _standby_promoted(lab)
    _rejoin_rights(lab, primary, granted=False)

    lab.power_on("n1")

    seen: list[str] = []

    def refused() -> bool:
        seen.append(lab.vigil(primary, ["status"], timeout=30).stdout)
        return "base backup failed" in seen[-1]

    try:
        wait("vigil status gives n1's reason", refused, timeout=180)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the last status:\n{seen[-1] if seen else ''}") from None
    status = lab.vigil(primary, ["status"], timeout=30).stdout
    assert "old primary: base backup failed" in status, status
    # never a second primary; n1's directory is the one it had (not half a base backup)
    for _ in range(5):
        assert pg.pg_in_recovery(lab, "n1") is not False, "n1 runs as a primary"
        assert promoted_node(lab, primary) == primary
        time.sleep(1.0)
    # the old directory is back in place (pg_rewind ran its crash recovery before it failed:
    # "shut down"), no half base backup beside it, and the rejoin is still to be done
    assert pg.pg_state(lab, "n1") in ("in production", "shut down")
    beside = [p.name for p in pg.disk(lab, "n1", pg.PGDATA).parent.iterdir()]
    name = pg.PGDATA.rsplit("/", 1)[-1]
    assert not [b for b in beside if b.startswith(f"{name}.before-rejoin")], beside
    assert f"{name}.vigil-rejoin-pending" in beside, beside

    # the operator fixes the cause; a cleanup retries the start, which rewinds n1
    _rejoin_rights(lab, primary, granted=True)
    proc = lab.vigil(primary, ["resource", "cleanup"], timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wait("n1 streams from the primary again",
         lambda: "n1" in pg.pg_streaming_to(lab, primary), timeout=180)
    assert promoted_node(lab, primary) == primary


def test_a_killed_primary_is_restarted_in_place(lab: Lab) -> None:
    pid = pg.postmaster_pid(lab, "n1")
    assert pid is not None
    writer = SqlWriter(lab, f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}").start()
    seen: set[str] = set()
    try:
        wait("the client commits", lambda: len(writer.snapshot().acked) >= 20, timeout=60)
        t_kill = time.time()
        os.kill(pid, signal.SIGKILL)

        def back() -> bool:
            for n in ("n2", "n3"):  # sampled all along: never another primary
                if pg.pg_in_recovery(lab, n) is False:
                    seen.add(n)
            return writer.acked_after(t_kill) and pg.postmaster_pid(lab, "n1") not in (None, pid)

        # the promoted monitor runs every 5 s; the restart and its crash recovery take about 1
        wait("the client commits again, n1 restarted", back, timeout=60)
        downtime = time.time() - t_kill
    finally:
        record = writer.stop()
    assert not seen, f"another node ran as a primary: {sorted(seen)}"
    assert promoted_node(lab, "n1") == "n1"
    assert pg.disk(lab, "n1", f"{pg.PGDATA}/restart-in-place.log").exists(), \
        "n1 came back by another way than the restart in place"
    # nothing for the cluster to recover: no failed action, no fail-count
    status = lab.vigil("n1", ["status"], timeout=30).stdout
    assert "Failed Resource Actions" not in status and "fail-count" not in status, status
    wait("both standbys stream from n1 again",
         lambda: pg.pg_streaming_to(lab, "n1") == ["n2", "n3"], timeout=60)
    missing = sorted(set(record.acked) - rows_on(lab, "n1"))
    assert not missing, f"acknowledged commits lost: {missing[:20]}"
    assert downtime < 30, f"{downtime:.1f} s without a commit"


def _received_lsn(lab: Lab, node: str) -> int:
    return int(pg.psql(lab, node, "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')"))


def test_no_standby_ranked_when_the_primary_is_lost(lab: Lab) -> None:
    """PAF gives a standby a promotion score only from the primary's monitor, and -1000 to one
    that does not stream then, kept until the primary ranks it again. Here both standbys stop
    streaming (the primary refuses their replication connections: a broken network path, a
    wrong pg_hba.conf), the primary ranks both -1000, then loses its power: PAF alone promotes
    nothing and the cluster stays without a primary until an operator acts (the database chaos
    run met it when two primaries were lost in a row). ocf:vigil:pgsqlms's standbys, seeing no
    primary answer anywhere and no score of 0 or more, offer themselves; PAF's promote elects the
    most advanced (timeline, then LSN); every acknowledged commit is on it; the old primary
    rejoins it by itself when its power comes back."""
    writer = SqlWriter(lab, f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}").start()
    try:
        wait("the client commits", lambda: len(writer.snapshot().acked) >= 20, timeout=60)
        _cut_off_replication(lab, "n1", "n2")
        _cut_off_replication(lab, "n1", "n3")
        wait("the primary ranks both standbys -1000",
             lambda: _score(lab, "n1", "n2") == -1000 and _score(lab, "n1", "n3") == -1000,
             timeout=60)
        lsns = {n: _received_lsn(lab, n) for n in ("n2", "n3")}
        lab.power_off("n1")
        primary = _standby_promoted(lab)
        other = "n3" if primary == "n2" else "n2"
        # the most advanced, or either when both had received the same
        assert lsns[primary] >= lsns[other], f"{primary} promoted, less advanced: {lsns}"
        t_promoted = time.time()
        wait(f"the client commits again, on {primary}",
             lambda: writer.acked_after(t_promoted), timeout=120)
        lab.power_on("n1")
        wait(f"n1 and {other} stream from {primary}, the VIP there",
             lambda: settled_primary(lab, primary, NODES) == primary, timeout=240)
    finally:
        record = writer.stop()
    missing = sorted(set(record.acked) - rows_on(lab, primary))
    assert not missing, f"acknowledged commits lost: {missing[:20]}"


def test_two_primaries_lost_in_a_row(lab: Lab) -> None:
    """n1 loses its power, a standby is promoted; before it ranks the last standby again (its
    replication cut off: PAF's -1000), it loses its power too. n1 comes back: an old primary on
    the first timeline, with no primary to rewind from, and the last standby has no promotion
    score. PAF alone waits for an operator (the database chaos run met it). ocf:vigil:pgsqlms's
    n1 publishes its timeline and end of WAL; the standby, on the newer timeline, finds every
    node accounted for but the one that was lost, offers itself and is promoted: nothing
    acknowledged is lost, and both old primaries rejoin it by themselves."""
    writer = SqlWriter(lab, f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}").start()
    try:
        wait("the client commits", lambda: len(writer.snapshot().acked) >= 20, timeout=60)
        lab.power_off("n1")
        first = _standby_promoted(lab)
        last = "n3" if first == "n2" else "n2"
        t_promoted = time.time()
        wait(f"the client commits again, on {first}",
             lambda: writer.acked_after(t_promoted), timeout=120)
        _cut_off_replication(lab, first, last)
        wait(f"{first} ranks {last} -1000", lambda: _score(lab, first, last) == -1000,
             timeout=60)
        lab.power_off(first)
        lab.power_on("n1")

        def promoted() -> bool:
            return promoted_node(lab, last) == last and pg.pg_in_recovery(lab, last) is False

        wait(f"{last} promoted", promoted, timeout=240)
        assert pg.pg_in_recovery(lab, "n1") is not False, "n1 runs as a primary"
        t_promoted = time.time()
        wait(f"the client commits again, on {last}",
             lambda: writer.acked_after(t_promoted), timeout=120)
        lab.power_on(first)
        wait(f"n1 and {first} stream from {last}, the VIP there",
             lambda: settled_primary(lab, last, NODES) == last, timeout=300)
    finally:
        record = writer.stop()
    missing = sorted(set(record.acked) - rows_on(lab, last))
    assert not missing, f"acknowledged commits lost: {missing[:20]}"


def test_a_stale_postmaster_pid_does_not_keep_the_old_primary_out(lab: Lab) -> None:
    """After a reboot the node's processes start in the same order, and the pid in the dead
    postmaster's postmaster.pid may be a live process again (the chaos run met it): postgres then
    refuses to start ("lock file already exists"), and PAF took the directory for a running
    instance. Here the old primary's file names pid 1, the node's init, always alive: its start
    drops the stale file and it rejoins as a standby."""
    lab.power_off("n1")
    primary = _standby_promoted(lab)
    pid_file = pg.disk(lab, "n1", f"{pg.PGDATA}/postmaster.pid")
    lines = pid_file.read_text().splitlines(keepends=True)
    pid_file.write_text("1\n" + "".join(lines[1:]))
    lab.power_on("n1")
    # (its rejoin runs it as a standby for a moment inside its start: wait for the start too)
    wait(f"n1 started as a standby, streaming from {primary}",
         lambda: "n1" in nodes_in_role(lab, primary, "Unpromoted")
         and "n1" in pg.pg_streaming_to(lab, primary), timeout=180)
    assert pg.pg_in_recovery(lab, "n1") is True
