"""`vigil lab ...`: the namespaces lab from the command line (see vigil.lab.lab for what it builds).

Errors are one line on stderr: exit 2 for usage errors (bad arguments, unknown node), 1 for
runtime failures (not root, a tool missing, a timeout, a command that failed).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from vigil.lab import hostops, qnetd, topology
from vigil.lab.errors import LabError

if TYPE_CHECKING:
    from vigil.lab.lab import Lab, LabStatus

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_FAILURE) -> int:
    sys.stderr.write(f"error: {message}\n")
    return code


def _lab_name(value: str) -> str:
    problem = topology.check_lab_name(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def _node_count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    problem = topology.check_node_count(n)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return n


def _token(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of milliseconds: {value!r}") from None
    if n < 0 or 0 < n < 10:
        raise argparse.ArgumentTypeError("token is 0 (Corosync's default) or at least 10 ms")
    return n


def _lab() -> type[Lab]:
    # Imported when a lab command runs, not when `vigil` builds its parser: the lab brings the
    # fencer's agents and asyncio, which every other command (`vigil simulate`...) does without.
    from vigil.lab.lab import Lab

    return Lab


def _attach(args: argparse.Namespace) -> Lab:
    return _lab().attach(args.name)


def _check_host(lab: Lab, name: str, *, node_only: bool = False) -> str | None:
    hosts = list(lab.topology.node_names()) + ([] if node_only else [topology.CLIENT])
    if name not in hosts:
        return f"no node {name!r} in lab {lab.name!r} (choose among {', '.join(hosts)})"
    return None


def _cmd_up(args: argparse.Namespace) -> int:
    if args.bare and (args.fencing or args.qdevice):
        return _fail("--bare nodes have no cluster yet: --fencing and --qdevice need one", EXIT_USAGE)
    lab = _lab().up(nodes=args.nodes, token_ms=args.token or None, name=args.name, wait=not args.no_wait,
                 timeout=args.timeout, qdevice=args.qdevice, set_up=not args.bare)
    t = lab.timings
    hosts = ", ".join(f"{n.name} {'/'.join(n.addrs)}" for n in lab.topology.nodes)
    sys.stdout.write(f"lab {lab.name} up: {hosts}; client {topology.CLIENT_ADDR}\n")
    if args.qdevice:
        sys.stdout.write(f"quorum device: corosync-qnetd on {topology.CLIENT_ADDR}:{qnetd.PORT} "
                         f"({args.qdevice}), corosync-qdevice in every node\n")
    parts = [f"network {t['network_s']:.2f} s"]
    if "qnetd_s" in t:
        parts.append(f"certificates and qnetd {t['qnetd_s']:.2f} s")
    parts.append(f"boot {t['boot_s']:.2f} s")
    if "setup_s" in t:
        parts.append(f"`vigil host auth` and `vigil cluster setup --start` from n1 {t['setup_s']:.2f} s")
    if "members_s" in t:
        parts.append(f"the membership of {args.nodes} seen by every node {t['members_s']:.2f} s later")
    sys.stdout.write(f"took {t['up_s']:.2f} s: {', '.join(parts)}\n")
    if args.bare:
        nodes = " ".join(f"{n.name} addr={n.addrs[0]}" for n in lab.topology.nodes)
        sys.stdout.write("no cluster yet, only each node's remote endpoint: from a node, e.g.\n"
                         "  vigil lab exec n1 vigil host password -p PW   (on each node)\n"
                         f"  vigil lab exec n1 vigil host auth {nodes} -p PW\n"
                         "  vigil lab exec n1 vigil cluster setup NAME "
                         + " ".join(f"{n.name}={n.addrs[0]}" for n in lab.topology.nodes)
                         + " --token 1000 --start --wait\n")
    if args.fencing:
        lab.configure_fencing("n1")
        sys.stdout.write("fencing on: stonith resource fence-lab (fence_vigil_lab, the lab's "
                         "power switch) for every node\n")
    return EXIT_OK


def _cmd_down(args: argparse.Namespace) -> int:
    if _lab().down_by_name(args.name, graceful=not args.force, purge=args.purge):
        sys.stdout.write(f"lab {args.name} down\n")
    else:
        sys.stdout.write(f"lab {args.name} is not up: nothing to do\n")
    return EXIT_OK


def _cmd_exec(args: argparse.Namespace) -> int:
    argv = list(args.cmd)
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        return _fail("vigil lab exec NODE CMD...: CMD is missing", EXIT_USAGE)
    lab = _attach(args)
    problem = _check_host(lab, args.node)
    if problem:
        return _fail(problem, EXIT_USAGE)
    full = lab.exec_argv(args.node, argv)
    sys.stdout.flush()
    try:
        os.execvpe(full[0], full, hostops.command_env())  # the command's exit status is ours
    except OSError as exc:
        return _fail(f"{full[0]}: {exc.strerror}")
    return EXIT_FAILURE  # not reached


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def render_status(st: LabStatus) -> str:
    token = f"token {st.token_ms} ms" if st.token_ms else "Corosync's default token"
    count = f"{len(st.nodes)} node{'s' if len(st.nodes) != 1 else ''}"
    lines = [f"lab {st.name}: {count}, {token}, disks in {st.data_dir}"]
    with_qdevice = st.qdevice is not None
    rows = [("NODE", "ADDRESSES", "POWER", "INIT", "COROSYNC", "MEMBERS", "QUORATE", "DAEMON",
             *(("QDEVICE",) if with_qdevice else ()))]
    notes: list[str] = []
    for n in st.nodes:
        daemon = n.daemon + (f" ({n.daemon_restarts} restarts)" if n.daemon_restarts else "")
        if n.daemon_note and n.daemon_note not in notes:
            notes.append(n.daemon_note)
        extra = []
        if n.links_cut:
            extra.append("cut link " + ",".join(map(str, n.links_cut)))
        if n.isolated:
            extra.append("isolated")
        members = ",".join(n.members) if n.members is not None else "-"
        rows.append((n.name, "/".join(n.addresses), n.power + (f" [{'; '.join(extra)}]" if extra else ""),
                     str(n.init_pid or "-"), n.corosync, members, _yes_no(n.quorate), daemon,
                     *((n.qdevice,) if with_qdevice else ())))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    lines.append(f"client {st.client_addr} (link 0)"
                 + (f"; corosync-qnetd {st.qnetd} ({st.qdevice}, port {qnetd.PORT})" if with_qdevice else ""))
    if st.partition:
        lines.append("partition: " + " | ".join(",".join(g) for g in st.partition))
    lines += [f"daemon: {note}" for note in notes]
    return "\n".join(lines)


def _cmd_status(args: argparse.Namespace) -> int:
    st = _attach(args).status()
    if args.output == "json":
        json.dump(asdict(st), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_status(st) + "\n")
    return EXIT_OK


def _cmd_power(args: argparse.Namespace) -> int:
    lab = _attach(args)
    problem = _check_host(lab, args.node, node_only=True)
    if problem:
        return _fail(problem, EXIT_USAGE)
    act = {"power-off": lab.power_off, "kill": lab.power_off, "power-on": lab.power_on,
           "boot": lab.power_on, "stop": lab.stop}[args.lab_command]
    act(args.node)
    sys.stdout.write(f"{args.node}: {args.lab_command} done\n")
    return EXIT_OK


def _cmd_partition(args: argparse.Namespace) -> int:
    lab = _attach(args)
    # `partition n1,n2 n3` or pcs-style `partition n1,n2 / n3`
    words = " ".join(args.groups)
    chunks = words.split("/") if "/" in words else args.groups
    groups = [[h for h in g.replace(" ", ",").split(",") if h] for g in chunks]
    if any(not g for g in groups):
        return _fail("a partition group is empty: give comma-separated hosts, groups separated "
                     "by spaces or by /", EXIT_USAGE)
    for g in groups:
        for h in g:
            problem = _check_host(lab, h)
            if problem:
                return _fail(problem, EXIT_USAGE)
    try:
        lab.partition(groups)
    except LabError as exc:
        return _fail(str(exc), EXIT_USAGE)
    sys.stdout.write("partitioned: " + " | ".join(",".join(g) for g in groups) + "\n")
    return EXIT_OK


def _cmd_heal(args: argparse.Namespace) -> int:
    _attach(args).heal()
    sys.stdout.write("healed\n")
    return EXIT_OK


def _cmd_link(args: argparse.Namespace) -> int:
    lab = _attach(args)
    problem = _check_host(lab, args.node)
    if problem:
        return _fail(problem, EXIT_USAGE)
    # `link NODE N up|down`, or `link NODE up|down [--link N]` (without --link: every link)
    words = list(args.words)
    link: int | None = args.link_n
    if len(words) == 2 and words[0].isdigit() and link is None:
        link = int(words.pop(0))
    if len(words) != 1 or words[0] not in ("up", "down"):
        return _fail("usage: vigil lab link NODE up|down [--link N]  (or: link NODE N up|down)",
                     EXIT_USAGE)
    state = words[0]
    ports = lab.topology.host(args.node).ports
    if link is not None and not 0 <= link < len(ports):
        return _fail(f"{args.node} has links 0..{len(ports) - 1}, not {link}", EXIT_USAGE)
    for n in [link] if link is not None else range(len(ports)):
        lab.link(args.node, n, state)
        sys.stdout.write(f"{args.node} link {n} {state}\n")
    return EXIT_OK


def _cmd_isolate(args: argparse.Namespace) -> int:
    lab = _attach(args)
    for n in args.nodes:
        problem = _check_host(lab, n, node_only=True)
        if problem:
            return _fail(problem, EXIT_USAGE)
    try:
        lab.isolate(args.nodes)
    except LabError as exc:
        return _fail(str(exc), EXIT_USAGE)
    sys.stdout.write(f"isolated from each other: {', '.join(args.nodes)} (each still reaches the client)\n")
    return EXIT_OK


def _cmd_qnetd(args: argparse.Namespace) -> int:
    lab = _attach(args)
    if args.action == "stop":
        ran = lab.qnetd_stop()
        sys.stdout.write("corosync-qnetd stopped\n" if ran else "corosync-qnetd was not running\n")
    elif args.action == "start":
        lab.qnetd_start()
        sys.stdout.write("corosync-qnetd running\n")
    else:
        if not lab.qnetd_running():
            return _fail("corosync-qnetd is not running (vigil lab qnetd start)")
        proc = lab.qnetd_tool(["-l", "-v"] if args.action == "clusters" else ["-s"])
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            return _fail(f"corosync-qnetd-tool: {(proc.stderr or proc.stdout).strip() or 'failed'}")
    return EXIT_OK


def _cmd_probe(args: argparse.Namespace) -> int:
    from vigil.lab.probe_http import HttpProbe, Outage, check_url

    try:
        check_url(args.url)
    except LabError as exc:
        return _fail(str(exc), EXIT_USAGE)
    lab = _attach(args)
    as_json = args.output == "json"

    def show(o: Outage) -> None:
        if as_json:
            sys.stdout.write(json.dumps({"outage_start": round(o.start, 3), "end": round(o.end or 0, 3),
                                         "length_s": round(o.length, 3), "failures": o.failures,
                                         "detail": o.detail}) + "\n")
        else:
            stamp = time.strftime("%H:%M:%S", time.localtime(o.start)) + f".{int(o.start * 1000) % 1000:03d}"
            sys.stdout.write(f"outage at {stamp}: {o.length:.3f} s ({o.failures} failed probes; "
                             f"{o.detail})\n")
        sys.stdout.flush()

    probe = HttpProbe(lab, args.url, interval=args.interval, on_outage=show)
    if not as_json:
        sys.stdout.write(f"probing {args.url} from the client every {args.interval * 1000:g} ms"
                         + (f" for {args.duration:g} s" if args.duration else " until Ctrl-C") + "\n")
        sys.stdout.flush()
    t0 = time.monotonic()
    probe.start()
    try:
        while args.duration is None or time.monotonic() - t0 < args.duration:
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        outs = probe.stop()
    samples = probe.snapshot()
    failed = sum(1 for s in samples if not s.ok)
    ongoing = [o for o in outs if o.end is None]
    for o in ongoing:
        show(o)
    total = sum(o.length for o in outs)
    longest = max((o.length for o in outs), default=0.0)
    if as_json:
        sys.stdout.write(json.dumps({"summary": True, "url": args.url, "probes": len(samples),
                                     "failed": failed, "outages": len(outs), "downtime_s": round(total, 3),
                                     "longest_s": round(longest, 3), "down_at_end": bool(ongoing)}) + "\n")
    else:
        sys.stdout.write(f"{len(samples)} probes, {failed} failed; {len(outs)} outage"
                         f"{'' if len(outs) == 1 else 's'}, {total:.3f} s down in all, "
                         f"longest {longest:.3f} s"
                         + ("; still down at the end" if ongoing else "") + "\n")
    return EXIT_OK


def _cmd_fail(args: argparse.Namespace) -> int:
    from vigil.lab.demo import fail_resource

    done = fail_resource(_attach(args), args.resource)
    sys.stdout.write(f"{done.resource} ({done.agent}) on {done.node}: {done.how}\n")
    return EXIT_OK


def _cmd_cts(args: argparse.Namespace) -> int:
    from vigil.lab.cts import catalog, runner
    from vigil.lab.cts.endurance import MemorySample

    if args.list:
        for s in catalog.CATALOG:
            sys.stdout.write(f"{s.name:<17} {s.what}"
                             + (f" [not in vigil yet: {s.missing}]" if s.missing else "") + "\n")
        return EXIT_OK
    config = runner.CtsConfig(scenarios=runner.scenario_names(args.scenario),
                              iterations=args.iterations, seed=args.seed, nodes=args.nodes,
                              token_ms=args.token or None, name=args.name,
                              minutes=args.minutes, churn=args.churn)
    def show(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    # a run stopped by SIGTERM (timeout, kill) still tears its lab down (run_cts's finally)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    samples = open(args.samples, "w") if args.samples else None  # noqa: SIM115 (held for the run)

    def keep(m: MemorySample) -> None:
        if samples is not None:
            samples.write(json.dumps(asdict(m)) + "\n")
            samples.flush()

    try:
        report = runner.run_cts(config, out=show, on_memory=keep)
    finally:
        if samples is not None:
            samples.close()
    sys.stdout.write(runner.render_report(report) + "\n")
    return EXIT_OK if report.passed else EXIT_FAILURE


def _at_least_one(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _more_than_zero(unit: str) -> Callable[[str], float]:
    """An argparse type: a number of `unit` above 0."""
    def parse(value: str) -> float:
        try:
            f = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number of {unit}: {value!r}") from None
        if not f > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0 {unit}")
        return f

    return parse


_minutes = _more_than_zero("minutes")
_positive = _more_than_zero("seconds")


Command = Callable[[argparse.Namespace], int]


def _guarded(func: Command) -> Command:
    def run(args: argparse.Namespace) -> int:
        try:
            hostops.require_root()
            return func(args)
        except LabError as exc:
            return _fail(str(exc))
        except KeyboardInterrupt:
            return _fail("interrupted")

    return run


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `vigil lab ...` to the `vigil` parser's subcommands."""
    lab = subparsers.add_parser(
        "lab", help="Corosync nodes in namespaces on this machine (demos, tests, benchmarks; needs root)",
        description="A lab of N nodes in network, mount, UTS and PID namespaces, each running Corosync "
                    "(knet, 2 links) and the vigil daemon, plus a client namespace. Needs root.")
    lab.set_defaults(func=lambda _args: (lab.print_help(), EXIT_USAGE)[1])
    sub = lab.add_subparsers(dest="lab_command")

    def add(name: str, helptext: str, func: Command,
            aliases: list[str] | None = None) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=helptext, description=helptext,
                                                    aliases=aliases or [])
        p.add_argument("--name", type=_lab_name, default=topology.DEFAULT_NAME,
                       help=f"lab name (default {topology.DEFAULT_NAME}); namespaces are vl-NAME-*")
        p.set_defaults(func=_guarded(func))
        return p

    p = add("up", "create the lab and wait until every node sees every member", _cmd_up)
    p.add_argument("--nodes", type=_node_count, default=3, help=f"1 to {topology.MAX_NODES} (default 3)")
    p.add_argument("--token", type=_token, default=1000, metavar="MS",
                   help="Corosync token timeout in ms, with token_coefficient 0 "
                        "(default 1000; 0: Corosync's defaults)")
    p.add_argument("--timeout", type=float, default=90.0,
                   help="seconds to wait for the membership (default 90)")
    p.add_argument("--no-wait", action="store_true", help="return once the nodes are booted")
    p.add_argument("--fencing", action="store_true",
                   help="configure the lab's power switch as the fence device and enable fencing")
    p.add_argument("--bare", action="store_true",
                   help="boot the nodes with no cluster files, only their remote endpoints: set "
                        "the cluster up with vigil host auth and vigil cluster setup")
    p.add_argument("--qdevice", nargs="?", const="ffsplit", choices=qnetd.ALGORITHMS, default=None,
                   metavar="ffsplit|lms",
                   help="a quorum device: corosync-qnetd in the client namespace (10.213.0.50:5403), "
                        "corosync-qdevice in every node (algorithm default ffsplit)")

    p = add("down", "stop every node and remove the lab's namespaces (idempotent)", _cmd_down)
    p.add_argument("--force", action="store_true", help="power everything off at once, no graceful stop")
    p.add_argument("--purge", action="store_true", help="also delete the nodes' disks (logs, state)")

    p = add("exec", "run a command in a node (or in the client: NODE = client)", _cmd_exec)
    p.add_argument("node", metavar="NODE")
    p.add_argument("cmd", metavar="CMD", nargs=argparse.REMAINDER)

    p = add("status", "per node: power, Corosync, the members it sees, quorum, daemon", _cmd_status)
    p.add_argument("--output", choices=("text", "json"), default="text")

    for name, aliases, helptext in (
            ("power-off", ["kill"], "cut a node's power (switch ports down first, then SIGKILL)"),
            ("power-on", ["boot"], "boot a powered-off node again on the same disk"),
            ("stop", [], "graceful shutdown of a node: daemon, then Corosync")):
        add(name, helptext, _cmd_power, aliases).add_argument("node", metavar="NODE")

    p = add("partition", "split the switch into groups, e.g. `partition n1,n2 n3`", _cmd_partition)
    p.add_argument("groups", metavar="GROUP", nargs="+", help="comma-separated hosts (nodes, client)")
    add("heal", "undo the partition", _cmd_heal)

    p = add("isolate", "cut the named nodes off from each other on every link; each keeps the client "
            "(and the quorum device)", _cmd_isolate)
    p.add_argument("nodes", metavar="NODE", nargs="+")

    p = add("qnetd", "the quorum device's corosync-qnetd: stop, start, status (corosync-qnetd-tool -s), "
            "clusters (-l -v)", _cmd_qnetd)
    p.add_argument("action", choices=("stop", "start", "status", "clusters"))

    p = add("link", "cut or restore a node's knet links at the switch (all, or --link N)", _cmd_link)
    p.add_argument("node", metavar="NODE")
    p.add_argument("words", nargs="+", metavar="up|down", help="up or down (also: N up|down)")
    p.add_argument("--link", dest="link_n", type=int, default=None, metavar="N",
                   help="only link N (0 or 1); default: every link of the node")

    p = add("probe", "HTTP GET a lab URL from the client every 50 ms; print each outage and a summary",
            _cmd_probe)
    p.add_argument("url", metavar="URL", help="http:// URL at a lab address (10.213.0.0/16)")
    p.add_argument("--interval", type=_positive, default=0.05, help="seconds between probes (default 0.05)")
    p.add_argument("--duration", type=_positive, default=None, help="stop after S seconds (default: Ctrl-C)")
    p.add_argument("--output", choices=("text", "json"), default="text")

    p = add("cts", "Pacemaker's CTS scenarios against a new lab with fencing, each followed by "
            "CTS's audits (every replica's CIB the same, nothing left to do, resources only where "
            "the cluster says, promoted-max kept, no error in vigild's logs); the lab is removed "
            "afterwards", _cmd_cts)
    p.set_defaults(name="cts")
    p.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="run only this scenario (repeatable; default: every one vigil runs)")
    p.add_argument("--seed", type=int, default=1, help="seed of the order and choices (default 1)")
    p.add_argument("--iterations", type=_at_least_one, default=1,
                   help="times each scenario runs (default 1)")
    p.add_argument("--nodes", type=_node_count, default=3, help="lab size (default 3)")
    p.add_argument("--token", type=_token, default=1000, metavar="MS",
                   help="Corosync token timeout in ms (default 1000; 0: Corosync's defaults)")
    p.add_argument("--list", action="store_true",
                   help="list CTS's scenarios and which vigil runs; run nothing")
    p.add_argument("--minutes", type=_minutes, default=None,
                   help="run whole iterations for this long instead of --iterations (endurance)")
    p.add_argument("--churn", action="store_true",
                   help="a configuration change after each scenario (a resource created or "
                   "deleted, a location preference added or removed)")
    p.add_argument("--samples", metavar="FILE", default=None,
                   help="write every vigild memory sample (JSON lines) to FILE")

    p = add("fail", "kill what a resource manages where it runs (anything: its process; IPaddr2: its "
            "address)", _cmd_fail)
    p.add_argument("resource", metavar="RESOURCE")
