"""The replica's rules: how every member applies a delivered message to its CIB.

Every member applies the same messages in the same (agreed) order, so the replicas stay equal
inside a synced view. A member not yet in step with its view drops them all (everyone drops the
same ones); the join after the sync brings the truth back.
"""

from __future__ import annotations

import dataclasses

from vigil.cib import status_edit
from vigil.cib.read import parse_cib
from vigil.controller import attributes, fencing, local, sync
from vigil.controller import effects as fx
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.model.cib import NodeConfig
from vigil.model.nvset import first_value
from vigil.model.reports import ReportError
from vigil.model.status import NodeState, OperationRecord, TicketChange
from vigil.model.version import CibVersion


def on_message(s: Step, sender: int, msg: m.Message) -> None:
    if isinstance(msg, m.Hello):
        sync.on_hello(s, msg)
        return
    if isinstance(msg, m.Sync):
        sync.on_sync(s, msg)
        return
    if not s.state.view.synced:
        if isinstance(msg, m.ConfigReplace) and msg.origin == s.state.me:
            s.effects.append(fx.Answer(msg.request_id, False, code="CIB_NOT_READY"))
        elif isinstance(msg, m.Attribute | m.ConfigAttribute):
            attributes.not_ready(s, msg)
        return
    if isinstance(msg, m.NodeHistory):
        _apply_history(s, msg)
    elif isinstance(msg, m.NodeStates):
        _apply_node_states(s, msg)
    elif isinstance(msg, m.ConfigReplace):
        _apply_config(s, msg)
    elif isinstance(msg, m.OpResult):
        _apply_result(s, msg)
    elif isinstance(msg, m.RemoteHistory):
        _apply_remote_history(s, msg)
    elif isinstance(msg, m.ExecRequest):
        if msg.node == s.state.me:
            local.execute(s, msg)
        return
    elif isinstance(msg, m.Attribute):
        attributes.apply(s, msg)
        return  # the DC plans again when a change is written (attributes._write)
    elif isinstance(msg, m.AttributeFlush):
        attributes.apply_flush(s, msg)
        return
    elif isinstance(msg, m.ConfigAttribute):
        attributes.apply_config(s, msg)
        return
    elif isinstance(msg, m.Cleanup):
        _apply_cleanup(s, msg)
    elif isinstance(msg, m.ForgetNode):
        _apply_forget(s, msg)
    elif isinstance(msg, m.TicketUpdate):
        _apply_ticket(s, msg)
    elif isinstance(msg, m.FenceResult):
        fencing.apply_result(s, msg)
    elif isinstance(msg, m.Leaving):
        s.emit("node-leaving", target=msg.uname)
        s.set_cib(status_edit.bump_updates(status_edit.set_node_state(
            s.state.cib, msg.node_id, msg.uname, in_ccm=True, crmd=True, join="down",
            expected="down")), persist=False)
    s.want_plan()


def _apply_history(s: Step, msg: m.NodeHistory) -> None:
    view = s.state.view
    if tuple(msg.ring) != view.ring:
        return
    cib = status_edit.replace_history(s.state.cib, str(msg.node), msg.uname, msg.history)
    if msg.fresh:
        cib = status_edit.clear_transient(cib, str(msg.node))
    s.set_cib(status_edit.bump_updates(cib), persist=False)
    attributes.apply_join(s, msg)
    view = dataclasses.replace(view, joined=view.joined | {msg.node},
                               pending=view.pending | {(msg.node, rsc) for rsc in msg.pending})
    s.state = dataclasses.replace(s.state, view=view)
    sync.on_joined(s, msg.node)


def _apply_remote_history(s: Step, msg: m.RemoteHistory) -> None:
    """A remote node's account of what it runs, read by the node its connection started on:
    it replaces what was recorded (the node may have run on while no connection was up), and
    the node's state says it is a remote node (Pacemaker's remote_node="true")."""
    if tuple(msg.ring) != s.state.view.ring:
        return  # read in another view: the connection's start result is stale too
    cib = status_edit.replace_history(s.state.cib, msg.remote, msg.remote, msg.history)
    cib = status_edit.mark_remote_node(cib, msg.remote)
    s.set_cib(status_edit.bump_updates(cib), persist=False)
    s.emit("remote-history", remote=msg.remote, router=s.state.name_of(msg.router),
           resources=sorted(h.id for h in msg.history))


def _asked_to_leave(state: NodeState) -> bool:
    """The node's shutdown request is in the status (`vigil cluster stop`'s, made through
    attrd to every replica)."""
    value = first_value(state.transient_attributes, attributes.SHUTDOWN)
    return value not in (None, "", "0")


