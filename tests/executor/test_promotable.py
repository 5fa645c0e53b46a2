"""Promotable resources through the executor: the real ocf:pacemaker:Stateful agent started,
promoted, monitored in each role, demoted, notified and stopped, with the environment Pacemaker
2.1.5 gives it (the clone and promotable meta values, notification lists, the role of a
monitor) and the daemon's additions (agent_env: where its crm_attribute is); rc 8 and 9 as the
history records them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from executor_support import real_agent, write_script

from vigil.executor import history as hist
from vigil.executor.agents import AgentSpec
from vigil.executor.monitors import MonitorRequest, MonitorScheduler
from vigil.executor.run import OperationResult, agent_environment, run_operation, with_legacy_names
from vigil.model import ocf
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.status import OperationRecord

# What the scheduler puts in ResolvedOperation.meta for an instance of a promotable clone
# (names without CRM_meta_), as crm_simulate's graph shows them for promoted-move.
CLONE_META = {"clone": "1", "clone_max": "3", "clone_node_max": "1", "globally_unique": "false",
              "notify": "true", "promoted_max": "1", "promoted_node_max": "1"}
NOTIFY_META = {**CLONE_META, "notify_type": "pre", "notify_operation": "promote",
               "notify_key_type": "pre", "notify_key_operation": "promote",
               "notify_promote_resource": "db:1", "notify_promote_uname": "node2",
               "notify_demote_resource": " ", "notify_demote_uname": " ",
               "notify_start_resource": " ", "notify_start_uname": " ",
               "notify_stop_resource": " ", "notify_stop_uname": " ",
               "notify_active_resource": "db:0 db:1", "notify_active_uname": "node1 node2",
               "notify_inactive_resource": "db:2", "notify_promoted_resource": " ",
               "notify_promoted_uname": " ", "notify_unpromoted_resource": "db:0 db:1",
               "notify_unpromoted_uname": "node1 node2", "notify_all_uname": "node1 node2 node3",
               "notify_available_uname": "node1 node2 node3"}

CRM_ATTRIBUTE = """#!/bin/sh
# vigil's test stand-in for crm_attribute: records each call (one line of arguments) and the
# resource it was made for
echo "$OCF_RESOURCE_INSTANCE $*" >> "$(dirname "$0")/calls"
exit 0
"""


class Stateful:
    """ocf:pacemaker:Stateful with its state under a private HA_VARRUN and a recording
    crm_attribute under a private HA_SBIN_DIR, both given through agent_env."""

    def __init__(self, spec: AgentSpec, tmp_path: Path) -> None:
        self.spec = spec
        self.sbin = tmp_path / "sbin"
        write_script(self.sbin / "crm_attribute", CRM_ATTRIBUTE)
        self.varrun = tmp_path / "run"
        self.varrun.mkdir()
        self.envfile = tmp_path / "env"
        self.agent_env = {"HA_SBIN_DIR": str(self.sbin), "HA_VARRUN": str(self.varrun)}
        # the clone instance's state file, as the agent names it for an anonymous clone
        self.state = self.varrun / "Stateful-db.state"

    def run(self, action: str, *, interval_ms: int = 0, meta: dict[str, str] | None = None,
            role: str | None = None, dump_env: bool = True) -> OperationResult:
        full = dict(CLONE_META if meta is None else meta)
        if role is not None:
            full["role"] = role
        params = {"envfile": str(self.envfile)} if dump_env else {}
        return asyncio.run(run_operation(
            self.spec, action, params, timeout_ms=20000,
            interval_ms=interval_ms, resource_id="db", meta=full, agent_env=self.agent_env))

    def promotion_calls(self) -> list[str]:
        calls = self.sbin / "calls"
        return calls.read_text().splitlines() if calls.exists() else []

    def last_env(self) -> dict[str, str]:
        """The environment of the agent's last call (the agent dumps it to envfile)."""
        block = self.envfile.read_text().split("### ")[-1]
        return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


@pytest.fixture
def stateful(tmp_path: Path) -> Stateful:
    return Stateful(real_agent("ocf:pacemaker:Stateful"), tmp_path)


