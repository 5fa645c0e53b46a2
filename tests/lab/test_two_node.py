"""Two nodes with two_node (and so wait_for_all): cut the link between them and exactly one
survives and runs the service; pcmk_delay_max breaks the fence race. Needs root; skipped with the
reason otherwise; the lab is always torn down."""

from __future__ import annotations

import os
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
)

REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture
def lab() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=2, token_ms=1000, name=f"d{os.getpid()}", timeout=60)
    try:
        yield the_lab
    finally:
        the_lab.down(purge=True)


def test_cut_link_leaves_exactly_one_node_running_the_service(lab: Lab) -> None:
    wait("vigild answers on both nodes", lambda: all(
        status(lab, n)["dc"] is not None for n in ("n1", "n2")))
    flags = lab.exec("n1", ["corosync-quorumtool", "-s"], timeout=10).stdout
    assert "2Node" in flags and "WaitForAll" in flags  # written by the lab's corosync.conf
    configure_fencing(lab, "n1", "pcmk_delay_max=4s")
    vigil(lab, "n1", "property", "set", "stonith-action=off")
    create_web_service(lab, "n1", group="web")
    wait("the page answers at the VIP", lambda: page_ok(lab))
    lab.partition([["n1"], ["n2"]])
    wait("one node powered the other off", lambda: sum(
        1 for n in lab.status().nodes if n.power == "on") == 1, timeout=60)
    survivor = next(n.name for n in lab.status().nodes if n.power == "on")
    lab.heal()  # the switch is whole again; the fenced node stays off (stonith-action=off)
    wait("the survivor runs the service", lambda: vip_holders(lab) == [survivor], timeout=60)
    wait("the page answers from the survivor", lambda: page_ok(lab), timeout=60)
    assert sum(1 for n in lab.status().nodes if n.power == "on") == 1
