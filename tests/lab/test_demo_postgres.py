"""`vigil demo postgres` end to end (issue 11): PostgreSQL 15 under PAF's pgsqlms on 3 lab nodes,
synchronous replication, a client committing numbered rows through the write VIP, the primary's
power cut. Checked from the client's record and the cluster's events: a standby is promoted, the
old primary was fenced first, no acknowledged commit is missing on the new primary, the client
writes again; the lab is gone afterwards. Plus the client record's pure parts (no root needed).

Then the old primary is powered on and must stream from the new one by itself: PAF alone
refuses a primary that crashed (its probe answers rc 9, the demote and stop of an instance that
does not run fail, the node is fenced again); ocf:vigil:pgsqlms (src/vigil/agents/pgsqlms)
rewinds it first. Last, a planned switchover back to it (`resource move --promoted`) while the
client writes: nothing acknowledged lost, the primary it replaced streams from it.

Redis (ocf:vigil:redis) and beanstalkd run beside PostgreSQL as in seed 004: the Redis master
fails over with the primary and the client writes to it again. Redis's replication is
asynchronous, but a write WAIT confirmed is on at least one replica, and the agent promotes the
replica that received the most: with both replicas alive, no acknowledged write may be missing.
beanstalkd runs on the new primary, with its own queue.
"""

from __future__ import annotations

import pytest
from tests.lab import service_support as svc

from vigil.lab import Lab, LabError, hostops, state
from vigil.lab.demo_postgres import PostgresDemoReport, requirements, run_postgres_demo
from vigil.lab.redis_client import RedisWriter
from vigil.lab.sql_client import SqlWriter, WriteRecord

REASON = svc.requirements() or requirements()
needs_lab = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def test_write_record_downtime_is_the_longest_gap_after_the_fault() -> None:
    record = WriteRecord(acked={1: 10.0, 2: 10.1, 3: 10.2, 4: 14.2, 5: 14.3, 6: 15.0})
    assert record.gaps(10.25) == pytest.approx(4.0)  # last ack before the fault -> first after
    assert record.gaps(20.0) == float("inf")  # nothing acknowledged after the fault
    assert record.acked_after(14.25) and not record.acked_after(15.0)


def test_writer_refuses_addresses_outside_the_lab() -> None:
    for dsn in ("host=127.0.0.1 dbname=postgres", "host=10.214.0.1", "dbname=postgres",
                "host=db.example.com"):
        with pytest.raises(LabError):
            SqlWriter(None, dsn)  # type: ignore[arg-type]  # refused before the lab is used
    for host in ("127.0.0.1", "10.214.0.1", "redis.example.com"):
        with pytest.raises(LabError):
            RedisWriter(None, host)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def demo() -> tuple[PostgresDemoReport, str]:
    if REASON is not None:
        pytest.skip(REASON)
    name = "tpgdemo"
    Lab.down_by_name(name, graceful=False)
    lines: list[str] = []
    report = run_postgres_demo(name=name, out=lines.append)
    return report, "\n".join(lines)


@needs_lab
def test_power_cut_of_the_primary_loses_no_acknowledged_commit(demo: tuple[PostgresDemoReport, str]) -> None:
    report, text = demo
    assert report.primary and report.promoted and report.promoted != report.primary, text
    assert report.fenced, text
    assert report.acked > report.acked_before_fault > 0, text  # the client wrote again after
    assert report.lost == [], text
    assert report.downtime_s is not None and 0 < report.downtime_s < 60, text
    assert any(f"promote pgsqld on {report.promoted}: ok" in phrase
               for _t, _n, phrase in report.timeline), text
    # explain says why this standby: the WAL positions PAF compared, the promoted one the most
    assert f"{report.promoted} was promoted: it had received " in report.promotion_why, text
    assert report.torn_down and state.load("tpgdemo") is None
    assert not hostops.lab_netns("vl-tpgdemo-")


@needs_lab
def test_the_old_primary_streams_again_without_operator_action(demo: tuple[PostgresDemoReport, str]) -> None:
    report, text = demo
    assert report.rejoined, text
    assert "without operator action" in report.rejoin_detail, text


@needs_lab
def test_switchover_back_loses_nothing_and_the_old_primary_follows(
        demo: tuple[PostgresDemoReport, str]) -> None:
    report, text = demo
    assert report.switchover_acked > 0 and report.switchover_lost == [], text
    assert report.switchover_s is not None and report.switchover_s < 60, text
    assert f"{report.promoted} streams from {report.primary}" in report.switchover_detail, text


@needs_lab
def test_redis_fails_over_with_the_primary_and_beanstalkd_follows(
        demo: tuple[PostgresDemoReport, str]) -> None:
    report, text = demo
    assert report.redis_master == report.primary, text  # it preferred the primary's node
    assert report.redis_promoted and report.redis_promoted != report.primary, text
    assert report.redis_acked > 0, text
    assert report.redis_downtime_s is not None and report.redis_downtime_s < 60, text
    # each acknowledged write is on some replica; the most advanced one was promoted
    assert report.redis_lost == [], text
    assert report.jobs_queued == 10 and report.jobs_after is not None, text
    assert "beanstalkd:" in text, text
