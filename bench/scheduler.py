#!/usr/bin/env python3
"""vigil's scheduler against crm_simulate (Pacemaker 2.1.5) on large generated CIBs.

Usage:
  python3 bench/scheduler.py [--sizes 8x100 16x500 32x1000 32x2000 32x10000] [--runs 3] [--timeout 300]
                             [--only vigil|crm_simulate] [--json] [--dir /tmp/vigil-bench]

Each size NODESxRESOURCES is one CIB from the shared harness's gencib.py, made exactly as the
harness's perf.py makes it (seed 7, 0.6 location, 0.3 colocation and 0.3 order constraints per
resource), so the numbers compare with the anchor in shared/conformance/README.md: crm_simulate -R
takes 0.14 s / 30 MiB on 8x100, 1.25 s / 127 MiB on 16x500, 5.4 s / 327 MiB on 32x1000 and
54 s / 635 MiB on 32x2000. ARCHITECTURE.md's target for vigil: 32x2000 in under a second.

Both tools run on the same file, alternately, --runs times each: wall time (median) and peak RSS
(the largest, from os.wait4's rusage of the child). The table's ratio is vigil's time over
crm_simulate's. "same" says whether both printed the same Transition Summary (the harness's loose
comparison). A run that exceeds --timeout is killed with its process group; that tool is not run
again on that size (crm_simulate does not finish 32x10000 within the default 300 s).

vigil's modules are byte-compiled before the first run, as an installed package's are: run from a
checkout with PYTHONDONTWRITEBYTECODE set, each run would otherwise compile every module anew and
time the compiler (about half a second).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO.parent / "shared" / "conformance" / "harness"
DEFAULT_SIZES = ["8x100", "16x500", "32x1000", "32x2000", "32x10000"]
SEED, LOC, COLOC, ORDER = 7, "0.6", "0.3", "0.3"     # perf.py's defaults
TOOLS = {
    "crm_simulate": "crm_simulate -x {input} -R",
    "vigil": f"{shlex.quote(sys.executable)} -m vigil.cli.main simulate --xml-file {{input}}",
}


@dataclass
class Run:
    wall: float
    rss_kib: int
    rc: int
    output: str
    error: str


@dataclass
class Measurement:
    tool: str
    command: str
    walls: list[float] = field(default_factory=list)
    rss_kib: int = 0
    timed_out: bool = False
    rc: int = 0
    error: str = ""
    summary_lines: int | None = None
    output: str = field(default="", repr=False)

    @property
    def wall(self) -> float | None:
        """Median wall time of the successful runs; None if the tool failed or timed out."""
        return statistics.median(self.walls) if self.walls and not self.failed else None

    @property
    def failed(self) -> bool:
        return self.timed_out or self.rc != 0


def run_once(argv: list[str], timeout: float) -> Run | None:
    """Run argv, return wall time and peak RSS (KiB) of the child, or None on timeout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            with contextlib.suppress(ProcessLookupError):     # it ended just now
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)   # reaped here, not by Popen
        if expired.is_set():
            return None
        out.seek(0)
        err.seek(0)
        return Run(wall=wall, rss_kib=usage.ru_maxrss, rc=proc.returncode,
                   output=out.read().decode(errors="replace"), error=err.read().decode(errors="replace"))


def cib_path(directory: Path, size: str) -> Path:
    """The CIB of one size, generated on first use the way perf.py generates it."""
    nodes, resources = size.split("x")
    prefix = f"perf{size}-c{LOC}-{COLOC}-{ORDER}"
    path = directory / f"{prefix}-s{SEED}-0000-n{nodes}-r{resources}.xml"
    if not path.exists():
        subprocess.run([sys.executable, str(HARNESS / "gencib.py"), "--out", str(directory), "--count", "1",
                        "--nodes", nodes, "--resources", resources, "--prefix", prefix, "--seed", str(SEED),
                        "--loc", LOC, "--coloc", COLOC, "--order", ORDER],
                       check=True, stdout=subprocess.DEVNULL)
    return path


