"""`vigil property`, `node`, `config`, `cib`, `cib-push`, `status` and `cluster ...` (whose
setup, start, stop and destroy are in cluster_setup_cli)."""

from __future__ import annotations

import difflib
import shlex
import sys
import time
from collections.abc import Callable
from typing import Any

from vigil.cli import args, config_view, utilization_cli
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import (
    checkpoint,
    config,
    export,
    node,
    property_help,
    quorum,
    status,
    status_xml,
)
from vigil.commands import property as prop
from vigil.commands.status_document import status_document
from vigil.model.cib import Cib
from vigil.model.reports import ReportError
from vigil.words.messages import render_report

PROPERTY_USAGE = """\
usage: vigil [-f FILE] property COMMAND ...
  set NAME=VALUE... [--force]     (an empty VALUE removes the property)
  unset NAME... [--force]
  [list|show|config] [NAME] [--all|--defaults]
  defaults [NAME...]              (each property's default value)
  describe [NAME...]              what each property means, its type, default and values"""

NO_DESCRIPTION = "(none here: the text is Pacemaker's, and Pacemaker is not installed)"

NODE_USAGE = """\
usage: vigil [-f FILE] node COMMAND ...
  standby NODE... | --all              unstandby NODE... | --all
  maintenance NODE... | --all          unmaintenance NODE... | --all
  attribute [NODE [NAME=VALUE...]]     (NAME= removes the attribute)
  utilization [NODE [NAME=VALUE...]]   what the node offers (integers; NAME= removes it)"""

CLUSTER_USAGE = """\
usage: vigil [-f FILE] cluster COMMAND ...
  setup NAME NODE[=ADDR[,ADDR2]]... [--token MS] [--force] [--out DIR] [--start [--wait[=S]]] [--enable]
  start [NODE...|--all] [--wait[=SECONDS]]     stop [NODE...|--all] [--force] [--wait=SECONDS]
  enable [NODE...|--all]                       disable [NODE...|--all]
  destroy [NODE...|--all] [--force]            status
  node add NODE [addr=ADDR]... [--start [--wait[=S]]] [--enable] [--force]
  node remove NODE... [--force]               node clear NODE
  cib [FILE] [scope=SECTION] [--config]        cib-push FILE [--config]
  cib-upgrade                                  the newest installed schema (validate-with)
  edit [--config]                              the CIB in $EDITOR, pushed when changed
  corosync                                     this node's corosync.conf as it is
  reload corosync                              every member rereads its corosync.conf
  verify                                       (as vigil verify)
  standby NODE...|--all                        unstandby NODE...|--all   (as 'node standby')
  config [show] [--corosync_conf PATH]         corosync.conf as pcs shows it (--output json)
  uidgid [add|delete uid=UID gid=GID]           Corosync's IPC users (/etc/corosync/uidgid.d)
  report [--from TIME] [--to TIME] DEST        logs, configuration and views of every node
  node add-remote HOST [NODE] [k=v...] [op ...] [meta ...]   node remove-remote NODE
  node add-guest NODE RSC [remote-addr=A] [remote-port=P]    node remove-guest NODE   (-f too)
Without NODE or --all, setup, start, stop, enable, disable and destroy act on this machine. With
them (and setup of nodes all authenticated with 'vigil host auth'), on those nodes through their
remote endpoints; --all is the nodes of this machine's corosync.conf. node add|remove run on a
node of the cluster, every node authenticated."""