def test_stateful_lifecycle_in_both_roles(stateful: Stateful) -> None:
    probe = stateful.run("monitor")
    assert (probe.rc, probe.status) == (OcfResult.NOT_RUNNING, ExecStatus.DONE)

    assert stateful.run("start").rc is OcfResult.OK
    assert stateful.state.read_text().strip() == "Unpromoted"
    # the agent set its promotion score through the crm_attribute agent_env pointed it at
    assert stateful.promotion_calls() == ["db --promotion -v 5"]
    unpromoted = stateful.run("monitor", interval_ms=11000, role="Unpromoted")
    assert unpromoted.rc is OcfResult.OK

    assert stateful.run("promote").rc is OcfResult.OK
    assert stateful.promotion_calls()[-1] == "db --promotion -v 10"
    promoted = stateful.run("monitor", interval_ms=10000, role="Promoted")
    assert promoted.rc is OcfResult.RUNNING_PROMOTED
    env = stateful.last_env()
    assert env["OCF_RESKEY_CRM_meta_role"] == "Promoted"
    assert env["OCF_RESKEY_CRM_meta_interval"] == "10000"
    # a probe of a promoted instance finds it promoted (and says its score again)
    found = stateful.run("monitor")
    assert found.rc is OcfResult.RUNNING_PROMOTED
    assert stateful.promotion_calls()[-1] == "db --promotion -v 10"

    assert stateful.run("demote").rc is OcfResult.OK
    assert stateful.state.read_text().strip() == "Unpromoted"
    assert stateful.run("monitor", interval_ms=11000, role="Unpromoted").rc is OcfResult.OK

    notified = stateful.run("notify", meta=NOTIFY_META)
    assert (notified.rc, notified.status) == (OcfResult.OK, ExecStatus.DONE)

    assert stateful.run("stop").rc is OcfResult.OK
    assert stateful.promotion_calls()[-1] == "db --promotion -D"
    assert not stateful.state.exists()
    assert stateful.run("monitor").rc is OcfResult.NOT_RUNNING


def test_clone_and_notification_environment(stateful: Stateful) -> None:
    """What a notified agent reads, as Pacemaker 2.1.5 passes it: the clone's settings, both
    the promoted_* and the legacy master_* names, the lists (a single space when empty)."""
    assert stateful.run("start").rc is OcfResult.OK
    assert stateful.run("notify", meta=NOTIFY_META).rc is OcfResult.OK
    env = stateful.last_env()
    expected = {
        "clone": "1", "clone_max": "3", "clone_node_max": "1", "globally_unique": "false",
        "notify": "true", "promoted_max": "1", "promoted_node_max": "1", "master_max": "1",
        "master_node_max": "1", "notify_type": "pre", "notify_operation": "promote",
        "notify_promote_resource": "db:1", "notify_promote_uname": "node2",
        "notify_active_uname": "node1 node2", "notify_unpromoted_resource": "db:0 db:1",
        "notify_slave_resource": "db:0 db:1", "notify_slave_uname": "node1 node2",
        "notify_master_resource": " ", "notify_promoted_uname": " ",
        "notify_all_uname": "node1 node2 node3", "timeout": "20000"}
    got = {k: env.get(f"OCF_RESKEY_CRM_meta_{k}") for k in expected}
    assert got == expected
    assert "OCF_RESKEY_CRM_meta_interval" not in env
    assert env["HA_SBIN_DIR"] == str(stateful.sbin)


def test_failed_promoted_monitor_is_rc_9(stateful: Stateful) -> None:
    """Stateful fails with the code written to its state file's .rc: 9, failed promoted."""
    assert stateful.run("start").rc is OcfResult.OK
    assert stateful.run("promote").rc is OcfResult.OK
    Path(f"{stateful.state}.rc").write_text("9\n")
    failed = stateful.run("monitor", interval_ms=10000, role="Promoted")
    assert (failed.rc, failed.status) == (OcfResult.FAILED_PROMOTED, ExecStatus.DONE)
    assert failed.exit_reason == "9 GB redirected to /dev/null"


def test_agent_env_is_laid_under_the_ocf_variables(stateful: Stateful) -> None:
    env = agent_environment(stateful.spec, "start", {"a": "1"}, resource_id="db", timeout_ms=5,
                            base={"PATH": "/bin", "OCF_ROOT": "/stray"},
                            agent_env={"PATH": "/opt/vigil/sbin:/bin", "HA_SBIN_DIR": "/opt/x",
                                       "OCF_RESOURCE_INSTANCE": "not-the-agents"})
    assert env["PATH"] == "/opt/vigil/sbin:/bin"
    assert env["HA_SBIN_DIR"] == "/opt/x"
    assert env["OCF_RESOURCE_INSTANCE"] == "db"  # the OCF variables are the executor's
    assert env["OCF_ROOT"] == str(stateful.spec.paths.ocf_root)