def _apply_node_states(s: Step, msg: m.NodeStates) -> None:
    cib = s.state.cib
    nodes = list(cib.configuration.nodes)
    known = {c.id for c in nodes}
    added = False
    current = {st.id: st for st in cib.status}
    for row in msg.rows:
        if row.node_id not in known:
            nodes.append(NodeConfig(id=row.node_id, uname=row.uname))
            added = True
        expected = row.expected
        before = current.get(row.node_id)
        if not row.crmd and before is not None and before.crmd == "online" \
                and _asked_to_leave(before):
            # It asked to leave (its shutdown request, which every replica holds): expected
            # down, as Pacemaker's peers record at req_shutdown, so a goodbye lost to another
            # node's leaving at the same moment does not make it unclean. What still runs
            # there is fenced all the same: the scheduler finds it active on an offline node.
            expected = "down"
        elif not row.crmd and before is not None and before.expected:
            # The DC computed this row before messages it had not seen yet (a fence result, a
            # clean leave): for a node that is not a member, what the replica holds now decides,
            # or a fenced node would be expected up again and fenced once more.
            expected = before.expected
        if not row.crmd and before is not None and before.crmd == "online":
            # the node left: its transient attributes go with it (attrd forgets its values)
            cib = status_edit.clear_transient(cib, row.node_id)
        cib = status_edit.set_node_state(cib, row.node_id, row.uname, in_ccm=row.in_ccm,
                                         crmd=row.crmd, join=row.join, expected=expected)
    cib = dataclasses.replace(cib, have_quorum=msg.have_quorum, dc_uuid=str(msg.dc))
    if msg.dc == s.state.me:
        s.state = dataclasses.replace(s.state, view=dataclasses.replace(s.state.view,
                                                                        states_applied=True))
    if added:
        v = cib.version
        cib = dataclasses.replace(
            cib, configuration=dataclasses.replace(cib.configuration, nodes=tuple(nodes)),
            version=CibVersion(v.admin_epoch, v.epoch + 1, 0))
        s.set_cib(cib, persist=True)
    else:
        s.set_cib(status_edit.bump_updates(cib), persist=False)
    s.abort("node states changed")


def _apply_config(s: Step, msg: m.ConfigReplace) -> None:
    mine = msg.origin == s.state.me
    current = s.state.cib
    # Only a configuration change (admin_epoch, epoch) conflicts: status updates bump
    # num_updates all the time and must not make operators' commands fail.
    if tuple(msg.read_version)[:2] != current.version.as_tuple()[:2]:
        if mine:
            s.effects.append(fx.Answer(msg.request_id, False, code="CIB_CHANGED_UNDERNEATH"))
        return
    try:
        new, _ = parse_cib(msg.cib_xml)
    except ReportError as exc:
        # The sender validated it; every replica refuses the same bytes alike all the same.
        if mine:
            s.effects.append(fx.Answer(msg.request_id, False, code="CIB_INVALID",
                                       reports=tuple(exc.reports)))
        return
    config = new.configuration
    # Nodes that are members stay in the nodes section whatever was pushed (the join would add
    # them back anyway); the status is replicated, so every replica adds the same ones.
    listed = {n.id for n in config.nodes}
    missing = tuple(NodeConfig(id=n.id, uname=n.uname or n.id) for n in current.status
                    if n.id not in listed and n.crmd == "online")
    if missing:
        config = dataclasses.replace(config, nodes=config.nodes + missing)
    v = current.version
    cib = dataclasses.replace(current, configuration=config,
                              version=CibVersion(max(v.admin_epoch, new.version.admin_epoch),
                                                 v.epoch + 1, 0))
    s.set_cib(cib, persist=True)
    s.emit("config", version=list(cib.version.as_tuple()))
    if mine:
        s.effects.append(fx.Answer(msg.request_id, True, version=cib.version.as_tuple()))
    s.abort("configuration changed")


def _apply_result(s: Step, msg: m.OpResult) -> None:
    if msg.record.operation == "notify":
        _apply_notified(s, msg)
        return
    view = s.state.view
    # the result of an operation the DC asked for (a recurring monitor's first run included:
    # its record carries the interval), not a recurring monitor's later report
    asked = msg.transition is not None or msg.record.interval_ms == 0
    if asked and msg.remote is None and (msg.node, msg.resource.id) in view.pending:
        s.state = dataclasses.replace(
            s.state, view=dataclasses.replace(view, pending=view.pending - {(msg.node, msg.resource.id)}))
    # a remote node's state is keyed by its name (it has no Corosync id)
    node_id, uname = (msg.remote, msg.remote) if msg.remote else (str(msg.node), msg.uname)
    cib = status_edit.record_operation(s.state.cib, node_id, uname, msg.resource, msg.record)
    if msg.failed:
        cib = status_edit.count_failure(cib, node_id, uname, msg.resource.id,
                                        msg.record.operation, msg.record.interval_ms, msg.when,
                                        msg.fatal)
    s.set_cib(status_edit.bump_updates(cib), persist=False)
    s.emit("action", resource=msg.resource.id, task=msg.record.operation, target=uname,
           rc=msg.record.rc_code, status=msg.record.op_status, failed=msg.failed,
           transition=msg.transition, exec_ms=_exec_ms(msg.record))
    plan = s.state.plan
    probe = f"{msg.resource.id}@{node_id}"
    if probe in plan.probing:
        plan = dataclasses.replace(plan, probing=plan.probing - {probe})
        s.state = dataclasses.replace(s.state, plan=plan)
    if plan.graph is not None and msg.transition == s.state.transition_id() and msg.action_key:
        graph = plan.graph.complete(msg.action_key, not msg.failed)
        s.state = dataclasses.replace(s.state, plan=dataclasses.replace(plan, graph=graph))
        if msg.failed:
            s.abort(f"{msg.resource.id} {msg.record.operation} failed")
    elif msg.failed:
        s.abort(f"{msg.resource.id} failed on {msg.uname}")


