"""`vigil cluster config [show]` (corosync.conf as pcs shows it), `vigil status qdevice` and
`vigil status pcsd [NODE]...` (each node's endpoint), with their refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cibs import Run

CONF = """totem {
    version: 2
    cluster_name: web
    transport: knet
    token: 3000
    interface {
        linknumber: 0
        knet_ping_interval: 500
    }
}
nodelist {
    node {
        ring0_addr: 10.0.0.11
        ring1_addr: 10.1.0.11
        name: n1
        nodeid: 1
    }
    node {
        ring0_addr: 10.0.0.12
        name: n2
        nodeid: 2
    }
}
quorum {
    provider: corosync_votequorum
    device {
        model: net
        votes: 1
        net {
            host: qnetd
            algorithm: ffsplit
        }
    }
}
"""


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "corosync.conf"
    path.write_text(CONF)
    return path


def test_cluster_config_shows_corosync_conf_as_pcs_does(vigil: Run, conf: Path) -> None:
    code, out, err = vigil("cluster", "config", "show", "--corosync_conf", str(conf))
    assert code == 0, err
    assert out.splitlines()[:7] == ["Cluster Name: web", "Transport: knet", "Nodes:", "  n1:",
                                    "    Link 0 address: 10.0.0.11",
                                    "    Link 1 address: 10.1.0.11", "    nodeid: 1"]
    for line in ("Link Options (link 0):", "  knet_ping_interval: 500", "Totem Options:",
                 "  token: 3000", "Quorum Device:", "    host: qnetd", "    algorithm: ffsplit"):
        assert line in out.splitlines(), line
    code, out, _ = vigil("cluster", "config", "--corosync_conf", str(conf), "--output", "json")
    data = json.loads(out)
    assert data["cluster_name"] == "web" and [n["name"] for n in data["nodes"]] == ["n1", "n2"]
    assert data["device"]["host"] == "qnetd"


def test_cluster_config_refusals(vigil: Run, conf: Path, tmp_path: Path) -> None:
    code, out, err = vigil("cluster", "config", "--corosync_conf", str(tmp_path / "none"))
    assert code == 1 and not out and len(err.splitlines()) == 1 and "none" in err
    code, _, err = vigil("cluster", "config", "list", "--corosync_conf", str(conf))
    assert code == 2 and "list" in err
    code, _, err = vigil("-f", str(tmp_path / "cib.xml"), "cluster", "config")
    assert code == 2 and "not a CIB" in err


def test_status_pcsd_says_each_node_it_cannot_ask(vigil: Run, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_KNOWN_HOSTS", str(tmp_path / "known-hosts"))
    code, out, _ = vigil("status", "pcsd", "n1", "n2")
    assert code == 1
    assert out.splitlines() == ["Endpoint (pcsd) status:",
                                "  n1: Not authenticated here (vigil host auth NODE)",
                                "  n2: Not authenticated here (vigil host auth NODE)"]
    code, out, _ = vigil("status", "pcsd", "n1", "--output", "json")
    assert json.loads(out)["endpoints"] == [{"node": "n1", "state": "not-authenticated",
                                             "detail": ""}]


def test_status_qdevice_is_the_device_status(vigil: Run) -> None:
    code, _, err = vigil("status", "qdevice", "extra")
    assert code == 2 and "extra" in err
