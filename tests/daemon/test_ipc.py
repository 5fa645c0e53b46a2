"""vigild's control socket end to end: the real ControlServer in front of a real Vigild on the
simulated cluster, and the CLI's LiveEnvironment (a blocking client, run in a thread while the
cluster's event loop goes on)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from vigil.cib.read import parse_cib
from vigil.commands.env import LiveEnvironment
from vigil.daemon import control as c
from vigil.daemon.ipc import ControlServer
from vigil.host import jsonlines
from vigil.model.nvset import NvPair, NvSet
from vigil.model.reports import ReportError

from .test_vigild_sim import CONFIG, Cluster

T = TypeVar("T")


async def blocking(cluster: Cluster, call: Callable[[], T]) -> T:
    """Run a blocking client call in a thread while the cluster runs."""
    fut = asyncio.get_running_loop().run_in_executor(None, call)
    while not fut.done():
        await cluster.settle()
        await asyncio.sleep(0.005)
    return fut.result()


def served(test: Callable[[Cluster, LiveEnvironment, str], object]) -> Callable[[Path], None]:
    """Run an async test body with a configured 3-node cluster and node 1's control socket."""

    def run(tmp_path: Path) -> None:
        async def body() -> None:
            cluster = Cluster(3)
            path = str(tmp_path / "vigild.sock")
            server = ControlServer(cluster.node(1), path)
            try:
                await cluster.configure()
                await server.start()
                await asyncio.wait_for(test(cluster, LiveEnvironment(path, timeout=10), path),
                                       60)  # type: ignore[arg-type]
            finally:
                await server.stop()
                await cluster.stop()

        asyncio.run(body())

    run.__name__ = test.__name__
    return run


@served
async def test_status_cib_and_quorum(cluster: Cluster, env: LiveEnvironment, path: str) -> None:
    status = await blocking(cluster, env.status)
    assert (status.node, status.node_id, status.dc, status.synced) == ("node1", 1, "node1", True)
    assert status.members == ("node1", "node2", "node3")
    cib = await blocking(cluster, env.get_cib)
    assert cib == cluster.node(1).cib
    quorum = await blocking(cluster, env.quorum)
    assert isinstance(quorum, c.QuorumState)


@served
async def test_a_push_replaces_the_configuration_only(cluster: Cluster, env: LiveEnvironment,
                                                      path: str) -> None:
    cib = await blocking(cluster, env.get_cib)
    stickiness = NvSet(id="rd2", pairs=(NvPair(id="rd2-s", name="resource-stickiness",
                                               value="7"),))
    new = dataclasses.replace(cib, configuration=dataclasses.replace(
        cib.configuration, rsc_defaults=(stickiness,)))
    stored = await blocking(cluster, lambda: env.push_cib(new, read_version=cib.version))
    assert stored.version == cluster.node(1).cib.version
    assert stored.version.epoch == cib.version.epoch + 1
    assert all(cluster.node(i).cib.configuration.rsc_defaults == (stickiness,) for i in (1, 2, 3))
    assert cluster.node(1).cib.status  # the status stayed the cluster's
    # a second push from the same (now stale) read: refused, with both versions, nothing changed
    before = cluster.node(1).cib
    with pytest.raises(ReportError) as exc:
        await blocking(cluster, lambda: env.push_cib(new, read_version=cib.version))
    [report] = exc.value.reports
    assert report.code == "CIB_CHANGED_UNDERNEATH"
    assert report.field("read") == ".".join(map(str, cib.version.as_tuple()))
    assert report.field("now") == ".".join(map(str, before.version.as_tuple()))
    assert cluster.node(1).cib.configuration == before.configuration


@served
async def test_confirm_history_and_an_unknown_node(cluster: Cluster, env: LiveEnvironment,
                                                   path: str) -> None:
    await blocking(cluster, lambda: env.confirm("node3"))
    history = await blocking(cluster, env.fence_history)
    assert [(e.target, e.action, e.ok, e.manual) for e in history] == [
        ("node3", "off", True, True)]
    with pytest.raises(ReportError) as exc:
        await blocking(cluster, lambda: env.confirm("node9"))
    assert [(r.code, r.field("node")) for r in exc.value.reports] == [("NODE_NOT_FOUND", "node9")]


@served
async def test_bad_lines_on_one_connection(cluster: Cluster, env: LiveEnvironment,
                                           path: str) -> None:
    """Each bad line gets one refusal and the connection goes on serving."""

    def talk() -> list[jsonlines.JsonObject]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(path)
            s.sendall(b'not json\n{"op": "explode"}\n{"op": "cleanup", "resource": 5}\n'
                      + jsonlines.encode(c.encode_request(c.GetStatus())))
            data = b""
            while data.count(b"\n") < 4:
                chunk = s.recv(1 << 20)
                assert chunk, f"closed after {data!r}"
                data += chunk
        return [jsonlines.decode(line) for line in data.splitlines()]

    first, second, third, fourth = await blocking(cluster, talk)
    refusals = [c.decode_reply(c.GetCib(), r) for r in (first, second, third)]
    assert [[r.code for r in x.reports] for x in refusals] == [
        ["IPC_BAD_REQUEST"], ["IPC_UNKNOWN_OP"], ["IPC_BAD_REQUEST"]]
    reply = c.decode_reply(c.GetStatus(), fourth)
    assert isinstance(reply, c.Answer) and reply.body.node == "node1"
    assert parse_cib(CONFIG)[0].configuration.resources  # the cluster was configured...
    assert cluster.node(1).cib.configuration.resources  # ...and bad lines changed nothing


def test_stop_ends_the_connections_it_serves(tmp_path: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    """A client connected when vigild stops sees its connection end, and nothing is logged
    as an error (left to asyncio.run's final cancellation, a connection's end logged a
    traceback: CTS's StartOnebyOne found it in vigild's log)."""

    async def body() -> None:
        cluster = Cluster(3)
        path = str(tmp_path / "vigild.sock")
        server = ControlServer(cluster.node(1), path)
        try:
            await cluster.configure()
            await server.start()
            reader, writer = await asyncio.open_unix_connection(path)
            await asyncio.sleep(0.05)  # its handler now waits for a request line
            await asyncio.wait_for(server.stop(), 5)
            assert await asyncio.wait_for(reader.read(), 5) == b""  # ended by vigild
            writer.close()
        finally:
            await cluster.stop()

    with caplog.at_level(logging.ERROR):
        asyncio.run(body())
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
