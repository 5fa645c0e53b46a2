"""`vigil cluster setup|start|stop|enable|disable|destroy`: the cluster's files and daemons on
this machine.

Every function here acts on the machine it runs on: run by the CLI on a node, or by a node's
remote endpoint for a command given elsewhere (`--all`, `cluster setup` of authenticated nodes:
vigil.commands.cluster_all sends them there). `setup` writes the three files every node needs
(corosync.conf, the authkey, /etc/vigil/cluster.json) here, or with `out` one bundle per node to
copy; `receive` writes them on a node from a setup run elsewhere.

Daemons: when systemd runs (/run/systemd/system exists) through `systemctl`, corosync.service
and vigild.service (the unit comes with the package, installed by `setup` and `start`). Without
systemd (containers, the lab) directly: `corosync` (it daemonizes and records its PID in
/var/run/corosync.pid) and `python3 -m vigil.daemon`, in a session of its own, its PID recorded
in /run/vigil/vigild.pid. Both are stopped by their recorded PIDs only.

`stop` is graceful for the resources: it asks the cluster to move them off this node first (the
node's transient `shutdown` attribute, as Pacemaker's shutdown request; a request the vigild
that took it no longer holds is withdrawn at the node's next join), waits until nothing runs
here, then stops vigild, then Corosync.
"""

from __future__ import annotations

import importlib.resources
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil import clusterconf
from vigil.clusterconf import ClusterConf, ClusterNode, conf_tree, quorum_device
from vigil.commands import qdevice_net, status
from vigil.commands.env import LiveEnvironment
from vigil.commands.localnode import (
    COROSYNC,
    STATE_DIR,
    VIGILD,
    VIGILD_LOG,
    VIGILD_SOCKET,
    VIGILD_UNIT,
    LocalNode,
)
from vigil.daemon.control import CIB_NOT_READY, EXIT_ALREADY_RUNNING, DaemonStatus
from vigil.model import reports
from vigil.model.reports import Report, ReportError, Severity

COROSYNC_LOG = "/var/log/corosync/corosync.log"
EVENTS_LOG = "/var/log/vigil/events.jsonl"
SHUTDOWN_ATTRIBUTE = "shutdown"
COROSYNC_START_TIMEOUT_S = 30.0
VIGILD_START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 30.0  # per daemon, after SIGTERM (then SIGKILL)
DRAIN_TIMEOUT_S = 120.0  # default wait for the resources to leave the node
START_WAIT_S = 60.0  # default for `start --wait`
POLL_S = 0.5
UNIT_MARK = "# vigild: vigil's cluster resource manager"


# -- setup -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NodeSpec:
    """A node as `cluster setup` was given it: NAME or NAME=ADDR[,ADDR2]."""

    name: str
    addrs: tuple[str, ...] = ()  # none: the name is the address (Corosync resolves it)


@dataclass(frozen=True)
class WrittenFile:
    node: str | None  # the bundle it is in; None: written on this machine
    path: str
    mode: int


@dataclass(frozen=True)
class SetupResult:
    cluster_name: str
    nodes: tuple[ClusterNode, ...]
    files: tuple[WrittenFile, ...]
    out: str | None  # the bundle directory, if one was written
    this_node: str | None  # the node this machine is (by host name), when it is one
    copy_to: tuple[str, ...]  # the nodes that still need the files
    needed: tuple[str, ...]  # the files each of them needs (absolute paths on the node)
    unit: str | None  # the systemd unit installed here, if any
    reports: tuple[Report, ...]


@dataclass(frozen=True)
class Totem:
    """What `cluster setup` sets of Corosync's timing (the rest is Corosync's defaults):
    `--token MS` or pcs's `totem token=MS token_coefficient=MS`, and knet's link heartbeat,
    pcs's `transport knet link ping_interval=MS ping_timeout=MS` (the same for every link)."""

    token_ms: int | None = None
    token_coefficient_ms: int | None = None
    knet_ping: tuple[int, int] | None = None  # (interval, timeout) in ms


