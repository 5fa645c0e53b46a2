"""Which anonymous clone instance (which number) goes where.

Each case is a small CIB: N nodes and a clone `ms1` (promotable unless said otherwise) of
ocf:pacemaker:Stateful `ms1-r`, with `master-ms1-r` node attributes and histories of `ms1-r`
(probe rc 7, start). The expected Transition Summary (and, where asserted, the instance
scores) of every case is crm_simulate's (Pacemaker 2.1.5, `crm_simulate -x CASE.xml -S -s` on
the CIB `cib_text` writes); the comment on each case quotes the lines it was checked against.
"""

from __future__ import annotations

import pytest

from vigil.cib.read import parse_cib
from vigil.cli.simulate_view import summary_lines
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Transition

NOW = 1_700_000_000

_OPS = {"rc7": ("monitor", 7), "start": ("start", 0), "rc8": ("monitor", 8)}


def _failed_monitor(call: int) -> str:
    """ms1-r's 11s monitor, which found it stopped (a failure: it is to be recovered)."""
    return (_op("monitor", 7, call).replace('operation_key="ms1-r_monitor_0"',
                                            'operation_key="ms1-r_monitor_11000"')
            .replace('interval="0"', 'interval="11000"')
            .replace(f'id="ms1-r_last_{call}"', 'id="ms1-r_last_failure_0"')
            .replace(f"{call}:-1:7:", f"{call}:-1:0:"))


def _op(task: str, rc: int, call: int) -> str:
    return (f'<lrm_rsc_op id="ms1-r_last_{call}" operation_key="ms1-r_{task}_0" '
            f'operation="{task}" crm-debug-origin="t" crm_feature_set="3.16.1" '
            f'transition-key="{call}:-1:{rc}:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" '
            f'transition-magic="0:{rc};{call}:-1:{rc}:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" '
            f'exit-reason="" call-id="{call}" rc-code="{rc}" op-status="0" interval="0" '
            f'last-rc-change="1700000000" exec-time="0" queue-time="0" '
            f'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def cib_text(nodes: int, clone_max: int, *, attrs: dict[str, int] | None = None,
             history: dict[str, str] | None = None, constraints: str = "",
             promotable: bool = True, standby: str | None = None,
             lost: str | None = None) -> str:
    """`attrs`: master-ms1-r per node; `history`: the one operation of ms1-r on a node
    ("rc7": a probe that found it stopped, "rc8": one that found it Promoted, "start":
    started, "failed": started, then its monitor found it stopped); `standby`: a node in
    standby; `lost`: a node that left the cluster unexpectedly (fencing is then enabled,
    with a fence device)."""
    attrs = attrs or {}
    history = history or {}
    node_xml = []
    states = []
    for k in range(1, nodes + 1):
        n = f"node{k}"
        pairs = (f'<nvpair id="{n}-m" name="master-ms1-r" value="{attrs[n]}"/>'
                 if n in attrs else "")
        if n == standby:
            pairs += f'<nvpair id="{n}-s" name="standby" value="on"/>'
        ia = f'<instance_attributes id="{n}-a">{pairs}</instance_attributes>' if pairs else ""
        node_xml.append(f'<node id="{k}" uname="{n}">{ia}</node>')
        lrm = ""
        if n in history:
            task, rc = _OPS["start" if history[n] == "failed" else history[n]]
            ops = _op(task, rc, 10 * k)
            if history[n] == "failed":
                ops += _failed_monitor(10 * k + 1)
            lrm = (f'<lrm id="{k}"><lrm_resources><lrm_resource id="ms1-r" type="Stateful" '
                   f'class="ocf" provider="pacemaker">{ops}</lrm_resource>'
                   f'</lrm_resources></lrm>')
        up = 'in_ccm="false" crmd="offline" join="down"' if n == lost else \
            'in_ccm="true" crmd="online" join="member"'
        states.append(f'<node_state id="{k}" uname="{n}" {up} expected="member">{lrm}'
                      f'</node_state>')
    fencing = "true" if lost else "false"
    fencer = ('<primitive id="fencer" class="stonith" type="fence_dummy"/>' if lost else "")
    return f"""<cib admin_epoch="0" epoch="1" num_updates="1" validate-with="pacemaker-3.7"
     have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="{fencing}"/>
    </cluster_property_set></crm_config>
    <nodes>{"".join(node_xml)}</nodes>
    <resources>{fencer}
      <clone id="ms1">
        <meta_attributes id="ms1-meta">
          <nvpair id="ms1-p" name="promotable" value="{'true' if promotable else 'false'}"/>
          <nvpair id="ms1-cm" name="clone-max" value="{clone_max}"/>
        </meta_attributes>
        <primitive id="ms1-r" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="ms1-r-mp" name="monitor" interval="10s" role="Promoted"/>
            <op id="ms1-r-mu" name="monitor" interval="11s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>{"".join(states)}</status>
</cib>"""


