"""A node in maintenance (node attribute maintenance=true): what runs there is unmanaged, so it
stays even where its scores now prefer another node, and a maintenance node that left the
cluster is not fenced for it (corpus: node-maintenance-1, shutdown-maintenance-node)."""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def _cib(*, maintenance: bool, node2_up: bool = True) -> Cib:
    state2 = ('in_ccm="true" crmd="online" join="member" expected="member"' if node2_up
              else 'in_ccm="false" crmd="offline" join="down" expected="down"')
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
  have-quorum="1">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2"><instance_attributes id="n2">
        <nvpair id="n2-m" name="maintenance" value="{'true' if maintenance else 'false'}"/>
      </instance_attributes></node>
    </nodes>
    <resources>
      <primitive id="fence" class="stonith" type="fence_dummy"/>
      <primitive id="db" class="ocf" provider="pacemaker" type="Dummy"/>
    </resources>
    <constraints><rsc_location id="away" rsc="db" node="node2" score="-1"/></constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="fence" class="stonith" type="fence_dummy">
          <lrm_rsc_op id="fence_last_0" operation_key="fence_start_0" operation="start"
            transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" call-id="2" rc-code="0"
            op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" {state2}>
      <lrm id="2"><lrm_resources>
        <lrm_resource id="db" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="db_last_0" operation_key="db_start_0" operation="start"
            transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" call-id="3" rc-code="0"
            op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>"""
    cib, problems = parse_cib(text)
    assert not problems
    return cib


def _summary(cib: Cib) -> list[tuple[str, str]]:
    return [(i.verb, i.resource) for i in schedule(cib, NOW).summary]


def test_a_resource_on_a_maintenance_node_stays_there_unmanaged() -> None:
    t = schedule(_cib(maintenance=True), NOW)
    assert [(i.verb, i.resource) for i in t.summary] == []
    (db,) = [a for a in t.allocations if a.resource == "db"]
    assert not db.managed


def test_without_maintenance_it_moves_away_from_the_negative_score() -> None:
    assert _summary(_cib(maintenance=False)) == [("Move", "db")]


def test_a_maintenance_node_that_left_is_not_fenced_for_what_ran_there() -> None:
    assert _summary(_cib(maintenance=True, node2_up=False)) == []
    assert ("Fence", "node2") in _summary(_cib(maintenance=False, node2_up=False))
