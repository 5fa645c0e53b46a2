"""Run one agent operation and say, typed, what happened.

`OcfResult` is what the agent said, in OCF terms whatever its standard; `ExecStatus` is whether
it ran to completion (both in model/ocf.py, with the numbers Pacemaker records as rc-code and
op-status). Agent trouble never raises: a missing agent, a timeout or a failed exec is a result,
as in Pacemaker's executor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from vigil.executor import process
from vigil.executor.agents import AgentSpec, Standard
from vigil.model.cib import CRM_FEATURE_SET
from vigil.model.ocf import ExecStatus, OcfResult

Params = tuple[tuple[str, str], ...]
_EMPTY: Mapping[str, str] = MappingProxyType({})
# What the daemon adds to every agent's environment (its configuration: HA_SBIN_DIR and PATH
# pointing at vigil's own crm_attribute, crm_master, attrd_updater, crm_node; HA_VARRUN...).
AgentEnv = Mapping[str, str]

# The legacy names of the promotable meta values and notification lists: Pacemaker 2.1 passes
# both (master_max beside promoted_max, notify_master_* beside notify_promoted_*), and agents
# written for 1.x read only the old ones.
_LEGACY_META = (("promoted_max", "master_max"), ("promoted_node_max", "master_node_max"),
                ("notify_promoted_resource", "notify_master_resource"),
                ("notify_promoted_uname", "notify_master_uname"),
                ("notify_unpromoted_resource", "notify_slave_resource"),
                ("notify_unpromoted_uname", "notify_slave_uname"))

OCF_RA_VERSION = ("1", "1")  # what agents are told (OCF 1.1, as by Pacemaker 2.1)
DEFAULT_KILL_GRACE_MS = 2000  # between SIGTERM and SIGKILL to a timed-out agent's group


@dataclass(frozen=True)
class OperationResult:
    """The outcome of one run of one action.

    `params` are the instance attributes the agent was given (sorted pairs), `meta` the meta
    values (names without the CRM_meta_ prefix); the history needs both for digests.
    `started_at` is wall-clock epoch seconds; `exit_code` is the agent's raw exit status (None
    when it did not exit by itself, `signal` then says why); `rc_changed_at` (epoch seconds) is
    set by the monitor scheduler on recurring results.
    """

    resource_id: str
    action: str
    interval_ms: int
    rc: OcfResult
    status: ExecStatus
    exit_reason: str = ""
    stdout: str = ""
    stderr: str = ""
    started_at: float = 0.0
    duration_ms: int = 0
    queue_ms: int = 0
    timeout_ms: int = 0
    params: Params = ()
    meta: Params = ()
    exit_code: int | None = None
    signal: int | None = None
    rc_changed_at: float | None = None

    def params_dict(self) -> dict[str, str]:
        return dict(self.params)

    def meta_dict(self) -> dict[str, str]:
        return dict(self.meta)

    @property
    def effective_rc(self) -> OcfResult:
        return self.rc.effective

    @property
    def is_probe(self) -> bool:
        return self.action == "monitor" and self.interval_ms == 0


def lsb_to_ocf(action: str, code: int) -> OcfResult:
    """LSB init-script exit codes in OCF terms (LSB 4.1 "Init Script Actions"; Pacemaker's
    services__lsb2ocf)."""
    if action in ("status", "monitor"):
        # 0 running; 1 dead, pid file exists; 2 dead, lock file exists; 3 not running;
        # 4 unknown; 150 and 151: Pacemaker's not-installed and insufficient-privileges.
        if code == 0:
            return OcfResult.OK
        if code in (1, 2, 3):
            return OcfResult.NOT_RUNNING
        if code == 150:
            return OcfResult.ERR_INSTALLED
        if code == 151:
            return OcfResult.ERR_PERM
        return OcfResult.ERR_GENERIC
    # The other actions share OCF's meanings for 0..7.
    if 0 <= code <= 7:
        return OcfResult(code)
    return OcfResult.ERR_GENERIC


def _meta_name(name: str) -> str:
    return "CRM_meta_" + name.removeprefix("CRM_meta_").replace("-", "_")


def with_legacy_names(meta: Mapping[str, str]) -> dict[str, str]:
    """Meta values (names without CRM_meta_) with each promotable value and notification list
    also under its other name (promoted_max and master_max...), as Pacemaker 2.1 passes them;
    a name given explicitly is kept."""
    out = {k.removeprefix("CRM_meta_").replace("-", "_"): v for k, v in meta.items()}
    for new, old in _LEGACY_META:
        if new in out:
            out.setdefault(old, out[new])
        elif old in out:
            out[new] = out[old]
    return out


def agent_environment(spec: AgentSpec, action: str, params: Mapping[str, str], *, resource_id: str,
                      timeout_ms: int, interval_ms: int = 0, meta: Mapping[str, str] = _EMPTY,
                      depth: int | None = None, base: Mapping[str, str] | None = None,
                      agent_env: AgentEnv = _EMPTY) -> dict[str, str]:
    """The environment an agent runs with. OCF agents get OCF_* and OCF_RESKEY_*; LSB scripts
    and systemctl only the base environment (Pacemaker gives them no parameters). `agent_env`
    (the daemon's configuration) is laid over the base environment of every agent; the OCF
    variables are set after it and win."""
    source = os.environ if base is None else base
    # Stray OCF_* variables of the daemon's own environment must not reach an agent.
    env = {k: v for k, v in source.items() if not k.startswith("OCF_")}
    env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
    env.update(agent_env)
    if spec.runs_as is not Standard.OCF:
        return env
    env.update({
        "OCF_ROOT": str(spec.paths.ocf_root),
        "OCF_FUNCTIONS_DIR": str(spec.paths.ocf_functions_dir),
        "OCF_RA_VERSION_MAJOR": OCF_RA_VERSION[0],
        "OCF_RA_VERSION_MINOR": OCF_RA_VERSION[1],
        "OCF_EXIT_REASON_PREFIX": process.EXIT_REASON_PREFIX.decode(),
        "OCF_RESOURCE_INSTANCE": resource_id,
        "OCF_RESOURCE_TYPE": spec.type,
        # Pacemaker's controller adds its feature set to every action's parameters (outside
        # the digest); agents such as PAF's pgsqlms check it before doing anything.
        "OCF_RESKEY_crm_feature_set": CRM_FEATURE_SET,
    })
    if spec.provider is not None:
        env["OCF_RESOURCE_PROVIDER"] = spec.provider
    for name, value in params.items():
        # OCF_CHECK_LEVEL is an operation attribute that Pacemaker exports under its own name.
        env[name if name == "OCF_CHECK_LEVEL" else f"OCF_RESKEY_{name}"] = value
    metas = {_meta_name(k): v for k, v in with_legacy_names(meta).items()}
    metas.pop("CRM_meta_op_target_rc", None)  # the agent must not know what is expected of it
    metas["CRM_meta_timeout"] = str(timeout_ms)
    if interval_ms:
        metas["CRM_meta_interval"] = str(interval_ms)
        metas.setdefault("CRM_meta_name", action)
    else:
        # Agents tell a probe by an absent (or zero) interval: ocf_is_probe.
        metas.pop("CRM_meta_interval", None)
    for name, value in metas.items():
        env[f"OCF_RESKEY_{name}"] = value
    if depth is not None:
        env["OCF_CHECK_LEVEL"] = str(depth)
    return env


def _spawn_failure(where: str, err: int) -> tuple[OcfResult, ExecStatus, str]:
    """Pacemaker's services__handle_exec_error."""
    reason = f"{where}: {os.strerror(err)}"
    if err in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.EINVAL, errno.ENOEXEC):
        return OcfResult.ERR_INSTALLED, ExecStatus.NOT_INSTALLED, reason
    if err in (errno.EACCES, errno.EPERM):
        return OcfResult.ERR_PERM, ExecStatus.ERROR, reason
    return OcfResult.ERR_GENERIC, ExecStatus.ERROR, reason


