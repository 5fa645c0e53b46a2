"""A quorum device for real: two nodes, corosync-qnetd (ffsplit) in the lab's client namespace,
corosync-qdevice in each node (`Lab.up(..., qdevice="ffsplit")`).

- both nodes are quorate on 3 expected votes, the device's vote counted, the device connected;
- qnetd stopped: both stay quorate on 2 of 3 votes; started again: its vote is back;
- the nodes cut off from each other (both knet links; each keeps its path to qnetd): exactly one
  side keeps quorum (ffsplit's tie-breaker: the lowest node id), the other loses it; healed: both
  quorate again;
- a node powered off: its corosync-qdevice dies with it, and the other node stays quorate on its
  own vote plus the device's;
- with the seeds' web service and the lab's fencing, the service ends on the quorate side only.

Needs root and corosync-qnetd/corosync-qdevice; skipped with the reason otherwise; bounded by
timeouts; the lab is always torn down.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vigil.lab import Lab, hostops, qnetd

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


def _requirements() -> str | None:
    reason = requirements()
    if reason is None and hostops.missing_tools(qnetd.TOOLS):
        missing = ", ".join(hostops.missing_tools(qnetd.TOOLS))
        reason = f"the quorum device needs {missing} (bash scripts/install.sh installs them)"
    return reason


REASON = _requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

NODES = ("n1", "n2")


@pytest.fixture
def lab() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=2, token_ms=1000, name=f"q{os.getpid()}", timeout=60, qdevice="ffsplit")
    try:
        yield the_lab
    finally:
        the_lab.down(purge=True)


def quorum(lab: Lab, node: str) -> dict[str, Any]:
    """`vigil quorum status --output json` inside the node."""
    data: dict[str, Any] = json.loads(vigil(lab, node, "quorum", "status", "--output", "json"))
    return data


def device(lab: Lab, node: str) -> dict[str, Any]:
    """`vigil quorum device status --output json` inside the node."""
    data: dict[str, Any] = json.loads(vigil(lab, node, "quorum", "device", "status", "--output", "json"))
    return data


def votes(lab: Lab, node: str) -> tuple[bool, int | None, int | None]:
    """(quorate, total votes, expected votes) of the node's Corosync; (False, None, None) when it
    does not answer."""
    view = lab.quorum_view(node)
    return (False, None, None) if view is None else (view.quorate, view.total_votes, view.expected_votes)


def all_votes(lab: Lab, total: int) -> bool:
    return all(votes(lab, n) == (True, total, 3) for n in NODES)


def test_quorum_device_vote_qnetd_loss_and_tie_break(lab: Lab) -> None:
    # (a) three expected votes, the device's counted on both nodes, the device connected
    wait("both nodes count the device's vote", lambda: all_votes(lab, 3), timeout=30)
    for node in NODES:
        q = quorum(lab, node)
        assert q["quorate"] and q["expected_votes"] == 3 and q["total_votes"] == 3, q
        assert "Qdevice" in q["flags"] and q["device_votes"] == 1, q
        assert not q["two_node"], q  # votequorum refuses two_node with a device
        assert all(m["qdevice"] == "A,V,NMW" for m in q["members"]), q["members"]  # alive, voting
        d = device(lab, node)
        assert d["connected"] and d["algorithm"] == "Fifty-Fifty split", d
        assert d["qnetd_host"] == "10.213.0.50:5403", d
    clients = lab.qnetd_tool(["-l"]).stdout
    assert "Node ID 1" in clients and "Node ID 2" in clients, clients

    # (b) qnetd gone: 2 of 3 votes on each node, still quorate, for a while
    assert lab.qnetd_stop()
    wait("both nodes drop the device's vote", lambda: all_votes(lab, 2), timeout=30)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        assert all_votes(lab, 2), {n: votes(lab, n) for n in NODES}
        time.sleep(0.3)
    assert not device(lab, "n1")["connected"]
    lab.qnetd_start()
    wait("the device's vote is back", lambda: all_votes(lab, 3), timeout=30)
    wait("the device is connected again", lambda: all(device(lab, n)["connected"] for n in NODES),
         timeout=30)

    # (c) the nodes cut off from each other, both still reaching qnetd: ffsplit gives the
    # device's vote to one side only (tie-breaker: lowest node id, so n1)
    cut = time.monotonic()
    lab.isolate(NODES)
    survivor_lost_quorum = False
    split = None
    while time.monotonic() - cut < 40:
        v1, v2 = lab.quorum_view("n1"), lab.quorum_view("n2")
        survivor_lost_quorum |= v1 is not None and not v1.quorate
        if v1 and v2 and v1.members == (1,) and v2.members == (2,):
            split = (v1, v2)
            if v1.quorate != v2.quorate:
                break
        time.sleep(0.1)
    else:
        raise AssertionError(f"no split with one quorate side within 40 s: {split}")
    seen_after = time.monotonic() - cut
    sys.stderr.write(f"\nqdevice: split seen {seen_after:.2f} s after the cut; n1 quorate throughout: "
                     f"{not survivor_lost_quorum}\n")
    # stable: the winner keeps it (its own vote + the device's), the loser stays without
    for _ in range(10):
        assert votes(lab, "n1") == (True, 2, 3) and votes(lab, "n2") == (False, 1, 3), \
            {n: votes(lab, n) for n in NODES}
        time.sleep(0.3)
    lab.heal()
    wait("both quorate on 3 votes after the heal", lambda: all_votes(lab, 3), timeout=30)

    # (d) n2 powered off: its qdevice dies with it; n1 keeps quorum with the device's vote
    qdevices = [(pid, hostops.proc_starttime(pid)) for pid in lab.pids("n2")
                if _comm(pid) == "corosync-qdevic"]  # comm is cut at 15 characters
    assert qdevices  # the node init's corosync-qdevice -f (and its heuristics worker)
    lab.power_off("n2")
    assert not any(hostops.is_alive(pid, start) for pid, start in qdevices)
    wait("n1 alone is quorate on its vote and the device's", lambda: votes(lab, "n1") == (True, 2, 3),
         timeout=30)


def _conf(lab: Lab, node: str) -> str:
    return lab.exec(node, ["cat", "/etc/corosync/corosync.conf"], timeout=10).stdout


def _nssdb(lab: Lab, node: str) -> bool:
    return lab.exec(node, ["test", "-f", "/etc/corosync/qdevice/net/nssdb/cert9.db"],
                    timeout=10).returncode == 0


def _add(lab: Lab, *options: str) -> subprocess.CompletedProcess[str]:
    return lab.exec("n1", [sys.executable, "-m", "vigil.cli.main", "quorum", "device", "add",
                           "model", "net", *options], timeout=60)


def test_device_set_up_removed_and_added_through_the_endpoints(lab: Lab) -> None:
    # the lab added the device as pcs users do: `vigil host auth` of the qnetd host and `vigil
    # quorum device add model net host=...` in n1 (CA fetched, the cluster's certificate signed
    # by the qnetd host's endpoint, every node's database, corosync.conf, corosync-qdevice)
    wait("both nodes count the device's vote", lambda: all_votes(lab, 3), timeout=30)
    for node in NODES:
        assert "host: 10.213.0.50" in _conf(lab, node) and _nssdb(lab, node)
    wait("every node's init supervises its corosync-qdevice (adopted)", lambda: all(
        lab.node_status(n).qdevice == "running" for n in NODES), timeout=15)

    # a node stopped and started: the device's vote keeps the other quorate, so the stop is
    # allowed; the start brings corosync-qdevice back with Corosync
    out = vigil(lab, "n2", "cluster", "stop")
    assert "corosync: stopped" in out or "corosync" in out, out
    wait("n1 quorate on its vote and the device's", lambda: votes(lab, "n1") == (True, 2, 3),
         timeout=30)
    out = vigil(lab, "n2", "cluster", "start", "--wait=60")
    assert "corosync-qdevice: started" in out, out
    wait("the device's vote counted on both again", lambda: all_votes(lab, 3), timeout=30)

    # refused, nothing changed: a device already there
    before = {n: _conf(lab, n) for n in NODES}
    bad = _add(lab, "host=10.213.0.50", "algorithm=lms")
    assert bad.returncode != 0 and "already configured" in bad.stderr, bad
    assert {n: _conf(lab, n) for n in NODES} == before

    # removed from every node: corosync-qdevice stopped, corosync.conf without the device
    # (two_node back), the certificates gone
    vigil(lab, "n1", "quorum", "device", "remove")
    for node in NODES:
        conf = _conf(lab, node)
        assert "device" not in conf and "two_node: 1" in conf, conf
        assert not _nssdb(lab, node)
    wait("two votes of two expected, no device", lambda: all(
        votes(lab, n) == (True, 2, 2) for n in NODES), timeout=30)
    wait("corosync-qdevice stopped, not restarted", lambda: all(
        lab.node_status(n).qdevice == "stopped" for n in NODES), timeout=15)

    # refused, nothing changed: a qnetd host this node has no token for
    before = {n: _conf(lab, n) for n in NODES}
    bad = _add(lab, "host=10.213.0.99", "algorithm=ffsplit")
    assert bad.returncode != 0 and "10.213.0.99" in bad.stderr and "host auth" in bad.stderr, bad
    assert {n: _conf(lab, n) for n in NODES} == before and not _nssdb(lab, "n1")

    # added again with the other algorithm: every node votes through it at once
    vigil(lab, "n1", "quorum", "device", "add", "model", "net", "host=10.213.0.50",
          "algorithm=lms", "port=5403")
    wait("the device's vote back on both", lambda: all_votes(lab, 3), timeout=30)
    for node in NODES:
        d = device(lab, node)
        assert d["connected"] and d["algorithm"] == "LMS", d


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def test_web_service_ends_on_the_quorate_side(lab: Lab) -> None:
    wait("vigild answers on both nodes", lambda: all(status(lab, n)["dc"] is not None for n in NODES))
    configure_fencing(lab, "n1")
    vigil(lab, "n1", "property", "set", "stonith-action=off")
    create_web_service(lab, "n1", group="web")
    # on n2 first: the side that loses the tie must give it up
    vigil(lab, "n1", "constraint", "location", "web", "prefers", "n2=50")
    wait("the service runs on n2", lambda: vip_holders(lab) == ["n2"] and page_ok(lab), timeout=60)
    lab.isolate(NODES)
    holders_seen: list[list[str]] = []

    def moved() -> bool:
        holders = vip_holders(lab)
        holders_seen.append(holders)  # checked below: `wait` retries on assertion errors
        return holders == ["n1"] and page_ok(lab)

    wait("the service runs on n1", moved, timeout=90)
    assert not any(len(h) > 1 for h in holders_seen), holders_seen
    assert [n.name for n in lab.status().nodes if n.power == "on"] == ["n1"]  # n2 fenced (off)
    assert votes(lab, "n1") == (True, 2, 3)
