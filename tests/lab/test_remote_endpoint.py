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
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from vigil.lab import Lab
from vigil.lab.demo import cluster_status

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


def test_a_killed_endpoint_is_restarted(lab: Lab) -> None:
    wait("n1's endpoint answers", lambda: _get(lab, "n1", "/health")[0] == 200, timeout=60)
    pids = lab.exec("n1", ["pgrep", "-f", "-x", ".*python3 -m vigil.api.*"], timeout=10)
    first = [int(p) for p in pids.stdout.split()]
    assert len(first) == 1, pids.stdout
    lab.exec("n1", ["kill", "-KILL", str(first[0])], timeout=10)
    wait("n1's endpoint answers again, another process", lambda: _get(lab, "n1", "/health")[0] == 200
         and lab.exec("n1", ["pgrep", "-f", "-x", ".*python3 -m vigil.api.*"],
                      timeout=10).stdout.split() not in ([], [str(first[0])]), timeout=30)
