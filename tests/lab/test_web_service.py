"""Issue 3's scenario, for real: three nodes on Corosync running vigild, the seeds' VIP + web
service created with the CLI (colocated and ordered, as in seed 002), a page at the VIP from the
client namespace, the same status on every node, a killed web process brought back, standby
moving the service, and a full restart of every node losing no configuration.

Needs root and the lab's tools; skipped with the reason otherwise. Every wait has a timeout and
the lab is always torn down.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vigil.lab import Lab, hostops

NODES = ("n1", "n2", "n3")
VIP = "10.213.0.100"
URL = f"http://{VIP}/"
WAIT_S = 45.0


def _requirements() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, bridges, mounts)"
    missing = hostops.missing_tools([*hostops.REQUIRED_TOOLS, "curl"])
    if missing:
        return f"the lab needs {', '.join(missing)} (bash scripts/install.sh installs them)"
    if not os.path.exists("/usr/lib/ocf/resource.d/heartbeat/IPaddr2"):
        return "resource-agents is not installed (bash scripts/install.sh installs it)"
    return None


REASON = _requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=3, token_ms=1000, name=f"w{os.getpid()}", timeout=60)
    try:
        yield the_lab
    finally:
        the_lab.down(purge=True)


def vigil(lab: Lab, node: str, *args: str, check: bool = True) -> str:
    proc = lab.exec(node, [sys.executable, "-m", "vigil.cli.main", *args], timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"vigil {' '.join(args)} on {node}: rc={proc.returncode} "
                             f"{proc.stdout}{proc.stderr}")
    return str(proc.stdout)


def status(lab: Lab, node: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(vigil(lab, node, "status", "--output", "json"))
    return data


def placement(lab: Lab, node: str) -> dict[str, tuple[str, ...]]:
    return {r["id"]: tuple(r["nodes"]) for r in status(lab, node)["resources"]}


def page_ok(lab: Lab) -> bool:
    proc = lab.exec("client", ["curl", "-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}",
                               URL], timeout=10)
    return proc.stdout.strip() == "200"


def wait(lab: Lab, what: str, predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (AssertionError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")


def where(lab: Lab, node: str = "n1") -> str:
    p = placement(lab, node)
    ip, web = p["WebIP"], p["WebSite"]
    assert len(ip) == 1 and ip == web, f"WebIP on {ip}, WebSite on {web}"
    return ip[0]


def test_1_seed_002_service_answers_at_the_vip(lab: Lab) -> None:
    wait(lab, "vigild answers on every node",
         lambda: all(status(lab, n)["dc"] == "n1" for n in NODES))
    vigil(lab, "n1", "property", "set", "stonith-enabled=false")
    vigil(lab, "n1", "resource", "create", "WebIP", "ocf:heartbeat:IPaddr2", f"ip={VIP}",
          "cidr_netmask=24", "nic=eth0", "op", "monitor", "interval=5s")
    vigil(lab, "n1", "resource", "create", "WebSite", "ocf:heartbeat:anything",
          "binfile=/usr/bin/python3",
          f"cmdline_options=-m http.server 80 --bind {VIP} --directory /etc",
          "op", "monitor", "interval=1s")
    vigil(lab, "n1", "constraint", "colocation", "add", "WebSite", "with", "WebIP", "INFINITY")
    vigil(lab, "n1", "constraint", "order", "WebIP", "then", "WebSite")
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
