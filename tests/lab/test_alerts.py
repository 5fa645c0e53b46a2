"""Issue 14 in the lab: alerts on a real cluster, with Pacemaker's own sample agent.

Three vigild nodes on Corosync with the lab's fence device; an alert running Pacemaker's
alert_file.sh.sample (it appends a line per event to the file its recipient names). A resource
started is written by the node that started it; a node's power cut is written as the node lost
and as its fencing, by the nodes that saw it.

Needs root and the lab's tools; skipped with the reason otherwise. Every wait has a timeout and
the lab is always torn down.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.lab import Lab

from .service_support import requirements, status, three_fenced_nodes, vigil, wait, where

NODES = ("n1", "n2", "n3")
SAMPLE = Path("/usr/share/pacemaker/alerts/alert_file.sh.sample")
REASON = requirements() or (None if SAMPLE.exists() else f"needs {SAMPLE} (pacemaker)")
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    yield from three_fenced_nodes(f"a{os.getpid()}")


@pytest.fixture
def log() -> Iterator[Path]:
    """The recipient: a file every node sees (their /tmp is private, /var/tmp is the host's)."""
    where = Path(f"/var/tmp/vigil-alerts-test-{os.getpid()}")
    where.mkdir(exist_ok=True)
    path = where / "alerts.log"
    path.touch()
    try:
        yield path
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_alerts_with_pacemakers_sample_agent(lab: Lab, log: Path) -> None:
    vigil(lab, "n1", "alert", "create", f"path={SAMPLE}", "id=file", "meta", "timeout=10s")
    vigil(lab, "n2", "alert", "recipient", "add", "file", f"value={log}")
    vigil(lab, "n1", "resource", "create", "alerted", "ocf:pacemaker:Dummy",
          "op", "monitor", "interval=5s")
    wait("the start is alerted", lambda: "for 'alerted' on" in log.read_text()
         and ": ok" in log.read_text())
    host = where(lab, "n1", "alerted")
    start = next(ln for ln in log.read_text().splitlines()
                 if "Resource operation 'start' for 'alerted'" in ln)
    assert f"on '{host}': ok" in start

    victim = next(n for n in NODES if n != host)
    lab.power_off(victim)
    wait(f"{victim}'s loss and fencing are alerted", lambda: (
        f"Node '{victim}' is now 'lost'" in log.read_text()
        and f"Fencing Operation reboot of {victim}" in log.read_text()), timeout=60)
    lab.power_on(victim)
    wait(f"{victim} rejoins", lambda: all(
        n["online"] for n in status(lab, host)["nodes"]), timeout=90)
    wait(f"{victim}'s return is alerted", lambda: (
        f"Node '{victim}' is now 'member'" in log.read_text()), timeout=30)
