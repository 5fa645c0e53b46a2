"""The lab on real Corosync: membership, exec, power, partitions, links, teardown.

Needs root and the lab's tools (corosync, iproute2, util-linux, procps, ping: scripts/install.sh
installs them); skipped with the reason otherwise. Every wait has a timeout and every lab is torn
down, whatever happens. Lab names are t<pid><letter>, so two test runs on one machine never share
a lab; labs left by a test process that no longer exists are removed first.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vigil.lab import Lab, hostops, state

NODES = ("n1", "n2", "n3")
WAIT_S = 30.0  # token 1000 ms: a membership change takes about 2.5 s


def _requirements() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, bridges, mounts)"
    missing = hostops.missing_tools([*hostops.REQUIRED_TOOLS, "ping", "corosync-cfgtool"])
    if missing:
        return f"the lab needs {', '.join(missing)} (bash scripts/install.sh installs them)"
    return None


REASON = _requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")
PREFIX = f"t{os.getpid()}"
KEEP = bool(os.environ.get("VIGIL_LAB_KEEP"))  # keep the nodes' disks for a post-mortem


def _remove_stale_test_labs() -> None:
    disks = [p.name for p in state.DATA_DIR.iterdir()] if state.DATA_DIR.is_dir() else []
    for name in sorted({*state.known_labs(), *disks}):
        m = re.fullmatch(r"t(\d+)[a-z]", name)
        if m and int(m.group(1)) != os.getpid() and not Path(f"/proc/{m.group(1)}").exists():
            Lab.down_by_name(name, graceful=False, purge=True)


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    _remove_stale_test_labs()
    # a stand-in daemon, so that supervision is tested whatever the state of vigil.daemon
    the_lab = Lab.up(nodes=3, token_ms=1000, name=f"{PREFIX}a", daemon_argv=["sleep", "infinity"],
                     timeout=60)
    try:
        yield the_lab
    finally:
        the_lab.down(purge=not KEEP)


def _alive(pids: dict[int, int | None]) -> list[int]:
    return [p for p, start in pids.items() if hostops.is_alive(p, start)]


def _ping(lab: Lab, src: str, addr: str) -> bool:
    return lab.exec(src, ["ping", "-c", "1", "-W", "1", addr], timeout=10).returncode == 0


def _timed(what: Callable[[], object]) -> float:
    t0 = time.monotonic()
    what()
    return time.monotonic() - t0


def test_three_nodes_form_one_membership(lab: Lab, record_measurement: Callable[[str], None]) -> None:
    t = lab.timings
    record_measurement(f"lab up, 3 nodes, token 1000 ms: network {t['network_s']:.2f} s, "
                       f"boot {t['boot_s']:.2f} s, membership of 3 seen by all {t['members_s']:.2f} s later, "
                       f"total {t['up_s']:.2f} s")
    for node in NODES:
        assert lab.members(node) == set(NODES)
    st = lab.status()
    assert [(n.name, n.power, n.corosync, n.members, n.quorate) for n in st.nodes] == [
        (n, "on", "running", NODES, True) for n in NODES]
    assert len({n.ring_id for n in st.nodes}) == 1
    runtime = lab.exec("n1", ["corosync-cmapctl", "-g", "runtime.config.totem.token"], check=True).stdout
    assert runtime.strip().endswith("= 1000")


def test_exec_runs_inside_the_node(lab: Lab) -> None:
    assert lab.exec("n2", ["hostname"], check=True).stdout.strip() == "n2"
    assert lab.exec("n2", ["sh", "-c", "exit 3"]).returncode == 3
    pid1 = lab.exec("n2", ["cat", "/proc/1/cmdline"], check=True).stdout
    assert "vigil.lab.nodeinit" in pid1  # the node's own PID namespace and /proc
    mounts = lab.exec("n2", ["cat", "/proc/self/mounts"], check=True).stdout.splitlines()
    fstype = {line.split()[1]: line.split()[2] for line in mounts}
    assert fstype["/run"] == fstype["/tmp"] == fstype["/dev/shm"] == "tmpfs"
    conf = lab.exec("n2", ["cat", "/etc/corosync/corosync.conf"], check=True).stdout
    assert "ring1_addr: 10.213.2.12" in conf
    addrs = lab.exec("n2", ["ip", "-4", "-o", "addr", "show"], check=True).stdout
    assert "10.213.0.12/24" in addrs and "10.213.2.12/24" in addrs
    with pytest.raises(subprocess.TimeoutExpired):
        lab.exec("n2", ["sleep", "30"], timeout=0.5)


def test_client_reaches_the_nodes(lab: Lab) -> None:
    assert "10.213.0.50/24" in lab.exec("client", ["ip", "-4", "-o", "addr", "show"], check=True).stdout
    for i, _node in enumerate(NODES, start=1):
        assert _ping(lab, "client", f"10.213.0.{10 + i}")
    assert not _ping(lab, "client", "10.213.2.11")  # the client is on link 0 only
    assert _ping(lab, "n1", "10.213.2.13")  # nodes reach each other on link 1


def test_daemon_is_restarted_when_it_dies(lab: Lab) -> None:
    before = lab.init_status("n1")
    assert before is not None
    daemon = before["daemon"]
    assert isinstance(daemon, dict) and daemon["state"] == "running"
    lab.exec("n1", ["kill", str(daemon["pid"])], check=True)

    def restarted() -> bool:
        now = lab.init_status("n1") or {}
        d = now.get("daemon")
        return isinstance(d, dict) and d["state"] == "running" and d["pid"] != daemon["pid"]

    lab.wait_for(restarted, timeout=10, interval=0.05, what="daemon restarted")
    assert lab.node_status("n1").daemon_restarts == 1


def test_power_off_kills_every_process_and_power_on_rejoins(
        lab: Lab, record_measurement: Callable[[str], None]) -> None:
    lab.exec("n3", ["sh", "-c", "echo kept > /var/lib/vigil/disk-marker"], check=True)
    lab.exec("n3", ["sh", "-c", "setsid sleep 1000 </dev/null >/dev/null 2>&1 &"], check=True)  # an orphan
    pids = {p: hostops.proc_starttime(p) for p in lab.pids("n3")}
    assert len(pids) >= 4  # init, corosync, the daemon, the orphan
    t0 = time.monotonic()
    lab.power_off("n3")
    off_s = time.monotonic() - t0
    assert _alive(pids) == []
    assert lab.node_status("n3").power == "off"
    assert not _ping(lab, "client", "10.213.0.13")
    gone_s = _timed(lambda: lab.wait_members(["n1", "n2"], timeout=WAIT_S))
    assert all(n.quorate for n in lab.status().nodes if n.power == "on")

    t0 = time.monotonic()
    lab.power_on("n3")
    on_s = time.monotonic() - t0
    back_s = _timed(lambda: lab.wait_members(list(NODES), timeout=WAIT_S))
    assert lab.exec("n3", ["cat", "/var/lib/vigil/disk-marker"], check=True).stdout == "kept\n"
    assert _ping(lab, "client", "10.213.0.13")
    record_measurement(f"power_off {off_s:.2f} s, then the 2 others see the loss {gone_s:.2f} s later; "
                       f"power_on {on_s:.2f} s, then 3 members {back_s:.2f} s later")


def test_graceful_stop_stops_the_daemon_then_corosync(lab: Lab) -> None:
    lab.stop("n2")
    assert lab.node_status("n2").power == "off"
    lab.wait_members(["n1", "n3"], timeout=WAIT_S)
    log = (Path(state.DATA_DIR) / lab.name / "n2" / "init.log").read_text()
    assert log.index("stopping daemon") < log.index("stopping corosync") < log.index("node off")
    lab.power_on("n2")
    lab.wait_members(list(NODES), timeout=WAIT_S)


def test_partition_two_one_then_heal(lab: Lab, record_measurement: Callable[[str], None]) -> None:
    lab.partition([["n1", "n2"], ["n3"]])
    split_s = _timed(lambda: lab.wait_members(
        {"n1": ["n1", "n2"], "n2": ["n1", "n2"], "n3": ["n3"]}, timeout=WAIT_S))
    quorate = {n.name: n.quorate for n in lab.status().nodes}
    assert quorate == {"n1": True, "n2": True, "n3": False}
    assert lab.status().partition == (("n1", "n2", "client"), ("n3",))
    assert _ping(lab, "client", "10.213.0.11") and not _ping(lab, "client", "10.213.0.13")
    assert not _ping(lab, "n1", "10.213.2.13")  # both links are split

    lab.heal()
    heal_s = _timed(lambda: lab.wait_members(list(NODES), timeout=WAIT_S))
    assert lab.status().partition == ()
    assert _ping(lab, "client", "10.213.0.13")
    record_measurement(f"partition 2/1: two memberships after {split_s:.2f} s; "
                       f"heal: one membership after {heal_s:.2f} s")


def _link_state(lab: Lab, observer: str, link: int, peer: int) -> str:
    """What `observer`'s knet says of `peer` on `link`, from corosync-cfgtool -s."""
    out = lab.exec(observer, ["corosync-cfgtool", "-s"], timeout=10).stdout
    section = out.split(f"LINK ID {link}", 1)[-1].split("LINK ID", 1)[0]
    m = re.search(rf"nodeid:\s+{peer}:\s+(\S+)", section)
    return m.group(1) if m else "?"


