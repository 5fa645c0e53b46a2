"""A node still joining (pending) cannot be probed: a resource that runs nowhere, and that such
a node has no record of, waits to start, as it might run there already (corpus: probe-4,
stonith-4). A resource running elsewhere, or one the pending node has reported on, is not held."""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000
FENCE = """<lrm_resource id="fence" class="stonith" type="fence_dummy">
    <lrm_rsc_op id="fence_last_0" operation_key="fence_start_0" operation="start"
      transition-key="2:1:0:x" transition-magic="0:0;2:1:0:x" call-id="2" rc-code="0"
      op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
  </lrm_resource>"""
PROBED = """<lrm id="{n}"><lrm_resources>{fence}
  <lrm_resource id="db" class="ocf" provider="pacemaker" type="Dummy">
    <lrm_rsc_op id="db_last_0" operation_key="db_monitor_0" operation="monitor"
      transition-key="1:1:7:x" transition-magic="0:7;1:1:7:x" call-id="1" rc-code="7"
      op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
  </lrm_resource></lrm_resources></lrm>"""


def _cib(*, node2_join: str, node2_knows: bool = False, discovery: str = "") -> Cib:
    history2 = PROBED.format(n="2", fence="") if node2_knows else ""
    location = (f'<rsc_location id="l" rsc="db" node="node2" score="0" '
                f'resource-discovery="{discovery}"/>' if discovery else "")
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
  have-quorum="1">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="fence" class="stonith" type="fence_dummy"/>
      <primitive id="db" class="ocf" provider="pacemaker" type="Dummy"/>
    </resources>
    <constraints>{location}</constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
      expected="member">{PROBED.format(n="1", fence=FENCE)}</node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="{node2_join}"
      expected="member">{history2}</node_state>
  </status>
</cib>"""
    cib, problems = parse_cib(text)
    assert not problems
    return cib


def _summary(cib: Cib) -> list[tuple[str, str, str, bool]]:
    return [(i.verb, i.resource, i.details, i.blocked) for i in schedule(cib, NOW).summary]


def test_a_start_waits_while_a_pending_node_cannot_be_asked() -> None:
    assert _summary(_cib(node2_join="pending")) == [("Start", "db", "node1", True)]


def test_a_member_node_is_no_reason_to_wait() -> None:
    ((verb, _rsc, _node, blocked),) = _summary(_cib(node2_join="member"))
    assert verb == "Start" and not blocked


def test_a_pending_node_that_already_reported_on_it_holds_nothing() -> None:
    assert _summary(_cib(node2_join="pending", node2_knows=True)) == [
        ("Start", "db", "node1", False)]


def test_a_pending_node_where_discovery_is_off_holds_nothing() -> None:
    assert _summary(_cib(node2_join="pending", discovery="never")) == [
        ("Start", "db", "node1", False)]
