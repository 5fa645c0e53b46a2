"""The remote endpoint on real lab nodes (issue 12, its first part): every node's init starts
`python3 -m vigil.api` beside vigild; from the client's namespace, curl over HTTPS to each node's
address on port 2224, trusting only that node's own certificate (made at its first start, the
node's addresses in it): /health is 200 on a node of a quorate partition, /running/RSC is 200
only where RSC runs, /metrics has the cluster-wide series on the DC only and every node says
whether it is the DC; plain HTTP gets no answer; the endpoint killed is restarted by the node's
init. Needs root and curl; marked slow; the lab is torn down whatever happens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from vigil.host import tls
from vigil.lab import Lab
from vigil.lab.demo import cluster_status
from vigil.lab.lab import cluster_name

from .service_support import endpoint_cert, requirements, three_vigil_nodes, vigil, wait

NODES = ["n1", "n2", "n3"]
REASON = requirements()
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from three_vigil_nodes(f"rem{os.getpid()}")


def _addr(lab: Lab, node: str) -> str:
    return next(n.addrs[0] for n in lab.topology.nodes if n.name == node)


def _get(lab: Lab, node: str, path: str) -> tuple[int, str]:
    """GET https://<node>:2224<path> from the client, verifying the node's own certificate."""
    proc = lab.exec("client", ["curl", "-sS", "-m", "5", "--cacert", str(endpoint_cert(lab, node)), "-w",
                               "\n%{http_code}", f"https://{_addr(lab, node)}:2224{path}"],
                    timeout=15)
    body, _, code = proc.stdout.rpartition("\n")
    return int(code or 0), body


def test_health_checks_and_metrics_from_the_client(lab: Lab) -> None:
    wait("every node's endpoint answers /health with 200", lambda: all(
        _get(lab, n, "/health")[0] == 200 for n in NODES), timeout=60)
    code, body = _get(lab, "n2", "/health")
    assert json.loads(body)["node"] == "n2"

    # (no fence device in this lab: without this, nothing may start)
    vigil(lab, "n1", "property", "set", "stonith-enabled=false")
    vigil(lab, "n1", "resource", "create", "d1", "ocf:heartbeat:Dummy")
    codes: dict[str, int] = {}

    def placed() -> bool:
        # every node's own answer, from its own view: 200 on one, 503 on the others (a node
        # whose view has not caught up with the new resource yet says 404)
        codes.update({n: _get(lab, n, "/running/d1")[0] for n in NODES})
        return sorted(codes.values()) == [200, 503, 503]

    wait("d1 runs on exactly one node, as every node's /running/d1 says", placed, timeout=60)
    assert _get(lab, "n1", "/running/no-such-thing")[0] == 404

    dc = cluster_status(lab, "n1")["dc"]
    for node in NODES:
        code, text = _get(lab, node, "/metrics")
        assert code == 200, text
        fams = {f.name: f for f in text_string_to_metric_families(text)}
        is_dc = fams["ha_cluster_vigil_node_is_dc"].samples[0]
        assert is_dc.labels["node"] == node and is_dc.value == (1 if node == dc else 0)
        assert ("ha_cluster_pacemaker_nodes" in fams) == (node == dc), node
        if node == dc:
            online = {s.labels["node"] for s in fams["ha_cluster_pacemaker_nodes"].samples
                      if s.labels["status"] == "online" and s.value == 1}
            assert online == set(NODES)

    plain = lab.exec("client", ["curl", "-sS", "-m", "5", f"http://{_addr(lab, 'n1')}:2224/health"],
                     timeout=15)
    assert plain.returncode != 0, plain.stdout


def _scrape(lab: Lab, node: str) -> dict[str, object]:
    code, text = _get(lab, node, "/metrics")
    assert code == 200, text
    return {f.name: f for f in text_string_to_metric_families(text)}


def _recovered(lab: Lab, nodes: list[str], kind: str) -> tuple[float, float]:
    """(count, sum) of ha_cluster_vigil_recovery_seconds{kind} summed over `nodes`."""
    count = total = 0.0
    for node in nodes:
        fam = _scrape(lab, node)["ha_cluster_vigil_recovery_seconds"]
        for sample in fam.samples:  # type: ignore[attr-defined]
            if sample.labels.get("kind") != kind:
                continue
            if sample.name.endswith("_count"):
                count += sample.value
            elif sample.name.endswith("_sum"):
                total += sample.value
    return count, total