def cluster_conf(name: str, nodes: Sequence[NodeSpec], totem: Totem = Totem()) -> ClusterConf:
    """The cluster as Corosync will see it: node ids 1..N in the order given."""
    return ClusterConf(cluster_name=name, token_ms=totem.token_ms,
                       token_coefficient_ms=totem.token_coefficient_ms,
                       knet_ping=totem.knet_ping, nodes=tuple(
                           ClusterNode(nodeid=i, name=n.name, addrs=n.addrs or (n.name,))
                           for i, n in enumerate(nodes, start=1)))


def validation_problems(conf: ClusterConf) -> list[Report]:
    """What is wrong with a new cluster's description, each thing said once."""
    problems = list(clusterconf.validate(conf))
    twice = {r.field("node") for r in problems if r.code == "COROSYNC_NODE_NAME_DUPLICATE"}
    # a node given twice also repeats its address: say it once
    return [r for r in problems
            if not (r.code == "COROSYNC_ADDRESS_DUPLICATE" and r.field("node") in twice)]


def _need_root(host: LocalNode, command: str) -> None:
    if not host.is_root:
        raise ReportError([reports.error("CLUSTER_NEEDS_ROOT", command=command)])


def iso_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def setup(host: LocalNode, name: str, nodes: Sequence[NodeSpec], *, totem: Totem = Totem(),
          force: bool = False, out: Path | None = None, now: float | None = None) -> SetupResult:
    """Write a new cluster's configuration: on this machine, or with `out` one bundle per node
    (out/NODE/etc/...) and out/README.txt. Nothing is written unless everything validates, and
    an existing corosync.conf is only replaced with `force`."""
    conf = cluster_conf(name, nodes, totem)
    problems = validation_problems(conf)
    if problems:
        raise ReportError(problems)
    if out is None:
        _need_root(host, "cluster setup")
    found: list[Report] = []
    if out is None:
        found += setup_problems(host, force)
    else:
        for root in [out / n.name for n in conf.nodes]:
            existing = root / clusterconf.COROSYNC_CONF
            if existing.exists():
                found.append(reports.unless_forced(force, "CLUSTER_FILE_EXISTS", path=existing))
    if out is not None and out.exists() and not out.is_dir():
        found.append(reports.error("CLUSTER_FILE_UNWRITABLE", path=out, detail="not a directory"))
    me = host.hostname()
    this_node = me if any(n.name == me for n in conf.nodes) else None
    if out is None and this_node is None:
        found.append(reports.warning("CLUSTER_SETUP_HOST_NOT_A_NODE", host=me,
                                     nodes=", ".join(n.name for n in conf.nodes)))
    if any(r.severity is Severity.ERROR for r in found):
        raise ReportError(found)
    files = clusterconf.node_files(conf, clusterconf.new_authkey(), iso_time(time.time()
                                                                          if now is None else now))
    written: list[WrittenFile] = []
    unit = None
    try:
        if out is None:
            clusterconf.write_files(host.path("/"), files)
            written += [WrittenFile(None, f.absolute, f.mode) for f in files]
            unit = install_unit(host)
        else:
            for n in conf.nodes:
                paths = clusterconf.write_files(out / n.name, files)
                written += [WrittenFile(n.name, str(p), f.mode) for p, f in zip(paths, files,
                                                                                  strict=True)]
            readme = out / "README.txt"
            readme.write_text(bundle_readme(conf, files, out))
            written.append(WrittenFile(None, str(readme), 0o644))
    except OSError as exc:
        raise ReportError([reports.error("CLUSTER_FILE_UNWRITABLE", path=exc.filename or "",
                                         detail=exc.strerror or str(exc))]) from None
    copy_to = tuple(n.name for n in conf.nodes if out is not None or n.name != this_node)
    return SetupResult(conf.cluster_name, conf.nodes, tuple(written),
                       str(out) if out is not None else None, this_node, copy_to,
                       tuple(f.absolute for f in files), unit, tuple(found))


