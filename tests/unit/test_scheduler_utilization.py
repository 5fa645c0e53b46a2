"""Utilization and placement-strategy in the scheduler.

Each case is a small hand-written CIB (ocf:pacemaker:Dummy resources, `stonith-enabled=false`)
whose nodes offer capacity and whose resources need some; the expected Transition Summary of
every case was checked with Pacemaker 2.1.5's crm_simulate (`crm_simulate -x CASE.xml -S`;
`python3 tests/unit/test_scheduler_utilization.py DIR` writes every case there).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import crm_oracle
import pytest

from vigil.cib.read import parse_cib
from vigil.cli.simulate_view import summary_lines
from vigil.scheduler import utilization
from vigil.scheduler.engine import schedule
from vigil.scheduler.working import Node

NOW = 1_700_000_000


def _running(rsc: str) -> str:
    """The history of a Dummy started on a node (no monitor configured)."""
    magic = "1:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    return (f'<lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rsc}_last_0" operation_key="{rsc}_start_0" operation="start" '
            f'crm-debug-origin="t" crm_feature_set="3.16.2" transition-key="{magic}" '
            f'transition-magic="0:0;{magic}" exit-reason="" call-id="1" rc-code="0" '
            f'op-status="0" interval="0" last-rc-change="1699999000" exec-time="1" '
            f'queue-time="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource>')


def _pairs(owner: str, kind: str, values: dict[str, int | str]) -> str:
    if not values:
        return ""
    pairs = "".join(f'<nvpair id="{owner}-{kind}-{k}" name="{k}" value="{v}"/>'
                    for k, v in values.items())
    tag = "utilization" if kind == "u" else "meta_attributes"
    return f'<{tag} id="{owner}-{kind}">{pairs}</{tag}>'


def dummy(rid: str, priority: int = 0, stickiness: int = 0, **needs: int) -> str:
    meta: dict[str, int | str] = {}
    if priority:
        meta["priority"] = priority
    if stickiness:
        meta["resource-stickiness"] = stickiness
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'{_pairs(rid, "m", meta)}{_pairs(rid, "u", dict(needs))}</primitive>')


@dataclass(frozen=True)
class Case:
    strategy: str
    nodes: dict[str, dict[str, int]]  # node -> the capacity it offers
    resources: str
    constraints: str = ""
    running: dict[str, tuple[str, ...]] = field(default_factory=dict)  # node -> resources


def cib_text(case: Case) -> str:
    nodes = "".join(f'<node id="{n}" uname="{n}">{_pairs(n, "u", dict(offer))}</node>'
                    for n, offer in case.nodes.items())
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>'
        f'{"".join(_running(r) for r in case.running.get(n, ()))}'
        f'</lrm_resources></lrm></node_state>' for n in case.nodes)
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="{next(iter(case.nodes))}">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
      <nvpair id="o2" name="placement-strategy" value="{case.strategy}"/>
    </cluster_property_set></crm_config>
    <nodes>{nodes}</nodes>
    <resources>{case.resources}</resources>
    <constraints>{case.constraints}</constraints>
  </configuration>
  <status>{states}</status>
</cib>"""


def _summary(case: Case) -> list[str]:
    cib, _ = parse_cib(cib_text(case))
    lines = summary_lines(schedule(cib, NOW).summary)
    return sorted(" ".join(line.split()).split(" due to ")[0] for line in lines)


# A resource that needs more than any node offers: the default strategy does not look.
TOO_BIG_DEFAULT = Case("default", {"node1": {"cpu": 1}, "node2": {"cpu": 1}},
                       dummy("big", cpu=4))
TOO_BIG = Case("utilization", {"node1": {"cpu": 1}, "node2": {"cpu": 1}}, dummy("big", cpu=4))


def test_the_default_strategy_ignores_utilization() -> None:
    assert _summary(TOO_BIG_DEFAULT) == ["* Start big ( node1 )"]


def test_a_resource_no_node_can_hold_stays_stopped() -> None:
    assert _summary(TOO_BIG) == []


# Capacity is what is left after this run's assignments: a third resource finds both nodes
# full. A node that does not offer an attribute offers none of it (node3).
FILLED = Case("utilization", {"node1": {"cpu": 2}, "node2": {"cpu": 2}, "node3": {}},
              dummy("a", cpu=2) + dummy("b", cpu=2) + dummy("c", cpu=1))


def test_what_this_run_assigns_uses_up_a_nodes_capacity() -> None:
    assert _summary(FILLED) == ["* Start a ( node1 )", "* Start b ( node2 )"]


# `balanced` prefers the node with more free capacity (one vote per attribute); `utilization`
# the node with fewer resources, then the name; `minimal` packs by name.
THREE_NODES = {"node1": {"cpu": 2, "mem": 2}, "node2": {"cpu": 4, "mem": 4},
               "node3": {"cpu": 8, "mem": 1}}
SMALL_PAIR = dummy("a", cpu=1, mem=1) + dummy("b", cpu=1, mem=1)
BALANCED = Case("balanced", THREE_NODES, SMALL_PAIR)
PACKED = Case("minimal", THREE_NODES, SMALL_PAIR)
SPREAD = Case("utilization", THREE_NODES, SMALL_PAIR)


