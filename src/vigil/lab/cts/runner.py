"""`vigil lab cts`: a lab with fencing and the CTS resources, the chosen scenarios in a seeded
order, each followed by a wait for the cluster to settle and the audits; the report as data
(render_report turns it into text at the edge).

The resources, created through the CLI as an operator would: the lab's fence device, four
ocf:pacemaker:Dummy primitives (d1..d4), a group of two (g: g1, g2), a cloned Dummy (c-clone)
and a promotable clone of ocf:pacemaker:Stateful (db-clone, promoted-max 1); every monitor
every 5 s (3 and 4 s for db's roles).
"""

from __future__ import annotations

import itertools
import random
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from vigil.lab.cts import audits, catalog, endurance
from vigil.lab.cts.audits import Finding
from vigil.lab.cts.endurance import ChurnState, MemorySample
from vigil.lab.cts.scenarios import SCENARIOS, Outcome, run_scenario
from vigil.lab.cts.world import Layout, World
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

SETTLE_TIMEOUT_S = 120.0
LAYOUT = Layout(single=frozenset({"d1", "d2", "d3", "d4", "g1", "g2"}), promotable="db",
                promotable_clone="db-clone")

_RESOURCES: tuple[tuple[str, ...], ...] = (
    *(("resource", "create", f"d{i}", "ocf:pacemaker:Dummy", "op", "monitor", "interval=5s")
      for i in range(1, 5)),
    ("resource", "create", "g1", "ocf:pacemaker:Dummy", "op", "monitor", "interval=5s",
     "--group", "g"),
    ("resource", "create", "g2", "ocf:pacemaker:Dummy", "op", "monitor", "interval=5s",
     "--group", "g"),
    ("resource", "create", "c", "ocf:pacemaker:Dummy", "op", "monitor", "interval=5s", "clone"),
    ("resource", "create", "db", "ocf:pacemaker:Stateful", "op", "monitor", "interval=3s",
     "role=Promoted", "timeout=20s", "monitor", "interval=4s", "role=Unpromoted",
     "timeout=20s", "promotable", "promoted-max=1", "promoted-node-max=1"),
)


@dataclass(frozen=True)
class CtsConfig:
    scenarios: tuple[str, ...]  # catalog names, in CTS's order (the run shuffles them)
    iterations: int = 1  # times each scenario runs
    seed: int = 1
    nodes: int = 3
    token_ms: int | None = 1000  # None: Corosync's defaults
    name: str = "cts"
    minutes: float | None = None  # run for this long (whole iterations), not `iterations`
    churn: bool = False  # a configuration change after each scenario (endurance.churn)


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    iteration: int
    seconds: float  # the scenario's own steps
    settle_s: float  # then until the cluster settled (or the wait gave up)
    steps: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class CtsReport:
    config: CtsConfig
    results: tuple[ScenarioResult, ...]
    not_in_vigil: tuple[catalog.ScenarioInfo, ...]
    aborted: str | None = None  # why the run stopped before its end
    seconds: float = 0.0
    audit_counts: tuple[tuple[str, int], ...] = field(default=())
    memory: tuple[MemorySample, ...] = ()  # every vigild's, after each settle

    @property
    def passed(self) -> bool:
        return self.aborted is None and all(r.passed for r in self.results)


def plan(config: CtsConfig) -> Iterator[tuple[int, str]]:
    """(iteration, scenario) in the order the run takes them: each iteration every scenario
    once, in an order drawn from the seed; without end when the run is timed (`minutes`)."""
    rng = random.Random(config.seed)
    for i in itertools.count(1) if config.minutes is not None else \
            range(1, config.iterations + 1):
        names = list(config.scenarios)
        rng.shuffle(names)
        yield from ((i, n) for n in names)


def create_resources(lab: Lab, w: World) -> None:
    lab.configure_fencing(w.nodes[0])
    for args in _RESOURCES:
        w.vigil_ok(w.nodes[0], list(args))