def run_property(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help:
        print(PROPERTY_USAGE)
        return EXIT_OK
    sub, rest = (words[0], words[1:]) if words else ("list", [])
    if sub == "set":
        inv.only("force")
        args.need(rest, 1, "NAME=VALUE")
        return args.finish(inv, prop.set_properties(inv.env(), args.pairs(rest),
                                                    force=inv.force))
    if sub in ("unset", "delete", "remove"):
        inv.only("force")
        args.need(rest, 1, "property name")
        return args.finish(inv, prop.unset_properties(inv.env(), rest, force=inv.force))
    if sub in ("list", "show", "config"):
        inv.only("all", "defaults")
        args.no_more(rest[1:], rest[0] if rest else sub)
        found = prop.list_properties(inv.env(), all_known=inv.all or inv.defaults,
                                     name=rest[0] if rest else None)
        if inv.json:
            args.print_json(found)
        else:
            args.print_lines(config_view.property_lines(found, show_defaults=inv.all
                                                        or inv.defaults or bool(rest)))
        return EXIT_OK
    if sub == "defaults":  # pcs 0.11: every property's default, or those named
        inv.only()
        environment = inv.env()
        known = {p.name: p for p in prop.list_properties(environment, all_known=True)}
        for name in rest:  # one that is not a property: the list's own refusal
            if name not in known:
                prop.list_properties(environment, name=name)
        defaults = [known[n] for n in rest] if rest else [
            p for p in known.values() if p.default is not None]
        if inv.json:
            args.print_json({q.name: q.default for q in defaults})
        else:
            args.print_lines(f"{q.name}={q.default if q.default is not None else ''}"
                             for q in defaults)
        return EXIT_OK
    if sub == "describe":  # pcs 0.11: what each property means
        inv.only()
        helps = property_help.describe(rest)
        if inv.json:
            args.print_json(list(helps))
            return EXIT_OK
        for h in helps:
            print(h.name)
            text = h.longdesc or h.shortdesc or NO_DESCRIPTION
            print(f"  Description: {text}")
            print(f"  Type: {h.kind}" + (f" ({', '.join(h.values)})" if h.values else ""))
            if h.default is not None:
                print(f"  Default: {h.default}")
            if h.readonly:
                print("  Read-only: maintained by the cluster itself")
            elif h.advanced:
                print("  Advanced: change it only if you know why")
        return EXIT_OK
    raise UsageError(f"unknown property command '{sub}'")


def run_node(inv: Invocation) -> int:
    words = inv.words[1:]
    if not words or inv.help:
        print(NODE_USAGE)
        return EXIT_OK if inv.help else args.EXIT_USAGE
    sub, rest = words[0], words[1:]
    flags = {"standby": (node.standby, True), "unstandby": (node.standby, False),
             "maintenance": (node.maintenance, True), "unmaintenance": (node.maintenance, False)}
    if sub in flags:
        inv.only("all")
        command, on = flags[sub]
        if not rest and not inv.all:
            raise UsageError(f"node {sub} needs a node name or --all")
        return args.finish(inv, command(inv.env(), rest, all_nodes=inv.all, on=on))
    if sub == "attribute":
        inv.only("force")
        if len(rest) <= 1:
            found = node.attributes(inv.env(), rest[0] if rest else None)
            if inv.json:
                args.print_json({name: dict(pairs) for name, pairs in found})
            else:
                args.print_lines(["Node Attributes:"] + [
                    f" {name}: {' '.join(f'{k}={v}' for k, v in pairs)}"
                    for name, pairs in found if pairs])
            return EXIT_OK
        return args.finish(inv, node.set_attributes(inv.env(), rest[0], args.pairs(rest[1:]),
                                                    force=inv.force))
    if sub == "utilization":
        return utilization_cli.run_node(inv, rest)
    raise UsageError(f"unknown node command '{sub}'")


CONFIG_USAGE = """\
usage: vigil config [show] [-f FILE] [--output json]
       vigil config checkpoint [list] | view N | diff N [M|live] | restore N
         (the configurations this node's vigild kept before each change, 1 the oldest)
       vigil config export pcs-commands   (the commands that build it again on an empty CIB)
       vigil config backup [FILE]          corosync.conf, authkey, cluster.json, uidgid.d and
                                           the CIB in FILE.tar.bz2 (0600; no FILE: stdout)
       vigil config restore [--local] [FILE]   put a backup back (no FILE: stdin) on every
                                           node of its corosync.conf, or this one (--local);
                                           each node's cluster must be stopped
Prints the whole configuration as pcs prints it: resources, fence devices, constraints,
properties and defaults (of FILE, or of the running cluster). A FILE with errors (Pacemaker's
schema, a constraint naming no resource) is shown all the same, its errors as warnings."""

CIB_USAGE = """\
usage: vigil cib [SECTION] [-f FILE] [--config]
Prints the CIB (of FILE, or of the running cluster) as XML, or one section of it (configuration,
nodes, resources, constraints, crm_config, rsc_defaults, op_defaults, status...); --config
prints the configuration section. A FILE with errors is printed all the same, its errors as
warnings, so that it can be repaired (an edit of such a file needs --force)."""


def run_config(inv: Invocation) -> int:
    if inv.help:
        print(CONFIG_USAGE)
        return EXIT_OK
    words = inv.words[1:]
    if words and words[0] == "checkpoint":
        return _checkpoint(inv, words[1:])
    if words and words[0] == "backup":
        return _backup(inv, words[1:])
    if words and words[0] == "restore":
        return _restore(inv, words[1:])
    if words and words[0] == "export":
        inv.only()
        if words[1:] != ["pcs-commands"]:
            raise UsageError("config export pcs-commands (the commands that build this "
                             "configuration again)")
        for line in export.export(config.cib(inv.env(reading=True))):
            print(f"# {line.comment}" if line.comment else shlex.join(["vigil", *line.argv]))
        return EXIT_OK
    inv.only()
    if words and words[0] == "show":
        words = words[1:]
    args.no_more(words, "config")
    env = inv.env(reading=True)
    cib = config.cib(env)
    args.show_forced(env)
    if inv.json:
        args.print_json(cib.configuration)
        return EXIT_OK
    args.print_lines(config_view.config_lines(cib, prop.list_properties(env)))
    return EXIT_OK


def _backup(inv: Invocation, words: list[str]) -> int:
    """`config backup [FILE]`: the CIB from -f FILE, else the running cluster, else vigild's
    own stored copy; the cluster files of this machine."""
    from pathlib import Path

    from vigil.cib.write import write_cib
    from vigil.commands import backup
    from vigil.commands.localnode import STATE_DIR, LocalNode

    inv.only()
    args.no_more(words[1:], words[0] if words else "config backup")
    if inv.file is not None:
        cib_xml: bytes | None = write_cib(config.cib(inv.env(reading=True))).encode()
    else:
        try:
            cib_xml = write_cib(inv.env(reading=True).get_cib()).encode()
        except ReportError:  # no cluster running here: what vigild stored, if anything
            stored = Path(STATE_DIR) / "cib.xml"
            cib_xml = stored.read_bytes() if stored.is_file() else None
    data = backup.tarball(backup.collect(LocalNode(), cib_xml))
    if not words:
        sys.stdout.buffer.write(data)
        return EXIT_OK
    target = Path(words[0] if words[0].endswith(".tar.bz2") else f"{words[0]}.tar.bz2")
    if target.is_dir():
        raise UsageError(f"{target} is a directory: give the backup's file name")
    backup.write_backup(target, data)
    if not inv.json:
        print(f"{target} written (0600: it holds Corosync's authkey)")
    return EXIT_OK


def _restore(inv: Invocation, words: list[str]) -> int:
    from pathlib import Path

    from vigil.cli import node_outcomes
    from vigil.commands import backup, cluster_all
    from vigil.commands.localnode import LocalNode
    from vigil.model import reports

    inv.only("local")
    if inv.file is not None:
        raise UsageError("config restore puts the cluster's files back on the nodes: -f does "
                         "not apply")
    args.no_more(words[1:], words[0] if words else "config restore")
    if words:
        try:
            data = Path(words[0]).read_bytes()
        except OSError as exc:
            raise ReportError([reports.error("BACKUP_UNREADABLE", path=words[0],
                                             detail=exc.strerror or str(exc))]) from None
    else:
        data = sys.stdin.buffer.read()
    saved = backup.read(data, words[0] if words else "standard input")
    outcomes: tuple[cluster_all.NodeOutcome, ...]
    if inv.local:
        done = backup.restore_local(LocalNode(), saved)
        outcomes = (cluster_all.NodeOutcome(done.node, done, ()),)
    else:
        outcomes = cluster_all.restore(saved)
    if inv.json:
        args.print_json({"restored": outcomes})
    else:
        node_outcomes.print_each(outcomes, lambda r: f"{len(r.written)} files written"
                                 + (", the CIB" if r.cib else "") + " (start its cluster: "
                                 "vigil cluster start)")
    return EXIT_OK if all(o.ok for o in outcomes) else args.EXIT_RUNTIME


def _number(word: str) -> int:
    if not word.isdigit():
        raise UsageError(f"'{word}' is not a checkpoint number (see 'vigil config checkpoint')")
    return int(word)


def _config_text(cib: Cib) -> list[str]:
    return config_view.config_lines(cib, prop.properties_of(cib))


def _checkpoint(inv: Invocation, words: list[str]) -> int:
    """`config checkpoint [list] | view N | diff N [M] | restore N`."""
    sub, rest = (words[0], words[1:]) if words else ("list", [])
    if sub == "list":
        inv.only()
        args.no_more(rest, "checkpoint list")
        found = checkpoint.checkpoints()
        if inv.json:
            args.print_json(list(found))
        elif not found:
            print(f"No checkpoints available (in {checkpoint.state_dir()})")
        for c in found:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(c.saved_at))
            print(f"checkpoint {c.number}: date {when}, version {c.version}")
        return EXIT_OK
    if sub == "view":
        inv.only()
        args.need(rest, 1, "checkpoint number")
        args.no_more(rest[1:], rest[0])
        args.print_lines(_config_text(checkpoint.load(_number(rest[0]))))
        return EXIT_OK
    if sub == "diff":
        inv.only()
        args.need(rest, 1, "checkpoint number (and a second one, or the live configuration)")
        args.no_more(rest[2:], rest[1] if len(rest) > 1 else rest[0])
        first = checkpoint.load(_number(rest[0]))
        second = (checkpoint.load(_number(rest[1])) if len(rest) > 1 and rest[1] != "live"
                  else config.cib(inv.env(reading=True)))
        names = (f"checkpoint {rest[0]}",
                 f"checkpoint {rest[1]}" if len(rest) > 1 and rest[1] != "live" else "live")
        args.print_lines(line.rstrip("\n") for line in difflib.unified_diff(
            _config_text(first), _config_text(second), *names, lineterm=""))
        return EXIT_OK
    if sub == "restore":
        inv.only()
        args.need(rest, 1, "checkpoint number")
        args.no_more(rest[1:], rest[0])
        return args.finish(inv, checkpoint.restore(inv.env(), _number(rest[0])))
    raise UsageError(f"unknown config checkpoint command '{sub}' (list, view, diff, restore)")