def _classify(spec: AgentSpec, action: str, ex: process.Exec,
              timeout_ms: int) -> tuple[OcfResult, ExecStatus, str]:
    if ex.spawn_errno is not None:
        return _spawn_failure(ex.argv[0], ex.spawn_errno)
    if ex.timed_out:
        return (OcfResult.ERR_GENERIC, ExecStatus.TIMEOUT,
                f"{action} did not complete within {timeout_ms} ms")
    if ex.exit_code is None:
        return (OcfResult.ERR_GENERIC, ExecStatus.ERROR,
                f"{action} interrupted by signal {process.signal_name(ex.signal)}")
    if spec.runs_as is Standard.LSB:
        return lsb_to_ocf(action, ex.exit_code), ExecStatus.DONE, ""
    return OcfResult.from_exit(ex.exit_code), ExecStatus.DONE, ex.exit_reason


_LSB_ACTIONS = {"start": "start", "stop": "stop", "monitor": "status", "status": "status",
                "restart": "restart", "reload": "reload", "force-reload": "force-reload"}


async def run_operation(spec: AgentSpec, action: str, params: Mapping[str, str], *, timeout_ms: int,
                        interval_ms: int = 0, resource_id: str, meta: Mapping[str, str] = _EMPTY,
                        depth: int | None = None, kill_grace_ms: int = DEFAULT_KILL_GRACE_MS,
                        stdout_limit: int = process.TAIL_BYTES,
                        agent_env: AgentEnv = _EMPTY) -> OperationResult:
    """Run `action` of the agent once. Never raises for agent trouble; cancelling the awaiting
    task kills the agent's process group at once and re-raises CancelledError.

    The agent runs in its own session and process group (so that a timeout reaches everything
    it started: SIGTERM to the group, SIGKILL after `kill_grace_ms`, status TIMEOUT), with stdin
    from /dev/null, cwd /, and the environment of `agent_environment`. LSB `monitor` runs
    `status`; systemd units go through systemctl; stonith agents only give their meta-data
    here (the fencer runs them). Only the last `stdout_limit` bytes of stdout and the last
    few KB of stderr are kept. `agent_env` is added to the environment of OCF agents and LSB
    scripts, see `agent_environment`.
    """
    base = OperationResult(
        resource_id=resource_id, action=action, interval_ms=interval_ms,
        rc=OcfResult.ERR_GENERIC, status=ExecStatus.ERROR, started_at=time.time(),
        timeout_ms=timeout_ms, params=tuple(sorted(params.items())),
        meta=tuple(sorted((k.removeprefix("CRM_meta_"), v) for k, v in meta.items())))

    def unsupported(reason: str) -> OperationResult:
        return dataclasses.replace(base, rc=OcfResult.ERR_UNIMPLEMENTED,
                                   status=ExecStatus.NOT_SUPPORTED, exit_reason=reason)

    if spec.runs_as is Standard.SYSTEMD:
        # The unit runs in systemd's environment, not ours: agent_env does not reach it.
        return await _run_systemd(spec, action, base, timeout_ms=timeout_ms, kill_grace_ms=kill_grace_ms)
    if spec.path is None:
        return unsupported(f"{spec.name} has no executable")
    if spec.runs_as is Standard.STONITH:
        if action != "meta-data":
            return unsupported("fence agents are run by the fencer")
        argv = [str(spec.path), "-o", "metadata"]
    elif spec.runs_as is Standard.LSB:
        lsb_action = _LSB_ACTIONS.get(action)
        if lsb_action is None:
            return unsupported(f"LSB init scripts have no '{action}' action")
        argv = [str(spec.path), lsb_action]
    else:
        argv = [str(spec.path), action]
    env = agent_environment(spec, action, params, resource_id=resource_id, timeout_ms=timeout_ms,
                            interval_ms=interval_ms, meta=meta, depth=depth, agent_env=agent_env)
    try:
        ex = await process.execute(argv, env, timeout_ms=timeout_ms, grace_ms=kill_grace_ms,
                                   scan_reason=spec.runs_as is Standard.OCF, stdout_limit=stdout_limit)
    except ValueError as exc:
        # A NUL byte in a value or '=' in a name: no environment can carry it.
        return dataclasses.replace(base, rc=OcfResult.ERR_ARGS, status=ExecStatus.ERROR_HARD,
                                   exit_reason=f"parameters cannot be passed to the agent: {exc}")
    rc, status, reason = _classify(spec, action, ex, timeout_ms)
    return dataclasses.replace(
        base, rc=rc, status=status, exit_reason=reason, stdout=_text(ex.stdout),
        stderr=_text(ex.stderr), started_at=ex.started_at, duration_ms=ex.duration_ms,
        exit_code=ex.exit_code, signal=ex.signal)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# -- systemd -----------------------------------------------------------------------------------
