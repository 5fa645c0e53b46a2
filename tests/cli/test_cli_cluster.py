"""`vigil cluster setup|start|stop|destroy` and `resource restart` on the command line: exit
codes, one-line errors, bundles written only when everything is right. Only `--out` bundles in
temporary directories are written: nothing here touches this machine's cluster."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cibs import DUMMY, Run, write_cib

NODES = ["n1=10.213.0.11,10.213.2.11", "n2=10.213.0.12,10.213.2.12"]


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def test_setup_out_writes_a_bundle_per_node(vigil: Run, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, stdout, err = vigil("cluster", "setup", "web", *NODES, "--token", "1000", "--out",
                              str(out))
    assert code == 0 and err == ""
    for node in ("n1", "n2"):
        conf = (out / node / "etc/corosync/corosync.conf").read_text()
        assert "\ttwo_node: 1\n" in conf and "\ttoken: 1000\n" in conf
        key = out / node / "etc/corosync/authkey"
        assert stat.S_IMODE(key.stat().st_mode) == 0o400
        assert json.loads((out / node / "etc/vigil/cluster.json").read_text())["cluster_name"] == "web"
    assert (out / "README.txt").exists()
    assert "not authenticated here" in stdout and f"tar -C {out}/n2 -cpf - etc" in stdout
    assert "vigil cluster start" in stdout


def test_setup_json(vigil: Run, tmp_path: Path) -> None:
    code, stdout, _ = vigil("cluster", "setup", "web", "n1", "n2", "n3", "--out",
                            str(tmp_path / "b"), "--output", "json")
    data = json.loads(stdout)
    assert code == 0 and data["cluster_name"] == "web"
    assert [n["addrs"] for n in data["nodes"]] == [["n1"], ["n2"], ["n3"]]
    assert len(data["files"]) == 3 * 3 + 1 and data["copy_to"] == ["n1", "n2", "n3"]


@pytest.mark.parametrize("argv", [
    ["cluster", "setup", "bad name", "n1"],
    ["cluster", "setup", "web", "n1", "n1"],
    ["cluster", "setup", "web", "n1=10.0.0.1,10.0.1.1,10.0.2.1"],
    ["cluster", "setup", "web", "n1=10.0.0.1", "n2=10.0.0.1"],
    ["cluster", "setup", "web", "n1=300.0.0.1"],
    ["cluster", "setup", "web", "n1=", "n2"],
    ["cluster", "setup", "web", "n1", "--token", "soon"],
    ["cluster", "setup", "web", "n1", "--token", "1"],
    ["cluster", "setup", "web"],
    ["cluster", "setup", "web", "n1", "--frobnicate"],
])
def test_bad_setup_is_one_line_exit_2_and_writes_nothing(vigil: Run, tmp_path: Path,
                                                         argv: list[str]) -> None:
    out = tmp_path / "bundle"
    code, stdout, err = vigil(*argv, "--out", str(out))
    assert code == 2 and stdout == ""
    one_line_error(err)
    assert not out.exists()


def test_setup_refuses_an_existing_bundle(vigil: Run, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    assert vigil("cluster", "setup", "web", *NODES, "--out", str(out))[0] == 0
    key = (out / "n1/etc/corosync/authkey").read_bytes()
    code, _, err = vigil("cluster", "setup", "web", *NODES[:1], "--out", str(out))
    assert code == 1
    assert one_line_error(err).endswith("exists already: nothing written (it may describe a "
                                        "cluster in use) (use --force to override)")
    assert (out / "n1/etc/corosync/authkey").read_bytes() == key
    assert vigil("cluster", "setup", "web", *NODES[:1], "--out", str(out), "--force")[0] == 0
    assert (out / "n1/etc/corosync/authkey").read_bytes() != key


@pytest.mark.parametrize("command", ["start", "stop", "destroy", "enable", "disable"])
def test_nodes_not_authenticated_are_named(vigil: Run, command: str, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_KNOWN_HOSTS", str(tmp_path / "known-hosts"))
    code, _, err = vigil("cluster", command, "n1", "n2")
    assert code == 1
    assert "no token for n1, n2: run 'vigil host auth n1 n2' first" in one_line_error(err)


@pytest.mark.parametrize("argv", [
    ["cluster", "start", "--wait=soon", "--all"],
    ["cluster", "stop", "n1", "--all"],
    ["cluster", "start", "n1", "n1"],
    ["cluster", "setup", "c", "n1", "--start", "--out", "d"],
    ["cluster", "start", "-f", "cib.xml"],
    ["cluster", "reboot"],
])
def test_cluster_usage_errors(vigil: Run, argv: list[str]) -> None:
    code, _, err = vigil(*argv)
    assert code == 2
    one_line_error(err)


def test_cluster_help_lists_the_commands(vigil: Run) -> None:
    code, stdout, _ = vigil("cluster", "--help")
    assert code == 0
    for word in ("setup NAME NODE[=ADDR[,ADDR2]]", "start [NODE...|--all] [--wait[=SECONDS]]",
                 "destroy", "enable", "disable", "vigil host auth"):
        assert word in stdout


def test_restart_offline_and_bad_waits(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A"))
    code, _, err = vigil("-f", str(path), "resource", "restart", "A", "--wait=30")
    assert code == 1 and "needs a running cluster" in one_line_error(err)
    code, _, err = vigil("-f", str(path), "resource", "restart", "A", "--wait=later")
    assert code == 2 and "--wait takes a number of seconds" in one_line_error(err)
    code, _, err = vigil("-f", str(path), "resource", "restart", "A", "node1", "node2")
    assert code == 2 and "unexpected 'node2'" in one_line_error(err)
    code, _, err = vigil("resource", "restart", "A")  # no cluster here: the socket is a temp path
    assert code == 1 and "no running cluster" in one_line_error(err)


def test_setup_takes_pcs_s_node_addresses_transport_and_totem(vigil: Run, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, _, err = vigil("cluster", "setup", "web", "n1", "addr=10.213.0.11", "addr=10.213.2.11",
                         "n2", "addr=10.213.0.12", "addr=10.213.2.12", "--out", str(out),
                         "transport", "knet", "link", "linknumber=0", "ping_interval=250",
                         "ping_timeout=500", "link", "ping_interval=250", "ping_timeout=500",
                         "totem", "token=1000", "token_coefficient=0")
    assert code == 0, err
    conf = (out / "n2/etc/corosync/corosync.conf").read_text()
    for line in ("\ttoken: 1000\n", "\ttoken_coefficient: 0\n", "\t\tknet_ping_interval: 250\n",
                 "\t\tknet_ping_timeout: 500\n", "\t\tring1_addr: 10.213.2.12\n"):
        assert line in conf, line


@pytest.mark.parametrize("tail, says", [
    (["totem", "join=50"], "'join=50' is not supported"),
    (["quorum", "wait_for_all=1"], "'quorum' options are not supported"),
    (["transport", "knet", "link", "ping_interval=250"], "ping_interval= and ping_timeout="),
    (["transport", "knet", "link", "ping_interval=250", "ping_timeout=500", "link",
      "ping_interval=300", "ping_timeout=500"], "the same on every link"),
    (["totem", "token=soon"], "takes milliseconds"),
    (["totem", "token=1000", "--token", "1000"], "give the token once"),
])
def test_setup_options_vigil_does_not_write_are_refused(vigil: Run, tmp_path: Path,
                                                        tail: list[str], says: str) -> None:
    code, _, err = vigil("cluster", "setup", "web", "n1", "--out", str(tmp_path / "b"), *tail)
    assert code == 2 and says in one_line_error(err), err
    assert not (tmp_path / "b").exists()


def test_setup_refuses_both_address_forms_for_one_node(vigil: Run, tmp_path: Path) -> None:
    code, _, err = vigil("cluster", "setup", "web", "n1=10.213.0.11", "addr=10.213.2.11",
                         "--out", str(tmp_path / "b"))
    assert code == 2 and "not both" in one_line_error(err)