def run_cib(inv: Invocation, words: list[str], *, files: bool = False) -> int:
    """`cluster cib [FILE] [scope=SECTION] [--config]` as pcs takes it (`files`: a FILE
    saves the CIB there, as in Clusters from Scratch's `pcs cluster cib drbd_cfg`); a
    section's name alone prints that section. vigil's own `cib [SECTION]` takes no file."""
    if inv.help:
        print(CLUSTER_USAGE if files else CIB_USAGE)
        return EXIT_OK
    inv.only("config")
    if not files:
        args.no_more(words[1:], words[0] if words else "cib")
        words = [f"scope={words[0]}"] if words else []
    section: str | None = None
    target: str | None = None
    for word in words:
        if word.startswith("scope="):
            section = word.partition("=")[2]
        elif word in config.SECTIONS and section is None and target is None:
            section = word
        elif target is None:
            target = word
        else:
            raise UsageError(f"unexpected '{word}': cib [FILE] [scope=SECTION] [--config]")
    if inv.config:
        section = "configuration"
    env = inv.env(reading=True)
    if target is None:
        print(config.cib_xml(env, section), end="")
        args.show_forced(env)
        return EXIT_OK
    report = config.save_cib_xml(env, target, section)
    args.show_forced(env)
    print(render_report(report))
    return EXIT_OK


