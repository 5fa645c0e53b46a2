"""Recurring monitors: one asyncio task per (resource, action, interval).

As in Pacemaker's executor, the first run is immediate (after any start-delay) and each next run
starts one interval after the previous one completed, so runs of one monitor never overlap.
Results go to a callback: the first one, then every change of (rc, status); and, unless
`changes_only` (which is exactly what Pacemaker's controller asks for), every failed run too, so
that a resource left failing (on-fail=ignore, or a failure the controller is still acting on)
keeps being reported.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from vigil.executor import run
from vigil.executor.agents import AgentSpec
from vigil.executor.run import OperationResult
from vigil.model import ocf
from vigil.model.ocf import OcfResult

log = logging.getLogger(__name__)

_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class MonitorKey:
    resource_id: str
    action: str
    interval_ms: int


@dataclass(frozen=True)
class MonitorRequest:
    """What to run, and what result means "fine" (8 for a monitor of the promoted role)."""

    spec: AgentSpec
    resource_id: str
    interval_ms: int
    timeout_ms: int
    params: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    depth: int | None = None
    expected_rc: OcfResult = OcfResult.OK
    start_delay_ms: int = 0
    action: str = "monitor"
    kill_grace_ms: int = run.DEFAULT_KILL_GRACE_MS
    agent_env: tuple[tuple[str, str], ...] = ()  # the daemon's additions (run.AgentEnv)

    @classmethod
    def of(cls, spec: AgentSpec, *, resource_id: str, interval_ms: int, timeout_ms: int,
           params: Mapping[str, str] = _EMPTY, meta: Mapping[str, str] = _EMPTY,
           depth: int | None = None, expected_rc: OcfResult = OcfResult.OK, start_delay_ms: int = 0,
           action: str = "monitor", kill_grace_ms: int = run.DEFAULT_KILL_GRACE_MS,
           agent_env: run.AgentEnv = _EMPTY) -> MonitorRequest:
        if interval_ms <= 0:
            raise ValueError("a recurring operation needs a positive interval")
        return cls(spec, resource_id, interval_ms, timeout_ms, tuple(sorted(params.items())),
                   tuple(sorted(meta.items())), depth, expected_rc, start_delay_ms, action, kill_grace_ms,
                   tuple(sorted(agent_env.items())))

    @property
    def key(self) -> MonitorKey:
        return MonitorKey(self.resource_id, self.action, self.interval_ms)


Runner = Callable[[MonitorRequest], Awaitable[OperationResult]]
Sleeper = Callable[[float], Awaitable[None]]
ResultCallback = Callable[[OperationResult], None]


async def run_request(request: MonitorRequest) -> OperationResult:
    """The default runner: the real agent."""
    return await run.run_operation(
        request.spec, request.action, dict(request.params), timeout_ms=request.timeout_ms,
        interval_ms=request.interval_ms, resource_id=request.resource_id, meta=dict(request.meta),
        depth=request.depth, kill_grace_ms=request.kill_grace_ms, agent_env=dict(request.agent_env))


class MonitorScheduler:
    """The recurring operations of one node's executor.

    `runner` and `sleep` are there for tests (a scripted agent, fake time); `clock` gives the
    wall-clock time recorded as rc_changed_at. The callback runs on the event loop; an exception
    in it is logged and does not stop the monitor.
    """

    def __init__(self, on_result: ResultCallback, *, runner: Runner = run_request,
                 sleep: Sleeper = asyncio.sleep, clock: Callable[[], float] = time.time,
                 changes_only: bool = False) -> None:
        self._on_result = on_result
        self._runner = runner
        self._sleep = sleep
        self._clock = clock
        self._changes_only = changes_only
        self._tasks: dict[MonitorKey, asyncio.Task[None]] = {}

    def active(self) -> tuple[MonitorKey, ...]:
        return tuple(k for k, t in self._tasks.items() if not t.done())

    async def start(self, request: MonitorRequest) -> MonitorKey:
        """Start (or restart, with new parameters) a recurring operation. A monitor already
        running under the same key is cancelled first, its agent killed if in flight."""
        key = request.key
        await self.cancel(key)
        task = asyncio.get_running_loop().create_task(self._loop(request), name=f"monitor {key}")
        self._tasks[key] = task
        task.add_done_callback(functools.partial(self._done, key))
        return key

    def _done(self, key: MonitorKey, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]
        if not task.cancelled() and task.exception() is not None:
            log.error("recurring %s stopped by an error", key, exc_info=task.exception())

    async def cancel(self, key: MonitorKey) -> bool:
        """Stop a recurring operation; a run in flight is killed. Nothing is reported for it.
        True if there was one."""
        task = self._tasks.pop(key, None)
        if task is None:
            return False
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return True

    async def cancel_resource(self, resource_id: str) -> int:
        """Stop every recurring operation of a resource (Pacemaker does this before any
        non-recurring action other than a probe or notify). Returns how many were stopped."""
        keys = [k for k in self._tasks if k.resource_id == resource_id]
        for k in keys:
            await self.cancel(k)
        return len(keys)

    async def close(self) -> None:
        for k in list(self._tasks):
            await self.cancel(k)

    async def _loop(self, request: MonitorRequest) -> None:
        if request.start_delay_ms > 0:
            await self._sleep(request.start_delay_ms / 1000)
        last: tuple[OcfResult, int] | None = None
        changed_at: float | None = None
        while True:
            result = await self._runner(request)
            outcome = (result.rc, int(result.status))
            changed = outcome != last
            if changed:
                # Pacemaker stamps a change when the run that shows it completes.
                changed_at = self._clock()
            last = outcome
            failed = ocf.records_failure(result.status, result.rc, request.expected_rc)
            if changed or (failed and not self._changes_only):
                self._deliver(dataclasses.replace(result, rc_changed_at=changed_at))
            await self._sleep(request.interval_ms / 1000)

    def _deliver(self, result: OperationResult) -> None:
        try:
            self._on_result(result)
        except Exception:
            log.exception("monitor result callback failed for %s", result.resource_id)
