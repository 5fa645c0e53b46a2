"""The lab's power switch (vigil.lab.power) and its fence agent (fence_vigil_lab).

Without root: the switch's logic over a stand-in lab, served on a real unix socket; the agent's
stdin and command-line parsing, metadata, exit codes; the fencer driving the agent.
As root (skipped otherwise): a 3-node lab on real Corosync, fence_vigil_lab run inside n1 powers
n3 off (its init and every process gone, n1 and n2 see the membership shrink), status and list
answer, on brings it back, and the fencer's reboot does both; the timings are recorded. The lab
is always torn down, and the switch with it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vigil import fencer
from vigil.fencer import FenceStatus
from vigil.lab import Lab, fence_vigil_lab, hostops, power, state, topology

AGENT = Path(fence_vigil_lab.__file__)
NODES = ("n1", "n2", "n3")


# -- a stand-in lab behind the real switch ---------------------------------------------------
class FakeLab:
    def __init__(self) -> None:
        self.name = "fake"
        self.topology = topology.build("fake", 3)
        self.on = set(NODES)
        self.log: list[tuple[str, str]] = []

    def pids(self, node: str) -> list[int]:
        return [1] if node in self.on else []

    def power_off(self, node: str) -> None:
        self.log.append(("off", node))
        self.on.discard(node)

    def power_on(self, node: str) -> None:
        self.log.append(("on", node))
        self.on.add(node)


@pytest.fixture
def switch(tmp_path: Path) -> Iterator[tuple[FakeLab, Path]]:
    lab = FakeLab()
    path = tmp_path / "power.sock"
    server = power._Server(str(path), power.Switch(lab, boot_delay_s=0.05))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield lab, path
    finally:
        server.shutdown()
        server.server_close()


def agent(stdin: str | None = None, *args: str,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the agent as Pacemaker would: the file itself (its #! line), stdin, no arguments."""
    return subprocess.run([str(AGENT), *args], input=stdin or "", capture_output=True, text=True, timeout=30,
                          env=env if env is not None else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def test_switch_protocol(switch: tuple[FakeLab, Path]) -> None:
    lab, path = switch
    assert power.request(path, {"action": "list"}) == {
        "ok": True, "nodes": list(NODES), "power": {"n1": "on", "n2": "on", "n3": "on"}}
    assert power.request(path, {"action": "off", "node": "n3"}) == {
        "ok": True, "node": "n3", "power": "off", "was": "on"}
    assert power.request(path, {"action": "status", "node": "n3"})["power"] == "off"
    assert power.request(path, {"action": "on", "node": "n3"})["power"] == "on"
    for bad in ({"action": "off", "node": "n9"}, {"action": "explode", "node": "n1"}, {"node": "n1"},
                {"action": "reboot", "node": "n1", "boot_delay_s": -1}):
        reply = power.request(path, bad)
        assert reply["ok"] is False and reply["error"]
    assert lab.log == [("off", "n3"), ("on", "n3")]


def test_reboot_boots_later_and_off_cancels_a_pending_boot(switch: tuple[FakeLab, Path]) -> None:
    lab, path = switch
    reply = power.request(path, {"action": "reboot", "node": "n2"})
    assert reply == {"ok": True, "node": "n2", "power": "off", "was": "on", "boot_in_s": 0.05}
    deadline = time.monotonic() + 5
    while "n2" not in lab.on and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lab.log == [("off", "n2"), ("on", "n2")]
    power.request(path, {"action": "reboot", "node": "n1", "boot_delay_s": 0.5})
    power.request(path, {"action": "off", "node": "n1"})
    time.sleep(0.8)
    assert "n1" not in lab.on  # the pending boot was cancelled by the explicit off


# -- the agent -------------------------------------------------------------------------------
def test_stdin_parsing() -> None:
    text = ("# from the fencer\naction=off\n\noption=reboot\nport=n3\n nodename = n3 \n"
            "login=x=y\nsocket-path=/s\n")
    assert fence_vigil_lab.parse_stdin(text) == {
        "action": "reboot", "plug": "n3", "nodename": "n3", "login": "x=y", "socket": "/s"}


def test_command_line_parsing() -> None:
    assert fence_vigil_lab.parse_argv(["-o", "status", "-n", "n2", "--socket=/x"]) == {
        "action": "status", "plug": "n2", "socket": "/x"}
    assert fence_vigil_lab.parse_argv(["--action", "off", "--plug=n1", "--boot-delay", "3"]) == {
        "action": "off", "plug": "n1", "boot_delay": "3"}
    for bad in (["--bogus=1"], ["-o"], ["stray"]):
        with pytest.raises(fence_vigil_lab.UsageError):
            fence_vigil_lab.parse_argv(bad)


def test_metadata_is_valid_and_complete() -> None:
    r = agent("action=metadata\n")
    assert r.returncode == 0
    info = fencer.parse_agent_metadata("fence_vigil_lab", r.stdout)
    assert {"on", "off", "reboot", "status", "list", "monitor", "metadata", "validate-all"} <= info.actions
    assert {"action", "plug", "port", "nodename", "socket"} <= info.parameters
    assert agent(None, "-o", "metadata").stdout == r.stdout


def test_agent_actions_and_exit_codes(switch: tuple[FakeLab, Path]) -> None:
    lab, path = switch
    sock = f"socket={path}\n"
    assert agent(f"action=status\nplug=n1\n{sock}").returncode == 0
    off = agent(f"action=off\nport=n3\nnodename=n3\n{sock}")
    assert (off.returncode, off.stdout) == (0, "Success: Powered OFF\n")
    again = agent(f"action=off\nnodename=n3\n{sock}")  # no plug: the node name is used
    assert (again.returncode, again.stdout) == (0, "Success: Already OFF\n")
    status = agent(f"action=status\nplug=n3\n{sock}")
    assert (status.returncode, status.stdout) == (2, "Status: OFF\n")
    listed = agent(f"action=list\n{sock}")
    assert (listed.returncode, listed.stdout) == (0, "n1,\nn2,\nn3,\n")
    assert fencer.parse_targets(listed.stdout) == NODES
    assert agent(f"action=list-status\n{sock}").stdout == "n1,,ON\nn2,,ON\nn3,,OFF\n"
    assert agent(f"action=monitor\n{sock}").returncode == 0
    assert agent(f"action=validate-all\n{sock}").returncode == 0
    assert agent(None, "-o", "on", "-n", "n3", f"--socket={path}").returncode == 0
    assert "n3" in lab.on
    reboot = agent(f"action=reboot\nplug=n2\nboot_delay=0\n{sock}")
    assert (reboot.returncode, reboot.stdout) == (0, "Success: Rebooted\n")
    for bad in (f"action=off\nplug=n9\n{sock}", f"action=off\n{sock}", f"action=dance\nplug=n1\n{sock}",
                "action=status\nplug=n1\nsocket=/nonexistent/power.sock\n", "action=monitor\n"):
        r = agent(bad, env={"PATH": "/usr/bin:/bin", "VIGIL_LAB": "nosuchlab"})
        assert r.returncode == 1 and r.stderr.startswith("Failed:"), (bad, r)


def test_socket_from_the_environment(switch: tuple[FakeLab, Path]) -> None:
    _, path = switch
    env = {"PATH": "/usr/bin:/bin", fence_vigil_lab.SOCKET_ENV: str(path)}
    assert agent("action=status\nplug=n1\n", env=env).returncode == 0
    assert fence_vigil_lab.socket_path({}, {"VIGIL_LAB": "lab7"}) == "/var/lib/vigil-lab/lab7/power.sock"


def test_the_fencer_drives_the_agent(switch: tuple[FakeLab, Path], tmp_path: Path) -> None:
    lab, path = switch
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    (sbin / "fence_vigil_lab").symlink_to(AGENT)  # the fencer runs what it finds there, link or copy
    dev = fencer.FenceDevice(id="lab-power", agent="fence_vigil_lab", params={"socket": str(path)})
    runs: list[fencer.AgentRun] = []
    out = asyncio.run(fencer.fence("n2", "off", devices=[dev], agent_dir=sbin, stonith_timeout_ms=10_000,
                                   runs=runs))
    assert out.ok and out.devices == ("lab-power",), out.detail
    # no host list: the agent has `list`, so the fencer asked it (dynamic-list)
    assert [r.action for r in runs] == ["list", "off"]
    assert lab.log == [("off", "n2")]
    assert asyncio.run(fencer.monitor_device(dev, 5000, agent_dir=sbin))


# -- the real lab (root) ---------------------------------------------------------------------
def _lab_requirements() -> str | None:
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, bridges, mounts)"
    missing = hostops.missing_tools()
    if missing:
        return f"the lab needs {', '.join(missing)} (bash scripts/install.sh installs them)"
    return None