def compile_vigil() -> None:
    """Byte-compile the vigil package the timed command imports (the one on this PYTHONPATH)."""
    where = subprocess.run([sys.executable, "-c", "import os, vigil; print(os.path.dirname(vigil.__file__))"],
                           check=True, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", where], check=True, stdout=subprocess.DEVNULL)


def load_tsum() -> ModuleType | None:
    """The harness's Transition Summary parser, if the harness is there."""
    sys.path.insert(0, str(HARNESS))
    try:
        import tsum
    except ImportError:
        return None
    finally:
        sys.path.pop(0)
    return tsum


def measure(tools: list[str], path: Path, *, runs: int, timeout: float, tsum: ModuleType | None,
            log: bool) -> dict[str, Measurement]:
    results = {t: Measurement(tool=t, command=TOOLS[t]) for t in tools}
    for i in range(runs):
        for tool in tools:               # alternate, so that drift hits both alike
            m = results[tool]
            if m.failed:
                continue
            argv = shlex.split(TOOLS[tool].format(input=shlex.quote(str(path))))
            try:
                r = run_once(argv, timeout)
            except OSError as exc:          # e.g. crm_simulate not installed
                m.rc, m.error = 127, f"cannot run {argv[0]}: {exc}"
                continue
            if r is None:
                m.timed_out = True
                if log:
                    print(f"  {tool} run {i + 1}: timeout after {timeout:g} s", file=sys.stderr)
                continue
            m.walls.append(r.wall)
            m.rss_kib = max(m.rss_kib, r.rss_kib)
            m.rc, m.output = r.rc, r.output
            if r.rc != 0:
                m.error = r.error.strip()[-500:]
            if tsum is not None:
                m.summary_lines = len(tsum.section(r.output))
            if log:
                print(f"  {tool} run {i + 1}: {r.wall:.2f} s, {r.rss_kib / 1024:.0f} MiB, rc={r.rc}",
                      file=sys.stderr)
    return results


def same_summary(results: dict[str, Measurement], tsum: ModuleType | None) -> bool | None:
    a, b = results.get("crm_simulate"), results.get("vigil")
    if tsum is None or a is None or b is None or a.failed or b.failed:
        return None
    return bool(tsum.summary(a.output) == tsum.summary(b.output))


def as_json(m: Measurement) -> dict[str, object]:
    d: dict[str, object] = asdict(m)
    del d["output"]
    d["wall"] = m.wall
    return d


def cell_time(m: Measurement | None, timeout: float) -> str:
    if m is None:
        return "-"
    if m.timed_out:
        return f">{timeout:g} (timeout)"
    if m.rc != 0:
        return f"error rc={m.rc}"
    return f"{m.wall:.2f}"


def cell_rss(m: Measurement | None) -> str:
    return f"{m.rss_kib / 1024:.0f}" if m is not None and m.walls and not m.failed else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES, help="NODESxRESOURCES, e.g. 16x500")
    ap.add_argument("--runs", type=int, default=1, help="runs per tool and size (median wall time)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    ap.add_argument("--only", choices=sorted(TOOLS), help="time only this tool")
    ap.add_argument("--json", action="store_true", help="print JSON instead of the table")
    ap.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "vigil-bench",
                    help="where the generated CIBs are kept (and reused)")
    a = ap.parse_args(argv)
    for size in a.sizes:
        if not re.fullmatch(r"\d+x\d+", size):
            ap.error(f"size {size!r} is not NODESxRESOURCES")
    if not (HARNESS / "gencib.py").is_file():
        print(f"no harness at {HARNESS}: shared/ must sit next to the repository's root", file=sys.stderr)
        return 2
    tools = [a.only] if a.only else ["crm_simulate", "vigil"]
    a.dir.mkdir(parents=True, exist_ok=True)
    tsum = load_tsum()
    if "vigil" in tools:
        compile_vigil()

    rows = []
    if not a.json:
        print(f"median of {a.runs} run(s), timeout {a.timeout:g} s per run")
        print("| nodes x rscs | constraints | CIB MB | crm_simulate s | MiB | vigil s | MiB "
              "| vigil/crm time | same summary |")
        print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for size in a.sizes:
        path = cib_path(a.dir, size)
        text = path.read_text(encoding="utf-8")
        constraints = len(re.findall(r"<rsc_(?:location|colocation|order) ", text))
        results = measure(tools, path, runs=a.runs, timeout=a.timeout, tsum=tsum, log=not a.json)
        crm, vigil = results.get("crm_simulate"), results.get("vigil")
        ratio = vigil.wall / crm.wall if crm and vigil and crm.wall and vigil.wall else None
        same = same_summary(results, tsum)
        rows.append({"size": size, "cib": str(path), "cib_bytes": len(text), "constraints": constraints,
                     "ratio": ratio, "same_summary": same,
                     "tools": {t: as_json(m) for t, m in results.items()}})
        if not a.json:
            nodes, resources = size.split("x")
            print(f"| {nodes} x {resources} | {constraints} | {len(text) / 1e6:.1f} "
                  f"| {cell_time(crm, a.timeout)} | {cell_rss(crm)} "
                  f"| {cell_time(vigil, a.timeout)} | {cell_rss(vigil)} "
                  f"| {'-' if ratio is None else f'{ratio:.2f}'} "
                  f"| {'-' if same is None else 'yes' if same else 'NO'} |", flush=True)
            for m in results.values():
                if m.error:
                    print(f"  {m.tool} rc={m.rc}: {m.error.splitlines()[-1]}", file=sys.stderr)
    if a.json:
        print(json.dumps(rows, indent=1))
    errors = any(m["rc"] != 0 for row in rows for m in row["tools"].values())
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
