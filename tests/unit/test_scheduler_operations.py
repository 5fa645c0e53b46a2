"""The scheduler resolves every agent operation: what a planned action runs, the recurring
monitors that follow it, the probes of each node.

Concrete values on small CIBs: what the executor is to run. vigild runs exactly these (the DC
sends each planned action's operation, the probes and the monitors that follow).
"""

from __future__ import annotations

from pathlib import Path

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import OnFail, PlannedAction, ResolvedOperation, Task, Transition

NOW = 1_700_000_000
REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "conformance" / "pacemaker-2.1.5"


def _cib(resources_xml: str, *, status: str = "", op_defaults: str = "", stonith: bool = False,
         nodes: int = 2) -> Cib:
    node_xml = "".join(f'<node id="{i}" uname="node{i}"/>' for i in range(1, nodes + 1))
    states = status or "".join(
        f'<node_state id="{i}" uname="node{i}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"/>' for i in range(1, nodes + 1))
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="{'true' if stonith else 'false'}"/>
    </cluster_property_set></crm_config>
    <nodes>{node_xml}</nodes>
    <resources>{resources_xml}</resources>
    <constraints/>
    {op_defaults}
  </configuration>
  <status>{states}</status>
</cib>"""
    cib, _ = parse_cib(text)
    return cib


def _action(t: Transition, resource: str, task: Task) -> PlannedAction:
    return next(a for a in t.actions if a.resource == resource and a.task == task)


def _op(t: Transition, resource: str, task: Task) -> ResolvedOperation:
    op = _action(t, resource, task).operation
    assert op is not None
    return op


DUMMY = """<primitive id="db" class="ocf" provider="pacemaker" type="Dummy">
  <instance_attributes id="db-ia"><nvpair id="db-ia-1" name="state" value="/run/db"/></instance_attributes>
  <operations>
    <op id="db-start" name="start" interval="0" timeout="45s"/>
    <op id="db-mon" name="monitor" interval="10s" timeout="15s" on-fail="block"/>
  </operations>
