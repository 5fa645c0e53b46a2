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


def test_migration_threshold_failure_timeout_and_cleanup(lab: Lab) -> None:
    host = where(lab, "n1", "WebIP", "WebSite")
    vigil(lab, "n1", "constraint", "location", "web", "prefers", f"{host}=50")
    vigil(lab, "n1", "resource", "meta", "WebSite", "migration-threshold=2",
          "failure-timeout=20s")

    def failures() -> int:
        return sum(sum(r["fail_counts"].values()) for r in status(lab, "n1")["resources"]
                   if r["id"] == "WebSite")

    for count in (1, 2):
        lab.exec(host, ["pkill", "-f", "http.server 80"], timeout=10)
        wait(f"failure {count} is counted", lambda c=count: failures() >= c)  # type: ignore[misc]
        if count == 1:
            wait("the page answers again", lambda: page_ok(lab))
            assert where(lab, "n1", "WebIP", "WebSite") == host  # below the threshold: in place
    wait("two failures moved the group away", lambda: where(lab, "n1", "WebIP", "WebSite")
         != host)
    wait("the page answers from the new node", lambda: page_ok(lab))
    # failure-timeout: the failures expire, the ban lifts, the preferred node gets it back
    wait("the expired failures let the group come back", lambda: where(
        lab, "n1", "WebIP", "WebSite") == host, timeout=60)
    lab.exec(host, ["pkill", "-f", "http.server 80"], timeout=10)
    wait("a new failure is counted", lambda: failures() >= 1)
    vigil(lab, "n1", "resource", "cleanup", "WebSite")
    wait("cleanup reset the count", lambda: failures() == 0)
    vigil(lab, "n1", "resource", "meta", "WebSite", "migration-threshold=", "failure-timeout=")
    vigil(lab, "n1", "constraint", "remove", f"location-web-{host}-50")


FAILSTOP_DIR = "/usr/lib/ocf/resource.d/vigil-test"
FAILSTOP = """#!/bin/sh
# A Dummy-like OCF agent for vigil's lab tests: its stop fails while /run/failstop exists.
: ${OCF_ROOT=/usr/lib/ocf}
STATE=/run/failstop-agent.state
case "$1" in
  meta-data) cat <<'XML'
<?xml version="1.0"?>
<resource-agent name="FailStop" version="1.0">
  <version>1.0</version>
  <shortdesc lang="en">A resource whose stop can be made to fail</shortdesc>
  <longdesc lang="en">Test agent: stop fails while /run/failstop exists.</longdesc>
  <parameters/>
  <actions>
    <action name="start" timeout="20s"/><action name="stop" timeout="20s"/>
    <action name="monitor" timeout="20s" interval="10s"/><action name="meta-data" timeout="5s"/>
  </actions>
</resource-agent>
XML
    exit 0;;
  start) touch "$STATE"; exit 0;;
  stop) [ -e /run/failstop ] && exit 1; rm -f "$STATE"; exit 0;;
  monitor) [ -e "$STATE" ] && exit 0; exit 7;;
  validate-all) exit 0;;
  *) exit 3;;
esac
"""


@pytest.fixture
def failstop_agent() -> Iterator[str]:
    os.makedirs(FAILSTOP_DIR, exist_ok=True)
    path = os.path.join(FAILSTOP_DIR, "FailStop")
    with open(path, "w", encoding="utf-8") as f:
        f.write(FAILSTOP)
    os.chmod(path, 0o755)
    try:
        yield "ocf:vigil-test:FailStop"
    finally:
        os.unlink(path)
        os.rmdir(FAILSTOP_DIR)


def test_failed_stop_escalates_to_fencing(lab: Lab, failstop_agent: str) -> None:
    vigil(lab, "n1", "resource", "create", "Sticky", failstop_agent, "op", "monitor",
          "interval=10s")
    wait("Sticky runs", lambda: len(status(lab, "n1")["resources"]) > 0 and any(
        r["id"] == "Sticky" and r["nodes"] for r in status(lab, "n1")["resources"]))
    host = where(lab, "n1", "Sticky")
    other = next(n for n in NODES if n != host)
    lab.exec(host, ["touch", "/run/failstop"], timeout=10)
    before = vigil(lab, other, "stonith", "history", "--output", "json").count('"target"')
    vigil(lab, other, "resource", "move", "Sticky", other)
    wait("the failed stop got its node fenced", lambda: vigil(
        lab, other, "stonith", "history", "--output", "json").count('"target"') > before)
    assert host in vigil(lab, other, "stonith", "history", "--output", "json")
    wait("Sticky recovered on the other node", lambda: where(lab, other, "Sticky") == other)
    vigil(lab, other, "resource", "delete", "Sticky")
    vigil(lab, other, "resource", "clear", "Sticky", check=False)
    wait("the fenced node is back", lambda: all(
        n["online"] for n in status(lab, other)["nodes"]), timeout=60)