def run_cib_push(inv: Invocation, words: list[str]) -> int:
    inv.only("config")
    args.need(words, 1, "the file to push (cib-push FILE)")
    args.no_more(words[1:], words[0])
    return args.finish(inv, config.cib_push(inv.env(), words[0], config_only=inv.config))


def run_cib_words(inv: Invocation) -> int:
    """`vigil cib [SECTION]`: the words after the command word are run_cib's."""
    return run_cib(inv, inv.words[1:])


def run_cib_push_words(inv: Invocation) -> int:
    """`vigil cib-push FILE`: the words after the command word are run_cib_push's."""
    return run_cib_push(inv, inv.words[1:])


EVENTS_LOG = "/var/log/vigil/events.jsonl"
_EVENT_KEYS = ("members", "left", "quorate", "votes", "expected", "resource", "task", "target",
               "rc", "failed", "action", "ok", "device", "detail", "reason", "transition", "actions",
               "version")


def event_line(raw: str) -> str:
    """One vigild event (a JSON line of events.jsonl) as one readable line: time, event, node,
    then its key fields."""
    import json
    import time

    try:
        ev = json.loads(raw)
    except ValueError:
        return raw.rstrip("\n")
    if not isinstance(ev, dict):
        return raw.rstrip("\n")
    ts = ev.get("ts")
    stamp = (time.strftime("%H:%M:%S", time.localtime(ts)) + f".{int(ts * 1000) % 1000:03d}"
             if isinstance(ts, int | float) else "--:--:--.---")
    fields = []
    for key in (*_EVENT_KEYS, *sorted(k for k in ev if k not in _EVENT_KEYS)):
        if key in ("ts", "event", "node") or key not in ev or ev[key] in (None, [], ""):
            continue
        value = ev[key]
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        fields.append(f"{key}={value}")
    return f"{stamp} {str(ev.get('event', '?')):<17} {ev.get('node', '?')}: {' '.join(fields)}"


