"""Drives the shared conformance harness (shared/conformance/harness, stdlib only) from pytest.

shared/ is the sibling of the repository's root (/work/shared next to /work/main); the fixtures in
conftest.py skip the conformance tests, with the reason, when it is absent.

The scheduler under test is `vigil simulate`, run as `python -m vigil.cli.main` with this
interpreter. VIGIL_CONFORMANCE_CANDIDATE replaces it with another command template (a plain
command, no shell syntax; placeholders {input} and {args}), e.g. 'crm_simulate -x {input} -S {args}'
to check this plumbing against Pacemaker itself, which must pass every case.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
HARNESS = SHARED / "conformance" / "harness"
CORPUS = SHARED / "conformance" / "pacemaker-2.1.5"
FLOORS = Path(__file__).with_name("floors.json")
WRAPPER = Path(__file__).with_name("candidate.py")
CANDIDATE_ENV = "VIGIL_CONFORMANCE_CANDIDATE"
ORACLE = "crm_simulate -x {input} -R {args}"


def candidate_template() -> str:
    """The command template of the scheduler under test."""
    override = os.environ.get(CANDIDATE_ENV)
    if override:
        return override
    return f"{shlex.quote(sys.executable)} -m vigil.cli.main simulate --xml-file {{input}} {{args}}"


def candidate_label() -> str:
    """How the measurements name the scheduler under test."""
    override = os.environ.get(CANDIDATE_ENV)
    return f"candidate {override!r}" if override else "vigil"


@dataclass(frozen=True)
class CheckRun:
    """One `conform.py check` run: the per-case entries of its --report, and how long it took."""

    cases: list[dict[str, Any]] = field(repr=False)
    seconds: float
    output: str = field(repr=False)

    def judged(self, tier: int | None = None) -> list[dict[str, Any]]:
        """Cases that ran and were compared (status pass or fail), optionally of one tier."""
        return [c for c in self.cases
                if c["status"] in ("pass", "fail") and (tier is None or c["tier"] == tier)]

    def passed(self, tier: int | None = None) -> int:
        return sum(c["status"] == "pass" for c in self.judged(tier))

    def total(self, tier: int | None = None) -> int:
        return len(self.judged(tier))

    def tiers(self) -> list[int]:
        return sorted({c["tier"] for c in self.judged()})

    def failures(self, tier: int | None = None) -> list[dict[str, Any]]:
        return [c for c in self.judged(tier) if c["status"] == "fail"]

    def candidate_seconds(self) -> float:
        """Mean wall time of the candidate per judged case."""
        judged = self.judged()
        return sum(c["secs"] for c in judged) / len(judged) if judged else 0.0

    def describe_failures(self, tier: int | None = None, limit: int = 15) -> str:
        """The first failures, with the summary lines missing (-) and unexpected (+)."""
        out = []
        failures = self.failures(tier)
        for c in failures[:limit]:
            out.append(f"  {c['name']} [tier {c['tier']}]" + (f" rc={c['rc']}" if c["rc"] else ""))
            out += [f"    - {line}" for line in c["missing"]]
            out += [f"    + {line}" for line in c["unexpected"]]
            if c.get("stderr"):
                out.append(f"    stderr: {c['stderr'].splitlines()[-1]}")
        if len(failures) > limit:
            out.append(f"  ... and {len(failures) - limit} more")
        return "\n".join(out)


class Harness:
    """The harness's three tools: gencib.py, `conform.py gen` and `conform.py check`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _run(self, script: str, args: Sequence[str | Path], *, timeout: float,
             ok: Sequence[int] = (0,)) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, str(self.directory / script), *map(str, args)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False)
        if proc.returncode not in ok:
            pytest.fail(f"{shlex.join(cmd)} exited {proc.returncode}:\n"
                        f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        return proc

    def gencib(self, *, out: Path, prefix: str, seed: int, count: int, nodes: str, resources: str,
               extra: Sequence[str] = ()) -> None:
        self._run("gencib.py", ["--out", out, "--prefix", prefix, "--seed", str(seed), "--count", str(count),
                                "--nodes", nodes, "--resources", resources, *extra], timeout=120)

    def gen(self, *, inputs: Path, out: Path, oracle: str = ORACLE, timeout: float = 600) -> int:
        """Ask the oracle for the expected summaries; returns how many it answered."""
        args: list[str | Path] = ["gen", "--inputs", inputs, "--out", out, "--oracle", oracle]
        self._run("conform.py", args, timeout=timeout)
        return sum(1 for p in out.iterdir() if p.suffix == ".summary")

    def check(self, *, inputs: Path, expected: Path, report: Path, budget: float, case_timeout: float,
              tiers: Sequence[int] = (), case_args: Path | None = None) -> CheckRun:
        """Run the candidate on every input, within `budget` seconds for the whole run.

        Cases still unstarted or running when the budget runs out fail (see candidate.py)."""
        deadline = time.time() + budget
        wrapper = f"{shlex.quote(sys.executable)} {shlex.quote(str(WRAPPER))} --deadline {deadline:.3f} --"
        candidate = f"{wrapper} {candidate_template()}"
        args: list[str | Path] = ["check", "--inputs", inputs, "--expected", expected, "--report", report,
                                  "--candidate", candidate, "--timeout", str(case_timeout)]
        for tier in tiers:
            args += ["--tier", str(tier)]
        if case_args is not None:
            args += ["--case-args", case_args]
        report.unlink(missing_ok=True)
        t0 = time.monotonic()
        # exit 1 only says that some case failed
        proc = self._run("conform.py", args, timeout=budget + case_timeout + 60, ok=(0, 1))
        seconds = time.monotonic() - t0
        if not report.exists():   # the harness writes it last: no report means it broke
            pytest.fail(f"conform.py check wrote no report:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        cases = json.loads(report.read_text(encoding="utf-8"))
        return CheckRun(cases=cases, seconds=seconds, output=proc.stdout)
