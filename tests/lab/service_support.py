"""What the lab's service tests share: running the CLI inside nodes, the web service, waits."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from vigil.lab import Lab, hostops
from vigil.lab.demo import cluster_status
from vigil.lab.errors import LabError

VIP = "10.213.0.100"
STATEFUL_STATE = "/run/Stateful-db.state"  # ocf:pacemaker:Stateful's role for resource db:
#   HA_VARRUN/Stateful-<resource>.state with the clone suffix cut, in each node's private /run
URL = f"http://{VIP}/"
WAIT_S = 45.0


def requirements() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, bridges, mounts)"
    missing = hostops.missing_tools([*hostops.REQUIRED_TOOLS, "curl"])
    if missing:
        return f"the lab needs {', '.join(missing)} (bash scripts/install.sh installs them)"
    if not os.path.exists("/usr/lib/ocf/resource.d/heartbeat/IPaddr2"):
        return "resource-agents is not installed (bash scripts/install.sh installs it)"
    return None


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


def wait(what: str, predicate: Callable[[], bool], timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (AssertionError, ValueError, KeyError):
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")


def create_web_service(lab: Lab, node: str = "n1", *, group: str | None = None) -> None:
    """The seeds' service: a floating IP and a web server (python's http.server, with the
    `anything` agent), colocated and ordered (seed 002), or as one group (seed 000)."""
    grp = ["--group", group] if group else []
    vigil(lab, node, "resource", "create", "WebIP", "ocf:heartbeat:IPaddr2", f"ip={VIP}",
          "cidr_netmask=24", "nic=eth0", "op", "monitor", "interval=5s", *grp)
    vigil(lab, node, "resource", "create", "WebSite", "ocf:heartbeat:anything",
          "binfile=/usr/bin/python3",
          f"cmdline_options=-m http.server 80 --bind {VIP} --directory /etc",
          "op", "monitor", "interval=1s", *grp)
    if group is None:
        vigil(lab, node, "constraint", "colocation", "add", "WebSite", "with", "WebIP",
              "INFINITY")
        vigil(lab, node, "constraint", "order", "WebIP", "then", "WebSite")


def configure_fencing(lab: Lab, node: str = "n1", *extra: str) -> None:
    lab.configure_fencing(node, extra=extra)


def vip_holders(lab: Lab) -> list[str]:
    """Powered-on nodes that have the VIP configured (a powered-off node's namespace may keep a
    stale address, but its switch ports are down: it cannot answer)."""
    out = []
    for n in lab.status().nodes:
        if n.power != "on":
            continue
        try:
            proc = lab.exec(n.name, ["ip", "-br", "addr", "show", "eth0"], timeout=10)
        except LabError:
            continue  # powered off in the meantime
        if VIP in proc.stdout:
            out.append(n.name)
    return out


def where(lab: Lab, node: str, *resources: str) -> str:
    p = placement(lab, node)
    places = {p[r] for r in resources}
    assert len(places) == 1, f"{resources} are on {places}"
    place = places.pop()
    assert len(place) == 1, f"{resources} on {place}"
    return place[0]


def create_stateful(lab: Lab, node: str = "n1", *extra: str) -> None:
    """A promotable clone `db` (clone db-clone) of the real ocf:pacemaker:Stateful agent, one
    promoted instance, a monitor per role."""
    vigil(lab, node, "resource", "create", "db", "ocf:pacemaker:Stateful",
          "op", "monitor", "interval=3s", "role=Promoted", "timeout=20s",
          "monitor", "interval=4s", "role=Unpromoted", "timeout=20s",
          "promotable", "promoted-max=1", "promoted-node-max=1", *extra)


def agent_roles(lab: Lab) -> dict[str, str]:
    """Each powered-on node's role for `db` as the agent's state file says (absent: Stopped):
    the world as it is, not as vigil reports it."""
    roles: dict[str, str] = {}
    for n in lab.status().nodes:
        if n.power != "on":
            continue
        try:
            proc = lab.exec(n.name, ["cat", STATEFUL_STATE], timeout=10)
        except LabError:
            continue  # powered off in the meantime
        roles[n.name] = proc.stdout.strip() if proc.returncode == 0 else "Stopped"
    return roles


def promoted_holders(lab: Lab) -> list[str]:
    return sorted(n for n, role in agent_roles(lab).items() if role == "Promoted")


def three_vigil_nodes(name: str) -> Iterator[Lab]:
    """A fixture's body: three vigil nodes on Corosync (token 1000 ms), each vigild answering,
    yielded, then torn down whatever happened."""
    lab = Lab.up(nodes=3, token_ms=1000, name=name, timeout=60)
    try:
        wait("vigild answers on every node", lambda: all(
            cluster_status(lab, n, timeout=10)["dc"] is not None for n in ("n1", "n2", "n3")),
            timeout=90)
        yield lab
    finally:
        lab.down(purge=True)


def three_fenced_nodes(name: str) -> Iterator[Lab]:
    """`three_vigil_nodes` with the lab's fence device configured (from n1)."""
    nodes = three_vigil_nodes(name)
    lab = next(nodes)
    try:
        configure_fencing(lab, "n1")
        yield lab
    finally:
        nodes.close()  # tears the lab down


def endpoint_cert(lab: Lab, node: str) -> Path:
    """The node's remote endpoint certificate (made at its first start), as the host sees it."""
    return lab.node_dir(node) / "etc/vigil/remote/remote.crt"