</primitive>"""


# --- concrete values -------------------------------------------------------------------------

def test_start_carries_parameters_timeout_and_on_fail_of_its_configuration() -> None:
    t = schedule(_cib(DUMMY), NOW)
    assert _op(t, "db", Task.START) == ResolvedOperation(
        resource="db", standard="ocf", provider="pacemaker", agent_type="Dummy", task=Task.START,
        interval_ms=0, timeout_ms=45_000, expected_rc=0, on_fail=OnFail.RESTART,
        params=(("state", "/run/db"),))


def test_recurring_monitor_follows_a_start_with_its_own_timeout_and_on_fail() -> None:
    t = schedule(_cib(DUMMY), NOW)
    (monitor,) = t.monitors_after("db", Task.START)
    assert (monitor.task, monitor.interval_ms, monitor.timeout_ms, monitor.expected_rc,
            monitor.on_fail, monitor.role) == (Task.MONITOR, 10_000, 15_000, 0, OnFail.BLOCK, None)
    assert t.monitors_after("other", Task.START) == ()


def test_timeout_falls_back_to_op_defaults_then_twenty_seconds() -> None:
    defaults = """<op_defaults><meta_attributes id="od">
      <nvpair id="od-t" name="timeout" value="1m"/></meta_attributes></op_defaults>"""
    plain = '<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/>'
    assert _op(schedule(_cib(plain, op_defaults=defaults), NOW), "r", Task.START).timeout_ms == 60_000
    assert _op(schedule(_cib(plain), NOW), "r", Task.START).timeout_ms == 20_000


def test_op_defaults_rules_see_the_operation_and_the_agent() -> None:
    defaults = """<op_defaults><meta_attributes id="od">
      <rule id="od-r" score="INFINITY" boolean-op="and">
        <rsc_expression id="od-r-rsc" class="ocf" provider="pacemaker" type="Dummy"/>
        <op_expression id="od-r-op" name="monitor" interval="10s"/>
      </rule>
      <nvpair id="od-t" name="timeout" value="8s"/></meta_attributes></op_defaults>"""
    cib = _cib("""<primitive id="r" class="ocf" provider="pacemaker" type="Dummy">
      <operations><op id="r-m" name="monitor" interval="10s"/></operations></primitive>
      <primitive id="s" class="ocf" provider="heartbeat" type="IPaddr2">
      <operations><op id="s-m" name="monitor" interval="10s"/></operations></primitive>""",
               op_defaults=defaults)
    t = schedule(cib, NOW)
    assert [m.timeout_ms for m in t.monitors_after("r", Task.START)] == [8_000]
    assert [m.timeout_ms for m in t.monitors_after("s", Task.START)] == [20_000]
    assert _op(t, "r", Task.START).timeout_ms == 20_000


def test_stop_fails_into_fencing_only_where_fencing_is_enabled() -> None:
    running = """<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
        expected="member"><lrm id="1"><lrm_resources>
      <lrm_resource id="r" class="ocf" provider="pacemaker" type="Dummy">
        <lrm_rsc_op id="r_last_0" operation_key="r_start_0" operation="start" call-id="1"
          rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" crm_feature_set="3.7.0"/>
      </lrm_resource></lrm_resources></lrm></node_state>"""
    stopped = '<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><meta_attributes ' \
              'id="r-m"><nvpair id="r-m-1" name="target-role" value="Stopped"/></meta_attributes></primitive>'
    fence = ('<primitive id="f" class="stonith" type="fence_dummy"/>')
    with_fencing = schedule(_cib(stopped + fence, status=running, stonith=True, nodes=1), NOW)
    without = schedule(_cib(stopped, status=running, nodes=1), NOW)
    assert _op(with_fencing, "r", Task.STOP).on_fail == OnFail.FENCE
    assert _op(without, "r", Task.STOP).on_fail == OnFail.BLOCK


def test_anonymous_clone_instances_share_the_primitive_id_and_carry_the_clone_settings() -> None:
    t = schedule(_cib(f'<clone id="db-clone">{DUMMY}</clone>'), NOW)
    starts = [a for a in t.actions if a.task == Task.START and a.operation is not None]
    assert {a.resource for a in starts} == {"db:0", "db:1"}
    assert {a.operation.resource for a in starts if a.operation} == {"db"}
    assert {a.operation.meta for a in starts if a.operation} == {
        (("clone_max", "2"), ("clone_node_max", "1"), ("globally_unique", "false"),
         ("notify", "false"))}
    assert len(t.monitors_after("db", Task.START)) == 1  # once, not once per instance


def test_globally_unique_clone_instances_keep_their_number() -> None:
    clone = f"""<clone id="db-clone"><meta_attributes id="c-m">
      <nvpair id="c-m-1" name="globally-unique" value="yes"/>
      <nvpair id="c-m-2" name="clone-max" value="3"/>
      <nvpair id="c-m-3" name="clone-node-max" value="2"/></meta_attributes>{DUMMY}</clone>"""
    t = schedule(_cib(clone), NOW)
    op = _op(t, "db:2", Task.START)
    assert op.resource == "db:2"
    assert op.meta == (("clone_max", "3"), ("clone_node_max", "2"), ("globally_unique", "true"),
                       ("notify", "false"))
    assert [m.resource for m in t.monitors] == ["db:0", "db:1", "db:2"]


PROMOTABLE = """<clone id="ms"><meta_attributes id="ms-m">
  <nvpair id="ms-m-1" name="promotable" value="true"/></meta_attributes>
  <primitive id="st" class="ocf" provider="pacemaker" type="Stateful">
    <operations>
      <op id="st-mp" name="monitor" interval="10s" role="Promoted"/>
      <op id="st-mu" name="monitor" interval="11s" role="Unpromoted"/>
      <op id="st-ms" name="monitor" interval="12s" role="Stopped"/>
    </operations>
  </primitive></clone>"""


def test_role_monitors_follow_the_role_that_the_action_left() -> None:
    t = schedule(_cib(PROMOTABLE), NOW)

    def after(task: Task) -> list[tuple[int, str | None, int]]:
        return [(m.interval_ms, m.role, m.expected_rc) for m in t.monitors_after("st", task)]

    assert after(Task.PROMOTE) == [(10_000, "Promoted", 8)]
    assert after(Task.START) == [(11_000, "Unpromoted", 0)]
    assert after(Task.DEMOTE) == [(11_000, "Unpromoted", 0)]
    stopped = [m for m in t.monitors if m.role == "Stopped"]
    assert [(m.interval_ms, m.expected_rc) for m in stopped] == [(12_000, 7)]


def test_promote_expects_success_not_promoted() -> None:
    """Pacemaker records a promote's expected result as 0 (every promote of the corpus)."""
    t = schedule(_cib(PROMOTABLE), NOW)
    promotes = [a for a in t.actions if a.task == Task.PROMOTE and a.operation is not None]
    assert promotes and all(a.operation.expected_rc == 0 for a in promotes if a.operation)


