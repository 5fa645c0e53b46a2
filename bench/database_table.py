"""The README's table of the database benchmark, from its result files: for each fault and
token setting, each stack's min / median / max write downtime, acknowledged commits lost, and
how many old primaries streamed again by themselves (bench/results/database-STACK-TOKEN-FAULT.jsonl,
written by bench/run-database-campaign.sh; the last line of each is its summary).

    python3 bench/database_table.py [RESULTS_DIR]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

STACKS = (("vigil", "vigil"), ("pacemaker", "Pacemaker 2.1.5 + PAF"), ("patroni", "Patroni + etcd"))
FAULTS = ("powercut", "kill", "switchover")
TOKENS = ("default", "1000")


def summary(results: Path, stack: str, token: str, fault: str) -> dict[str, Any] | None:
    path = results / f"database-{stack}-{token}-{fault}.jsonl"
    if not path.exists():
        return None
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        return None
    last: dict[str, Any] = json.loads(lines[-1])
    return last if "median_downtime_s" in last else None


def cell(s: dict[str, Any] | None) -> str:
    if s is None:
        return "not measured"
    if not s["runs"] and s.get("aborted"):
        return f"no run ({s['aborted']})"
    if not s["recovered"]:
        return f"no run recovered ({s['runs']} runs)"

    def sec(x: float | None) -> str:
        return "-" if x is None else f"{x:.1f}"

    back = f"{s['rejoined']}/{s['runs']} rejoined"
    text = (f"{sec(s['min_downtime_s'])} / **{sec(s['median_downtime_s'])}** / "
            f"{sec(s['max_downtime_s'])} s; {s['lost_commits']} of {s['acked_commits']} lost; "
            f"{back}")
    if s["recovered"] != s["runs"]:
        text += f"; {s['runs'] - s['recovered']} of {s['runs']} runs never recovered"
    if s.get("aborted"):
        text += f"; the cell stopped at {s['aborted'].split(':')[0]} (see its file)"
    return text


def table(results: Path) -> str:
    head = "| fault | token | " + " | ".join(label for _, label in STACKS) + " |"
    rows = [head, "|" + "---|" * (len(STACKS) + 2)]
    for fault in FAULTS:
        for token in TOKENS:
            cells = [cell(summary(results, stack, token, fault)) for stack, _ in STACKS]
            label = "Corosync's default" if token == "default" else "1000 ms"
            rows.append(f"| {fault} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    results = Path(argv[0]) if argv else Path(__file__).resolve().parent / "results"
    if not results.is_dir():
        print(f"database_table: {results} is not a directory of results", file=sys.stderr)
        return 2
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
