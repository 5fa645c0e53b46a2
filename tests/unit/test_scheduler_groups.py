"""Groups, and clones whose instances are groups, in the scheduler.

Each case is a small hand-written CIB (ocf:pacemaker:Dummy members, `stonith-enabled=false`);
the expected Transition Summary of every case was checked with Pacemaker 2.1.5's crm_simulate
(`crm_simulate -x CASE.xml -S -s`, the CIB written out by `cib_text`; `python3
tests/unit/test_scheduler_groups.py DIR` writes every case there).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import crm_oracle
import pytest

from vigil.cib.read import parse_cib
from vigil.cli.simulate_view import summary_lines
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Transition

NOW = 1_700_000_000


def _op(rsc: str, call: int, operation: str, rc: int, interval: int = 0,
        expected: int | None = None) -> str:
    """One history entry; its expected result is by default what a healthy agent answers (7
    for a probe, 0 otherwise), so an rc different from that is a failure."""
    if expected is None:
        expected = 7 if operation == "monitor" and interval == 0 else 0
    key = f"{rsc}_{operation}_{interval}"
    # the digests of a Dummy's parameters as Pacemaker computes them, for a one-shot action and
    # for the 10s monitor (so the monitor is not taken for a changed definition)
    digest = "4811cef7f7f94e3a35a70be7916cb2fd" if interval else "f2317cad3d54cec5d7d7aa7d0bf35cf8"
    magic = f"{call}:1:{expected}:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    return (f'<lrm_rsc_op id="{key}_{call}" operation_key="{key}" operation="{operation}" '
            f'crm-debug-origin="t" crm_feature_set="3.16.2" transition-key="{magic}" '
            f'transition-magic="0:{rc};{magic}" exit-reason="" call-id="{call}" rc-code="{rc}" '
            f'op-status="0" interval="{interval}" last-rc-change="1699999000" exec-time="1" '
            f'queue-time="0" op-digest="{digest}"/>')


def started(rsc: str) -> list[str]:
    """The history of a Dummy started (and monitored every 10s) on a node."""
    return [_op(rsc, 1, "start", 0), _op(rsc, 2, "monitor", 0, 10000)]


def probed(rsc: str) -> list[str]:
    """Probed on a node, found not running."""
    return [_op(rsc, 1, "monitor", 7)]


def promoted(rsc: str) -> list[str]:
    """A Stateful started and promoted on a node, its Promoted monitor running."""
    return [_op(rsc, 1, "start", 0), _op(rsc, 2, "promote", 0), _op(rsc, 3, "monitor", 8, 10000, expected=8)]


def failed(rsc: str) -> list[str]:
    """Started, then its 10s monitor failed (rc 1)."""
    return [*started(rsc), _op(rsc, 3, "monitor", 1, 10000)]


def group(gid: str, members: list[str], meta: str = "") -> str:
    prims = "".join(dummy(m) for m in members)
    meta_xml = f'<meta_attributes id="{gid}-meta">{meta}</meta_attributes>' if meta else ""
    return f'<group id="{gid}">{meta_xml}{prims}</group>'


def dummy(rid: str) -> str:
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"><operations>'
            f'<op id="{rid}-mon" name="monitor" interval="10s"/></operations></primitive>')


def sticky(rsc: str, stickiness: int) -> str:
    """A Dummy (or the primitive's XML given) with its own resource-stickiness."""
    xml = rsc if rsc.startswith("<") else dummy(rsc)
    rid = xml.split('id="', 1)[1].split('"', 1)[0]
    return xml.replace(
        "<operations>", f'<meta_attributes id="{rid}-meta"><nvpair id="{rid}-st" '
        f'name="resource-stickiness" value="{stickiness}"/></meta_attributes><operations>', 1)


def stateful(rid: str) -> str:
    """An ocf:pacemaker:Stateful, with a monitor for each role."""
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Stateful">'
            f'<operations><op id="{rid}-mp" name="monitor" interval="10s" role="Promoted"/>'
            f'<op id="{rid}-mu" name="monitor" interval="11s" role="Unpromoted"/></operations>'
            f'</primitive>')


def clone(cid: str, child: str, **meta: str) -> str:
    pairs = "".join(f'<nvpair id="{cid}-{k}" name="{k}" value="{v}"/>' for k, v in meta.items())
    meta_xml = f'<meta_attributes id="{cid}-meta">{pairs}</meta_attributes>' if pairs else ""
    return f'<clone id="{cid}">{meta_xml}{child}</clone>'


@dataclass(frozen=True)
class Case:
    nodes: tuple[str, ...]
    resources: str
    constraints: str = ""
    # node -> history entries of each resource (lrm_resource id -> lrm_rsc_op elements)
    history: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # node -> transient attributes (fail counts, promotion scores)
    attrs: dict[str, dict[str, str]] = field(default_factory=dict)
    # the resources whose agent is ocf:pacemaker:Stateful (the others are Dummy)
    stateful: tuple[str, ...] = ()
    standby: tuple[str, ...] = ()  # nodes in standby
    lost: tuple[str, ...] = ()  # nodes that left the cluster unexpectedly (fencing is on)
    no_quorum_demote: bool = False  # the partition has no quorum, no-quorum-policy=demote