def watch_events(path: str = EVENTS_LOG, *, raw: bool = False, poll_s: float = 0.2) -> int:
    """Follow `path` from its end (like tail -F: a new file after a rotation is read from its
    start), printing each event until Ctrl-C."""
    import os
    import sys
    import time

    print(f"-- following {path} (Ctrl-C to stop)" if not raw else "", end="\n" if not raw else "",
          flush=True)
    pos, ino, buf = None, None, ""
    try:
        while True:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                time.sleep(poll_s)
                continue
            if ino != st.st_ino or (pos is not None and st.st_size < pos):
                pos = st.st_size if ino is None else 0  # the first time: from the end
                ino, buf = st.st_ino, ""
            if pos is not None and st.st_size > pos:
                with open(path, encoding="utf-8", errors="replace") as f:
                    f.seek(pos)
                    buf += f.read()
                    pos = f.tell()
                *lines, buf = buf.split("\n")
                for line in lines:
                    if line.strip():
                        sys.stdout.write((line if raw else event_line(line)) + "\n")
                sys.stdout.flush()
            time.sleep(poll_s)
    except KeyboardInterrupt:
        return EXIT_OK


STATUS_USAGE = """\
usage: vigil status [nodes | resources [ID] | quorum | qdevice | corosync | xml | pcsd [NODE]...]
                    [-f FILE] [--full] [--output json] [--watch]
Prints the cluster like crm_mon (of FILE, or of the running cluster): nodes, resources and where
they run, failed actions. --full adds node attributes and operation history; --watch then
follows this node's events."""


def run_status(inv: Invocation) -> int:
    if inv.help and not inv.words[1:]:
        print(STATUS_USAGE)
        return EXIT_OK
    inv.only("full", "watch")
    if inv.watch and inv.file is not None:
        raise UsageError("--watch follows this node's events: it does not apply to a CIB file (-f)")
    words = inv.words[1:]
    if words and words[0] in ("resources", "resource"):
        from vigil.cli import resource_cli

        inv.words = ["resource", "status", *words[1:]]
        return resource_cli.run(inv)
    if words and words[0] == "quorum":  # pcs: status quorum is quorum status
        from vigil.cli import quorum_cli

        args.no_more(words[1:], "status quorum")
        inv.words = ["quorum", "status"]
        return quorum_cli.run(inv)
    if words and words[0] == "qdevice":  # pcs: the quorum device's runtime status
        from vigil.cli import quorum_cli

        args.no_more(words[1:], "status qdevice")
        inv.words = ["quorum", "device", "status"]
        return quorum_cli.run(inv)
    if words and words[0] == "pcsd":  # pcs's name for its daemon: here, the nodes' endpoints
        return _endpoints(inv, words[1:])
    if words and words[0] == "cluster":  # pcs: status cluster is the status
        words = words[1:]
    if words and words[0] == "xml":  # pcs: crm_mon's XML
        inv.only()
        args.no_more(words[1:], "status xml")
        sys.stdout.write(status_xml.crm_mon_xml(inv.env()))
        return EXIT_OK
    if words and words[0] == "corosync":  # pcs: Corosync's membership (corosync-quorumtool -l)
        from vigil.cli import quorum_cli

        inv.only()
        args.no_more(words[1:], "status corosync")
        if inv.file is not None:
            raise UsageError("status corosync asks Corosync on this node: it has no CIB file")
        sys.stdout.write(quorum.membership(quorum_cli.runner()))
        return EXIT_OK
    if words and words[0] == "nodes":
        from vigil.cli import status_view

        # pcs's `status nodes corosync|both|config` (membership against configuration) is
        # not there: refused, not answered with the plain view
        args.no_more(words[1:], "status nodes")
        state = status.cluster_status(inv.env())
        args.print_lines(status_view.node_lines(state.transition))
        return EXIT_OK
    args.no_more(words, "status")
    state = status.cluster_status(inv.env())
    if inv.json:
        args.print_json(status_document(state))
    else:
        source = f"CIB file {inv.file}" if inv.file else "the running cluster"
        args.print_lines(config_view.status_lines(state, source, full=inv.full))
    if inv.watch:
        return watch_events(raw=inv.json)
    return EXIT_OK