def setup_problems(host: LocalNode, force: bool) -> list[Report]:
    """Why this machine should not take a new cluster's files: a corosync.conf it has (it may
    describe a cluster in use) or a Corosync that runs; warnings instead with `force`."""
    found: list[Report] = []
    existing = host.path("/" + clusterconf.COROSYNC_CONF)
    if existing.exists():
        found.append(reports.unless_forced(force, "CLUSTER_FILE_EXISTS", path=existing))
    if host.running(COROSYNC) is not None:
        found.append(reports.unless_forced(force, "CLUSTER_IS_RUNNING", command="cluster setup"))
    return found


@dataclass(frozen=True)
class SetupCheck:
    node: str
    reports: tuple[Report, ...]


def setup_check(host: LocalNode, force: bool) -> SetupCheck:
    """Whether this node may take a new cluster's files (`setup_problems`), asked of every node
    before any of them is written to."""
    _need_root(host, "cluster setup")
    found = setup_problems(host, force)
    if any(r.severity is Severity.ERROR for r in found):
        raise ReportError(found)
    return SetupCheck(host.hostname(), tuple(found))


# the files a node takes from `cluster setup` run elsewhere: these three, nothing else
RECEIVABLE = frozenset({clusterconf.COROSYNC_CONF, clusterconf.AUTHKEY, clusterconf.CLUSTER_JSON})


@dataclass(frozen=True)
class Received:
    node: str
    written: tuple[str, ...]
    unit: str | None
    reports: tuple[Report, ...]


def receive(host: LocalNode, files: Sequence[clusterconf.NodeFile], *, force: bool = False
            ) -> Received:
    """Write the files `cluster setup` made on another machine for this node (through this
    node's endpoint): the same checks as a setup run here, all or nothing."""
    _need_root(host, "cluster setup")
    unknown = sorted({f.path for f in files} - RECEIVABLE)
    if unknown or len({f.path for f in files}) != len(RECEIVABLE):
        raise ReportError([reports.error("CLUSTER_FILES_INCOMPLETE", node=host.hostname(),
                                         detail=", ".join(unknown) or "a file is missing")])
    found = setup_problems(host, force)
    if any(r.severity is Severity.ERROR for r in found):
        raise ReportError(found)
    try:
        clusterconf.write_files(host.path("/"), files)
        unit = install_unit(host)
    except OSError as exc:
        raise ReportError([reports.error("CLUSTER_FILE_UNWRITABLE", path=exc.filename or "",
                                         detail=exc.strerror or str(exc))]) from None
    return Received(host.hostname(), tuple(f.absolute for f in files), unit, tuple(found))


# a node of a running cluster takes a new version of these two (`cluster node add|remove`)
UPDATABLE = frozenset({clusterconf.COROSYNC_CONF, clusterconf.CLUSTER_JSON})


def update_conf(host: LocalNode, files: Sequence[clusterconf.NodeFile]) -> Received:
    """Replace this node's corosync.conf and cluster.json with the versions a node add or
    remove made elsewhere: only on a node of the same cluster (the same cluster_name), and
    only these two files. Corosync reads it at the reload that follows (`reload_conf`)."""
    _need_root(host, "cluster node")
    paths = {f.path for f in files}
    if paths != UPDATABLE:
        raise ReportError([reports.error("CLUSTER_FILES_INCOMPLETE", node=host.hostname(),
                                         detail=", ".join(sorted(paths ^ UPDATABLE)))])
    conf = host.path("/" + clusterconf.COROSYNC_CONF)
    new = next(f for f in files if f.path == clusterconf.COROSYNC_CONF)
    try:
        mine = clusterconf.cluster_name_of(conf.read_text())
        theirs = clusterconf.cluster_name_of(new.data.decode())
    except FileNotFoundError:
        raise ReportError([reports.error("CLUSTER_NOT_SET_UP", path="/" + clusterconf.COROSYNC_CONF)]
                          ) from None
    except (OSError, UnicodeDecodeError, ReportError) as exc:
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE", path=str(conf),
                                         detail=str(exc))]) from None
    if mine != theirs:
        raise ReportError([reports.error("CLUSTER_NOT_THIS_CLUSTER", node=host.hostname(),
                                         mine=mine or "?", theirs=theirs or "?")])
    try:
        clusterconf.write_files(host.path("/"), files)
    except OSError as exc:
        raise ReportError([reports.error("CLUSTER_FILE_UNWRITABLE", path=exc.filename or "",
                                         detail=exc.strerror or str(exc))]) from None
    return Received(host.hostname(), tuple(f.absolute for f in files), None, ())


