"""The DC routes a remote node's operations (controller.remote, controller.planning): probes and
actions for resources on remote node r1 go to the member its connection runs on, marked with
the node; the results are recorded under the remote node's own state; the connection's start
result carries the remote node's history, which every replica takes before the result."""

from __future__ import annotations

import dataclasses

from vigil.cib.read import parse_cib
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.core import step
from vigil.controller.operations import Operation, Outcome
from vigil.controller.state import State, View, initial_state
from vigil.model.status import OperationRecord, ResourceHistory
from vigil.scheduler.digests import parameters_digest

RING = (1, 7)

CIB = """<cib admin_epoch="0" epoch="3" num_updates="0" validate-with="pacemaker-3.8" have-quorum="1"
  crm_feature_set="3.16.2">
 <configuration>
  <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled"
   value="false"/></cluster_property_set></crm_config>
  <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
  <resources>
   <primitive id="r1" class="ocf" provider="pacemaker" type="remote">
    <instance_attributes id="r1-ia"><nvpair id="r1-s" name="server" value="10.213.0.60"/>
    </instance_attributes>
    <operations><op id="r1-mon" name="monitor" interval="30s"/></operations>
   </primitive>
   <primitive id="d1" class="ocf" provider="heartbeat" type="Dummy">
    <operations><op id="d1-mon" name="monitor" interval="10s"/></operations>
   </primitive>
  </resources>
  <constraints>
   <rsc_location id="d1-on-r1" rsc="d1" node="r1" score="INFINITY"/>
   <rsc_location id="r1-on-n2" rsc="r1" node="n2" score="100"/>
  </constraints>
 </configuration>
 <status>
  <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">
   <lrm id="1"><lrm_resources>
    <lrm_resource id="r1" class="ocf" provider="pacemaker" type="remote">
     <lrm_rsc_op id="r1_last_0" operation="monitor" call-id="1" rc-code="7" op-status="0"
      interval="0" transition-key="1:1:7:x" on_node="n1"/></lrm_resource>
    <lrm_resource id="d1" class="ocf" provider="heartbeat" type="Dummy">
     <lrm_rsc_op id="d1_last_0" operation="monitor" call-id="2" rc-code="7" op-status="0"
      interval="0" transition-key="1:1:7:x" on_node="n1"/></lrm_resource>
   </lrm_resources></lrm>
  </node_state>
  <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member">
   <lrm id="2"><lrm_resources>
    <lrm_resource id="r1" class="ocf" provider="pacemaker" type="remote">
     <lrm_rsc_op id="r1_last_0" operation="start" call-id="3" rc-code="0" op-status="0"
      interval="0" transition-key="2:1:0:x" on_node="n2" op-digest="DIGEST"/></lrm_resource>
    <lrm_resource id="d1" class="ocf" provider="heartbeat" type="Dummy">
     <lrm_rsc_op id="d1_last_0" operation="monitor" call-id="4" rc-code="7" op-status="0"
      interval="0" transition-key="1:1:7:x" on_node="n2"/></lrm_resource>
   </lrm_resources></lrm>
  </node_state>
 </status>
</cib>"""


def replica(me: int) -> State:
    # the connection's start as its parameters are: no definition change to restart it for
    cib, _ = parse_cib(CIB.replace("DIGEST", parameters_digest({"server": "10.213.0.60"})))
    st = initial_state(me, cib)
    view = View(ring=RING, members=(1, 2), synced=True, joined=frozenset({1, 2}),
                states_applied=True)
    return dataclasses.replace(st, view=view, names={1: "n1", 2: "n2"})


def sent(effects: tuple[fx.Effect, ...]) -> list[m.Message]:
    return [e.message for e in effects if isinstance(e, fx.Broadcast)]


def deliver(st: State, sender: int, msg: m.Message) -> tuple[State, tuple[fx.Effect, ...]]:
    return step(st, ev.Delivered(sender, msg), 100.0)


