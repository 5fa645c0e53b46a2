"""The commands of seeds 000 and 002, as operators type them with pcs, run with `vigil -f`."""
# ruff: noqa: E501  (the seeds' command lines are kept whole, as the blogs print them)

from __future__ import annotations

import shlex
from pathlib import Path

from cibs import Run, write_cib

from vigil.cib.io import load_cib_file
from vigil.commands import edit
from vigil.model.constraints import Colocation, Location, Order
from vigil.model.nvset import flatten
from vigil.model.resources import Group

NODE1 = "node1"
NODE2 = "node2"


def run_all(vigil: Run, path: Path, script: str) -> list[tuple[int, str, str]]:
    results = []
    for line in script.strip().splitlines():
        argv = shlex.split(line)
        assert argv[0] == "pcs"
        result = vigil("-f", str(path), *argv[1:])
        assert result[0] == 0, (line, result)
        results.append(result)
    return results


def starts(vigil: Run, path: Path) -> dict[str, str]:
    """What `vigil simulate -x` says it starts, and where."""
    code, out, err = vigil("simulate", "-x", str(path))
    assert code == 0, err
    summary = out.split("Transition Summary:")[1]
    found = {}
    for line in summary.splitlines():
        words = line.split()
        if words[:2] == ["*", "Start"]:
            found[words[2]] = words[4]
    return found


SEED_002 = """
pcs property set stonith-enabled=false
pcs resource create WebIP ocf:heartbeat:IPaddr2 ip=192.168.1.240 cidr_netmask=24 op moniter interval=30s
pcs property set no-quorum-policy="ignore"
pcs resource rsc defaults resource-stickiness=100
pcs resource create webserver lsb:httpd
pcs constraint colocation add webserver WebIP INFINITY
pcs constraint order WebIP then webserver
pcs constraint location add webservce_on_node1 webserver node1 1000
"""


def test_seed_002_web_service(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    results = run_all(vigil, path, SEED_002)
    assert "'moniter' is not an action agents know" in results[1][2]
    cib = load_cib_file(path)[0]
    assert cib.cluster_option("no-quorum-policy") == "ignore"
    assert flatten(cib.configuration.rsc_defaults) == {"resource-stickiness": "100"}
    by_id = {c.id: c for c in cib.configuration.constraints}
    assert isinstance(by_id["colocation-webserver-WebIP-INFINITY"], Colocation)
    assert isinstance(by_id["order-WebIP-webserver-mandatory"], Order)
    assert isinstance(by_id["webservce_on_node1"], Location)
    # The read-only commands of the seed.
    for argv in (["cluster", "cib"], ["config"], ["status"], ["constraint", "order"],
                 ["resource", "standards"], ["resource", "providers"],
                 ["resource", "agents", "ocf:heartbeat"], ["resource", "describe", "IPaddr2"]):
        code, out, err = vigil("-f", str(path), *argv)
        assert code == 0, (argv, err)
        assert out
    code, out, _ = vigil("-f", str(path), "cluster", "cib")
    assert 'name="stonith-enabled" value="false"' in out
    code, out, _ = vigil("-f", str(path), "constraint", "order")
    assert out.splitlines() == ["Ordering Constraints:",
                                "  start WebIP then start webserver (kind:Mandatory)"]
    assert starts(vigil, path) == {"WebIP": NODE1, "webserver": NODE1}


SEED_000 = """
pcs stonith create fence_ipmi_node1 fence_ipmilan ipaddr=192.168.1.200 login=admin passwd=password pcmk_host_list=node1 op monitor interval=60s
pcs stonith create fence_ipmi_node2 fence_ipmilan ipaddr=192.168.1.201 login=admin passwd=password pcmk_host_list=node2 op monitor interval=60s
pcs Property set stonith-enabled=true
pcs resource create VirtualIP ocf:heartbeat:IPaddr2 ip=192.168.1.100 cidr_netmask=24 op monitor interval=10s
pcs resource create NginxService systemd:nginx op monitor interval=20s
pcs resource group add WebAppGroup VirtualIP NginxService
pcs constraint order VirtualIP then NginxService
pcs constraint colocation add NginxService with VirtualIP INFINITY
pcs status
pcs resource show NginxService
pcs resource cleanup NginxService
pcs property set no-quorum-policy=ignore
"""


def test_seed_000_web_app_group(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    run_all(vigil, path, SEED_000)
    cib = load_cib_file(path)[0]
    group = edit.find_resource(cib, "WebAppGroup")
    assert isinstance(group, Group)
    assert [m.id for m in group.members] == ["VirtualIP", "NginxService"]
    assert [p.agent for p in edit.primitives(cib)] == [
        "stonith:fence_ipmilan", "stonith:fence_ipmilan", "ocf:heartbeat:IPaddr2",
        "systemd:nginx"]
    assert cib.cluster_option("stonith-enabled") == "true"
    started = starts(vigil, path)
    assert started["VirtualIP"] == started["NginxService"]
    assert set(started) == {"fence_ipmi_node1", "fence_ipmi_node2", "VirtualIP",
                            "NginxService"}


def test_seed_002_web_server_follows_the_ip(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    script = "\n".join(line for line in SEED_002.strip().splitlines()
                       if "constraint location add" not in line)
    run_all(vigil, path, script)
    code, _, _ = vigil("-f", str(path), "constraint", "location", "WebIP", "prefers",
                       "node2=50")
    assert code == 0
    started = starts(vigil, path)
    assert started == {"WebIP": NODE2, "webserver": NODE2}