def _run(text: str) -> Transition:
    cib, _ = parse_cib(text)
    return schedule(cib, NOW)


def _summary(t: Transition) -> list[str]:
    return sorted(" ".join(line.split()) for line in summary_lines(t.summary))


def _scores(t: Transition, rsc: str) -> dict[str, int]:
    """An instance's final allocation scores (after the other instances took their nodes)."""
    alloc = next(a for a in t.allocations if a.resource == rsc)
    return {s.node: s.score for s in alloc.scores}


def _loc(node: str, score: str, lid: str = "l1") -> str:
    return f'<rsc_location id="{lid}" rsc="ms1" node="{node}" score="{score}"/>'


# --- the promotion attribute of an anonymous instance --------------------------------------


def test_a_probe_binds_the_instance_which_then_ignores_other_nodes_attributes() -> None:
    # node1's probe (rc 7) binds ms1-r:0 to node1; node2's master-ms1-r=5 then scores :1 only.
    # crm_simulate: "ms1-r:0 allocation score on node2: 0", "ms1-r:1 ... on node2: 5",
    #   Start ms1-r:0 ( node1 ) / Promote ms1-r:1 ( Stopped -> Promoted node2 )
    t = _run(cib_text(2, 2, attrs={"node2": 5}, history={"node1": "rc7"}))
    assert _summary(t) == [
        "* Promote ms1-r:1 ( Stopped -> Promoted node2 )",
        "* Start ms1-r:0 ( node1 )",
    ]


def test_without_the_probe_the_first_instance_is_promoted() -> None:
    # the same without any history. crm_simulate:
    #   Promote ms1-r:0 ( Stopped -> Promoted node2 ) / Start ms1-r:1 ( node1 )
    t = _run(cib_text(2, 2, attrs={"node2": 5}))
    assert _summary(t) == [
        "* Promote ms1-r:0 ( Stopped -> Promoted node2 )",
        "* Start ms1-r:1 ( node1 )",
    ]


def test_probes_on_every_node_bind_one_instance_known_everywhere() -> None:
    # probes rc 7 on node1 and node2 both bind ms1-r:0 (neither is active), so :0 is known
    # on node2 and takes its attribute. crm_simulate: "ms1-r:0 allocation score on node2: 5",
    #   Promote ms1-r:0 ( Stopped -> Promoted node2 ) / Start ms1-r:1 ( node1 )
    t = _run(cib_text(2, 2, attrs={"node2": 5}, history={"node1": "rc7", "node2": "rc7"}))
    assert _summary(t) == [
        "* Promote ms1-r:0 ( Stopped -> Promoted node2 )",
        "* Start ms1-r:1 ( node1 )",
    ]


def test_a_running_instance_ignores_an_attribute_where_no_instance_is_known() -> None:
    # ms1-r:0 runs on node1; nothing is known on node2. crm_simulate:
    #   "ms1-r:0 allocation score on node2: 0", "ms1-r:1 allocation score on node2: 100",
    #   Promote ms1-r:1 ( Stopped -> Promoted node2 )
    t = _run(cib_text(2, 2, attrs={"node2": 100}, history={"node1": "start"}))
    assert _summary(t) == ["* Promote ms1-r:1 ( Stopped -> Promoted node2 )"]


def test_an_attribute_where_some_instance_is_known_counts_for_every_instance() -> None:
    # ms1-r:0 runs on node1, node2's probe binds ms1-r:1 there: :0 takes node2's attribute
    # too and moves there. crm_simulate: "ms1-r:0 allocation score on node2: 100",
    #   Move ms1-r:0 ( Unpromoted node1 -> Promoted node2 ) / Start ms1-r:1 ( node1 )
    t = _run(cib_text(2, 2, attrs={"node2": 100}, history={"node1": "start", "node2": "rc7"}))
    assert _summary(t) == [
        "* Move ms1-r:0 ( Unpromoted node1 -> Promoted node2 )",
        "* Start ms1-r:1 ( node1 )",
    ]


def test_known_nowhere_versus_known_elsewhere_on_three_nodes() -> None:
    # ms1-r:0 runs on node1, node2's probe binds :1; node3 is known to no instance, so its
    # attribute counts for no instance that is known somewhere. crm_simulate:
    #   "ms1-r:0 allocation score on node3: 0", "ms1-r:1 allocation score on node3: 0",
    #   Move ms1-r:0 ( Unpromoted node1 -> Promoted node2 ) / Start ms1-r:1 ( node1 )
    t = _run(cib_text(3, 2, attrs={"node2": 50, "node3": 100},
                      history={"node1": "start", "node2": "rc7"}))
    assert _summary(t) == [
        "* Move ms1-r:0 ( Unpromoted node1 -> Promoted node2 )",
        "* Start ms1-r:1 ( node1 )",
    ]