LAB_REASON = _lab_requirements()
needs_lab = pytest.mark.skipif(LAB_REASON is not None, reason=LAB_REASON or "")
WAIT_S = 30.0
KEEP = bool(os.environ.get("VIGIL_LAB_KEEP"))


def _installed_agent_dir(lab: Lab) -> Path:
    """/usr/sbin when scripts/install.sh installed the agent there, else a directory the nodes
    see (the lab's data directory: the nodes' /tmp is their own) with a link to it."""
    if fencer.agent_path("fence_vigil_lab", Path("/usr/sbin")) is not None:
        return Path("/usr/sbin")
    sbin = state.DATA_DIR / lab.name / "sbin"
    sbin.mkdir(exist_ok=True)
    link = sbin / "fence_vigil_lab"
    if not link.exists():
        link.symlink_to(AGENT)
    return sbin


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    name = f"t{os.getpid()}f"
    if state.load(name) is not None:
        Lab.down_by_name(name, graceful=False, purge=True)
    the_lab = Lab.up(nodes=3, token_ms=1000, name=name, daemon_argv=["sleep", "infinity"], timeout=60)
    try:
        yield the_lab
    finally:
        st = state.load(name)
        the_lab.down(graceful=False, purge=not KEEP)
        if st is not None and st.power_pid is not None:
            assert not hostops.is_alive(st.power_pid, st.power_start), "down left the power switch running"
        assert not power.socket_path(name).exists()


