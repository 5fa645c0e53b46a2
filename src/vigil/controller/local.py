"""What runs on this node: the operations the DC asks of it, its monitors, their results; and
what runs on the remote nodes whose connection is here (vigil-remoted runs it, this node routes
it: Pacemaker's "router node")."""

from __future__ import annotations

import dataclasses

from vigil.controller import alerts
from vigil.controller import effects as fx
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.controller.operations import Outcome, monitors_for_role, promoted_after
from vigil.scheduler.options import read_options

_KEEP_MONITORS = frozenset({"monitor", "notify"})


def execute(s: Step, req: m.ExecRequest) -> None:
    remote = req.operation.remote
    if remote is None:
        # counted as running from delivery on: a join sent before its result lists it as
        # pending (a remote node's operations are not in this node's join)
        running = dict(s.state.running_ops)
        running[req.resource] = running.get(req.resource, 0) + 1
        s.state = dataclasses.replace(s.state, running_ops=running)
    if req.task not in _KEEP_MONITORS:
        # as Pacemaker's controller does before any action but a probe or a notification: the
        # monitors of the role the resource leaves would report its new role as a failure
        s.effects.append(fx.CancelMonitors(req.resource, remote))
    s.effects.append(fx.Execute(req, req.operation))


def on_finished(s: Step, req: m.ExecRequest, outcome: Outcome) -> None:
    if req.operation.remote is None:
        running = dict(s.state.running_ops)
        running[req.resource] = running.get(req.resource, 0) - 1
        if running[req.resource] <= 0:
            del running[req.resource]
        s.state = dataclasses.replace(s.state, running_ops=running)
    if outcome.joined is not None:
        # a connection to a remote node is up here: every replica takes the remote node's
        # account of what runs there, before the connection's start result (sent next)
        st = s.state
        s.send(m.RemoteHistory(st.view.ring, st.me, req.resource, outcome.joined))
    report(s, dataclasses.replace(outcome, remote=req.operation.remote), req.transition,
           req.action_key, req.task)
    if (req.monitors and not outcome.failed and outcome.left_running
            and req.task in ("start", "promote", "demote", "monitor", "migrate_from")):
        monitors = monitors_for_role(req.monitors, promoted_after(req.task, outcome.record))
        if monitors:
            s.effects.append(fx.StartMonitors(monitors))


def on_monitor(s: Step, outcome: Outcome) -> None:
    report(s, outcome, None, None, "monitor")


def report(s: Step, outcome: Outcome, transition: str | None, action_key: str | None,
           task: str) -> None:
    st = s.state
    fatal = (task == "start" and outcome.failed
             and read_options(st.cib).start_failure_is_fatal)
    s.send(m.OpResult(st.me, st.name_of(st.me), outcome.resource, outcome.record, transition,
                      action_key, outcome.failed, fatal, int(s.now), outcome.remote))
    node = outcome.remote or st.name_of(st.me)
    alerts.send(s, "resource", alerts.resource_fields(node, outcome.remote or str(st.me),
                                                      outcome.resource.id, outcome.record))