def test_an_instance_known_nowhere_takes_an_attribute_where_another_is_active() -> None:
    # ms1-r:0 runs on node1 (master-ms1-r=100); :1, known nowhere, takes node1's attribute
    # too. crm_simulate: "ms1-r:1 allocation score on node1: 100",
    #   Promote ms1-r:0 ( Unpromoted -> Promoted node1 ) / Start ms1-r:1 ( node2 )
    t = _run(cib_text(2, 2, attrs={"node1": 100}, history={"node1": "start"}))
    assert _summary(t) == [
        "* Promote ms1-r:0 ( Unpromoted -> Promoted node1 )",
        "* Start ms1-r:1 ( node2 )",
    ]
    assert _scores(t, "ms1-r:0")["node1"] > 100


def test_a_known_instance_takes_no_attribute_where_another_is_active() -> None:
    # ms1-r:0 runs on node1, node2's probe binds ms1-r:1; :1 takes neither node1's attribute
    # (:0 is active there) nor node3's (no instance is known there); :2, known nowhere, takes
    # both. crm_simulate: "ms1-r:1 allocation score on node3: 0",
    #   "ms1-r:2 allocation score on node1: 100", "ms1-r:2 allocation score on node3: 7",
    #   Promote ms1-r:0 ( Unpromoted -> Promoted node1 ) / Start ms1-r:1 ( node2 ) /
    #   Start ms1-r:2 ( node3 )
    t = _run(cib_text(3, 3, attrs={"node1": 100, "node3": 7},
                      history={"node1": "start", "node2": "rc7"}))
    assert _summary(t) == [
        "* Promote ms1-r:0 ( Unpromoted -> Promoted node1 )",
        "* Start ms1-r:1 ( node2 )",
        "* Start ms1-r:2 ( node3 )",
    ]


# --- the order inactive instances are placed in ---------------------------------------------


def test_an_instance_with_a_promotion_score_is_placed_first() -> None:
    # ms1-r:0 is known on node3 (probe) and so has no promotion score; location INFINITY on
    # node1 makes every instance's best score INFINITY, yet :1 (master-ms1-r=1000 on node1)
    # is placed first and takes node1. crm_simulate:
    #   Start ms1-r:0 ( node3 ) / Promote ms1-r:1 ( Stopped -> Promoted node1 ) /
    #   Start ms1-r:2 ( node2 )
    t = _run(cib_text(3, 3, attrs={"node1": 1000}, history={"node3": "rc7"},
                      constraints=_loc("node1", "INFINITY")))
    assert _summary(t) == [
        "* Promote ms1-r:1 ( Stopped -> Promoted node1 )",
        "* Start ms1-r:0 ( node3 )",
        "* Start ms1-r:2 ( node2 )",
    ]


def test_the_order_compares_promotion_scores_not_allocation_scores() -> None:
    # ms1-r:0 (known on node3) scores 100 on node1, ms1-r:1 110 (location 100 + attribute
    # 10); both have a best promotion score of 50 (node3), so :0 keeps its place and takes
    # node1. crm_simulate: "ms1-r:1 allocation score on node1: 110",
    #   Start ms1-r:0 ( node1 ) / Promote ms1-r:1 ( Stopped -> Promoted node3 ) /
    #   Start ms1-r:2 ( node2 )
    t = _run(cib_text(3, 3, attrs={"node1": 10, "node3": 50}, history={"node3": "rc7"},
                      constraints=_loc("node1", "100")))
    assert _summary(t) == [
        "* Promote ms1-r:1 ( Stopped -> Promoted node3 )",
        "* Start ms1-r:0 ( node1 )",
        "* Start ms1-r:2 ( node2 )",
    ]


def test_the_order_counts_the_attribute_where_another_instance_is_active() -> None:
    # ms1-r:0 runs on node1; ms1-r:1 is known on node2 (5 there); ms1-r:2, known nowhere, has
    # node1's 1000 (where :0 runs) as its best promotion score, so it is placed before :1 and
    # takes node2. crm_simulate: Promote ms1-r:0 ( Unpromoted -> Promoted node1 ) /
    #   Start ms1-r:1 ( node3 ) / Start ms1-r:2 ( node2 )
    t = _run(cib_text(3, 3, attrs={"node1": 1000, "node2": 5, "node3": 3},
                      history={"node1": "start", "node2": "rc7"}))
    assert _summary(t) == [
        "* Promote ms1-r:0 ( Unpromoted -> Promoted node1 )",
        "* Start ms1-r:1 ( node3 )",
        "* Start ms1-r:2 ( node2 )",
    ]