def test_a_node_lost_is_counted_as_recovered_once(lab: Lab) -> None:
    """The failover-time metric of the README's query: a node running a resource powered
    off; the sum over the surviving nodes of recovery_seconds{kind="node"} counts it once,
    with the time the cluster took to start the resource elsewhere."""
    vigil(lab, "n1", "property", "set", "stonith-enabled=false")
    vigil(lab, "n1", "resource", "create", "d1", "ocf:heartbeat:Dummy")
    where: list[str] = []

    def placed() -> bool:
        where[:] = [n for r in cluster_status(lab, "n1")["resources"] if r["id"] == "d1"
                    for n in r["nodes"]]
        return len(where) == 1

    wait("d1 runs", placed, timeout=60)
    victim = where[0]
    survivors = [n for n in NODES if n != victim]
    before, _ = _recovered(lab, survivors, "node")
    lab.power_off(victim)
    wait("d1 runs on a survivor", lambda: any(
        r["id"] == "d1" and r["nodes"] and r["nodes"][0] in survivors
        for r in cluster_status(lab, survivors[0])["resources"]), timeout=90)
    counted: list[tuple[float, float]] = []

    def recovered() -> bool:
        counted[:] = [_recovered(lab, survivors, "node")]
        return counted[0][0] >= before + 1

    wait("the recovery is counted", recovered, timeout=30)
    count, total = counted[0]
    assert count == before + 1  # once, whichever survivor was the DC
    assert 0 < total < 60, total
    transitions = sum(s.value for n in survivors
                      for s in _scrape(lab, n)["ha_cluster_vigil_transitions"].samples  # type: ignore[attr-defined]
                      if s.name == "ha_cluster_vigil_transitions_total")
    assert transitions >= 1  # its recovery (d1's first start was the victim's if it was the DC)


def test_a_killed_endpoint_is_restarted(lab: Lab) -> None:
    wait("n1's endpoint answers", lambda: _get(lab, "n1", "/health")[0] == 200, timeout=60)
    pids = lab.exec("n1", ["pgrep", "-f", "-x", ".*python3 -m vigil.api.*"], timeout=10)
    first = [int(p) for p in pids.stdout.split()]
    assert len(first) == 1, pids.stdout
    lab.exec("n1", ["kill", "-KILL", str(first[0])], timeout=10)
    wait("n1's endpoint answers again, another process", lambda: _get(lab, "n1", "/health")[0] == 200
         and lab.exec("n1", ["pgrep", "-f", "-x", ".*python3 -m vigil.api.*"],
                      timeout=10).stdout.split() not in ([], [str(first[0])]), timeout=30)


