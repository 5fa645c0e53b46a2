"""model.ocf: result codes, execution statuses, and the one "did this operation fail" predicate."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from vigil.model.ocf import (
    PROBE_STATES,
    ExecStatus,
    OcfResult,
    effective_rc,
    operation_failed,
    records_failure,
)
from vigil.model.status import OperationRecord


def record(operation: str = "start", *, rc: int = 0, status: int = 0, interval_ms: int = 0,
           expected: int | None = 0) -> OperationRecord:
    key = None if expected is None else f"3:7:{expected}:0b4d1e1c-7a4b-4f37-8e3b-9f4e0f5b2a11"
    return OperationRecord(id="r_last_0", operation=operation, call_id=5, rc_code=rc,
                           op_status=status, interval_ms=interval_ms, transition_key=key)


def test_pacemakers_numbers() -> None:
    # They are written into the CIB: they must be Pacemaker's, not ours.
    assert [int(r) for r in OcfResult] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 190, 191, 193]
    assert [int(s) for s in ExecStatus] == list(range(-1, 12))


def test_an_agent_cannot_say_pacemakers_unknown() -> None:
    assert OcfResult.from_exit(193) is OcfResult.ERR_GENERIC
    assert OcfResult.from_exit(42) is OcfResult.ERR_GENERIC
    assert OcfResult.from_exit(190) is OcfResult.DEGRADED
    assert OcfResult.from_exit(7) is OcfResult.NOT_RUNNING


def test_degraded_is_what_it_degrades() -> None:
    assert effective_rc(190) == 0 and effective_rc(191) == 8 and effective_rc(9) == 9
    assert OcfResult.DEGRADED.effective is OcfResult.OK
    assert OcfResult.DEGRADED_PROMOTED.effective is OcfResult.RUNNING_PROMOTED


def test_examples() -> None:
    assert not operation_failed(record(rc=0))
    assert operation_failed(record(rc=1))
    assert not operation_failed(record(rc=190))  # degraded is success for the cluster
    assert operation_failed(record(rc=0, status=ExecStatus.TIMEOUT))
    assert not operation_failed(record(rc=7, expected=7, operation="stop"))
    assert operation_failed(record(rc=7, operation="monitor", interval_ms=10_000))
    assert not operation_failed(record(rc=8, expected=8, operation="monitor", interval_ms=10_000))
    assert not operation_failed(record(rc=191, expected=8, operation="monitor", interval_ms=5000))
    assert operation_failed(record(rc=7, expected=None))  # no transition key: 0 was expected


def test_probes_report_state() -> None:
    for rc in (0, 7, 8, 190, 191):
        assert not operation_failed(record("monitor", rc=rc, expected=7))
    for rc in (1, 2, 5, 6, 9):
        assert operation_failed(record("monitor", rc=rc, expected=7))
    assert operation_failed(record("monitor", rc=7, expected=7, status=ExecStatus.NOT_INSTALLED))


def test_pending_and_cancelled_are_not_results() -> None:
    assert not operation_failed(record(rc=193, status=ExecStatus.PENDING))
    assert not operation_failed(record("monitor", rc=1, status=ExecStatus.CANCELLED,
                                       interval_ms=10_000))


rcs = st.sampled_from([*OcfResult, 42])
statuses = st.sampled_from(list(ExecStatus))
operations = st.sampled_from(["start", "stop", "monitor", "promote", "demote", "migrate_to"])


@given(operations, rcs, statuses, st.sampled_from([0, 10_000]), st.sampled_from([None, 0, 7, 8]))
def test_the_rules(operation: str, rc: int, status: ExecStatus, interval_ms: int,
                   expected: int | None) -> None:
    rec = record(operation, rc=rc, status=status, interval_ms=interval_ms, expected=expected)
    failed = operation_failed(rec)
    if status in (ExecStatus.PENDING, ExecStatus.CANCELLED):
        assert not failed
    elif status is not ExecStatus.DONE:
        assert failed
    elif rec.is_probe:
        assert failed == (effective_rc(rc) not in PROBE_STATES)
    else:
        assert failed == (effective_rc(rc) != (0 if expected is None else expected))
    # A degraded result fails exactly when the result it degrades does.
    if rc in (OcfResult.DEGRADED, OcfResult.DEGRADED_PROMOTED):
        assert failed == operation_failed(record(operation, rc=effective_rc(rc), status=status,
                                                 interval_ms=interval_ms, expected=expected))


@given(rcs, statuses, st.sampled_from([0, 7, 8]))
def test_the_history_keeps_raw_failures(rc: int, status: ExecStatus, expected: int) -> None:
    kept = records_failure(status, rc, expected)
    if status in (ExecStatus.PENDING, ExecStatus.CANCELLED):
        assert not kept
    elif status in (ExecStatus.DONE, ExecStatus.ERROR_HARD, ExecStatus.ERROR_FATAL,
                    ExecStatus.NOT_INSTALLED):
        assert kept == (rc != expected)  # raw: degraded where 0 was expected is kept
    else:
        assert kept


def test_not_running_is_itself() -> None:
    assert OcfResult.NOT_RUNNING.effective is OcfResult.NOT_RUNNING