def test_legacy_meta_names_both_ways() -> None:
    assert with_legacy_names({"promoted_max": "2", "CRM_meta_master_node_max": "3"}) == {
        "promoted_max": "2", "master_max": "2", "master_node_max": "3", "promoted_node_max": "3"}
    # a name given explicitly is not overwritten by its other name
    assert with_legacy_names({"promoted_max": "2", "master_max": "1"})["master_max"] == "1"


# -- rc 8 and 9 in the history -----------------------------------------------------------------
def _record(stateful: Stateful, book: hist.NodeHistory, result: OperationResult,
            expected: int) -> tuple[OperationRecord, ...]:
    key = hist.TransitionKey(7, 3, expected, "dc-uuid")
    return book.record(stateful.spec, result, transition_key=key)


def test_history_of_a_promoted_instance(stateful: Stateful) -> None:
    book = hist.NodeHistory("node2")
    assert stateful.run("start").rc is OcfResult.OK
    assert stateful.run("promote").rc is OcfResult.OK
    # a probe that finds it promoted: rc 8 against the probe's 7. Pacemaker's history keeps it
    # at last_failure_0 too (rc differs from the target), which the scheduler reads as a
    # masked probe, not a failure; last_0 says promoted
    masked, probe = _record(stateful, book, stateful.run("monitor"), 7)
    assert (masked.id, masked.rc_code) == ("db_last_failure_0", 8)
    assert (probe.id, probe.rc_code, probe.transition_key) == ("db_last_0", 8, "7:3:7:dc-uuid")
    assert probe.transition_magic == "0:8;7:3:7:dc-uuid"
    assert not ocf.operation_failed(probe) and not ocf.operation_failed(masked)
    # the Promoted monitor: rc 8 is what it expects
    (mon,) = _record(stateful, book, stateful.run("monitor", interval_ms=10000, role="Promoted"), 8)
    assert (mon.id, mon.rc_code, mon.transition_key) == ("db_monitor_10000", 8, "7:3:8:dc-uuid")
    assert not ocf.operation_failed(mon)
    # rc 9 where 8 was expected: a recurring failure, recorded at last_failure_0 only
    Path(f"{stateful.state}.rc").write_text("9\n")
    (fail,) = _record(stateful, book, stateful.run("monitor", interval_ms=10000, role="Promoted"), 8)
    assert (fail.id, fail.rc_code, fail.transition_key) == ("db_last_failure_0", 9, "7:3:8:dc-uuid")
    assert ocf.operation_failed(fail) and fail.exit_reason == "9 GB redirected to /dev/null"


@pytest.mark.parametrize("rc", [0, 7, 9])
def test_a_promoted_monitor_fails_on_anything_but_8(stateful: Stateful, rc: int) -> None:
    book = hist.NodeHistory("node2")
    assert stateful.run("start").rc is OcfResult.OK
    assert stateful.run("promote").rc is OcfResult.OK
    Path(f"{stateful.state}.rc").write_text(f"{rc}\n")
    records = _record(stateful, book, stateful.run("monitor", interval_ms=10000, role="Promoted"), 8)
    assert [r.id for r in records] == ["db_last_failure_0"]
    assert records[0].rc_code == rc and ocf.operation_failed(records[0])


def test_notify_is_reported_not_recorded(stateful: Stateful) -> None:
    book = hist.NodeHistory("node1")
    assert stateful.run("start").rc is OcfResult.OK
    result = stateful.run("notify", meta=NOTIFY_META)
    assert _record(stateful, book, result, 0) == ()
    assert book.get("db") is None
    record = hist.reported_record(stateful.spec, result, call_id=4, node="node1",
                                  transition_key=hist.TransitionKey(9, 3, 0, "dc-uuid"))
    assert (record.id, record.operation, record.rc_code, record.call_id) == (
        "db_notify_0", "notify", 0, 4)


def test_promoted_monitor_reports_rc_9_then_recovery(stateful: Stateful) -> None:
    """The recurring monitor of the promoted role, on the real agent: its first result (8) is
    fine, the change to 9 is reported as a failure, the return to 8 as the next change."""
    assert stateful.run("start").rc is OcfResult.OK
    assert stateful.run("promote").rc is OcfResult.OK
    seen: list[OperationResult] = []
    rc_file = Path(f"{stateful.state}.rc")

    async def scenario() -> None:
        runs = 0

        async def next_run(_: float) -> None:
            nonlocal runs
            runs += 1
            if runs == 2:
                rc_file.write_text("9\n")
            elif runs == 4:
                rc_file.unlink()
            await asyncio.sleep(0)

        monitors = MonitorScheduler(seen.append, sleep=next_run, changes_only=True)
        request = MonitorRequest.of(
            stateful.spec, resource_id="db", interval_ms=10000, timeout_ms=20000,
            params={"envfile": str(stateful.envfile)}, meta={**CLONE_META, "role": "Promoted"},
            expected_rc=OcfResult.RUNNING_PROMOTED, agent_env=stateful.agent_env)
        await monitors.start(request)
        for _ in range(2000):
            if runs >= 6:
                break
            await asyncio.sleep(0.005)
        await monitors.close()

    asyncio.run(scenario())
    assert [r.rc for r in seen] == [OcfResult.RUNNING_PROMOTED, OcfResult.FAILED_PROMOTED,
                                    OcfResult.RUNNING_PROMOTED]
    assert [ocf.records_failure(r.status, r.rc, 8) for r in seen] == [False, True, False]