def _client_vigil(lab: Lab, known: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`vigil ARGS` from the client's namespace (no Corosync, no vigild there), with its own
    known-hosts file."""
    return lab.exec("client", ["env", f"VIGIL_KNOWN_HOSTS={known}", sys.executable, "-m",
                               "vigil.cli.main", *args], timeout=60)


def test_host_auth_then_host_runs_commands_from_outside_the_cluster(lab: Lab,
                                                                     tmp_path: Path) -> None:
    password = "lab-hacluster-password"
    for node in NODES:  # each node's own password file (the lab's nodes share /etc/shadow)
        vigil(lab, node, "host", "password", "-p", password)
    known = tmp_path / "known-hosts"
    wait("every endpoint answers", lambda: all(_get(lab, n, "/health")[0] == 200 for n in NODES),
         timeout=60)

    wrong = _client_vigil(lab, known, "host", "auth", "n1", f"addr={_addr(lab, 'n1')}",
                          "-u", "hacluster", "-p", "not-it")
    assert wrong.returncode == 1 and "refused user 'hacluster'" in wrong.stderr, wrong
    assert len(wrong.stderr.splitlines()) == 1 and not known.exists()

    targets = [w for n in NODES for w in (n, f"addr={_addr(lab, n)}")]
    auth = _client_vigil(lab, known, "host", "auth", *targets, "-u", "hacluster", "-p", password)
    assert auth.returncode == 0, auth
    for node in NODES:  # the fingerprint pinned is the one of the certificate the node made
        line = next(ln for ln in auth.stdout.splitlines() if ln.startswith(f"{node}: Authorized"))
        assert tls.fingerprint(endpoint_cert(lab, node)) in line

    # the whole day's commands, from a machine outside the cluster, through n2's endpoint
    for args in (("property", "set", "stonith-enabled=false"),
                 ("resource", "create", "d2", "ocf:heartbeat:Dummy")):
        done = _client_vigil(lab, known, "--host", "n2", *args)
        assert done.returncode == 0, done
    wait("d2 runs, as n3's own vigild says", lambda: any(
        r["id"] == "d2" and r["nodes"] for r in cluster_status(lab, "n3")["resources"]),
        timeout=60)
    shown = _client_vigil(lab, known, "--host", "n1", "status", "--output", "json")
    assert shown.returncode == 0, shown
    assert any(r["id"] == "d2" for r in json.loads(shown.stdout)["resources"])
    # the name Corosync runs under is in n1's files: n1's status document says it
    assert json.loads(shown.stdout)["cluster_name"] == cluster_name(lab.name)
    # who asked, in n2's endpoint log
    log = (lab.node_dir("n2") / "var/log/vigil/remote.stdio").read_text()
    assert any("control replace by hacluster from " in ln and ": done" in ln
               for ln in log.splitlines()), log

    refused = _client_vigil(lab, known, "--host", "n1", "cluster", "stop")
    assert refused.returncode == 2 and "--host is not supported by 'cluster'" in refused.stderr
    gone = _client_vigil(lab, known, "host", "deauth", "n3")
    assert gone.returncode == 0 and "token revoked there" in gone.stdout, gone
    after = _client_vigil(lab, known, "--host", "n3", "status")
    assert after.returncode == 1 and "vigil host auth n3" in after.stderr, after


@pytest.fixture
def bare_lab() -> Iterator[Lab]:
    """Three nodes booted with no cluster files: only their endpoints run."""
    lab = Lab.up(nodes=3, token_ms=1000, name=f"bare{os.getpid()}", timeout=60, set_up=False)
    try:
        yield lab
    finally:
        lab.down(purge=True)


def _n1(lab: Lab, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return lab.exec("n1", [sys.executable, "-m", "vigil.cli.main", *args], timeout=timeout)


def test_a_cluster_set_up_started_stopped_and_destroyed_from_one_node(bare_lab: Lab) -> None:
    lab, password = bare_lab, "bare-lab-password"
    for node in NODES:
        assert lab.init_status(node)["corosync"]["state"] == "unconfigured"  # type: ignore[index]
        vigil(lab, node, "host", "password", "-p", password)
    targets = [w for n in NODES for w in (n, f"addr={_addr(lab, n)}")]
    auth = _n1(lab, "host", "auth", *targets, "-p", password)
    assert auth.returncode == 0, auth

    specs = [f"{n}={_addr(lab, n)}" for n in NODES]
    setup = _n1(lab, "cluster", "setup", "bare", *specs, "--token", "1000", "--start", "--wait=90")
    assert setup.returncode == 0, setup
    for node in NODES:  # every node wrote the same files and started, as it says
        assert f"{node}: /etc/corosync/corosync.conf, /etc/corosync/authkey" in setup.stdout
        assert (lab.node_dir(node) / "etc/corosync/authkey").read_bytes() == \
            (lab.node_dir("n1") / "etc/corosync/authkey").read_bytes()
    wait("every node sees the three members online", lambda: all(
        sorted(n["name"] for n in cluster_status(lab, node)["nodes"] if n["online"]) == NODES
        for node in NODES), timeout=60)
    # the daemons `cluster start` started are the node init's now (reparented, supervised)
    wait("n2's init supervises corosync and vigild", lambda: all(
        lab.init_status("n2")[d]["state"] == "running" for d in ("corosync", "daemon")),  # type: ignore[index]
        timeout=30)

    again = _n1(lab, "cluster", "setup", "bare", *specs)
    assert again.returncode == 1 and "exists already" in again.stderr, again

    stop = _n1(lab, "cluster", "stop", "--all")
    assert stop.returncode == 0, stop
    for node in NODES:
        assert f"{node}: " in stop.stdout and "vigild, corosync stopped" in stop.stdout, stop.stdout
        assert lab.init_status(node)["corosync"]["state"] in ("dead", "stopped")  # type: ignore[index]

    start = _n1(lab, "cluster", "start", "--all", "--wait=90")
    assert start.returncode == 0, start
    # each node says it is online with the members it sees then (a node may be online before
    # the last one has joined: CI saw "n1: online, members: n1, n3"); then all see all three
    for node in NODES:
        assert f"{node}: corosync, vigild started; online, members:" in start.stdout, start
    wait("every node sees three online", lambda: all(
        _online(lab, n) == sorted(NODES) for n in NODES), timeout=60)

    destroy = _n1(lab, "cluster", "destroy", "--all", "--force")
    assert destroy.returncode == 0, destroy
    for node in NODES:
        assert not (lab.node_dir(node) / "etc/corosync/corosync.conf").exists()
        assert lab.init_status(node)["corosync"]["state"] in ("dead", "stopped")  # type: ignore[index]
    # the endpoints stay: the nodes can be set up again
    assert all(lab.endpoint_running(n) for n in NODES)


@pytest.fixture
def bare_four() -> Iterator[Lab]:
    lab = Lab.up(nodes=4, token_ms=1000, name=f"four{os.getpid()}", timeout=60, set_up=False)
    try:
        yield lab
    finally:
        lab.down(purge=True)


def _online(lab: Lab, node: str) -> list[str]:
    return sorted(n["name"] for n in cluster_status(lab, node)["nodes"] if n["online"])


def test_a_node_added_to_and_removed_from_a_running_cluster(bare_four: Lab) -> None:
    lab, password = bare_four, "four-password"
    four = [*NODES, "n4"]
    for node in four:
        vigil(lab, node, "host", "password", "-p", password)
    auth = _n1(lab, "host", "auth", *[w for n in four for w in (n, f"addr={_addr(lab, n)}")],
               "-p", password)
    assert auth.returncode == 0, auth
    setup = _n1(lab, "cluster", "setup", "four", *[f"{n}={_addr(lab, n)}" for n in NODES],
                "--token", "1000", "--start", "--wait=90")
    assert setup.returncode == 0, setup
    vigil(lab, "n1", "property", "set", "stonith-enabled=false")
    vigil(lab, "n1", "resource", "create", "d1", "ocf:heartbeat:Dummy")

    added = _n1(lab, "cluster", "node", "add", "n4", f"addr={_addr(lab, 'n4')}", "--start",
                "--wait=90")
    assert added.returncode == 0, added
    assert "Corosync reloaded on every member" in added.stdout
    # n4's init may have started vigild before the start asked it to: either is said
    assert any(f"n4: corosync{how}; online, members: n1, n2, n3, n4" in added.stdout
               for how in (", vigild started", " started; vigild already running")), added
    wait("every node sees four online", lambda: all(_online(lab, n) == four for n in four),
         timeout=60)
    conf = (lab.node_dir("n2") / "etc/corosync/corosync.conf").read_text()
    assert "name: n4" in conf and "nodeid: 4" in conf
    assert _n1(lab, "cluster", "node", "add", "n4").returncode == 2  # already a node

    removed = _n1(lab, "cluster", "node", "remove", "n4")
    assert removed.returncode == 0, removed
    assert not (lab.node_dir("n4") / "etc/corosync/corosync.conf").exists()
    assert "name: n4" not in (lab.node_dir("n3") / "etc/corosync/corosync.conf").read_text()
    wait("the three see three members, d1 still running", lambda: all(
        sorted(lab.members(n)) == NODES for n in NODES) and any(
        r["id"] == "d1" and r["nodes"] for r in cluster_status(lab, "n2")["resources"]),
        timeout=60)
    # and the cluster forgot it: no offline n4 left in any node's status
    assert all(sorted(n["name"] for n in cluster_status(lab, node)["nodes"]) == NODES
               for node in NODES)
    refused = _n1(lab, "cluster", "node", "remove", "n1")
    assert refused.returncode == 2 and "remove it from another node" in refused.stderr
