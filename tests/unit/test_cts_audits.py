"""The CTS run's pure parts (vigil.lab.cts): the audits on gathered snapshots, the seeded plan,
the scenario names an operator may give."""

from __future__ import annotations

import itertools
import re

import pytest

from vigil.lab.cts import audits, catalog, endurance, runner
from vigil.lab.cts.audits import Snapshot
from vigil.lab.errors import LabError

CIB = '<cib admin_epoch="0" epoch="{e}" num_updates="{u}"><configuration/></cib>'


def snapshot(**changes: object) -> Snapshot:
    base: dict[str, object] = dict(
        up_nodes=("n1", "n2"), cib_copies=(("n1", CIB.format(e=5, u=2)), ("n2", CIB.format(e=5, u=2))),
        planned=(), status_nodes=(("d1", frozenset({"n1"})),),
        agent_nodes=(("d1", frozenset({"n1"})),), single=frozenset({"d1"}),
        promoted_status=frozenset({"n2"}), promoted_agent=frozenset({"n2"}), promoted_max=1,
        new_log_lines=(("n1", ("2026-12-07 vigild INFO x: fine",)),))
    base.update(changes)
    return Snapshot(**base)  # type: ignore[arg-type]


def test_a_settled_healthy_cluster_has_no_findings() -> None:
    assert audits.audit(snapshot()) == []


def test_replicas_that_differ_are_named_with_their_versions() -> None:
    found = audits.audit(snapshot(cib_copies=(("n1", CIB.format(e=5, u=2)),
                                              ("n2", CIB.format(e=5, u=3)))))
    assert [(f.audit, f.subject) for f in found] == [("cib", "n2")]
    assert "0.5.3" in found[0].detail and "0.5.2" in found[0].detail


def test_a_running_vigild_that_gives_no_cib_is_a_finding_but_no_stack_is_none() -> None:
    found = audits.audit(snapshot(cib_copies=(("n1", CIB.format(e=5, u=2)),)))
    assert [(f.audit, f.subject) for f in found] == [("cib", "n2")]
    stopped = snapshot(up_nodes=(), cib_copies=(), status_nodes=(), agent_nodes=(),
                       promoted_status=frozenset(), promoted_agent=frozenset())
    assert audits.audit(stopped) == []


def test_work_left_to_do_is_reported_line_by_line() -> None:
    found = audits.audit(snapshot(planned=("Start d2 n1", "probe on n2: d1")))
    assert [f.detail for f in found] == ["the scheduler still plans: Start d2 n1",
                                         "the scheduler still plans: probe on n2: d1"]


def test_placement_compares_the_agents_state_with_the_status() -> None:
    # the status says n1; the agent's state file is on n1 and n2: wrong, and twice
    found = audits.audit(snapshot(agent_nodes=(("d1", frozenset({"n1", "n2"})),)))
    assert [f.audit for f in found] == ["placement", "placement"]
    assert "active on 2 nodes at once: n1, n2" in found[1].detail
    # a clone may run on several nodes; running where the status does not know is a finding
    found = audits.audit(snapshot(status_nodes=(("c", frozenset({"n1"})),),
                                  agent_nodes=(("c", frozenset({"n1", "n2"})),
                                               ("d1", frozenset({"n1"})))))
    assert [(f.subject, f.detail) for f in found] == [
        ("c", "the status says n1, its agent's state says n1, n2"),
        ("d1", "the status says nowhere, its agent's state says n1")]


def test_promoted_max_and_the_status_of_the_promoted_instance() -> None:
    found = audits.audit(snapshot(promoted_agent=frozenset({"n1", "n2"})))
    assert [f.detail for f in found] == [
        "2 promoted instances (n1, n2), promoted-max 1",
        "the status says promoted on n2, the agent's state on n1, n2"]


def test_log_lines_tracebacks_and_errors_unless_the_scenario_explains_them() -> None:
    lines = (("n1", ("2026-12-07 10:00:00 vigild ERROR vigil.daemon: lost n3's process group",
                     "Traceback (most recent call last):", "2026 vigild WARNING x: slow")),)
    found = audits.audit(snapshot(new_log_lines=lines))
    assert [f.audit for f in found] == ["logs", "logs"]
    allowed = [re.compile(r"lost n3's")]
    assert [f.detail for f in audits.audit(snapshot(new_log_lines=lines), allowed)] == [
        "Traceback (most recent call last):"]


