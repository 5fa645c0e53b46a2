"""Agent operations, resolved: what exactly runs for each planned action, which recurring
monitors follow a start, and what each node is to be probed for.

Everything an executor needs comes from here (parameters, timeout, expected result, on-fail,
the clone settings Pacemaker passes as CRM_meta_*), so no layer above reads the configuration
again to run an agent.
"""

from __future__ import annotations

import dataclasses

from vigil.model.cib import Cib
from vigil.model.durations import parse_interval_ms
from vigil.model.resources import Primitive
from vigil.model.values import is_true
from vigil.scheduler.transition import ProbeRequest, ResolvedOperation, Task
from vigil.scheduler.unpack import op_defaults, op_on_fail
from vigil.scheduler.working import Action, Role, Rsc, Variant, WorkingSet, parse_role

DEFAULT_TIMEOUT_MS = 20_000  # Pacemaker's, for an operation that sets none
# OCF exit codes an operation is expected to end with
_OK, _NOT_RUNNING, _RUNNING_PROMOTED = 0, 7, 8
_MONITOR_EXPECTS: dict[Role | None, int] = {Role.PROMOTED: _RUNNING_PROMOTED, Role.STOPPED: _NOT_RUNNING}
# tasks that run an agent on a node (stonith runs a fence device, not a resource's agent)
_AGENT_TASKS = frozenset({Task.START, Task.STOP, Task.PROMOTE, Task.DEMOTE, Task.MONITOR,
                          Task.NOTIFY, Task.MIGRATE_TO, Task.MIGRATE_FROM})
_MIGRATIONS = frozenset({Task.MIGRATE_TO, Task.MIGRATE_FROM})
_Pairs = tuple[tuple[str, str], ...]


def _migration_meta(action: Action) -> _Pairs:
    """What the agent of a migrate_to / migrate_from is told (CRM_meta_migrate_source and
    _target), and what the history records of it. A pending migrate_to is recorded: the source
    may vanish while it runs, and the next scheduler run must know the target may hold the
    resource (Pacemaker's record_pending)."""
    rsc = action.rsc
    assert rsc is not None and rsc.assigned is not None
    source = rsc.migrating_from or rsc.partial_migration_source
    assert source is not None
    meta: _Pairs = (("migrate_source", source.name), ("migrate_target", rsc.assigned.name))
    if action.task == Task.MIGRATE_TO:
        meta += (("record_pending", "true"),)
    return meta