def test_one_link_down_keeps_the_membership(lab: Lab) -> None:
    lab.link("n1", 0, "down")
    try:
        lab.wait_for(lambda: _link_state(lab, "n2", 0, 1) == "disconnected", timeout=WAIT_S,
                     what="link 0 down")
        assert _link_state(lab, "n2", 1, 1) == "connected"
        assert lab.node_status("n1").links_cut == (0,)
        for node in NODES:
            assert lab.members(node) == set(NODES)  # knet carries on over link 1
    finally:
        lab.link("n1", 0, "up")
    lab.wait_for(lambda: _link_state(lab, "n2", 0, 1) == "connected", timeout=WAIT_S, what="link 0 up")
    assert lab.node_status("n1").links_cut == ()


def _cli(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil.cli.main", "lab", *args, "--name", lab.name],
                          capture_output=True, text=True, timeout=60)


def test_the_issue_grammar_of_fault_commands(lab: Lab) -> None:
    """`lab partition A,B / C`, `lab link NODE down|up [--link N]`, `lab kill|boot NODE`."""
    r = _cli(lab, "partition", "n1,n2", "/", "n3")
    assert r.returncode == 0, r.stderr
    assert lab.status().partition == (("n1", "n2", "client"), ("n3",))
    assert _cli(lab, "heal").returncode == 0 and lab.status().partition == ()
    assert _cli(lab, "partition", "n1", "/", "/", "n3").returncode == 2  # an empty group
    r = _cli(lab, "link", "n1", "down")  # every link of n1
    assert r.returncode == 0, r.stderr
    assert lab.node_status("n1").links_cut == (0, 1)
    assert _cli(lab, "link", "n1", "up", "--link", "0").returncode == 0
    assert lab.node_status("n1").links_cut == (1,)
    assert _cli(lab, "link", "n1", "1", "up").returncode == 0  # the older form
    assert lab.node_status("n1").links_cut == ()
    assert _cli(lab, "link", "n1", "sideways").returncode == 2
    assert _cli(lab, "link", "n1", "down", "--link", "7").returncode == 2
    assert _cli(lab, "kill", "n3").returncode == 0 and not lab.pids("n3")
    assert _cli(lab, "boot", "n3").returncode == 0 and lab.pids("n3")
    lab.wait_members(list(NODES), timeout=WAIT_S)