@dataclass(frozen=True)
class Reloaded:
    node: str


def reload_conf(host: LocalNode) -> Reloaded:
    """Every member's Corosync rereads its corosync.conf (`corosync-cfgtool -R`, run on one)."""
    _need_root(host, "cluster node")
    rc, output = host.run(["corosync-cfgtool", "-R"], timeout=30)
    if rc != 0:
        raise ReportError([reports.error("COROSYNC_TOOL_FAILED", tool="corosync-cfgtool -R",
                                         detail=output.splitlines()[-1] if output else f"exit {rc}")])
    return Reloaded(host.hostname())


def bundle_readme(conf: ClusterConf, files: Sequence[clusterconf.NodeFile], out: Path) -> str:
    names = [n.name for n in conf.nodes]
    lines = [
        f"Cluster {conf.cluster_name}: configuration written by `vigil cluster setup`.",
        "",
        "Written for copying by hand (with every node authenticated by `vigil host auth`,",
        "`vigil cluster setup` without --out writes them through the nodes' endpoints).",
        "Each directory below holds what that node needs, at the path it must have there:",
        "",
        *[f"  {f.absolute}  (mode {f.mode:04o}, owner root)" for f in files],
        "",
        "The files are the same on every node; the authkey is secret: keep its mode 0400.",
        "Copy each node's directory onto that node's root as root, for example:",
        "",
        *[f"  tar -C {out / n} -cpf - etc | ssh root@{n} tar -C / -xpf -" for n in names],
        "",
        "Then, on each node: vigil cluster start",
        "",
    ]
    return "\n".join(lines)


def unit_text(python: str, unit: str = "vigild.service") -> str:
    """A systemd unit of the package (data/), for the Python that runs vigil here."""
    template = importlib.resources.files("vigil").joinpath(f"data/{unit}").read_text()
    return template.replace("@PYTHON@", python)


def install_unit(host: LocalNode) -> str | None:
    """Install (or refresh) vigild.service when systemd runs; its path, or None."""
    if not host.has_systemd:
        return None
    path = host.path(VIGILD_UNIT)
    text = unit_text(host.python)
    if not path.exists() or path.read_text() != text:
        clusterconf.write_files(host.path("/"), [clusterconf.NodeFile(
            VIGILD_UNIT.lstrip("/"), text.encode(), 0o644)])
        _systemctl(host, "daemon-reload")
    return VIGILD_UNIT


def _systemctl(host: LocalNode, *args: str) -> None:
    rc, output = host.systemctl(*args)
    if rc != 0:
        raise ReportError([reports.error("CLUSTER_SERVICE_FAILED", action=" ".join(args),
                                         detail=output.splitlines()[-1] if output else f"exit {rc}")])


# -- enable, disable ---------------------------------------------------------------------------
@dataclass(frozen=True)
class BootResult:
    node: str
    units: tuple[str, ...]  # the units enabled (or disabled)


def boot(host: LocalNode, *, enabled: bool) -> BootResult:
    """Whether the cluster starts when this node boots: systemd's `enable` (or `disable`) of
    corosync.service and vigild.service. A node without systemd has nothing to enable: what it
    starts at boot is its init's, and that is said rather than pretended."""
    command = "cluster enable" if enabled else "cluster disable"
    _need_root(host, command)
    if not host.has_systemd:
        raise ReportError([reports.error("CLUSTER_BOOT_NOT_MANAGED", node=host.hostname(),
                                         command=command)])
    if not host.path(clusterconf.COROSYNC_CONF).exists():
        raise ReportError([reports.error("CLUSTER_NOT_SET_UP", path="/" + clusterconf.COROSYNC_CONF)])
    install_unit(host)
    units = (COROSYNC.unit, VIGILD.unit)
    _systemctl(host, "enable" if enabled else "disable", *units)
    return BootResult(host.hostname(), units)


