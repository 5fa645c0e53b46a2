"""A failed operation stays in the status after the next one on the same resource (issue 11: an
old primary whose rejoin failed lost its reason from `vigil status` once the cluster stopped
it): the DC keeps a failed non-recurring result as `_last_failure_0` as well as `_last_0`, as
Pacemaker's controller writes both."""

from __future__ import annotations

from vigil.cib import status_edit
from vigil.cib.read import parse_cib
from vigil.commands.status import failed_actions
from vigil.model.status import OperationRecord, ResourceHistory

EMPTY = """<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9">
  <configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources/>
  <constraints/></configuration><status/></cib>"""
RSC = ResourceHistory(id="db", standard="ocf", provider="vigil", agent_type="pgsqlms")


def result(call: int, task: str, rc: int, expected: int, reason: str = "") -> OperationRecord:
    return OperationRecord(id="db_last_0", operation=task, call_id=call, rc_code=rc, op_status=0,
                           interval_ms=0, transition_key=f"{call}:1:{expected}:vigild",
                           transition_magic=f"0:{rc};{call}:1:{expected}:vigild",
                           exit_reason=reason, operation_key=f"db_{task}_0", on_node="n1")


def test_a_failed_start_stays_after_the_stop_that_follows_it() -> None:
    cib, problems = parse_cib(EMPTY)
    assert not problems
    cib = status_edit.record_operation(cib, "1", "n1", RSC, result(
        4, "start", 1, 0, "old primary: base backup failed: must be a replication role"))
    cib = status_edit.record_operation(cib, "1", "n1", RSC, result(5, "stop", 0, 0))
    ops = {op.id: op for op in cib.status[0].history[0].operations}
    assert ops["db_last_0"].operation == "stop"
    assert ops["db_last_failure_0"].operation == "start"
    (failed,) = failed_actions(cib)
    assert (failed.operation, failed.rc_code, failed.exit_reason) == (
        "start", 1, "old primary: base backup failed: must be a replication role")


def test_a_success_writes_no_failure_and_a_probe_that_finds_it_stopped_is_none() -> None:
    cib, _ = parse_cib(EMPTY)
    cib = status_edit.record_operation(cib, "1", "n1", RSC, result(1, "monitor", 7, 7))
    cib = status_edit.record_operation(cib, "1", "n1", RSC, result(2, "start", 0, 0))
    assert [op.id for op in cib.status[0].history[0].operations] == ["db_last_0"]
    assert failed_actions(cib) == ()


def test_a_recurring_monitor_s_failure_stays_after_the_recovery_s_stop() -> None:
    """The web UI's lab test found it: a monitor that found the resource dead, then the
    recovery's stop and start; the stop dropped every record with an interval, the failure's
    too, so `vigil status` showed a fail-count and no failed action (Pacemaker keeps
    db_last_failure_0 until a cleanup or its failure-timeout)."""
    cib, _ = parse_cib(EMPTY)
    cib = status_edit.record_operation(cib, "1", "n1", RSC, result(2, "start", 0, 0))
    monitor = OperationRecord(id="db_monitor_10000", operation="monitor", call_id=3, rc_code=0,
                              op_status=0, interval_ms=10000, transition_key="3:1:0:vigild",
                              operation_key="db_monitor_10000", on_node="n1")
    cib = status_edit.record_operation(cib, "1", "n1", RSC, monitor)
    died = OperationRecord(id="db_last_failure_0", operation="monitor", call_id=3, rc_code=7,
                           op_status=0, interval_ms=10000, transition_key="3:1:0:vigild",
                           operation_key="db_monitor_10000", on_node="n1")
    cib = status_edit.record_operation(cib, "1", "n1", RSC, died)
    cib = status_edit.record_operation(cib, "1", "n1", RSC, result(4, "stop", 0, 0))
    ids = {op.id for op in cib.status[0].history[0].operations}
    assert ids == {"db_last_0", "db_last_failure_0"}  # the monitor's own entry went
    (failed,) = failed_actions(cib)
    assert (failed.operation, failed.interval_ms, failed.rc_code) == ("monitor", 10000, 7)