def test_a_promotion_score_on_a_banned_node_does_not_count() -> None:
    # node2 is banned for the clone; its master-ms1-r=1000 neither scores nor orders ms1-r:1
    # before :0 (known on node1). crm_simulate: Start ms1-r:0 ( node1 )
    t = _run(cib_text(2, 2, attrs={"node2": 1000}, history={"node1": "rc7"},
                      constraints=_loc("node2", "-INFINITY")))
    assert _summary(t) == ["* Start ms1-r:0 ( node1 )"]


def test_the_active_instance_with_the_best_promotion_score_is_placed_first() -> None:
    # three Unpromoted instances on node1-3, master-ms1-r 5 on node2 and 7 on node3, and
    # location INFINITY on free node4: ms1-r:2 (7 where it runs) is placed first and moves to
    # node4, :1 is promoted on node2. crm_simulate:
    #   Promote ms1-r:1 ( Unpromoted -> Promoted node2 ) /
    #   Move ms1-r:2 ( node3 -> node4 Unpromoted )
    t = _run(cib_text(4, 3, attrs={"node2": 5, "node3": 7},
                      history={"node1": "start", "node2": "start", "node3": "start"},
                      constraints=_loc("node4", "INFINITY")))
    assert _summary(t) == [
        "* Move ms1-r:2 ( node3 -> node4 Unpromoted )",
        "* Promote ms1-r:1 ( Unpromoted -> Promoted node2 )",
    ]


def test_active_instances_are_not_ordered_by_the_clones_score_where_they_run() -> None:
    # the same clone not promotable, without attributes, and location 50 on node2: ms1-r:0
    # (node1, scored 0) still goes first and moves to node4. crm_simulate:
    #   Move ms1-r:0 ( node1 -> node4 )
    t = _run(cib_text(4, 3, history={"node1": "start", "node2": "start", "node3": "start"},
                      constraints=_loc("node4", "INFINITY") + _loc("node2", "50", "l2"),
                      promotable=False))
    assert _summary(t) == ["* Move ms1-r:0 ( node1 -> node4 )"]


def test_a_failed_instance_is_placed_after_the_others() -> None:
    # ms1-r:0 failed on node1 (location 10), :1 runs on node2 and :2 on node3: the failed
    # instance is placed last, :1 takes node1 and :0 is recovered on node2. crm_simulate:
    #   Recover ms1-r:0 ( node1 -> node2 ) / Move ms1-r:1 ( node2 -> node1 )
    t = _run(cib_text(3, 3, history={"node1": "failed", "node2": "start", "node3": "start"},
                      constraints=_loc("node1", "10"), promotable=False))
    assert _summary(t) == ["* Move ms1-r:1 ( node2 -> node1 )",
                           "* Recover ms1-r:0 ( node1 -> node2 )"]


def test_a_failed_instance_with_a_promotion_score_where_it_runs_goes_first() -> None:
    # the same, promotable, with master-ms1-r=1000 on node1: the failed ms1-r:0 now goes
    # before :1, is recovered in place and promoted. crm_simulate:
    #   Recover ms1-r:0 ( Unpromoted -> Promoted node1 )
    t = _run(cib_text(3, 3, attrs={"node1": 1000},
                      history={"node1": "failed", "node2": "start", "node3": "start"},
                      constraints=_loc("node1", "10")))
    assert _summary(t) == ["* Recover ms1-r:0 ( Unpromoted -> Promoted node1 )"]


def test_an_inactive_instance_with_a_promotion_score_goes_before_an_active_one() -> None:
    # ms1-r:0 runs on node1; node2 (location 50, master-ms1-r=100 for instances known
    # nowhere) would draw it away, but ms1-r:1 (best score 100) is placed first, takes node2
    # and is promoted; :0 stays. crm_simulate:
    #   Promote ms1-r:1 ( Stopped -> Promoted node2 )
    t = _run(cib_text(2, 2, attrs={"node2": 100}, history={"node1": "start"},
                      constraints=_loc("node2", "50")))
    assert _summary(t) == ["* Promote ms1-r:1 ( Stopped -> Promoted node2 )"]


