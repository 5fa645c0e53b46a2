"""`python3 -m vigil.daemon.remoted` (vigil-remoted): a remote node's executor.

Pacemaker Remote's role: a machine that is not a Corosync member runs resources for the cluster
(the way past Corosync's node limit). It listens on TCP 3121 with TLS; a member that runs the
node's connection resource (`ocf:pacemaker:remote`) connects, proves it holds the shared key
(vigil.daemon.remote_wire) and asks it to run operations, which this node's AgentExecutor runs
with the real agents, exactly as vigild runs them on a member. Its recurring monitors run here
and their changes are reported to whoever is connected.

One member is connected at a time: a new connection replaces the old one (the connection moved
because its member was lost, and the old TCP connection may never say goodbye). What runs here
keeps running while no member is connected; the next connection reads the history first.

Not yet here (said in the README): crm_attribute and the other tools for agents that call
them on a remote node (PAF's crm_master), and the cluster's fencing of a remote node.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import ssl
import sys
from collections.abc import Coroutine
from pathlib import Path

from vigil.controller.operations import Outcome
from vigil.daemon import remote_wire as w
from vigil.daemon.local_executor import AgentExecutor
from vigil.host import tls

log = logging.getLogger("vigil-remoted")


class RemoteExecutorServer:
    def __init__(self, key: bytes, cert: Path, key_file: Path) -> None:
        self.key = key
        self.cert_der = ssl.PEM_cert_to_DER_cert(cert.read_text())
        self.context = tls.server_context(cert, key_file)
        self.executor: AgentExecutor | None = None
        self.node: str | None = None
        self._writer: asyncio.StreamWriter | None = None  # the member connected now
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: set[asyncio.Task[object]] = set()  # one per connection

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(self._serve, host, port, ssl=self.context,
                                                  limit=w.LINE_LIMIT,
                                                  ssl_handshake_timeout=10)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and end every connection (what runs here keeps running)."""
        if self._server is not None:
            self._server.close()
        if self._writer is not None:
            self._writer.close()
        if self._handlers:
            _, late = await asyncio.wait(self._handlers, timeout=5)
            for task in late:
                task.cancel()
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        me = asyncio.current_task()
        if me is not None:
            self._handlers.add(me)
            me.add_done_callback(self._handlers.discard)
        peer = writer.get_extra_info("peername")
        try:
            name = await asyncio.wait_for(self._handshake(reader, writer), 10)
        except (w.WireError, OSError, TimeoutError, asyncio.IncompleteReadError,
                ValueError) as exc:
            log.warning("refused a connection from %s: %s", peer, exc)
            writer.close()
            return
        if self.executor is None:
            self.node = name
            self.executor = AgentExecutor(name)
        elif name != self.node:
            log.warning("refused %s: it calls this node %s, the cluster called it %s until now "
                        "(restart vigil-remoted to rename it)", peer, name, self.node)
            writer.close()
            return
        old, self._writer = self._writer, writer
        if old is not None:
            # the old member may be gone without a goodbye (powered off): cut it, do not wait
            log.info("a new connection from %s replaces the one before", peer)
            old.transport.abort()
        log.info("connected: %s (this node is %s to the cluster)", peer, name)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                self._handle(w.decode(line), writer)
        except (OSError, w.WireError, ValueError) as exc:
            log.warning("connection from %s ends: %s", peer, exc)
        except asyncio.CancelledError:
            pass  # vigil-remoted stops: this connection ends with it (the finally closes it)
        finally:
            if self._writer is writer:
                self._writer = None
            writer.close()
            log.info("disconnected: %s", peer)

    async def _handshake(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        mine = w.nonce()
        writer.write(w.hello({"t": "challenge", "nonce": mine}))
        await writer.drain()
        auth = w.read_hello(await reader.readline(), "auth")
        theirs = auth.get("nonce", "")
        if not w.proof_ok(w.proof(self.key, "client", self.cert_der, mine, theirs),
                          auth.get("proof")):
            raise w.WireError("its proof of the shared key is wrong (another authkey?)")
        name = auth.get("node", "")
        if not name:
            raise w.WireError("it did not say this node's name")
        writer.write(w.hello({"t": "welcome",
                              "proof": w.proof(self.key, "server", self.cert_der, theirs, mine)}))
        await writer.drain()
        return name

    def _handle(self, frame: w.Frame, writer: asyncio.StreamWriter) -> None:
        executor = self.executor
        assert executor is not None
        if isinstance(frame, w.Execute):
            self._spawn(self._execute(executor, frame, writer))
        elif isinstance(frame, w.StartMonitor):
            executor.start_monitor(frame.operation, self._report)
        elif isinstance(frame, w.CancelMonitors):
            executor.cancel_monitors(frame.resource)
        elif isinstance(frame, w.ReadHistory):
            writer.write(w.encode(w.History(frame.id, executor.history())))
        elif isinstance(frame, w.Ping):
            writer.write(w.encode(w.Pong(frame.id)))
        else:
            raise w.WireError(f"a member does not send {type(frame).__name__}")

    async def _execute(self, executor: AgentExecutor, frame: w.Execute,
                       writer: asyncio.StreamWriter) -> None:
        outcome = await executor.execute(frame.operation)
        # answered on the connection that asked; if it is gone, the next one reads the history
        with contextlib.suppress(OSError, RuntimeError):
            writer.write(w.encode(w.Done(frame.id, outcome)))

    def _report(self, outcome: Outcome) -> None:
        if self._writer is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self._writer.write(w.encode(w.Report(outcome)))

    def _spawn(self, coro: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _serve(args: argparse.Namespace) -> int:
    try:
        key = w.read_key(args.authkey)
    except (OSError, w.WireError) as exc:
        log.error("cannot read the shared key %s: %s", args.authkey, exc)
        return 2
    cert_dir = Path(args.cert_dir)
    cert, key_file = cert_dir / "remoted.crt", cert_dir / "remoted.key"
    tls.ensure_certificate(cert, key_file, socket.gethostname())
    server = RemoteExecutorServer(key, cert, key_file)
    try:
        await server.start(args.listen, args.port)
    except OSError as exc:
        log.error("cannot listen on %s port %d: %s", args.listen, args.port, exc)
        return 1
    log.info("listening on %s port %d", args.listen, server.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vigil-remoted", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", default="0.0.0.0", help="the address to listen on")
    p.add_argument("--port", type=int, default=w.DEFAULT_PORT)
    p.add_argument("--authkey", default=w.DEFAULT_AUTHKEY,
                   help="the key shared with the cluster's members")
    p.add_argument("--cert-dir", default="/etc/vigil/remoted",
                   help="where this node's certificate is (made at the first start)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s vigil-remoted %(levelname)s: %(message)s")
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
