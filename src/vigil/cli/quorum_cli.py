"""`vigil quorum ...`: votequorum on this node's running Corosync, and the quorum device in
corosync.conf (pcs's grammar)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from vigil.cli import args, node_outcomes, prompt
from vigil.cli.args import EXIT_OK, EXIT_RUNTIME, Invocation, UsageError
from vigil.commands import cluster_all, qdevice_net, quorum
from vigil.commands.runner import LocalRunner, Runner
from vigil.model import reports
from vigil.model.reports import Report, ReportError
from vigil.words.messages import render_report

# The seam the tests replace with a scripted runner.
runner: Callable[[], Runner] = LocalRunner

USAGE = """\
usage: vigil quorum COMMAND ...       (on this node's Corosync; no -f)
  [status]                            quorum status (corosync-quorumtool -s)
  config                              the quorum section of corosync.conf
  expected-votes N                    set expected votes in the running cluster only
  unblock [--force]                   stop waiting for all nodes (wait_for_all) before quorum
  device add [timeout=MS] [sync_timeout=MS] [votes=N] model net host=ADDR
             [algorithm=ffsplit|lms] [port=N] [tls=on|off|required] [tie_breaker=...] [--force]
  device remove                       device status [--full]
corosync.conf is /etc/corosync/corosync.conf (or --corosync_conf PATH, or $VIGIL_COROSYNC_CONF);
device add and remove change it on this node only: copy it to every node."""


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help:
        print(USAGE)
        return EXIT_OK
    if inv.file is not None:
        raise UsageError("quorum commands work on Corosync, not on a CIB file: give "
                         "--corosync_conf PATH to name corosync.conf")
    sub, rest = (words[0], words[1:]) if words else ("status", [])
    if sub == "status":
        inv.only()
        args.no_more(rest, "quorum status")
        return _status(inv)
    if sub == "config":
        inv.only("corosync_conf")
        args.no_more(rest, "quorum config")
        return _config(inv)
    if sub == "expected-votes":
        inv.only()
        args.need(rest, 1, "the number of expected votes (quorum expected-votes N)")
        args.no_more(rest[1:], rest[0])
        return _done(inv, quorum.set_expected_votes(runner(), rest[0]))
    if sub == "unblock":
        inv.only("force", "corosync_conf")
        args.no_more(rest, "quorum unblock")
        return _unblock(inv)
    if sub == "device":
        return _device(inv, rest)
    raise UsageError(f"unknown quorum command '{sub}'")


def _done(inv: Invocation, found: tuple[Report, ...]) -> int:
    if inv.json:
        args.print_json({"reports": [args.report_data(r) for r in found]})
    else:
        args.print_reports(found)
    return EXIT_OK


def _status(inv: Invocation) -> int:
    state = quorum.status(runner())
    if inv.json:
        data = args.to_data(state)
        del data["text"]
        data.update(wait_for_all=state.wait_for_all, two_node=state.two_node)
        args.print_json(data)
    else:
        sys.stdout.write(state.text if state.text.endswith("\n") else state.text + "\n")
    return EXIT_OK


def _config(inv: Invocation) -> int:
    found = quorum.quorum_config(inv.corosync_conf)
    if inv.json:
        args.print_json(found)
        return EXIT_OK
    lines = ["Options:"] + [f"  {k}: {v}" for k, v in found.options]
    dev = found.device
    if dev is not None:
        lines += ["Device:"] + [f"  {k}: {v}" for k, v in dev.generic_options]
        lines += [f"  Model: {dev.model}", f"    host: {dev.host}",
                  f"    algorithm: {dev.algorithm}"]
        lines += [f"    {k}: {v}" for k, v in dev.model_options]
    args.print_lines(lines)
    return EXIT_OK


def _unblock(inv: Invocation) -> int:
    tools = runner()
    waiting = quorum.blocked(tools, inv.corosync_conf)
    if not inv.force:
        missing = ", ".join(waiting.missing_nodes) or "that have not joined"
        sys.stderr.write(f"WARNING: if the nodes {missing} are not powered off, or still reach "
                         "shared resources, data corruption and/or cluster failure may "
                         "occur\n")
        answer = prompt.ask("Are you sure you want to continue?")
        if answer is None:
            raise ReportError([reports.unless_forced(False, "QUORUM_UNBLOCK_NEEDS_FORCE")])
        if not answer:
            sys.stderr.write(render_report(reports.info("QUORUM_UNBLOCK_CANCELLED")) + "\n")
            return EXIT_RUNTIME
    return _done(inv, quorum.unblock(tools))


def _whole_cluster(inv: Invocation) -> bool:
    """`quorum device add|remove` acts on every node when this node is in a cluster whose nodes
    are all authenticated here (`vigil host auth`), as pcs's does through pcsd; on this node's
    corosync.conf only when none is (or a file is named: --corosync_conf, $VIGIL_COROSYNC_CONF),
    and the operator is told what to do on the others. Some but not all: refused, naming them."""
    if inv.corosync_conf or os.environ.get(quorum.CONF_ENV) \
            or not os.path.exists(quorum.COROSYNC_CONF):
        return False
    nodes = cluster_all.cluster_nodes()
    every = cluster_all.every_node_known(nodes)
    if every is None:
        cluster_all.known(nodes)  # raises, naming the nodes not authenticated here
    return bool(every)


def _cluster_change(inv: Invocation, change: cluster_all.DeviceChange) -> int:
    if inv.json:
        args.print_json(change)
        return EXIT_OK if change.ok else EXIT_RUNTIME
    args.print_reports(change.reports)
    if change.adding:
        node_outcomes.print_each(change.certified, lambda r: f"certificates in {r.path}")
    node_outcomes.print_each(change.services if not change.adding else (), _service_line)
    node_outcomes.print_each(change.updated, lambda r: "corosync.conf updated")
    if change.reloaded is not None:
        node_outcomes.print_each((change.reloaded,), lambda r: "Corosync reloaded")
    node_outcomes.print_each(change.services if change.adding else (), _service_line)
    if not change.adding:
        node_outcomes.print_each(change.certified, lambda r: f"{r.path} removed")
    node_outcomes.print_each(change.undone, lambda r: "given back its previous state (the "
                             "change did not reach every node)")
    return EXIT_OK if change.ok else EXIT_RUNTIME


def _service_line(r: qdevice_net.ServiceChange) -> str:
    verb = "started" if r.running else "stopped"
    how = " and enabled at boot" if r.systemd and r.running else \
        " and disabled at boot" if r.systemd else ""
    return f"{r.service} {verb}{how}" + ("" if r.changed else f" (it was {verb} already)")


def _device(inv: Invocation, words: list[str]) -> int:
    if not words:
        raise UsageError("quorum device takes add, remove or status")
    sub, rest = words[0], words[1:]
    if sub == "add":
        inv.only("force", "corosync_conf")
        if "model" not in rest:
            raise UsageError("give the device's model: quorum device add model net host=ADDR")
        at = rest.index("model")
        if at + 1 >= len(rest) or "=" in rest[at + 1]:
            raise UsageError("'model' must be followed by the model's name (net)")
        model, generic, options = rest[at + 1], args.pairs(rest[:at]), args.pairs(rest[at + 2:])
        if _whole_cluster(inv):
            return _cluster_change(inv, cluster_all.device_add(
                model=model, model_options=options, generic_options=generic, force=inv.force))
        change = quorum.add_device(inv.corosync_conf, model=model, generic_options=generic,
                                   model_options=options, force=inv.force)
        return _done(inv, change.reports)
    if sub in ("remove", "delete"):
        inv.only("corosync_conf", "force")
        args.no_more(rest, f"quorum device {sub}")
        if _whole_cluster(inv):
            return _cluster_change(inv, cluster_all.device_remove(force=inv.force))
        if inv.force:
            raise UsageError("--force is for a removal across the cluster (a node that is "
                             "down): this one changes this node's corosync.conf only")
        return _done(inv, quorum.remove_device(inv.corosync_conf).reports)
    if sub == "status":
        inv.only("full")
        args.no_more(rest, "quorum device status")
        text = quorum.device_status(runner(), full=inv.full)
        if inv.json:
            parsed = quorum.parse_device_status(text)
            args.print_json({"status": text, **args.to_data(parsed), "connected": parsed.connected})
        else:
            sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        return EXIT_OK
    raise UsageError(f"unknown quorum device command '{sub}' (add, remove, status)")