def cib_text(case: Case) -> str:
    nodes = "".join(
        f'<node id="{n}" uname="{n}"><instance_attributes id="{n}-na"><nvpair id="{n}-sb" '
        f'name="standby" value="on"/></instance_attributes></node>' if n in case.standby
        else f'<node id="{n}" uname="{n}"/>' for n in case.nodes)
    states = []
    for n in case.nodes:
        pairs = "".join(f'<nvpair id="{n}-{k}" name="{k}" value="{v}"/>'
                        for k, v in case.attrs.get(n, {}).items())
        transient = (f'<transient_attributes id="{n}"><instance_attributes id="{n}-ta">{pairs}'
                     f'</instance_attributes></transient_attributes>') if pairs else ""
        rscs = "".join(
            f'<lrm_resource id="{r}" class="ocf" provider="pacemaker" '
            f'type="{"Stateful" if r in case.stateful else "Dummy"}">'
            f'{"".join(ops)}</lrm_resource>' for r, ops in case.history.get(n, {}).items())
        membership = ('in_ccm="false" crmd="offline" join="down"' if n in case.lost
                      else 'in_ccm="true" crmd="online" join="member"')
        states.append(f'<node_state id="{n}" uname="{n}" {membership} expected="member">'
                      f'{transient}<lrm id="{n}"><lrm_resources>{rscs}</lrm_resources></lrm>'
                      f'</node_state>')
    fencer = '<primitive id="fencer" class="stonith" type="fence_dummy"/>' if case.lost else ""
    nqp = ('<nvpair id="o2" name="no-quorum-policy" value="demote"/>'
           if case.no_quorum_demote else "")
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="{0 if case.no_quorum_demote else 1}" dc-uuid="{case.nodes[0]}">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="{'true' if case.lost else 'false'}"/>{nqp}
    </cluster_property_set></crm_config>
    <nodes>{nodes}</nodes>
    <resources>{fencer}{case.resources}</resources>
    <constraints>{case.constraints}</constraints>
  </configuration>
  <status>{"".join(states)}</status>