def run_cts(config: CtsConfig, out: Callable[[str], None] = print,
            on_memory: Callable[[MemorySample], None] | None = None) -> CtsReport:
    """The whole run; the lab is torn down whatever happens. `on_memory` gets each vigild
    memory sample as it is taken (a long run's curve survives the run's interruption)."""
    for n in config.scenarios:
        if n not in SCENARIOS:
            raise LabError(f"vigil does not run the CTS scenario {n!r}")
    t0 = time.monotonic()
    results: list[ScenarioResult] = []
    memory: list[MemorySample] = []
    aborted: str | None = None
    Lab.down_by_name(config.name, graceful=False)
    lab = Lab.up(nodes=config.nodes, token_ms=config.token_ms, name=config.name, timeout=90)
    try:
        w = World(lab, LAYOUT)
        create_resources(lab, w)
        first, settle = w.wait_settled(w.log_offsets(), SETTLE_TIMEOUT_S)
        out(f"lab {config.name}: {config.nodes} nodes, fencing, the CTS resources "
            f"(settled in {settle:.1f} s)")
        rng = random.Random(config.seed)
        churned = ChurnState()
        deadline = None if config.minutes is None else t0 + config.minutes * 60
        for iteration, name in plan(config):
            if deadline is not None and time.monotonic() >= deadline and \
                    iteration > (results[-1].iteration if results else 0):
                break  # timed: whole iterations only
            offsets = w.log_offsets()
            started = time.monotonic()
            outcome = run_scenario(name, w, rng)
            if config.churn:
                _churn(w, rng, outcome, churned, offsets)
            took = time.monotonic() - started
            snap, settle_s = w.wait_settled(offsets, SETTLE_TIMEOUT_S)
            for m in endurance.sample(w, time.monotonic() - t0):
                memory.append(m)
                if on_memory is not None:
                    on_memory(m)
            found = tuple(outcome.findings) + tuple(audits.audit(snap, outcome.allowed))
            r = ScenarioResult(name, iteration, round(took, 1), round(settle_s, 1),
                               tuple(outcome.steps), found)
            results.append(r)
            out(render_result(r))
    except LabError as exc:
        aborted = str(exc)
    except subprocess.TimeoutExpired as exc:  # a lab step outside the World's wrappers
        aborted = f"{exc.cmd[0] if exc.cmd else 'a command'} did not finish within {exc.timeout:g} s"
    finally:
        lab.down(graceful=False, purge=True)
    counts = audits.by_audit([f for r in results for f in r.findings])
    return CtsReport(config, tuple(results),
                     tuple(s for s in catalog.CATALOG if s.missing is not None), aborted,
                     round(time.monotonic() - t0, 1), tuple(counts.items()), tuple(memory))


def _churn(w: World, rng: random.Random, o: Outcome, st: ChurnState,
           offsets: dict[str, int]) -> None:
    """The churn's change once the scenario's end has settled (a change asked during a
    membership change would be refused), a step that fails counted as the scenario's."""
    w.wait_settled(offsets, SETTLE_TIMEOUT_S)
    try:
        endurance.churn(w, rng, o, st)
    except LabError as exc:
        o.find("", f"a churn step failed: {exc}")


def render_result(r: ScenarioResult) -> str:
    verdict = "passed" if r.passed else f"FAILED ({len(r.findings)} findings)"
    lines = [f"[{r.iteration}] {r.name}: {verdict}; {r.seconds:.1f} s, settled "
             f"{r.settle_s:.1f} s later"]
    lines += [f"      {s}" for s in r.steps]
    lines += [f"    ! {f.audit}: {f.subject + ': ' if f.subject else ''}{f.detail}"
              for f in r.findings]
    return "\n".join(lines)


def render_report(rep: CtsReport) -> str:
    ran = len(rep.results)
    failed = [r for r in rep.results if not r.passed]
    how_long = (f"{rep.config.minutes:g} minutes" if rep.config.minutes is not None
                else f"{rep.config.iterations} iteration(s)")
    churn = ", configuration churn" if rep.config.churn else ""
    lines = ["", f"CTS (seed {rep.config.seed}, {rep.config.nodes} nodes, {how_long}{churn}): "
             f"{ran - len(failed)} of {ran} scenario runs passed every audit in "
             f"{rep.seconds:.0f} s"]
    lines.append("  audits: " + ", ".join(f"{name} {'ok' if n == 0 else f'{n} findings'}"
                                          for name, n in rep.audit_counts))
    if failed:
        lines.append("  failed: " + ", ".join(f"{r.name} (#{r.iteration})" for r in failed))
    if rep.aborted:
        lines.append(f"  stopped early: {rep.aborted}")
    lines.append("  not in vigil yet: " + "; ".join(f"{s.name} ({s.missing})"
                                                   for s in rep.not_in_vigil))
    spans = endurance.windows(rep.memory)
    if len(spans) > 1:
        lines.append("  vigild memory, every process, by quarter hour: " + "; ".join(
            f"{w.start_s / 60:.0f} min {w.min_kib / 1024:.1f}-{w.max_kib / 1024:.1f} MiB "
            f"({w.samples})" for w in spans))
    found = endurance.trends(rep.memory)
    if found:
        lines.append("  vigild memory (each process with 4 or more samples, longest first):")
        lines += [f"    {t.node} pid {t.pid}: {t.samples} samples over {t.span_s / 60:.0f} min, "
                  f"RSS {t.first_kib / 1024:.1f} -> {t.last_kib / 1024:.1f} MiB (max "
                  f"{t.max_kib / 1024:.1f}), second half's trend "
                  f"{t.slope_kib_per_h / 1024:+.2f} MiB/h" for t in found]
    return "\n".join(lines)


def scenario_names(requested: Sequence[str]) -> tuple[str, ...]:
    """The catalog names for `requested` (any case; empty: every one vigil runs). LabError
    naming the unknown ones, or saying why vigil does not run a known one."""
    if not requested:
        return catalog.RUNNABLE
    names = []
    for text in requested:
        info = catalog.lookup(text)
        if info is None:
            raise LabError(f"no CTS scenario is called {text!r}; they are: "
                           f"{', '.join(s.name for s in catalog.CATALOG)}")
        if info.missing is not None:
            raise LabError(f"vigil does not run {info.name} yet: {info.missing}")
        names.append(info.name)
    return tuple(dict.fromkeys(names))