# -- start -------------------------------------------------------------------------------------
def _has_quorum_device(host: LocalNode) -> bool:
    """corosync.conf here names a quorum device (its daemon runs beside Corosync)."""
    try:
        root = conf_tree.parse(host.path("/" + clusterconf.COROSYNC_CONF).read_text())
    except (OSError, UnicodeDecodeError, ReportError):
        return False
    return quorum_device.read_device(root) is not None


@dataclass(frozen=True)
class StartResult:
    systemd: bool
    started: tuple[str, ...]  # what this command started ("corosync", "vigild")
    running: tuple[str, ...]  # what already ran
    node: str | None  # this node's name in the cluster, once it was waited for
    members: tuple[str, ...]  # the members vigild saw, once waited for
    quorate: bool = True  # False: online, but its partition had no quorum when the wait ended


def start(host: LocalNode, *, wait: float | None = None) -> StartResult:
    """Start Corosync, then vigild, on this node; with `wait`, also wait (at most that many
    seconds) until this node is online in the cluster."""
    _need_root(host, "cluster start")
    if not host.path(clusterconf.COROSYNC_CONF).exists():
        raise ReportError([reports.error("CLUSTER_NOT_SET_UP", path="/" + clusterconf.COROSYNC_CONF)])
    started: list[str] = []
    running: list[str] = []
    if host.has_systemd:
        install_unit(host)
        for program in (COROSYNC, VIGILD):
            rc, _ = host.systemctl("is-active", "--quiet", program.unit)
            if rc == 0:
                running.append(program.name)
                continue
            _systemctl(host, "start", program.unit)
            started.append(program.name)
    else:
        (started if _start_corosync(host) else running).append(COROSYNC.name)
        (started if _start_vigild(host) else running).append(VIGILD.name)
    if _has_quorum_device(host):  # as pcs's cluster start: the device's daemon with Corosync
        change = qdevice_net.start(host, qdevice_net.QDEVICE)
        (started if change.changed else running).append(change.service)
    node: str | None = None
    members: list[str] = []
    quorate = True
    if wait is not None:
        node, members, quorate = _wait_online(host, wait)
    return StartResult(host.has_systemd, tuple(started), tuple(running), node, tuple(members),
                       quorate)


def _cmap_answers(host: LocalNode) -> bool:
    return host.run(["corosync-cmapctl", "-g", "totem.cluster_name"], timeout=5)[0] == 0


def _start_corosync(host: LocalNode) -> bool:
    if host.running(COROSYNC) is not None:
        return False
    exe = host.which("corosync")
    if exe is None:
        raise ReportError([reports.error("COROSYNC_NOT_INSTALLED")])
    rc, output = host.run([exe], timeout=COROSYNC_START_TIMEOUT_S)
    if rc != 0:
        raise ReportError([reports.error("COROSYNC_START_FAILED", log=COROSYNC_LOG,
                                         detail=output.splitlines()[-1] if output else f"exit {rc}")])
    deadline = host.clock() + COROSYNC_START_TIMEOUT_S
    while host.running(COROSYNC) is None or not _cmap_answers(host):
        if host.clock() >= deadline:
            raise ReportError([reports.error(
                "COROSYNC_START_FAILED", log=COROSYNC_LOG,
                detail=f"it did not answer within {COROSYNC_START_TIMEOUT_S:g} s")])
        host.sleep(0.1)
    return True


def _answers(env: LiveEnvironment) -> DaemonStatus | None:
    try:
        return env.status()
    except ReportError:
        return None