</cib>"""


def _lines(case: Case) -> list[str]:
    cib, _ = parse_cib(cib_text(case))
    t: Transition = schedule(cib, NOW)
    return sorted(" ".join(line.split()) for line in summary_lines(t.summary))


def _summary(case: Case) -> list[str]:
    """The summary lines without their "due to" reasons (compared apart where they matter)."""
    return [line.split(" due to ")[0] for line in _lines(case)]


# A clone of a group that is disabled, ordered (mandatory) before a running group: the clone
# can never be running, so the group stops, its first member "due to unrunnable c running".
DISABLED_CLONE_FIRST = Case(
    nodes=("node1", "node2"),
    resources=(clone("c", group("cg", ["c-1", "c-2"]), **{"target-role": "Stopped"})
               + group("g", ["g-1", "g-2"])),
    constraints='<rsc_order id="c-then-g" first="c" then="g"/>',
    history={"node1": {"g-1": started("g-1"), "g-2": started("g-2")}},
)


def test_a_disabled_clone_of_groups_stops_what_is_ordered_after_it() -> None:
    assert _summary(DISABLED_CLONE_FIRST) == ["* Stop g-1 ( node1 )", "* Stop g-2 ( node1 )"]
    assert "* Stop g-1 ( node1 ) due to unrunnable c running" in _lines(DISABLED_CLONE_FIRST)


# An interleaved clone of groups anti-colocated (-INFINITY) with a clone running everywhere:
# each instance is paired with the one instance of the other clone on its own best node (by
# its scores before placement: node3, then node2), and avoids only that node. Unpaired, the
# anti-colocation would leave no node at all.
INTERLEAVED_ANTI = Case(
    nodes=("node1", "node2", "node3"),
    resources=(clone("a", dummy("a-r"))
               + clone("b", group("bg", ["b-1", "b-2"]), interleave="true",
                       **{"clone-max": "2"})),
    constraints=('<rsc_location id="loc-b-3" rsc="b" node="node3" score="50"/>'
                 '<rsc_location id="loc-b-2" rsc="b" node="node2" score="10"/>'
                 '<rsc_colocation id="b-not-a" rsc="b" with-rsc="a" score="-INFINITY"/>'),
    history={n: {"a-r": started("a-r")} for n in ("node1", "node2", "node3")},
)


def test_an_interleaved_clone_of_groups_avoids_only_its_partner_instance() -> None:
    assert _summary(INTERLEAVED_ANTI) == [
        "* Start b-1:0 ( node2 )", "* Start b-1:1 ( node1 )",
        "* Start b-2:0 ( node2 )", "* Start b-2:1 ( node1 )",
    ]


# The same pairing for a mandatory colocation: the partner is found from the first member's
# own scores (its stickiness keeps it on node2), not the group instance's (all 0, which would
# pair it with the instance on node1 and move it there).
INTERLEAVED_WITH = Case(
    nodes=("node1", "node2", "node3"),
    resources=(clone("a", dummy("a-r"))
               + clone("b", group("bg", ["b-1", "b-2"]), interleave="true")),
    constraints='<rsc_colocation id="b-with-a" rsc="b" with-rsc="a" score="INFINITY"/>',
    history={"node1": {"a-r": started("a-r")}, "node3": {"a-r": started("a-r")},
             "node2": {"a-r": started("a-r"), "b-1": started("b-1"), "b-2": started("b-2")}},
)


def test_an_interleaved_group_instance_pairs_by_its_first_members_scores() -> None:
    assert _summary(INTERLEAVED_WITH) == [
        "* Start b-1:1 ( node1 )", "* Start b-1:2 ( node3 )",
        "* Start b-2:1 ( node1 )", "* Start b-2:2 ( node3 )",
    ]


# Active instances are sorted by what the clone's colocations make of their nodes, negative
# ones included: the instance on node4 (where the promotable clone, anti-colocated with c's
# instances by its promoted role, scores 1000) goes after the one on node6. That one, sent to
# node6 first, lands on node4 (where r is, colocated INFINITY) and is not counted there, so
# both end on node4.
SORTED_BY_ANTI_COLOCATION = Case(
    nodes=("node4", "node6", "node7"),
    resources=(dummy("r") + clone("ms", stateful("ms-r"), promotable="true")
               + clone("c", group("cg", ["c-1"]))),
    constraints=('<rsc_colocation id="c-with-r" rsc="c" with-rsc="r" score="INFINITY"/>'
                 '<rsc_colocation id="c-not-promoted" rsc="c" with-rsc="ms" '
                 'with-rsc-role="Promoted" score="-INFINITY"/>'),
    history={"node4": {"c-1": started("c-1")}, "node6": {"c-1": started("c-1")}},
    attrs={"node4": {"master-ms-r": "1000"}, "node7": {"master-ms-r": "INFINITY"}},
)


def test_active_instances_are_sorted_by_negative_colocations_too() -> None:
    assert _summary(SORTED_BY_ANTI_COLOCATION) == [
        "* Move c-1:1 ( node6 -> node4 )", "* Promote ms-r:0 ( Stopped -> Promoted node7 )",
        "* Start ms-r:1 ( node4 )", "* Start ms-r:2 ( node6 )", "* Start r ( node4 )",
    ]


# A clone of groups with a location of INFINITY on node4. The instance active on node1, sent
# first to its own node, lands on node4 instead; it keeps node4 but is not counted there, so
# the instance already on node4 (its first member failed) stays there too: Pacemaker ends
# with two instances of an anonymous clone on node4. It counts against clone-max, though: with
# clone-max=3 only one more instance starts.
GROUP_LANDS_ELSEWHERE = Case(
    nodes=("node1", "node2", "node3", "node4"),
    resources=clone("c", group("cg", ["c-1", "c-2"]), **{"clone-max": "3"}),
    constraints='<rsc_location id="c-on-4" rsc="c" node="node4" score="INFINITY"/>',
    history={"node1": {"c-1": started("c-1"), "c-2": started("c-2")},
             "node4": {"c-1": failed("c-1")}},
)


def test_a_group_instance_that_lands_elsewhere_is_not_counted_there() -> None:
    assert _summary(GROUP_LANDS_ELSEWHERE) == [
        "* Move c-1:0 ( node1 -> node4 )", "* Move c-2:0 ( node1 -> node4 )",
        "* Recover c-1:1 ( node4 )", "* Start c-1:2 ( node1 )",
        "* Start c-2:1 ( node4 )", "* Start c-2:2 ( node1 )",
    ]


# The same with clone-max=2: the instance that moved counts against it, nothing else starts.
GROUP_LANDS_ELSEWHERE_MAX2 = Case(
    nodes=GROUP_LANDS_ELSEWHERE.nodes,
    resources=clone("c", group("cg", ["c-1", "c-2"]), **{"clone-max": "2"}),
    constraints=GROUP_LANDS_ELSEWHERE.constraints,
    history=GROUP_LANDS_ELSEWHERE.history,
)


def test_a_group_instance_that_lands_elsewhere_counts_against_clone_max() -> None:
    assert _summary(GROUP_LANDS_ELSEWHERE_MAX2) == [
        "* Move c-1:0 ( node1 -> node4 )", "* Move c-2:0 ( node1 -> node4 )",
        "* Recover c-1:1 ( node4 )", "* Start c-2:1 ( node4 )",
    ]


# Two healthy instances, one on node1 and one (partly started) on node4 where the location of
# INFINITY is. Active instances are sorted by what the clone's colocations make of their nodes,
# not by locations: the one on node1 (the lower number) goes first, lands on node4 and is not
# counted there; the other one stays and completes; a third starts on node1.
GROUP_SORTED_BY_COLOCATIONS = Case(
    nodes=GROUP_LANDS_ELSEWHERE.nodes,
    resources=GROUP_LANDS_ELSEWHERE.resources,
    constraints=GROUP_LANDS_ELSEWHERE.constraints,
    history={"node1": {"c-1": started("c-1"), "c-2": started("c-2")},
             "node4": {"c-1": started("c-1")}},
)


def test_active_instances_are_not_sorted_by_their_locations() -> None:
    assert _summary(GROUP_SORTED_BY_COLOCATIONS) == [
        "* Move c-1:0 ( node1 -> node4 )", "* Move c-2:0 ( node1 -> node4 )",
        "* Start c-1:2 ( node1 )", "* Start c-2:1 ( node4 )", "* Start c-2:2 ( node1 )",
    ]


# A clone of primitives in the same place is sent back and placed again: one instance a node.
PRIMITIVES_LAND_ELSEWHERE = Case(
    nodes=GROUP_LANDS_ELSEWHERE.nodes,
    resources=clone("c", dummy("c-r"), **{"clone-max": "3"}),
    constraints=GROUP_LANDS_ELSEWHERE.constraints,
    history={"node1": {"c-r": started("c-r")}},
)


def test_a_primitive_instance_that_lands_elsewhere_is_placed_again() -> None:
    assert _summary(PRIMITIVES_LAND_ELSEWHERE) == [
        "* Move c-r:0 ( node1 -> node4 )", "* Start c-r:1 ( node1 )", "* Start c-r:2 ( node2 )",
    ]


# A location of -10 for the clone on node3: no instance may be placed there at all, however
# sticky its members are (50 on the first one); the one active there stops, its place goes to
# a new instance on node2.
NEGATIVE_CLONE_SCORE = Case(
    nodes=("node1", "node2", "node3"),
    resources=clone("c", '<group id="cg">' + sticky("c-1", 50) + dummy("c-2") + "</group>"),
    constraints='<rsc_location id="c-not-3" rsc="c" node="node3" score="-10"/>',
    history={"node1": {"c-1": started("c-1"), "c-2": started("c-2")},
             "node3": {"c-1": started("c-1"), "c-2": started("c-2")}},
)


def test_no_instance_is_placed_where_the_clone_scores_below_zero() -> None:
    assert _summary(NEGATIVE_CLONE_SCORE) == [
        "* Start c-1:2 ( node2 )", "* Start c-2:2 ( node2 )",
        "* Stop c-1:1 ( node3 )", "* Stop c-2:1 ( node3 )",
    ]


# The same with clone-max=2 (the instance moves), and with a clone of a primitive.
NEGATIVE_CLONE_SCORE_MAX2 = Case(
    nodes=NEGATIVE_CLONE_SCORE.nodes,
    resources=clone("c", '<group id="cg">' + sticky("c-1", 50) + dummy("c-2") + "</group>",
                    **{"clone-max": "2"}),
    constraints=NEGATIVE_CLONE_SCORE.constraints,
    history=NEGATIVE_CLONE_SCORE.history,
)
NEGATIVE_CLONE_SCORE_PRIMITIVE = Case(
    nodes=NEGATIVE_CLONE_SCORE.nodes,
    resources=clone("c", sticky("c-r", 50)),
    constraints=NEGATIVE_CLONE_SCORE.constraints,
    history={"node1": {"c-r": started("c-r")}, "node3": {"c-r": started("c-r")}},
)


def test_an_instance_leaves_where_the_clone_scores_below_zero() -> None:
    assert _summary(NEGATIVE_CLONE_SCORE_MAX2) == [
        "* Move c-1:1 ( node3 -> node2 )", "* Move c-2:1 ( node3 -> node2 )"]
    assert _summary(NEGATIVE_CLONE_SCORE_PRIMITIVE) == ["* Move c-r:1 ( node3 -> node2 )"]


# A promotable clone of groups: an instance's promotion score is the sum of the master-<member>
# values its members have on its node (master-<group> counts for nothing), -1 when none has one.
def _promotable_group(attrs: dict[str, str]) -> Case:
    return Case(nodes=("node1", "node2"),
                resources=clone("ms", '<group id="msg">' + stateful("m-1") + stateful("m-2")
                                + "</group>", promotable="true"),
                attrs={"node1": {f"master-{k}": v for k, v in attrs.items()}})


PROMOTION_SUM = _promotable_group({"m-1": "5", "m-2": "-2"})
PROMOTION_ONE_SET = _promotable_group({"m-2": "3"})
PROMOTION_NEGATIVE_SUM = _promotable_group({"m-1": "4", "m-2": "-5"})
PROMOTION_GROUP_NAME = _promotable_group({"msg": "3"})
PROMOTION_INFINITIES = _promotable_group({"m-1": "INFINITY", "m-2": "-INFINITY"})


def test_a_group_instance_is_promoted_by_the_sum_of_its_members_scores() -> None:
    promoted = ["* Promote m-1:0 ( Stopped -> Promoted node1 )",
                "* Promote m-2:0 ( Stopped -> Promoted node1 )",
                "* Start m-1:1 ( node2 )", "* Start m-2:1 ( node2 )"]
    unpromoted = ["* Start m-1:0 ( node1 )", "* Start m-1:1 ( node2 )",
                  "* Start m-2:0 ( node1 )", "* Start m-2:1 ( node2 )"]
    assert _summary(PROMOTION_SUM) == promoted
    assert _summary(PROMOTION_ONE_SET) == promoted
    assert _summary(PROMOTION_INFINITIES) == promoted  # INFINITY and -INFINITY sum to 0
    assert _summary(PROMOTION_NEGATIVE_SUM) == unpromoted
    assert _summary(PROMOTION_GROUP_NAME) == unpromoted


# An instance that runs nowhere but was probed on node1 (the instance that history names, :0)
# does not take node2's master-m-1. The other one, never probed, does, but only its group
# prefers node2 for it; its member, which chooses, ties and takes node1. So :0 lands on node2,
# where its score is unset: nothing is promoted.
PROBED_ELSEWHERE = Case(
    nodes=("node1", "node2"),
    resources=clone("ms", '<group id="msg">' + stateful("m-1") + "</group>", promotable="true"),
    history={"node1": {"m-1": probed("m-1")}},
    attrs={"node2": {"master-m-1": "5"}},
    stateful=("m-1",),
)


def test_an_instance_probed_elsewhere_ignores_this_nodes_promotion_score() -> None:
    assert _summary(PROBED_ELSEWHERE) == ["* Start m-1:0 ( node2 )", "* Start m-1:1 ( node1 )"]


# The same rule for a clone of a primitive, with a promoted instance that must leave node1 (in
# standby): on node2 it is promoted by node2's master-m-1 only when node2 has a history of
# the resource (here a probe, which binds to another instance).
def _leaving(history_on_node2: bool) -> Case:
    history = {"node1": {"m-1": promoted("m-1")}}
    if history_on_node2:
        history["node2"] = {"m-1": probed("m-1")}
    return Case(nodes=("node1", "node2", "node3"),
                resources=clone("ms", stateful("m-1"), promotable="true", **{"clone-max": "1"}),
                standby=("node1",), stateful=("m-1",), history=history,
                attrs={"node2": {"master-m-1": "5"}})


LEAVING_UNKNOWN_THERE = _leaving(False)
LEAVING_KNOWN_THERE = _leaving(True)


def test_a_moving_instance_is_promoted_only_where_the_resource_is_known() -> None:
    assert _summary(LEAVING_UNKNOWN_THERE) == ["* Move m-1:0 ( Promoted node1 -> Unpromoted node2 )"]
    assert _summary(LEAVING_KNOWN_THERE) == ["* Move m-1:0 ( node1 -> node2 Promoted )"]


# An instance active on node1, where the clone now scores -10 (its own score there, with its
# stickiness of 100, is still 90): it is sorted as if inactive, among the inactive instances by
# its best score. Without a history on node2 it does not take node2's promotion score, so the
# other instance (100 there) goes first and the active one has nowhere to go; with a probe on
# node2 both score 100 there and the active one, the lower number, moves and is promoted.
def _disallowed_by_clone(probe_on_node2: bool) -> Case:
    history = {"node1": {"m-1": [_op("m-1", 1, "start", 0)]}}
    if probe_on_node2:
        history["node2"] = {"m-1": probed("m-1")}
    return Case(nodes=("node1", "node2"),
                resources=clone("ms", sticky(stateful("m-1"), 100), promotable="true"),
                constraints='<rsc_location id="ms-not-1" rsc="ms" node="node1" score="-10"/>',
                stateful=("m-1",), history=history, attrs={"node2": {"master-m-1": "100"}})


DISALLOWED_BY_CLONE = _disallowed_by_clone(False)
DISALLOWED_BY_CLONE_PROBED = _disallowed_by_clone(True)


def test_an_instance_the_clone_no_longer_allows_is_sorted_as_inactive() -> None:
    assert _summary(DISALLOWED_BY_CLONE) == [
        "* Promote m-1:1 ( Stopped -> Promoted node2 )", "* Stop m-1:0 ( Unpromoted node1 )"]
    assert _summary(DISALLOWED_BY_CLONE_PROBED) == [
        "* Move m-1:0 ( Unpromoted node1 -> Promoted node2 )"]


# An instance active on a node in standby is sorted as an inactive one: of a promotable clone,
# the instance that scores 1000 on node6 (the attribute, which the active instance, with no
# history there, does not take) goes first; the active one stops.
ON_STANDBY_NODE = Case(
    nodes=("node1", "node6"),
    resources=clone("ms", stateful("m-1"), promotable="true"),
    standby=("node1",), stateful=("m-1",),
    history={"node1": {"m-1": promoted("m-1")}},
    attrs={"node6": {"master-m-1": "1000"}},
)
# Of a clone that is not promotable the two compare equal: the active one, the lower number,
# stays first and moves.
ON_STANDBY_NODE_PLAIN = Case(
    nodes=("node1", "node6"),
    resources=clone("c", dummy("c-r")),
    standby=("node1",),
    history={"node1": {"c-r": started("c-r")}},
)


def test_an_instance_on_an_unavailable_node_is_sorted_as_inactive() -> None:
    assert _summary(ON_STANDBY_NODE) == [
        "* Promote m-1:1 ( Stopped -> Promoted node6 )", "* Stop m-1:0 ( Promoted node1 )"]
    assert _summary(ON_STANDBY_NODE_PLAIN) == ["* Move c-r:0 ( node1 -> node6 )"]


# The same on a node that left the cluster (to be fenced): the instance there is not held back
# by that node, it is the lower number and moves.
ON_LOST_NODE = Case(
    nodes=("node4", "node6"),
    resources=clone("c", dummy("c-r")),
    lost=("node6",),
    history={"node6": {"c-r": started("c-r")}},
)


def test_an_instance_on_a_lost_node_is_sorted_as_inactive() -> None:
    assert _summary(ON_LOST_NODE) == [
        "* Fence (reboot) node6 'peer is no longer part of the cluster'",
        "* Move c-r:0 ( node6 -> node4 )", "* Start fencer ( node4 )"]


# Two active instances of a promotable clone of groups (only the second member runs, on node2
# and on node4) and a location of INFINITY for the clone on node2. The one whose promotion
# score is higher where it runs (a positive one: unset and negative compare alike) is sorted
# first; sent to its own node it lands on node2, uncounted, and the other one joins it there.
# With the higher score on node2 instead, the instance there goes first and stays, the other
# one stays on node4.
def _promotion_bonus(on_node2: str | None, on_node4: str) -> Case:
    attrs = {"node4": {"master-m-2": on_node4}}
    if on_node2 is not None:
        attrs["node2"] = {"master-m-2": on_node2}
    return Case(nodes=("node2", "node4"),
                resources=clone("ms", '<group id="msg">' + stateful("m-1") + stateful("m-2")
                                + "</group>", promotable="true"),
                constraints='<rsc_location id="ms-on-2" rsc="ms" node="node2" score="INFINITY"/>',
                stateful=("m-1", "m-2"),
                history={"node2": {"m-2": [_op("m-2", 1, "start", 0)]},
                         "node4": {"m-2": [_op("m-2", 1, "start", 0)]}},
                attrs=attrs)


PROMOTION_BONUS_ELSEWHERE = _promotion_bonus(None, "5")
PROMOTION_BONUS_HERE = _promotion_bonus("10", "5")
PROMOTION_BONUS_NEGATIVE = _promotion_bonus("-INFINITY", "0")


def test_active_promotable_instances_are_sorted_by_their_promotion_bonus() -> None:
    both_on_2 = ["* Move m-2:1 ( node4 -> node2 Unpromoted )", "* Restart m-2:0 ( Unpromoted node2 )",
                 "* Start m-1:0 ( node2 )", "* Start m-1:1 ( node2 )"]
    assert _summary(PROMOTION_BONUS_ELSEWHERE) == sorted(both_on_2)
    assert _summary(PROMOTION_BONUS_HERE) == [
        "* Promote m-1:0 ( Stopped -> Promoted node2 )",
        "* Restart m-2:0 ( Unpromoted -> Promoted node2 )",
        "* Restart m-2:1 ( Unpromoted node4 )", "* Start m-1:1 ( node4 )"]
    # -INFINITY on node2 and 0 on node4 compare alike: each stays, the one on node4 (its
    # score set, 0) is promoted
    assert _summary(PROMOTION_BONUS_NEGATIVE) == [
        "* Promote m-1:1 ( Stopped -> Promoted node4 )", "* Restart m-2:0 ( Unpromoted node2 )",
        "* Restart m-2:1 ( Unpromoted -> Promoted node4 )", "* Start m-1:0 ( node2 )"]


# One instance on a node in standby, one on a node that left the cluster: the one in standby
# goes first and takes the only node left.
STANDBY_BEFORE_LOST = Case(
    nodes=("node2", "node3", "node6"),
    resources=clone("c", dummy("c-r")),
    lost=("node2",), standby=("node6",),
    history={"node2": {"c-r": started("c-r")}, "node6": {"c-r": started("c-r")}},
)


def test_an_instance_in_standby_goes_before_one_on_a_lost_node() -> None:
    assert _summary(STANDBY_BEFORE_LOST) == [
        "* Fence (reboot) node2 'peer is no longer part of the cluster'",
        "* Move c-r:1 ( node6 -> node3 )", "* Start fencer ( node3 )", "* Stop c-r:0 ( node2 )"]


# A promotable clone of a primitive: instances are sorted by their promotion bonus before an
# active one goes before an inactive one. The failed instance on node2, which has no history
# on node1 and so no bonus from node1's master-m-3, comes after the two inactive instances
# that have one: the first takes node1 (promoted), the second node2, the failed one stops.
def _failed_and_bonus(grouped: bool) -> Case:
    prim = stateful("m-3")
    child = '<group id="msg">' + stateful("m-1") + stateful("m-2") + prim + "</group>" \
        if grouped else prim
    return Case(nodes=("node1", "node2"),
                resources=clone("ms", child, promotable="true", **{"clone-max": "3"}),
                stateful=("m-3",),
                history={"node2": {"m-3": [_op("m-3", 1, "start", 0),
                                           _op("m-3", 2, "monitor", 1, 11000)]}},
                attrs={"node1": {"master-m-3": "100"}})


FAILED_AND_BONUS = _failed_and_bonus(False)
# A promotable clone of groups compares the bonus so only between two active instances: the
# failed (active) instance goes first and is recovered where it is.
FAILED_AND_BONUS_GROUP = _failed_and_bonus(True)


def test_promotion_bonus_orders_primitive_instances_before_activity() -> None:
    assert _summary(FAILED_AND_BONUS) == [
        "* Promote m-3:1 ( Stopped -> Promoted node1 )", "* Start m-3:2 ( node2 )",
        "* Stop m-3:0 ( Unpromoted node2 )"]
    assert _summary(FAILED_AND_BONUS_GROUP) == [
        "* Promote m-1:1 ( Stopped -> Promoted node1 )",
        "* Promote m-2:1 ( Stopped -> Promoted node1 )",
        "* Promote m-3:1 ( Stopped -> Promoted node1 )",
        "* Recover m-3:0 ( Unpromoted node2 )",
        "* Start m-1:0 ( node2 )", "* Start m-2:0 ( node2 )"]


# An instance whose member has no history at all takes a node's promotion score even where
# another instance of that member runs: both instances score 5 on node4, and the lower number,
# sent to node2 where it runs, stays; the other one stays on node4 and is promoted.
MEMBER_WITHOUT_HISTORY = Case(
    nodes=("node2", "node4"),
    resources=clone("ms", '<group id="msg">' + stateful("m-1") + stateful("m-2")
                    + stateful("m-3") + "</group>", promotable="true"),
    constraints='<rsc_location id="ms-on-2" rsc="ms" node="node2" score="INFINITY"/>',
    stateful=("m-1", "m-2", "m-3"),
    history={"node2": {"m-2": [_op("m-2", 1, "start", 0)]},
             "node4": {"m-3": [_op("m-3", 1, "start", 0)]}},
    attrs={"node4": {"master-m-3": "5"}},
)


def test_a_member_without_history_takes_the_promotion_score_of_any_node() -> None:
    assert _summary(MEMBER_WITHOUT_HISTORY) == [
        "* Promote m-1:1 ( Stopped -> Promoted node4 )",
        "* Promote m-2:1 ( Stopped -> Promoted node4 )",
        "* Restart m-2:0 ( Unpromoted node2 )",
        "* Restart m-3:1 ( Unpromoted -> Promoted node4 )",
        "* Start m-1:0 ( node2 )", "* Start m-3:0 ( node2 )"]


# The promotion bonus of a node where the clone may not run does not count: node2 is banned
# (-INFINITY) and node3 scores -10, so their master-m values sort nothing; the instance that
# was probed on the other node stays the lower number.
def _bonus_where_not_allowed(score: str) -> Case:
    return Case(nodes=("node1", "node2"),
                resources=clone("ms", stateful("m"), promotable="true"),
                constraints=f'<rsc_location id="ms-not-2" rsc="ms" node="node2" score="{score}"/>',
                stateful=("m",), history={"node1": {"m": probed("m")}},
                attrs={"node2": {"master-m": "1000"}})


BONUS_WHERE_BANNED = _bonus_where_not_allowed("-INFINITY")
BONUS_WHERE_NEGATIVE = _bonus_where_not_allowed("-10")


def test_no_promotion_bonus_where_the_clone_may_not_run() -> None:
    assert _summary(BONUS_WHERE_BANNED) == ["* Start m:0 ( node1 )"]
    assert _summary(BONUS_WHERE_NEGATIVE) == ["* Start m:0 ( node1 )"]


# Which nodes' promotion scores an instance with a history takes: its own nodes', and those
# of nodes where a probe found the resource not running (whichever instance the probe went
# to), not those where another instance runs. Node1 was probed (the probe binds :0, which then
# runs on node3, promoted); :1 runs on node4 (demoted). :1 takes node1's 1 but not node3's
# 10; :2 (no history) takes node5's INFINITY; with no stickiness :1 moves to node1.
PROBED_OR_RUNNING = Case(
    nodes=("node1", "node3", "node4", "node5"),
    resources=clone("ms", stateful("m"), promotable="true",
                    **{"clone-max": "3", "resource-stickiness": "0"}),
    stateful=("m",),
    history={"node1": {"m": probed("m")}, "node3": {"m": promoted("m")},
             "node4": {"m": [_op("m", 1, "start", 0)]}},
    attrs={"node1": {"master-m": "1"}, "node3": {"master-m": "10"},
           "node5": {"master-m": "INFINITY"}},
)


def test_promotion_scores_count_where_probed_not_where_another_instance_runs() -> None:
    assert _summary(PROBED_OR_RUNNING) == [
        "* Demote m:0 ( Promoted -> Unpromoted node3 )",
        "* Move m:1 ( node4 -> node1 Unpromoted )",
        "* Promote m:2 ( Stopped -> Promoted node5 )"]


# A promotable clone of groups whose promoted instance's member failed (its Promoted monitor
# returned rc 9) on node1, where the clone prefers to be (200): that instance is still sent to
# its own node first and recovered there; the other instance stays on node5.
FAILED_MEMBER_STAYS = Case(
    nodes=("node1", "node5"),
    resources=clone("ms", '<group id="msg">' + stateful("m") + "</group>", promotable="true"),
    constraints='<rsc_location id="ms-on-1" rsc="ms" node="node1" score="200"/>',
    stateful=("m",),
    history={"node1": {"m": [_op("m", 1, "start", 0), _op("m", 2, "promote", 0),
                             _op("m", 3, "monitor", 9, 10000, expected=8)]},
             "node5": {"m": [_op("m", 1, "start", 0)]}},
    attrs={"node1": {"master-m": "5"}},
)


def test_a_group_instance_with_a_failed_member_is_sent_to_its_node_first() -> None:
    assert _summary(FAILED_MEMBER_STAYS) == ["* Recover m:0 ( Promoted node1 )"]


# Promotion bonuses are plain sums when instances are sorted: on node2 the instance running
# there has two members at INFINITY, the one promoted on node1 only one (its other member has
# no history there), so the former goes first; sent to node2 it lands on node1 (its first
# member prefers node1, 200, the group's INFINITY is the group's own) and is not counted
# there, so both end on node1 and neither is promoted (no score on node1).
TWO_INFINITIES = Case(
    nodes=("node1", "node2"),
    resources=clone("ms", '<group id="msg">' + stateful("m-1") + stateful("m-2") + "</group>",
                    promotable="true"),
    constraints='<rsc_location id="ms-on-1" rsc="ms" node="node1" score="200"/>',
    stateful=("m-1", "m-2"),
    history={"node1": {"m-2": [_op("m-2", 1, "start", 0), _op("m-2", 2, "promote", 0)]},
             "node2": {"m-2": [_op("m-2", 1, "start", 0)]}},
    attrs={"node2": {"master-m-1": "INFINITY", "master-m-2": "INFINITY"}},
)


def test_promotion_bonuses_are_plain_sums_when_instances_are_sorted() -> None:
    assert _summary(TWO_INFINITIES) == [
        "* Move m-2:1 ( node2 -> node1 Unpromoted )",
        "* Restart m-2:0 ( Promoted -> Unpromoted node1 )",
        "* Start m-1:0 ( node1 )", "* Start m-1:1 ( node1 )"]


# Two inactive instances of a promotable clone of groups: :0 (its first member probed on
# node5) does not take node1's master-m-1 (1) but takes master-m-2 (INFINITY), :1 takes both;
# the plain sums (INFINITY+1 against INFINITY) put :1 first, so :1 is promoted on node1.
INACTIVE_GROUPS_BY_BONUS = Case(
    nodes=("node1", "node5"),
    resources=clone("ms", '<group id="msg">' + stateful("m-1") + stateful("m-2") + "</group>",
                    promotable="true"),
    stateful=("m-1",),
    history={"node5": {"m-1": probed("m-1")}},
    attrs={"node1": {"master-m-1": "1", "master-m-2": "INFINITY"}},
)


def test_inactive_group_instances_are_sorted_by_their_promotion_bonus() -> None:
    assert _summary(INACTIVE_GROUPS_BY_BONUS) == [
        "* Promote m-1:1 ( Stopped -> Promoted node1 )",
        "* Promote m-2:1 ( Stopped -> Promoted node1 )",
        "* Start m-1:0 ( node5 )", "* Start m-2:0 ( node5 )"]


# Without quorum and no-quorum-policy=demote, a promotable clone that is stopped is not
# started, but the instance that would be promoted is still chosen: its promotion is shown
# blocked with its start.
NO_QUORUM_DEMOTE_STOPPED = Case(
    nodes=("node1", "node2"),
    resources=clone("ms", stateful("m"), promotable="true"),
    no_quorum_demote=True,
    attrs={"node1": {"master-m": "5"}},
)


def test_without_quorum_a_stopped_promotable_clone_is_not_started() -> None:
    lines = _lines(NO_QUORUM_DEMOTE_STOPPED)
    assert [line.split(" )")[0] + " )" for line in lines] == [
        "* Promote m:0 ( Stopped -> Promoted node1 )", "* Start m:1 ( node2 )"]
    assert all("blocked" in line for line in lines)


CASES = {name: value for name, value in globals().items() if isinstance(value, Case)}


@crm_oracle.needed
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_case_agrees_with_crm_simulate(name: str, tmp_path: Path) -> None:
    """Each case as crm_simulate answers it today (when installed): the oracle of the
    expectations written out above."""
    expected = crm_oracle.summary_lines(cib_text(CASES[name]), tmp_path / f"{name}.xml")
    assert _summary(CASES[name]) == expected

if __name__ == "__main__":  # write every case out, for crm_simulate
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, value in CASES.items():
        (out / f"{name}.xml").write_text(cib_text(value))