def test_counts_name_every_audit() -> None:
    counts = audits.by_audit(audits.audit(snapshot(planned=("Start d2 n1",))))
    assert counts == {"scenario": 0, "cib": 0, "settled": 1, "placement": 0, "promoted": 0,
                      "logs": 0}


def test_the_plan_is_every_scenario_per_iteration_in_a_seeded_order() -> None:
    config = runner.CtsConfig(scenarios=catalog.RUNNABLE, iterations=2, seed=3)
    order = list(runner.plan(config))
    assert len(order) == 2 * len(catalog.RUNNABLE)
    for i in (1, 2):
        assert sorted(n for it, n in order if it == i) == sorted(catalog.RUNNABLE)
    assert order == list(runner.plan(config))  # the same seed, the same run
    assert order != list(runner.plan(runner.CtsConfig(scenarios=catalog.RUNNABLE,
                                                      iterations=2, seed=4)))


def test_a_timed_run_plans_whole_iterations_without_end() -> None:
    config = runner.CtsConfig(scenarios=("Flip", "Standby"), minutes=120, seed=3)
    first = list(itertools.islice(runner.plan(config), 7))
    assert [it for it, _ in first] == [1, 1, 2, 2, 3, 3, 4]
    assert all(sorted(n for it, n in first if it == i) == ["Flip", "Standby"] for i in (1, 2, 3))


def sample(at: float, node: str, pid: int, kib: int) -> endurance.MemorySample:
    return endurance.MemorySample(at, node, pid, kib)


def test_memory_trends_per_vigild_process_after_its_warm_up() -> None:
    hour = 3600.0
    flat = [sample(t * 600, "n1", 40, 50_000 + (3000 if t == 0 else 0)) for t in range(12)]
    leak = [sample(t * 600, "n2", 41, 50_000 + int(t * 600 / hour * 2048)) for t in range(12)]
    short = [sample(t, "n3", 42, 60_000) for t in range(3)]  # too few: no trend
    restarted = [sample(7200 + t * 60, "n1", 90, 45_000) for t in range(5)]
    found = {(t.node, t.pid): t for t in endurance.trends(flat + leak + short + restarted)}
    assert set(found) == {("n1", 40), ("n2", 41), ("n1", 90)}
    assert found[("n1", 40)].slope_kib_per_h == 0.0  # the warm-up's bump is not a trend
    assert found[("n1", 40)].first_kib == 53_000 and found[("n1", 40)].max_kib == 53_000
    assert abs(found[("n2", 41)].slope_kib_per_h - 2048) < 5
    assert found[("n1", 40)].span_s == 6600.0


def test_scenario_names_any_case_and_refusals() -> None:
    assert runner.scenario_names([]) == catalog.RUNNABLE
    assert runner.scenario_names(["splitbrain", "Flip", "SPLITBRAIN"]) == ("SplitBrain", "Flip")
    with pytest.raises(LabError, match="no CTS scenario is called 'Bogus'"):
        runner.scenario_names(["Bogus"])
    with pytest.raises(LabError, match="vigil does not run RemoteBasic yet: vigil-remoted runs"):
        runner.scenario_names(["RemoteBasic"])


def test_the_catalog_is_ctss_twenty_two_and_every_runnable_one_has_a_scenario() -> None:
    from vigil.lab.cts.scenarios import SCENARIOS

    assert len(catalog.CATALOG) == 22
    assert set(catalog.RUNNABLE) == set(SCENARIOS)


def test_memory_windows_show_every_process_together() -> None:
    samples = [sample(10, "n1", 1, 40_000), sample(20, "n2", 2, 42_000),
               sample(950, "n1", 3, 41_000), sample(1000, "n3", 4, 45_000)]
    found = endurance.windows(samples)
    assert [(w.start_s, w.samples, w.min_kib, w.max_kib) for w in found] == [
        (0.0, 2, 40_000, 42_000), (900.0, 2, 41_000, 45_000)]
