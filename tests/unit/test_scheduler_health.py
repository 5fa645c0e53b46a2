"""Node health in the scheduler: #health-* attributes scored by the node-health-strategy.

Each case is a small hand-written CIB: two nodes, `web` running on node2 (which it prefers by
50), and `watch` (allow-unhealthy-nodes=true, stickiness 100) running on node2 too; node2 carries the case's
#health-* attributes. The expected moves were checked with Pacemaker 2.1.5's crm_simulate; the
test checks vigil against crm_simulate itself too when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import crm_oracle
import pytest

from vigil.cib.read import parse_cib
from vigil.scheduler.engine import schedule
from vigil.scheduler.health import node_health
from vigil.scheduler.options import read_options
from vigil.scheduler.working import Node

NOW = 1_700_000_000


def _op(rsc: str, n: int) -> str:
    key = f"{n}:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    return (f'<lrm_rsc_op id="{rsc}_last_0" operation_key="{rsc}_start_0" operation="start" '
            f'crm-debug-origin="t" crm_feature_set="3.16.2" transition-key="{key}" '
            f'transition-magic="0:0;{key}" on_node="node2" call-id="{n}" rc-code="0" '
            f'op-status="0" interval="0" last-rc-change="1700000000" exec-time="1" '
            f'queue-time="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def cib_text(strategy: str, attrs: dict[str, str], options: str = "") -> str:
    health = "".join(f'<nvpair id="h-{i}" name="{k}" value="{v}"/>'
                     for i, (k, v) in enumerate(attrs.items()))
    lrm = "".join(f'<lrm_resource id="{r}" class="ocf" provider="pacemaker" type="Dummy">'
                  f'{_op(r, n)}</lrm_resource>' for n, r in enumerate(("web", "watch"), 1))
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="node1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
      <nvpair id="o2" name="node-health-strategy" value="{strategy}"/>{options}
    </cluster_property_set></crm_config>
    <nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/></nodes>
    <resources>
      <primitive id="web" class="ocf" provider="pacemaker" type="Dummy"/>
      <primitive id="watch" class="ocf" provider="pacemaker" type="Dummy">
        <meta_attributes id="watch-meta">
          <nvpair id="watch-meta-a" name="allow-unhealthy-nodes" value="true"/>
          <nvpair id="watch-meta-s" name="resource-stickiness" value="100"/>
        </meta_attributes>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="web-prefers-2" rsc="web" node="node2" score="50"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="node1" uname="node1" in_ccm="true" crmd="online" join="member"
                expected="member"/>
    <node_state id="node2" uname="node2" in_ccm="true" crmd="online" join="member"
                expected="member">
      <transient_attributes id="node2"><instance_attributes id="node2-ta">{health}
      </instance_attributes></transient_attributes>
      <lrm id="node2"><lrm_resources>{lrm}</lrm_resources></lrm>
    </node_state>
  </status>
</cib>"""


_PROGRESSIVE = ('<nvpair id="o3" name="node-health-yellow" value="-40"/>'
                '<nvpair id="o4" name="node-health-base" value="-20"/>')
CASES: dict[str, tuple[str, dict[str, str], str, set[str]]] = {
    # no strategy: health attributes mean nothing
    "none-red": ("none", {"#health-disk": "red"}, "", set()),
    # migrate-on-red: red bans the node (watch is spared), yellow does not
    "migrate-on-red-red": ("migrate-on-red", {"#health-disk": "red"}, "", {"Move web"}),
    "migrate-on-red-yellow": ("migrate-on-red", {"#health-disk": "yellow"}, "", set()),
    # only-green: yellow bans too
    "only-green-yellow": ("only-green", {"#health-disk": "yellow", "#health-ipmi": "green"}, "",
                          {"Move web"}),
    # progressive: the base counts on every node: node1 -20, node2 -20 - 40 + 50 = -10, so web
    # may run nowhere
    "progressive-yellow": ("progressive", {"#health-disk": "yellow"}, _PROGRESSIVE, {"Stop web"}),
    # a score of +15 brings node2 to 5 (web stays)
    "progressive-sum": ("progressive", {"#health-disk": "yellow", "#health-x": "15"},
                        _PROGRESSIVE, set()),
    # custom scores colours as progressive does, without the base
    "custom-yellow": ("custom", {"#health-disk": "yellow"}, _PROGRESSIVE, set()),
}


def _moves(text: str) -> set[str]:
    cib, _ = parse_cib(text)
    t = schedule(cib, NOW)
    return {f"{item.verb} {item.resource}" for item in t.summary}


@pytest.mark.parametrize("name", sorted(CASES))
def test_node_health(name: str) -> None:
    strategy, attrs, options, expected = CASES[name]
    assert _moves(cib_text(strategy, attrs, options)) == expected


def test_health_score_sums_the_attributes() -> None:
    cib, _ = parse_cib(cib_text("progressive", {}, _PROGRESSIVE))
    node = Node(id="n", name="n", attrs={"#health-a": "yellow", "#health-b": "7", "other": "red"})
    assert node_health(read_options(cib), node) == -20 - 40 + 7


@crm_oracle.needed
@pytest.mark.parametrize("name", sorted(CASES))
def test_crm_simulate_agrees(name: str, tmp_path: Path) -> None:
    strategy, attrs, options, expected = CASES[name]
    got = {f"{w[0]} {w[1]}" for w in crm_oracle.summary_words(
        cib_text(strategy, attrs, options), tmp_path / f"{name}.xml")}
    assert got == expected
