"""Running fence agents: what is written on stdin, exit codes and output tails, the process
group and its kill at the timeout, metadata, and agents that are not there."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest
from fencer_support import behave, calls, cib, opts_of, stonith, write_agent

from vigil import fencer
from vigil.fencer import AgentRun, FenceDevice, RunStatus, run_fence_agent
from vigil.fencer.devices import with_agent_info


def device(agent_dir: Path, log: Path, params: dict[str, str] | None = None, *,
           actions: tuple[str, ...] | None = None, agent_params: tuple[str, ...] = ("port", "plug"),
           name: str = "fence_test") -> FenceDevice:
    write_agent(agent_dir, name, **({"actions": actions} if actions else {}), params=agent_params)
    (dev,) = fencer.devices_from_cib(cib(stonith("dev1", name, {"log": str(log), **(params or {})})))
    info = asyncio.run(fencer.agent_info(name, agent_dir=agent_dir))
    return with_agent_info(dev, info)


def run(dev: FenceDevice, action: str, target: str | None, agent_dir: Path,
        timeout_ms: int = 10_000) -> AgentRun:
    return asyncio.run(run_fence_agent(dev, action, target, timeout_ms=timeout_ms, agent_dir=agent_dir))


def test_stdin_carries_action_target_and_device_params(tmp_path: Path) -> None:
    log = tmp_path / "log"
    dev = device(tmp_path / "sbin", log, {"ipaddr": "10.213.0.1", "pcmk_host_map": "n3:outlet-3",
                                          "pcmk_host_list": "n1 n2 n3", "pcmk_delay_max": "1s"})
    result = run(dev, "off", "n3", tmp_path / "sbin")
    assert result.ok and result.status is RunStatus.DONE and result.rc == 0
    (call,) = calls(log)
    assert call["argv"] == []  # everything on stdin, as pacemaker-fenced does
    assert call["opts"] == {"action": "off", "nodename": "n3", "port": "outlet-3", "ipaddr": "10.213.0.1",
                            "log": str(log)}


def test_host_argument_follows_metadata_and_configuration(tmp_path: Path) -> None:
    sbin, log = tmp_path / "sbin", tmp_path / "log"
    plug_only = device(sbin, log, agent_params=("plug",), name="fence_plug")
    run(plug_only, "status", "n2", sbin)
    named = device(sbin, log, {"pcmk_host_argument": "uuid"}, name="fence_named")
    run(named, "status", "n2", sbin)
    none = device(sbin, log, {"pcmk_host_argument": "none"}, name="fence_none")
    run(none, "status", "n2", sbin)
    fixed = device(sbin, log, {"port": "7"}, name="fence_fixed")
    run(fixed, "status", "n2", sbin)
    got = opts_of(log)
    assert got[0]["plug"] == "n2" and "port" not in got[0]
    assert got[1]["uuid"] == "n2" and "port" not in got[1]
    assert "port" not in got[2] and "plug" not in got[2] and got[2]["nodename"] == "n2"
    assert got[3]["port"] == "7"  # the device's own value wins over the target's name


def test_action_override_and_device_actions_without_target(tmp_path: Path) -> None:
    sbin, log = tmp_path / "sbin", tmp_path / "log"
    dev = device(sbin, log, {"pcmk_reboot_action": "off", "pcmk_list_action": "list-status"})
    reboot = run(dev, "reboot", "n1", sbin)
    assert (reboot.action, reboot.sent_action) == ("reboot", "off")
    run(dev, "list", "n1", sbin)  # list is about the device: no target goes with it
    monitor = run(dev, "monitor", None, sbin)
    assert monitor.target is None
    got = opts_of(log)
    assert got[0]["action"] == "off" and got[0]["nodename"] == "n1"
    assert got[1]["action"] == "list-status" and "nodename" not in got[1] and "port" not in got[1]
    assert got[2]["action"] == "monitor"


def test_exit_code_and_output_tails(tmp_path: Path) -> None:
    sbin, log = tmp_path / "sbin", tmp_path / "log"
    dev = device(sbin, log, {"behave": behave(status={"rc": 2, "out": "Status: OFF\n"},
                                              off={"rc": 1, "err": "x" * 10000 + "\nboom\n"})})
    status = run(dev, "status", "n1", sbin)
    assert (status.status, status.rc, status.ok, status.stdout) == (RunStatus.DONE, 2, False, "Status: OFF\n")
    off = run(dev, "off", "n1", sbin)
    assert off.rc == 1 and off.stderr.endswith("boom\n") and len(off.stderr) <= 4096


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    sbin, log, pidfile = tmp_path / "sbin", tmp_path / "log", tmp_path / "grandchild"
    dev = device(sbin, log, {"behave": behave(off={"sleep": 60, "spawn": str(pidfile)})})
    t0 = time.monotonic()
    result = run(dev, "off", "n1", sbin, timeout_ms=1500)
    took = time.monotonic() - t0
    assert result.status is RunStatus.TIMEOUT and result.rc is None and not result.ok
    assert 1.4 < took < 5, took
    (call,) = calls(log)
    assert call["pgid"] == call["pid"]  # the agent leads a process group of its own
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 3
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(grandchild), "the agent's child survived the timeout"


def test_a_daemon_holding_the_pipes_does_not_delay_the_result(tmp_path: Path) -> None:
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    agent = sbin / "fence_forker"
    agent.write_text("#!/bin/sh\ncat >/dev/null\nsetsid sleep 30 &\necho done\nexit 0\n")
    agent.chmod(0o755)
    dev = FenceDevice(id="f", agent="fence_forker", params={})
    t0 = time.monotonic()
    result = run(dev, "monitor", None, sbin)
    assert result.ok and result.stdout == "done\n"
    assert time.monotonic() - t0 < 5


def test_cancelling_kills_the_agent(tmp_path: Path) -> None:
    sbin, log = tmp_path / "sbin", tmp_path / "log"
    dev = device(sbin, log, {"behave": behave(off={"sleep": 60})})

    async def go() -> None:
        task = asyncio.create_task(run_fence_agent(dev, "off", "n1", timeout_ms=60_000, agent_dir=sbin))
        while not calls(log):
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    pid = int(calls(log)[0]["pid"])  # type: ignore[call-overload]
    deadline = time.monotonic() + 3
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _alive(pid)


def test_missing_agent_and_unpassable_parameters(tmp_path: Path) -> None:
    missing = FenceDevice(id="f", agent="fence_nothere", params={})
    assert run(missing, "off", "n1", tmp_path).status is RunStatus.NOT_FOUND
    traversal = FenceDevice(id="f", agent="../bin/true", params={})
    assert run(traversal, "off", "n1", tmp_path).status is RunStatus.NOT_FOUND
    log = tmp_path / "log"
    dev = device(tmp_path / "sbin", log, {"comment": "two\nlines"})
    bad = run(dev, "off", "n1", tmp_path / "sbin")
    assert bad.status is RunStatus.ERROR and "comment" in bad.detail and not calls(log)


def test_metadata(tmp_path: Path) -> None:
    write_agent(tmp_path, "fence_meta", actions=("off", "status", "metadata"), params=("plug", "ipaddr"))
    info = asyncio.run(fencer.agent_info("fence_meta", agent_dir=tmp_path))
    assert info is not None
    assert info.actions == {"off", "status", "metadata"} and info.parameters == {"plug", "ipaddr"}
    assert asyncio.run(fencer.agent_info("fence_nothere", agent_dir=tmp_path)) is None
    broken = tmp_path / "fence_broken"
    broken.write_text("#!/bin/sh\necho '<resource-agent'\n")
    broken.chmod(0o755)
    assert asyncio.run(fencer.agent_info("fence_broken", agent_dir=tmp_path)) is None


def test_monitor_device(tmp_path: Path) -> None:
    sbin, log = tmp_path / "sbin", tmp_path / "log"
    good = device(sbin, log)
    bad = device(sbin, log, {"behave": behave(monitor={"rc": 1})}, name="fence_bad")
    assert asyncio.run(fencer.monitor_device(good, 5000, agent_dir=sbin)) is True
    assert asyncio.run(fencer.monitor_device(bad, 5000, agent_dir=sbin)) is False
    # a failed monitor is retried once (pcmk_monitor_retries defaults to 2 attempts)
    assert [c["action"] for c in opts_of(log)] == ["monitor", "monitor", "monitor"]
    assert os.path.exists(log)
