"""Fencing a node: which devices, in which order, with which delays, within which time.

Pacemaker's flow (pacemaker-fenced 2.1.5), for the devices this node runs:
1. Query: which devices can fence the target (`pcmk_host_check`: static list or host map, the
   agent's `list` output, cached 60 s, its `status` for the target (exit 0 or 2), or none). A
   dynamic-list device whose `list` fails and was never listed falls back to `status` unless
   dynamic-list was configured explicitly.
2. Topology: when fencing-levels apply to the target, the levels are tried by ascending index;
   every device of a level must succeed, the first level that does ends the operation. A reboot
   on a level of several devices is "off" on all of them, then "on" on all of them (failures
   of "on" are ignored; devices with pcmk_reboot_action=off, or without "on", are skipped).
   Without topology, every capable device is tried in turn until one succeeds.
3. Delays, before a device's first attempt at off/reboot: pcmk_delay_base + a random value in
   [0, pcmk_delay_max - base) (only max: [0, max); only base: base); the requested delay (the
   controller's priority-fencing-delay) is added to the first device only; -1 disables all.
   This is what keeps both halves of a split two-node cluster from shooting each other.
4. An agent that lacks reboot is sent off instead. Each device action gets pcmk_<action>_timeout
   or stonith-timeout, and up to pcmk_<action>_retries attempts (default 2) within it, retried
   only while less than 70% of it has passed and never after a timeout.
5. Bounds, as pacemaker-fenced's timers: the query 1.2 x stonith-timeout; the execution 1.2 x
   the sum over the devices it may run of (device timeout + pcmk_delay_max), plus the requested
   delay.

Where this differs: everything runs on this node (choosing which node executes, and never the
target itself, is the caller's business); a status query answering "off" (2) is not retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random

from vigil.fencer.agent import DEFAULT_AGENT_DIR, AgentRun, RunStatus, agent_info, agent_path, run_fence_agent
from vigil.fencer.devices import (
    FENCING_ACTIONS,
    AgentInfo,
    FenceDevice,
    levels_for,
    listed,
    parse_targets,
    static_capability,
    with_agent_info,
)
from vigil.model.fencing import FenceOutcome, FenceStatus, FencingLevel

DEFAULT_STONITH_TIMEOUT_MS = 60_000
DEFAULT_RETRIES = 2
RETRY_WHILE = 0.7  # a retry starts only before this fraction of the action's timeout has passed
TIMER_FACTOR = 1.2
LIST_TTL_S = 60.0
FENCE_ACTIONS = ("reboot", "off", "on")

Sleep = Callable[[float], Awaitable[None]]


class FenceCache:
    """What a fencer remembers between requests: agents' metadata, and devices' `list` output
    (fresh for 60 s; an older one is still used when `list` fails). One per fencer; not shared
    between event loops."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.agents: dict[str, AgentInfo] = {}
        self.lists: dict[str, tuple[float, tuple[str, ...]]] = {}
        self.status_fallback: set[str] = set()  # dynamic-list devices whose list never worked

    def fresh_list(self, device_id: str) -> tuple[str, ...] | None:
        entry = self.lists.get(device_id)
        if entry is None or self.clock() - entry[0] > LIST_TTL_S:
            return None
        return entry[1]


