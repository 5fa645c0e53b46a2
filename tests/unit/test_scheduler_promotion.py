"""Promotable clones in the scheduler: which instance is promoted, and why.

Each case is a small hand-written CIB (three nodes, an ocf:pacemaker:Stateful promotable clone);
the expected Transition Summary of every case was checked with Pacemaker 2.1.5's crm_simulate
(`crm_simulate -x CASE.xml -S -s`, the CIB written out by `cib_text`), and so were the promotion
scores asserted below.
"""

from __future__ import annotations

from typing import Any

from vigil.cib.read import parse_cib
from vigil.cli.simulate_view import score_lines, summary_lines
from vigil.model.score import INFINITY
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Allocation, Transition

NOW = 1_700_000_000
NODES = ("node1", "node2", "node3")


def _op(rsc: str, op_id: int, operation: str, call: int, rc: int, interval: int = 0,
        expected: int = 0) -> str:
    return (f'<lrm_rsc_op id="{rsc}_{operation}_{interval}_{op_id}" operation_key="{rsc}_'
            f'{operation}_{interval}" operation="{operation}" crm-debug-origin="t" '
            f'crm_feature_set="3.16.2" transition-key="{op_id}:1:{expected}:aaaaaaaa-bbbb-cccc-'
            f'dddd-eeeeeeeeeeee" transition-magic="0:{rc};{op_id}:1:{expected}:aaaaaaaa-bbbb-'
            f'cccc-dddd-eeeeeeeeeeee" exit-reason="" on_node="x" call-id="{call}" '
            f'rc-code="{rc}" op-status="0" interval="{interval}" last-rc-change="1700000000" '
            f'exec-time="1" queue-time="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def _history(node: str, role: str) -> str:
    """The Stateful instance's history on `node`: started (Unpromoted), or promoted."""
    ops = [_op("state", 1, "monitor", 1, 7, expected=7), _op("state", 2, "start", 2, 0)]
    if role in ("Promoted", "FailedPromoted"):
        ops.append(_op("state", 3, "promote", 3, 0))
    if role == "FailedPromoted":  # its Promoted monitor then failed with rc 9
        ops.append(_op("state", 4, "monitor", 4, 9, interval=10000, expected=8))
    return (f'<lrm id="{node}"><lrm_resources><lrm_resource id="state" class="ocf" '
            f'provider="pacemaker" type="Stateful">{"".join(ops)}</lrm_resource>'
            f'</lrm_resources></lrm>')


def cib_text(*, attrs: dict[str, dict[str, str]] | None = None,
             running: dict[str, str] | None = None, constraints: str = "",
             clone_meta: dict[str, str] | None = None, extra_resources: str = "",
             quorum: bool = True, no_quorum_policy: str = "stop",
             promoted_on_fail: str = "restart") -> str:
    """Three nodes and a promotable clone `state-clone` of ocf:pacemaker:Stateful `state`;
    `attrs` are each node's transient attributes, `running` the role `state` has on a node."""
    attrs = attrs or {}
    running = running or {}
    meta = {"promotable": "true", **(clone_meta or {})}
    meta_xml = "".join(f'<nvpair id="cm-{k}" name="{k}" value="{v}"/>' for k, v in meta.items())
    nodes = "".join(f'<node id="{n}" uname="{n}"/>' for n in NODES)
    states = []
    for n in NODES:
        pairs = "".join(f'<nvpair id="{n}-{k}" name="{k}" value="{v}"/>'
                        for k, v in attrs.get(n, {}).items())
        transient = (f'<transient_attributes id="{n}"><instance_attributes id="{n}-ta">{pairs}'
                     f'</instance_attributes></transient_attributes>') if pairs else ""
        history = _history(n, running[n]) if n in running else ""
        states.append(f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" '
                      f'join="member" expected="member">{transient}{history}</node_state>')
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="{'1' if quorum else '0'}" dc-uuid="node1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
      <nvpair id="o2" name="no-quorum-policy" value="{no_quorum_policy}"/>
    </cluster_property_set></crm_config>
    <nodes>{nodes}</nodes>
    <resources>
      <clone id="state-clone">
        <meta_attributes id="cm">{meta_xml}</meta_attributes>
        <primitive id="state" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="state-mon-p" name="monitor" interval="10s" role="Promoted"
                on-fail="{promoted_on_fail}"/>
            <op id="state-mon-u" name="monitor" interval="11s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>{extra_resources}
    </resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>{"".join(states)}</status>
</cib>"""


IP = '\n      <primitive id="ip" class="ocf" provider="heartbeat" type="Dummy"/>'

CASES: dict[str, dict[str, Any]] = {
    # the agent's master-<rsc> attribute decides, by the resource's base name
    "attribute": {"attrs": {"node1": {"master-state": "5"}, "node2": {"master-state": "10"}}},
    # a role=Promoted location rule outweighs the attributes
    "location_role": {
        "attrs": {"node1": {"master-state": "5"}, "node2": {"master-state": "10"}},
        "constraints": ('<rsc_location id="prefer3" rsc="state-clone"><rule id="prefer3-r" '
                        'score="100" role="Promoted"><expression id="prefer3-e" '
                        'attribute="#uname" operation="eq" value="node3"/></rule>'
                        '</rsc_location>')},
    # a primitive colocated with the Promoted role follows the promoted instance
    "with_promoted": {
        "attrs": {"node1": {"master-state": "5"}, "node2": {"master-state": "10"}},
        "extra_resources": IP,
        "constraints": ('<rsc_colocation id="ip-with-promoted" rsc="ip" with-rsc="state-clone" '
                        'with-rsc-role="Promoted" score="INFINITY"/>')},
    # the Promoted role colocated with a primitive is promoted where the primitive runs
    "promoted_with": {
        "extra_resources": IP,
        "constraints": ('<rsc_location id="ip-on-3" rsc="ip" node="node3" score="50"/>'
                        '<rsc_colocation id="promoted-with-ip" rsc="state-clone" '
                        'rsc-role="Promoted" with-rsc="ip" score="INFINITY"/>')},
    # promoted-max 2 promotes the two best instances
    "promoted_max": {
        "attrs": {"node1": {"master-state": "5"}, "node2": {"master-state": "10"},
                  "node3": {"master-state": "7"}},
        "clone_meta": {"promoted-max": "2"}},
    # a promoted instance stays promoted when the scores tie
    "stays_promoted": {
        "running": {"node1": "Unpromoted", "node2": "Unpromoted", "node3": "Promoted"},
        "attrs": {n: {"master-state": "10"} for n in NODES}},
    # a higher score elsewhere moves the promoted role: demote there, promote here
    "moves": {
        "running": {"node1": "Unpromoted", "node2": "Unpromoted", "node3": "Promoted"},
        "attrs": {"node1": {"master-state": "100"}, "node2": {"master-state": "10"},
                  "node3": {"master-state": "10"}}},
    # target-role=Unpromoted keeps every instance unpromoted
    "target_unpromoted": {
        "running": {"node1": "Unpromoted", "node2": "Unpromoted", "node3": "Promoted"},
        "attrs": {n: {"master-state": "10"} for n in NODES},
        "clone_meta": {"target-role": "Unpromoted"}},
    # target-role=Promoted sets no limit and forces nothing: without a promotion score no
    # instance is promoted (corpus: target-1)
    "target_promoted_no_score": {
        "running": {"node1": "Unpromoted"}, "clone_meta": {"target-role": "Promoted"}},
    "target_promoted_scores": {
        "attrs": {"node1": {"master-state": "5"}, "node2": {"master-state": "10"}},
        "clone_meta": {"target-role": "Promoted"}},
    # without quorum, no-quorum-policy=demote demotes the promoted instance
    "no_quorum_demote": {
        "running": {"node1": "Unpromoted", "node2": "Unpromoted", "node3": "Promoted"},
        "attrs": {n: {"master-state": "10"} for n in NODES},
        "quorum": False, "no_quorum_policy": "demote"},
    # a failed Promoted monitor (rc 9): recovered by demote and promote with on-fail=demote,
    # by a full recovery (demote, stop, start, promote) with the default on-fail=restart
    "on_fail_demote": {
        "running": {"node1": "Unpromoted", "node2": "Unpromoted", "node3": "FailedPromoted"},
        "attrs": {n: {"master-state": "10"} for n in NODES}, "promoted_on_fail": "demote"},
    "on_fail_restart": {
        "running": {"node1": "Unpromoted", "node2": "Unpromoted", "node3": "FailedPromoted"},
        "attrs": {n: {"master-state": "10"} for n in NODES}},
}


def _run(name: str) -> Transition:
    cib, _ = parse_cib(cib_text(**CASES[name]))
    return schedule(cib, NOW)


def _summary(t: Transition) -> list[str]:
    return sorted(" ".join(line.split()) for line in summary_lines(t.summary))


def _instances(t: Transition) -> list[Allocation]:
    return [a for a in t.allocations if a.parent == "state-clone"]


def test_the_promotion_attribute_decides() -> None:
    t = _run("attribute")
    assert _summary(t) == [
        "* Promote state:0 ( Stopped -> Promoted node2 )",
        "* Start state:1 ( node1 )",
        "* Start state:2 ( node3 )",
    ]
    promoted = next(a for a in _instances(t) if a.next_role == "Promoted")
    (score,) = promoted.promotion
    assert (score.node, score.score) == ("node2", 10)
    assert [c.kind for c in score.contributions] == ["promotion-attribute"]
    assert sum(c.value for c in score.contributions) == 10


def test_unset_attribute_counts_minus_one() -> None:
    t = _run("attribute")
    on3 = next(a for a in _instances(t) if a.next_node == "node3")
    assert on3.promotion[0].score == -1
    assert on3.next_role == "Unpromoted"


def test_location_with_promoted_role_outweighs_the_attributes() -> None:
    t = _run("location_role")
    assert "* Promote state:2 ( Stopped -> Promoted node3 )" in _summary(t)
    promoted = next(a for a in _instances(t) if a.next_role == "Promoted")
    kinds = {c.kind: c.value for c in promoted.promotion[0].contributions}
    assert kinds["location-role"] == 100
    assert promoted.promotion[0].score == 99


def test_colocation_with_the_promoted_role_follows_it() -> None:
    t = _run("with_promoted")
    assert _summary(t) == [
        "* Promote state:0 ( Stopped -> Promoted node2 )",
        "* Start ip ( node2 )",
        "* Start state:1 ( node1 )",
        "* Start state:2 ( node3 )",
    ]


def test_promoted_role_colocated_with_a_primitive_is_promoted_where_it_runs() -> None:
    t = _run("promoted_with")
    assert _summary(t) == [
        "* Promote state:2 ( Stopped -> Promoted node3 )",
        "* Start ip ( node3 )",
        "* Start state:0 ( node1 )",
        "* Start state:1 ( node2 )",
    ]
    scores = {a.next_node: a.promotion[0].score for a in _instances(t)}
    assert scores == {"node3": INFINITY, "node1": -INFINITY, "node2": -INFINITY}


def test_promoted_max_promotes_the_best_instances() -> None:
    t = _run("promoted_max")
    promoted = sorted(a.next_node or "" for a in _instances(t) if a.next_role == "Promoted")
    assert promoted == ["node2", "node3"]


def test_a_promoted_instance_keeps_its_role_on_a_tie() -> None:
    t = _run("stays_promoted")
    assert _summary(t) == []
    (promoted,) = [a for a in _instances(t) if a.next_role == "Promoted"]
    assert promoted.next_node == "node3" and promoted.current_role == "Promoted"
    assert {a.current_role for a in _instances(t) if a.next_node != "node3"} == {"Unpromoted"}


def test_a_better_score_elsewhere_moves_the_promoted_role() -> None:
    t = _run("moves")
    assert _summary(t) == [
        "* Demote state:2 ( Promoted -> Unpromoted node3 )",
        "* Promote state:0 ( Unpromoted -> Promoted node1 )",
    ]


def test_target_role_unpromoted_promotes_nothing() -> None:
    t = _run("target_unpromoted")
    assert _summary(t) == ["* Demote state:2 ( Promoted -> Unpromoted node3 )"]
    assert all(a.promotion[0].score < 0 for a in _instances(t) if a.promotion)


def test_target_role_promoted_promotes_nothing_without_a_promotion_score() -> None:
    t = _run("target_promoted_no_score")
    assert not [a for a in _instances(t) if a.next_role == "Promoted"]
    assert all(a.promotion[0].score == -1 for a in _instances(t) if a.promotion)


def test_target_role_promoted_promotes_as_the_scores_say() -> None:
    assert _summary(_run("target_promoted_scores")) == _summary(_run("attribute"))


def test_no_quorum_policy_demote_demotes() -> None:
    t = _run("no_quorum_demote")
    assert _summary(t) == ["* Demote state:2 ( Promoted -> Unpromoted node3 )"]


def test_show_scores_prints_promotion_scores_like_crm_simulate() -> None:
    lines = score_lines(_run("attribute"))
    promotion = [line for line in lines if "promotion score" in line]
    assert promotion == [
        "  state:0 promotion score on node2: 10",
        "  state:1 promotion score on node1: 5",
        "  state:2 promotion score on node3: -1",
    ]
    # after the clone's allocation scores
    assert lines.index(promotion[0]) > max(
        i for i, line in enumerate(lines) if "allocation score" in line)


def test_on_fail_demote_re_promotes_in_place() -> None:
    t = _run("on_fail_demote")
    assert _summary(t) == ["* Re-promote state:2 ( Promoted node3 )"]
    here = {(a.task, a.optional) for a in t.actions if a.resource == "state:2"
            and a.task in ("demote", "stop", "promote")}
    assert ("demote", False) in here and ("promote", False) in here
    assert ("stop", False) not in here


def test_failed_promoted_monitor_recovers_by_default() -> None:
    t = _run("on_fail_restart")
    assert _summary(t) == ["* Recover state:2 ( Promoted node3 )"]