def test_an_instance_on_a_standby_node_yields_to_instances_with_a_promotion_score() -> None:
    # ms1-r:0 is Promoted on node2, in standby; master-ms1-r=1000 on node3 (for the instances
    # known nowhere). Two nodes are left for three instances: :1 and :2 (best score 1000) go
    # before :0, which is stopped. crm_simulate:
    #   Stop ms1-r:0 ( Promoted node2 ) due to node availability /
    #   Promote ms1-r:1 ( Stopped -> Promoted node3 ) / Start ms1-r:2 ( node1 )
    t = _run(cib_text(3, 3, attrs={"node3": 1000}, history={"node2": "rc8"},
                      standby="node2"))
    assert _summary(t) == [
        "* Promote ms1-r:1 ( Stopped -> Promoted node3 )",
        "* Start ms1-r:2 ( node1 )",
        "* Stop ms1-r:0 ( Promoted node2 ) due to node availability",
    ]


def test_an_instance_on_a_standby_node_still_goes_first_on_equal_scores() -> None:
    # the same without attributes: ms1-r:0 goes first and moves to node1 (its score ties with
    # the others'). crm_simulate: Move ms1-r:0 ( Promoted node2 -> Unpromoted node1 ) /
    #   Start ms1-r:1 ( node3 )
    t = _run(cib_text(3, 3, history={"node2": "rc8"}, standby="node2"))
    assert _summary(t) == [
        "* Move ms1-r:0 ( Promoted node2 -> Unpromoted node1 )",
        "* Start ms1-r:1 ( node3 )",
    ]


def test_an_instance_on_a_lost_node_is_still_placed_before_the_inactive_ones() -> None:
    # ms1-r:0 runs on node2, which is lost (and fenced): its instance is still ordered before
    # the inactive ones, and moves (to node3: node1 takes the fence device). crm_simulate:
    #   Fence (reboot) node2 'peer is no longer part of the cluster' /
    #   Start fencer ( node1 ) / Move ms1-r:0 ( node2 -> node3 ) / Start ms1-r:1 ( node4 ) /
    #   Start ms1-r:2 ( node1 )
    t = _run(cib_text(4, 3, history={"node2": "start"}, lost="node2", promotable=False))
    assert _summary(t) == [
        "* Fence (reboot) node2 'peer is no longer part of the cluster'",
        "* Move ms1-r:0 ( node2 -> node3 )",
        "* Start fencer ( node1 )",
        "* Start ms1-r:1 ( node4 )",
        "* Start ms1-r:2 ( node1 )",
    ]


def test_a_unique_instance_on_a_lost_node_is_placed_before_lower_inactive_ones() -> None:
    # a globally unique clone: ms1-r:2 runs on node2, which is lost (and fenced); it is placed
    # before the inactive ms1-r:0 and ms1-r:1, so it takes node3 (node1 has the fence device),
    # the others node4 and node1. crm_simulate:
    #   Fence (reboot) node2 'peer is no longer part of the cluster' / Start fencer ( node1 ) /
    #   Start ms1-r:0 ( node4 ) / Start ms1-r:1 ( node1 ) / Move ms1-r:2 ( node2 -> node3 )
    text = cib_text(4, 3, history={"node2": "start"}, lost="node2", promotable=False)
    text = (text.replace('lrm_resource id="ms1-r"', 'lrm_resource id="ms1-r:2"')
            .replace('operation_key="ms1-r_', 'operation_key="ms1-r:2_')
            .replace('<nvpair id="ms1-cm"', '<nvpair id="ms1-gu" name="globally-unique" '
                     'value="true"/><nvpair id="ms1-cm"'))
    assert _summary(_run(text)) == [
        "* Fence (reboot) node2 'peer is no longer part of the cluster'",
        "* Move ms1-r:2 ( node2 -> node3 )",
        "* Start fencer ( node1 )",
        "* Start ms1-r:0 ( node4 )",
        "* Start ms1-r:1 ( node1 )",
    ]


# --- where the clone itself scores negative -------------------------------------------------


def test_no_instance_runs_where_the_clone_scores_negative() -> None:
    # location -100 on node2 (master-ms1-r=1000 there): no instance runs on node2, the third
    # stays stopped. crm_simulate: "ms1-r:1 allocation score on node2: -100" then
    #   "-INFINITY" for every instance there; Start ms1-r:0 ( node1 ) / Start ms1-r:1 ( node3 )
    t = _run(cib_text(3, 3, attrs={"node2": 1000}, history={"node3": "rc7"},
                      constraints=_loc("node1", "50") + _loc("node2", "-100", "l2")))
    assert _summary(t) == [
        "* Start ms1-r:0 ( node1 )",
        "* Start ms1-r:1 ( node3 )",
    ]
    assert all(_scores(t, f"ms1-r:{i}")["node2"] < 0 for i in range(3))


