"""`vigil resource failcount show|reset` (pcs's grammar)."""

from __future__ import annotations

import datetime as dt

from vigil.cli import args
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import failcount
from vigil.commands.failcount import FailCount, OperationFailures
from vigil.model.score import format_score

USAGE_LINES = """\
  failcount [show] [ID [NODE]] [node=NODE] [--full]
  failcount reset ID [NODE] [node=NODE]"""


def _when(epoch: int | None) -> str:
    if epoch is None:
        return "unknown"
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _seconds(value: int) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value}s"


def _operation(o: OperationFailures) -> str:
    if o.operation is None:
        return format_score(o.count)
    interval = f" {_seconds(o.interval_ms // 1000)}" if o.interval_ms else ""
    return f"{o.operation}{interval}: {format_score(o.count)}"


def lines(found: tuple[FailCount, ...], resource: str | None, *, full: bool) -> list[str]:
    if not found:
        return [f"No failcounts for resource '{resource}'" if resource else "No failcounts"]
    out: list[str] = []
    current = None
    for fc in found:
        if fc.resource != current:
            current = fc.resource
            out.append(f"Failcounts for resource '{fc.resource}'")
        notes = [f"last failure {_when(fc.last_failure)}"]
        if fc.expired:
            notes.append(f"expired: failure-timeout {_seconds(fc.failure_timeout_s or 0)} "
                         "has passed, no longer counted")
        elif fc.failure_timeout_s:
            notes.append(f"expires {_when((fc.last_failure or 0) + fc.failure_timeout_s)}")
        out.append(f"  {fc.node}: {format_score(fc.count)} ({'; '.join(notes)})")
        if full:
            out += [f"    {_operation(o)}" for o in fc.operations if o.operation is not None]
    return out


def run(inv: Invocation, words: list[str]) -> int:
    sub, rest = (words[0], words[1:]) if words else ("show", [])
    if sub not in ("show", "reset"):
        if sub.startswith("-") or "=" in sub:
            raise UsageError(f"unknown failcount command '{sub}' (show, reset)")
        sub, rest = "show", words  # `failcount ID`, as pcs takes it
    if len(rest) > 1 and inv.node is not None:
        raise UsageError("give the node once: as a word or with --node")
    args.no_more(rest[2:], rest[1] if len(rest) > 1 else "failcount")
    node = rest[1] if len(rest) > 1 else inv.node
    if sub == "reset":
        inv.only("node")
        args.need(rest, 1, "resource id (resource failcount reset ID [NODE])")
        return args.finish(inv, failcount.reset(inv.env(), rest[0], node))
    inv.only("node", "full")
    resource = rest[0] if rest else None
    found = failcount.show(inv.env(), resource, node)
    if inv.json:
        args.print_json(found)
    else:
        args.print_lines(lines(found, resource, full=inv.full))
    return EXIT_OK

