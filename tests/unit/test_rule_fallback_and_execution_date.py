"""Two details crm_simulate shows: a typed rule comparison whose values are no numbers compares
them as strings, and a CIB's execution-date is "now" when no time is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigil.commands.simulate import simulate
from vigil.model.rules import AttrExpression
from vigil.scheduler.rules_eval import RuleContext, evaluate_expression


@pytest.mark.parametrize(("kind", "node_value", "value", "expected"), [
    ("integer", "as2", "as10", True),  # "as2" > "as10" as strings
    ("integer", "as10", "as2", False),
    ("number", "as2.0", "as10.0", True),
    ("integer", "12", "9", True),  # numbers still compare as numbers
])
def test_typed_comparison_falls_back_to_strings(kind: str, node_value: str, value: str,
                                                expected: bool) -> None:
    expr = AttrExpression(id="e", attribute="v", operation="gt", value=value, type=kind)
    ctx = RuleContext(now=0, node_attrs={"v": node_value})
    assert evaluate_expression(expr, ctx) is expected


CIB = """<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="node1" crm_feature_set="3.16.2" execution-date="1568992252">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/></nodes>
    <resources><primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/></resources>
    <constraints>
      <rsc_location id="l" rsc="r">
        <rule id="l-r" score="INFINITY" boolean-op="and">
          <expression id="l-e" attribute="#uname" operation="eq" value="node2"/>
          <date_expression id="l-d" operation="gt" start="2019-09-20 15:15:52 +00:00"/>
        </rule>
      </rsc_location>
    </constraints>
  </configuration>
  <status>
    <node_state id="node1" uname="node1" in_ccm="true" crmd="online" join="member"
                expected="member"/>
    <node_state id="node2" uname="node2" in_ccm="true" crmd="online" join="member"
                expected="member"/>
  </status>
</cib>"""


def _start(tmp_path: Path, now: int | None) -> str:
    path = tmp_path / "cib.xml"
    path.write_text(CIB)
    sim = simulate(str(path), now)
    return next(i.details for i in sim.transition.summary if i.verb == "Start")


def test_execution_date_is_now_when_no_time_is_given(tmp_path: Path) -> None:
    assert _start(tmp_path, None) == "node1"  # 15:10:52: the rule is not in effect yet
    assert _start(tmp_path, 1568992252 + 3600) == "node2"