# --- a promotable clone of a group ----------------------------------------------------------


def _group_op(rsc: str, task: str, rc: int, call: int) -> str:
    return _op(task, rc, call).replace("ms1-r_", f"{rsc}_")


def group_cib_text(attrs: dict[str, dict[str, str]], history: dict[str, dict[str, str]]
                   ) -> str:
    """Three nodes and a promotable clone `ms1` (clone-max 3) of group `g` (Stateful `m1`,
    `m2`); `attrs` per node (name -> value), `history` per node (member -> "rc7"/"start")."""
    node_xml = []
    states = []
    for k in range(1, 4):
        n = f"node{k}"
        pairs = "".join(f'<nvpair id="{n}-{a}" name="{a}" value="{v}"/>'
                        for a, v in attrs.get(n, {}).items())
        node_xml.append(f'<node id="{k}" uname="{n}"><instance_attributes id="{n}-a">{pairs}'
                        f'</instance_attributes></node>' if pairs else
                        f'<node id="{k}" uname="{n}"/>')
        rscs = "".join(
            f'<lrm_resource id="{m}" type="Stateful" class="ocf" provider="pacemaker">'
            f'{_group_op(m, *_OPS[h], 10 * k + j)}</lrm_resource>'
            for j, (m, h) in enumerate(sorted(history.get(n, {}).items())))
        lrm = f'<lrm id="{k}"><lrm_resources>{rscs}</lrm_resources></lrm>' if rscs else ""
        states.append(f'<node_state id="{k}" uname="{n}" in_ccm="true" crmd="online" '
                      f'join="member" expected="member">{lrm}</node_state>')
    members = "".join(
        f'<primitive id="{m}" class="ocf" provider="pacemaker" type="Stateful"><operations>'
        f'<op id="{m}-mp" name="monitor" interval="10s" role="Promoted"/>'
        f'<op id="{m}-mu" name="monitor" interval="11s" role="Unpromoted"/>'
        f'</operations></primitive>' for m in ("m1", "m2"))
    return f"""<cib admin_epoch="0" epoch="1" num_updates="1" validate-with="pacemaker-3.7"
     have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes>{"".join(node_xml)}</nodes>
    <resources>
      <clone id="ms1">
        <meta_attributes id="ms1-meta">
          <nvpair id="ms1-p" name="promotable" value="true"/>
          <nvpair id="ms1-cm" name="clone-max" value="3"/>
        </meta_attributes>
        <group id="g">{members}</group>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status>{"".join(states)}</status>
</cib>"""


def test_group_instances_are_ordered_by_the_plain_sum_of_their_members_scores() -> None:
    # g:0 runs on node1; node3's probe of m1 binds g:1 there. On node1 (where g:0 runs)
    # master-m2=INFINITY counts for m2:1 and m2:2 (known nowhere), master-m1=1 only for m1:2
    # (m1:1 is known elsewhere): 1 + INFINITY puts g:2 before g:1, and g:2 takes node2 (the
    # members' own scores tie everywhere). crm_simulate:
    #   "g:1 allocation score on node1: INFINITY", "g:2 allocation score on node1: INFINITY",
    #   Promote m1:0, m2:0 ( Unpromoted -> Promoted node1 ) / Start m1:2, m2:2 ( node2 ) /
    #   Start m1:1, m2:1 ( node3 )
    t = _run(group_cib_text(
        attrs={"node1": {"master-m1": "1", "master-m2": "INFINITY"}},
        history={"node1": {"m1": "start", "m2": "start"}, "node3": {"m1": "rc7"}}))
    assert _summary(t) == [
        "* Promote m1:0 ( Unpromoted -> Promoted node1 )",
        "* Promote m2:0 ( Unpromoted -> Promoted node1 )",
        "* Start m1:1 ( node3 )",
        "* Start m1:2 ( node2 )",
        "* Start m2:1 ( node3 )",
        "* Start m2:2 ( node2 )",
    ]


def test_group_instances_with_equal_scores_keep_their_order() -> None:
    # the same without master-m1=1: both best scores are INFINITY, g:1 goes first and takes
    # node2. crm_simulate: Start m1:1, m2:1 ( node2 ) / Start m1:2, m2:2 ( node3 )
    t = _run(group_cib_text(
        attrs={"node1": {"master-m2": "INFINITY"}},
        history={"node1": {"m1": "start", "m2": "start"}, "node3": {"m1": "rc7"}}))
    assert _summary(t) == [
        "* Promote m1:0 ( Unpromoted -> Promoted node1 )",
        "* Promote m2:0 ( Unpromoted -> Promoted node1 )",
        "* Start m1:1 ( node2 )",
        "* Start m1:2 ( node3 )",
        "* Start m2:1 ( node2 )",
        "* Start m2:2 ( node3 )",
    ]


