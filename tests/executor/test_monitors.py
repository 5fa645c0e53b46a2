"""Recurring monitors: what is reported (changes, failures), timing between runs, no overlap,
cancellation; and a real Dummy whose failure is detected within a fraction of a second."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from pathlib import Path

import pytest
from executor_support import PROVIDER, AgentFactory, group_members, real_agent, write_script

from vigil.executor.agents import AgentPaths, resolve_agent
from vigil.executor.monitors import MonitorKey, MonitorRequest, MonitorScheduler
from vigil.executor.run import OperationResult, run_operation
from vigil.model.ocf import ExecStatus, OcfResult


def result(rc: OcfResult, status: ExecStatus = ExecStatus.DONE) -> OperationResult:
    return OperationResult(resource_id="r", action="monitor", interval_ms=10000, rc=rc, status=status)


class Script:
    """A scripted agent and fake time: each run returns the next result; when the script is
    over the runner blocks, so the test can stop the monitor."""

    def __init__(self, results: list[OperationResult]) -> None:
        self.results = list(results)
        self.runs = 0
        self.sleeps: list[float] = []
        self.over = asyncio.Event()
        self.ticks = itertools.count(1000)

    async def runner(self, request: MonitorRequest) -> OperationResult:
        if not self.results:
            self.over.set()
            await asyncio.Event().wait()
        self.runs += 1
        return self.results.pop(0)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)

    def clock(self) -> float:
        return float(next(self.ticks))


@pytest.fixture
def request_(paths: AgentPaths) -> MonitorRequest:
    write_script(paths.ocf_resource_dir / PROVIDER / "x", "#!/bin/sh\nexit 0\n")
    spec = resolve_agent(f"ocf:{PROVIDER}:x", paths=paths)
    return MonitorRequest.of(spec, resource_id="r", interval_ms=10000, timeout_ms=20000)


OK, NR, ERR = OcfResult.OK, OcfResult.NOT_RUNNING, OcfResult.ERR_GENERIC


def reported(request: MonitorRequest, script: list[OperationResult], *, changes_only: bool,
             fake: Script | None = None) -> list[OperationResult]:
    fake = fake or Script(script)
    got: list[OperationResult] = []

    async def scenario() -> None:
        sched = MonitorScheduler(got.append, runner=fake.runner, sleep=fake.sleep, clock=fake.clock,
                                 changes_only=changes_only)
        await sched.start(request)
        await fake.over.wait()
        await sched.close()
        assert sched.active() == ()

    asyncio.run(scenario())
    return got


SCRIPT = [result(OK), result(OK), result(NR), result(NR), result(OK), result(OK),
          result(ERR, ExecStatus.TIMEOUT), result(ERR, ExecStatus.TIMEOUT), result(ERR)]


def test_changes_and_every_failure(request_: MonitorRequest) -> None:
    got = reported(request_, SCRIPT, changes_only=False)
    assert [(r.rc, r.status) for r in got] == [
        (OK, ExecStatus.DONE), (NR, ExecStatus.DONE), (NR, ExecStatus.DONE), (OK, ExecStatus.DONE),
        (ERR, ExecStatus.TIMEOUT), (ERR, ExecStatus.TIMEOUT), (ERR, ExecStatus.DONE)]


def test_changes_only_is_pacemakers_notify_changes(request_: MonitorRequest) -> None:
    got = reported(request_, SCRIPT, changes_only=True)
    assert [(r.rc, r.status) for r in got] == [
        (OK, ExecStatus.DONE), (NR, ExecStatus.DONE), (OK, ExecStatus.DONE),
        (ERR, ExecStatus.TIMEOUT), (ERR, ExecStatus.DONE)]


def test_rc_change_time_is_kept_while_the_result_repeats(request_: MonitorRequest) -> None:
    fake = Script([result(OK), result(NR), result(NR), result(NR)])
    got = reported(request_, [], changes_only=False, fake=fake)
    # clock ticks once per run: 1000 (OK), 1001 (NR, a change), then NR again twice.
    assert [r.rc_changed_at for r in got] == [1000.0, 1001.0, 1001.0, 1001.0]
    assert fake.sleeps == [10.0] * 4  # one interval after each completed run


def test_expected_rc_of_a_promoted_monitor(request_: MonitorRequest) -> None:
    promoted = dataclasses.replace(request_, expected_rc=OcfResult.RUNNING_PROMOTED)
    got = reported(promoted, [result(OcfResult.RUNNING_PROMOTED), result(OcfResult.RUNNING_PROMOTED),
                              result(OK), result(OK)], changes_only=False)
    # "running, not promoted" is a failure here: reported each time.
    assert [r.rc for r in got] == [OcfResult.RUNNING_PROMOTED, OK, OK]


def test_start_delay_and_interval(request_: MonitorRequest) -> None:
    fake = Script([result(OK)])
    reported(dataclasses.replace(request_, start_delay_ms=1500), [], changes_only=False, fake=fake)
    assert fake.sleeps == [1.5, 10.0]


def test_a_bad_callback_does_not_stop_the_monitor(request_: MonitorRequest) -> None:
    fake = Script([result(OK), result(NR), result(OK)])
    seen: list[OcfResult] = []

    def callback(r: OperationResult) -> None:
        seen.append(r.rc)
        raise RuntimeError("controller bug")

    async def scenario() -> None:
        sched = MonitorScheduler(callback, runner=fake.runner, sleep=fake.sleep)
        await sched.start(request_)
        await fake.over.wait()
        await sched.close()

    asyncio.run(scenario())
    assert seen == [OK, NR, OK]


def test_runs_never_overlap_and_wait_an_interval(request_: MonitorRequest) -> None:
    """Real time: runs take 30 ms, the interval is 20 ms; each run starts after the previous one
    completed plus the interval."""
    request = dataclasses.replace(request_, interval_ms=20)
    spans: list[tuple[float, float]] = []
    active = 0
    most = 0

    async def runner(req: MonitorRequest) -> OperationResult:
        nonlocal active, most
        active += 1
        most = max(most, active)
        t0 = time.monotonic()
        await asyncio.sleep(0.03)
        active -= 1
        spans.append((t0, time.monotonic()))
        return result(OK)

    async def scenario() -> None:
        sched = MonitorScheduler(lambda r: None, runner=runner)
        await sched.start(request)
        await asyncio.sleep(0.4)
        await sched.close()

    asyncio.run(scenario())
    assert most == 1
    assert len(spans) >= 5
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start - end >= 0.019


def test_start_replaces_and_cancel_stops(request_: MonitorRequest) -> None:
    calls: list[int] = []

    async def runner(req: MonitorRequest) -> OperationResult:
        calls.append(req.timeout_ms)
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def scenario() -> None:
        sched = MonitorScheduler(lambda r: None, runner=runner)
        key = await sched.start(request_)
        assert key == MonitorKey("r", "monitor", 10000)
        await asyncio.sleep(0)
        await sched.start(dataclasses.replace(request_, timeout_ms=30000))
        await asyncio.sleep(0)
        assert sched.active() == (key,)
        other = await sched.start(dataclasses.replace(request_, interval_ms=5000))
        await sched.start(dataclasses.replace(request_, resource_id="s"))
        assert await sched.cancel(other)
        assert not await sched.cancel(other)
        assert await sched.cancel_resource("r") == 1
        assert sched.active() == (MonitorKey("s", "monitor", 10000),)
        await sched.close()
        assert sched.active() == ()

    asyncio.run(scenario())
    assert calls[:2] == [20000, 30000]


def test_recurring_needs_an_interval(request_: MonitorRequest) -> None:
    with pytest.raises(ValueError):
        MonitorRequest.of(request_.spec, resource_id="r", interval_ms=0, timeout_ms=1000)


# -- real agents -------------------------------------------------------------------------------
def test_cancel_kills_a_monitor_in_flight(ocf_agent: AgentFactory, tmp_path: Path) -> None:
    spec = ocf_agent("slowmon", 'echo $$ > "$OCF_RESKEY_dir/leader"\nsleep 30 &\nsleep 30\n')
    request = MonitorRequest.of(spec, resource_id="r", interval_ms=1000, timeout_ms=60000,
                                params={"dir": str(tmp_path)})
    leader = tmp_path / "leader"

    async def scenario() -> None:
        sched = MonitorScheduler(lambda r: None)
        await sched.start(request)
        while not leader.exists() or not leader.read_text().strip():
            await asyncio.sleep(0.01)
        await sched.cancel(request.key)
        await asyncio.sleep(0.1)

    asyncio.run(scenario())
    pgid = int(leader.read_text())
    deadline = time.monotonic() + 2
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert group_members(pgid) == []


def test_dummy_failure_is_detected(tmp_path: Path) -> None:
    """Start the real Dummy, monitor it every 100 ms, remove its state file underneath it: the
    monitor reports NOT_RUNNING with the agent's reason, well within a second."""
    spec = real_agent("ocf:heartbeat:Dummy")
    state = tmp_path / "dummy.state"
    params = {"state": str(state)}
    got: list[OperationResult] = []

    async def scenario() -> float:
        started = await run_operation(spec, "start", params, timeout_ms=20000, resource_id="dummy")
        assert started.rc is OcfResult.OK
        first = asyncio.Event()
        failed = asyncio.Event()

        def on_result(r: OperationResult) -> None:
            got.append(r)
            (failed if r.rc is not OcfResult.OK else first).set()

        sched = MonitorScheduler(on_result)
        await sched.start(MonitorRequest.of(spec, resource_id="dummy", interval_ms=100, timeout_ms=20000,
                                            params=params))
        await asyncio.wait_for(first.wait(), 5)
        await asyncio.sleep(0.35)  # a few more successful runs: not reported (no change)
        state.unlink()  # the resource fails underneath the cluster
        t0 = time.monotonic()
        await asyncio.wait_for(failed.wait(), 5)
        detected = time.monotonic() - t0
        await sched.close()
        return detected

    detected = asyncio.run(scenario())
    assert detected < 1.0
    assert [r.rc for r in got] == [OcfResult.OK, OcfResult.NOT_RUNNING]
    assert got[1].exit_reason == "No process state file found"
    assert got[1].interval_ms == 100 and got[1].rc_changed_at is not None
