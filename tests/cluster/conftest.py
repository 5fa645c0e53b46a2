"""Fixtures of the cluster-layer tests: the backends, and one Corosync lab for the whole session."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
from corosync_lab import CorosyncLab, skip_reason
from harness import CorosyncHarness, Harness, RunCluster, Scenario, SimHarness


@pytest.fixture(scope="session")
def corosync_lab() -> Iterator[CorosyncLab]:
    reason = skip_reason()
    if reason is not None:
        pytest.skip(reason)
    with CorosyncLab(nodes=3, token_ms=1000) as lab:
        yield lab


async def _run(harness: Harness, scenario: Scenario, budget: float) -> None:
    try:
        await asyncio.wait_for(scenario(harness), budget)
    finally:
        await asyncio.wait_for(harness.close(), 30)


@pytest.fixture(params=["sim", "corosync"])
def run_cluster(request: pytest.FixtureRequest) -> RunCluster:
    """Runs an async scenario against a fresh 3-node cluster of the parametrised backend."""
    if request.param == "sim":
        return lambda scenario: asyncio.run(_run(SimHarness(), scenario, 10.0))
    lab: CorosyncLab = request.getfixturevalue("corosync_lab")
    lab.heal()
    lab.wait_converged(timeout=40)  # restarts any corosync an earlier test killed
    group = re.sub(r"[^A-Za-z0-9_-]", "-", f"vigil-{request.node.name}")[:100]
    return lambda scenario: asyncio.run(_run(CorosyncHarness(lab, group), scenario, 90.0))
