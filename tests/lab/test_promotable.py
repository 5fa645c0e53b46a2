"""Issue 10 in the lab: a promotable clone of the real ocf:pacemaker:Stateful agent, unchanged.

Three vigild nodes on Corosync with the lab's fence device. The agent keeps its role in a state
file in the node's private /run (`Promoted` or `Unpromoted`) and sets its promotion score through
vigil's `crm_attribute --promotion`. The tests read that state file on every powered-on node: the
world as it is, not as vigil reports it; vigil's own view (status) is checked against it.

Scenarios: promotion and the status lines; `resource move --promoted`; standby of the promoted
node; a failed promoted monitor (rc 9, the agent's test hook) recovered per on-fail; the promoted
node powered off -> fenced, another instance promoted, the old node back unpromoted. Every wait
has a timeout and the lab is always torn down. Needs root; skipped with the reason otherwise.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest

from vigil.lab import Lab

from .service_support import (
    STATEFUL_STATE,
    agent_roles,
    configure_fencing,
    create_stateful,
    promoted_holders,
    requirements,
    status,
    vigil,
    wait,
)

NODES = ("n1", "n2", "n3")
REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def settled(lab: Lab, *, online: int = 3) -> str:
    """The one promoted node once exactly one is promoted and every other online node runs the
    agent unpromoted; raises AssertionError while that is not so."""
    roles = agent_roles(lab)
    on = sorted(n for n, r in roles.items() if r == "Promoted")
    assert len(on) == 1, f"promoted: {on} ({roles})"
    assert sum(1 for r in roles.values() if r == "Unpromoted") == online - 1, roles
    return on[0]


def wait_settled(lab: Lab, what: str, *, online: int = 3, timeout: float = 60.0) -> str:
    wait(what, lambda: bool(settled(lab, online=online)), timeout=timeout)
    return settled(lab, online=online)


def watch(lab: Lab, seconds: float) -> int:
    """Sample the agents for `seconds`: never two promoted instances (promoted-max 1)."""
    samples, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        on = promoted_holders(lab)
        assert len(on) <= 1, f"two promoted instances at once: {on}"
        samples += 1
    return samples


def db_failures(lab: Lab) -> int:
    """The failures counted against the clone's instances (JSON status: each instance, db:N,
    carries the fail-counts of its node)."""
    return max((sum(r["fail_counts"].values()) for r in status(lab, "n1")["resources"]
                if r["id"] == "db" or r["id"].startswith("db:")), default=0)


def instance_nodes(lab: Lab, node: str, role: str) -> list[str]:
    """The nodes vigil's status gives the clone's instances in `role` (JSON)."""
    data = status(lab, node)
    out = []
    for r in data["resources"]:
        if r["id"] != "db-clone":  # the clone lists its instances
            continue
        for inst in r.get("instances", []):
            if inst.get("role") == role and inst.get("node"):
                out.append(inst["node"])
    return sorted(out)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=3, token_ms=1000, name=f"p{os.getpid()}", timeout=60)
    try:
        wait("vigild answers on every node", lambda: all(
            status(the_lab, n)["dc"] is not None for n in NODES))
        configure_fencing(the_lab, "n1")
        create_stateful(the_lab, "n1")
        wait_settled(the_lab, "one instance is promoted, two unpromoted")
        yield the_lab
    finally:
        the_lab.down(purge=True)


def test_status_shows_the_roles_and_the_promotion_scores(lab: Lab) -> None:
    host = settled(lab)
    others = sorted(n for n in NODES if n != host)
    text = vigil(lab, "n1", "status")
    assert f"Promoted: [ {host} ]" in text, text
    assert f"Unpromoted: [ {' '.join(others)} ]" in text, text
    wait("the JSON gives each instance's role and node", lambda: (
        instance_nodes(lab, "n1", "Promoted") == [host]
        and instance_nodes(lab, "n1", "Unpromoted") == others))
    full = vigil(lab, "n1", "status", "--full")
    # the agent's own scores (Stateful: 10 promoted, 5 unpromoted), set through vigil's tools
    assert "master-db" in full, full


def test_explain_on_the_live_cluster_says_why_this_node_is_promoted(lab: Lab) -> None:
    host = settled(lab)
    asker = next(n for n in NODES if n != host)  # any member answers for the whole cluster
    data = json.loads(vigil(lab, asker, "explain", "db-clone", "--output", "json"))
    verdicts = {v["node"]: v for v in data["promotion"]}
    assert sorted(verdicts) == sorted(NODES), data["promotion"]
    assert [n for n, v in verdicts.items() if v["promoted_next"]] == [host], verdicts
    # the agent's own scores (Stateful: 10 where promoted, 5 elsewhere) rank the nodes
    assert all(verdicts[host]["score"] > v["score"] for n, v in verdicts.items() if n != host)
    first = vigil(lab, asker, "explain", "db").splitlines()[0]
    assert first.startswith("db-clone (promotable clone) runs on ") and (
        first.endswith(f"promoted on {host}.")), first


def test_move_promoted_then_clear(lab: Lab) -> None:
    host = settled(lab)
    target = next(n for n in NODES if n != host)
    vigil(lab, "n1", "resource", "move", "db-clone", target, "--promoted")
    wait("the promotion moved", lambda: promoted_holders(lab) == [target])
    watch(lab, 2.0)
    wait_settled(lab, "the others run unpromoted")
    vigil(lab, "n1", "resource", "clear", "db-clone")
    watch(lab, 3.0)
    settled(lab)


def test_standby_of_the_promoted_node(lab: Lab) -> None:
    host = settled(lab)
    vigil(lab, "n1", "node", "standby", host)
    wait("another node is promoted and the standby node runs nothing", lambda: (
        len(promoted_holders(lab)) == 1 and promoted_holders(lab)[0] != host
        and agent_roles(lab)[host] == "Stopped"))
    watch(lab, 2.0)
    vigil(lab, "n1", "node", "unstandby", host)
    wait("the node is back, unpromoted", lambda: agent_roles(lab)[host] == "Unpromoted")
    wait_settled(lab, "one promoted again")


def test_failed_promoted_monitor_is_recovered(lab: Lab) -> None:
    host = settled(lab)
    # Stateful's test hook: its monitor exits with the code in <state>.rc (9: failed promoted)
    lab.exec(host, ["sh", "-c", f"echo 9 > {STATEFUL_STATE}.rc"], timeout=10)

    wait("the failure is counted", lambda: db_failures(lab) >= 1)
    lab.exec(host, ["rm", "-f", f"{STATEFUL_STATE}.rc"], timeout=10)
    watch(lab, 2.0)
    wait_settled(lab, "recovered: one promoted, two unpromoted")
    vigil(lab, "n1", "resource", "cleanup", "db")
    wait("cleanup reset the count", lambda: db_failures(lab) == 0)


def test_promoted_node_powered_off_is_fenced_and_another_promoted(lab: Lab) -> None:
    host = settled(lab)
    lab.power_off(host)
    wait("another instance is promoted", lambda: len(promoted_holders(lab)) == 1, timeout=60)
    watch(lab, 2.0)
    new = promoted_holders(lab)[0]
    assert new != host
    history = vigil(lab, new, "stonith", "history", "--output", "json")
    assert host in history, history
    lab.power_on(host)
    wait("the old node rejoins", lambda: all(
        n["online"] for n in status(lab, new)["nodes"]), timeout=90)
    wait("it comes back unpromoted", lambda: agent_roles(lab).get(host) == "Unpromoted",
         timeout=60)
    assert promoted_holders(lab) == [new]


@pytest.fixture
def two_nodes() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=2, token_ms=1000, name=f"q{os.getpid()}", timeout=60)
    try:
        yield the_lab
    finally:
        the_lab.down(purge=True)


def test_two_nodes_the_survivor_is_promoted(two_nodes: Lab) -> None:
    lab = two_nodes
    wait("vigild answers on both nodes", lambda: all(
        status(lab, n)["dc"] is not None for n in ("n1", "n2")))
    configure_fencing(lab, "n1", "pcmk_delay_max=4s")
    create_stateful(lab, "n1")
    host = wait_settled(lab, "one promoted, one unpromoted", online=2)
    survivor = next(n for n in ("n1", "n2") if n != host)
    lab.power_off(host)
    wait("the survivor is promoted", lambda: promoted_holders(lab) == [survivor], timeout=60)
    history = vigil(lab, survivor, "stonith", "history", "--output", "json")
    assert host in history, history
    lab.power_on(host)
    wait("the old node comes back unpromoted", lambda: agent_roles(lab).get(host) == "Unpromoted",
         timeout=90)
    watch(lab, 2.0)
    assert promoted_holders(lab) == [survivor]
