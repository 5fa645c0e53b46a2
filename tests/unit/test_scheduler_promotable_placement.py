"""Promotable clones: where instances are placed and which are promoted, rule by rule.

Each case is a small hand-written CIB (an ocf:pacemaker:Stateful promotable clone `ms` of `ms-r`,
promotion scores as permanent node attributes `master-ms-r`, as the collective differential's
generator writes them). The expected Transition Summary and scores of every case were obtained
by running Pacemaker 2.1.5's `crm_simulate -x CASE.xml -S -s` on the CIB `cib_text` writes; the
comment above each case says what crm_simulate showed.
"""

from __future__ import annotations

import pytest

from vigil.cib.read import parse_cib
from vigil.cli.simulate_view import score_lines, summary_lines
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Transition

NOW = 1_700_000_000


def _op(rsc: str, operation: str, call: int, rc: int = 0, interval: int = 0) -> str:
    return (f'<lrm_rsc_op id="{rsc}_{operation}_{interval}_{call}" operation_key="{rsc}_'
            f'{operation}_{interval}" operation="{operation}" crm-debug-origin="t" '
            f'crm_feature_set="3.16.1" transition-key="{call}:-1:0:xxxxxxxx-xxxx-xxxx-xxxx-'
            f'xxxxxxxxxxxx" transition-magic="0:{rc};{call}:-1:0:xxxxxxxx-xxxx-xxxx-xxxx-'
            f'xxxxxxxxxxxx" exit-reason="" call-id="{call}" rc-code="{rc}" op-status="0" '
            f'interval="{interval}" last-rc-change="1700000000" exec-time="0" queue-time="0" '
            f'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def _history(rsc: str, role: str, call: int) -> str:
    """`rsc`'s history on a node: active Unpromoted (started) or Promoted (its last operation a
    promote), or Probed (a probe found it not running)."""
    if role == "Probed":
        op = _op(rsc, "monitor", call, rc=7)
    else:
        op = _op(rsc, "promote" if role == "Promoted" else "start", call)
    return (f'<lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="Stateful">'
            f'{op}</lrm_resource>')


def cib_text(*, nodes: int = 3, attrs: dict[str, int] | None = None,
             running: dict[str, list[tuple[str, str]]] | None = None,
             clone_meta: dict[str, str] | None = None, constraints: str = "",
             extra_resources: str = "", stickiness: int = 0,
             standby: tuple[str, ...] = ()) -> str:
    """`nodes` nodes node1..nodeN; `attrs` the master-ms-r value per node; `running` the
    (history id, role) of what is active on each node; `standby` nodes in standby."""
    attrs = attrs or {}
    running = running or {}
    names = [f"node{i}" for i in range(1, nodes + 1)]
    node_xml = []
    for i, n in enumerate(names, start=1):
        pairs = ""
        if n in attrs:
            pairs += f'<nvpair id="{n}-m" name="master-ms-r" value="{attrs[n]}"/>'
        if n in standby:
            pairs += f'<nvpair id="{n}-s" name="standby" value="on"/>'
        if pairs:
            node_xml.append(f'<node id="{i}" uname="{n}"><instance_attributes id="{n}-a">'
                            f'{pairs}</instance_attributes></node>')
        else:
            node_xml.append(f'<node id="{i}" uname="{n}"/>')
    meta = {"promotable": "true", **(clone_meta or {})}
    meta_xml = "".join(f'<nvpair id="ms-{k}" name="{k}" value="{v}"/>' for k, v in meta.items())
    states = []
    call = 0
    for i, n in enumerate(names, start=1):
        hist = []
        for rsc, role in running.get(n, []):
            call += 1
            hist.append(_history(rsc, role, call))
        states.append(f'<node_state id="{i}" uname="{n}" in_ccm="true" crmd="online" '
                      f'join="member" expected="member"><lrm id="{i}"><lrm_resources>'
                      f'{"".join(hist)}</lrm_resources></lrm></node_state>')
    return f"""<cib admin_epoch="0" epoch="1" num_updates="1" validate-with="pacemaker-3.7"
     have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes>{"".join(node_xml)}</nodes>
    <resources>{extra_resources}
      <clone id="ms">
        <meta_attributes id="ms-meta">{meta_xml}</meta_attributes>
        <primitive id="ms-r" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="ms-r-mp" name="monitor" interval="10s" role="Promoted"/>
            <op id="ms-r-mu" name="monitor" interval="11s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints>{constraints}</constraints>
    <rsc_defaults><meta_attributes id="rd">
      <nvpair id="rd-s" name="resource-stickiness" value="{stickiness}"/>
    </meta_attributes></rsc_defaults>
  </configuration>
  <status>{"".join(states)}</status>
</cib>"""


def _run(**kwargs: object) -> Transition:
    cib, _ = parse_cib(cib_text(**kwargs))  # type: ignore[arg-type]
    return schedule(cib, NOW)


def _summary(t: Transition) -> list[str]:
    return sorted(" ".join(line.split()) for line in summary_lines(t.summary))


def _scores(t: Transition, what: str) -> list[str]:
    return [" ".join(line.split()) for line in score_lines(t) if what in line]


# --- an active instance's promotion attribute ---------------------------------------------


def test_an_active_instance_ignores_the_promotion_attribute_of_other_nodes() -> None:
    # crm_simulate: ms-r:0 (Promoted on node1, which has no attribute) scores 0 on node2 despite
    # master-ms-r=1000 there, its promotion score on node1 is -1: "Demote ms-r:0 (Promoted ->
    # Unpromoted node1)", no move
    t = _run(nodes=2, attrs={"node2": 1000}, running={"node1": [("ms-r", "Promoted")]},
             clone_meta={"clone-max": "1", "resource-stickiness": "100"})
    assert _summary(t) == ["* Demote ms-r:0 ( Promoted -> Unpromoted node1 )"]
    assert "primitive: ms-r:0 allocation score on node2: 0" in _scores(t, "allocation")
    assert _scores(t, "promotion score") == ["ms-r:0 promotion score on node1: -1"]


def test_an_inactive_instance_counts_the_attribute_of_every_node() -> None:
    # crm_simulate: with nothing active, ms-r:0 scores 1000 on node2 and is promoted there
    t = _run(nodes=2, attrs={"node2": 1000},
             clone_meta={"clone-max": "1", "resource-stickiness": "100"})
    assert _summary(t) == ["* Promote ms-r:0 ( Stopped -> Promoted node2 )"]
    assert "primitive: ms-r:0 allocation score on node2: 1000" in _scores(t, "allocation")


def test_active_instances_count_only_their_own_nodes_attribute() -> None:
    # crm_simulate: ms-r:0 active on node1 and ms-r:1 on node2 score 0 on node3 (master-ms-r=20
    # there); the inactive ms-r:2 gets node3 and is promoted there
    t = _run(attrs={"node1": 5, "node2": 10, "node3": 20},
             running={"node1": [("ms-r", "Unpromoted")], "node2": [("ms-r", "Unpromoted")]})
    allocation = _scores(t, "allocation")
    assert "primitive: ms-r:0 allocation score on node3: 0" in allocation
    assert "primitive: ms-r:1 allocation score on node3: 0" in allocation
    assert _scores(t, "promotion score") == [
        "ms-r:2 promotion score on node3: 20", "ms-r:1 promotion score on node2: 10",
        "ms-r:0 promotion score on node1: 5"]
    assert _summary(t) == ["* Promote ms-r:2 ( Stopped -> Promoted node3 )"]


def test_a_moved_instance_has_no_promotion_score_on_its_new_node() -> None:
    # crm_simulate: ms-r:0 (Unpromoted on node1) is banned from node1 and moves to node2; the
    # attribute there (10) does not count for it: promotion score -1, it stays Unpromoted
    t = _run(attrs={"node1": 5, "node2": 10, "node3": 20},
             running={"node1": [("ms-r", "Unpromoted")]}, clone_meta={"clone-max": "1"},
             constraints='<rsc_location id="l1" rsc="ms" node="node1" score="-INFINITY"/>')
    assert _summary(t) == ["* Move ms-r:0 ( node1 -> node2 Unpromoted )"]
    assert _scores(t, "promotion score") == ["ms-r:0 promotion score on node2: -1"]


def test_a_probed_node_counts_for_an_instance_with_a_history() -> None:
    # crm_simulate: ms-r:0 active (Unpromoted) on node1 uses node2's attribute once the resource
    # was probed there (10), still not node3's; with stickiness 0 it is promoted on node2:
    # "Move ms-r:0 (Unpromoted node1 -> Promoted node2)"
    t = _run(attrs={"node1": 5, "node2": 10, "node3": 20}, clone_meta={"clone-max": "1"},
             running={"node1": [("ms-r", "Unpromoted")], "node2": [("ms-r", "Probed")]})
    assert _summary(t) == ["* Move ms-r:0 ( Unpromoted node1 -> Promoted node2 )"]
    assert "primitive: ms-r:0 allocation score on node3: 0" in _scores(t, "allocation")
    assert _scores(t, "promotion score") == ["ms-r:0 promotion score on node2: 10",
                                             "ms-r:1 promotion score on none: 0"]


def test_a_probe_gives_an_inactive_instance_a_history_too() -> None:
    # crm_simulate: nothing active, ms-r probed on node1 only; that history is ms-r:0's, which
    # then scores 5 on node1 and 0 on node2/node3; ms-r:1, with no history, scores 5/10/20. So
    # ms-r:1 is promoted on node3 and ms-r:0 starts on node1
    t = _run(attrs={"node1": 5, "node2": 10, "node3": 20}, clone_meta={"clone-max": "2"},
             running={"node1": [("ms-r", "Probed")]})
    assert _summary(t) == ["* Promote ms-r:1 ( Stopped -> Promoted node3 )",
                           "* Start ms-r:0 ( node1 )"]


# --- before placement: which nodes get the attribute, and the order of the instances ------


def test_no_promotion_attribute_where_the_instance_scores_below_zero() -> None:
    # crm_simulate: clone locations of -5 (node2) and -10 (node3) stay -5 and -10 for every
    # instance despite master-ms-r=10 and 20 there (a location of 0 would not stop them), so
    # only node1 can take an instance: promoted there with its 5
    t = _run(attrs={"node1": 5, "node2": 10, "node3": 20},
             constraints='<rsc_location id="l3" rsc="ms" node="node3" score="-10"/>'
                         '<rsc_location id="l2" rsc="ms" node="node2" score="-5"/>')
    assert _summary(t) == ["* Promote ms-r:0 ( Stopped -> Promoted node1 )"]
    assert _scores(t, "promotion score") == [
        "ms-r:0 promotion score on node1: 5", "ms-r:1 promotion score on none: 0",
        "ms-r:2 promotion score on none: 0"]


def test_inactive_instances_are_ordered_by_their_best_promotion_attribute() -> None:
    # crm_simulate: ms-r:0 (probed on node2 only) counts only node2's 10; ms-r:1 and ms-r:2
    # count node1's 50 too and are placed first (ms-r:1 on node1, promoted); ms-r:0 comes last
    t = _run(attrs={"node1": 50, "node2": 10, "node3": 10},
             running={"node2": [("ms-r", "Probed")]})
    assert _summary(t) == ["* Promote ms-r:1 ( Stopped -> Promoted node1 )",
                           "* Start ms-r:0 ( node3 )", "* Start ms-r:2 ( node2 )"]


def test_equal_best_attributes_keep_the_instance_order() -> None:
    # crm_simulate: ms-r:0 (probed on node1 and node2: 50, 10, 0) and ms-r:1 (50, 10, 10) share
    # the best value 50, so the lower instance number goes first: ms-r:0 promoted on node1
    t = _run(attrs={"node1": 50, "node2": 10, "node3": 10},
             running={"node1": [("ms-r", "Probed")], "node2": [("ms-r", "Probed")]})
    assert _summary(t) == ["* Promote ms-r:0 ( Stopped -> Promoted node1 )",
                           "* Start ms-r:1 ( node2 )", "* Start ms-r:2 ( node3 )"]


def test_an_instance_active_on_a_standby_node_is_ordered_as_an_inactive_one() -> None:
    # crm_simulate: ms-r:1 is active on node3, now in standby (node4 banned); it scores 0 on
    # node1 while the inactive ms-r:2 scores 10 there, so ms-r:2 is placed first and takes
    # node1, ms-r:1 stops
    t = _run(nodes=4, attrs={"node1": 10, "node2": 10, "node3": 5}, standby=("node3",),
             running={"node2": [("ms-r", "Unpromoted")], "node3": [("ms-r", "Unpromoted")]},
             constraints='<rsc_location id="l4" rsc="ms" node="node4" score="-INFINITY"/>')
    assert _summary(t) == [
        "* Promote ms-r:0 ( Unpromoted -> Promoted node2 )",
        "* Start ms-r:2 ( node1 )",
        "* Stop ms-r:1 ( Unpromoted node3 ) due to node availability",
    ]


# --- globally unique clones -------------------------------------------------------------------


def _unique_cib(running: dict[str, list[tuple[str, str]]]) -> str:
    # master-ms-r:0=10 on node3 only: the attribute of instance ms-r:0 alone
    return cib_text(attrs={"node3": 10}, running=running,
                    clone_meta={"clone-max": "2", "globally-unique": "true",
                                "clone-node-max": "2"}).replace('name="master-ms-r"',
                                                                'name="master-ms-r:0"')


def test_a_unique_instance_probed_elsewhere_ignores_the_attribute_of_an_unprobed_node() -> None:
    # crm_simulate: ms-r:0 was probed (not running) on node1 only; node3's master-ms-r:0=10
    # then counts neither for its placement (0 on node3) nor for its promotion: both instances
    # just start, in instance order on node1 and node2
    cib, _ = parse_cib(_unique_cib({"node1": [("ms-r:0", "Probed")]}))
    t = schedule(cib, NOW)
    assert _summary(t) == ["* Start ms-r:0 ( node1 )", "* Start ms-r:1 ( node2 )"]
    assert "primitive: ms-r:0 allocation score on node3: 0" in _scores(t, "allocation")


def test_a_unique_instance_without_a_history_counts_its_attribute_everywhere() -> None:
    # crm_simulate: with no history, ms-r:0 scores 10 on node3 and is promoted there
    cib, _ = parse_cib(_unique_cib({}))
    t = schedule(cib, NOW)
    assert _summary(t) == ["* Promote ms-r:0 ( Stopped -> Promoted node3 )",
                           "* Start ms-r:1 ( node1 )"]


# --- a Promoted role's colocation with a plain clone ------------------------------------------

_PLAIN_CLONE = ('<clone id="c"><meta_attributes id="c-meta"><nvpair id="c-cm" name="clone-max" '
                'value="1"/></meta_attributes><primitive id="c-r" class="ocf" '
                'provider="pacemaker" type="Dummy"/></clone>')


def _promoted_with_plain_clone(score: str) -> list[str]:
    constraints = ('<rsc_location id="lc" rsc="c" node="node1" score="100"/>'
                   f'<rsc_colocation id="cc" rsc="ms" rsc-role="Promoted" with-rsc="c" '
                   f'score="{score}"/>')
    return _summary(_run(attrs={"node2": 100, "node3": 20}, extra_resources=_PLAIN_CLONE,
                         constraints=constraints))


def test_a_mandatory_promoted_colocation_with_a_plain_clone_leaves_the_priorities() -> None:
    # crm_simulate: c's one instance runs on node1, yet ms-r:1 on node2 keeps its promotion
    # score 100 and is promoted there (the INFINITY colocation does not set -INFINITY on the
    # instances placed away from c)
    assert _promoted_with_plain_clone("INFINITY") == [
        "* Promote ms-r:1 ( Stopped -> Promoted node2 )", "* Start c-r:0 ( node1 )",
        "* Start ms-r:0 ( node1 )", "* Start ms-r:2 ( node3 )"]


def test_a_finite_promoted_colocation_with_a_plain_clone_does_not_outweigh_the_attribute() -> None:
    # crm_simulate: with a score of 50 the instance on node2 (100) is promoted too
    assert _promoted_with_plain_clone("50") == [
        "* Promote ms-r:0 ( Stopped -> Promoted node2 )", "* Start c-r:0 ( node1 )",
        "* Start ms-r:1 ( node3 )", "* Start ms-r:2 ( node1 )"]


# --- no quorum, no-quorum-policy=demote ----------------------------------------------------


def test_without_quorum_the_demoted_instance_still_takes_the_promoted_slot() -> None:
    # crm_simulate: without quorum (no-quorum-policy=demote) the Promoted ms-r:0 on node1 (100)
    # is demoted; it still uses the one promoted slot, so ms-r:2 on node2 (50) is not
    # promoted: "Start ms-r:2 (node2) due to no quorum (blocked)", not "Promote ... blocked"
    text = cib_text(attrs={"node1": 100, "node2": 50},
                    running={"node1": [("ms-r", "Promoted")], "node2": [("ms-r", "Probed")]})
    text = text.replace('have-quorum="1"', 'have-quorum="0"').replace(
        '<nvpair id="o1" name="stonith-enabled" value="false"/>',
        '<nvpair id="o1" name="stonith-enabled" value="false"/>'
        '<nvpair id="o2" name="no-quorum-policy" value="demote"/>')
    cib, _ = parse_cib(text)
    assert _summary(schedule(cib, NOW)) == [
        "* Demote ms-r:0 ( Promoted -> Unpromoted node1 )",
        "* Start ms-r:1 ( node3 ) due to no quorum (blocked)",
        "* Start ms-r:2 ( node2 ) due to no quorum (blocked)"]


def test_under_quorum_freeze_a_frozen_instance_leaves_the_promoted_one_promoted() -> None:
    # crm_simulate (no-quorum-policy=freeze): ms-r:0, Unpromoted on node1 (100), may not be
    # promoted, and ms-r:1 stays Promoted on node2 (50): only the blocked start of ms-r:2
    text = cib_text(attrs={"node1": 100, "node2": 50},
                    running={"node1": [("ms-r", "Unpromoted")], "node2": [("ms-r", "Promoted")]})
    text = text.replace('have-quorum="1"', 'have-quorum="0"').replace(
        '<nvpair id="o1" name="stonith-enabled" value="false"/>',
        '<nvpair id="o1" name="stonith-enabled" value="false"/>'
        '<nvpair id="o2" name="no-quorum-policy" value="freeze"/>')
    cib, _ = parse_cib(text)
    assert _summary(schedule(cib, NOW)) == [
        "* Start ms-r:2 ( node3 ) due to quorum freeze (blocked)"]


# --- a Promoted role's finite colocation with a group -----------------------------------------

_GROUP = ('<group id="g"><primitive id="g-1" class="ocf" provider="pacemaker" type="Dummy"/>'
          '<primitive id="g-2" class="ocf" provider="pacemaker" type="Dummy"/></group>')


def _promoted_with_group(attrs: dict[str, int]) -> list[str]:
    constraints = ('<rsc_location id="lc" rsc="g" node="node1" score="100"/>'
                   '<rsc_colocation id="cc" rsc="ms" rsc-role="Promoted" with-rsc="g" '
                   'score="50"/>')
    return _summary(_run(attrs=attrs, extra_resources=_GROUP, constraints=constraints))


def test_a_finite_promoted_colocation_with_a_group_keeps_promotion_off_other_nodes() -> None:
    # crm_simulate: g runs on node1; its second member's -INFINITY elsewhere reaches ms's
    # promotion scores on node2 (100) and node3 (20), which become -INFINITY; the instance on
    # node1 has no attribute (-1): nothing is promoted
    assert _promoted_with_group({"node2": 100, "node3": 20}) == [
        "* Start g-1 ( node1 )", "* Start g-2 ( node1 )", "* Start ms-r:0 ( node2 )",
        "* Start ms-r:1 ( node3 )", "* Start ms-r:2 ( node1 )"]


def test_a_finite_promoted_colocation_with_a_group_promotes_beside_the_group() -> None:
    # crm_simulate: with master-ms-r=100 on node1 (the group's node) the instance there is
    # promoted ("ms-r:0 promotion score on node1: 101", node3's 20 becomes -INFINITY)
    assert _promoted_with_group({"node1": 100, "node3": 20}) == [
        "* Promote ms-r:0 ( Stopped -> Promoted node1 )", "* Start g-1 ( node1 )",
        "* Start g-2 ( node1 )", "* Start ms-r:1 ( node3 )", "* Start ms-r:2 ( node2 )"]


def test_an_instance_on_a_node_its_clone_scores_negative_is_placed_last() -> None:
    # crm_simulate: ms-r:0 runs on node1, where ms scores -100; master-ms-r=100 there does not
    # lift its own score (still -100), so it is sorted after the inactive ms-r:1, which takes
    # node2; ms-r:0 moves to node3: Move ms-r:0 ( node1 -> node3 Unpromoted ) /
    # Start ms-r:1 ( node2 )
    t = _run(attrs={"node1": 100}, running={"node1": [("ms-r", "Unpromoted")]},
             clone_meta={"clone-max": "2"},
             constraints='<rsc_location id="l1" rsc="ms" node="node1" score="-100"/>')
    assert _summary(t) == ["* Move ms-r:0 ( node1 -> node3 Unpromoted )",
                           "* Start ms-r:1 ( node2 )"]


_PROMOTABLE_M1 = ('<clone id="m1"><meta_attributes id="m1-m"><nvpair id="m1-p" name="promotable" '
                  'value="true"/><nvpair id="m1-cm" name="clone-max" value="1"/>'
                  '</meta_attributes><primitive id="m1-r" class="ocf" provider="pacemaker" '
                  'type="Stateful"/></clone>')


@pytest.mark.parametrize("primary_role", ["Promoted", None])
def test_a_mandatory_unpromoted_colocation_with_a_promotable_clone_leaves_the_priority(
        primary_role: str | None) -> None:
    # crm_simulate: ms (Unpromoted role) with m1 (Promoted role, or any) at INFINITY; m1 is
    # promoted on node1, and so is ms-r:0 there (master-ms-r=1000): the colocation does not
    # lower the instance's promotion priority
    role = f' with-rsc-role="{primary_role}"' if primary_role else ""
    constraints = ('<rsc_location id="lc" rsc="m1" node="node1" score="100"/>'
                   f'<rsc_colocation id="cc" rsc="ms" rsc-role="Unpromoted" with-rsc="m1"{role} '
                   'score="INFINITY"/>')
    text = cib_text(attrs={"node1": 1000, "node2": 50}, extra_resources=_PROMOTABLE_M1,
                    constraints=constraints)
    text = text.replace('<nvpair id="node1-m" name="master-ms-r" value="1000"/>',
                        '<nvpair id="node1-m" name="master-ms-r" value="1000"/>'
                        '<nvpair id="node1-m1" name="master-m1-r" value="10"/>')
    cib, _ = parse_cib(text)
    assert _summary(schedule(cib, NOW)) == ["* Promote m1-r:0 ( Stopped -> Promoted node1 )",
                                            "* Promote ms-r:0 ( Stopped -> Promoted node1 )"]