# What Pacemaker's drop-in says, for vigil: the unit belongs to the cluster, so systemd must
# neither restart it on its own nor stop it after the cluster daemon at shutdown.
_DROPIN_NAME = "50-vigil.conf"
_DROPIN = """[Unit]
Description=Cluster Controlled {unit}
Before=vigild.service

[Service]
Restart=no
"""
_SETTLING = ("activating", "deactivating")
_ACTIVE = ("active", "reloading")


@dataclass(frozen=True)
class _UnitState:
    load: str
    active: str


class _Deadline:
    def __init__(self, timeout_ms: int) -> None:
        self.end = time.monotonic() + timeout_ms / 1000

    def left_ms(self) -> int:
        return max(0, int((self.end - time.monotonic()) * 1000))


class _SystemctlTimeout(Exception):
    pass


async def _systemctl(spec: AgentSpec, args: list[str], deadline: _Deadline,
                     grace_ms: int) -> process.Exec:
    env = agent_environment(spec, "", {}, resource_id="", timeout_ms=0)
    ex = await process.execute([spec.paths.systemctl, *args], env, timeout_ms=deadline.left_ms(),
                               grace_ms=grace_ms, scan_reason=False)
    if ex.timed_out:
        raise _SystemctlTimeout
    return ex


async def _unit_state(spec: AgentSpec, deadline: _Deadline, grace_ms: int) -> _UnitState | process.Exec:
    ex = await _systemctl(spec, ["show", "--property=LoadState,ActiveState", spec.unit], deadline, grace_ms)
    if ex.exit_code != 0:
        return ex
    props: dict[str, str] = {}
    for line in _text(ex.stdout).splitlines():
        name, _, value = line.partition("=")
        props[name] = value
    return _UnitState(props.get("LoadState", ""), props.get("ActiveState", ""))