def test_two_nodes_and_down_leaves_nothing_behind(record_measurement: Callable[[str], None]) -> None:
    _remove_stale_test_labs()
    name = f"{PREFIX}b"
    with Lab.up(nodes=2, token_ms=1000, name=name, timeout=60) as lab:
        conf = lab.exec("n1", ["cat", "/etc/corosync/corosync.conf"], check=True).stdout
        assert "two_node: 1" in conf
        assert all(n.quorate and n.members == ("n1", "n2") for n in lab.status().nodes)
        # the real daemon: `up` checked that it can start in every node (test_install_location
        # has the failure), so it runs
        lab.wait_for(lambda: all(n.daemon not in ("checking", "waiting") for n in lab.status().nodes),
                     timeout=WAIT_S, what="daemon check")
        assert {n.daemon for n in lab.status().nodes} <= {"running", "restart-wait"}
        stray = subprocess.Popen(lab.exec_argv("client", ["sleep", "1000"]), stdin=subprocess.DEVNULL,
                                 start_new_session=True)
        st = state.load(name)
        assert st is not None
        net = set(st.netns_inodes.values())
        pidns = {r.pidns for r in st.nodes.values() if r.pidns}
        mntns = {r.mntns for r in st.nodes.values() if r.mntns}
        lab.wait_for(lambda: hostops.ns_inode(stray.pid, "net") in net, timeout=10, interval=0.02,
                     what="stray process in the client namespace")
        procs = {p: hostops.proc_starttime(p) for p in hostops.pids_in_namespaces("net", net)}
        assert len(net) == 4 and len(pidns) == len(mntns) == 2 and stray.pid in procs
        down_s = _timed(lab.down)
    stray.wait(timeout=10)
    record_measurement(f"lab down (2 nodes, graceful): {down_s:.2f} s")
    assert hostops.lab_netns(f"vl-{name}-") == []
    assert _alive(procs) == []
    for kind, inodes in (("net", net), ("pid", pidns), ("mnt", mntns)):
        assert hostops.pids_in_namespaces(kind, inodes) == [], kind
    assert [m for m in hostops.mountpoints() if f"vl-{name}-" in m or f"vigil-lab/{name}" in m] == []
    assert state.load(name) is None and not state.state_path(name).exists()
    assert Lab.down_by_name(name, purge=not KEEP) is False  # idempotent
    with pytest.raises(Exception, match="down"):
        lab.exec("n1", ["true"])
