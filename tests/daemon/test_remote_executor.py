"""vigil-remoted and a member's RoutingExecutor over real TLS on loopback, with the real
ocf:heartbeat:Dummy agent run by the remote side: the connection's start proves the shared key
both ways and reads the remote node's history; operations for the remote node run there and
come back marked with the node; a recurring monitor's change is reported over the connection;
a wrong key, a dead server and a lost connection are each a clear failed result, never a hang."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from vigil.controller.operations import Operation, Outcome
from vigil.daemon import remote_wire as w
from vigil.daemon.local_executor import AgentExecutor
from vigil.daemon.remote_links import RoutingExecutor
from vigil.daemon.remoted import RemoteExecutorServer
from vigil.executor.agents import resolve_agent
from vigil.host import tls
from vigil.model.ocf import OcfResult
from vigil.model.reports import ReportError

KEY = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def dummy_agent() -> None:
    try:
        resolve_agent("ocf:heartbeat:Dummy")
    except ReportError:
        pytest.skip("ocf:heartbeat:Dummy is not installed (resource-agents)")


def connection(task: str, port: int, interval_ms: int = 0) -> Operation:
    return Operation(resource="r1", standard="ocf", provider="pacemaker", agent_type="remote",
                     task=task, interval_ms=interval_ms, timeout_ms=5000,
                     expected_rc=0 if task != "monitor" or interval_ms else 7,
                     transition_key="1", params=(("port", str(port)), ("server", "127.0.0.1")))


def dummy(task: str, state: Path, interval_ms: int = 0, expected_rc: int = 0) -> Operation:
    return Operation(resource="d1", standard="ocf", provider="heartbeat", agent_type="Dummy",
                     task=task, interval_ms=interval_ms, timeout_ms=20000,
                     expected_rc=expected_rc, transition_key="2",
                     params=(("state", str(state)),), remote="r1")


async def served(tmp_path: Path) -> RemoteExecutorServer:
    cert, key = tmp_path / "remoted.crt", tmp_path / "remoted.key"
    tls.ensure_certificate(cert, key, "localhost", ["127.0.0.1"])
    server = RemoteExecutorServer(KEY, cert, key)
    await server.start("127.0.0.1", 0)
    return server


def member(tmp_path: Path, key: bytes = KEY) -> RoutingExecutor:
    keyfile = tmp_path / "authkey"
    keyfile.write_bytes(key)
    return RoutingExecutor(AgentExecutor("n1"), str(keyfile))


async def wait_for(reports: list[Outcome], rc: int) -> Outcome:
    for _ in range(300):
        found = [o for o in reports if o.record.rc_code == rc]
        if found:
            return found[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no report with rc {rc}: {[o.record.rc_code for o in reports]}")


def test_operations_run_on_the_remote_node_through_the_connection(tmp_path: Path) -> None:
    state = tmp_path / "d1.state"

    async def scenario() -> None:
        server = await served(tmp_path)
        routing = member(tmp_path)
        try:
            started = await routing.execute(connection("start", server.port))
            assert started.record.rc_code == 0, started.record.exit_reason
            assert started.joined == ()  # the remote node ran nothing yet
            assert [h.id for h in routing.history()] == ["r1"]  # the connection: the member's

            probe = await routing.execute(dummy("monitor", state, expected_rc=7))
            assert (probe.remote, probe.record.rc_code) == ("r1", 7)
            run = await routing.execute(dummy("start", state))
            assert (run.remote, run.record.rc_code, run.record.on_node) == ("r1", 0, "r1")
            assert state.exists()  # the agent ran (in the remote daemon's process)
            assert [h.id for h in routing.history()] == ["r1"]  # d1 is not the member's

            reports: list[Outcome] = []
            routing.start_monitor(dummy("monitor", state, interval_ms=200), reports.append)
            assert (await wait_for(reports, 0)).remote == "r1"
            state.unlink()  # the resource dies on the remote node
            assert (await wait_for(reports, 7)).record.interval_ms == 200
            routing.cancel_monitors("d1", "r1")

            # the connection starts again (moved to this member): the history comes with it
            again = await routing.execute(connection("start", server.port))
            assert [h.id for h in again.joined or ()] == ["d1"]
            watch: list[Outcome] = []
            routing.start_monitor(connection("monitor", server.port, 500), watch.append)
            await wait_for(watch, 0)
            await server.stop()  # vigil-remoted stops: the connection's monitor says so
            lost = await wait_for(watch, 7)
            assert "lost" in (lost.record.exit_reason or "")
            failed = await routing.execute(dummy("stop", state))
            assert failed.failed and failed.remote == "r1"
            routing.cancel_monitors("r1")
            stopped = await routing.execute(connection("stop", 0))
            assert stopped.record.rc_code == 0 and "r1" not in routing.links
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_wrong_key_or_no_server_is_a_failed_start_with_the_reason(tmp_path: Path) -> None:
    async def scenario() -> None:
        server = await served(tmp_path)
        port = server.port
        try:
            wrong = await member(tmp_path, b"another key, sixteen bytes or more").execute(
                connection("start", port))
            assert wrong.record.rc_code == int(OcfResult.ERR_GENERIC)
            assert "authkey" in (wrong.record.exit_reason or "")
            assert server.executor is None  # nothing was asked of it
        finally:
            await server.stop()
        gone = await member(tmp_path).execute(connection("start", port))
        assert gone.record.rc_code == int(OcfResult.ERR_GENERIC)
        assert "cannot reach vigil-remoted at 127.0.0.1" in (gone.record.exit_reason or "")
        alone = await member(tmp_path).execute(dummy("start", tmp_path / "x"))
        assert alone.failed and "no connection to remote node r1" in (alone.record.exit_reason or "")

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_short_key_is_refused_with_how_to_make_one(tmp_path: Path) -> None:
    short = tmp_path / "authkey"
    short.write_bytes(b"short")
    with pytest.raises(w.WireError, match="at least 16"):
        w.read_key(str(short))


def test_frames_round_trip() -> None:
    op = dummy("start", Path("/tmp/x"))
    assert w.decode(w.encode(w.Execute(3, op))) == w.Execute(3, op)
    assert w.decode(w.encode(w.Ping(4))) == w.Ping(4)
    with pytest.raises(w.WireError):
        w.decode(b'{"t": "Nonsense"}')
    with pytest.raises(w.WireError):
        w.decode(b"not json")