async def _settled_state(spec: AgentSpec, deadline: _Deadline, grace_ms: int,
                         poll_s: float) -> _UnitState | process.Exec:
    while True:
        state = await _unit_state(spec, deadline, grace_ms)
        if not isinstance(state, _UnitState) or state.active not in _SETTLING:
            return state
        if deadline.left_ms() <= 0:
            raise _SystemctlTimeout
        await asyncio.sleep(min(poll_s, deadline.left_ms() / 1000))


def _write_dropin(spec: AgentSpec) -> bool:
    """Write the cluster drop-in for the unit; True if it changed (systemd must reload)."""
    directory = spec.paths.systemd_run_dir / f"{spec.unit}.d"
    path = directory / _DROPIN_NAME
    text = _DROPIN.format(unit=spec.unit)
    try:
        if path.read_text() == text:
            return False
    except OSError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
    return True


async def _run_systemd(spec: AgentSpec, action: str, base: OperationResult, *, timeout_ms: int,
                       kill_grace_ms: int) -> OperationResult:
    """systemctl for start/stop/monitor, then ActiveState polled every min(2 s, timeout/10)
    until it settles, as Pacemaker polls over D-Bus."""

    def result(rc: OcfResult, status: ExecStatus, reason: str = "",
               ex: process.Exec | None = None) -> OperationResult:
        return dataclasses.replace(
            base, rc=rc, status=status, exit_reason=reason,
            stdout=_text(ex.stdout) if ex else "", stderr=_text(ex.stderr) if ex else "",
            duration_ms=int((time.time() - base.started_at) * 1000))

    if action not in ("start", "stop", "monitor", "status"):
        return result(OcfResult.ERR_UNIMPLEMENTED, ExecStatus.NOT_SUPPORTED,
                      f"systemd units have no '{action}' action")
    if not spec.paths.systemd_running():
        return result(OcfResult.ERR_INSTALLED, ExecStatus.NOT_INSTALLED,
                      f"systemd is not running on this host ({spec.paths.systemd_run_dir} is absent)")
    deadline = _Deadline(timeout_ms)
    poll_s = min(2.0, timeout_ms / 10000)
    ran: process.Exec | None = None
    try:
        state = await _unit_state(spec, deadline, kill_grace_ms)
        if isinstance(state, process.Exec):
            if state.spawn_errno is not None:
                return result(*_spawn_failure(spec.paths.systemctl, state.spawn_errno))
            return result(OcfResult.ERR_GENERIC, ExecStatus.ERROR,
                          f"systemctl show {spec.unit} failed: {_text(state.stderr).strip()}", state)
        if state.load == "not-found":
            return result(OcfResult.ERR_INSTALLED, ExecStatus.NOT_INSTALLED,
                          f"unit {spec.unit} not found")
        if action == "start":
            if _write_dropin(spec):
                await _systemctl(spec, ["daemon-reload"], deadline, kill_grace_ms)
            ran = await _systemctl(spec, ["start", spec.unit], deadline, kill_grace_ms)
        elif action == "stop":
            ran = await _systemctl(spec, ["stop", spec.unit], deadline, kill_grace_ms)
        state = await _settled_state(spec, deadline, kill_grace_ms, poll_s)
    except _SystemctlTimeout:
        return result(OcfResult.ERR_GENERIC, ExecStatus.TIMEOUT,
                      f"{action} of {spec.unit} did not complete within {timeout_ms} ms", ran)
    if isinstance(state, process.Exec):
        return result(OcfResult.ERR_GENERIC, ExecStatus.ERROR,
                      f"systemctl show {spec.unit} failed: {_text(state.stderr).strip()}", state)
    running = state.active in _ACTIVE
    if action == "start":
        if running:
            return result(OcfResult.OK, ExecStatus.DONE, "", ran)
        # A start that leaves the unit stopped is a failed start.
        why = _text(ran.stderr).strip() if ran else ""
        return result(OcfResult.ERR_GENERIC, ExecStatus.DONE,
                      f"unit {spec.unit} is {state.active} after start" + (f": {why}" if why else ""), ran)
    if action == "stop":
        if running:
            return result(OcfResult.ERR_GENERIC, ExecStatus.DONE,
                          f"unit {spec.unit} is still {state.active} after stop", ran)
        return result(OcfResult.OK, ExecStatus.DONE, "", ran)
    return result(OcfResult.OK if running else OcfResult.NOT_RUNNING, ExecStatus.DONE)
