"""Notify actions of notify=true clones against crm_simulate's transition graphs.

For every corpus case whose CIB has a clone with notify=true, vigil's scheduler and
`crm_simulate -S -G` plan the notifications; the test compares, per case, the set of notify
actions: resource instance, node, notify_type, notify_operation, and each CRM_meta_notify_*
list as a set. The number of agreeing cases must not fall below floors.json's "notify"."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from vigil.cib.io import load_cib_file
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Task

CORPUS = Path("/work/shared/conformance/pacemaker-2.1.5")
FLOORS = Path(__file__).with_name("floors.json")

Key = tuple[str, str, str, str, frozenset[tuple[str, frozenset[str]]]]


def _lists(meta: dict[str, str]) -> frozenset[tuple[str, frozenset[str]]]:
    return frozenset((k, frozenset(v.split())) for k, v in meta.items()
                     if k.startswith("notify_") and k.endswith(("_resource", "_uname")))


def _oracle(xml: Path, out: Path) -> set[Key]:
    subprocess.run(["crm_simulate", "-x", str(xml), "-S", "-G", str(out)], check=True,
                   capture_output=True, timeout=120)
    found: set[Key] = set()
    for op in ET.parse(out).getroot().iter("rsc_op"):
        if op.get("operation") != "notify":
            continue
        prim = op.find("primitive")
        attrs = op.find("attributes")
        if prim is None or attrs is None:
            continue  # a bundle's or remote connection's notification: not a clone's
        meta = {k[len("CRM_meta_"):]: v for k, v in attrs.attrib.items()
                if k.startswith("CRM_meta_")}
        # the instance as the scheduler numbers it (long-id is the id of the node's history)
        key = op.get("internal_operation_key") or ""
        instance = key.split("_pre_notify_")[0].split("_post_notify_")[0]
        if ":" not in instance:  # the key names the history id: long-id has the instance
            instance = prim.get("long-id") or instance
        found.add((instance or prim.get("id") or "", op.get("on_node") or "",
                   meta.get("notify_type", ""), meta.get("notify_operation", ""), _lists(meta)))
    return found


def _vigil(xml: Path) -> set[Key]:
    cib, _ = load_cib_file(xml)
    found: set[Key] = set()
    for a in schedule(cib, int(time.time())).actions:
        if a.task != Task.NOTIFY or a.pseudo or a.operation is None or not a.runnable:
            continue
        meta = dict(a.operation.meta)
        found.add((a.resource or "", a.node or "", meta.get("notify_type", ""),
                   meta.get("notify_operation", ""), _lists(meta)))
    return found


def _cases() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    args = json.loads((CORPUS / "args.json").read_text())
    return sorted(p for p in (CORPUS / "xml").glob("*.xml")
                  if p.stem not in args and 'name="notify" value="true"' in p.read_text())


@pytest.mark.slow
def test_notify_actions_agree_with_crm_simulate(tmp_path: Path) -> None:
    if shutil.which("crm_simulate") is None:
        pytest.skip("crm_simulate is not installed: no oracle for the notify actions")
    cases = _cases()
    if not cases:
        pytest.skip(f"the conformance corpus is not at {CORPUS}")
    agree, differ = [], []
    for xml in cases:
        expected = _oracle(xml, tmp_path / f"{xml.stem}.graph.xml")
        (agree if _vigil(xml) == expected else differ).append(xml.stem)
    print(f"notify: {len(agree)} of {len(cases)} cases agree; differ: {' '.join(differ)}")
    floor = int(json.loads(FLOORS.read_text()).get("notify", 0))
    assert len(agree) >= floor, f"{len(agree)} of {len(cases)} agree, floor {floor}: {differ}"