def run_pcsd(inv: Invocation) -> int:
    """`pcsd status [NODE]...`: pcs's daemon is vigil's remote endpoint, whose status is
    `status pcsd`'s. pcs's certkey, sync-certificates and deauth have no vigil form (see the
    message)."""
    words = inv.words[1:]
    if inv.help or not words:
        print("usage: vigil pcsd status [NODE]...   (each node's remote endpoint, as "
              "'vigil status pcsd')")
        return EXIT_OK if inv.help else args.EXIT_USAGE
    if words[0] == "status":
        return _endpoints(inv, words[1:])
    if words[0] in ("certkey", "sync-certificates", "deauth"):
        raise UsageError(f"'pcsd {words[0]}' is not available in vigil: each node's endpoint "
                         "has its own certificate, pinned by 'vigil host auth', and its tokens "
                         "in /etc/vigil/remote/tokens")
    raise UsageError(f"unknown pcsd command '{words[0]}' (status)")


def _endpoints(inv: Invocation, nodes: list[str]) -> int:
    """`status pcsd [NODE]...`: each node's remote endpoint (default: every node of this
    node's corosync.conf) asked with this machine's token."""
    from vigil.commands import cluster_all, cluster_view

    inv.only()
    if inv.file is not None:
        raise UsageError("status pcsd asks the nodes' endpoints: it has no CIB file")
    found = cluster_view.endpoint_states(nodes or list(cluster_all.cluster_nodes()))
    if inv.json:
        args.print_json({"endpoints": found})
    else:
        said = {"online": "Online", "offline": "Offline", "unauthorized":
                "Unable to authenticate (the token was refused: vigil host auth NODE)",
                "not-authenticated": "Not authenticated here (vigil host auth NODE)"}
        args.print_lines(["Endpoint (pcsd) status:"] + [
            f"  {e.node}: {said[e.state]}" + (f" ({e.detail})" if e.detail else "")
            for e in found])
    return EXIT_OK if all(e.state == "online" for e in found) else args.EXIT_RUNTIME


def _cluster_config(inv: Invocation, words: list[str]) -> int:
    """`cluster config [show]`: this node's corosync.conf as pcs shows it."""
    from vigil.commands import cluster_view

    inv.only("corosync_conf")
    if words[:1] == ["show"]:
        words = words[1:]
    args.no_more(words, "cluster config [show]")
    if inv.file is not None:
        raise UsageError("cluster config shows corosync.conf (--corosync_conf PATH), not a CIB "
                         "file")
    found = cluster_view.cluster_config(inv.corosync_conf)
    if inv.json:
        args.print_json(found)
        return EXIT_OK
    lines = [f"Cluster Name: {found.cluster_name}", f"Transport: {found.transport}", "Nodes:"]
    for n in found.nodes:
        lines.append(f"  {n.name}:")
        lines += [f"    Link {k} address: {a}" for k, a in enumerate(n.addresses)]
        lines.append(f"    nodeid: {n.nodeid}")
    for k, link in enumerate(found.links):
        opts = [f"{a}: {b}" for a, b in link if a != "linknumber"]
        if opts:
            lines += [f"Link Options (link {dict(link).get('linknumber', k)}):"] + \
                [f"  {o}" for o in opts]
    for title, pairs in (("Totem Options", found.totem), ("Quorum Options", found.quorum)):
        if pairs:
            lines += [f"{title}:"] + [f"  {a}: {b}" for a, b in pairs]
    if found.device is not None:
        d = found.device
        lines += ["Quorum Device:", f"  Model: {d.model}", f"    host: {d.host}",
                  f"    algorithm: {d.algorithm}"]
        lines += [f"    {a}: {b}" for a, b in d.model_options]
        lines += [f"  {a}: {b}" for a, b in d.generic_options]
    args.print_lines(lines)
    return EXIT_OK


