"""Issue 3's scenario, for real: three nodes on Corosync running vigild, the seeds' VIP + web
service created with the CLI (colocated and ordered, as in seed 002), a page at the VIP from the
client namespace, the same status on every node, a killed web process brought back, standby
moving the service, and a full restart of every node losing no configuration.

Needs root and the lab's tools; skipped with the reason otherwise. Every wait has a timeout and
the lab is always torn down.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from vigil.lab import Lab

from .service_support import (
    WAIT_S,
    create_web_service,
    page_ok,
    placement,
    requirements,
    status,
    vigil,
)
from .service_support import wait as _wait
from .service_support import where as support_where

NODES = ("n1", "n2", "n3")
REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=3, token_ms=1000, name=f"w{os.getpid()}", timeout=60)
    try:
        yield the_lab
    finally:
        the_lab.down(purge=True)


def wait(lab: Lab, what: str, predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
    _wait(what, predicate, timeout)


def where(lab: Lab, node: str = "n1") -> str:
    return support_where(lab, node, "WebIP", "WebSite")


def test_1_seed_002_service_answers_at_the_vip(lab: Lab) -> None:
    wait(lab, "vigild answers on every node",
         lambda: all(status(lab, n)["dc"] == "n1" for n in NODES))
    vigil(lab, "n1", "property", "set", "stonith-enabled=false")
    create_web_service(lab, "n1")
    wait(lab, "the page answers at the VIP", lambda: page_ok(lab))
    host = where(lab)
    # every node tells the same truth
    views = [placement(lab, n) for n in NODES]
    assert views[0] == views[1] == views[2]
    assert {status(lab, n)["dc"] for n in NODES} == {"n1"}
    assert host in NODES


def test_2_killed_web_process_comes_back(lab: Lab) -> None:
    host = where(lab)
    killed = lab.exec(host, ["pkill", "-f", "http.server 80"], timeout=10)
    assert killed.returncode == 0
    wait(lab, "the failure is noticed and counted", lambda: any(
        r["fail_counts"] for r in status(lab, "n2")["resources"] if r["id"] == "WebSite"))
    wait(lab, "the page answers again", lambda: page_ok(lab))
    assert where(lab) == host  # recovered in place (migration-threshold not reached)


def test_3_standby_moves_the_service(lab: Lab) -> None:
    host = where(lab)
    vigil(lab, "n2", "node", "standby", host)
    wait(lab, "the service left the standby node", lambda: where(lab) != host)
    wait(lab, "the page answers from the new node", lambda: page_ok(lab))
    vigil(lab, "n2", "node", "unstandby", host)


def test_4_full_restart_keeps_the_configuration(lab: Lab) -> None:
    before = vigil(lab, "n3", "config")
    for n in NODES:
        lab.power_off(n)
    for n in NODES:
        lab.power_on(n)
    lab.wait_members(list(NODES), timeout=WAIT_S)
    wait(lab, "vigild is back on every node",
         lambda: all(status(lab, n)["dc"] is not None for n in NODES))
    after = vigil(lab, "n3", "config")
    assert after == before
    wait(lab, "the page answers after the restart", lambda: page_ok(lab))
