"""`vigil lab cts` (issue 15): every CTS scenario vigil runs (but those in OPEN), once each, in
the seeded order, on a 3-node lab with fencing and the CTS resources; after each one the
audits (every replica's
CIB the same, the scheduler planning nothing more, each resource active exactly where the status
says and nowhere twice, promoted-max kept, no traceback or unexplained error in vigild's logs).
The run prints each scenario's steps and findings; the lab is gone afterwards.

CI runs the short form (VIGIL_CTS_ITERATIONS, default 1; VIGIL_CTS_SEED, default 1); the long
runs are documented in the README (`vigil lab cts --iterations N`).
"""

from __future__ import annotations

import os

import pytest

from vigil.lab import hostops, state
from vigil.lab.cts import catalog, runner

from .service_support import requirements

REASON = requirements()
# Scenarios vigil runs whose findings are open: not counted as passing, left out of CI's run
# until fixed (`vigil lab cts --scenario NAME` runs them; the README says what was seen)
OPEN: dict[str, str] = {}
SEED = int(os.environ.get("VIGIL_CTS_SEED", "1"))
ITERATIONS = int(os.environ.get("VIGIL_CTS_ITERATIONS", "1"))
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]


def test_every_scenario_passes_the_audits(capsys: pytest.CaptureFixture[str]) -> None:
    name = f"t{os.getpid()}"
    lines: list[str] = []

    def show(line: str) -> None:
        lines.append(line)
        with capsys.disabled():
            print(line, flush=True)

    scenarios = tuple(n for n in catalog.RUNNABLE if n not in OPEN)
    config = runner.CtsConfig(scenarios=scenarios, iterations=ITERATIONS, seed=SEED, name=name)
    report = runner.run_cts(config, out=show)
    text = "\n".join(lines) + runner.render_report(report)
    assert report.aborted is None, text
    assert len(report.results) == len(scenarios) * ITERATIONS, text
    assert report.passed, text
    assert state.load(name) is None and not hostops.lab_netns(f"vl-{name}-")
