"""The Patroni anchor of bench/database_failover.py (`--stack patroni`), end to end on a small
scale: Patroni 3.0.2 + etcd 3.4 on 3 lab nodes with the tuned timings (--token 1000), one
switchover and one kill of the primary's postmaster while the client writes. No acknowledged
commit may be lost (synchronous_mode), the client writes again, the old primary streams again
or is the primary again by itself. The lab is torn down whatever happens.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.lab.lab import Lab
from vigil.lab.patroni import requirements

from .service_support import requirements as lab_requirements

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import database_failover as bench  # noqa: E402
from db_patroni import PatroniStack  # noqa: E402

REASON = lab_requirements() or requirements()
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]
NAME = "tpatroni"


@pytest.fixture(scope="module")
def stack() -> Iterator[PatroniStack]:
    Lab.down_by_name(NAME, graceful=False)
    s = PatroniStack(1000, NAME)
    try:
        s.up()
        yield s
    finally:
        s.down()


@pytest.mark.parametrize("fault", ["switchover", "kill"])
def test_fault_loses_no_acknowledged_commit(stack: PatroniStack, fault: str) -> None:
    r = bench.one_run(stack, fault, 1, 1000, random.Random(1))
    assert r.acked > 20
    assert r.downtime_s is not None, bench.describe(r)
    assert r.lost == 0, bench.describe(r)
    assert r.rejoined, bench.describe(r)