@dataclass
class _Op:
    """The record of one fence request while it runs."""

    target: str
    action: str
    runs: list[AgentRun] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    delays: list[tuple[str, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    requested_delay_ms: int = 0


# -- pure helpers ----------------------------------------------------------------------------
def device_delay_ms(device: FenceDevice, action: str, target: str | None, requested_ms: int,
                    rnd: Random) -> int:
    """The delay before the device's first attempt (requested_ms: -1 disables every delay)."""
    if requested_ms < 0:
        return 0
    total = requested_ms
    if action not in FENCING_ACTIONS:
        return total
    base, top = device.delay_base_for(target), device.delay_max_ms
    if top == 0:
        top = base
    base = min(base, top)
    if top > 0:
        total += (rnd.randrange(top - base) if top != base else 0) + base
    return total


def agent_action(device: FenceDevice, action: str) -> str:
    """reboot becomes off for an agent without reboot (the node then stays off)."""
    if action == "reboot" and device.supports("reboot") is False:
        return "off"
    return action


def action_timeout_ms(device: FenceDevice, action: str, stonith_timeout_ms: int) -> int:
    return device.action_timeouts_ms.get(agent_action(device, action), stonith_timeout_ms)


def total_timeout_ms(devices: Iterable[FenceDevice], action: str, stonith_timeout_ms: int,
                     requested_delay_ms: int = 0) -> int:
    """The execution bound: 1.2 x the sum of (timeout + pcmk_delay_max) of the devices."""
    per = [action_timeout_ms(d, action, stonith_timeout_ms) + d.delay_max_ms for d in devices]
    return int(TIMER_FACTOR * sum(per)) + max(requested_delay_ms, 0)


# -- running ---------------------------------------------------------------------------------
async def _with_retries(device: FenceDevice, action: str, target: str | None, *, timeout_ms: int,
                        agent_dir: Path, clock: Callable[[], float], runs: list[AgentRun]) -> AgentRun:
    tries = max(device.action_retries.get(action, DEFAULT_RETRIES), 1)
    t0 = clock()
    while True:
        left = timeout_ms - int((clock() - t0) * 1000)
        run = await run_fence_agent(device, action, target, timeout_ms=max(left, 1), agent_dir=agent_dir)
        runs.append(run)
        tries -= 1
        if (run.ok or run.status is not RunStatus.DONE or tries <= 0
                or (action == "status" and run.rc == 2)
                or clock() - t0 >= RETRY_WHILE * timeout_ms / 1000):
            return run


def _why(run: AgentRun) -> str:
    last = (run.stderr.strip().splitlines() or run.stdout.strip().splitlines() or [""])[-1][:200]
    what = f"exit {run.rc}" if run.status is RunStatus.DONE else run.status.value
    extra = run.detail or last
    return f"{run.device}: {run.sent_action} {what}" + (f" ({extra})" if extra else "")


async def can_fence(device: FenceDevice, target: str, action: str = "reboot", *,
                    stonith_timeout_ms: int = DEFAULT_STONITH_TIMEOUT_MS,
                    agent_dir: Path = DEFAULT_AGENT_DIR, cache: FenceCache | None = None,
                    runs: list[AgentRun] | None = None) -> tuple[bool, str]:
    """Whether `device` can fence `target`, and by what rule (or why not). Runs the agent's
    `list` or `status` when the device's host check needs it. The device needs its agent info
    (see `with_agent_info`); without it only a static answer is possible."""
    cache = cache if cache is not None else FenceCache()
    runs = runs if runs is not None else []
    if agent_path(device.agent, agent_dir) is None:
        return False, f"agent {device.agent} is not installed"
    static = static_capability(device, target, action)
    if static is not None:
        if device.host_check_configured is not None and device.host_check is None:
            return False, f"invalid pcmk_host_check {device.host_check_configured!r}"
        if action == "on" and device.supports("on") is False:
            return False, "the agent has no 'on' action"
        return static, f"{device.host_check}"
    check = device.host_check
    if check == "dynamic-list" and device.id not in cache.status_fallback:
        targets = cache.fresh_list(device.id)
        if targets is None:
            timeout = device.action_timeouts_ms.get("list", stonith_timeout_ms)
            run = await _with_retries(device, "list", None, timeout_ms=timeout, agent_dir=agent_dir,
                                      clock=cache.clock, runs=runs)
            if run.ok:
                targets = parse_targets(run.stdout)
                cache.lists[device.id] = (cache.clock(), targets)
            elif device.id in cache.lists:
                targets = cache.lists[device.id][1]  # the most recent list, however old
            elif device.host_check_configured is None:
                cache.status_fallback.add(device.id)  # Pacemaker switches such a device to status
            else:
                return False, f"list failed: {_why(run)}"
        if targets is not None:
            return listed(device, target, targets), "dynamic-list"
    if check in ("dynamic-list", "status"):
        timeout = device.action_timeouts_ms.get("status", stonith_timeout_ms)
        run = await _with_retries(device, "status", target, timeout_ms=timeout, agent_dir=agent_dir,
                                  clock=cache.clock, runs=runs)
        if run.status is RunStatus.DONE and run.rc in (0, 2):
            return True, "status"
        return False, f"status: {_why(run)}"
    return False, "no host check"


async def _agent_infos(devices: Sequence[FenceDevice], agent_dir: Path,
                       cache: FenceCache) -> list[FenceDevice]:
    wanted = sorted({d.agent for d in devices if d.agent_info is None and d.agent not in cache.agents})
    found = await asyncio.gather(*(agent_info(a, agent_dir=agent_dir) for a in wanted))
    for agent, info in zip(wanted, found, strict=True):
        if info is not None:  # a failure is not remembered: the agent may be installed later
            cache.agents[agent] = info
    return [d if d.agent_info is not None else with_agent_info(d, cache.agents.get(d.agent)) for d in devices]


@dataclass(frozen=True)
class _Ctx:
    stonith_timeout_ms: int
    agent_dir: Path
    rnd: Random
    sleep: Sleep
    clock: Callable[[], float]


async def _device_action(device: FenceDevice, action: str, op: _Op, ctx: _Ctx) -> bool:
    delay = device_delay_ms(device, action, op.target, op.requested_delay_ms, ctx.rnd)
    if op.requested_delay_ms > 0:
        op.requested_delay_ms = 0  # the requested delay is for the first device only
    if action in FENCING_ACTIONS:
        op.delays.append((device.id, delay))
    if delay > 0:
        await ctx.sleep(delay / 1000)
    op.used.append(device.id)
    run = await _with_retries(device, agent_action(device, action), op.target,
                              timeout_ms=action_timeout_ms(device, action, ctx.stonith_timeout_ms),
                              agent_dir=ctx.agent_dir, clock=ctx.clock, runs=op.runs)
    if not run.ok:
        op.failures.append(_why(run))
    return run.ok


async def _run_level(devices: Sequence[FenceDevice], op: _Op, ctx: _Ctx) -> bool:
    """Every device must succeed. A reboot over several devices: off on all, then on on all."""
    if op.action == "reboot" and len(devices) > 1:
        for dev in devices:
            if not await _device_action(dev, "off", op, ctx):
                return False
        for dev in devices:
            if dev.reboot_action != "off" and dev.supports("on") is not False:
                await _device_action(dev, "on", op, ctx)  # the node is off already: failures ignored
        return True
    for dev in devices:
        if not await _device_action(dev, op.action, op, ctx):
            return False
    return True


async def fence(target: str, action: str = "reboot", *, devices: Sequence[FenceDevice],
                levels: Sequence[FencingLevel] = (), stonith_timeout_ms: int = DEFAULT_STONITH_TIMEOUT_MS,
                random: Random | None = None, delay_ms: int = 0,
                node_attributes: Mapping[str, str] | None = None, agent_dir: Path = DEFAULT_AGENT_DIR,
                cache: FenceCache | None = None, sleep: Sleep = asyncio.sleep,
                clock: Callable[[], float] = time.monotonic,
                runs: list[AgentRun] | None = None) -> FenceOutcome:
    """Fence `target` (action reboot, off or on) with the devices this node runs. Never raises
    for device trouble: the outcome says what happened. `delay_ms` is the requested delay
    (priority-fencing-delay; -1 disables all delays); `node_attributes` are the target's, for
    levels by target-attribute; `random` draws the pcmk_delay_max part (pass a seeded one to
    reproduce it); `sleep` and `clock` are for tests. Every agent run (queries included) is
    appended to `runs` when given: what the agents were told and said, for diagnosis."""
    if action not in FENCE_ACTIONS:
        raise ValueError(f"fence action must be one of {', '.join(FENCE_ACTIONS)}, not {action!r}")
    t0 = clock()
    rnd = random if random is not None else Random()
    cache = cache if cache is not None else FenceCache(clock)
    op = _Op(target=target, action=action, requested_delay_ms=delay_ms,
             runs=runs if runs is not None else [])
    topology = levels_for(target, levels, node_attributes)
    level_index: int | None = None

    def outcome(status: FenceStatus, detail: str) -> FenceOutcome:
        return FenceOutcome(target=target, action=action, status=status, devices=tuple(op.used),
                            level=level_index, delays_ms=tuple(op.delays),
                            duration_ms=int((clock() - t0) * 1000), detail=detail)

    # 1. query: which devices can fence the target
    by_id = {d.id: d for d in devices}
    wanted_ids = [i for lv in topology for i in lv.devices if i in by_id] if topology else list(by_id)
    wanted = list(dict.fromkeys(wanted_ids))
    try:
        async with asyncio.timeout(TIMER_FACTOR * stonith_timeout_ms / 1000):
            known = await _agent_infos([by_id[i] for i in wanted], agent_dir, cache)
            answers = await asyncio.gather(*(
                can_fence(d, target, action, stonith_timeout_ms=stonith_timeout_ms, agent_dir=agent_dir,
                          cache=cache, runs=op.runs) for d in known))
    except TimeoutError:
        return outcome(FenceStatus.TIMEOUT, f"no answer from the devices' queries within "
                                            f"{int(TIMER_FACTOR * stonith_timeout_ms)} ms")
    ready = {d.id: d for d in known}
    capable = {d.id: why for d, (can, why) in zip(known, answers, strict=True) if can}
    refused = {d.id: why for d, (can, why) in zip(known, answers, strict=True) if not can}

    # 2. plan: the levels whose devices are all capable, or the capable devices
    plan: list[tuple[FencingLevel | None, list[FenceDevice]]] = []
    skipped: list[str] = []
    if topology:
        for lv in topology:
            missing = [i for i in lv.devices if i not in capable]
            if missing:
                skipped.append(f"level {lv.index}: " + "; ".join(
                    f"{i}: {refused.get(i, 'no such device')}" for i in missing))
            else:
                plan.append((lv, [ready[i] for i in lv.devices]))
    else:
        plan = [(None, [ready[i]]) for i in wanted if i in capable]
    if not plan:
        why = "; ".join(skipped) if topology else "; ".join(f"{i}: {w}" for i, w in refused.items())
        return outcome(FenceStatus.NO_DEVICE,
                       f"no device can {action} {target}" + (f" ({why})" if why else ""))

    # 3. execute, within the execution bound
    budget = total_timeout_ms([d for _, devs in plan for d in devs], action, stonith_timeout_ms, delay_ms)
    ctx = _Ctx(stonith_timeout_ms=stonith_timeout_ms, agent_dir=agent_dir, rnd=rnd, sleep=sleep, clock=clock)
    try:
        async with asyncio.timeout(budget / 1000):
            for step, devs in plan:
                level_index = step.index if step is not None else None
                if await _run_level(devs, op, ctx):
                    how = devs[0].id if step is None else f"level {step.index} ({', '.join(step.devices)})"
                    return outcome(FenceStatus.OK, f"{action} of {target} done by {how}")
    except TimeoutError:
        return outcome(FenceStatus.TIMEOUT, f"{action} of {target} not done within {budget} ms: "
                                            + "; ".join(op.failures or ["an agent was still running"]))
    last_timed_out = bool(op.runs) and op.runs[-1].status is RunStatus.TIMEOUT
    return outcome(FenceStatus.TIMEOUT if last_timed_out else FenceStatus.FAILED,
                   f"{action} of {target} failed: " + "; ".join(op.failures))


async def monitor_device(device: FenceDevice, timeout_ms: int, *,
                         agent_dir: Path = DEFAULT_AGENT_DIR) -> bool:
    """The device's `monitor` (pcmk_monitor_action applies; retried as any fencer action)."""
    runs: list[AgentRun] = []
    timeout = device.action_timeouts_ms.get("monitor", timeout_ms)
    run = await _with_retries(device, "monitor", None, timeout_ms=timeout, agent_dir=agent_dir,
                              clock=time.monotonic, runs=runs)
    return run.ok
