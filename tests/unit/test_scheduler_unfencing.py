"""Unfencing in the scheduler: nodes are fenced "on" before what needs unfencing runs there.

Each case is a small hand-written CIB: two nodes, a fence device `fence` (fence_scsi, with
provides=unfencing unless the case says otherwise) and `web`, both running on node1, which was
unfenced; node2 has no history. The expected Transition Summary (with the fence reasons) was
checked with Pacemaker 2.1.5's crm_simulate; the test checks vigil against crm_simulate itself
too when it is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from vigil.cib.read import parse_cib
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000
UNFENCED = '<nvpair id="{n}-unf" name="#node-unfenced" value="1700000000"/>'


def _op(rsc: str, n: int) -> str:
    key = f"{n}:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    return (f'<lrm_rsc_op id="{rsc}_last_0" operation_key="{rsc}_start_0" operation="start" '
            f'crm-debug-origin="t" crm_feature_set="3.16.2" transition-key="{key}" '
            f'transition-magic="0:0;{key}" on_node="node1" call-id="{n}" rc-code="0" '
            f'op-status="0" interval="0" last-rc-change="1700000000" exec-time="1" '
            f'queue-time="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def cib_text(*, provides: bool = True, node2_unfenced: bool = False,
             recorded_agent: str = "fence_scsi", web_requires: str | None = None) -> str:
    provides_meta = ('<meta_attributes id="fence-meta"><nvpair id="fence-p" name="provides" '
                     'value="unfencing"/></meta_attributes>') if provides else ""
    web_meta = (f'<meta_attributes id="web-meta"><nvpair id="web-r" name="requires" '
                f'value="{web_requires}"/></meta_attributes>') if web_requires else ""

    def attrs(node: str, unfenced: bool) -> str:
        inner = UNFENCED.format(n=node) if unfenced else ""
        return (f'<transient_attributes id="{node}"><instance_attributes id="{node}-ta">{inner}'
                f'</instance_attributes></transient_attributes>')

    lrm = (f'<lrm_resource id="fence" class="stonith" type="{recorded_agent}">{_op("fence", 1)}'
           f'</lrm_resource><lrm_resource id="web" class="ocf" provider="pacemaker" '
           f'type="Dummy">{_op("web", 2)}</lrm_resource>')
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="node1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="true"/>
    </cluster_property_set></crm_config>
    <nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/></nodes>
    <resources>
      <primitive id="fence" class="stonith" type="fence_scsi">{provides_meta}</primitive>
      <primitive id="web" class="ocf" provider="pacemaker" type="Dummy">{web_meta}</primitive>
    </resources>
    <constraints>
      <rsc_location id="fence-on-1" rsc="fence" node="node1" score="100"/>
      <rsc_location id="web-on-1" rsc="web" node="node1" score="100"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="node1" uname="node1" in_ccm="true" crmd="online" join="member"
                expected="member">{attrs("node1", True)}
      <lrm id="node1"><lrm_resources>{lrm}</lrm_resources></lrm>
    </node_state>
    <node_state id="node2" uname="node2" in_ccm="true" crmd="online" join="member"
                expected="member">{attrs("node2", node2_unfenced)}
      <lrm id="node2"><lrm_resources/></lrm>
    </node_state>
  </status>
</cib>"""


CASES: dict[str, tuple[dict[str, object], set[str]]] = {
    # node2 was never unfenced and the fence device is to be probed there
    "never-unfenced": ({}, {"Fence (on) node2 'required by fence monitor'"}),
    # ... once it was, nothing happens
    "unfenced": (dict(node2_unfenced=True), set()),
    # no device provides unfencing: no unfencing at all
    "no-unfencing-device": (dict(provides=False), set()),
    # the device's agent changed where it runs: that node is unfenced again, and what needs
    # unfencing there restarts after it
    "definition-changed": (dict(node2_unfenced=True, recorded_agent="fence_virt"), {
        "Fence (on) node1 'Device definition changed'", "Restart fence node1",
        "Restart web node1"}),
    # a resource that requires only quorum stays
    "requires-quorum": (dict(node2_unfenced=True, recorded_agent="fence_virt",
                             web_requires="quorum"), {
        "Fence (on) node1 'Device definition changed'", "Restart fence node1"}),
}


def _lines(text: str) -> set[str]:
    cib, _ = parse_cib(text)
    t = schedule(cib, NOW)
    out = set()
    for item in t.summary:
        if item.verb == "Fence":
            out.add(f"Fence ({item.fence_action}) {item.resource} '{item.reason}'")
        else:
            out.add(f"{item.verb} {item.resource} {item.details}")
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_unfencing(name: str) -> None:
    kwargs, expected = CASES[name]
    assert _lines(cib_text(**kwargs)) == expected  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("crm_simulate") is None, reason="needs crm_simulate")
@pytest.mark.parametrize("name", sorted(CASES))
def test_crm_simulate_agrees(name: str, tmp_path: Path) -> None:
    kwargs, expected = CASES[name]
    path = tmp_path / f"{name}.xml"
    path.write_text(cib_text(**kwargs))  # type: ignore[arg-type]
    proc = subprocess.run(["crm_simulate", "-x", str(path), "-R"], capture_output=True,
                          text=True, check=True, timeout=60)
    summary = proc.stdout.split("Transition Summary:")[1].split("Executing")[0]
    got = set()
    for line in summary.splitlines():
        text = " ".join(line.replace("*", " ").split())
        if text.startswith("Fence"):
            got.add(text)
        elif text:
            words = text.replace("(", " ").replace(")", " ").split()
            got.add(" ".join(words[:3]))
    assert got == expected
