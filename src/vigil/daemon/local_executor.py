"""The real LocalExecutor: resource agents through vigil.executor, history kept per node.

Every agent gets the meta values Pacemaker passes (the scheduler's: clone and promotable
settings, notification data; the monitor's role; this node's name as on_node) and the daemon's
additions to the environment (`agent_env`: where vigil's crm_attribute and friends are).
Notify results are reported, never recorded in the history (as in Pacemaker).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from vigil import fencer
from vigil.controller.operations import Operation, Outcome
from vigil.executor import history as hist
from vigil.executor.agents import AgentSpec, resolve_agent
from vigil.executor.monitors import MonitorKey, MonitorRequest, MonitorScheduler
from vigil.executor.run import OperationResult, run_operation
from vigil.fencer import devices as fencer_devices
from vigil.model.nvset import NvPair, NvSet
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.reports import ReportError
from vigil.model.resources import Primitive
from vigil.model.status import OperationRecord, ResourceHistory

log = logging.getLogger("vigild.executor")


@dataclass(frozen=True)
class _Watch:
    op: Operation
    spec: AgentSpec
    report: Callable[[Outcome], None]


def _agent_name(op: Operation) -> str:
    if op.provider:
        return f"{op.standard}:{op.provider}:{op.agent_type}"
    return f"{op.standard}:{op.agent_type}"


class AgentExecutor:
    def __init__(self, node: str, *, agent_env: Mapping[str, str] = MappingProxyType({})) -> None:
        self.node = node
        self.agent_env: Mapping[str, str] = MappingProxyType(dict(agent_env))
        self.history_book = hist.NodeHistory(node)
        # Like Pacemaker, a monitor reports changes only: a dead process counts one failure.
        self.scheduler = MonitorScheduler(self._on_monitor, changes_only=True)
        self.watches: dict[MonitorKey, _Watch] = {}
        self.device_monitors: dict[MonitorKey, asyncio.Future[None]] = {}
        self._action_ids = itertools.count(1)

    def _key(self, op: Operation) -> hist.TransitionKey:
        return transition_key(op, next(self._action_ids))

    def _identity(self, op: Operation) -> ResourceHistory:
        return identity(op)

    def _meta(self, op: Operation) -> dict[str, str]:
        meta = op.agent_meta()
        meta.setdefault("on_node", self.node)
        return meta

    def _outcome(self, op: Operation, spec: AgentSpec, result: OperationResult,
                 key: hist.TransitionKey) -> Outcome:
        records = self.history_book.record(spec, result, transition_key=key,
                                           expected_rc=op.expected_rc)
        if not records:
            # a notify: reported to the DC, kept nowhere
            return Outcome(self._identity(op), hist.reported_record(
                spec, result, call_id=self.history_book.allocate_call_id(), node=self.node,
                transition_key=key))
        # The last record is the one that describes this result (a failure adds *_last_failure_0).
        record = records[-1]
        return Outcome(self._identity(op), record)

    def record(self, op: Operation, spec: AgentSpec, result: OperationResult) -> Outcome:
        """Record a result this executor did not get from an agent (a remote node's
        connection: vigil.daemon.remote_links) as if it had."""
        return self._outcome(op, spec, result, self._key(op))

    async def execute(self, op: Operation) -> Outcome:
        key = self._key(op)
        try:
            spec = resolve_agent(_agent_name(op))
        except ReportError as exc:
            log.error("%s: %s", op.resource, exc)
            result = OperationResult(resource_id=op.resource, action=op.task,
                                     interval_ms=op.interval_ms, rc=OcfResult.ERR_INSTALLED,
                                     status=ExecStatus.NOT_INSTALLED,
                                     exit_reason="agent not installed")
            return Outcome(self._identity(op),
                           _not_installed_record(op, result, key, self.node))
        if op.standard == "stonith":
            # Fence devices are registered with the fencer, not run here (issue: fencing).
            # The recorded parameters must be the configured ones, or the digest would differ
            # from the configuration's and the scheduler would restart the device forever.
            result = OperationResult(resource_id=op.resource, action=op.task,
                                     interval_ms=op.interval_ms,
                                     rc=OcfResult.OK if op.task != "monitor" or op.interval_ms
                                     else OcfResult.NOT_RUNNING, status=ExecStatus.DONE,
                                     params=tuple(sorted(op.params)),
                                     meta=tuple(sorted(op.meta)), timeout_ms=op.timeout_ms)
            return self._outcome(op, spec, result, key)
        result = await run_operation(spec, op.task, dict(op.params), timeout_ms=op.timeout_ms,
                                     interval_ms=op.interval_ms, resource_id=op.resource,
                                     meta=self._meta(op), agent_env=self.agent_env)
        return self._outcome(op, spec, result, key)

    def start_monitor(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        if op.standard == "stonith":
            self._start_device_monitor(op, report)
            return
        try:
            spec = resolve_agent(_agent_name(op))
        except ReportError:
            return
        request = MonitorRequest.of(spec, resource_id=op.resource, interval_ms=op.interval_ms,
                                    timeout_ms=op.timeout_ms, params=dict(op.params),
                                    meta=self._meta(op), expected_rc=OcfResult(op.expected_rc),
                                    agent_env=self.agent_env)
        self.watches[request.key] = _Watch(op, spec, report)
        asyncio.ensure_future(self.scheduler.start(request))

    def _on_monitor(self, result: OperationResult) -> None:
        key = MonitorKey(result.resource_id, result.action, result.interval_ms)
        watch = self.watches.get(key)
        if watch is None:
            return
        outcome = self._outcome(watch.op, watch.spec, result, self._key(watch.op))
        watch.report(outcome)

    def _start_device_monitor(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        """A fence device is checked with its agent's `monitor` through the fencer (the
        executor does not run fence agents); a changed result is reported like any monitor."""
        key = MonitorKey(op.resource, "monitor", op.interval_ms)
        old = self.device_monitors.pop(key, None)
        if old is not None:
            old.cancel()
        self.device_monitors[key] = asyncio.ensure_future(self._device_loop(op, report))

    async def _device_loop(self, op: Operation, report: Callable[[Outcome], None]) -> None:
        prim = Primitive(id=op.resource, standard="stonith", agent_type=op.agent_type,
                         instance_attributes=(NvSet(f"{op.resource}-ia", tuple(
                             NvPair(f"{op.resource}-{k}", k, v) for k, v in op.params)),))
        device = fencer_devices.device_from_primitive(prim)
        spec = resolve_agent(_agent_name(op))
        last: bool | None = None
        while True:
            await asyncio.sleep(op.interval_ms / 1000)
            try:
                ok = await fencer.monitor_device(device, op.timeout_ms)
            except Exception:  # a broken agent is a failed monitor, not a dead daemon
                log.exception("monitor of fence device %s", op.resource)
                ok = False
            if ok == last and ok:
                continue
            last = ok
            result = OperationResult(resource_id=op.resource, action="monitor",
                                     interval_ms=op.interval_ms,
                                     rc=OcfResult.OK if ok else OcfResult.ERR_GENERIC,
                                     status=ExecStatus.DONE, params=tuple(sorted(op.params)),
                                     timeout_ms=op.timeout_ms,
                                     exit_reason="" if ok else "fence device monitor failed")
            report(self._outcome(op, spec, result, self._key(op)))

    def cancel_monitors(self, resource: str, remote: str | None = None) -> None:
        if remote is not None:
            return  # this executor runs no remote node's monitors (remote_links does)
        for key in [k for k in self.device_monitors if k.resource_id == resource]:
            self.device_monitors.pop(key).cancel()
        for key in [k for k in self.watches if k.resource_id == resource]:
            del self.watches[key]
            self.history_book.forget_recurring(resource, key.interval_ms, key.action)
        asyncio.ensure_future(self.scheduler.cancel_resource(resource))

    def history(self) -> tuple[ResourceHistory, ...]:
        return self.history_book.histories


def transition_key(op: Operation, action_id: int) -> hist.TransitionKey:
    """The key recorded with an operation's result: the transition it came from (its key's
    first field) and the result it expected."""
    head = op.transition_key.split(":", 1)[0]
    transition = int(head) if head.isdigit() else 0
    return hist.TransitionKey(action_id, transition, op.expected_rc, "vigild")


def identity(op: Operation) -> ResourceHistory:
    """The agent identity of an operation's resource, as its history names it."""
    return ResourceHistory(id=op.resource, standard=op.standard, agent_type=op.agent_type,
                           provider=op.provider)


def unexecuted_record(op: Operation, key: hist.TransitionKey, node: str | None, *,
                      record_id: str, status: ExecStatus, rc: OcfResult,
                      why: str) -> OperationRecord:
    """The record of an operation no agent ran (not installed here; its remote node not
    reachable): what the scheduler reads as that operation's failure."""
    return OperationRecord(
        id=record_id, operation=op.task, call_id=0, rc_code=int(rc), op_status=int(status),
        interval_ms=op.interval_ms, transition_key=str(key),
        transition_magic=hist.transition_magic(int(status), int(rc), key), exit_reason=why,
        operation_key=hist.operation_key(op.resource, op.task, op.interval_ms), on_node=node)


def _not_installed_record(op: Operation, result: OperationResult, key: hist.TransitionKey,
                          node: str) -> OperationRecord:
    """What an agent that is not there "returns": not installed, recorded as a hard failure."""
    return unexecuted_record(op, key, node, record_id=f"{op.resource}_last_failure_0",
                             status=ExecStatus.NOT_INSTALLED, rc=OcfResult.ERR_INSTALLED,
                             why=result.exit_reason)
