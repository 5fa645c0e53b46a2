"""`vigil resource restart`, `vigil cluster stop` and `vigil cluster start` for real: three nodes
on Corosync running vigild, the seeds' web service (a VIP and a web server, colocated and
ordered, as tests/lab/test_web_service.py creates it), the page at the VIP from the client.

- restart: the web server is stopped and started again (a new start in the cluster's events)
  and the page answers again;
- cluster stop on the node running the service: the service moves first (the page answers from
  another node), then vigild and Corosync stop there (the node's init leaves them stopped);
- cluster start there: the node rejoins, a member of three again, ready to take resources.

The CLI runs inside the nodes (`lab.exec`), where there is no systemd: start and stop take their
direct path (corosync and `python3 -m vigil.daemon` by recorded PID). Needs root and the lab's
tools; skipped with the reason otherwise. Every wait has a timeout; the lab is always torn down.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vigil.lab import Lab

from .service_support import create_web_service, page_ok, requirements
from .service_support import wait as support_wait

NODES = ("n1", "n2", "n3")
WAIT_S = 60.0


REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.up(nodes=3, token_ms=1000, name=f"c{os.getpid()}", timeout=60) as the_lab:
        try:
            yield the_lab
        finally:
            the_lab.down(purge=True)


def run(lab: Lab, node: str, *args: str, timeout: float = 90) -> tuple[int, str, str]:
    proc = lab.exec(node, [sys.executable, "-m", "vigil.cli.main", *args], timeout=timeout)
    return proc.returncode, str(proc.stdout), str(proc.stderr)


def vigil(lab: Lab, node: str, *args: str, timeout: float = 90) -> str:
    code, out, err = run(lab, node, *args, timeout=timeout)
    if code != 0:
        raise AssertionError(f"vigil {' '.join(args)} on {node}: rc={code} {out}{err}")
    return out


def status(lab: Lab, node: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(vigil(lab, node, "status", "--output", "json"))
    return data


def online(lab: Lab, node: str) -> set[str]:
    return {n["name"] for n in status(lab, node)["nodes"] if n["online"] and not n["shutdown"]}


def placement(lab: Lab, node: str) -> dict[str, tuple[str, ...]]:
    return {r["id"]: tuple(r["nodes"]) for r in status(lab, node)["resources"]}


def where(lab: Lab, node: str) -> str:
    p = placement(lab, node)
    ip, web = p["WebIP"], p["WebSite"]
    assert len(ip) == 1 and ip == web, f"WebIP on {ip}, WebSite on {web}"
    return ip[0]


def wait(what: str, predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
    support_wait(what, predicate, timeout)


def init_state(lab: Lab, node: str, child: str) -> str | None:
    """What the node's init says of its `child` ("corosync" or "daemon")."""
    found = (lab.init_status(node) or {}).get(child)
    return str(found.get("state")) if isinstance(found, dict) else None


def actions(lab: Lab, node: str, resource: str, task: str) -> list[dict[str, Any]]:
    """The successful `task` actions on `resource` in `node`'s vigild event log."""
    text = lab.exec(node, ["cat", "/var/log/vigil/events.jsonl"], timeout=10).stdout
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [e for e in events if e.get("event") == "action" and e.get("resource") == resource
            and e.get("task") == task and e.get("rc") == 0 and not e.get("failed")]


def test_1_web_service_answers(lab: Lab) -> None:
    wait("vigild answers on every node", lambda: all(status(lab, n)["dc"] for n in NODES))
    vigil(lab, "n1", "property", "set", "stonith-enabled=false")
    create_web_service(lab, "n1")  # colocated and ordered, as in seed 002
    wait("the page answers at the VIP", lambda: page_ok(lab))
    assert where(lab, "n1") in NODES


def test_2_resource_restart(lab: Lab) -> None:
    host = where(lab, "n1")
    other = next(n for n in NODES if n != host)
    starts = len(actions(lab, other, "WebSite", "start"))
    stops = len(actions(lab, other, "WebSite", "stop"))
    out = run(lab, other, "resource", "restart", "WebSite", "--wait=60", timeout=150)
    assert out[0] == 0, out
    assert "WebSite restarted" in out[2]
    assert len(actions(lab, other, "WebSite", "stop")) > stops
    assert len(actions(lab, other, "WebSite", "start")) > starts  # a new start
    wait("the page answers after the restart", lambda: page_ok(lab))
    rsc = next(r for r in status(lab, "n1")["resources"] if r["id"] == "WebSite")
    assert rsc["target_role"] is None  # as it was before
    assert where(lab, "n1") == host  # restarted in place
    # offline (-f) it still needs a running cluster
    lab.exec("n1", ["sh", "-c", f"{sys.executable} -m vigil.cli.main cib > /tmp/cib.xml"],
             check=True)
    code, _, err = run(lab, "n1", "-f", "/tmp/cib.xml", "resource", "restart", "WebSite")
    assert code == 1 and "needs a running cluster" in err


def test_3_cluster_stop_moves_the_service_first(lab: Lab) -> None:
    host = where(lab, "n1")
    other = next(n for n in NODES if n != host)
    out = vigil(lab, host, "cluster", "stop", "--wait=90", timeout=180)
    assert f"moved off {host}: " in out and "WebSite" in out, out
    assert "vigild: stopped" in out and "corosync: stopped" in out, out
    # nothing ran on the node when it stopped: the service is elsewhere, the page answers
    wait("the service runs on another node", lambda: where(lab, other) != host)
    wait("the page answers from another node", lambda: page_ok(lab))
    wait(f"{host} is offline", lambda: online(lab, other) == set(NODES) - {host})
    # the node's init leaves the stopped daemons stopped (it restarts a failed one at once)
    time.sleep(2)
    assert init_state(lab, host, "daemon") == "stopped", lab.init_status(host)
    assert init_state(lab, host, "corosync") == "dead", lab.init_status(host)
    assert lab.members(other) == frozenset(NODES) - {host}
    code, _, err = run(lab, host, "status")
    assert code == 1 and "no running cluster" in err


def test_4_cluster_start_rejoins(lab: Lab) -> None:
    stopped = next(n for n in NODES if init_state(lab, n, "daemon") == "stopped")
    out = vigil(lab, stopped, "cluster", "start", "--wait=60", timeout=120)
    assert "corosync: started" in out and "vigild: started" in out, out
    assert f"{stopped} is online; members: n1, n2, n3" in out, out
    lab.wait_members(list(NODES), timeout=WAIT_S)
    for n in NODES:
        wait(f"{n} sees three members online", lambda n=n: online(lab, n) == set(NODES))
    # its shutdown request of the stop is gone: it can take resources again
    assert not any(n["shutdown"] for n in status(lab, "n1")["nodes"])
    # the node's init supervises what `cluster start` started
    wait("the init adopted corosync and vigild", lambda: (
        init_state(lab, stopped, "daemon") == "running"
        and init_state(lab, stopped, "corosync") == "running"))
    assert page_ok(lab)
