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

from vigil.cib.read import parse_cib
from vigil.cli.simulate_view import summary_lines
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Transition

NOW = 1_700_000_000


def _op(rsc: str, call: int, operation: str, rc: int, interval: int = 0) -> str:
    """One history entry; its expected result is what a healthy agent answers (7 for a probe,
    0 otherwise), so an rc different from that is a failure."""
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
    # node -> transient attributes (fail counts)
    attrs: dict[str, dict[str, str]] = field(default_factory=dict)


def cib_text(case: Case) -> str:
    nodes = "".join(f'<node id="{n}" uname="{n}"/>' for n in case.nodes)
    states = []
    for n in case.nodes:
        pairs = "".join(f'<nvpair id="{n}-{k}" name="{k}" value="{v}"/>'
                        for k, v in case.attrs.get(n, {}).items())
        transient = (f'<transient_attributes id="{n}"><instance_attributes id="{n}-ta">{pairs}'
                     f'</instance_attributes></transient_attributes>') if pairs else ""
        rscs = "".join(
            f'<lrm_resource id="{r}" class="ocf" provider="pacemaker" type="Dummy">'
            f'{"".join(ops)}</lrm_resource>' for r, ops in case.history.get(n, {}).items())
        states.append(f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" '
                      f'join="member" expected="member">{transient}<lrm id="{n}">'
                      f'<lrm_resources>{rscs}</lrm_resources></lrm></node_state>')
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="{case.nodes[0]}">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes>{nodes}</nodes>
    <resources>{case.resources}</resources>
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


CASES = {name: value for name, value in globals().items() if isinstance(value, Case)}

if __name__ == "__main__":  # write every case out, for crm_simulate
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, value in CASES.items():
        (out / f"{name}.xml").write_text(cib_text(value))
