"""`vigil stonith level|fence|confirm|history|update`: fencing topology, and the fencer of the
running cluster (pcs's grammar). `stonith create|delete|config|status` are in resource_cli."""

from __future__ import annotations

import datetime as dt
import sys

from vigil.cli import args, config_view, prompt
from vigil.cli.args import EXIT_OK, EXIT_RUNTIME, Invocation, UsageError
from vigil.commands import fencing, resource
from vigil.commands.fencing import FenceEvent
from vigil.model import reports
from vigil.model.reports import ReportError
from vigil.words.messages import render_report

USAGE_LINES = """\
  update ID [k=v...] [op ACTION k=v...]... [meta k=v...] [--force]
  level [config]                     level add LEVEL NODE DEVICE[,DEVICE...] [--force]
  level delete LEVEL [target NODE] [stonith DEVICE...]   level verify
  level clear [target NODE | stonith DEVICE...]
  fence NODE [--off]                 confirm NODE [--force]
  history [show] [NODE]              (fence, confirm and history need a running cluster)"""

SUBCOMMANDS = ("update", "level", "fence", "confirm", "history")


def run(inv: Invocation, sub: str, rest: list[str]) -> int:
    if sub == "update":
        from vigil.cli import resource_cli

        inv.only("force")
        args.need(rest, 1, "device id")
        return args.finish(inv, resource.update(inv.env(), rest[0], resource_cli.parse_spec(
            rest[1:]), force=inv.force, catalog=resource_cli.catalog()))
    if sub == "level":
        return _level(inv, rest)
    if sub == "fence":
        inv.only("off")
        args.need(rest, 1, "the node to fence (stonith fence NODE)")
        args.no_more(rest[1:], rest[0])
        return _fence(inv, rest[0])
    if sub == "confirm":
        inv.only("force")
        args.need(rest, 1, "the node that is down (stonith confirm NODE)")
        args.no_more(rest[1:], rest[0])
        return _confirm(inv, rest[0])
    inv.only()
    if rest[:1] == ["show"]:
        rest = rest[1:]
    args.no_more(rest[1:], rest[0] if rest else "history")
    return _history(inv, rest[0] if rest else None)


def _level(inv: Invocation, words: list[str]) -> int:
    sub, rest = (words[0], words[1:]) if words else ("config", [])
    if sub in ("config", "show"):
        inv.only()
        args.no_more(rest, f"level {sub}")
        found = fencing.levels(inv.env())
        if inv.json:
            args.print_json(found)
        else:
            args.print_lines(config_view.level_lines(found))
        return EXIT_OK
    if sub == "add":
        inv.only("force")
        args.need(rest, 3, "level, node and devices (stonith level add LEVEL NODE "
                           "DEVICE[,DEVICE...])")
        return args.finish(inv, fencing.level_add(inv.env(), rest[0], rest[1], rest[2:],
                                                  force=inv.force))
    if sub in ("remove", "delete"):
        inv.only()
        args.need(rest, 1, "the level to remove (stonith level delete LEVEL [target NODE] "
                           "[stonith DEVICE...])")
        node, devices = _level_scope(rest[1:], f"level {sub} {rest[0]}")
        return args.finish(inv, fencing.level_remove(inv.env(), rest[0], node, devices))
    if sub == "verify":
        inv.only()
        args.no_more(rest, "level verify")
        problems = fencing.level_verify(inv.env())
        if problems:
            raise ReportError(list(problems))
        return EXIT_OK
    if sub == "clear":
        inv.only()
        node, devices = _level_scope(rest, "level clear")
        if node is not None and devices:
            raise UsageError("level clear takes target NODE or stonith DEVICE..., not both")
        return args.finish(inv, fencing.level_clear(inv.env(), node, devices))
    raise UsageError(f"unknown stonith level command '{sub}' (config, add, remove, clear)")


def _level_scope(words: list[str], after: str) -> tuple[str | None, list[str]]:
    """pcs 0.11's `[target NODE] [stonith DEVICE...]`, or pcs 0.10's `[NODE] [DEVICE...]`
    (vigil's first form): the node and the devices that narrow a level delete or clear."""
    node: str | None = None
    devices: list[str] = []
    rest = list(words)
    if rest[:1] == ["target"]:
        args.need(rest[1:], 1, "the node after 'target'")
        node, rest = rest[1], rest[2:]
    elif rest and rest[0] != "stonith":
        node, rest = rest[0], rest[1:]
    if rest[:1] == ["stonith"]:
        args.need(rest[1:], 1, "the devices after 'stonith'")
        rest = rest[1:]
    elif rest and words[:1] == ["target"]:
        raise UsageError(f"unexpected '{rest[0]}' after {after} target {node}: give "
                         "stonith DEVICE...")
    devices = [d for word in rest for d in word.split(",") if d]
    if any(w in ("target", "stonith") for w in devices):
        raise UsageError(f"{after}: give target NODE before stonith DEVICE...")
    return node, devices


def _when(epoch: int | None) -> str:
    if epoch is None:
        return "unknown time"
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _fence(inv: Invocation, node: str) -> int:
    outcome = fencing.fence(inv.env(), node, off=inv.off)
    if inv.json:
        args.print_json(outcome)
    else:
        done = "powered off" if outcome.action == "off" else "fenced"
        how = f" by {outcome.device}" if outcome.device else ""
        took = f" in {outcome.duration_ms / 1000:.1f} s" if outcome.duration_ms else ""
        print(f"Node: {node} {done}{how}{took}")
    return EXIT_OK


def _confirm(inv: Invocation, node: str) -> int:
    sys.stderr.write(f"WARNING: if node {node} is not powered off or it can still reach shared "
                     "resources, its resources will run twice: data corruption and/or cluster "
                     "failure may occur\n")
    if not inv.force:
        answer = prompt.ask(f"Are you sure {node} is down?")
        if answer is None:
            raise ReportError([reports.unless_forced(False, "CONFIRM_NEEDS_FORCE", node=node)])
        if not answer:
            sys.stderr.write(render_report(reports.info("CONFIRM_CANCELLED", node=node)) + "\n")
            return EXIT_RUNTIME
    found = fencing.confirm(inv.env(), node)
    if inv.json:
        args.print_json({"confirmed": node, "reports": [args.report_data(r) for r in found]})
    else:
        print(f"Node: {node} confirmed fenced")
    return EXIT_OK


def history_line(e: FenceEvent) -> str:
    state = "successful" if e.ok else "failed"
    how = "confirmed by hand" if e.manual else ", ".join(
        f"{k}={v}" for k, v in (("device", e.device), ("executioner", e.executioner)) if v)
    line = f"{e.action} of {e.target} {state}: {how + ', ' if how else ''}completed {_when(e.time)}"
    return line + (f" ({e.detail})" if e.detail else "")


def _history(inv: Invocation, node: str | None) -> int:
    found = fencing.history(inv.env(), node)
    if inv.json:
        args.print_json(found)
    elif found:
        args.print_lines(history_line(e) for e in found)
    else:
        print(f"No fencing history{' for ' + node if node else ''}")
    return EXIT_OK