def test_balanced_prefers_the_node_with_most_free_capacity() -> None:
    # node2 wins both votes over node1, and ties with node3 (cpu against mem); node2 is then
    # left with 3/3 against node3's 8/1, a tie again, and the resource count decides
    assert _summary(BALANCED) == ["* Start a ( node2 )", "* Start b ( node3 )"]


def test_minimal_packs_resources_onto_the_first_node() -> None:
    assert _summary(PACKED) == ["* Start a ( node1 )", "* Start b ( node1 )"]


def test_utilization_spreads_by_resource_count() -> None:
    assert _summary(SPREAD) == ["* Start a ( node1 )", "* Start b ( node2 )"]


# Resources are assigned by priority, then by their score where they run: the running,
# sticky `old` keeps node1 although `new`, configured first, prefers node1 too.
RUNNING_FIRST = Case("utilization", {"node1": {"cpu": 1}, "node2": {"cpu": 1}},
                     dummy("new", cpu=1) + dummy("old", stickiness=100, cpu=1),
                     constraints='<rsc_location id="l" rsc="new" node="node1" score="50"/>',
                     running={"node1": ("old",)})
# ... but priority comes first: the important newcomer takes the only node that fits.
PRIORITY_FIRST = Case("utilization", {"node1": {"cpu": 1}, "node2": {"cpu": 0}},
                      dummy("old", stickiness=100, cpu=1) + dummy("new", priority=5, cpu=1),
                      running={"node1": ("old",)})


def test_a_running_resource_keeps_its_capacity_before_newcomers_are_placed() -> None:
    assert _summary(RUNNING_FIRST) == ["* Start new ( node2 )"]


def test_a_higher_priority_resource_is_assigned_first() -> None:
    assert _summary(PRIORITY_FIRST) == ["* Start new ( node1 )", "* Stop old ( node1 )"]


# A primary is placed where its INFINITY dependents fit too: node1 (the first by name) can
# hold `a` but not `a` and `b`.
CHAIN = Case("utilization", {"node1": {"cpu": 2}, "node2": {"cpu": 4}},
             dummy("a", cpu=2) + dummy("b", cpu=2),
             constraints='<rsc_colocation id="b-a" rsc="b" with-rsc="a" score="INFINITY"/>')
# If no node can hold them all, the primary goes where there is most room, and the dependent
# that no longer fits there stays stopped.
CHAIN_TOO_BIG = Case("utilization", {"node1": {"cpu": 2}, "node2": {"cpu": 3}},
                     dummy("a", cpu=2) + dummy("b", cpu=2),
                     constraints='<rsc_colocation id="b-a" rsc="b" with-rsc="a" '
                                 'score="INFINITY"/>')
# An optional colocation does not tie them.
CHAIN_OPTIONAL = Case("utilization", {"node1": {"cpu": 2}, "node2": {"cpu": 4}},
                      dummy("a", cpu=2) + dummy("b", cpu=2),
                      constraints='<rsc_colocation id="b-a" rsc="b" with-rsc="a" score="100"/>')


def test_a_primary_is_placed_where_its_mandatory_dependents_fit() -> None:
    assert _summary(CHAIN) == ["* Start a ( node2 )", "* Start b ( node2 )"]


def test_a_chain_that_fits_nowhere_goes_where_there_is_most_room() -> None:
    assert _summary(CHAIN_TOO_BIG) == ["* Start a ( node2 )"]


def test_an_optional_colocation_does_not_reserve_capacity() -> None:
    assert _summary(CHAIN_OPTIONAL) == ["* Start a ( node1 )", "* Start b ( node2 )"]


# A group's first member reserves room for the whole group.
GROUP = Case("utilization", {"node1": {"cpu": 2}, "node2": {"cpu": 4}},
             f'<group id="g">{dummy("g1", cpu=1)}{dummy("g2", cpu=1)}{dummy("g3", cpu=1)}</group>')


def test_a_group_is_placed_where_all_its_members_fit() -> None:
    assert _summary(GROUP) == ["* Start g1 ( node2 )", "* Start g2 ( node2 )",
                               "* Start g3 ( node2 )"]


# Each clone instance uses its own share: node1 holds one instance only.
CLONE = Case("utilization", {"node1": {"cpu": 1}, "node2": {"cpu": 2}},
             f'<clone id="c"><meta_attributes id="c-m"><nvpair id="c-m1" name="globally-unique" '
             f'value="true"/><nvpair id="c-m2" name="clone-max" value="4"/><nvpair id="c-m3" '
             f'name="clone-node-max" value="4"/></meta_attributes>{dummy("r", cpu=1)}</clone>')


def test_each_clone_instance_needs_its_own_capacity() -> None:
    assert _summary(CLONE) == ["* Start r:0 ( node1 )", "* Start r:1 ( node2 )",
                               "* Start r:2 ( node2 )"]


def test_free_capacity_is_compared_attribute_by_attribute() -> None:
    a = Node(id="a", name="a", capacity_left={"cpu": 4, "mem": 1})
    b = Node(id="b", name="b", capacity_left={"cpu": 2, "mem": 2, "disk": 1})
    assert utilization.compare_free(a, b) > 0  # b has more mem and disk, a more cpu
    assert utilization.compare_free(a, a) == 0


def test_utilization_values_are_leading_integers() -> None:
    assert [utilization.parse_value(v) for v in ("512", " 2.5", "x", "-1", "INFINITY")] == \
        [512, 2, 0, -1, 0]


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
