"""`vigil cluster setup|start|stop|enable|disable|destroy`: parsing their words, rendering their
results. Without node names they act on this machine (vigil.commands.cluster); with node names
or `--all`, and `setup` of nodes all authenticated here (`vigil host auth`), on those nodes
through their remote endpoints (vigil.commands.cluster_all), each node's outcome by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from vigil.cli import args, node_outcomes
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.clusterconf import ClusterNode
from vigil.commands import cluster, cluster_all
from vigil.commands.cluster_all import NodeOutcome
from vigil.commands.env import LiveEnvironment
from vigil.commands.localnode import LocalNode
from vigil.model import reports
from vigil.model.reports import Report, ReportError, Severity
from vigil.words.messages import render_report

NO_AGENT = ("these nodes are not authenticated here ('vigil host auth NODE...' lets setup "
            "write every node's files through its endpoint)")


def parse_node(word: str) -> cluster.NodeSpec:
    """NODE or NODE=ADDR[,ADDR2]."""
    name, eq, addrs = word.partition("=")
    if not eq:
        return cluster.NodeSpec(name)
    listed = tuple(a.strip() for a in addrs.split(","))
    if not name or not addrs or any(not a for a in listed):
        raise UsageError(f"'{word}' is not NODE or NODE=ADDR[,ADDR2]")
    return cluster.NodeSpec(name, listed)


SECTIONS = ("transport", "totem", "quorum", "compression", "crypto")
TOTEM_OPTIONS = ("token", "token_coefficient")
LINK_OPTIONS = ("linknumber", "ping_interval", "ping_timeout")


def _ms(word: str, name: str, value: str) -> int:
    if not value.isdigit():
        raise UsageError(f"'{word}': {name} takes milliseconds (an integer)")
    return int(value)


def parse_setup(words: list[str], token: int | None) -> tuple[list[cluster.NodeSpec],
                                                               cluster.Totem]:
    """NODE[=ADDR[,ADDR2]] or pcs's NODE [addr=ADDR]..., then pcs's optional sections:
    `transport knet [link ping_interval=MS ping_timeout=MS [linknumber=N]]...` and `totem
    token=MS token_coefficient=MS` (what vigil's corosync.conf sets; anything else is refused,
    named, rather than silently dropped)."""
    nodes: list[cluster.NodeSpec] = []
    inline: set[int] = set()  # the nodes given as NODE=ADDR
    i = 0
    while i < len(words) and words[i] not in SECTIONS:
        word = words[i]
        if word.startswith("addr="):
            if not nodes:
                raise UsageError("addr= must follow the node it is the address of")
            if len(nodes) - 1 in inline:
                raise UsageError(f"'{word}': give NODE=ADDR or NODE addr=ADDR, not both")
            last = nodes[-1]
            nodes[-1] = cluster.NodeSpec(last.name, (*last.addrs, word.partition("=")[2]))
        else:
            if "=" in word:
                inline.add(len(nodes))
            nodes.append(parse_node(word))
        i += 1
    totem: dict[str, int] = {}
    pings: set[tuple[int | None, int | None]] = set()
    section = None
    link: dict[str, int] | None = None

    def close_link() -> None:
        if link is not None:
            pings.add((link.get("ping_interval"), link.get("ping_timeout")))

    for word in words[i:]:
        if word in SECTIONS:
            close_link()
            link = None
            if word in ("quorum", "compression", "crypto"):
                raise UsageError(f"cluster setup's '{word}' options are not supported by vigil "
                                 "(it writes votequorum's defaults and crypto aes256/sha256)")
            section = word
            continue
        if section == "transport" and word == "knet" and link is None:
            continue
        if section == "transport" and word == "link":
            close_link()
            link = {}
            continue
        name, eq, value = word.partition("=")
        if section == "totem" and eq and name in TOTEM_OPTIONS:
            totem[name] = _ms(word, name, value)
        elif section == "transport" and link is not None and eq and name in LINK_OPTIONS:
            link[name] = _ms(word, name, value)
        else:
            known = (f"totem takes {', '.join(TOTEM_OPTIONS)}" if section == "totem" else
                     f"transport knet takes link {' '.join(o + '=' for o in LINK_OPTIONS)}")
            raise UsageError(f"'{word}' is not supported by vigil's cluster setup: {known}")
    close_link()
    if "token" in totem and token is not None:
        raise UsageError("give the token once: --token or totem token=")
    knet_ping = None
    if pings:
        if len(pings) > 1 or None in next(iter(pings)):
            raise UsageError("give ping_interval= and ping_timeout= together, the same on every "
                             "link")
        interval, timeout = next(iter(pings))
        assert interval is not None and timeout is not None
        knet_ping = (interval, timeout)
    return nodes, cluster.Totem(totem.get("token", token), totem.get("token_coefficient"),
                                knet_ping)


def _token(inv: Invocation) -> int | None:
    if inv.token is None:
        return None
    try:
        return int(inv.token)
    except ValueError:
        raise UsageError(f"--token takes milliseconds (an integer), not '{inv.token}'") from None


def _reports(found: tuple[Report, ...]) -> None:
    args.print_reports(r for r in found if r.severity is not Severity.INFO)


def _cluster_lines(name: str, nodes: Sequence[ClusterNode], how: str) -> list[str]:
    """What setup made: the cluster, its transport, and each node with its id and addresses."""
    links = len(nodes[0].addrs)
    return [f"Cluster '{name}': {len(nodes)} node{'s' if len(nodes) != 1 else ''}, knet "
            f"({links} link{'s' if links > 1 else ''}), crypto aes256/sha256{how}",
            *(f"  {n.name} (id {n.nodeid}): {', '.join(n.addrs)}" for n in nodes)]


def run_setup(inv: Invocation, words: list[str]) -> int:
    inv.only("force", "token", "out", "start", "enable")
    args.need(words, 2, "cluster name and nodes (cluster setup NAME NODE[=ADDR[,ADDR2]]...)")
    nodes, totem = parse_setup(words[1:], _token(inv))
    if not nodes:
        raise UsageError("cluster setup needs at least one node")
    if inv.out is None:
        everywhere = cluster_all.every_node_known([n.name for n in nodes])
        if everywhere:
            return _setup_everywhere(inv, words[0], nodes, totem)
        if everywhere is None or inv.start or inv.enable:
            missing = [n.name for n in nodes
                       if cluster_all.every_node_known([n.name]) is not True]
            raise ReportError([reports.error("REMOTE_HOSTS_NOT_AUTHENTICATED",
                                             hosts=", ".join(missing))])
    elif inv.start or inv.enable:
        raise UsageError("--start and --enable act on the nodes: not with --out")
    result = cluster.setup(LocalNode(), words[0], nodes, totem=totem, force=inv.force,
                           out=Path(inv.out) if inv.out is not None else None)
    if inv.json:
        args.print_json(result)
        return EXIT_OK
    _reports(result.reports)
    lines = _cluster_lines(result.cluster_name, result.nodes, "")
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


def _setup_everywhere(inv: Invocation, name: str, nodes: list[cluster.NodeSpec],
                      totem: cluster.Totem) -> int:
    wait = inv.wait_seconds(cluster.START_WAIT_S)
    if wait is not None and not inv.start:
        raise UsageError("--wait waits for the nodes to start: give --start too")
    result = cluster_all.setup(name, nodes, totem=totem, force=inv.force,
                               start=inv.start, enable=inv.enable, wait=wait)
    if inv.json:
        args.print_json(result)
        return EXIT_OK if result.ok else args.EXIT_RUNTIME
    _reports(result.reports)
    args.print_lines(_cluster_lines(result.cluster_name, result.nodes,
                                    ", written on every node through its endpoint"))
    node_outcomes.print_each(result.written, lambda r: f"{', '.join(r.written)} written"
              + (f", {r.unit} installed" if r.unit else ""))
    if result.undone:
        node_outcomes.print_each(result.undone, lambda r: "its files removed again (the setup did not reach "
                  "every node)")
        return args.EXIT_RUNTIME
    node_outcomes.print_each(result.enabled, lambda r: f"enabled at boot ({', '.join(r.units)})")
    node_outcomes.print_each(result.started, _started_line)
    if not result.started and result.ok:
        args.print_lines(["Then: vigil cluster start --all (or --start next time)."])
    return EXIT_OK if result.ok else args.EXIT_RUNTIME


def _started_line(r: cluster.StartResult) -> str:
    parts = [f"{', '.join(r.started)} started" if r.started else "",
             f"{', '.join(r.running)} already running" if r.running else ""]
    text = "; ".join(p for p in parts if p)
    if r.node is not None:
        text += f"; online, members: {', '.join(r.members)}"
    return text


def _targets(inv: Invocation, words: list[str], command: str) -> list[str] | None:
    """The nodes a command names (`--all`: this machine's cluster's), None for this machine."""
    if inv.all and words:
        raise UsageError(f"cluster {command} takes node names or --all, not both")
    if inv.all:
        return list(cluster_all.cluster_nodes())
    if words:
        if len(set(words)) != len(words):
            raise UsageError(f"cluster {command}: a node is named twice")
        return list(words)
    return None


def _exit(outcomes: tuple[NodeOutcome, ...]) -> int:
    return EXIT_OK if all(o.ok for o in outcomes) else args.EXIT_RUNTIME


def _print_outcomes(inv: Invocation, outcomes: tuple[NodeOutcome, ...],
                    done: Callable[[Any], str]) -> int:
    if inv.json:
        args.print_json([{"node": o.node, "ok": o.ok, "result": o.result,
                          "reports": list(o.reports)} for o in outcomes])
    else:
        node_outcomes.print_each(outcomes, done)
    return _exit(outcomes)


def run_start(inv: Invocation, words: list[str]) -> int:
    inv.only("all")
    nodes = _targets(inv, words, "start")
    if nodes is not None:
        outcomes = cluster_all.start(nodes, wait=inv.wait_seconds(cluster.START_WAIT_S))
        return _print_outcomes(inv, outcomes, _started_line)
    result = cluster.start(LocalNode(), wait=inv.wait_seconds(cluster.START_WAIT_S))
    if inv.json:
        args.print_json(result)
        return EXIT_OK
    how = "systemd" if result.systemd else "no systemd: started directly"
    lines = [f"{name}: started ({how})" for name in result.started]
    lines += [f"{name}: already running" for name in result.running]
    if result.node is not None:
        lines.append(f"{result.node} is online; members: {', '.join(result.members)}")
        if not result.quorate:
            lines.append(f"{result.node}'s partition has no quorum yet: its resources wait "
                         "until enough nodes join")
    args.print_lines(lines)
    return EXIT_OK


def _stopped_line(r: cluster.StopResult) -> str:
    moved = (f"moved off: {', '.join(r.moved)}" if r.moved else "no resources ran here")
    if not r.stopped:
        return "the cluster was not running"
    killed = f" (killed: {', '.join(r.killed)})" if r.killed else ""
    return f"{moved}; {', '.join(r.stopped)} stopped{killed}"


def run_stop(inv: Invocation, words: list[str]) -> int:
    inv.only("all", "force")
    timeout = inv.wait_seconds(cluster.DRAIN_TIMEOUT_S)
    nodes = _targets(inv, words, "stop")
    if nodes is not None:
        outcomes = cluster_all.stop(nodes, whole_cluster=inv.all, force=inv.force, wait=timeout)
        return _print_outcomes(inv, outcomes, _stopped_line)
    result = cluster.stop(LocalNode(), timeout=timeout or cluster.DRAIN_TIMEOUT_S,
                          force=inv.force)
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


def run_boot(inv: Invocation, words: list[str], *, enabled: bool) -> int:
    command = "enable" if enabled else "disable"
    inv.only("all")
    nodes = _targets(inv, words, command)
    if nodes is None:
        result = cluster.boot(LocalNode(), enabled=enabled)
        outcomes: tuple[NodeOutcome, ...] = (NodeOutcome(result.node, result, ()),)
    else:
        outcomes = cluster_all.boot(nodes, enabled=enabled)
    return _print_outcomes(inv, outcomes, lambda r: f"{command}d at boot ({', '.join(r.units)})")


def _destroyed_line(r: cluster.DestroyResult) -> str:
    parts = []
    if r.stopped is not None and r.stopped.stopped:
        parts.append(f"{', '.join(r.stopped.stopped)} stopped")
    parts.append(f"removed {', '.join(r.removed)}" if r.removed else "no cluster files")
    if r.kept:
        parts.append(f"kept the CIB ({', '.join(r.kept)}): --force removes it too")
    return "; ".join(parts)


def run_destroy(inv: Invocation, words: list[str]) -> int:
    inv.only("all", "force")
    nodes = _targets(inv, words, "destroy")
    if nodes is not None:
        return _print_outcomes(inv, cluster_all.destroy(nodes, force=inv.force), _destroyed_line)
    result = cluster.destroy(LocalNode(), force=inv.force)
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


def run_cluster_node(inv: Invocation, words: list[str]) -> int:
    """`cluster node add NODE [addr=ADDR]... [--start [--wait]] [--enable] [--force]`,
    `cluster node remove NODE... [--force]`: on a node of the cluster, through the endpoints."""
    if not words or words[0] not in ("add", "remove", "delete", "clear"):
        raise UsageError("cluster node takes add NODE [addr=ADDR]..., remove NODE... or "
                         "clear NODE")
    sub, rest = words[0], words[1:]
    if sub == "clear":  # pcs's: the cluster forgets a node no longer in corosync.conf
        inv.only()
        args.need(rest, 1, "the node to clear (cluster node clear NODE)")
        args.no_more(rest[1:], "cluster node clear NODE")
        LiveEnvironment().forget_node(rest[0])
        if not inv.json:
            args.print_lines([f"{rest[0]}: forgotten (the CIB's nodes and status)"])
        return EXIT_OK
    if sub == "add":
        inv.only("start", "enable", "force")
        args.need(rest, 1, "the node to add (cluster node add NODE [addr=ADDR]...)")
        name, addrs = rest[0], []
        for word in rest[1:]:
            key, eq, value = word.partition("=")
            if key != "addr" or not eq or not value:
                raise UsageError(f"'{word}': cluster node add takes addr=ADDRESS (one per link)")
            addrs.append(value)
        wait = inv.wait_seconds(cluster.START_WAIT_S)
        if wait is not None and not inv.start:
            raise UsageError("--wait waits for the node to start: give --start too")
        change = cluster_all.node_add(name, addrs, start=inv.start, enable=inv.enable,
                                      wait=wait, force=inv.force)
    else:
        inv.only("force")
        args.need(rest, 1, "the nodes to remove (cluster node remove NODE...)")
        if len(set(rest)) != len(rest):
            raise UsageError("cluster node remove: a node is named twice")
        change = cluster_all.node_remove(rest, force=inv.force)
    if inv.json:
        args.print_json(change)
        return EXIT_OK if change.ok else args.EXIT_RUNTIME
    _reports(change.reports)
    node_outcomes.print_each(change.leaving, lambda r: _stopped_line(r) if isinstance(r, cluster.StopResult)
              else "left the cluster: " + _destroyed_line(r))
    node_outcomes.print_each(change.updated, lambda r: "corosync.conf and cluster.json updated")
    if change.reloaded is not None:
        node_outcomes.print_each((change.reloaded,), lambda r: "Corosync reloaded on every member")
    node_outcomes.print_each(change.joining, _joining_line)
    if change.restored:
        node_outcomes.print_each(change.restored, lambda r: "its previous corosync.conf and cluster.json "
                  "are back (the change did not reach every node)")
        return args.EXIT_RUNTIME
    if change.ok and sub == "add" and not any(isinstance(o.result, cluster.StartResult)
                                              for o in change.joining):
        args.print_lines([f"Then: vigil cluster start {change.nodes[0]} (or --start next time)."])
    return EXIT_OK if change.ok else args.EXIT_RUNTIME


def _joining_line(r: object) -> str:
    if isinstance(r, cluster.Received):
        return f"{', '.join(r.written)} written" + (f", {r.unit} installed" if r.unit else "")
    if isinstance(r, cluster.BootResult):
        return f"enabled at boot ({', '.join(r.units)})"
    assert isinstance(r, cluster.StartResult)
    return _started_line(r)
