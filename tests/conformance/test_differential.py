"""Differential testing: vigil against the installed crm_simulate on random CIBs.

gencib.py (shared harness) writes random but valid CIBs: Dummy primitives with scored location,
colocation and order constraints, stickiness, migration-threshold, standby/offline/unclean nodes,
failures with fail-counts, fencing on in about 30% of them. crm_simulate answers each; vigil must
agree on at least the "differential" fraction of floors.json (the target is 95%).

Time on 2 cores: gencib about 1 s; crm_simulate -R about 12 ms of wall time per case (2 in
parallel), so about 5 s for the 330 cases; vigil gets the rest of a 240 s budget, after which the
remaining cases fail. Marked slow: -m 'not slow' leaves it out.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conform_driver import Harness, candidate_label

pytestmark = pytest.mark.slow

# (prefix, seed, nodes, resources, count): the same seeds give the same CIBs on every run
PROFILES = [
    *(("small", seed, "2-6", "2-12", 80) for seed in (1, 2, 3)),
    *(("wide", seed, "4-8", "10-30", 30) for seed in (1, 2, 3)),
]
P_FENCING = "0.3"
MIN_CASES = 300
BUDGET = 240.0
CASE_TIMEOUT = 30.0
TARGET = 0.95


def test_vigil_agrees_with_crm_simulate(harness: Harness, tmp_path: Path, floors: dict[str, float],
                                        record_measurement: Callable[[str], None]) -> None:
    if shutil.which("crm_simulate") is None:
        pytest.skip("crm_simulate is not on PATH, so there is no oracle: install pacemaker-cli-utils "
                    "(scripts/install.sh)")
    floor = float(floors["differential"])
    xml, summary = tmp_path / "xml", tmp_path / "summary"
    for prefix, seed, nodes, resources, count in PROFILES:
        harness.gencib(out=xml, prefix=prefix, seed=seed, count=count, nodes=nodes, resources=resources,
                       extra=["--p-fencing", P_FENCING])
    generated = sum(1 for p in xml.iterdir() if p.suffix == ".xml")

    t0 = time.monotonic()
    answered = harness.gen(inputs=xml, out=summary)
    oracle_seconds = time.monotonic() - t0
    assert answered >= MIN_CASES, f"crm_simulate answered {answered} of {generated} generated CIBs"

    run = harness.check(inputs=xml, expected=summary, report=tmp_path / "report.json", budget=BUDGET,
                        case_timeout=CASE_TIMEOUT)
    passed, total = run.passed(), run.total()
    assert total == answered, f"the harness judged {total} of the {answered} cases crm_simulate answered"
    rate = passed / total
    record_measurement(
        f"differential: {candidate_label()} agrees with crm_simulate on {passed}/{total} random CIBs "
        f"({rate:.1%}; floor {floor:.1%}, target {TARGET:.0%})"
    )
    for tier in run.tiers():
        record_measurement(f"  feature tier {tier}: {run.passed(tier)}/{run.total(tier)}")
    record_measurement(
        f"  crm_simulate: {oracle_seconds:.1f} s for the {answered} cases, run {os.cpu_count()} at a time; "
        f"{candidate_label()}: {run.seconds:.1f} s, {run.candidate_seconds():.3f} s per case"
    )
    if generated != answered:
        record_measurement(f"  crm_simulate gave no answer on {generated - answered} CIBs: left out")
    assert rate >= floor, f"agreement {rate:.1%} is below the floor {floor:.1%}\n{run.describe_failures()}"