def test_pseudo_actions_and_fencing_run_no_agent() -> None:
    t = schedule(_cib(f'<clone id="db-clone">{DUMMY}</clone>'), NOW)
    assert all(a.operation is None for a in t.actions if a.pseudo or a.resource == "db-clone")


def test_probes_ask_each_node_about_what_it_has_no_history_for() -> None:
    status = """<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
        expected="member"><lrm id="1"><lrm_resources>
      <lrm_resource id="db" class="ocf" provider="pacemaker" type="Dummy">
        <lrm_rsc_op id="db_last_0" operation_key="db_monitor_0" operation="monitor" call-id="1"
          rc-code="7" op-status="0" interval="0" transition-key="1:1:7:x" crm_feature_set="3.7.0"/>
      </lrm_resource></lrm_resources></lrm></node_state>
      <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>"""
    fence = '<primitive id="f" class="stonith" type="fence_dummy"/>'
    t = schedule(_cib(DUMMY + fence, status=status), NOW)
    assert [(p.node_id, p.node) for p in t.probes] == [("2", "node2")]
    (probe,) = t.probes[0].operations
    assert (probe.resource, probe.task, probe.interval_ms, probe.expected_rc, probe.params) == \
        ("db", Task.MONITOR, 0, 7, (("state", "/run/db"),))


def test_no_probe_for_a_node_that_cannot_answer_one() -> None:
    # node2's stack stopped cleanly (offline), node3 lost uncleanly: a resource created since is
    # probed on node1 only (the others are probed when they join again)
    status = """<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
        expected="member"/>
      <node_state id="2" uname="node2" in_ccm="false" crmd="offline" join="down"
        expected="down"/>
      <node_state id="3" uname="node3" in_ccm="false" crmd="offline" join="member"
        expected="member"/>"""
    t = schedule(_cib(DUMMY, status=status, nodes=3), NOW)
    assert [p.node for p in t.probes] == ["node1"]


def test_promotable_clone_operations_carry_notify_and_promoted_max() -> None:
    """As crm_simulate's graph gives them (CRM_meta_notify, CRM_meta_promoted_max and
    _node_max; the executor adds the legacy master_* names)."""
    clone = f"""<clone id="db-clone"><meta_attributes id="c-m">
      <nvpair id="c-m-1" name="promotable" value="true"/>
      <nvpair id="c-m-2" name="notify" value="true"/>
      <nvpair id="c-m-3" name="promoted-max" value="2"/>
      </meta_attributes>{DUMMY}</clone>"""
    t = schedule(_cib(clone), NOW)
    assert dict(_op(t, "db:0", Task.START).meta) == {
        "clone_max": "2", "clone_node_max": "1", "globally_unique": "false", "notify": "true",
        "promoted_max": "2", "promoted_node_max": "1"}
