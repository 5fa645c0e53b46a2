"""`vigil alert ...`: pcs's grammar for alerts and their recipients."""

from __future__ import annotations

from vigil.cli import args, config_view
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import alert
from vigil.commands.alert import AlertSpec

USAGE = """\
usage: vigil [-f FILE] alert [config]
  create path=PATH [id=ID] [description=TEXT] [options k=v...] [meta k=v...]
  update ID [path=PATH] [description=TEXT] [options k=v...] [meta k=v...]
  delete|remove ID...
  recipient add ALERT_ID value=VALUE [id=ID] [description=TEXT] [options k=v...] [meta k=v...]
  recipient update RECIPIENT_ID [value=VALUE] [description=TEXT] [options k=v...] [meta k=v...]
  recipient delete|remove RECIPIENT_ID...
meta: timeout (30s by default), timestamp-format (%H:%M:%S.%06N); options: the agent's own
(passed in its environment). vigild runs the agent on node, resource and fencing events with
Pacemaker's CRM_alert_* variables, once per recipient, on the node where the event happened."""


def _spec(words: list[str]) -> AlertSpec:
    values: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    meta: list[tuple[str, str]] = []
    target = values
    for word in words:
        if word == "options":
            target = options
        elif word == "meta":
            target = meta
        elif "=" not in word:
            raise UsageError(f"'{word}': expected NAME=VALUE, 'options' or 'meta'")
        else:
            target.append(args.pair(word))
    return AlertSpec(tuple(values), tuple(options), tuple(meta))


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help:
        print(USAGE)
        return EXIT_OK
    if not words or words[0] in ("config", "show", "list"):
        inv.only()
        args.no_more(words[1:], words[0] if words else "alert")
        found = alert.alerts(inv.env())
        if inv.json:
            args.print_json(list(found))
        else:
            args.print_lines(config_view.alert_lines(found))
        return EXIT_OK
    sub, rest = words[0], words[1:]
    if sub == "recipient":
        return _recipient(inv, rest)
    if sub == "create":
        inv.only()
        return args.finish(inv, alert.create(inv.env(), _spec(rest)))
    if sub == "update":
        inv.only()
        args.need(rest, 1, "alert id")
        return args.finish(inv, alert.update(inv.env(), rest[0], _spec(rest[1:])))
    if sub in ("delete", "remove"):
        inv.only()
        args.need(rest, 1, "alert id")
        return args.finish(inv, alert.delete(inv.env(), rest))
    raise UsageError(f"unknown alert command '{sub}'")


def _recipient(inv: Invocation, rest: list[str]) -> int:
    if not rest:
        raise UsageError("alert recipient add|update|delete ...")
    sub, words = rest[0], rest[1:]
    if sub == "add":
        inv.only("force")
        args.need(words, 1, "alert id")
        return args.finish(inv, alert.recipient_add(inv.env(), words[0], _spec(words[1:]),
                                                    force=inv.force))
    inv.only()
    args.need(words, 1, "recipient id")
    if sub == "update":
        return args.finish(inv, alert.recipient_update(inv.env(), words[0], _spec(words[1:])))
    if sub in ("delete", "remove"):
        return args.finish(inv, alert.recipient_delete(inv.env(), words))
    raise UsageError(f"unknown alert recipient command '{sub}'")
