"""Issue 14 in the lab: tickets on a real cluster.

Three vigild nodes on Corosync with the lab's fence device; the seeds' web service as one group,
then made to need ticket T. Not granted, it stops; granted, it starts; in standby, it stops;
active again, it starts; revoked with loss-policy=fence, the node that ran it is fenced and the
service stays down until the ticket is granted again.

Needs root and the lab's tools; skipped with the reason otherwise. Every wait has a timeout and
the lab is always torn down.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from vigil.lab import Lab

from .service_support import (
    create_web_service,
    page_ok,
    placement,
    requirements,
    status,
    three_fenced_nodes,
    vigil,
    wait,
    where,
)

NODES = ("n1", "n2", "n3")
REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    yield from three_fenced_nodes(f"t{os.getpid()}")


def stopped(lab: Lab, node: str) -> bool:
    p = placement(lab, node)
    return not p.get("WebIP") and not p.get("WebSite")


def ticket_state(lab: Lab, node: str) -> dict[str, object]:
    found = json.loads(vigil(lab, node, "ticket", "list", "--output", "json"))
    return next(t for t in found if t["ticket"] == "T")


def test_a_ticket_starts_stops_and_fences(lab: Lab) -> None:
    create_web_service(lab, "n1", group="web")
    wait("the page answers", lambda: page_ok(lab))
    vigil(lab, "n1", "constraint", "ticket", "add", "T", "web", "id=web-needs-T")
    wait("the group stops: it needs T, not granted", lambda: stopped(lab, "n2"))
    why = vigil(lab, "n3", "explain", "WebIP")
    assert "'vigil ticket grant T'" in why

    vigil(lab, "n2", "ticket", "grant", "T")
    wait("the page answers once T is granted", lambda: page_ok(lab))
    assert all(ticket_state(lab, n)["granted"] for n in NODES)  # every replica alike

    vigil(lab, "n3", "ticket", "standby", "T")
    wait("the group stops while T is in standby", lambda: stopped(lab, "n1"))
    vigil(lab, "n1", "ticket", "activate", "T")
    wait("the page answers again", lambda: page_ok(lab))
    host = where(lab, "n1", "WebIP", "WebSite")

    other = next(n for n in NODES if n != host)
    vigil(lab, other, "constraint", "ticket", "remove", "web-needs-T")
    vigil(lab, other, "constraint", "ticket", "add", "T", "web", "loss-policy=fence")
    refused = vigil(lab, other, "ticket", "revoke", "T", check=False)
    assert refused == "" and page_ok(lab)  # refused without --force: nothing changed
    assert ticket_state(lab, other)["granted"]
    vigil(lab, other, "ticket", "revoke", "T", "--force")
    wait(f"{host} is fenced for losing the ticket", lambda: host in vigil(
        lab, other, "stonith", "history", "--output", "json"), timeout=60)
    wait("the group stays stopped", lambda: stopped(lab, other))
    wait(f"{host} rejoins after its reboot", lambda: all(
        n["online"] for n in status(lab, other)["nodes"]), timeout=90)
    assert stopped(lab, other) and not page_ok(lab)
    vigil(lab, other, "ticket", "grant", "T")
    wait("the page answers after the new grant", lambda: page_ok(lab))
