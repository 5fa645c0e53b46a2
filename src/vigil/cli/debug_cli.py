"""`vigil resource debug-start|debug-stop|debug-monitor|debug-promote|debug-demote|
debug-validate ID [--full]`: one action of the resource's agent, run here by hand."""

from __future__ import annotations

import sys

from vigil.cli import args
from vigil.cli.args import Invocation
from vigil.commands import debug_action

WORDS = {"debug-start": "start", "debug-stop": "stop", "debug-monitor": "monitor",
         "debug-promote": "promote", "debug-demote": "demote",
         "debug-validate": "validate-all"}


def run(inv: Invocation, sub: str, rest: list[str]) -> int:
    inv.only("full")
    args.need(rest, 1, "resource id")
    args.no_more(rest[1:], sub)
    action = WORDS[sub]
    run_ = debug_action.run_action(inv.env(), rest[0], action)
    args.print_reports(run_.warnings)
    r = run_.result
    if inv.json:
        args.print_json(r)
        return int(r.rc)
    print(f"Operation force-{action} for {run_.resource} ({run_.agent}) returned: "
          f"'{r.rc.name.lower()}' ({int(r.rc)})" + (f" [{r.status.name.lower()}]"
                                                    if r.status.name != "DONE" else ""))
    if r.exit_reason:
        print(f" >  exit reason: {r.exit_reason}")
    limit = None if inv.full else 40  # the last lines; --full: all the agent printed
    for name, text in (("stdout", r.stdout), ("stderr", r.stderr)):
        lines = text.rstrip("\n").splitlines()
        for line in lines if limit is None else lines[-limit:]:
            print(f" >  {name}: {line}")
    sys.stdout.flush()
    return int(r.rc)