def _start_vigild(host: LocalNode) -> bool:
    if host.running(VIGILD) is not None:
        return False
    if _answers(host.live_env(timeout=5)) is not None:  # run by someone else (a supervisor)
        return False
    for d in ("/run/vigil", "/var/log/vigil", STATE_DIR):
        host.path(d).mkdir(mode=0o755, parents=True, exist_ok=True)
    pid = host.spawn_detached([host.python, "-m", "vigil.daemon",
                               "--socket", str(host.path(VIGILD_SOCKET)),
                               "--state-dir", str(host.path(STATE_DIR)),
                               "--events", str(host.path(EVENTS_LOG))], VIGILD_LOG)
    host.write_pid(VIGILD.pidfile, pid)
    deadline = host.clock() + VIGILD_START_TIMEOUT_S
    env = host.live_env(timeout=2)
    while _answers(env) is None:
        code = host.exited(pid)
        if code == EXIT_ALREADY_RUNNING:
            # another vigild holds this node's state directory (a supervisor started it at the
            # same moment): that one runs, and the pid file names it
            host.forget_pid(VIGILD.pidfile, pid)
            holder = host.read_pid(STATE_DIR + "/vigild.lock")
            if holder is not None and host.running(VIGILD) is None:
                host.write_pid(VIGILD.pidfile, holder)
            return False
        if code is not None:
            host.forget_pid(VIGILD.pidfile, pid)
            raise ReportError([reports.error("VIGILD_START_FAILED", log=VIGILD_LOG,
                                             detail=f"it exited at once (exit {code})")])
        if host.clock() >= deadline:
            break  # still starting: `start --wait` or `vigil status` tells when it is up
        host.sleep(0.1)
    return True


ALONE_STABLE_S = 10.0  # an inquorate view held this long is where the node stays for now


def _wait_online(host: LocalNode, timeout: float) -> tuple[str, list[str], bool]:
    """Wait until vigild is in step with a quorate cluster and its node is online, not
    shutting down; (this node's name, the members, True). A node whose partition stays
    without quorum (the first of several nodes started one by one) is online all the same
    once that view has held for ALONE_STABLE_S: (name, members, False)."""
    env = host.live_env(timeout=5)
    deadline = host.clock() + timeout
    waiting_for = "vigild to answer"
    view: tuple[str, ...] = ()
    view_since = host.clock()
    while True:
        state = _answers(env)
        if state is not None:
            node = state.node
            members = list(state.members)
            if tuple(members) != view:
                view, view_since = tuple(members), host.clock()
            waiting_for = f"{node} to join a quorate cluster"
            # in step with a quorate view that holds every Corosync member (a node that starts
            # may first see a view of its own, before its Corosync merges with the others: an
            # inquorate view counts only once it has held for a while)
            alone = (not state.quorate and host.clock() - view_since >= ALONE_STABLE_S)
            if (state.synced and state.dc and (state.quorate or alone)
                    and node in members and len(members) >= state.corosync_members):
                waiting_for = f"{node} to be online"
                try:
                    nodes = status.cluster_status(env).transition.nodes
                except ReportError:
                    nodes = ()
                if any(n.name == node and n.online and not n.shutdown for n in nodes):
                    return node, members, bool(state.quorate)
        if host.clock() >= deadline:
            raise ReportError([reports.error("CLUSTER_START_TIMEOUT", seconds=f"{timeout:g}",
                                             waiting_for=waiting_for)])
        host.sleep(POLL_S)


# -- stop --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StopResult:
    systemd: bool
    node: str | None  # this node's name in the cluster, when vigild answered
    moved: tuple[str, ...]  # the resources that ran here and were moved (or stopped) first
    stopped: tuple[str, ...]  # the daemons stopped ("vigild", "corosync")
    killed: tuple[str, ...]  # those that had to be killed after STOP_TIMEOUT_S
    reports: tuple[Report, ...]


def _running_here(env: LiveEnvironment, node: str) -> list[str]:
    """The managed resources (primitive instances) the cluster sees running on `node`. An
    unmanaged one (is-managed=false, maintenance) stays where it runs when the node stops, as
    Pacemaker leaves it: waiting for it to leave would wait for good (CTS's Reattach stops
    every node under unmanaged resources and finds them running when the nodes start)."""
    allocations = status.cluster_status(env).transition.allocations
    return [a.resource for a in allocations
            if a.kind == "primitive" and a.managed and node in a.current_nodes]


