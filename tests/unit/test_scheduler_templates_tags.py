"""Templates and tags in the scheduler: primitives made from a template, and constraints naming
a tag or a template.

Each case is a small hand-written CIB: two empty nodes, templates T (rsc1..rsc3 made from it) and
U (rsc4), plain rsc5, tags A (rsc1, rsc5) and B (rsc4, rsc5), and the constraints of the case.
The expected starts were checked with Pacemaker 2.1.5's crm_simulate; the test checks vigil
against crm_simulate itself too when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import crm_oracle
import pytest

from vigil.cib.read import parse_cib
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def cib_text(constraints: str, *, rsc2_meta: str = "") -> str:
    states = "".join(f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" '
                     f'join="member" expected="member"/>' for n in ("node1", "node2"))
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="node1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/></nodes>
    <resources>
      <template id="T" class="ocf" provider="pacemaker" type="Dummy">
        <meta_attributes id="T-meta">
          <nvpair id="T-meta-role" name="target-role" value="Stopped"/>
        </meta_attributes>
      </template>
      <template id="U" class="ocf" provider="pacemaker" type="Dummy"/>
      <primitive id="rsc1" template="T">
        <meta_attributes id="rsc1-meta">
          <nvpair id="rsc1-meta-role" name="target-role" value="Started"/>
        </meta_attributes>
      </primitive>
      <primitive id="rsc2" template="T">{rsc2_meta}</primitive>
      <primitive id="rsc3" template="T">
        <meta_attributes id="rsc3-meta">
          <nvpair id="rsc3-meta-role" name="target-role" value="Started"/>
        </meta_attributes>
      </primitive>
      <primitive id="rsc4" template="U"/>
      <primitive id="rsc5" class="ocf" provider="pacemaker" type="Dummy"/>
    </resources>
    <constraints>{constraints}</constraints>
    <tags>
      <tag id="A"><obj_ref id="rsc1"/><obj_ref id="rsc5"/></tag>
      <tag id="B"><obj_ref id="rsc4"/><obj_ref id="rsc5"/></tag>
    </tags>
  </configuration>
  <status>{states}<tickets><ticket_state id="tk" granted="false"/></tickets></status>
</cib>"""


def _loc(rsc: str, node: str, score: str = "100", cid: str = "") -> str:
    return (f'<rsc_location id="{cid or f"loc-{rsc}-{node}"}" rsc="{rsc}" node="{node}" '
            f'score="{score}"/>')


CASES: dict[str, tuple[str, set[str]]] = {
    # the template's target-role Stopped holds rsc2 (rsc1 and rsc3 override it)
    "template-meta": ("", {"rsc1 node1", "rsc3 node2", "rsc4 node1", "rsc5 node2"}),
    # a location naming a template applies to every primitive made from it
    "location-template": (_loc("T", "node2"),
                          {"rsc1 node2", "rsc3 node2", "rsc4 node1", "rsc5 node1"}),
    # ... and naming a tag, to every tagged resource
    "location-tag": (_loc("A", "node2"),
                     {"rsc1 node2", "rsc3 node1", "rsc4 node1", "rsc5 node2"}),
    # a tag as the dependent: each tagged resource with rsc4
    "colocation-tag-with-rsc": (
        _loc("rsc4", "node2") + '<rsc_colocation id="c" rsc="A" with-rsc="rsc4" score="INFINITY"/>',
        {"rsc1 node2", "rsc3 node1", "rsc4 node2", "rsc5 node2"}),
    # a template as the primary: rsc5 with each of rsc1, rsc2 and rsc3; rsc2 may not run, so
    # neither may rsc5
    "colocation-rsc-with-template": (
        _loc("rsc1", "node2") + '<rsc_colocation id="c" rsc="rsc5" with-rsc="T" score="INFINITY"/>',
        {"rsc1 node2", "rsc3 node1", "rsc4 node1"}),
    # a tag on both sides: Pacemaker 2.1.5 ignores the colocation
    "colocation-tag-with-tag": (
        _loc("rsc4", "node2") + '<rsc_colocation id="c" rsc="A" with-rsc="U" score="INFINITY"/>',
        {"rsc1 node1", "rsc3 node2", "rsc4 node2", "rsc5 node1"}),
    # a tag inside a resource set stands for its resources, in place
    "colocation-set-with-tag": (
        _loc("rsc4", "node2") + '<rsc_colocation id="c" score="INFINITY">'
        '<resource_set id="c-0"><resource_ref id="rsc4"/><resource_ref id="A"/></resource_set>'
        '</rsc_colocation>',
        {"rsc1 node2", "rsc3 node1", "rsc4 node2", "rsc5 node2"}),
    # a ticket naming a tag: the tagged resources need the (revoked) ticket
    "ticket-tag": ('<rsc_ticket id="t" rsc="B" ticket="tk"/>', {"rsc1 node1", "rsc3 node2"}),
}


def _starts(text: str) -> set[str]:
    cib, _ = parse_cib(text)
    t = schedule(cib, NOW)
    return {f"{item.resource} {item.details}" for item in t.summary if item.verb == "Start"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_templates_and_tags(name: str) -> None:
    constraints, expected = CASES[name]
    assert _starts(cib_text(constraints)) == expected


@crm_oracle.needed
@pytest.mark.parametrize("name", sorted(CASES))
def test_crm_simulate_agrees(name: str, tmp_path: Path) -> None:
    constraints, expected = CASES[name]
    got = {f"{w[1]} {w[2]}" for w in crm_oracle.summary_words(cib_text(constraints),
                                                              tmp_path / f"{name}.xml")
           if w[0] == "Start"}
    assert got == expected
