"""A real Prometheus (Debian's `prometheus` package) in the lab's client namespace scrapes every
node's remote endpoint over HTTPS, each with that node's own certificate as its CA, every
second; the test reads the series back through Prometheus's own query API: every target up,
exactly one node says it is the DC, and the cluster-wide series count each node once (the DC
alone exports them). Needs root, curl and prometheus; marked slow; the lab and the Prometheus
process (the test's own, stopped by its PID) are torn down whatever happens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vigil.lab import Lab
from vigil.lab.demo import cluster_status

from .service_support import endpoint_cert, requirements, three_vigil_nodes, wait

NODES = ["n1", "n2", "n3"]
REASON = requirements() or (None if shutil.which("prometheus") else
                            "prometheus is not installed (bash scripts/install.sh installs it)")
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]
LISTEN = "127.0.0.1:9090"  # inside the client's network namespace: nothing else can reach it


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from three_vigil_nodes(f"prm{os.getpid()}")


def _config(lab: Lab, path: Path) -> None:
    jobs = []
    for n in lab.topology.nodes:
        cert = endpoint_cert(lab, n.name)
        jobs.append(f"""  - job_name: vigil-{n.name}
    scheme: https
    tls_config:
      ca_file: {cert}
    static_configs:
      - targets: ['{n.addrs[0]}:2224']
        labels:
          instance_node: {n.name}
""")
    path.write_text("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                    + "".join(jobs))


def _query(lab: Lab, expr: str) -> list[dict[str, Any]]:
    url = f"http://{LISTEN}/api/v1/query?query={urllib.parse.quote(expr)}"
    proc = lab.exec("client", ["curl", "-sS", "-m", "5", url], timeout=15)
    answer = json.loads(proc.stdout)
    assert answer["status"] == "success", proc.stdout
    result: list[dict[str, Any]] = answer["data"]["result"]
    return result


def _value(lab: Lab, expr: str) -> float | None:
    result = _query(lab, expr)
    return float(result[0]["value"][1]) if result else None


def test_prometheus_scrapes_every_node_and_counts_each_once(lab: Lab, tmp_path: Path) -> None:
    wait("every node's certificate is made", lambda: all(
        endpoint_cert(lab, n).exists() for n in NODES), timeout=60)
    config = tmp_path / "prometheus.yml"
    _config(lab, config)
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen(lab.exec_argv("client", [
        "prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address={LISTEN}"]), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait("Prometheus answers and scrapes all three nodes",
             lambda: _value(lab, "count(up == 1)") == 3, timeout=90)
        wait("the series have come in", lambda: _value(
            lab, "count(ha_cluster_vigil_node_is_dc)") == 3, timeout=30)
        assert _value(lab, "sum(ha_cluster_vigil_node_is_dc)") == 1
        dc = cluster_status(lab, "n1")["dc"]
        is_dc = _query(lab, "ha_cluster_vigil_node_is_dc == 1")
        assert [r["metric"]["instance_node"] for r in is_dc] == [dc]
        # one line per node and status, from the DC alone: three nodes online, counted once
        assert _value(lab, 'count(ha_cluster_pacemaker_nodes{status="online"} == 1)') == 3
        assert _value(lab, "sum(ha_cluster_vigil_scrape_success)") == 3
        assert _value(lab, "max(ha_cluster_corosync_quorate)") == 1
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
