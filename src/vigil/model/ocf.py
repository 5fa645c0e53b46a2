"""Agent results as Pacemaker records them, and whether a result is a failure.

`OcfResult` is the rc-code of an operation (what the agent said, in OCF terms whatever its
standard), `ExecStatus` its op-status (whether and how it ran). The numbers are Pacemaker's
(`enum ocf_exitcode`, `enum pcmk_exec_status`), because they are written into and read from the
CIB's status section.

Two questions are asked of a result, and they have different answers on purpose:
- `operation_failed(record)`: did the operation fail, for the cluster? Degraded results count as
  success, a probe only fails on an error. The daemon, crm_mon's failed actions and fail-counts
  ask this.
- `records_failure(status, rc, expected_rc)`: does the executor's history keep a `_last_failure_`
  entry for it? This is Pacemaker's did_rsc_op_fail, which compares the raw rc.
The scheduler's reading of the history (scheduler/unpack.py) is Pacemaker's unpack_rsc_op: it
decides more than failed-or-not (roles, hard and fatal errors, masked probes, expiry).
"""

from __future__ import annotations

import enum

from vigil.model.status import OperationRecord


class OcfResult(enum.IntEnum):
    """OCF exit codes. LSB and systemd results are mapped onto these."""

    OK = 0
    ERR_GENERIC = 1
    ERR_ARGS = 2
    ERR_UNIMPLEMENTED = 3
    ERR_PERM = 4
    ERR_INSTALLED = 5
    ERR_CONFIGURED = 6
    NOT_RUNNING = 7
    RUNNING_PROMOTED = 8
    FAILED_PROMOTED = 9
    DEGRADED = 190
    DEGRADED_PROMOTED = 191
    # Pacemaker's own, never an agent's: the rc of a pending record (PCMK_OCF_UNKNOWN)
    UNKNOWN = 193

    @classmethod
    def from_exit(cls, code: int) -> OcfResult:
        """An OCF agent's exit status; codes outside the standard are generic errors (an agent
        exiting 193 did not mean Pacemaker's "unknown")."""
        if code in _AGENT_CODES:
            return cls(code)
        return cls.ERR_GENERIC

    @property
    def effective(self) -> OcfResult:
        """Degraded counts as success (or promoted) for the cluster; it is only displayed."""
        return OcfResult(effective_rc(self))


_AGENT_CODES = frozenset(int(r) for r in OcfResult if r is not OcfResult.UNKNOWN)
SUCCESS_RCS = frozenset({OcfResult.OK, OcfResult.DEGRADED})  # rc 0 for the cluster


class ExecStatus(enum.IntEnum):
    """Pacemaker's op-status: whether and how the operation ran."""

    PENDING = -1
    DONE = 0
    CANCELLED = 1
    TIMEOUT = 2
    NOT_SUPPORTED = 3
    ERROR = 4
    ERROR_HARD = 5
    ERROR_FATAL = 6
    NOT_INSTALLED = 7
    NOT_CONNECTED = 8
    INVALID = 9
    NO_FENCE_DEVICE = 10
    NO_SECRETS = 11


def effective_rc(rc: int) -> int:
    """The rc the cluster acts on: degraded (190) is OK, degraded-promoted (191) is promoted
    (Pacemaker's pcmk__effective_rc). Any other value unchanged."""
    if rc == OcfResult.DEGRADED:
        return OcfResult.OK
    if rc == OcfResult.DEGRADED_PROMOTED:
        return OcfResult.RUNNING_PROMOTED
    return rc


# What a probe may find without it being a failure: stopped, running, or promoted.
PROBE_STATES = frozenset({OcfResult.OK, OcfResult.NOT_RUNNING, OcfResult.RUNNING_PROMOTED})


def operation_failed(record: OperationRecord) -> bool:
    """Whether the recorded operation failed, for the cluster.

    Pending and cancelled operations have no result yet (or never will): not failures. Any
    other status but done is a failure whatever the rc (timeout, error, not installed...). A
    probe reports the resource's state, so only an rc outside stopped/running/promoted is a
    failure. Anything else fails when its rc differs from the one the transition expected (0
    when the record carries no transition key). Degraded rcs count as the rc they degrade.
    """
    status = record.op_status
    if status in (ExecStatus.PENDING, ExecStatus.CANCELLED):
        return False
    if status != ExecStatus.DONE:
        return True
    rc = effective_rc(record.rc_code)
    if record.is_probe:
        return rc not in PROBE_STATES
    expected = record.expected_rc
    return rc != (expected if expected is not None else OcfResult.OK)


def records_failure(status: int, rc: int, expected_rc: int) -> bool:
    """Whether the history keeps a `_last_failure_` record for this result: Pacemaker's
    did_rsc_op_fail. It compares the raw rc, so a degraded (190) result where 0 was expected is
    recorded as a failure although the cluster treats it as success; and hard, fatal and
    not-installed statuses fall through to the rc comparison, as in Pacemaker."""
    if status in (ExecStatus.CANCELLED, ExecStatus.PENDING):
        return False
    if status in (ExecStatus.NOT_SUPPORTED, ExecStatus.TIMEOUT, ExecStatus.ERROR,
                  ExecStatus.NOT_CONNECTED, ExecStatus.NO_FENCE_DEVICE, ExecStatus.NO_SECRETS,
                  ExecStatus.INVALID):
        return True
    return rc != expected_rc
