"""Three Vigild daemons on the simulated network, each with the real AgentExecutor running the
real ocf:pacemaker:Stateful (each node's state in its own HA_VARRUN, its crm_attribute calls
recorded through agent_env's HA_SBIN_DIR): the promotable clone is started, promoted where a
role constraint prefers, monitored per role by real recurring monitors (1 s promoted, 2 s
unpromoted), and a promoted monitor's rc 9 is recovered. Real agents and real time: the test
waits for conditions, with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from vigil.cib.read import parse_cib
from vigil.cib.status_edit import transient_value
from vigil.cib.write import write_cib
from vigil.cluster.sim import SimNetwork
from vigil.daemon.local_executor import AgentExecutor
from vigil.daemon.store import MemoryStore
from vigil.daemon.vigild import Vigild
from vigil.executor.agents import resolve_agent
from vigil.model.reports import ReportError
from vigil.model.status import OperationRecord

from .service_cibs import PROMOTABLE_CONFIG

CONFIG = (PROMOTABLE_CONFIG
          .replace('name="stonith-enabled" value="true"', 'name="stonith-enabled" value="false"')
          .replace('interval="10s" role="Promoted"', 'interval="1s" role="Promoted"')
          .replace('interval="11s" role="Unpromoted"', 'interval="2s" role="Unpromoted"')
          .replace("<constraints>", '<constraints><rsc_location id="promote-on-2" '
                   'rsc="db-clone" role="Promoted" node="node2" score="100"/>'))


class WallClock:
    def now(self) -> int:
        return int(time.time())


async def until(what: Callable[[], bool], within_s: float = 20.0) -> None:
    deadline = time.monotonic() + within_s
    while not what():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def history(d: Vigild, node_id: str) -> dict[str, OperationRecord]:
    for st in d.cib.status:
        if st.id == node_id:
            return {r.id: r for h in st.history if h.id == "db" for r in h.operations}
    return {}


def test_stateful_promoted_monitored_and_recovered(tmp_path: Path) -> None:
    try:
        resolve_agent("ocf:pacemaker:Stateful")
    except ReportError:
        pytest.skip("ocf:pacemaker:Stateful is not installed (pacemaker-resource-agents)")
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    tool = sbin / "crm_attribute"
    tool.write_text('#!/bin/sh\necho "$HA_VARRUN $*" >> "$(dirname "$0")/calls"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    state = {i: tmp_path / f"node{i}" / "Stateful-db.state" for i in (1, 2, 3)}
    events: list[dict[str, object]] = []

    def sink(event: dict[str, object]) -> None:
        events.append(event)
        # the operator repairs the failed instance as soon as its failure is recorded: its
        # recovery then succeeds
        if event.get("event") == "action" and event.get("rc") == 9:
            Path(f"{state[2]}.rc").unlink(missing_ok=True)

    async def scenario() -> None:
        net = SimNetwork()
        daemons = {}
        for i in (1, 2, 3):
            (tmp_path / f"node{i}").mkdir()
            executor = AgentExecutor(f"node{i}", agent_env={
                "HA_SBIN_DIR": str(sbin), "HA_VARRUN": str(tmp_path / f"node{i}")})
            daemons[i] = Vigild(net.add_node(i, f"node{i}"), executor, MemoryStore(), WallClock(),
                                event_sink=sink if i == 1 else None)
        tasks = [asyncio.ensure_future(d.run()) for d in daemons.values()]
        try:
            await until(lambda: all(d.view.synced and d.dc == 1 for d in daemons.values()))
            new, _ = parse_cib(CONFIG)
            ok, _ = await daemons[1].request_config(write_cib(new), daemons[1].cib.version)
            assert ok

            def text(i: int) -> str:
                return state[i].read_text().strip() if state[i].exists() else ""

            def promoted_monitor_ok() -> bool:
                rec = history(daemons[1], "2").get("db_monitor_1000")
                return rec is not None and rec.rc_code == 8
            await until(lambda: [text(i) for i in (1, 2, 3)] == ["Unpromoted", "Promoted",
                                                                 "Unpromoted"]
                        and promoted_monitor_ok())
            # each node runs the monitor of its instance's role, recorded with its expected rc
            for i, (key, rc) in ((1, ("db_monitor_2000", 0)), (2, ("db_monitor_1000", 8)),
                                 (3, ("db_monitor_2000", 0))):
                await until(lambda i=i, key=key: key in history(daemons[1], str(i)))
                rec = history(daemons[1], str(i))[key]
                assert rec.rc_code == rc and rec.transition_key is not None
                assert rec.transition_key.split(":")[2] == str(rc)
            assert "db_monitor_2000" not in history(daemons[2], "2") or (
                history(daemons[2], "2")["db_monitor_2000"].call_id
                < history(daemons[2], "2")["db_last_0"].call_id)

            Path(f"{state[2]}.rc").write_text("9\n")
            await until(lambda: transient_value(daemons[1].cib, "2",
                                                "fail-count-db#monitor_1000") == "1")
            failed_at = next(n for n, e in enumerate(events) if e.get("rc") == 9)

            # the clone has notify=true: notifications interleave with the instance's own
            # actions, whose order is what this checks
            def recovered() -> list[str]:
                return [str(e["task"]) for e in events[failed_at + 1:]
                        if e.get("event") == "action" and e.get("target") == "node2"
                        and e.get("task") not in ("monitor", "notify")]
            await until(lambda: recovered()[:4] == ["demote", "stop", "start", "promote"]
                        and text(2) == "Promoted")
            await until(promoted_monitor_ok)
            assert [text(i) for i in (1, 3)] == ["Unpromoted", "Unpromoted"]
            calls = (sbin / "calls").read_text().splitlines()
            assert f"{tmp_path / 'node2'} --promotion -D" in calls  # its stop withdrew the score
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            for d in daemons.values():
                await d.executor.scheduler.close()  # type: ignore[attr-defined]

    asyncio.run(asyncio.wait_for(scenario(), 60))
