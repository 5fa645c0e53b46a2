"""Pure edits of the CIB status section: node states, operation history, transient attributes.

Every replica applies the same edits in the same (agreed) order, so these functions must be
deterministic: they take every value they need (including timestamps) as arguments.
"""

from __future__ import annotations

import dataclasses

from vigil.model.cib import Cib
from vigil.model.nvset import NvPair, NvSet
from vigil.model.ocf import ExecStatus, OcfResult, records_failure
from vigil.model.score import add, format_score, parse_score
from vigil.model.status import (
    NodeState,
    OperationRecord,
    ResourceHistory,
    TicketChange,
    TicketState,
)
from vigil.model.version import CibVersion


def bump_updates(cib: Cib) -> Cib:
    v = cib.version
    return dataclasses.replace(cib, version=CibVersion(v.admin_epoch, v.epoch, v.num_updates + 1))


def _node_index(cib: Cib, node_id: str) -> int:
    for i, state in enumerate(cib.status):
        if state.id == node_id:
            return i
    return -1


def _put_state(cib: Cib, state: NodeState) -> Cib:
    i = _node_index(cib, state.id)
    states = list(cib.status)
    if i < 0:
        states.append(state)
    else:
        states[i] = state
    return dataclasses.replace(cib, status=tuple(states))


def get_state(cib: Cib, node_id: str, uname: str) -> NodeState:
    i = _node_index(cib, node_id)
    if i >= 0:
        return cib.status[i]
    return NodeState(id=node_id, uname=uname, has_lrm=True, lrm_id=node_id,
                     transient_id=node_id)


def set_node_state(cib: Cib, node_id: str, uname: str, *, in_ccm: bool, crmd: bool, join: str,
                   expected: str) -> Cib:
    state = get_state(cib, node_id, uname)
    new = dataclasses.replace(state, uname=uname, in_ccm="true" if in_ccm else "false",
                              crmd="online" if crmd else "offline", join=join, expected=expected)
    if new == state:
        return cib
    return _put_state(cib, new)


def mark_remote_node(cib: Cib, name: str) -> Cib:
    """The node's state says it is a remote node (remote_node="true", in_ccm="true" while its
    connection runs), as Pacemaker writes a remote node's node_state."""
    state = get_state(cib, name, name)
    attrs = dict(state.extra.attrs)
    attrs["remote_node"] = "true"
    new = dataclasses.replace(state, in_ccm="true",
                              extra=dataclasses.replace(state.extra, attrs=tuple(attrs.items())))
    return cib if new == state else _put_state(cib, new)


def replace_history(cib: Cib, node_id: str, uname: str,
                    history: tuple[ResourceHistory, ...]) -> Cib:
    """A node's own account of its resources replaces what the cluster had recorded."""
    state = get_state(cib, node_id, uname)
    return _put_state(cib, dataclasses.replace(state, history=history, has_lrm=True,
                                               lrm_id=state.lrm_id or node_id))


def clear_history(cib: Cib, node_id: str, uname: str) -> Cib:
    """Forget a node's operation history (after it was fenced or restarted clean)."""
    return replace_history(cib, node_id, uname, ())


def record_operation(cib: Cib, node_id: str, uname: str, resource: ResourceHistory,
                     record: OperationRecord) -> Cib:
    """Add one operation result to a node's history, replacing the entry with the same id.

    A successful stop also drops the resource's recurring-monitor entries, which are cancelled
    with it (as Pacemaker's executor does), but not the record of a recurring monitor's
    failure. A failed non-recurring operation reported as
    `RSC_last_0` is kept as `RSC_last_failure_0` too, as Pacemaker's controller writes both:
    the next operation overwrites `last_0`, and the failure must stay in the status (`vigil
    status`'s failed actions, with the agent's reason) until a cleanup or its expiry."""
    state = get_state(cib, node_id, uname)
    histories = list(state.history)
    idx = next((i for i, h in enumerate(histories) if h.id == resource.id), -1)
    current = histories[idx] if idx >= 0 else dataclasses.replace(resource, operations=())
    written = [record]
    expected = record.expected_rc
    if (record.id == f"{resource.id}_last_0" and expected is not None
            and records_failure(record.op_status, record.rc_code, expected)):
        written.insert(0, dataclasses.replace(record, id=f"{resource.id}_last_failure_0"))
    ops = [op for op in current.operations if op.id not in {r.id for r in written}]
    if (record.operation == "stop" and record.rc_code == OcfResult.OK
            and record.op_status == ExecStatus.DONE):
        # the recurring operations' own entries go; a recurring monitor's failure, kept as
        # RSC_last_failure_0 with its interval, stays (failed actions, failure-timeout)
        failure = f"{resource.id}_last_failure_0"
        ops = [op for op in ops if op.interval_ms == 0 or op.id == failure]
    ops += written
    updated = dataclasses.replace(current, standard=resource.standard,
                                  provider=resource.provider, agent_type=resource.agent_type,
                                  operations=tuple(ops))
    if idx >= 0:
        histories[idx] = updated
    else:
        histories.append(updated)
    return _put_state(cib, dataclasses.replace(state, history=tuple(histories), has_lrm=True,
                                               lrm_id=state.lrm_id or node_id))


