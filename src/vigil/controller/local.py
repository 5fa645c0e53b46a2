"""What runs on this node: the operations the DC asks of it, its monitors, their results."""

from __future__ import annotations

import dataclasses

from vigil.controller import effects as fx
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.controller.operations import Operation, Outcome
from vigil.controller.resources import recurring_monitors
from vigil.model.cib import Cib

_TRUE = ("true", "yes", "1", "on", "y")


def execute(s: Step, req: m.ExecRequest) -> None:
    op = Operation(resource=req.resource, standard=req.standard, provider=req.provider,
                   agent_type=req.agent_type, task=req.task, interval_ms=req.interval_ms,
                   timeout_ms=req.timeout_ms, expected_rc=req.expected_rc,
                   transition_key=req.transition, params=req.params, meta=req.meta)
    # counted as running from delivery on: a join sent before its result lists it as pending
    running = dict(s.state.running_ops)
    running[req.resource] = running.get(req.resource, 0) + 1
    s.state = dataclasses.replace(s.state, running_ops=running)
    if req.task == "stop":
        s.effects.append(fx.CancelMonitors(req.resource))
    s.effects.append(fx.Execute(req, op))


def on_finished(s: Step, req: m.ExecRequest, outcome: Outcome) -> None:
    running = dict(s.state.running_ops)
    running[req.resource] = running.get(req.resource, 0) - 1
    if running[req.resource] <= 0:
        del running[req.resource]
    s.state = dataclasses.replace(s.state, running_ops=running)
    report(s, outcome, req.transition, req.action_key, req.task)
    if not outcome.failed and outcome.left_running and req.task in (
            "start", "promote", "demote", "monitor"):
        monitors = recurring_monitors(s.state.cib, req.resource, req.task)
        if monitors:
            s.effects.append(fx.StartMonitors(tuple(monitors)))


def on_monitor(s: Step, outcome: Outcome) -> None:
    report(s, outcome, None, None, "monitor")


def report(s: Step, outcome: Outcome, transition: str | None, action_key: str | None,
           task: str) -> None:
    st = s.state
    fatal = task == "start" and outcome.failed and _start_failure_is_fatal(st.cib)
    s.send(m.OpResult(st.me, st.name_of(st.me), outcome.resource, outcome.record, transition,
                      action_key, outcome.failed, fatal, int(s.now)))


def _start_failure_is_fatal(cib: Cib) -> bool:
    value = cib.cluster_option("start-failure-is-fatal")
    return value is None or value.strip().lower() in _TRUE