def _report(inv: Invocation, words: list[str]) -> int:
    """`cluster report [--from TIME] [--to TIME] DEST`: every node's part when all are
    authenticated here (vigil host auth), else this node's."""
    from pathlib import Path

    from vigil.commands import backup, cluster_all, report
    from vigil.commands.localnode import LocalNode

    inv.only("since", "until")
    if inv.file is not None:
        raise UsageError("cluster report gathers the nodes' logs: -f does not apply")
    args.need(words, 1, "where to write it (cluster report [--from TIME] [--to TIME] DEST)")
    args.no_more(words[1:], words[0])
    window = []
    for flag, text in (("--from", inv.since), ("--to", inv.until)):
        try:
            window.append(report.parse_time(text) if text else None)
        except ValueError:
            raise UsageError(f"{flag} '{text}' is not a time: YYYY-MM-DD HH:MM[:SS]") from None
    since, until = window
    try:
        nodes = list(cluster_all.cluster_nodes())
    except ReportError:
        nodes = []
    if nodes and cluster_all.every_node_known(nodes):
        parts, missing = cluster_all.report_parts(nodes, since=since, until=until)
    else:
        parts = (report.gather(LocalNode(), since, until),)
        missing = tuple((n, "not authenticated here: vigil host auth") for n in nodes
                        if n != parts[0].node)
    target = Path(words[0] if words[0].endswith(".tar.bz2") else f"{words[0]}.tar.bz2")
    if target.is_dir():
        raise UsageError(f"{target} is a directory: give the report's file name")
    backup.write_backup(target, report.bundle(parts, missing, since=since, until=until))
    if not inv.json:
        lines = [f"{target} written: {', '.join(p.node for p in parts)}"]
        lines += [f"  {node}: not gathered ({why})" for node, why in missing]
        args.print_lines(lines)
    return EXIT_OK if not missing else args.EXIT_RUNTIME


_REMOTE_WORDS = ("add-remote", "remove-remote", "delete-remote", "add-guest", "remove-guest",
                 "delete-guest")


def _remote_node(inv: Invocation, sub: str, rest: list[str]) -> int:
    """`cluster node add-remote HOST [NODE] [k=v...] [op ...] [meta ...]`, `add-guest NODE RSC
    [remote-addr=...]`, `remove-remote|remove-guest NODE` (pcs's): configuration, -f too."""
    from vigil.cli import resource_cli
    from vigil.commands import remote_nodes

    inv.only("force")
    if sub == "add-remote":
        # pcs's order: the host first, then the node's name (the host when not given)
        args.need(rest, 1, "the remote node's host (cluster node add-remote HOST [NODE] ...)")
        named = len(rest) > 1 and "=" not in rest[1] and rest[1] not in ("op", "meta")
        spec = resource_cli.parse_spec(rest[2:] if named else rest[1:])
        name, address = (rest[1], rest[0]) if named else (rest[0], None)
        done = remote_nodes.add_remote(inv.env(), name, address, spec, force=inv.force,
                                       catalog=resource_cli.catalog())
    elif sub == "add-guest":
        args.need(rest, 2, "the guest node's name and its resource (cluster node add-guest "
                  "NODE RSC [remote-addr=ADDR] [remote-port=PORT])")
        done = remote_nodes.add_guest(inv.env(), rest[0], rest[1], args.pairs(rest[2:]),
                                      force=inv.force, catalog=resource_cli.catalog())
    else:
        args.need(rest, 1, f"the node (cluster node {sub} NODE)")
        args.no_more(rest[1:], rest[0])
        remove = remote_nodes.remove_remote if "remote" in sub else remote_nodes.remove_guest
        done = remove(inv.env(), rest[0])
    return args.finish(inv, done)


# The machine `cluster uidgid` and `cluster reload corosync` act on (None: this one); the
# tests give a LocalNode on a temporary root.
local_node: Callable[[], Any] | None = None