# --- a clone's colocations on each instance -------------------------------------------------


def _dummy_op(rsc: str, node: int) -> str:
    return (f'<lrm_resource id="{rsc}" type="Dummy" class="ocf" provider="pacemaker">'
            + _op("start", 0, node).replace("ms1-r_", f"{rsc}_") + '</lrm_resource>')


def colocated_clone(constraints: str, r1_on: int = 1, r2_on: int = 3, nodes: int = 3,
                    clone_on: tuple[int, ...] = (), promoted_on: int = 0) -> str:
    """Primitives r1, r2 (running on nodes r1_on, r2_on) and a clone c of Dummy c-r (running
    on `clone_on`), with `constraints`; with `promoted_on`, also a promotable clone ms of
    Stateful ms-r, Promoted on that node (master-ms-r=100 there)."""
    node_xml = "".join(
        f'<node id="{k}" uname="node{k}"><instance_attributes id="n{k}a"><nvpair id="n{k}m" '
        f'name="master-ms-r" value="100"/></instance_attributes></node>' if k == promoted_on
        else f'<node id="{k}" uname="node{k}"/>' for k in range(1, nodes + 1))
    ms = ('<clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-m1" name="promotable" '
          'value="true"/></meta_attributes><primitive id="ms-r" class="ocf" '
          'provider="pacemaker" type="Stateful"/></clone>') if promoted_on else ""
    states = []
    for k in range(1, nodes + 1):
        ops = ""
        if k == r1_on:
            ops += _dummy_op("r1", k)
        if k == r2_on:
            ops += _dummy_op("r2", k)
        if k in clone_on:
            ops += _dummy_op("c-r", k)
        if k == promoted_on:
            ops += ('<lrm_resource id="ms-r" type="Stateful" class="ocf" provider="pacemaker">'
                    + _op("start", 0, 90).replace("ms1-r_", "ms-r_")
                    .replace('id="ms-r_last_90"', 'id="ms-r_start_90"')
                    + _op("promote", 0, 91).replace("ms1-r_", "ms-r_")
                    + '</lrm_resource>')
        lrm = f'<lrm id="{k}"><lrm_resources>{ops}</lrm_resources></lrm>' if ops else ""
        states.append(f'<node_state id="{k}" uname="node{k}" in_ccm="true" crmd="online" '
                      f'join="member" expected="member">{lrm}</node_state>')
    return f"""<cib admin_epoch="0" epoch="1" num_updates="1" validate-with="pacemaker-3.7"
     have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes>{node_xml}</nodes>
    <resources>
      <primitive id="r1" class="ocf" provider="pacemaker" type="Dummy"/>
      <primitive id="r2" class="ocf" provider="pacemaker" type="Dummy"/>
      <clone id="c"><meta_attributes id="c-m"><nvpair id="c-m1" name="clone-max"
        value="3"/></meta_attributes>
        <primitive id="c-r" class="ocf" provider="pacemaker" type="Dummy"/></clone>{ms}
    </resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>{"".join(states)}</status>
</cib>"""


COLOCATED_CLONE = f"""<cib admin_epoch="0" epoch="1" num_updates="1" validate-with="pacemaker-3.7"
     have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/><node id="3" uname="node3"/>
    </nodes>
    <resources>
      <primitive id="r1" class="ocf" provider="pacemaker" type="Dummy"/>
      <primitive id="r2" class="ocf" provider="pacemaker" type="Dummy"/>
      <clone id="c"><primitive id="c-r" class="ocf" provider="pacemaker" type="Dummy"/></clone>
    </resources>
    <constraints>
      <rsc_colocation id="c-r2" rsc="c" with-rsc="r2" score="-500"/>
      <rsc_colocation id="c-r1" rsc="c" with-rsc="r1" score="-INFINITY"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
     expected="member"><lrm id="1"><lrm_resources>{_dummy_op("r1", 1)}</lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member"
     expected="member"/>
    <node_state id="3" uname="node3" in_ccm="true" crmd="online" join="member"
     expected="member"><lrm id="3"><lrm_resources>{_dummy_op("r2", 3)}</lrm_resources></lrm>
    </node_state>
  </status>
</cib>"""


def test_an_instance_applies_the_clones_colocations_in_order() -> None:
    # c is kept off r1 (node1, -INFINITY) and away from r2 (node3, -500). c-r:1, left with
    # node3 only, drops the optional -500 (it would leave no node) because the mandatory
    # colocation with r1 is applied first. crm_simulate:
    #   Start c-r:0 ( node2 ) / Start c-r:1 ( node3 )
    t = _run(COLOCATED_CLONE)
    assert _summary(t) == ["* Start c-r:0 ( node2 )", "* Start c-r:1 ( node3 )"]


