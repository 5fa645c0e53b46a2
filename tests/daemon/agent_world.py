"""A simulated world of resources for daemon tests: which resource really runs on which node.

Each node gets a WorldExecutor (a LocalExecutor) that acts on the shared world as a real agent
would act on a real machine: start makes it run, stop makes it stop, a probe or monitor reports
the truth. Tests change the truth (`kill`) to inject failures; monitors notice on `tick()`.
Deterministic: no timers, no threads.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from vigil.controller.operations import Operation, Outcome
from vigil.model.status import OperationRecord, ResourceHistory
from vigil.scheduler.digests import parameters_digest

# What a promotable resource's agent (like ocf:pacemaker:Stateful) sets as its promotion score
# (crm_attribute --promotion: the transient node attribute master-RSC) in each role.
SCORE_UNPROMOTED, SCORE_PROMOTED = "5", "10"

# (node, resource, attribute, value or None to delete): what agents asked of crm_attribute
AttributeSink = Callable[[str, str, str, str | None], None]


@dataclass
class World:
    running: dict[tuple[str, str], bool] = field(default_factory=dict)  # (node, rsc) -> running
    broken_stop: set[tuple[str, str]] = field(default_factory=set)
    log: list[tuple[str, str, str, int]] = field(default_factory=list)  # node, rsc, task, rc
    clock: int = 1_764_000_000
    executors: dict[str, WorldExecutor] = field(default_factory=dict)
    # while set and not yet released, every start waits for it (a slow agent, still running)
    start_gate: asyncio.Event | None = None
    # promotable resources (history ids) and which instances are promoted; a failed promoted
    # instance's monitor says 9 until it is stopped
    promotable: set[str] = field(default_factory=set)
    promoted: set[tuple[str, str]] = field(default_factory=set)
    failed_promoted: set[tuple[str, str]] = field(default_factory=set)
    # the meta values each notify was given: (node, rsc, meta)
    notified: list[tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    failing_notify: set[tuple[str, str]] = field(default_factory=set)  # their notify returns 1
    on_attribute: AttributeSink | None = None

    def executor(self, node: str) -> WorldExecutor:
        ex = WorldExecutor(self, node)
        self.executors[node] = ex
        return ex

    def where(self, rsc: str) -> list[str]:
        return sorted(n for (n, r), up in self.running.items() if r == rsc and up)

    def kill(self, node: str, rsc: str) -> None:
        """The resource dies underneath the cluster (a crashed process)."""
        self.running[(node, rsc)] = False

    def power_off(self, node: str) -> None:
        for key in list(self.running):
            if key[0] == node:
                self.running[key] = False
                self.promoted.discard(key)
                self.failed_promoted.discard(key)

    def where_promoted(self, rsc: str) -> list[str]:
        return sorted(n for (n, r) in self.promoted if r == rsc and self.running.get((n, r)))

    def fail_promoted(self, node: str, rsc: str) -> None:
        """The promoted instance breaks: its monitor says 9 (failed promoted) from now on."""
        self.failed_promoted.add((node, rsc))

    def tick(self) -> None:
        """Every recurring monitor runs once."""
        for ex in list(self.executors.values()):
            ex.run_monitors()

    def now(self) -> int:
        return self.clock


class WorldExecutor:
    def __init__(self, world: World, node: str) -> None:
        self.world = world
        self.node = node
        self.calls = itertools.count(1)
        self.histories: dict[str, ResourceHistory] = {}
        self.monitors: dict[tuple[str, int], tuple[Operation, Callable[[Outcome], None], int]] = {}

    def _score(self, rsc: str, value: str | None) -> None:
        if rsc in self.world.promotable and self.world.on_attribute is not None:
            self.world.on_attribute(self.node, rsc, f"master-{rsc}", value)

    def _rc(self, op: Operation) -> int:
        key = (self.node, op.resource)
        world = self.world
        if op.task == "start":
            world.running[key] = True
            self._score(op.resource, SCORE_UNPROMOTED)
            return 0
        if op.task == "stop":
            if key in world.broken_stop:
                return 1
            world.running[key] = False
            world.promoted.discard(key)
            world.failed_promoted.discard(key)
            self._score(op.resource, None)
            return 0
        if op.task in ("promote", "demote"):
            if not world.running.get(key):
                return 7
            if op.task == "promote":
                world.promoted.add(key)
            else:
                world.promoted.discard(key)
                world.failed_promoted.discard(key)
            self._score(op.resource, SCORE_PROMOTED if op.task == "promote" else SCORE_UNPROMOTED)
            return 0
        if op.task == "notify":
            world.notified.append((self.node, op.resource, op.meta))
            return 1 if key in world.failing_notify else 0
        if op.task == "monitor":
            if not world.running.get(key):
                return 7
            if key in world.failed_promoted:
                return 9
            if op.interval_ms == 0:  # a probe says the score again (Stateful does)
                self._score(op.resource, SCORE_PROMOTED if key in world.promoted else SCORE_UNPROMOTED)
            return 8 if key in world.promoted else 0
        return 0

    def _record(self, op: Operation, rc: int) -> Outcome:
        call = next(self.calls)
        failed_one_off = op.interval_ms == 0 and rc != op.expected_rc and not (
            op.task == "monitor" and rc in (0, 7, 8))
        if op.interval_ms:
            rid = f"{op.resource}_monitor_{op.interval_ms}"
        elif failed_one_off:
            rid = f"{op.resource}_last_failure_0"
        else:
            rid = f"{op.resource}_last_0"
        params = dict(op.params)
        if op.interval_ms:
            params["CRM_meta_timeout"] = str(op.timeout_ms)
        key = f"{call}:1:{op.expected_rc}:world"
        record = OperationRecord(
            id=rid, operation=op.task, call_id=call, rc_code=rc, op_status=0,
            interval_ms=op.interval_ms, transition_key=key, transition_magic=f"0:{rc};{key}",
            last_rc_change=self.world.now(), op_digest=parameters_digest(params),
            operation_key=f"{op.resource}_{op.task}_{op.interval_ms}", on_node=self.node)
        identity = ResourceHistory(id=op.resource, standard=op.standard,
                                   agent_type=op.agent_type, provider=op.provider)
        self.world.log.append((self.node, op.resource, op.task, rc))
        if op.task == "notify":  # reported, never kept in the history (as by Pacemaker)
            return Outcome(identity, dataclasses.replace(record, id=record.operation_key or rid))
        hist = self.histories.get(op.resource, identity)
        ops = [r for r in hist.operations if r.id != rid]
        if op.task == "stop" and rc == 0:
            ops = [r for r in ops if r.interval_ms == 0]
        self.histories[op.resource] = dataclasses.replace(hist, operations=(*ops, record))
        return Outcome(identity, record)

    async def execute(self, op: Operation) -> Outcome:
        if op.task == "start" and self.world.start_gate is not None:
            await self.world.start_gate.wait()
        return self._record(op, self._rc(op))

    def start_monitor(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        self.monitors[(op.resource, op.interval_ms)] = (op, report, -1)

    def monitors_of(self, rsc: str) -> dict[int, tuple[str | None, int]]:
        """The recurring monitors running for `rsc`: interval -> (role, expected rc)."""
        return {interval: (op.role, op.expected_rc)
                for (r, interval), (op, _, _) in self.monitors.items() if r == rsc}

    def cancel_monitors(self, resource: str, remote: str | None = None) -> None:
        for key in [k for k in self.monitors if k[0] == resource]:
            del self.monitors[key]

    def run_monitors(self) -> None:
        for key, (op, report, last) in list(self.monitors.items()):
            rc = self._rc(op)
            if rc != last or rc != op.expected_rc:
                self.monitors[key] = (op, report, rc)
                report(self._record(op, rc))

    def history(self) -> tuple[ResourceHistory, ...]:
        return tuple(self.histories.values())