def finished(req: m.ExecRequest, rc: int) -> Outcome:
    op = req.operation
    record = OperationRecord(id=f"{op.resource}_last_0", operation=op.task, call_id=5,
                             rc_code=rc, op_status=0, interval_ms=op.interval_ms,
                             transition_key=op.transition_key, on_node="r1")
    return Outcome(ResourceHistory(op.resource, op.standard, op.agent_type, op.provider), record,
                   remote="r1")


def test_the_remote_nodes_probe_and_start_go_to_its_connections_member() -> None:
    dc, n2 = replica(1), replica(2)
    dc, effects = step(dc, ev.PlanDue(), 100.0)
    [probe] = [x for x in sent(effects) if isinstance(x, m.ExecRequest)]
    assert (probe.node, probe.operation.remote, probe.resource) == (2, "r1", "d1")
    assert all(op.remote == "r1" for op in probe.monitors)

    # n2 runs it through its connection: not counted among its own operations
    n2, effects = deliver(n2, 1, probe)
    [execute] = [e for e in effects if isinstance(e, fx.Execute)]
    assert execute.operation.remote == "r1" and not n2.running_ops
    n2, effects = step(n2, ev.OperationFinished(probe, finished(probe, 7)), 101.0)
    [result] = [x for x in sent(effects) if isinstance(x, m.OpResult)]
    assert result.remote == "r1"

    for st_name in ("dc", "n2"):
        st = dc if st_name == "dc" else n2
        st, _ = deliver(st, 2, result)
        row = next(s for s in st.cib.status if s.id == "r1")
        assert [h.id for h in row.history] == ["d1"]  # under the remote node's own state
        if st_name == "dc":
            dc = st
        else:
            n2 = st
    assert not dc.plan.probing

    dc, effects = step(dc, ev.PlanDue(), 102.0)
    [start] = [x for x in sent(effects) if isinstance(x, m.ExecRequest)]
    assert (start.node, start.task, start.operation.remote) == (2, "start", "r1")
    n2, effects = deliver(n2, 1, start)
    assert fx.CancelMonitors("d1", "r1") in effects


def test_with_no_connection_up_nothing_is_sent_to_the_remote_node() -> None:
    dc = replica(1)
    cib = dc.cib
    stopped = tuple(dataclasses.replace(s, history=tuple(
        h for h in s.history if h.id != "r1")) for s in cib.status)
    dc = dataclasses.replace(dc, cib=dataclasses.replace(cib, status=stopped))
    dc, effects = step(dc, ev.PlanDue(), 100.0)
    assert all(x.operation.remote is None for x in sent(effects)
               if isinstance(x, m.ExecRequest))


def test_a_connections_start_brings_the_remote_nodes_history_first() -> None:
    n2 = replica(2)
    op = Operation("r1", "ocf", "pacemaker", "remote", "start", 0, 20000, 0, "5:1:7")
    req = m.ExecRequest("5:1:7", "r1_start_0", 2, op)
    history = (ResourceHistory("d1", "ocf", "Dummy", "heartbeat", operations=(
        OperationRecord(id="d1_last_0", operation="start", call_id=1, rc_code=0, op_status=0,
                        interval_ms=0),)),)
    record = OperationRecord(id="r1_last_0", operation="start", call_id=6, rc_code=0,
                             op_status=0, interval_ms=0)
    outcome = Outcome(ResourceHistory("r1", "ocf", "remote", "pacemaker"), record,
                      joined=history)
    n2, effects = step(n2, ev.OperationFinished(req, outcome), 100.0)
    first, second = sent(effects)[:2]
    assert isinstance(first, m.RemoteHistory) and first.remote == "r1"
    assert isinstance(second, m.OpResult) and second.remote is None
    n2, _ = deliver(n2, 2, first)
    row = next(s for s in n2.cib.status if s.id == "r1")
    assert dict(row.extra.attrs)["remote_node"] == "true"
    assert [h.id for h in row.history] == ["d1"]