# -- what the scheduler reads back ---------------------------------------------------------------
READBACK_CIB = """<cib have-quorum="1" admin_epoch="0" epoch="1" num_updates="0"
     validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <clone id="db-clone">
        <meta_attributes id="db-clone-meta">
          <nvpair id="db-p" name="promotable" value="true"/></meta_attributes>
        <primitive id="db" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="db-mon-p" name="monitor" interval="10s" role="Promoted"/>
            <op id="db-mon-u" name="monitor" interval="11s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="1"><instance_attributes id="st-1">
        <nvpair id="st-1-m" name="master-db" value="10"/></instance_attributes></transient_attributes>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="2"><instance_attributes id="st-2">
        <nvpair id="st-2-m" name="master-db" value="5"/></instance_attributes></transient_attributes>
    </node_state>
  </status>
</cib>"""


def test_the_scheduler_reads_the_roles_back(tmp_path: Path) -> None:
    """The records the executor writes for the real agent are what the scheduler reads: node1
    found promoted by its probe (rc 8), node2 started and monitored unpromoted (the promotion
    scores as the agent set them); then node1's Promoted monitor says 9, and the scheduler
    recovers the promoted instance."""
    import dataclasses

    from vigil.cib import status_edit
    from vigil.cib.read import parse_cib
    from vigil.scheduler.engine import schedule

    spec = real_agent("ocf:pacemaker:Stateful")
    nodes = {name: Stateful(spec, tmp_path / name) for name in ("node1", "node2")}
    for s in nodes.values():
        s.varrun.parent.mkdir(exist_ok=True)
    books = {name: hist.NodeHistory(name) for name in nodes}

    def run(node: str, action: str, expected: int, *, interval_ms: int = 0,
            at: float | None = None) -> None:
        # the configuration's parameters (none), or the digests would say it changed
        result = nodes[node].run(action, interval_ms=interval_ms, dump_env=False)
        if at is not None:  # the monitor saw the change at that time
            result = dataclasses.replace(result, rc_changed_at=at)
        books[node].record(spec, result, transition_key=hist.TransitionKey(1, 2, expected, "u"))

    # node1's instance was promoted by an earlier life of the daemon: only its probe is known
    assert nodes["node1"].run("start", dump_env=False).rc is OcfResult.OK
    assert nodes["node1"].run("promote", dump_env=False).rc is OcfResult.OK
    run("node1", "monitor", 7)
    run("node2", "monitor", 7)
    run("node2", "start", 0)
    run("node2", "monitor", 0, interval_ms=11000)
    run("node1", "monitor", 8, interval_ms=10000)

    def cib_now() -> object:
        cib, _ = parse_cib(READBACK_CIB)
        for i, (name, book) in enumerate(books.items(), 1):
            cib = status_edit.replace_history(cib, str(i), name, book.histories)
        return cib

    now = int(time.time())
    t = schedule(cib_now(), now)  # type: ignore[arg-type]
    roles = {a.current_nodes: a.current_role for a in t.allocations if a.resource.startswith("db:")}
    assert roles == {("node1",): "Promoted", ("node2",): "Unpromoted"}
    assert not [a for a in t.actions if not a.optional and not a.pseudo]

    Path(f"{nodes['node1'].state}.rc").write_text("9\n")
    run("node1", "monitor", 8, interval_ms=10000, at=now + 10)
    t = schedule(cib_now(), now + 11)  # type: ignore[arg-type]
    failed = [a for a in t.allocations if a.current_nodes == ("node1",)]
    assert [(a.current_role, a.failed) for a in failed] == [("Promoted", True)]
    planned = [(str(a.task), a.node) for a in t.actions if not a.optional and not a.pseudo]
    assert planned[:2] == [("demote", "node1"), ("stop", "node1")]
    assert ("start", "node1") in planned