def forget_resource(cib: Cib, node_id: str, resource_id: str) -> Cib:
    """Drop a resource's whole history on one node (cleanup)."""
    i = _node_index(cib, node_id)
    if i < 0:
        return cib
    state = cib.status[i]
    kept = tuple(h for h in state.history if h.id != resource_id)
    if kept == state.history:
        return cib
    return _put_state(cib, dataclasses.replace(state, history=kept))


def _transient(state: NodeState) -> NvSet:
    set_id = f"status-{state.id}"
    for nvset in state.transient_attributes:
        if nvset.id == set_id:
            return nvset
    if state.transient_attributes:
        return state.transient_attributes[0]
    return NvSet(id=set_id, pairs=())


def transient_value(cib: Cib, node_id: str, name: str) -> str | None:
    i = _node_index(cib, node_id)
    if i < 0:
        return None
    for nvset in cib.status[i].transient_attributes:
        value = nvset.get(name)
        if value is not None:
            return value
    return None


def set_transient(cib: Cib, node_id: str, uname: str, name: str, value: str | None) -> Cib:
    """Set (or with None remove) a transient node attribute, like attrd would write it."""
    state = get_state(cib, node_id, uname)
    nvset = _transient(state)
    pairs = [p for p in nvset.pairs if p.name != name]
    if value is not None:
        pair_id = f"status-{state.id}-{name}".replace("#", ".")
        pairs.append(NvPair(pair_id, name, value))
    new_set = dataclasses.replace(nvset, pairs=tuple(pairs))
    others = tuple(s for s in state.transient_attributes if s.id != nvset.id)
    new_state = dataclasses.replace(state, transient_attributes=(new_set, *others),
                                    transient_id=state.transient_id or state.id)
    if new_state == state:
        return cib
    return _put_state(cib, new_state)


def clear_transient(cib: Cib, node_id: str) -> Cib:
    """Forget every transient attribute of a node (it left, rebooted or was fenced)."""
    i = _node_index(cib, node_id)
    if i < 0 or not cib.status[i].transient_attributes:
        return cib
    return _put_state(cib, dataclasses.replace(cib.status[i], transient_attributes=()))


def count_failure(cib: Cib, node_id: str, uname: str, resource: str, operation: str,
                  interval_ms: int, when: int, fatal: bool) -> Cib:
    """fail-count-<rsc>#<op>_<interval> += 1 (INFINITY for a fatal start failure)."""
    key = f"{resource}#{operation}_{interval_ms}"
    current = parse_score(transient_value(cib, node_id, f"fail-count-{key}"), 0)
    value = add(current, 1_000_000 if fatal else 1)
    cib = set_transient(cib, node_id, uname, f"fail-count-{key}", format_score(value))
    return set_transient(cib, node_id, uname, f"last-failure-{key}", str(when))


def clear_failures(cib: Cib, node_id: str, resource: str) -> Cib:
    """Remove every fail-count and last-failure attribute of `resource` (and its instances)."""
    i = _node_index(cib, node_id)
    if i < 0:
        return cib
    state = cib.status[i]
    base = resource.split(":")[0]

    def keep(pair: NvPair) -> bool:
        for prefix in ("fail-count-", "last-failure-"):
            if pair.name.startswith(prefix):
                rest = pair.name[len(prefix):].split("#")[0]
                if rest.split(":")[0] == base:
                    return False
        return True

    sets = tuple(dataclasses.replace(s, pairs=tuple(p for p in s.pairs if keep(p)))
                 for s in state.transient_attributes)
    if sets == state.transient_attributes:
        return cib
    return _put_state(cib, dataclasses.replace(state, transient_attributes=sets))


def change_ticket(cib: Cib, ticket: str, change: TicketChange, now: int) -> Cib:
    """This site's state of `ticket` after `change` (num_updates not bumped)."""
    kept = [t for t in cib.tickets if t.id != ticket]
    old = next((t for t in cib.tickets if t.id == ticket), TicketState(ticket))
    if change is TicketChange.REMOVE:
        return dataclasses.replace(cib, tickets=tuple(kept))
    if change is TicketChange.GRANT:
        new = dataclasses.replace(old, granted=True, last_granted=str(now))
    elif change is TicketChange.REVOKE:
        new = dataclasses.replace(old, granted=False)
    elif change is TicketChange.STANDBY:
        new = dataclasses.replace(old, standby=True)
    else:
        new = dataclasses.replace(old, standby=False)
    at = next((i for i, t in enumerate(cib.tickets) if t.id == ticket), len(kept))
    kept.insert(at, new)
    return dataclasses.replace(cib, tickets=tuple(kept))
