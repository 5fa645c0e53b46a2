"""`vigil cluster setup|start|stop|destroy`: parsing their words, rendering their results."""

from __future__ import annotations

from pathlib import Path

from vigil.cli import args
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.cli.messages import render_report
from vigil.commands import cluster
from vigil.commands.localnode import LocalNode
from vigil.model.reports import Report, Severity

NO_AGENT = "vigil has no remote agent (like pcs's pcsd)"


def parse_node(word: str) -> cluster.NodeSpec:
    """NODE or NODE=ADDR[,ADDR2]."""
    name, eq, addrs = word.partition("=")
    if not eq:
        return cluster.NodeSpec(name)
    listed = tuple(a.strip() for a in addrs.split(","))
    if not name or not addrs or any(not a for a in listed):
        raise UsageError(f"'{word}' is not NODE or NODE=ADDR[,ADDR2]")
    return cluster.NodeSpec(name, listed)


def _token(inv: Invocation) -> int | None:
    if inv.token is None:
        return None
    try:
        return int(inv.token)
    except ValueError:
        raise UsageError(f"--token takes milliseconds (an integer), not '{inv.token}'") from None


def _reports(found: tuple[Report, ...]) -> None:
    args.print_reports(r for r in found if r.severity is not Severity.INFO)


def run_setup(inv: Invocation, words: list[str]) -> int:
    inv.only("force", "token", "out")
    args.need(words, 2, "cluster name and nodes (cluster setup NAME NODE[=ADDR[,ADDR2]]...)")
    nodes = [parse_node(w) for w in words[1:]]
    result = cluster.setup(LocalNode(), words[0], nodes, token_ms=_token(inv), force=inv.force,
                           out=Path(inv.out) if inv.out is not None else None)
    if inv.json:
        args.print_json(result)
        return EXIT_OK
    _reports(result.reports)
    links = len(result.nodes[0].addrs)
    lines = [f"Cluster '{result.cluster_name}': {len(result.nodes)} node"
             f"{'s' if len(result.nodes) != 1 else ''}, knet ({links} link{'s' if links > 1 else ''}), "
             f"crypto aes256/sha256"]
    lines += [f"  {n.name} (id {n.nodeid}): {', '.join(n.addrs)}" for n in result.nodes]
    if result.out is None:
        lines.append("Written on this machine:")
        lines += [f"  {f.path} (mode {f.mode:04o})" for f in result.files]
        if result.unit:
            lines.append(f"  {result.unit} (the systemd unit of vigild)")
        if result.copy_to:
            names = ", ".join(result.copy_to)
            lines += [f"Every other node ({names}) needs the same three files, at the same "
                      "paths (the authkey with mode 0400, owner root):",
                      *[f"  {p}" for p in result.needed],
                      f"{NO_AGENT}: copy them yourself, for example:",
                      *[f"  tar -C / -cpf - {' '.join(p.lstrip('/') for p in result.needed)}"
                        f" | ssh root@{n} tar -C / -xpf -" for n in result.copy_to]]
    else:
        lines.append(f"A bundle for each node in {result.out} (read {result.out}/README.txt):")
        lines += [f"  {f.path} (mode {f.mode:04o})" for f in result.files if f.node is not None]
        lines += [f"{NO_AGENT}: copy each node's directory onto that node's root, for example:",
                  *[f"  tar -C {Path(result.out) / n} -cpf - etc | ssh root@{n} tar -C / -xpf -"
                    for n in result.copy_to]]
    lines.append("Then run 'vigil cluster start' on every node.")
    args.print_lines(lines)
    return EXIT_OK


def run_start(inv: Invocation, words: list[str]) -> int:
    inv.only("all")
    args.no_more(words, "cluster start")
    result = cluster.start(LocalNode(), wait=inv.wait_seconds(cluster.START_WAIT_S),
                           all_nodes=inv.all)
    if inv.json:
        args.print_json(result)
        return EXIT_OK
    how = "systemd" if result.systemd else "no systemd: started directly"
    lines = [f"{name}: started ({how})" for name in result.started]
    lines += [f"{name}: already running" for name in result.running]
    if result.node is not None:
        lines.append(f"{result.node} is online; members: {', '.join(result.members)}")
    args.print_lines(lines)
    return EXIT_OK


def run_stop(inv: Invocation, words: list[str]) -> int:
    inv.only("all", "force")
    args.no_more(words, "cluster stop")
    timeout = inv.wait_seconds(cluster.DRAIN_TIMEOUT_S)
    result = cluster.stop(LocalNode(), timeout=timeout or cluster.DRAIN_TIMEOUT_S,
                          force=inv.force, all_nodes=inv.all)
    if inv.json:
        args.print_json(result)
        return EXIT_OK
    _reports(result.reports)
    lines = [render_report(r).removeprefix("info: ") for r in result.reports
             if r.severity is Severity.INFO]
    if result.node is not None:
        lines.append(f"moved off {result.node}: {', '.join(result.moved)}" if result.moved
                     else f"no resources ran on {result.node}")
    lines += [f"{name}: stopped" + (f" (killed after {cluster.STOP_TIMEOUT_S:g} s)"
                                   if name in result.killed else "") for name in result.stopped]
    args.print_lines(lines)
    return EXIT_OK


def run_destroy(inv: Invocation, words: list[str]) -> int:
    inv.only("all", "force")
    args.no_more(words, "cluster destroy")
    result = cluster.destroy(LocalNode(), force=inv.force, all_nodes=inv.all)
    if inv.json:
        args.print_json(result)
        return EXIT_OK
    _reports(result.reports)
    lines = []
    if result.stopped is not None:
        lines += [f"{name}: stopped" for name in result.stopped.stopped]
    lines += [f"removed {p}" for p in result.removed]
    if result.kept:
        lines.append(f"kept the CIB ({', '.join(result.kept)}): --force removes it too")
    if not result.removed and not result.kept:
        lines.append("no cluster files on this machine: nothing to remove")
    args.print_lines(lines)
    return EXIT_OK
