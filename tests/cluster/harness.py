"""One driving interface over both backends, so tests/cluster/test_contract.py is written once.

A harness owns a 3-node cluster and one ClusterLayer per node: in-process (`SimHarness`), or a
`cluster_driver.py` process inside each node of a `CorosyncLab` (`CorosyncHarness`). Tests read
each node's events with `next_event`, which returns the ClusterEvent, or `END` when the stream
ended, or `Lost(message)` when it raised ClusterUnavailable.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest
from cluster_driver import event_from_json, generated
from corosync_lab import CorosyncLab

from vigil.cluster.layer import (
    ClusterEvent,
    ClusterUnavailable,
    Delivery,
    Membership,
    MessageTooLarge,
    NodeId,
    QuorumChange,
)
from vigil.cluster.sim import SimLayer, SimNetwork

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"


class _End:
    def __repr__(self) -> str:
        return "END"


END = _End()


@dataclass(frozen=True)
class Lost:
    message: str


Event = ClusterEvent | _End | Lost


@dataclass(frozen=True)
class Generated:
    """A payload made where it is sent (see cluster_driver.generated): big ones never cross a pipe."""

    size: int
    seed: int

    def materialize(self) -> bytes:
        return generated(self.size, self.seed)


Payload = bytes | Generated


class Harness(Protocol):
    name: str
    nodes: tuple[NodeId, ...]
    timeout: float  # seconds to wait for an event that must come
    quiet: float  # seconds of silence after which "no more events" is believed

    @property
    def atomic_size(self) -> int: ...

    @property
    def max_message_size(self) -> int: ...

    async def start(self, node: NodeId) -> None: ...
    async def stop(self, node: NodeId) -> None: ...
    async def broadcast(self, node: NodeId, payload: Payload) -> None: ...
    async def next_event(self, node: NodeId, timeout: float) -> Event: ...
    async def quorum(self, node: NodeId) -> QuorumChange: ...
    async def crash(self, node: NodeId) -> None: ...
    async def restart(self, node: NodeId) -> None: ...
    async def partition(self, *groups: set[int]) -> None: ...
    async def heal(self) -> None: ...
    async def close(self) -> None: ...


Scenario = Callable[[Harness], Awaitable[None]]
RunCluster = Callable[[Scenario], None]  # the run_cluster fixture of conftest.py


class SimHarness:
    name = "sim"
    timeout = 1.0  # never waited for: the sim's events are queued before anyone looks
    quiet = 0.0

    def __init__(self, nodes: int = 3) -> None:
        self.net = SimNetwork()
        self.nodes = tuple(NodeId(i) for i in range(1, nodes + 1))
        self.layers: dict[NodeId, SimLayer] = {n: self.net.add_node(n, f"n{n}") for n in self.nodes}

    @property
    def atomic_size(self) -> int:
        return 1 << 20  # the sim has none; the tests use this as "big"

    @property
    def max_message_size(self) -> int:
        return self.net.max_message_size

    async def start(self, node: NodeId) -> None:
        layer = self.net.layer(node)
        if layer is None or layer.state != "new":
            layer = self.net.new_layer(node)  # like a fresh vigild process
        self.layers[node] = layer
        await layer.start()

    async def stop(self, node: NodeId) -> None:
        await self.layers[node].stop()

    async def broadcast(self, node: NodeId, payload: Payload) -> None:
        data = payload.materialize() if isinstance(payload, Generated) else payload
        await self.layers[node].broadcast(data)

    async def next_event(self, node: NodeId, timeout: float) -> Event:
        stream = self.layers[node].events()
        if stream.backlog() == 0 and not stream.ended and timeout <= 0:
            raise TimeoutError  # nothing queued: in the sim nothing more comes by waiting
        try:
            if stream.backlog() or stream.ended:
                return await anext(stream)
            return await asyncio.wait_for(anext(stream), timeout)
        except StopAsyncIteration:
            return END
        except ClusterUnavailable as err:
            return Lost(str(err))

    async def quorum(self, node: NodeId) -> QuorumChange:
        return await self.layers[node].quorum()

    async def crash(self, node: NodeId) -> None:
        self.net.crash(node)

    async def restart(self, node: NodeId) -> None:
        self.layers[node] = self.net.restart(node)

    async def partition(self, *groups: set[int]) -> None:
        self.net.partition(*groups)

    async def heal(self) -> None:
        self.net.heal()

    async def close(self) -> None:
        for layer in self.layers.values():
            await layer.stop()


_ERRORS: dict[str, type[Exception]] = {
    "ClusterUnavailable": ClusterUnavailable,
    "MessageTooLarge": MessageTooLarge,
    "RuntimeError": RuntimeError,
}


class _Driver:
    """One cluster_driver.py process inside a lab node."""

    def __init__(self, proc: asyncio.subprocess.Process, node: NodeId) -> None:
        self.proc = proc
        self.node = node
        self.events: asyncio.Queue[Event] = asyncio.Queue()
        self.replies: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count(1)
        self.reader = asyncio.create_task(self._read())
        self.info: dict[str, Any] = {}

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            msg = json.loads(line)
            if "reply" in msg:
                fut = self.replies.pop(msg["reply"], None)
                if fut is None or fut.done():
                    continue
                if msg["ok"]:
                    fut.set_result(msg["result"])
                else:
                    error = _ERRORS.get(msg["error"], RuntimeError)
                    fut.set_exception(error(f"{msg['error']}: {msg['message']}"))
            elif "event" in msg:
                self.events.put_nowait(event_from_json(msg["event"]))
            elif "end" in msg:
                self.events.put_nowait(END if msg["end"] is None else Lost(msg.get("message", "")))
        for fut in self.replies.values():
            if not fut.done():
                fut.set_exception(RuntimeError(f"driver of node {self.node} exited"))

    async def call(self, op: str, timeout: float, **args: Any) -> Any:
        assert self.proc.stdin is not None
        cid = next(self.ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.replies[cid] = fut
        self.proc.stdin.write(json.dumps({"id": cid, "op": op, **args}).encode() + b"\n")
        await self.proc.stdin.drain()
        return await asyncio.wait_for(fut, timeout)

    async def close(self) -> None:
        if self.proc.returncode is None and self.proc.stdin is not None:
            self.proc.stdin.close()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await asyncio.wait_for(self.proc.wait(), 10)
        self.reader.cancel()


class CorosyncHarness:
    name = "corosync"
    timeout = 20.0  # token 1000 ms: a lost node is noticed in about 2.2 s, a heal in a few s
    quiet = 1.0

    def __init__(self, lab: CorosyncLab, group: str) -> None:
        self.lab = lab
        self.group = group
        self.nodes = tuple(NodeId(i) for i in lab.node_ids)
        self.drivers: dict[NodeId, _Driver] = {}
        self._atomic = 0
        self._max = 0

    @property
    def atomic_size(self) -> int:
        return self._atomic

    @property
    def max_message_size(self) -> int:
        return self._max

    async def _spawn(self, node: NodeId) -> _Driver:
        old = self.drivers.pop(node, None)
        if old is not None:
            await old.close()
            self.lab.untrack(old.proc.pid)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), str(HERE)]))
        driver = [sys.executable, str(HERE / "cluster_driver.py"), "--group", self.group]
        argv = self.lab.node_argv(node, driver)
        assert self.lab.workdir is not None
        log = open(self.lab.workdir / f"driver-{self.group}-n{node}.log", "ab")  # noqa: SIM115
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=log, env=env,
            limit=1 << 28,
        )
        log.close()
        self.lab.track(proc.pid)
        client = self.drivers[node] = _Driver(proc, node)
        return client

    async def start(self, node: NodeId) -> None:
        driver = await self._spawn(node)
        info = await driver.call("start", self.timeout)
        self._atomic, self._max = int(info["atomic_size"]), int(info["max_message_size"])

    async def stop(self, node: NodeId) -> None:
        await self.drivers[node].call("stop", self.timeout)

    async def broadcast(self, node: NodeId, payload: Payload) -> None:
        if isinstance(payload, Generated):
            gen = {"size": payload.size, "seed": payload.seed}
            await self.drivers[node].call("broadcast", self.timeout, gen=gen)
        else:
            await self.drivers[node].call("broadcast", self.timeout, b64=base64.b64encode(payload).decode())

    async def next_event(self, node: NodeId, timeout: float) -> Event:
        return await asyncio.wait_for(self.drivers[node].events.get(), timeout)

    async def quorum(self, node: NodeId) -> QuorumChange:
        data = await self.drivers[node].call("quorum", self.timeout)
        event = event_from_json(data)
        assert isinstance(event, QuorumChange)
        return event

    async def bench(self, node: NodeId, *, mode: str, count: int, size: int) -> dict[str, float]:
        result = await self.drivers[node].call("bench", 120, mode=mode, count=count, size=size)
        return {k: float(v) for k, v in result.items()}

    # The lab is driven from this (the main) thread, blocking the loop briefly: processes it starts
    # die with the thread that started them (PR_SET_PDEATHSIG), so never from a worker thread.
    async def crash(self, node: NodeId) -> None:
        self.lab.kill_corosync(node)

    async def restart(self, node: NodeId) -> None:
        self.lab.start_corosync(node)

    async def partition(self, *groups: set[int]) -> None:
        self.lab.partition(*groups)

    async def heal(self) -> None:
        self.lab.heal()

    async def close(self) -> None:
        for node in list(self.drivers):
            driver = self.drivers.pop(node)
            await driver.close()
            self.lab.untrack(driver.proc.pid)


class Watch:
    """Reads every node's events and remembers them, so that waiting for one kind of event never
    loses another: deliveries wait in `inbox`, the latest view and quorum are kept per node."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.log: dict[NodeId, list[Event]] = {n: [] for n in h.nodes}
        self.inbox: dict[NodeId, list[Delivery]] = {n: [] for n in h.nodes}
        self.view: dict[NodeId, Membership | None] = {n: None for n in h.nodes}
        self.quorum: dict[NodeId, QuorumChange | None] = {n: None for n in h.nodes}
        self.ended: dict[NodeId, Event | None] = {n: None for n in h.nodes}

    def reset(self, node: NodeId) -> None:
        """A new layer on `node`: forget what the previous one said."""
        self.view[node] = self.quorum[node] = self.ended[node] = None
        self.inbox[node] = []

    async def next(self, node: NodeId, timeout: float | None = None) -> Event:
        event = await self.h.next_event(node, self.h.timeout if timeout is None else timeout)
        self.log[node].append(event)
        if isinstance(event, Membership):
            assert node in event.members, f"node {node} not in its own view {event}"
            self.view[node] = event
        elif isinstance(event, QuorumChange):
            self.quorum[node] = event
        elif isinstance(event, Delivery):
            self.inbox[node].append(event)
        else:
            self.ended[node] = event
        return event

    async def until(self, node: NodeId, done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.h.timeout
        while not done():
            if self.ended[node] is not None:
                pytest.fail(f"node {node}: stream ended ({self.ended[node]}) while waiting for {what}")
            remaining = deadline - time.monotonic()
            try:
                await self.next(node, max(remaining, 0.0))
            except TimeoutError:
                pytest.fail(f"node {node}: no {what} within {self.h.timeout}s; saw {self.log[node][-8:]}")

    async def view_of(self, node: NodeId, members: tuple[int, ...]) -> Membership:
        await self.until(node, lambda: self._members(node) == members, f"view {members}")
        view = self.view[node]
        assert view is not None
        return view

    def _members(self, node: NodeId) -> tuple[int, ...] | None:
        view = self.view[node]
        return None if view is None else tuple(view.members)

    async def quorate(self, node: NodeId, quorate: bool) -> QuorumChange:
        await self.until(node, lambda: (q := self.quorum[node]) is not None and q.quorate == quorate,
                         f"quorate={quorate}")
        change = self.quorum[node]
        assert change is not None
        return change

    async def deliveries(self, node: NodeId, count: int) -> list[Delivery]:
        await self.until(node, lambda: len(self.inbox[node]) >= count, f"{count} deliveries")
        taken, self.inbox[node] = self.inbox[node][:count], self.inbox[node][count:]
        return taken

    async def end(self, node: NodeId) -> Event:
        deadline = time.monotonic() + self.h.timeout
        while self.ended[node] is None:
            try:
                await self.next(node, max(deadline - time.monotonic(), 0.0))
            except TimeoutError:
                pytest.fail(f"node {node}: stream did not end; saw {self.log[node][-8:]}")
        event = self.ended[node]
        assert event is not None
        return event

    async def drain(self, node: NodeId) -> None:
        """Read what is already there (the sim) or comes within `quiet` seconds (corosync)."""
        while self.ended[node] is None:
            try:
                await self.next(node, self.h.quiet)
            except TimeoutError:
                return

    async def start_all(self) -> None:
        for n in self.h.nodes:
            await self.h.start(n)
        for n in self.h.nodes:
            await self.view_of(n, tuple(self.h.nodes))
            await self.quorate(n, True)
