"""A test client that runs one CorosyncLayer inside a lab node and speaks JSON lines.

    nsenter -t <init> -n -m -- python3 cluster_driver.py --group NAME

stdin, one command per line: {"id": 7, "op": "start" | "stop" | "quorum" | "names" | "broadcast"
| "bench" | "exit", ...}. broadcast takes {"b64": ...} or {"gen": {"size": N, "seed": S}}.
stdout, one object per line: {"reply": 7, "ok": true, "result": ...} or {"reply": 7, "ok": false,
"error": "MessageTooLarge", "message": ...}; {"event": {...}} for each event of the stream; and
{"end": null} or {"end": "ClusterUnavailable", "message": ...} when the stream ends.
Payloads starting with BENCH_PREFIX are counted, not echoed (benchmarks). EOF on stdin = exit.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import random
import statistics
import sys
import time
from typing import Any

from vigil.cluster.layer import ClusterEvent, ClusterUnavailable, Delivery, Membership, NodeId, QuorumChange

BENCH_PREFIX = b"\x00vigil-bench\x00"


def generated(size: int, seed: int) -> bytes:
    """The payload of a `gen` broadcast: incompressible when seed >= 0, one repeated byte otherwise."""
    if seed < 0:
        return bytes([-seed % 256]) * size
    return random.Random(seed).randbytes(size)


def event_to_json(event: ClusterEvent) -> dict[str, Any]:
    if isinstance(event, Membership):
        return {"kind": "membership", "ring_id": list(event.ring_id), "members": list(event.members),
                "joined": list(event.joined), "left": list(event.left)}
    if isinstance(event, Delivery):
        return {"kind": "delivery", "sender": event.sender, "b64": base64.b64encode(event.payload).decode()}
    return {"kind": "quorum", "quorate": event.quorate, "total_votes": event.total_votes,
            "expected_votes": event.expected_votes, "quorum": event.quorum, "members": list(event.members),
            "two_node": event.two_node, "wait_for_all": event.wait_for_all}


def _ids(values: list[int]) -> tuple[NodeId, ...]:
    return tuple(NodeId(v) for v in values)


def event_from_json(data: dict[str, Any]) -> ClusterEvent:
    kind = data["kind"]
    if kind == "membership":
        ring = data["ring_id"]
        return Membership((int(ring[0]), int(ring[1])), _ids(data["members"]), _ids(data["joined"]),
                          _ids(data["left"]))
    if kind == "delivery":
        return Delivery(NodeId(data["sender"]), base64.b64decode(data["b64"]))
    return QuorumChange(bool(data["quorate"]), int(data["total_votes"]), int(data["expected_votes"]),
                        int(data["quorum"]), _ids(data["members"]), bool(data["two_node"]),
                        bool(data["wait_for_all"]))


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.buffer.write(json.dumps(obj, separators=(",", ":")).encode() + b"\n")
    sys.stdout.buffer.flush()


class Driver:
    def __init__(self, group: str) -> None:
        from vigil.cluster.corosync import CorosyncLayer

        self.layer = CorosyncLayer(group)
        self.pump: asyncio.Task[None] | None = None
        self.bench_seen: dict[int, float] = {}
        self.bench_event = asyncio.Event()

    async def events(self) -> None:
        try:
            async for event in self.layer.events():
                if isinstance(event, Delivery) and event.payload.startswith(BENCH_PREFIX):
                    if event.sender == self.layer.local_node:
                        seq = int.from_bytes(event.payload[len(BENCH_PREFIX):len(BENCH_PREFIX) + 8], "big")
                        self.bench_seen[seq] = time.perf_counter()
                        self.bench_event.set()
                    continue
                emit({"event": event_to_json(event)})
            emit({"end": None})
        except ClusterUnavailable as err:
            emit({"end": "ClusterUnavailable", "message": str(err)})

    async def handle(self, cmd: dict[str, Any]) -> Any:
        op = cmd["op"]
        if op == "start":
            await self.layer.start()
            self.pump = asyncio.create_task(self.events())
            return {"node": self.layer.local_node, "max_message_size": self.layer.max_message_size,
                    "atomic_size": self.layer.atomic_size}
        if op == "broadcast":
            if "gen" in cmd:
                payload = generated(int(cmd["gen"]["size"]), int(cmd["gen"]["seed"]))
            else:
                payload = base64.b64decode(cmd["b64"])
            t0 = time.perf_counter()
            await self.layer.broadcast(payload)
            return {"accepted_s": time.perf_counter() - t0}
        if op == "stop":
            await self.layer.stop()
            if self.pump is not None:
                await asyncio.wait_for(self.pump, 10)
            return None
        if op == "quorum":
            return event_to_json(await self.layer.quorum())
        if op == "names":
            return {str(k): v for k, v in self.layer.node_names().items()}
        if op == "bench":
            return await self.bench(int(cmd["count"]), int(cmd["size"]), str(cmd["mode"]))
        raise ValueError(f"unknown op {op!r}")

    async def bench(self, count: int, size: int, mode: str) -> dict[str, float]:
        """latency: one message at a time, broadcast -> own delivery. throughput: all at once."""
        self.bench_seen.clear()
        pad = b"x" * max(0, size - len(BENCH_PREFIX) - 8)
        sent: dict[int, float] = {}

        async def wait_for(seq: int) -> None:
            while seq not in self.bench_seen:
                self.bench_event.clear()
                await asyncio.wait_for(self.bench_event.wait(), 30)

        t_start = time.perf_counter()
        for seq in range(count):
            sent[seq] = time.perf_counter()
            await self.layer.broadcast(BENCH_PREFIX + seq.to_bytes(8, "big") + pad)
            if mode == "latency":
                await wait_for(seq)
        await wait_for(count - 1)
        elapsed = time.perf_counter() - t_start
        lat = sorted(self.bench_seen[s] - sent[s] for s in range(count))
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else lat * 99
        return {"count": count, "size": size, "seconds": elapsed, "msgs_per_s": count / elapsed,
                "mib_per_s": count * size / elapsed / 2**20, "p50_ms": 1e3 * q[49], "p99_ms": 1e3 * q[98]}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--group", default="vigil-test")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 28)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    driver = Driver(args.group)
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd["op"] == "exit":
            break
        try:
            result = await driver.handle(cmd)
        except Exception as err:  # reported to the test, which decides
            emit({"reply": cmd.get("id"), "ok": False, "error": type(err).__name__, "message": str(err)})
        else:
            emit({"reply": cmd.get("id"), "ok": True, "result": result})
    await driver.layer.stop()
    if driver.pump is not None:
        await asyncio.wait_for(driver.pump, 10)


if __name__ == "__main__":
    asyncio.run(main())