def _quorum_problem(state: DaemonStatus, force: bool) -> Report | None:
    """Stopping this node would cost the others their quorum (two-node clusters excepted)."""
    votes, expected = state.votes, state.expected_votes
    if not state.quorate:
        return None
    if expected <= 2 or votes - 1 >= expected // 2 + 1:
        return None
    return reports.unless_forced(force, "CLUSTER_STOP_LOSES_QUORUM", votes=votes - 1,
                                 needed=expected // 2 + 1)


def _drain(host: LocalNode, env: LiveEnvironment, node: str, node_id: str, timeout: float,
           force: bool, found: list[Report]) -> tuple[str, ...]:
    """Ask the cluster to move everything off `node`; wait until nothing runs there. What runs
    is read again once the request is in: a node still joining (CTS's PartialStart) takes
    resources from the DC between the first look and the request, and stopping it with them
    running gets it fenced ("thought to be active there")."""
    moved = list(_running_here(env, node))
    deadline = host.clock() + timeout
    _set_in_step(host, env, deadline, node_id, node, str(int(time.time())))
    try:
        # a look right after the request could miss a start the DC sent before it applied
        # the request, ordered after it: it reaches this node within a token's round
        host.sleep(POLL_S)
        while True:
            left = _running_here(env, node)
            moved += [r for r in left if r not in moved]
            if not left and not _operations_here(env):
                break
            if host.clock() >= deadline:
                what = ", ".join(left) or "operations the cluster asked for"
                problem = reports.unless_forced(force, "CLUSTER_DRAIN_TIMEOUT", node=node,
                                                seconds=f"{timeout:g}", resources=what)
                if not force:
                    raise ReportError([problem])
                found.append(problem)
                break
            host.sleep(POLL_S)
    except BaseException:
        # not stopping after all: the node takes resources again
        env.set_attribute(node_id, node, SHUTDOWN_ATTRIBUTE, None)
        raise
    return tuple(moved)


def _operations_here(env: LiveEnvironment) -> int:
    """Operations running on this node for the cluster: their results are not in the CIB."""
    state = _answers(env)
    return state.operations if state is not None else 0


def _set_in_step(host: LocalNode, env: LiveEnvironment, deadline: float, node_id: str,
                 node: str, value: str) -> None:
    """Ask for this node's shutdown; asked again while vigild is not in step with its view (a
    membership change being synchronised: another node stopping at the same moment, as in
    `cluster stop` on every node at once), until `deadline`."""
    while True:
        try:
            env.set_attribute(node_id, node, SHUTDOWN_ATTRIBUTE, value)
            return
        except ReportError as exc:
            if host.clock() >= deadline or not any(
                    r.code == CIB_NOT_READY for r in exc.reports):
                raise
        host.sleep(POLL_S)


def _in_step(host: LocalNode, env: LiveEnvironment, state: DaemonStatus,
             timeout: float) -> DaemonStatus:
    """`state` once vigild is in step with its view (synced), asked again until `timeout`;
    the last answer when it never is (the drain then says why)."""
    deadline = host.clock() + timeout
    while not state.synced and host.clock() < deadline:
        host.sleep(POLL_S)
        state = _answers(env) or state
    return state


def _daemons_running(host: LocalNode) -> dict[str, int | None]:
    """The daemons that run here: name -> recorded PID (None under systemd)."""
    found: dict[str, int | None] = {}
    for program in (VIGILD, COROSYNC):
        if host.has_systemd:
            if host.systemctl("is-active", "--quiet", program.unit)[0] == 0:
                found[program.name] = None
        else:
            pid = host.running(program)
            if pid is not None:
                found[program.name] = pid
    return found


def running_daemons(host: LocalNode) -> list[str]:
    """The cluster's daemons that run here (vigild, corosync)."""
    return list(_daemons_running(host))


def stop(host: LocalNode, *, timeout: float = DRAIN_TIMEOUT_S, force: bool = False,
         whole_cluster: bool = False,
         daemons: tuple[str, ...] = ("vigild", "corosync")) -> StopResult:
    """Move the resources off this node, then stop vigild, then Corosync. With `force`, a
    vigild that does not answer, a drain that times out or a loss of quorum do not stop it.

    `whole_cluster`: every node is being stopped (`cluster stop --all`), so the quorum the
    others keep is not this stop's concern. `daemons`: which to stop (`--all` stops every
    vigild before any Corosync, as pcs stops Pacemaker everywhere first: a node whose Corosync
    left early would cost the others their quorum while they still drain)."""
    _need_root(host, "cluster stop")
    running = {k: v for k, v in _daemons_running(host).items() if k in daemons}
    env = host.live_env()
    state = _answers(env)
    if state is not None and "vigild" not in running:
        raise ReportError([reports.error("VIGILD_NOT_STARTED_BY_VIGIL", pidfile=VIGILD.pidfile)])
    found: list[Report] = []
    node: str | None = None
    moved: tuple[str, ...] = ()
    if not running:
        found.append(reports.info("CLUSTER_NOT_RUNNING"))
        return StopResult(host.has_systemd, None, (), (), (), tuple(found))
    if "vigild" in running:
        if state is None:
            problem = reports.unless_forced(force, "VIGILD_NOT_ANSWERING", socket=env.socket_path)
            if not force:
                raise ReportError([problem])
            found.append(problem)
        else:
            # a node stopped while it joins (CTS's PartialStart): its vigild gets in step with
            # the others first (the drain's request needs that), within the stop's wait
            state = _in_step(host, env, state, timeout)
            node, node_id = state.node, str(state.node_id)
            lost = None if whole_cluster else _quorum_problem(state, force)
            if lost is not None:
                if not force:
                    raise ReportError([lost])
                found.append(lost)
            moved = _drain(host, env, node, node_id, timeout, force, found)
    stopped: list[str] = []
    killed: list[str] = []
    for program in (VIGILD, COROSYNC):
        if program.name not in running:
            continue
        if program is COROSYNC and not host.has_systemd:
            # the device's daemon before Corosync, as systemd's Requires= would stop it
            qdevice_net.stop(host, qdevice_net.QDEVICE)
        pid = running[program.name]
        if pid is None:
            _systemctl(host, "stop", program.unit)
        else:
            if host.terminate(program, pid, STOP_TIMEOUT_S):
                killed.append(program.name)
            host.forget_pid(program.pidfile, pid)  # corosync removes its own, unless killed
        stopped.append(program.name)
    return StopResult(host.has_systemd, node, moved, tuple(stopped), tuple(killed), tuple(found))


# -- destroy -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DestroyResult:
    stopped: StopResult | None
    removed: tuple[str, ...]
    kept: tuple[str, ...]  # the CIB files kept (without force)
    reports: tuple[Report, ...]


def _cib_files(host: LocalNode) -> list[Path]:
    state = host.path(STATE_DIR)
    if not state.is_dir():
        return []
    return sorted(p for p in state.iterdir() if p.name.startswith("cib") and p.suffix == ".xml")


def destroy(host: LocalNode, *, force: bool = False) -> DestroyResult:
    """Remove what `setup` wrote on this machine (and, with `force`, vigil's CIB). A running
    cluster is stopped first, and only with `force`."""
    _need_root(host, "cluster destroy")
    found: list[Report] = []
    stopped = None
    if _daemons_running(host) or _answers(host.live_env(timeout=5)) is not None:
        problem = reports.unless_forced(force, "CLUSTER_IS_RUNNING", command="cluster destroy")
        if not force:
            raise ReportError([problem])
        stopped = stop(host, force=True)
        found += stopped.reports
    paths = [host.path("/" + p) for p in (clusterconf.COROSYNC_CONF, clusterconf.AUTHKEY,
                                          clusterconf.CLUSTER_JSON)]
    unit = host.path(VIGILD_UNIT)
    if unit.exists() and unit.read_text().startswith(UNIT_MARK):
        paths.append(unit)
    cib = _cib_files(host)
    if force:
        paths += cib
    removed: list[str] = []
    try:
        for p in paths:
            if p.exists():
                p.unlink()
                removed.append("/" + str(p.relative_to(host.path("/"))))
    except OSError as exc:
        raise ReportError([reports.error("CLUSTER_FILE_UNWRITABLE", path=exc.filename or "",
                                         detail=exc.strerror or str(exc))]) from None
    if unit in paths and host.has_systemd:
        host.systemctl("daemon-reload")
    kept = () if force else tuple("/" + str(p.relative_to(host.path("/"))) for p in cib)
    return DestroyResult(stopped, tuple(removed), kept, tuple(found))
