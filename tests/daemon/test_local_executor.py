"""vigild's AgentExecutor on the real ocf:pacemaker:Stateful: the operations the DC sends (as
controller.operations.Operation) run with the meta values Pacemaker passes and the daemon's
agent_env; a notify is reported, never recorded; a Promoted-role monitor expects rc 8."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from vigil.controller.operations import Operation, Outcome
from vigil.daemon.local_executor import AgentExecutor
from vigil.executor.agents import resolve_agent
from vigil.model import ocf
from vigil.model.reports import ReportError

CLONE_META = (("clone_max", "2"), ("clone_node_max", "1"), ("globally_unique", "false"),
              ("notify", "true"), ("promoted_max", "1"), ("promoted_node_max", "1"))


@pytest.fixture
def executor(tmp_path: Path) -> AgentExecutor:
    try:
        resolve_agent("ocf:pacemaker:Stateful")
    except ReportError:
        pytest.skip("ocf:pacemaker:Stateful is not installed (pacemaker-resource-agents)")
    sbin = tmp_path / "sbin"
    sbin.mkdir()
    tool = sbin / "crm_attribute"
    tool.write_text('#!/bin/sh\necho "$*" >> "$(dirname "$0")/calls"\n')
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "run").mkdir()
    return AgentExecutor("node2", agent_env={"HA_SBIN_DIR": str(sbin),
                                             "HA_VARRUN": str(tmp_path / "run")})


def op(task: str, tmp_path: Path, *, interval_ms: int = 0, expected_rc: int = 0,
       role: str | None = None, meta: tuple[tuple[str, str], ...] = CLONE_META) -> Operation:
    return Operation(resource="db", standard="ocf", provider="pacemaker", agent_type="Stateful",
                     task=task, interval_ms=interval_ms, timeout_ms=20000,
                     expected_rc=expected_rc, transition_key="4", role=role,
                     params=(("envfile", str(tmp_path / "env")),),
                     meta=(*meta, ("clone", "1")))


def last_env(tmp_path: Path) -> dict[str, str]:
    block = (tmp_path / "env").read_text().split("### ")[-1]
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def test_promote_notify_and_monitors_of_each_role(executor: AgentExecutor, tmp_path: Path) -> None:
    async def scenario() -> list[Outcome]:
        reports: list[Outcome] = []
        started = await executor.execute(op("start", tmp_path))
        assert not started.failed and started.record.id == "db_last_0"
        promoted = await executor.execute(op("promote", tmp_path))
        assert (promoted.record.operation, promoted.record.rc_code) == ("promote", 0)
        env = last_env(tmp_path)
        assert env["OCF_RESKEY_CRM_meta_clone"] == "1"
        assert env["OCF_RESKEY_CRM_meta_master_max"] == "1"
        assert env["OCF_RESKEY_CRM_meta_on_node"] == "node2"
        assert env["HA_SBIN_DIR"] == str(tmp_path / "sbin")
        assert (tmp_path / "sbin" / "calls").read_text().splitlines() == [
            "--promotion -v 5", "--promotion -v 10"]

        notify_meta = (*CLONE_META, ("notify_type", "post"), ("notify_operation", "promote"),
                       ("notify_promote_resource", "db:1"), ("notify_promote_uname", "node2"))
        notified = await executor.execute(op("notify", tmp_path, meta=notify_meta))
        assert (notified.record.id, notified.record.operation) == ("db_notify_0", "notify")
        assert not notified.failed
        assert last_env(tmp_path)["OCF_RESKEY_CRM_meta_notify_type"] == "post"
        # a notify is never part of the history the node reports at its join
        (history,) = executor.history()
        assert [r.operation for r in history.operations] == ["promote"]

        executor.start_monitor(op("monitor", tmp_path, interval_ms=10000, expected_rc=8,
                                  role="Promoted"), reports.append)
        for _ in range(400):
            if reports:
                break
            await asyncio.sleep(0.01)
        assert last_env(tmp_path)["OCF_RESKEY_CRM_meta_role"] == "Promoted"
        executor.cancel_monitors("db")
        await asyncio.sleep(0)
        return reports

    (report,) = asyncio.run(scenario())
    assert (report.record.id, report.record.rc_code) == ("db_monitor_10000", 8)
    assert report.record.transition_key is not None and report.record.transition_key.split(":")[2] == "8"
    assert not report.failed and report.left_running


def test_a_failed_notify_is_reported_as_failed(executor: AgentExecutor, tmp_path: Path) -> None:
    """Stateful's notify fails only by timing out: a delay longer than the timeout."""
    slow = Operation(resource="db", standard="ocf", provider="pacemaker", agent_type="Stateful",
                     task="notify", interval_ms=0, timeout_ms=300, expected_rc=0,
                     transition_key="4", params=(("notify_delay", "5"),), meta=CLONE_META)
    outcome = asyncio.run(executor.execute(slow))
    assert outcome.record.op_status == ocf.ExecStatus.TIMEOUT and outcome.failed
    assert executor.history() == ()