def _exec_ms(record: OperationRecord) -> int | None:
    """How long the agent ran (the record's exec-time), for the event log: where a transition's
    time went (None when the executor did not say)."""
    value = next((v for k, v in record.extra.attrs if k == "exec-time"), "")
    return int(value) if value.isdigit() else None


def _apply_notified(s: Step, msg: m.OpResult) -> None:
    """A notification's result: never recorded in the status, and a failed one fails neither
    the resource (no fail-count) nor the transition, as in Pacemaker; it is only told."""
    s.emit("action", resource=msg.resource.id, task="notify", target=msg.remote or msg.uname,
           rc=msg.record.rc_code, status=msg.record.op_status, failed=msg.failed,
           transition=msg.transition, exec_ms=_exec_ms(msg.record))
    view = s.state.view
    if (msg.node, msg.resource.id) in view.pending:
        s.state = dataclasses.replace(
            s.state, view=dataclasses.replace(view, pending=view.pending - {(msg.node, msg.resource.id)}))
    plan = s.state.plan
    if plan.graph is not None and msg.transition == s.state.transition_id() and msg.action_key:
        s.state = dataclasses.replace(s.state, plan=dataclasses.replace(
            plan, graph=plan.graph.complete(msg.action_key, True)))


def _apply_forget(s: Step, msg: m.ForgetNode) -> None:
    mine = msg.origin == s.state.me
    if int(msg.node_id) in s.state.view.members:  # it came back meanwhile: nothing to forget
        if mine:
            s.effects.append(fx.Answer(msg.request_id, False, code="NODE_IS_MEMBER"))
        return
    cib = s.state.cib
    v = cib.version
    config = dataclasses.replace(cib.configuration, nodes=tuple(
        n for n in cib.configuration.nodes if n.id != msg.node_id))
    cib = dataclasses.replace(cib, configuration=config,
                              status=tuple(n for n in cib.status if n.id != msg.node_id),
                              version=CibVersion(v.admin_epoch, v.epoch + 1, 0))
    names = {k: v for k, v in s.state.names.items() if k != int(msg.node_id)}
    s.state = dataclasses.replace(s.state, names=names)
    s.set_cib(cib, persist=True)
    s.emit("node-forgotten", node=msg.uname)
    if mine:
        s.effects.append(fx.Answer(msg.request_id, True, version=s.state.cib.version.as_tuple()))
    s.abort("node forgotten")


def _apply_ticket(s: Step, msg: m.TicketUpdate) -> None:
    try:
        change = TicketChange(msg.change)
    except ValueError:
        return  # the sender checked it; a newer peer's change this replica does not know
    cib = status_edit.change_ticket(s.state.cib, msg.ticket, change, msg.now)
    # Not persisted, like the rest of the status: after the whole cluster restarts no ticket
    # is held until it is granted again (another site may hold it by then).
    s.set_cib(status_edit.bump_updates(cib), persist=False)
    s.emit("ticket", ticket=msg.ticket, change=change.value)
    if msg.origin == s.state.me:
        s.effects.append(fx.Answer(msg.request_id, True, version=s.state.cib.version.as_tuple()))
    s.abort("ticket changed")


def _apply_cleanup(s: Step, msg: m.Cleanup) -> None:
    cib = s.state.cib
    targets = [n.id for n in cib.status] if msg.node_id is None else [msg.node_id]
    for node_id in targets:
        cib = status_edit.clear_failures(cib, node_id, msg.resource)
        cib = status_edit.forget_resource(cib, node_id, msg.resource)
    s.set_cib(status_edit.bump_updates(cib), persist=False)
    if msg.origin == s.state.me:
        s.effects.append(fx.Answer(msg.request_id, True, version=s.state.cib.version.as_tuple()))
    s.abort("cleanup")