def _alive(pids: dict[int, int | None]) -> list[int]:
    return [p for p, start in pids.items() if hostops.is_alive(p, start)]


@needs_lab
def test_fence_agent_in_a_node_powers_a_peer_off_and_on(lab: Lab,
                                                        record_measurement: Callable[[str], None]) -> None:
    sock = power.socket_path(lab.name)
    assert lab.exec("n1", ["test", "-S", str(sock)]).returncode == 0, "the nodes must see the switch's socket"
    sbin = _installed_agent_dir(lab)
    agent_in_n1 = ["env", f"VIGIL_LAB={lab.name}", str(sbin / "fence_vigil_lab")]  # socket from VIGIL_LAB

    st = state.load(lab.name)
    assert st is not None and st.nodes["n3"].init_pid is not None
    init = st.nodes["n3"].init_pid
    pids = {p: hostops.proc_starttime(p) for p in lab.pids("n3")}
    assert len(pids) >= 3 and init in pids  # init, corosync, the stand-in daemon

    # what the fencer writes on stdin for `off` of n3 (nodename, port, the device's params)
    t0 = time.monotonic()
    proc = subprocess.Popen(lab.exec_argv("n1", agent_in_n1), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdin is not None
    proc.stdin.write("action=off\nnodename=n3\nport=n3\n")
    proc.stdin.close()
    while _alive(pids) and time.monotonic() - t0 < WAIT_S:
        time.sleep(0.002)
    gone_s = time.monotonic() - t0
    assert proc.stdout is not None and proc.stderr is not None
    out, err = proc.stdout.read(), proc.stderr.read()  # the agent answers once the node is dead
    proc.wait(timeout=WAIT_S)
    agent_s = time.monotonic() - t0
    assert proc.returncode == 0 and out == "Success: Powered OFF\n", err
    assert _alive(pids) == [] and lab.pids("n3") == []
    lab.wait_members({"n1": ["n1", "n2"], "n2": ["n1", "n2"]}, timeout=WAIT_S)
    members_s = time.monotonic() - t0

    status = lab.exec("n1", [*agent_in_n1], input="action=status\nplug=n3\n")
    assert (status.returncode, status.stdout) == (2, "Status: OFF\n")
    listed = lab.exec("n2", [*agent_in_n1], input="action=list\n")
    assert listed.returncode == 0 and fencer.parse_targets(listed.stdout) == NODES

    t1 = time.monotonic()
    on = lab.exec("n1", [*agent_in_n1], input="action=on\nnodename=n3\nport=n3\n")
    assert (on.returncode, on.stdout) == (0, "Success: Powered ON\n"), on.stderr
    lab.wait_members(list(NODES), timeout=WAIT_S)
    back_s = time.monotonic() - t1
    assert lab.exec("n2", [*agent_in_n1], input="action=status\nplug=n3\n").returncode == 0
    record_measurement(f"fence_vigil_lab off from n1: n3's processes gone {gone_s * 1000:.0f} ms after the "
                       f"request, agent done {agent_s * 1000:.0f} ms, n1/n2 see 2 members {members_s:.2f} s "
                       f"(token 1000 ms); on: 3 members {back_s:.2f} s")


@needs_lab
def test_the_fencer_in_a_node_reboots_a_peer(lab: Lab, record_measurement: Callable[[str], None]) -> None:
    sbin = _installed_agent_dir(lab)
    script = (
        "import asyncio, sys, time\n"
        "from pathlib import Path\n"
        "from vigil import fencer\n"
        "dev = fencer.FenceDevice(id='lab-power', agent='fence_vigil_lab', params={'boot_delay': '1'},\n"
        "                         host_list=('n1', 'n2', 'n3'), host_check='static-list')\n"
        "out = asyncio.run(fencer.fence('n3', 'reboot', devices=[dev], stonith_timeout_ms=30000,\n"
        f"                               agent_dir=Path({str(sbin)!r})))\n"
        "print(out.status.value, out.duration_ms, out.devices, out.detail)\n"
        "sys.exit(0 if out.ok else 1)\n")
    before = {p: hostops.proc_starttime(p) for p in lab.pids("n3")}
    env = ["env", f"VIGIL_LAB={lab.name}", f"PYTHONPATH={Path(fencer.__file__).parents[2]}"]
    t0 = time.monotonic()
    r = lab.exec("n1", [*env, sys.executable, "-c", script], timeout=60)
    fence_s = time.monotonic() - t0
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith(FenceStatus.OK.value)
    assert _alive(before) == []  # the old n3 is gone for good...
    lab.wait_members(list(NODES), timeout=WAIT_S)  # ...and a new one boots after the boot delay
    assert set(lab.pids("n3")).isdisjoint(before)
    record_measurement(f"fencer reboot of n3 run in n1: done in {fence_s:.2f} s; "
                       f"n3 back in the membership {time.monotonic() - t0:.2f} s after the request")
