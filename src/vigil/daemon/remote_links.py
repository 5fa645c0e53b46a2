"""A member's connections to remote nodes, and the executor that routes through them.

The connection resource of a remote node (`ocf:pacemaker:remote`, named after the node; its
`server` and `port` parameters say where vigil-remoted listens, the node's name by default) is
run here, not by an agent: its start connects and proves the shared key (vigil.daemon.
remote_wire), then reads what the remote node runs (the start's outcome carries it: the
controller has every replica take it, as a member's join); its monitor checks the connection
with a ping; its stop closes it. An operation for a resource on the remote node (one with
`Operation.remote`) goes over that connection and vigil-remoted runs it with the real agent.
Everything else is this node's AgentExecutor's.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, replace

from vigil.controller.operations import Operation, Outcome
from vigil.daemon import remote_wire as w
from vigil.daemon.local_executor import (
    AgentExecutor,
    identity,
    transition_key,
    unexecuted_record,
)
from vigil.executor import history as hist
from vigil.executor.agents import AgentSpec, Standard
from vigil.executor.run import OperationResult
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.status import ResourceHistory

log = logging.getLogger("vigild.remote")

CONNECTION_SPEC = AgentSpec(Standard.OCF, "remote", "pacemaker", Standard.OCF, None)
_ANSWER_MARGIN_S = 5.0  # beyond an operation's own timeout, for the way there and back


def is_connection(op: Operation) -> bool:
    return op.standard == "ocf" and op.provider == "pacemaker" and op.agent_type == "remote"


class LinkLost(Exception):
    pass


@dataclass(frozen=True)
class _Watch:
    report: Callable[[Outcome], None]


class RemoteLink:
    """One authenticated connection to a remote node's vigil-remoted."""

    def __init__(self, remote: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.remote = remote
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[w.Frame]] = {}
        self._watches: dict[tuple[str, int], _Watch] = {}
        self.closed = asyncio.Event()  # set once the connection is gone
        self._pump = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(cls, remote: str, host: str, port: int, key: bytes,
                      timeout_s: float) -> RemoteLink:
        # The remote node's certificate is its own, self-signed: what authenticates both sides
        # is the proof of the shared key bound to that certificate (remote_wire).
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            host, port, ssl=ctx, limit=w.LINE_LIMIT), timeout_s)
        try:
            sslobj = writer.get_extra_info("ssl_object")
            der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
            if not der:
                raise w.WireError("the server showed no certificate")
            challenge = w.read_hello(await asyncio.wait_for(reader.readline(), timeout_s),
                                     "challenge")
            theirs, mine = challenge.get("nonce", ""), w.nonce()
            writer.write(w.hello({"t": "auth", "node": remote, "nonce": mine,
                                  "proof": w.proof(key, "client", der, theirs, mine)}))
            await writer.drain()
            line = await asyncio.wait_for(reader.readline(), timeout_s)
            if not line:
                raise w.WireError("it closed the connection: it refused our proof of the "
                                  "shared key (another authkey?) or another name")
            welcome = w.read_hello(line, "welcome")
            if not w.proof_ok(w.proof(key, "server", der, mine, theirs), welcome.get("proof")):
                raise w.WireError("its proof of the shared key is wrong (another authkey?)")
        except BaseException:
            writer.close()
            raise
        return cls(remote, reader, writer)

    @property
    def alive(self) -> bool:
        return not self._pump.done()

    async def _read(self) -> None:
        try:
            while True:
                line = await self._reader.readline()
                if not line:
                    break
                frame = w.decode(line)
                if isinstance(frame, w.Report):
                    rec = frame.outcome.record
                    watch = self._watches.get((frame.outcome.resource.id, rec.interval_ms))
                    if watch is not None:
                        watch.report(replace(frame.outcome, remote=self.remote))
                elif isinstance(frame, w.Done | w.History | w.Pong):
                    future = self._waiting.pop(frame.id, None)
                    if future is not None and not future.done():
                        future.set_result(frame)
        except (OSError, w.WireError, ValueError) as exc:
            log.warning("connection to remote node %s: %s", self.remote, exc)
        finally:
            for future in self._waiting.values():
                if not future.done():
                    future.set_exception(LinkLost(f"the connection to {self.remote} was lost"))
            self._waiting.clear()
            self._writer.close()
            self.closed.set()

    async def _ask(self, make: Callable[[int], w.Frame], timeout_s: float) -> w.Frame:
        if not self.alive:
            raise LinkLost(f"the connection to {self.remote} is down")
        ident = next(self._ids)
        future: asyncio.Future[w.Frame] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = future
        try:
            self._writer.write(w.encode(make(ident)))
            await self._writer.drain()
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._waiting.pop(ident, None)

    async def execute(self, op: Operation) -> Outcome:
        frame = await self._ask(lambda i: w.Execute(i, op), op.timeout_ms / 1000 + _ANSWER_MARGIN_S)
        assert isinstance(frame, w.Done)
        return replace(frame.outcome, remote=self.remote)

    async def read_history(self, timeout_s: float) -> tuple[ResourceHistory, ...]:
        frame = await self._ask(w.ReadHistory, timeout_s)
        assert isinstance(frame, w.History)
        return frame.history

    async def ping(self, timeout_s: float) -> bool:
        try:
            await self._ask(w.Ping, timeout_s)
        except (LinkLost, OSError, TimeoutError):
            return False
        return True

    def start_monitor(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        self._watches[(op.resource, op.interval_ms)] = _Watch(report)
        self._send(w.StartMonitor(op))

    def cancel_monitors(self, resource: str) -> None:
        for key in [k for k in self._watches if k[0] == resource]:
            del self._watches[key]
        self._send(w.CancelMonitors(resource))

    def _send(self, frame: w.Frame) -> None:
        if self.alive:
            with contextlib.suppress(OSError, RuntimeError):
                self._writer.write(w.encode(frame))

    def close(self) -> None:
        self._pump.cancel()
        self._writer.close()


class RoutingExecutor:
    """vigild's executor: this node's AgentExecutor, plus the connections to remote nodes."""

    def __init__(self, local: AgentExecutor, authkey: str = w.DEFAULT_AUTHKEY) -> None:
        self.local = local
        self.authkey = authkey
        self.links: dict[str, RemoteLink] = {}
        self._link_monitors: dict[str, asyncio.Task[None]] = {}

    async def execute(self, op: Operation) -> Outcome:
        if op.remote is not None:
            link = self.links.get(op.remote)
            if link is None or not link.alive:
                return unreachable(op, f"no connection to remote node {op.remote}")
            try:
                return await link.execute(op)
            except (LinkLost, OSError, TimeoutError, w.WireError) as exc:
                return unreachable(op, f"remote node {op.remote}: {exc or 'no answer in time'}")
        if is_connection(op):
            return await self._connection(op)
        return await self.local.execute(op)

    async def _connection(self, op: Operation) -> Outcome:
        params = dict(op.params)
        link = self.links.get(op.resource)
        if op.task == "start":
            if link is not None:
                link.close()
            host = params.get("server") or params.get("addr") or op.resource
            port = int(params.get("port") or w.DEFAULT_PORT)
            timeout_s = max(op.timeout_ms / 1000, 1.0)
            try:
                key = w.read_key(self.authkey)
                link = await RemoteLink.connect(op.resource, host, port, key, timeout_s)
                history = await link.read_history(timeout_s)
            except (OSError, TimeoutError, w.WireError, LinkLost, ValueError) as exc:
                why = f"cannot reach vigil-remoted at {host}:{port}: {exc or 'timed out'}"
                log.warning("%s: %s", op.resource, why)
                return self._recorded(op, OcfResult.ERR_GENERIC, why)
            self.links[op.resource] = link
            log.info("connected to remote node %s at %s:%d", op.resource, host, port)
            return replace(self._recorded(op, OcfResult.OK), joined=history)
        if op.task == "stop":
            if link is not None:
                link.close()
                del self.links[op.resource]
            return self._recorded(op, OcfResult.OK)
        if op.task == "monitor":
            up = link is not None and await link.ping(max(op.timeout_ms / 1000, 1.0))
            return self._recorded(op, OcfResult.OK if up else OcfResult.NOT_RUNNING)
        return self._recorded(op, OcfResult.ERR_UNIMPLEMENTED,
                              f"{op.task} of a remote node's connection is not supported")

    def _recorded(self, op: Operation, rc: OcfResult, why: str = "") -> Outcome:
        result = OperationResult(resource_id=op.resource, action=op.task,
                                 interval_ms=op.interval_ms, rc=rc, status=ExecStatus.DONE,
                                 exit_reason=why, params=tuple(sorted(op.params)),
                                 meta=tuple(sorted(op.meta)), timeout_ms=op.timeout_ms)
        return self.local.record(op, CONNECTION_SPEC, result)

    def start_monitor(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        if op.remote is not None:
            link = self.links.get(op.remote)
            if link is None:
                log.warning("monitor of %s on %s not started: no connection", op.resource,
                            op.remote)
                return
            link.start_monitor(op, report)
        elif is_connection(op):
            old = self._link_monitors.pop(op.resource, None)
            if old is not None:
                old.cancel()
            self._link_monitors[op.resource] = asyncio.ensure_future(
                self._watch_link(op, report))
        else:
            self.local.start_monitor(op, report)

    async def _watch_link(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        """The connection's recurring monitor: its first result, then each change. A lost
        connection is reported at once, not at the next interval (as Pacemaker's controller
        learns it from its executor client): the cluster starts recovering without delay."""
        last: bool | None = None
        while True:
            link = self.links.get(op.resource)
            up = link is not None and await link.ping(max(op.timeout_ms / 1000, 1.0))
            if up != last:
                last = up
                report(self._recorded(op, OcfResult.OK if up else OcfResult.NOT_RUNNING,
                                      "" if up else f"the connection to {op.resource} is lost"))
            if link is not None and up:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(link.closed.wait(), op.interval_ms / 1000)
            else:
                await asyncio.sleep(op.interval_ms / 1000)

    def cancel_monitors(self, resource: str, remote: str | None = None) -> None:
        if remote is not None:
            link = self.links.get(remote)
            if link is not None:
                link.cancel_monitors(resource)
            return
        task = self._link_monitors.pop(resource, None)
        if task is not None:
            task.cancel()
        self.local.cancel_monitors(resource)

    def history(self) -> tuple[ResourceHistory, ...]:
        return self.local.history()


def unreachable(op: Operation, why: str) -> Outcome:
    """The result of an operation for a remote node that could not be sent or answered:
    Pacemaker's "not connected" status, recorded as the operation's own (last_0, or the
    recurring monitor's entry) so the scheduler reads it as this operation's failure."""
    rid = (f"{op.resource}_last_0" if not op.interval_ms
           else hist.operation_key(op.resource, op.task, op.interval_ms))
    record = unexecuted_record(op, transition_key(op, 0), op.remote, record_id=rid,
                               status=ExecStatus.NOT_CONNECTED, rc=OcfResult.ERR_GENERIC, why=why)
    return Outcome(identity(op), record, remote=op.remote)