def _uidgid(inv: Invocation, words: list[str]) -> int:
    """`cluster uidgid [add|delete|remove uid=UID gid=GID]` (pcs's): Corosync's IPC users."""
    from vigil.commands import uidgid
    from vigil.commands.localnode import LocalNode

    inv.only()
    if inv.file is not None:
        raise UsageError("cluster uidgid edits /etc/corosync/uidgid.d, not a CIB file")
    host: LocalNode = local_node() if local_node is not None else LocalNode()
    sub, rest = (words[0], words[1:]) if words else ("list", [])
    if sub == "list":
        args.no_more(rest, "cluster uidgid")
        found = uidgid.entries(host)
        if inv.json:
            args.print_json({"uidgid": found})
        else:
            args.print_lines([f"UID/GID: uid={e.uid or ''} gid={e.gid or ''} ({e.file})"
                              for e in found] or ["No uidgids configured"])
        return EXIT_OK
    if sub not in ("add", "delete", "remove", "rm"):
        raise UsageError(f"unknown cluster uidgid command '{sub}' (add, delete)")
    given = args.pairs(rest)
    unknown = [k for k, _ in given if k not in ("uid", "gid")]
    if unknown:
        raise UsageError(f"'{unknown[0]}' is not uid or gid")
    uid, gid = dict(given).get("uid"), dict(given).get("gid")
    if sub == "add":
        done = uidgid.add(host, uid, gid)
        lines = [f"{done.file} written: Corosync lets uid={uid or '-'} gid={gid or '-'} use its "
                 "IPC once it reloads (corosync-cfgtool -R) or restarts"]
    else:
        gone = uidgid.delete(host, uid, gid)
        lines = [f"{e.file} removed" for e in gone]
    if not inv.json:
        args.print_lines(lines)
    return EXIT_OK


def run_cluster(inv: Invocation) -> int:
    words = inv.words[1:]
    if not words or inv.help:
        print(CLUSTER_USAGE)
        return EXIT_OK if inv.help else args.EXIT_USAGE
    if words[0] == "cib":
        return run_cib(inv, words[1:], files=True)
    if words[0] == "cib-push":
        return run_cib_push(inv, words[1:])
    if words[0] == "status":
        args.no_more(words[1:], "cluster status")
        inv.words = ["status"]
        return run_status(inv)
    if words[0] == "cib-upgrade":
        from vigil.commands import cib_upgrade

        inv.only()
        args.no_more(words[1:], "cib-upgrade")
        return args.finish(inv, cib_upgrade.upgrade(inv.env()))
    if words[0] == "verify":  # pcs: cluster verify is verify
        from vigil.cli import verify_cli

        inv.words = ["verify", *words[1:]]
        return verify_cli.run(inv)
    if words[0] == "config":
        return _cluster_config(inv, words[1:])
    if words[0] == "uidgid":
        return _uidgid(inv, words[1:])
    if words[0] == "report":
        return _report(inv, words[1:])
    if words[0] == "reload":  # pcs: reload corosync: every member rereads corosync.conf
        from vigil.commands import cluster
        from vigil.commands.localnode import LocalNode

        inv.only()
        if words[1:] != ["corosync"]:
            raise UsageError("cluster reload corosync (every member's Corosync rereads its "
                             "corosync.conf)")
        if inv.file is not None:
            raise UsageError("cluster reload corosync acts on Corosync, not on a CIB file")
        done = cluster.reload_conf(local_node() if local_node is not None else LocalNode())
        if not inv.json:
            args.print_lines([f"Corosync reloaded (corosync-cfgtool -R on {done.node}): every "
                              "member rereads its corosync.conf"])
        return EXIT_OK
    if words[0] in ("edit", "corosync"):
        from vigil.cli import cluster_edit_cli

        if words[0] == "edit":
            return cluster_edit_cli.run_edit(inv, words[1:])
        return cluster_edit_cli.run_corosync(inv, words[1:])
    if words[0] == "node" and words[1:2] and words[1] in _REMOTE_WORDS:
        return _remote_node(inv, words[1], words[2:])
    if words[0] in ("standby", "unstandby"):  # pcs 0.9's form (seed 004): node standby
        inv.words = ["node", *words]
        return run_node(inv)
    from vigil.cli import cluster_setup_cli as life

    commands: dict[str, Callable[[Invocation, list[str]], int]] = {
        "setup": life.run_setup, "start": life.run_start, "stop": life.run_stop,
        "destroy": life.run_destroy,
        "node": life.run_cluster_node,
        "enable": lambda i, w: life.run_boot(i, w, enabled=True),
        "disable": lambda i, w: life.run_boot(i, w, enabled=False)}
    if words[0] in commands:
        if inv.file is not None:
            raise UsageError(f"'cluster {words[0]}' acts on this machine, not on a CIB file (-f)")
        return commands[words[0]](inv, words[1:])
    raise UsageError(f"'cluster {words[0]}' is not available in vigil yet (it has: setup, start, "
                     "stop, enable, disable, destroy, node, standby, unstandby, status, config, "
                     "uidgid, cib, cib-push, cib-upgrade, edit, corosync, reload, verify, report)")
