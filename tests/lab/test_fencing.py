"""Issue 4 in the lab: fencing through the lab's power switch, quorum, failure policies.

Three vigild nodes on Corosync with the fence device `fence_vigil_lab`; the seeds' web service
as one group. Every scenario checks the invariants of ARCHITECTURE.md while it runs: never two
powered-on nodes holding the VIP, the partition without quorum never runs the service.

Needs root and the lab's tools; skipped with the reason otherwise. Every wait has a timeout and
the lab is always torn down.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from vigil.lab import Lab

from .service_support import (
    configure_fencing,
    create_web_service,
    page_ok,
    requirements,
    status,
    vigil,
    vip_holders,
    wait,
    where,
)

NODES = ("n1", "n2", "n3")
REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=3, token_ms=1000, name=f"f{os.getpid()}", timeout=60)
    try:
        wait("vigild answers on every node", lambda: all(
            status(the_lab, n)["dc"] is not None for n in NODES))
        configure_fencing(the_lab, "n1")
        create_web_service(the_lab, "n1", group="web")
        wait("the page answers at the VIP", lambda: page_ok(the_lab))
        yield the_lab
    finally:
        the_lab.down(purge=True)


def sample_until(lab: Lab, done: float, checks: list[str]) -> int:
    """Watch the VIP for `done` seconds; returns how many samples were taken."""
    samples = 0
    end = time.monotonic() + done
    while time.monotonic() < end:
        holders = vip_holders(lab)
        samples += 1
        assert len(holders) <= 1, f"two nodes hold the VIP at once: {holders}"
        checks.append(",".join(holders))
    return samples


def test_partition_fences_the_lone_node_and_moves_the_group(lab: Lab) -> None:
    host = where(lab, "n1", "WebIP", "WebSite")
    majority = [n for n in NODES if n != host]
    lab.partition([majority, [host]])
    seen: list[str] = []
    samples = sample_until(lab, 8.0, seen)
    wait("the majority runs the group", lambda: where(lab, majority[0], "WebIP", "WebSite")
         in majority)
    wait("the page answers from the majority", lambda: page_ok(lab))
    sample_until(lab, 2.0, seen)
    history = vigil(lab, majority[0], "stonith", "history", "--output", "json")
    assert host in history and '"ok": true' in history.replace("True", "true")
    assert samples > 5
    lab.heal()
    wait("the fenced node rejoins", lambda: len(status(lab, majority[0])["nodes"]) == 3 and all(
        n["online"] for n in status(lab, majority[0])["nodes"]), timeout=60)


def test_migration_threshold_moves_and_cleanup_resets(lab: Lab) -> None:
    vigil(lab, "n1", "resource", "meta", "WebSite", "migration-threshold=2")
    host = where(lab, "n1", "WebIP", "WebSite")
    for count in (1, 2):
        if where(lab, "n1", "WebIP", "WebSite") != host:
            break
        lab.exec(host, ["pkill", "-f", "http.server 80"], timeout=10)
        wait(f"failure {count} is counted", lambda c=count: any(  # type: ignore[misc]
            r["id"] == "WebSite" and sum(r["fail_counts"].values()) >= c
            for r in status(lab, "n1")["resources"]))
        wait("the page answers again", lambda: page_ok(lab))
    wait("two failures moved the group away", lambda: where(lab, "n1", "WebIP", "WebSite")
         != host)
    vigil(lab, "n1", "resource", "cleanup", "WebSite")
    wait("cleanup reset the count", lambda: all(
        not r["fail_counts"] for r in status(lab, "n1")["resources"] if r["id"] == "WebSite"))
    vigil(lab, "n1", "resource", "meta", "WebSite", "migration-threshold=")
