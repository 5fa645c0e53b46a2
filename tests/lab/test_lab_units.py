"""The lab's pure parts: names, addresses, partition plans, corosync-quorumtool parsing, CLI usage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vigil.cli.main import main
from vigil.lab import fence_vigil_lab, hostops, nodeinit, probe, qnetd, topology
from vigil.lab import lab as lab_module

QUORUMTOOL = """\
Quorum information
------------------
Date:             Wed Nov 25 08:06:38 2026
Quorum provider:  corosync_votequorum
Nodes:            2
Node ID:          1
Ring ID:          1.d
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   3
Highest expected: 3
Total votes:      2
Quorum:           2
Flags:            Quorate

Membership information
----------------------
    Nodeid      Votes    Qdevice Name
         1          1         NR n1 (local)
         3          1         NR n3
"""


def test_names_and_addresses() -> None:
    topo = topology.build("lab", 3)
    assert topo.switch_netns == "vl-lab-sw"
    assert topo.bridges == ("vl-br0", "vl-br1")
    n2 = topo.host("n2")
    assert (n2.netns, n2.addrs, n2.ports, n2.nodeid) == (
        "vl-lab-n2", ("10.213.0.12", "10.213.2.12"), ("vl-n2-l0", "vl-n2-l1"), 2)
    assert topo.client.addrs == ("10.213.0.50",) and topo.client.ports == ("vl-client-l0",)
    assert topo.client.is_client and not n2.is_client
    big = topology.build("x", topology.MAX_NODES)
    names = [p for h in (*big.nodes, big.client) for p in (h.netns, *h.ports)]
    assert all(n.startswith("vl-") for n in names)
    assert max(len(p) for h in big.nodes for p in h.ports) <= 15  # IFNAMSIZ
    assert all(int(h.addrs[0].rsplit(".", 1)[1]) < 50 for h in big.nodes)


@pytest.mark.parametrize("name", ["", "UPPER", "with-dash", "a" * 13])
def test_bad_lab_names(name: str) -> None:
    assert topology.check_lab_name(name) is not None
    with pytest.raises(ValueError):
        topology.build(name, 3)


@pytest.mark.parametrize("count", [0, topology.MAX_NODES + 1])
def test_bad_node_counts(count: int) -> None:
    assert topology.check_node_count(count) is not None


def test_partition_plan() -> None:
    topo = topology.build("lab", 5)
    assert topology.plan_partition(topo, [["n1", "n2"], ["n3"]]) == {
        "n1": 0, "n2": 0, "n3": 1, "n4": 0, "n5": 0, "client": 0}
    # the group that names the client keeps the main bridges
    assert topology.plan_partition(topo, [["n1"], ["n2", "client"], ["n3", "n4", "n5"]]) == {
        "n1": 1, "n2": 0, "client": 0, "n3": 2, "n4": 2, "n5": 2}
    for bad in ([["n1"]], [["n1"], ["n1"]], [["n1"], ["n9"]], [["n1"], []]):
        with pytest.raises(ValueError):
            topology.plan_partition(topo, bad)


def test_parse_quorumtool() -> None:
    view = probe.parse_quorumtool(QUORUMTOOL)
    assert view == probe.QuorumView(members=(1, 3), quorate=True, ring_id="1.d", expected_votes=3,
                                    total_votes=2)
    assert probe.parse_quorumtool("Cannot initialize QUORUM service\n") is None
    inquorate = probe.parse_quorumtool(QUORUMTOOL.replace("Quorate:          Yes", "Quorate:          No"))
    assert inquorate is not None and not inquorate.quorate
    # a quorum device is the row of node id 0: a vote, not a member
    device = probe.parse_quorumtool(QUORUMTOOL.rstrip("\n") + "\n         0          1            Qdevice\n")
    assert device is not None and device.members == (1, 3)


def _vigil(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil.cli.main", *args], capture_output=True, text=True,
                          timeout=60)


def test_cli_usage_errors_exit_2() -> None:
    for args in (("lab", "up", "--nodes", "0"), ("lab", "up", "--name", "Bad-Name"), ("lab", "link", "n1"),
                 ("lab", "up", "--qdevice", "majority"), ("lab", "qnetd", "restart")):
        r = _vigil(*args)
        assert r.returncode == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error: ")


def test_cli_needs_root(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["lab", "status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "needs root" in err and len(err.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_cli_runtime_errors_exit_1() -> None:
    r = _vigil("lab", "status", "--name", "nosuchlab")
    assert r.returncode == 1 and r.stderr.startswith("error: no lab 'nosuchlab' is up")
    r = _vigil("lab", "down", "--name", "nosuchlab")
    assert r.returncode == 0 and "nothing to do" in r.stdout


def test_cli_quorum_device_without_its_tools(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setattr(hostops, "missing_tools", lambda names=hostops.REQUIRED_TOOLS: [
        n for n in names if n in ("corosync-qnetd", "corosync-qdevice")])
    assert main(["lab", "up", "--nodes", "2", "--qdevice", "--name", "qnotools"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: the quorum device needs ")
    assert "install corosync-qdevice corosync-qnetd" in err
    assert qnetd.check_algorithm("ffsplit") is None and qnetd.check_algorithm("majority") is not None


def test_kept_paths_are_what_the_node_tmpfs_would_hide() -> None:
    hidden = ("/run", "/dev/shm", "/tmp")
    got = nodeinit.kept_paths(["/tmp/clone/src", "/tmp/clone/src/vigil", "/tmp/venv", "/tmp/venv/lib/site",
                               "/root/.pyenv/versions/3.11.7", "/tmp", "/tmp/", "relative/tmp",
                               "/tmpfoo/x", "/run/user/0/env", "/tmp/clone"], hidden)
    # outside the hidden roots nothing is needed; /tmp itself is never bound back (the node's /tmp
    # stays private); a path below another kept one comes with it
    assert got == ["/run/user/0/env", "/tmp/clone", "/tmp/venv"]
    assert nodeinit.kept_paths(["/opt/venv", "/home/u/vigil/src", "/root/vigil/src"], hidden) == []


def test_mounts_holding_a_kept_path_are_not_detached() -> None:
    hidden = ("/run", "/tmp")
    mounts = ["/", "/run", "/run/netns/vl-x-n1", "/run/netns", "/tmp", "/tmp/build", "/tmp/other", "/proc"]
    got = nodeinit.mounts_to_detach(mounts, hidden, ["/tmp/build/venv"])
    assert got == ["/run/netns/vl-x-n1", "/tmp/other", "/run/netns"]  # deepest first


def test_last_line_of_a_traceback() -> None:
    tb = ("Traceback (most recent call last):\n  File \"<string>\", line 8, in <module>\n"
          "ModuleNotFoundError: No module named 'vigil'\n\n")
    assert nodeinit.last_line(tb) == "ModuleNotFoundError: No module named 'vigil'"
    assert nodeinit.last_line(" \n") == "no output"


def test_python_paths_name_vigil_and_the_interpreter() -> None:
    import vigil

    paths = lab_module.python_paths("/nonexistent/dir:relative")
    src = os.path.dirname(os.path.dirname(os.path.realpath(vigil.__file__)))
    assert src in paths and sys.prefix in paths
    assert "/nonexistent/dir" not in paths and "relative" not in paths
    assert all(os.path.isabs(p) for p in paths)


def test_runnable_check_reports_the_real_import_error(tmp_path: Path) -> None:
    """The node init's check imports the entry's imports, and its last line names the cause."""
    pkg = tmp_path / "brokenpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "__main__.py").write_text("import nosuchmodule_x\nraise SystemExit('ran')\n")
    (tmp_path / "okpkg").mkdir()
    (tmp_path / "okpkg" / "__init__.py").write_text("")
    (tmp_path / "okpkg" / "__main__.py").write_text(
        "import sys\nif __name__ == '__main__':\n    sys.exit('ran')\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": os.environ.get("PATH", "")}

    def check(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", nodeinit._RUNNABLE_CHECK, name], capture_output=True,
                              text=True, env=env, timeout=60)

    assert check("okpkg").returncode == 0  # imported, not run
    bad = check("brokenpkg")
    assert bad.returncode != 0
    assert nodeinit.last_line(bad.stderr) == "ModuleNotFoundError: No module named 'nosuchmodule_x'"
    missing = check("nosuchpkg_y")
    assert missing.returncode != 0 and "No module named 'nosuchpkg_y'" in nodeinit.last_line(missing.stderr)


def test_fence_agent_problem(tmp_path: Path) -> None:
    agent = tmp_path / "fence_vigil_lab"
    assert "missing" in (lab_module.fence_agent_problem(tmp_path) or "")
    agent.symlink_to(tmp_path / "deleted-clone" / "fence_vigil_lab.py")  # install.sh's old link
    problem = lab_module.fence_agent_problem(tmp_path)
    assert problem is not None and "a link to a file that is gone" in problem and "install.sh" in problem
    agent.unlink()
    agent.write_text("#!/bin/sh\n")
    agent.chmod(0o755)
    assert lab_module.fence_agent_problem(tmp_path) is None


def test_install_fence_agent_installs_a_copy(tmp_path: Path) -> None:
    """scripts/install-fence-agent.sh: a working copy that survives its source, replacing an old link."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "install-fence-agent.sh"
    (tmp_path / "fence_vigil_lab").symlink_to("/nonexistent/fence_vigil_lab.py")
    r = subprocess.run(["bash", str(script), str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    agent = tmp_path / "fence_vigil_lab"
    assert agent.is_file() and not agent.is_symlink() and os.access(agent, os.X_OK)
    assert agent.read_text() == Path(fence_vigil_lab.__file__).read_text()
    meta = subprocess.run([str(agent), "-o", "metadata"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin"}, cwd="/")
    assert meta.returncode == 0 and 'name="fence_vigil_lab"' in meta.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["fence_vigil_lab"]  # no temporary file left


def test_knet_ping_timers_of_the_lab() -> None:
    # Corosync's timeout (token / 2), the interval on whole 200 ms heartbeat ticks, two pings or more
    assert topology.knet_ping_ms(1000, 3) == (200, 500)  # Corosync: 250 / 500, a ping every 400 ms
    assert topology.knet_ping_ms(None, 3) == (800, 1825)  # default token 3000 + 650 for the third node
    assert topology.knet_ping_ms(None, 2) == (600, 1500)
    assert topology.knet_ping_ms(300, 2) == (200, 400)
    for token in (10, 100, 999, 1000, 1001, 5000, 600_000):
        interval, timeout = topology.knet_ping_ms(token, 3)
        assert interval % topology.KNET_TICK_MS == 0 and 2 * interval <= timeout
