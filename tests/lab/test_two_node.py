"""Two nodes with two_node (and so wait_for_all): cut the link between them and exactly one
survives and runs the service. priority-fencing-delay decides the fence race: the node that runs
the service (priority 10) is shot last, so it is the survivor and the service never moves.
pcmk_delay_max alone (a random delay on each side) leaves a small chance that both shoot within
the same moment and both go off, which a test (and an operator) must not depend on. Needs root;
skipped with the reason otherwise; the lab is always torn down."""

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


def powered(lab: Lab) -> list[str]:
    return [n.name for n in lab.status().nodes if n.power == "on"]


def fencing_events(lab: Lab) -> str:
    """Each node's fencing events, for the message of a failed wait."""
    lines = []
    for node in ("n1", "n2"):
        path = lab.node_dir(node) / "var/log/vigil/events.jsonl"
        text = path.read_text() if path.exists() else ""
        lines += [f"{node}: {row}" for row in text.splitlines() if '"fencing' in row]
    return "\n".join(lines)


def test_cut_link_leaves_exactly_one_node_running_the_service(lab: Lab) -> None:
    wait("vigild answers on both nodes", lambda: all(
        status(lab, n)["dc"] is not None for n in ("n1", "n2")))
    flags = lab.exec("n1", ["corosync-quorumtool", "-s"], timeout=10).stdout
    assert "2Node" in flags and "WaitForAll" in flags  # written by the lab's corosync.conf
    configure_fencing(lab, "n1", "pcmk_delay_max=2s")
    vigil(lab, "n1", "property", "set", "stonith-action=off", "priority-fencing-delay=5s")
    create_web_service(lab, "n1", group="web")
    vigil(lab, "n1", "resource", "meta", "web", "priority=10")
    wait("the page answers", lambda: page_ok(lab), timeout=60)
    [host] = vip_holders(lab)
    lab.partition([["n1"], ["n2"]])
    try:
        wait("one node powered the other off", lambda: len(powered(lab)) == 1, timeout=60)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; powered on: {powered(lab)}\n{fencing_events(lab)}") from None
    assert powered(lab) == [host], fencing_events(lab)  # the service's node won the race
    lab.heal()  # the switch is whole again; the fenced node stays off (stonith-action=off)
    wait("the survivor runs the service", lambda: vip_holders(lab) == [host], timeout=60)
    wait("the page answers from the survivor", lambda: page_ok(lab), timeout=60)
    assert powered(lab) == [host]