def test_active_instances_are_ordered_by_what_the_clones_colocations_make_of_their_node() -> None:
    # c-r:0..2 run on node1-3; ms is Promoted on node1; c is kept 100 away from ms and drawn
    # to free node4 (INFINITY). c-r:0, on ms's node, goes last, so c-r:1 is the instance that
    # moves to node4 (and the others shift). crm_simulate (r1 and r2 are merely started):
    #   Move c-r:0 ( node1 -> node3 ) / Move c-r:1 ( node2 -> node4 ) /
    #   Move c-r:2 ( node3 -> node2 ) / Start ms-r:1..3 / Start r1 ( node1 ) / Start r2 ( node2 )
    t = _run(colocated_clone('<rsc_colocation id="c-ms" rsc="c" with-rsc="ms" score="-100"/>'
                             '<rsc_location id="c-4" rsc="c" node="node4" score="INFINITY"/>',
                             r1_on=0, r2_on=0, nodes=4, clone_on=(1, 2, 3), promoted_on=1))
    assert [line for line in _summary(t) if "c-r" in line] == [
        "* Move c-r:0 ( node1 -> node3 )",
        "* Move c-r:1 ( node2 -> node4 )",
        "* Move c-r:2 ( node3 -> node2 )",
    ]


def test_an_instance_sent_back_from_its_node_takes_the_clones_colocations_twice() -> None:
    # c-r:1 runs on node2; c is kept 100 away from r1 (held on node3) and drawn 150 to node3.
    # Sent to node2 first, c-r:1 prefers node3 (150 - 100 = 50), so that is undone; placed
    # again, it counts the colocation a second time (node3: -50) and stays on node2; c-r:2,
    # placed once, takes node3 at 50. crm_simulate: "c-r:1 allocation score on node3: 50"
    # then "... -50", and
    #   Move c-r:0 ( node1 -> node4 ) / Start c-r:2 ( node3 )
    cons = ('<rsc_location id="l1" rsc="c" node="node1" score="-10"/>'
            '<rsc_location id="l3" rsc="c" node="node3" score="150"/>'
            '<rsc_location id="lr2" rsc="r2" node="node3" score="-INFINITY"/>'
            '<rsc_location id="lr1" rsc="r1" node="node3" score="INFINITY"/>'
            '<rsc_colocation id="c-r1" rsc="c" with-rsc="r1" score="-100"/>')
    t = _run(colocated_clone(cons, r1_on=3, r2_on=4, nodes=4, clone_on=(1, 2)))
    assert _summary(t) == ["* Move c-r:0 ( node1 -> node4 )", "* Start c-r:2 ( node3 )"]


@pytest.mark.parametrize("clone_score", ["-10", "-50"])
def test_stickiness_over_a_negative_clone_score_keeps_an_instance_sorted_as_active(
        clone_score: str) -> None:
    # c-r:0 runs on node1, where c scores -10 (or -50) but its stickiness (50) keeps its own
    # score at 40 (or 0), so it is still sorted as an active instance, ahead of c-r:1 (node2)
    # by instance number. Both are pushed off (100 away from r1 on node1 and r2 on node2) to
    # the free node3 and node4, c-r:0 first. crm_simulate, for both:
    #   Move c-r:0 ( node1 -> node3 ) / Move c-r:1 ( node2 -> node4 )
    cons = (f'<rsc_location id="l1" rsc="c" node="node1" score="{clone_score}"/>'
            '<rsc_location id="lr1" rsc="r1" node="node1" score="INFINITY"/>'
            '<rsc_location id="lr2" rsc="r2" node="node2" score="INFINITY"/>'
            '<rsc_colocation id="c-r1" rsc="c" with-rsc="r1" score="-100"/>'
            '<rsc_colocation id="c-r2" rsc="c" with-rsc="r2" score="-100"/>')
    text = colocated_clone(cons, r1_on=1, r2_on=2, nodes=4, clone_on=(1, 2))
    text = text.replace('name="clone-max"\n        value="3"', 'name="clone-max"\n        value="2"')
    text = text.replace("</constraints>", '</constraints><rsc_defaults><meta_attributes id="rd">'
                        '<nvpair id="rd-s" name="resource-stickiness" value="50"/>'
                        '</meta_attributes></rsc_defaults>')
    assert _summary(_run(text)) == ["* Move c-r:0 ( node1 -> node3 )",
                                    "* Move c-r:1 ( node2 -> node4 )"]
