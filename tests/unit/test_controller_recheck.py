"""When the DC plans again with nothing new (controller.planning.recheck_in): at the next
failure expiry (failure-timeout after the last failure), else at cluster-recheck-interval.

The database chaos run found a clone's failures never expiring in time: they are recorded under
the primitive's id while the clone's instances are allocated as db:0, db:1, ..., so no expiry
was found and the failed node waited for the 15-minute recheck."""

from __future__ import annotations

from pathlib import Path

from vigil.cib.io import load_cib_file
from vigil.controller.planning import failure_expiries, recheck_in
from vigil.scheduler.engine import schedule

CIB = Path(__file__).with_name("data") / "clone-start-failed.xml"
FAILED_AT = 1_700_000_000  # last-failure-db#start_0 on n1 in the file; failure-timeout is 30s


def test_a_clone_instances_failure_expires_after_its_failure_timeout() -> None:
    cib, _ = load_cib_file(CIB)
    now = FAILED_AT + 10
    transition = schedule(cib, now)
    assert failure_expiries(cib, transition) == [FAILED_AT + 30]
    assert recheck_in(cib, transition, now) == 21  # the expiry, plus one second