class Resolver:
    """Resolves the operations of one scheduler run; remembers what several actions share."""

    def __init__(self, ws: WorkingSet) -> None:
        self._ws = ws
        self._defaults: dict[tuple[str, str | None, str, str, int], dict[str, str]] = {}
        self._shared_by_rsc: dict[int, tuple[_Pairs, _Pairs]] = {}
        self._operations: dict[tuple[str, Task, int, int, str | None], ResolvedOperation] = {}

    def for_action(self, action: Action) -> ResolvedOperation | None:
        """The operation a planned action runs; None where it runs no agent (a pseudo action,
        a collective's, a fencing)."""
        rsc = action.rsc
        if rsc is None or rsc.variant != Variant.PRIMITIVE or action.pseudo \
                or action.task not in _AGENT_TASKS:
            return None
        op = self._operation(rsc, action.task, 0, _OK, None)
        if action.task == Task.NOTIFY and action.notify_meta:
            op = dataclasses.replace(op, meta=op.meta + tuple(sorted(action.notify_meta.items())))
        if action.task in _MIGRATIONS:
            op = dataclasses.replace(op, meta=tuple(sorted((*op.meta, *_migration_meta(action)))))
        return op

    def monitors(self) -> tuple[ResolvedOperation, ...]:
        """Every configured, enabled recurring monitor, once per history id (the instances of an
        anonymous clone share theirs)."""
        out: list[ResolvedOperation] = []
        seen: set[tuple[str, int, str | None]] = set()
        for rsc in self._ws.all_rscs():
            prim = rsc.model
            if rsc.variant != Variant.PRIMITIVE or not isinstance(prim, Primitive):
                continue
            for op in prim.operations:
                if op.name != Task.MONITOR or op.interval_ms <= 0 or not op.enabled:
                    continue
                role = parse_role(op.role)
                key = (rsc.history_id, op.interval_ms, role.text if role else None)
                if key in seen:
                    continue
                seen.add(key)
                out.append(self._operation(rsc, Task.MONITOR, op.interval_ms,
                                           _MONITOR_EXPECTS.get(role, _OK),
                                           role.text if role else None))
        return tuple(out)

    def probes(self, cib: Cib) -> tuple[ProbeRequest, ...]:
        """For each online node, a probe of every resource that it has no history for (under
        the history id or the primitive's own id). Fence devices are not probed; a clone is
        probed through its first instance, a remote node's connection not on remote nodes.
        Nodes with nothing to probe are left out, and so
        are nodes that cannot answer one: offline (a node whose stack stopped cleanly keeps
        no history of a resource created since, and is probed when it joins again) or
        unclean."""
        probes: list[tuple[str, bool, ResolvedOperation]] = []
        for rsc in self._ws.all_rscs():
            prim = rsc.model
            if rsc.variant != Variant.PRIMITIVE or not isinstance(prim, Primitive) \
                    or rsc.is_fencing_device or rsc.instance_number > 0:
                continue
            probes.append((prim.id, rsc.remote_node is not None,
                           self._operation(rsc, Task.MONITOR, 0, _NOT_RUNNING, None)))
        known = {state.id: {h.id for h in state.history} for state in cib.status}
        out = []
        for node in self._ws.nodes:
            if not node.online or node.unclean:
                continue
            have = known.get(node.id, set())
            # a remote node runs no connection to a remote node: none is probed there
            todo = tuple(op for prim_id, connection, op in probes
                         if op.resource not in have and prim_id not in have
                         and not (connection and node.remote))
            if todo:
                out.append(ProbeRequest(node_id=node.id, node=node.name, operations=todo))
        return tuple(out)

    def _operation(self, rsc: Rsc, task: Task, interval_ms: int, expected_rc: int,
                   role: str | None) -> ResolvedOperation:
        # the instances of an anonymous clone share one history id, and so one operation
        key = (rsc.history_id, task, interval_ms, expected_rc, role)
        op = self._operations.get(key)
        if op is None:
            params, meta = self._shared(rsc)
            op = self._operations[key] = ResolvedOperation(
                resource=rsc.history_id, standard=rsc.standard, provider=rsc.provider,
                agent_type=rsc.agent_type, task=task, interval_ms=interval_ms,
                timeout_ms=self._timeout_ms(rsc, task, interval_ms), expected_rc=expected_rc,
                on_fail=op_on_fail(self._ws, rsc, task, interval_ms), role=role, params=params,
                meta=meta)
        return op

    def _shared(self, rsc: Rsc) -> tuple[_Pairs, _Pairs]:
        """What every operation of a resource carries: its parameters and its clone's settings."""
        cached = self._shared_by_rsc.get(id(rsc))
        if cached is None:
            params = tuple(sorted(rsc.params.items()))
            clone = rsc.clone_parent()
            meta: _Pairs = ()
            if clone is not None:
                # what Pacemaker 2.1.5's graph gives every instance's operations (the executor
                # adds the legacy master_* names)
                meta = (("clone_max", str(clone.clone_max)),
                        ("clone_node_max", str(clone.clone_node_max)),
                        ("globally_unique", "true" if clone.unique else "false"),
                        ("notify", "true" if is_true(clone.meta.get("notify")) else "false"))
                if clone.promotable:
                    meta += (("promoted_max", str(clone.promoted_max)),
                             ("promoted_node_max", str(clone.promoted_node_max)))
            cached = self._shared_by_rsc[id(rsc)] = (params, meta)
        return cached

    def _timeout_ms(self, rsc: Rsc, task: Task, interval_ms: int) -> int:
        """The operation's own timeout, else op_defaults', else Pacemaker's 20 s."""
        prim = rsc.model
        if isinstance(prim, Primitive):
            for op in prim.operations:
                if op.name == task and op.interval_ms == interval_ms and op.timeout:
                    value = parse_interval_ms(op.timeout)
                    if value:
                        return value
        default = self._op_defaults(rsc, task, interval_ms).get("timeout")
        return (parse_interval_ms(default) if default else None) or DEFAULT_TIMEOUT_MS

    def _op_defaults(self, rsc: Rsc, task: Task, interval_ms: int) -> dict[str, str]:
        # op_defaults' rules see the operation and the agent, nothing else of the resource
        key = (rsc.standard, rsc.provider, rsc.agent_type, str(task), interval_ms)
        cached = self._defaults.get(key)
        if cached is None:
            cached = self._defaults[key] = op_defaults(self._ws, rsc, task, interval_ms)
        return cached
