"""`python3 -m vigil.daemon`: run vigild on this node's Corosync.

Exits with status 1 when Corosync is lost (or cannot be reached at start): its supervisor (the
lab's node init, or systemd) restarts it. Events go to a JSON-lines file for `vigil status
--watch` and the benchmarks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time
from typing import TextIO

from vigil.cluster.layer import ClusterUnavailable
from vigil.daemon.ipc import DEFAULT_SOCKET, ControlServer
from vigil.daemon.local_executor import AgentExecutor
from vigil.daemon.store import FileStore
from vigil.daemon.vigild import Vigild


class WallClock:
    def now(self) -> int:
        return int(time.time())


class EventLog:
    def __init__(self, path: str | None) -> None:
        self.file: TextIO | None = None
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            self.file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115

    def __call__(self, event: dict[str, object]) -> None:
        event = {"ts": round(time.time(), 3), **event}
        logging.getLogger("vigild.events").info("%s", event)
        if self.file is not None:
            self.file.write(json.dumps(event) + "\n")


async def _serve(args: argparse.Namespace) -> int:
    from vigil.cluster.corosync import CorosyncLayer

    layer = CorosyncLayer(args.group)
    node = args.node or socket.gethostname()
    daemon = Vigild(layer, AgentExecutor(node), FileStore(args.state_dir), WallClock(),
                    event_sink=EventLog(args.events))
    server = ControlServer(daemon, args.socket)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    run = asyncio.ensure_future(daemon.run())
    waiter = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({run, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if run in done:
            exc = run.exception()
            if isinstance(exc, ClusterUnavailable):
                logging.error("lost the cluster engine: %s", exc)
                return 1
            if exc is not None:
                raise exc
            return 0
        # Asked to stop: say goodbye first, so the others do not fence us for leaving.
        await daemon.leave()
        return 0
    finally:
        waiter.cancel()
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError, ClusterUnavailable, Exception):
            await run
        with contextlib.suppress(Exception):
            await layer.stop()
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vigild", description=__doc__)
    p.add_argument("--state-dir", default="/var/lib/vigil")
    p.add_argument("--socket", default=DEFAULT_SOCKET)
    p.add_argument("--events", default="/var/log/vigil/events.jsonl")
    p.add_argument("--group", default="vigil", help="the Corosync CPG group name")
    p.add_argument("--node", help="this node's name (default: the host name)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s vigild %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(_serve(args))
    except ClusterUnavailable as exc:
        logging.error("cannot reach Corosync: %s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
