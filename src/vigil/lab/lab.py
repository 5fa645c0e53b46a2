"""The lab: N Corosync nodes (and their vigil daemons) in Linux namespaces on this machine.

    with Lab.up(nodes=3, token_ms=1000) as lab:      # waits until every node sees every member
        lab.exec("n1", ["corosync-quorumtool", "-s"])
        lab.power_off("n3")
        lab.wait_for(lambda: lab.members("n1") == {"n1", "n2"}, timeout=10)

Layout (see topology.py): a switch namespace with one bridge per knet link, one namespace per node
(eth0 on link 0, eth1 on link 1) and a client namespace on link 0. Every node is a long-lived init
(vigil.lab.nodeinit, PID 1 of its own PID namespace) in private mount and UTS namespaces.

Files:
- /run/vigil-lab/<lab>.json: what the lab created (namespaces, PIDs and start times of the inits,
  addresses, partition, cut links); `down` removes exactly that, and is idempotent.
- /var/lib/vigil-lab/<lab>/<node>/: the node's "disk", bind-mounted in the node on /etc/corosync,
  /etc/vigil, /var/lib/corosync, /var/log/corosync, /var/lib/vigil and /var/log/vigil; init.log
  is the init's own log. Its etc/ holds what `vigil cluster setup` writes (corosync.conf, authkey,
  vigil/cluster.json): for a lab of vigil's daemon without a quorum device, written by `vigil
  cluster setup --start` run in n1 after `vigil host auth` of every node, through the nodes'
  remote endpoints as an operator would set a cluster up (each disk has the lab's hacluster
  password file, as an image would); otherwise (another stack's daemon, a quorum device whose
  certificates the lab makes) written on the disks by the same code. It survives power cycles
  and `down` (for post-mortems); the next `up` of the same lab name starts from fresh disks.
- the host's /etc/vigil, /var/lib/vigil and /var/log/vigil are created (empty) if missing: they
  are the mount points of the nodes' bind mounts.
- /var/lib/vigil-lab/<lab>/qnetd/: with a quorum device, qnetd's NSS database (etc/qnetd/nssdb),
  lock file and IPC socket (run/), qnetd.log and certutil.log.

Faults:
- power_off: the node's switch ports go down FIRST (no RST or ICMP unreachable may tell the peers
  early, as a real power cut would not), then SIGKILL of its init (the kernel kills every process
  of its PID namespace), then its interfaces go down.
- power_on: flushes the addresses left on the node's interfaces (a VIP of IPaddr2, say), puts
  back its own, brings its ports up (except links cut with `link`), boots the init again on the
  same disk.
- partition: moves the switch ports of every group but the first into bridges of their own
  (vl-p<g>-l<k>, one per link) in the switch namespace: no packet filter involved, and nodes keep
  carrier. `heal` moves every port back to the main bridges and deletes the extra ones.
- link(node, k, "down"): the node's switch port on link k goes down (a cable pulled); it stays
  down across power cycles until link(node, k, "up").
- isolate(nodes): the nodes' switch ports, on every link, become isolated bridge ports (iproute2's
  `bridge_slave isolated on`): isolated ports no longer exchange frames with each other, but each
  still reaches every port that is not isolated (the client, with the quorum device). `heal`
  undoes it; a `partition` replaces it.

Quorum device: `up(..., qdevice="ffsplit")` (or "lms") runs corosync-qnetd in the client
namespace and corosync-qdevice in every node (see qnetd.py); `qnetd_stop`, `qnetd_start` and
`qnetd_tool` act on qnetd.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import secrets
import shutil
import signal
import site
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeVar

import vigil
from vigil import clusterconf, fencer
from vigil.clusterconf.quorum_device import QuorumDevice, with_default_votes
from vigil.host.passwords import PasswordFile
from vigil.lab import hostops, power, probe, qnetd, state, topology
from vigil.lab.errors import LabError, LabTimeout
from vigil.model.reports import ReportError

T = TypeVar("T")

BINDS = ("etc/corosync", "etc/vigil", "var/lib/corosync", "var/log/corosync", "var/lib/vigil",
         "var/log/vigil")
DAEMON_MODULE = "vigil.daemon"
REMOTE_MODULE = "vigil.api"  # the remote endpoint (python3 -m vigil.api), on port 2224
REMOTE_PORT = 2224
FENCE_AGENT = "fence_vigil_lab"  # installed by scripts/install-fence-agent.sh
INIT_STATUS = "run/vigil-lab/status.json"  # inside the node, read via /proc/<init>/root
BOOT_TIMEOUT_S = 10.0
PREFLIGHT_TIMEOUT_S = 30.0  # the daemon's import check in every node; about a second when idle
KILL_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 40.0


@dataclass(frozen=True)
class NodeStatus:
    name: str
    nodeid: int
    addresses: tuple[str, ...]
    power: str  # on | off
    init_pid: int | None
    corosync: str  # starting | running | unresponsive | dead | stopped | off | unknown
    members: tuple[str, ...] | None  # names of the members this node's Corosync sees; None: no answer
    quorate: bool | None
    ring_id: str
    daemon: str  # not-installed | checking | waiting | running | restart-wait | disabled | off ...
    daemon_note: str
    daemon_restarts: int
    links_cut: tuple[int, ...]
    group: int  # partition bridge group, 0 = main bridges
    qdevice: str = "none"  # corosync-qdevice in the node: none (no device) | waiting | running ...
    isolated: bool = False  # its switch ports are isolated (`isolate`)


@dataclass(frozen=True)
class LabStatus:
    name: str
    token_ms: int | None
    nodes: tuple[NodeStatus, ...]
    client_addr: str
    partition: tuple[tuple[str, ...], ...]  # groups of hosts, () when healed
    data_dir: str
    timings: dict[str, float] = field(default_factory=dict)
    qdevice: str | None = None  # the quorum device's algorithm; None: no device
    qnetd: str = "none"  # none | running | stopped


def cluster_name(lab: str) -> str:
    """The lab's cluster_name in corosync.conf (and in the quorum device's certificate)."""
    return f"vl{lab}"[:32]


def _daemon_env(lab: str, node: str) -> dict[str, str]:
    src_root = str(Path(vigil.__file__).resolve().parent.parent)  # the vigil the host runs
    pythonpath = ":".join(p for p in (src_root, os.environ.get("PYTHONPATH", "")) if p)
    return {"PATH": hostops.tool_path(), "PYTHONPATH": pythonpath, "VIGIL_LAB": lab, "VIGIL_NODE": node}


def fence_agent_problem(agent_dir: Path = fencer.DEFAULT_AGENT_DIR) -> str | None:
    """Why the fencer cannot run the lab's fence agent (one line), None when it can: it runs
    only AGENT_DIR/fence_* (the nodes see the host's /usr/sbin), an executable file."""
    path = agent_dir / FENCE_AGENT
    if fencer.agent_path(FENCE_AGENT, agent_dir) is not None:
        return None
    why = "a link to a file that is gone" if path.is_symlink() else "missing or not executable"
    return (f"the lab's fence agent {path} is {why}: run `bash scripts/install.sh` (or "
            f"scripts/install-fence-agent.sh) from a vigil checkout")


def python_paths(pythonpath: str) -> list[str]:
    """Where the Python that runs vigil lives: vigil's package and source root, the interpreter's
    prefixes (a venv's included) and directory, its site-packages, and `pythonpath`'s entries;
    each as given and resolved (a symlink into /tmp counts). The node init keeps those its private
    tmpfs would hide visible (vigil.lab.nodeinit.kept_paths)."""
    package = Path(vigil.__file__).parent
    found = [str(package), str(package.parent), sys.prefix, sys.exec_prefix,
             os.path.dirname(sys.executable), *site.getsitepackages(), site.getusersitepackages(),
             *(p for p in pythonpath.split(":") if p)]
    out: list[str] = []
    for path in found:
        if not os.path.isabs(path):
            continue
        for variant in (os.path.normpath(path), os.path.realpath(path)):
            if variant not in out and os.path.exists(variant):
                out.append(variant)
    return out


class Lab:
    """A running lab. Get one with `Lab.up(...)` or `Lab.attach(name)`."""

    def __init__(self, st: state.LabState) -> None:
        self.name = st.name
        self.topology = topology.build(st.name, st.node_count)
        self._state = st
        self._popens: dict[str, subprocess.Popen[bytes]] = {}
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ life cycle
    @classmethod
    def up(cls, nodes: int = 3, token_ms: int | None = 1000, *, name: str = topology.DEFAULT_NAME,
           daemon_argv: Sequence[str] | None = None, wait: bool = True, timeout: float = 90.0,
           qdevice: str | None = None, set_up: bool = True,
           through_endpoint: bool | None = None) -> Lab:
        """Create the network, boot every node; with `wait`, return once every node's Corosync
        sees all N members (LabTimeout after `timeout` s). `token_ms` None keeps Corosync's
        default token (3000 ms + 650 ms per node above two); otherwise token_coefficient is 0, so
        the runtime token is exactly `token_ms`. `daemon_argv` replaces `python3 -m vigil.daemon`
        (which is only started if it imports). `qdevice` ("ffsplit" or "lms") adds a quorum
        device: corosync-qnetd in the client namespace, corosync-qdevice in every node.
        `set_up` False boots the nodes with no cluster files, only their remote endpoints
        running (waited for instead of members), for `vigil host auth` and `vigil cluster setup`
        to do the rest, as an operator would. `through_endpoint` False writes the cluster files
        on the disks rather than setting the cluster up through the endpoints."""
        hostops.require_root()
        hostops.require_tools()
        for problem in (topology.check_lab_name(name), topology.check_node_count(nodes),
                        qnetd.check_algorithm(qdevice) if qdevice is not None else None):
            if problem:
                raise LabError(problem)
        if qdevice is not None:
            qnetd.require_tools()
            if not set_up:
                raise LabError("a quorum device needs the cluster set up by the lab (set_up)")
        if token_ms is not None and token_ms <= 0:
            raise LabError(f"token must be a positive number of milliseconds, not {token_ms}")
        topo = topology.build(name, nodes)
        t0 = time.monotonic()
        with state.locked(name):
            if state.load(name) is not None:
                raise LabError(f"lab {name!r} is up already: `vigil lab down --name {name}` first")
            strangers = hostops.lab_netns(f"{topology.NS_PREFIX}{name}-")
            if strangers:
                raise LabError(f"namespaces {', '.join(strangers)} exist but no lab {name!r} is recorded: "
                               f"remove them (ip netns del) or use another --name")
            data_dir = state.DATA_DIR / name
            # vigil's own daemon and no quorum device (whose certificates and qnetd the lab
            # makes): set up as an operator would, through the endpoints
            # (`through_endpoint=False`, or $VIGIL_LAB_SETUP=disk, writes the disks instead)
            if through_endpoint is None:
                through_endpoint = os.environ.get("VIGIL_LAB_SETUP", "endpoint") != "disk"
            through = set_up and daemon_argv is None and through_endpoint
            st = state.LabState(name=name, node_count=nodes, token_ms=token_ms, data_dir=str(data_dir),
                                daemon_argv=list(daemon_argv) if daemon_argv is not None else None,
                                created=time.time(), qdevice=qdevice, set_up=set_up,
                                through_endpoint=through,
                                password=secrets.token_urlsafe(12))
            for h in (*topo.nodes, topo.client):
                st.addresses[h.name] = list(h.addrs)
            for n in topo.nodes:
                st.nodes[n.name] = state.NodeRecord(name=n.name, state_dir=str(data_dir / n.name))
            state.save(st)
            lab = cls(st)
            try:
                lab._write_disks(st)
                lab._create_network(st)
                if qdevice is not None:
                    t_qnetd = time.monotonic()
                    if through:  # the client is the qnetd host; the cluster asks its endpoint
                        lab._set_up_qnetd_host(st)
                    else:
                        qnetd.make_certificates(st, cluster_name(name), topo.node_names())
                    qnetd.start(st, netns=topo.client.netns, addr=topology.CLIENT_ADDR)
                    lab.timings["qnetd_s"] = round(time.monotonic() - t_qnetd, 3)
                # the power switch fence agents in the nodes use (vigil.lab.power)
                switch = power.start_switch(st, {**hostops.command_env(),
                                                 "PYTHONPATH": _daemon_env(st.name, "")["PYTHONPATH"]})
                t_net = time.monotonic()
                for n in topo.nodes:
                    lab._boot(st, n.name)
                power.wait_switch(st, switch)
                state.save(st)
                lab._preflight(st)
            except BaseException:
                lab._teardown(st, graceful=False)
                raise
        lab.timings["network_s"] = round(t_net - t0 - lab.timings.get("qnetd_s", 0.0), 3)
        lab.timings["boot_s"] = round(time.monotonic() - t_net, 3)
        if (wait and not set_up) or st.through_endpoint:
            try:
                lab.wait_for(lambda: all(lab.endpoint_running(n) for n in topo.node_names()),
                             timeout, what="remote endpoints")
                if st.through_endpoint:  # running is not yet listening: the setup needs that
                    lab.wait_for(lambda: all(lab.endpoint_answers(n) for n in topo.node_names()),
                                 timeout, what="remote endpoints answering")
                if st.through_endpoint:
                    t_setup = time.monotonic()
                    lab._set_up_through_endpoints(st, wait=wait, timeout=timeout)
                    lab.timings["setup_s"] = round(time.monotonic() - t_setup, 3)
            except BaseException:
                lab.down(graceful=False)
                raise
        if wait and set_up:
            try:
                lab.wait_members(topo.node_names(), timeout=timeout)
                # and every init has seen its Corosync answer (it polls cmap): the lab's status
                # says "running" from here on, not "starting" behind a membership already formed
                lab.wait_for(lambda: all(lab.node_status(n).corosync != "starting"
                                         for n in topo.node_names()), timeout, what="corosync")
            except BaseException:
                lab.down(graceful=False)
                raise
            lab.timings["members_s"] = round(time.monotonic() - t0 - lab.timings["network_s"]
                                             - lab.timings["boot_s"] - lab.timings.get("qnetd_s", 0.0)
                                             - lab.timings.get("setup_s", 0.0), 3)
        lab.timings["up_s"] = round(time.monotonic() - t0, 3)
        return lab

    @classmethod
    def attach(cls, name: str = topology.DEFAULT_NAME) -> Lab:
        """The lab `name` that is up (created by this or another process)."""
        hostops.require_root()
        problem = topology.check_lab_name(name)
        if problem:
            raise LabError(problem)
        st = state.load(name)
        if st is None:
            raise LabError(f"no lab {name!r} is up (vigil lab up --name {name})")
        return cls(st)

    @staticmethod
    def down_by_name(name: str = topology.DEFAULT_NAME, *, graceful: bool = True,
                     purge: bool = False) -> bool:
        """Tear down the lab `name` if one is recorded; False when there was nothing to do. With
        `purge`, the nodes' disks (/var/lib/vigil-lab/<name>) go too."""
        hostops.require_root()
        problem = topology.check_lab_name(name)
        if problem:
            raise LabError(problem)
        with state.locked(name):
            st = state.load(name)
            if st is not None:
                Lab(st)._teardown(st, graceful=graceful)
            else:
                state.remove(name)  # the lock file this call made
            if purge:
                _purge(name)
        return st is not None

    def down(self, *, graceful: bool = True, purge: bool = False) -> None:
        """Stop every node (gracefully first, unless told not to), kill what is left in the lab's
        namespaces, delete the namespaces and the record. Idempotent. With `purge`, the nodes'
        disks go too."""
        with state.locked(self.name):
            st = state.load(self.name)
            if st is not None:
                self._teardown(st, graceful=graceful)
            else:
                state.remove(self.name)  # the lock file this call made
            if purge:
                _purge(self.name)
        self._reap_all()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.down(graceful=exc_type is None)

    # ------------------------------------------------------------------ running things
    def exec_argv(self, node: str, argv: Sequence[str]) -> list[str]:
        """The host command that runs `argv` inside `node` (its mount, UTS, net and PID
        namespaces), or inside the client's network namespace."""
        host = self._host(node)
        if host.is_client:
            return ["nsenter", f"--net={hostops.NETNS_DIR / host.netns}", "--", *argv]
        rec = self._fresh().nodes[node]
        if not hostops.is_alive(rec.init_pid, rec.init_start):
            raise LabError(f"node {node} is off")
        return ["nsenter", "-t", str(rec.init_pid), "-m", "-u", "-n", "-p", "--", *argv]

    def exec(self, node: str, argv: Sequence[str], timeout: float | None = 30.0, *,
             input: str | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run `argv` in `node` (or "client"), capture its output as text. On timeout every
        process of the command is killed and subprocess.TimeoutExpired raised; with `check`, a
        non-zero exit raises subprocess.CalledProcessError."""
        full = self.exec_argv(node, argv)
        proc = subprocess.Popen(full, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=hostops.command_env(), cwd="/", start_new_session=True)
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            # nsenter -p forks: kill the whole process group, not only nsenter
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        done = subprocess.CompletedProcess(list(argv), proc.returncode, out, err)
        if check:
            done.check_returncode()
        return done

    def wait_for(self, predicate: Callable[[], T], timeout: float, *, interval: float = 0.2,
                 what: str = "condition") -> T:
        """Call `predicate` until it returns something true, and return that; LabTimeout after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            now = time.monotonic()
            if now >= deadline:
                raise LabTimeout(f"{what}: not reached within {timeout:g} s")
            time.sleep(min(interval, deadline - now))

    # ------------------------------------------------------------------ observing
    def quorum_view(self, node: str) -> probe.QuorumView | None:
        """`node`'s Corosync view (members, quorate); None if the node is off or Corosync does not
        answer."""
        try:
            r = self.exec(node, ["corosync-quorumtool", "-s", "-p"], timeout=5)
        except (LabError, subprocess.TimeoutExpired):
            return None
        return probe.parse_quorumtool(r.stdout)

    def members(self, node: str) -> frozenset[str] | None:
        """Names of the members `node`'s Corosync sees (itself included); None: no answer."""
        view = self.quorum_view(node)
        if view is None:
            return None
        return frozenset(self.topology.name_of(i) for i in view.members)

    def wait_members(self, expected: Sequence[str] | dict[str, Sequence[str]], timeout: float) -> None:
        """Wait until each node sees exactly its expected members: a list (every one of those nodes
        sees exactly that list) or a mapping node -> members."""
        want = ({n: frozenset(expected) for n in expected} if not isinstance(expected, dict)
                else {n: frozenset(m) for n, m in expected.items()})

        def ok() -> bool:
            return all(self.members(n) == m for n, m in want.items())

        try:
            self.wait_for(ok, timeout, what="membership")
        except LabTimeout:
            seen = {n: sorted(self.members(n) or ["(no answer)"]) for n in want}
            raise LabTimeout(f"membership not reached within {timeout:g} s: "
                             + "; ".join(f"{n} sees {','.join(m)}" for n, m in seen.items())) from None

    def _set_up_through_endpoints(self, st: state.LabState, *, wait: bool, timeout: float) -> None:
        """From n1, as an operator: `vigil host auth` of every node (each node's disk has the
        lab's hacluster password file), then `vigil cluster setup` with the lab's addresses and
        timing (token, token_coefficient 0, knet's ping) and `--start` (`--wait` with `wait`):
        the whole-cluster commands write every node's files and start them, and the lab's tests
        exercise them at every lab up."""
        topo = self.topology
        first = topo.nodes[0].name
        auth = [w for n in topo.nodes for w in (n.name, f"addr={n.addrs[0]}:{REMOTE_PORT}")]
        self._operator(first, ["host", "auth", *auth, "-p", st.password], timeout)
        words = [w for n in topo.nodes for w in (n.name, *(f"addr={a}" for a in n.addrs))]
        ping = topology.knet_ping_ms(st.token_ms, st.node_count)
        words += ["transport", "knet", "link", f"ping_interval={ping[0]}", f"ping_timeout={ping[1]}"]
        if st.token_ms is not None:
            words += ["totem", f"token={st.token_ms}", "token_coefficient=0"]
        waiting = [f"--wait={timeout:g}"] if wait else []
        self._operator(first, ["cluster", "setup", cluster_name(st.name), *words, "--start",
                               *waiting], timeout + 60)
        if st.qdevice is not None:  # the quorum device as pcs users add it, through endpoints
            qhost = topology.CLIENT_ADDR
            self._operator(first, ["host", "auth", qhost, f"addr={qhost}:{REMOTE_PORT}",
                                   "-p", st.password], timeout)
            self._operator(first, ["quorum", "device", "add", "model", "net", f"host={qhost}",
                                   f"algorithm={st.qdevice}", f"port={qnetd.PORT}"],
                           timeout + 60)

    def _set_up_qnetd_host(self, st: state.LabState) -> None:
        """The client namespace as the qnetd host an operator prepares: `vigil qdevice setup
        model net` (qnetd's CA), its hacluster password, its own remote endpoint."""
        env = {**hostops.command_env(), "PYTHONPATH": _daemon_env(st.name, "")["PYTHONPATH"]}
        qnetd.prepare_host(st, sys.executable, env)
        PasswordFile(qnetd.host_dir(st, "/etc/vigil") / "remote/passwords").set(
            "hacluster", st.password)
        qnetd.start_endpoint(st, netns=self.topology.client.netns, addr=topology.CLIENT_ADDR,
                             python=sys.executable, env=env)

    def _operator(self, node: str, words: list[str], timeout: float) -> None:
        """`vigil WORDS` in `node`, as an operator types it; LabError with its words if it fails."""
        done = self.exec(node, [sys.executable, "-m", "vigil.cli.main", *words], timeout=timeout)
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
            raise LabError(f"`vigil {' '.join(w for w in words if w != self._state.password)}` "
                           f"in {node} failed (exit {done.returncode}): {' | '.join(said)}")

    def endpoint_answers(self, node: str) -> bool:
        """The node's remote endpoint accepts connections on its port (inside the node)."""
        try:
            done = self.exec(node, ["bash", "-c", f"exec 3<>/dev/tcp/127.0.0.1/{REMOTE_PORT}"],
                             timeout=5)
        except (LabError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0

    def endpoint_running(self, node: str) -> bool:
        """The node's remote endpoint process runs (per its init)."""
        init = self.init_status(node)
        remote = init.get("remote") if init else None
        return isinstance(remote, dict) and remote.get("state") == "running"

    def init_status(self, node: str) -> dict[str, object] | None:
        """The node init's own report (corosync and daemon states), None if the node is off."""
        rec = self._fresh().nodes[node]
        if not hostops.is_alive(rec.init_pid, rec.init_start):
            return None
        try:
            raw: dict[str, object] = json.loads(Path(f"/proc/{rec.init_pid}/root/{INIT_STATUS}").read_text())
        except (OSError, ValueError):
            return None
        return raw

    def node_status(self, node: str) -> NodeStatus:
        st = self._fresh()
        rec, host = st.nodes[node], self.topology.host(node)
        alive = hostops.is_alive(rec.init_pid, rec.init_start)
        init = self.init_status(node) if alive else None
        view = self.quorum_view(node) if alive else None
        coro = init.get("corosync") if init else None
        dmn = init.get("daemon") if init else None
        default = "unknown" if alive else "off"
        corosync = str(coro.get("state", "unknown")) if isinstance(coro, dict) else default
        daemon = str(dmn.get("state", "unknown")) if isinstance(dmn, dict) else default
        return NodeStatus(
            name=node, nodeid=host.nodeid, addresses=host.addrs, power="on" if alive else "off",
            init_pid=rec.init_pid if alive else None, corosync=corosync,
            members=tuple(self.topology.name_of(i) for i in view.members) if view else None,
            quorate=view.quorate if view else None, ring_id=view.ring_id if view else "",
            daemon=daemon, daemon_note=str(init.get("daemon_note", "")) if init else "",
            daemon_restarts=int(str(init.get("restarts", 0))) if init else 0,
            links_cut=tuple(sorted(rec.links_cut)), group=st.partition.get(node, 0),
            qdevice=_qdevice_state(init, alive, st.qdevice), isolated=node in st.isolated)

    def status(self) -> LabStatus:
        st = self._fresh()
        names = self.topology.node_names()
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
            nodes = tuple(pool.map(self.node_status, names))
        groups: tuple[tuple[str, ...], ...] = ()
        if st.partition:
            hosts = [*names, topology.CLIENT]
            groups = tuple(tuple(h for h in hosts if st.partition.get(h, 0) == g)
                           for g in range(st.partition_groups + 1))
        return LabStatus(name=self.name, token_ms=st.token_ms, nodes=nodes, client_addr=topology.CLIENT_ADDR,
                         partition=groups, data_dir=st.data_dir, timings=dict(self.timings),
                         qdevice=st.qdevice,
                         qnetd="none" if st.qdevice is None else
                         ("running" if qnetd.is_running(st) else "stopped"))

    def node_dir(self, node: str) -> Path:
        """The node's disk on the host (its etc/, var/log/corosync, var/log/vigil, init.log)."""
        self._node_host(node)
        return Path(self._fresh().nodes[node].state_dir)

    def pids(self, node: str) -> list[int]:
        """Host PIDs of every process of `node` (its PID namespace); [] when it is off."""
        rec = self._fresh().nodes[node]
        if rec.pidns is None or not hostops.is_alive(rec.init_pid, rec.init_start):
            return []
        return hostops.pids_in_namespaces("pid", {rec.pidns})

    # ------------------------------------------------------------------ faults
    def vigil(self, node: str, args: Sequence[str], timeout: float = 60.0
              ) -> subprocess.CompletedProcess[str]:
        """Run the vigil CLI inside a node (the nodes share this machine's Python)."""
        return self.exec(node, [sys.executable, "-m", "vigil.cli.main", *args], timeout=timeout)

    def configure_fencing(self, node: str = "n1", *, timeout: float = 60.0,
                          extra: Sequence[str] = ()) -> None:
        """Make the lab's power switch the cluster's fence device (fence_vigil_lab for every
        node) and enable fencing, once vigild answers in `node`."""
        problem = fence_agent_problem()
        if problem:
            raise LabError(problem)
        deadline = time.monotonic() + timeout
        while self.vigil(node, ["status", "--output", "json"], timeout=20).returncode != 0:
            if time.monotonic() > deadline:
                raise LabError(f"vigild does not answer in {node}: cannot configure fencing")
            time.sleep(0.5)
        hosts = " ".join(n.name for n in self.topology.nodes)
        sock = str(power.socket_path(self.name))
        steps = [["stonith", "create", "fence-lab", FENCE_AGENT, f"pcmk_host_list={hosts}",
                  f"socket={sock}", *extra, "op", "monitor", "interval=60s"],
                 ["property", "set", "stonith-enabled=true"]]
        for step in steps:
            proc = self.vigil(node, step)
            if proc.returncode != 0:
                raise LabError(f"vigil {' '.join(step)}: {(proc.stderr or proc.stdout).strip()}")

    def power_off(self, node: str) -> None:
        """Hard power cut: switch ports down, SIGKILL of the init (whole PID namespace), then the
        node's interfaces down. Returns once no process of the node is left."""
        self._node_host(node)
        with state.locked(self.name):
            st = self._fresh()
            self._power_off(st, node)
            state.save(st)

    def power_on(self, node: str) -> None:
        """Boot the node again on the same disk (no-op when it runs). Returns once its init runs;
        wait for membership with `wait_members`."""
        self._node_host(node)
        with state.locked(self.name):
            st = self._fresh()
            rec = st.nodes[node]
            if hostops.is_alive(rec.init_pid, rec.init_start):
                return
            self._boot(st, node)
            state.save(st)

    def stop(self, node: str, timeout: float = STOP_TIMEOUT_S) -> None:
        """Graceful shutdown of one node: its init stops the daemon, then Corosync, then exits."""
        self._node_host(node)
        with state.locked(self.name):
            st = self._fresh()
            rec = st.nodes[node]
            if hostops.kill(rec.init_pid or 0, rec.init_start, signal.SIGTERM):
                self._wait_dead([rec], timeout)
            self._power_off(st, node)  # nothing left to kill: ports and interfaces down, record
            state.save(st)

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        """Split the switch: hosts of different groups no longer reach each other, on any link.
        The first group (or the one naming "client") keeps the main bridges, with every host
        named nowhere; an earlier partition is replaced."""
        try:
            plan = topology.plan_partition(self.topology, [list(g) for g in groups])
        except ValueError as exc:
            raise LabError(str(exc)) from None
        with state.locked(self.name):
            st = self._fresh()
            self._heal(st)
            ngroups = max(plan.values())
            lines = []
            for g in range(1, ngroups + 1):
                for k in range(topology.LINKS):
                    br = topology.bridge_name(k, g)
                    lines += [f"link add {br} type bridge", f"link set {br} up"]
            for hname, g in sorted(plan.items()):
                if g:
                    for k, port in enumerate(self.topology.host(hname).ports):
                        lines.append(f"link set {port} master {topology.bridge_name(k, g)}")
            st.partition = {h: g for h, g in plan.items() if g}
            st.partition_groups = ngroups
            state.save(st)
            hostops.ip_batch(lines, netns=self.topology.switch_netns)

    def heal(self) -> None:
        """Undo `partition`: every port back on the main bridges."""
        with state.locked(self.name):
            st = self._fresh()
            self._heal(st)
            state.save(st)

    def link(self, node: str, n: int, updown: Literal["up", "down"] | str) -> None:
        """Cut (down) or restore (up) `node`'s link `n` at the switch."""
        host = self._host(node)
        if updown not in ("up", "down"):
            raise LabError(f"link state must be up or down, not {updown!r}")
        if not 0 <= n < len(host.ports):
            raise LabError(f"{node} has links 0..{len(host.ports) - 1}, not {n}")
        with state.locked(self.name):
            st = self._fresh()
            rec = st.nodes.get(node)
            powered = rec is None or hostops.is_alive(rec.init_pid, rec.init_start)
            if rec is not None:
                cut = set(rec.links_cut)
                cut = cut | {n} if updown == "down" else cut - {n}
                rec.links_cut = sorted(cut)
            state.save(st)
            if powered or updown == "down":
                hostops.ip_batch([f"link set {host.ports[n]} {updown}"], netns=self.topology.switch_netns)

    def isolate(self, nodes: Sequence[str]) -> None:
        """Cut the nodes off from each other on every link while each keeps the client (and the
        quorum device there) and the nodes not named: their switch ports become isolated bridge
        ports. An earlier partition or isolation is replaced; `heal` undoes it."""
        names = list(dict.fromkeys(nodes))
        for n in names:
            self._node_host(n)
        if len(names) < 2:
            raise LabError("isolate needs at least two nodes (isolated ports only lose each other)")
        with state.locked(self.name):
            st = self._fresh()
            self._heal(st)
            st.isolated = names
            state.save(st)
            lines = [f"link set {port} type bridge_slave isolated on"
                     for n in names for port in self.topology.host(n).ports]
            hostops.ip_batch(lines, netns=self.topology.switch_netns)

    def qnetd_stop(self) -> bool:
        """Stop the lab's corosync-qnetd (SIGTERM, then SIGKILL: the PID the lab recorded, and
        only while it is that process); False if it was not running."""
        with state.locked(self.name):
            st = self._require_qdevice()
            ran = qnetd.stop(st)
            state.save(st)
        return ran

    def qnetd_start(self) -> None:
        """Start the lab's corosync-qnetd again (after `qnetd_stop`); returns once it answers."""
        with state.locked(self.name):
            st = self._require_qdevice()
            if not qnetd.is_running(st):
                qnetd.start(st, netns=self.topology.client.netns, addr=topology.CLIENT_ADDR)

    def qnetd_running(self) -> bool:
        return qnetd.is_running(self._fresh())

    def qnetd_tool(self, args: Sequence[str], timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        """`corosync-qnetd-tool ARGS` against the lab's qnetd (-s: status, -l: clusters)."""
        return qnetd.tool(self._require_qdevice(), args, timeout=timeout)

    # ------------------------------------------------------------------ internals
    def _require_qdevice(self) -> state.LabState:
        st = self._fresh()
        if st.qdevice is None:
            raise LabError(f"lab {self.name!r} has no quorum device (vigil lab up --qdevice ffsplit)")
        return st

    def _fresh(self) -> state.LabState:
        st = state.load(self.name)
        if st is None:
            raise LabError(f"lab {self.name!r} is down")
        self._state = st
        return st

    def _host(self, name: str) -> topology.Host:
        try:
            return self.topology.host(name)
        except KeyError:
            valid = ", ".join([*self.topology.node_names(), topology.CLIENT])
            raise LabError(f"no node {name!r} in lab {self.name!r} (nodes: {valid})") from None

    def _node_host(self, name: str) -> topology.Host:
        host = self._host(name)
        if host.is_client:
            raise LabError("the client has no power switch: it is not a node")
        return host

    def _write_disks(self, st: state.LabState) -> None:
        data = Path(st.data_dir)
        if data.exists():
            shutil.rmtree(data)  # the previous run of this lab name: fresh disks
        data.mkdir(mode=0o755, parents=True)
        conf = clusterconf.ClusterConf(
            cluster_name=cluster_name(st.name),
            nodes=tuple(clusterconf.ClusterNode(nodeid=n.nodeid, name=n.name, addrs=n.addrs)
                        for n in self.topology.nodes),
            token_ms=st.token_ms, token_coefficient_ms=0 if st.token_ms is not None else None,
            knet_ping=topology.knet_ping_ms(st.token_ms, st.node_count),
            quorum_device=(with_default_votes(QuorumDevice(host=topology.CLIENT_ADDR, algorithm=st.qdevice,
                                                           model_options=(("port", str(qnetd.PORT)),)))
                           if st.qdevice is not None else None))
        key = clusterconf.new_authkey()
        # the same files `vigil cluster setup` writes (corosync.conf, authkey, cluster.json)
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(st.created))
        try:
            files = clusterconf.node_files(conf, key, created)
        except ReportError as exc:
            raise LabError(f"corosync.conf: {exc}") from None
        clusterconf.write_authkey(data / "authkey", key)
        for mp in ("/etc/vigil", "/var/lib/vigil", "/var/log/vigil"):  # mount points of the nodes' binds
            os.makedirs(mp, mode=0o755, exist_ok=True)
        if st.daemon_argv is not None:
            daemon_argv, check = st.daemon_argv, None
        else:
            daemon_argv, check = [sys.executable, "-m", DAEMON_MODULE], DAEMON_MODULE
        for n in self.topology.nodes:
            d = data / n.name
            for rel in BINDS:
                (d / rel).mkdir(mode=0o700 if rel == "var/lib/corosync" else 0o755, parents=True)
            if st.set_up and not st.through_endpoint:
                clusterconf.write_files(d, files)
            # hacluster's password for the endpoint, on the node's disk as an image would have it
            PasswordFile(d / "etc/vigil/remote/passwords").set("hacluster", st.password)
            env = _daemon_env(st.name, n.name)
            cfg = {"node": n.name, "binds": [[str(d / rel), f"/{rel}"] for rel in BINDS],
                   "daemon_argv": daemon_argv, "daemon_import_check": check,
                   "qdevice_argv": (["corosync-qdevice", "-f"]
                                    if st.qdevice is not None and not st.through_endpoint
                                    else None),
                   # vigil's remote endpoint beside vigild (not beside another stack's daemon),
                   # its certificate naming the node's addresses
                   "remote_argv": None if st.daemon_argv is not None else [
                       sys.executable, "-m", REMOTE_MODULE,
                       *(arg for a in n.addrs for arg in ("--san", a))],
                   "env": env, "keep": python_paths(env["PYTHONPATH"])}
            (d / "init.json").write_text(json.dumps(cfg, indent=1) + "\n")

    def _create_network(self, st: state.LabState) -> None:
        topo = self.topology
        hosts = (*topo.nodes, topo.client)
        all_ns = [topo.switch_netns, *(h.netns for h in hosts)]
        st.namespaces = all_ns  # recorded before they exist: down removes them even after a failure
        state.save(st)
        root = [f"netns add {ns}" for ns in all_ns]
        root += [f"netns exec {ns} sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 "
                 f"net.ipv6.conf.default.disable_ipv6=1" for ns in all_ns]  # quiet, IPv4 only
        hostops.ip_batch(root)
        sw = ["link set lo up"]
        for br in topo.bridges:
            sw += [f"link add {br} type bridge", f"link set {br} up"]
        for h in hosts:
            for k, port in enumerate(h.ports):
                sw += [f"link add {port} type veth peer name eth{k} netns {h.netns}",
                       f"link set {port} master {topo.bridges[k]} up"]
        hostops.ip_batch(sw, netns=topo.switch_netns)
        for h in hosts:
            lines = ["link set lo up"]
            for k, addr in enumerate(h.addrs):
                lines += [f"addr add {addr}/{topology.PREFIXLEN} dev eth{k}", f"link set eth{k} up"]
            hostops.ip_batch(lines, netns=h.netns)
        st.netns_inodes = {ns: ino for ns in all_ns if (ino := hostops.netns_inode(ns)) is not None}
        state.save(st)

    def _boot(self, st: state.LabState, node: str) -> None:
        host, rec = self.topology.host(node), st.nodes[node]
        lines = []
        for k, addr in enumerate(host.addrs):
            lines += [f"addr flush dev eth{k}", f"addr add {addr}/{topology.PREFIXLEN} dev eth{k}",
                      f"link set eth{k} up"]
        hostops.ip_batch(lines, netns=host.netns)
        up = [f"link set {p} up" for k, p in enumerate(host.ports) if k not in rec.links_cut]
        hostops.ip_batch(up, netns=self.topology.switch_netns)
        d = Path(rec.state_dir)
        argv = ["ip", "netns", "exec", host.netns,
                "unshare", "--mount", "--uts", "--pid", "--fork", "--mount-proc", "--propagation", "private",
                "--", sys.executable, "-m", "vigil.lab.nodeinit", str(d / "init.json")]
        env = {**hostops.command_env(), **_daemon_env(st.name, node)}
        with open(d / "init.log", "ab") as logf:
            popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                     env=env, cwd="/", start_new_session=True)
        self._popens[node] = popen
        rec.unshare_pid = popen.pid
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        init = None
        while init is None:
            kids = hostops.children(popen.pid)
            if kids:
                init = kids[0]
                break
            if popen.poll() is not None:
                raise LabError(f"{node}: the node init exited at once (exit {popen.returncode}): "
                               f"see {d}/init.log")
            if time.monotonic() > deadline:
                raise LabError(f"{node}: the node init did not start within {BOOT_TIMEOUT_S:g} s")
            time.sleep(0.005)
        rec.init_pid, rec.init_start = init, hostops.proc_starttime(init)
        rec.pidns, rec.mntns = hostops.ns_inode(init, "pid"), hostops.ns_inode(init, "mnt")
        if hostops.ns_inode(init, "net") != st.netns_inodes.get(host.netns):
            raise LabError(f"{node}: init pid {init} is not in namespace {host.netns}")
        rec.powered, rec.boots = True, rec.boots + 1

    def _preflight(self, st: state.LabState) -> None:
        """Before waiting for any membership: every node's init is alive and its check that the
        daemon can start there (its entry imports, with the daemon's environment) passed; else
        LabError with the node and the real cause (the init's or the check's last words)."""
        pending = set(st.nodes)
        deadline = time.monotonic() + PREFLIGHT_TIMEOUT_S
        while pending:
            for node in sorted(pending):
                rec, d = st.nodes[node], Path(st.nodes[node].state_dir)
                if not hostops.is_alive(rec.init_pid, rec.init_start):
                    raise LabError(f"{node}: the node init died: {_tail(d / 'init.log')} (see {d}/init.log)")
                init = self.init_status(node)
                daemon = init.get("daemon") if init else None
                dstate = daemon.get("state") if isinstance(daemon, dict) else None
                if dstate == "not-installed" and init is not None:
                    src = Path(vigil.__file__).resolve().parent.parent
                    raise LabError(f"{node}: {init.get('daemon_note')} (node's Python {sys.executable}, "
                                   f"vigil from {src}): fix that install; details in "
                                   f"{d}/var/log/vigil/daemon.stdio")
                if dstate not in (None, "checking"):
                    pending.discard(node)
            if not pending:
                break
            if time.monotonic() > deadline:
                raise LabError(f"{', '.join(sorted(pending))}: the check that vigild can start did not "
                               f"finish within {PREFLIGHT_TIMEOUT_S:g} s (see {st.data_dir}/<node>/init.log)")
            time.sleep(0.05)

    def _power_off(self, st: state.LabState, node: str) -> None:
        host, rec = self.topology.host(node), st.nodes[node]
        sw = self.topology.switch_netns
        if hostops.netns_exists(sw):
            hostops.ip_batch([f"link set {p} down" for p in host.ports], netns=sw, check=False)
        hostops.kill(rec.init_pid or 0, rec.init_start, signal.SIGKILL)
        self._wait_dead([rec], KILL_TIMEOUT_S)
        if hostops.netns_exists(host.netns):
            hostops.ip_batch([f"link set eth{k} down" for k in range(len(host.ports))], netns=host.netns,
                             check=False)
        self._reap(node)
        rec.powered, rec.init_pid, rec.init_start, rec.unshare_pid = False, None, None, None
        # the namespaces died with the init; the kernel reuses their inode numbers, and a later
        # power-off of this node (a fence of a node that is off) must not wait for a stranger
        rec.pidns = rec.mntns = None

    def _wait_dead(self, recs: Sequence[state.NodeRecord], timeout: float) -> None:
        """Wait until the inits and every process of their PID namespaces are gone."""
        pidns = {r.pidns for r in recs if r.pidns is not None}
        deadline = time.monotonic() + timeout
        while True:
            inits = [r for r in recs if hostops.is_alive(r.init_pid, r.init_start)]
            left = hostops.pids_in_namespaces("pid", pidns) if not inits else []
            if not inits and not left:
                return
            if time.monotonic() > deadline:
                who = [str(r.init_pid) for r in inits] or [str(p) for p in left]
                raise LabError(f"processes still alive after {timeout:g} s: {' '.join(who)}")
            time.sleep(0.02)

    def _heal(self, st: state.LabState) -> None:
        if st.isolated:
            lines = [f"link set {port} type bridge_slave isolated off"
                     for n in st.isolated for port in self.topology.host(n).ports]
            hostops.ip_batch(lines, netns=self.topology.switch_netns, check=False)
            st.isolated = []
        if not st.partition and not st.partition_groups:
            return
        lines = []
        for hname in sorted(st.partition):
            for k, port in enumerate(self.topology.host(hname).ports):
                lines.append(f"link set {port} master {topology.bridge_name(k)}")
        for g in range(1, st.partition_groups + 1):
            lines += [f"link del {topology.bridge_name(k, g)}" for k in range(topology.LINKS)]
        hostops.ip_batch(lines, netns=self.topology.switch_netns, check=False)
        st.partition, st.partition_groups = {}, 0

    def _teardown(self, st: state.LabState, *, graceful: bool) -> None:
        """Remove everything `st` records; called with the lab's lock held."""
        power.stop_switch(st)  # first: no fence request may power a node on during the teardown
        recs = list(st.nodes.values())
        if graceful:
            signalled = [r for r in recs if hostops.kill(r.init_pid or 0, r.init_start, signal.SIGTERM)]
            with contextlib.suppress(LabError):  # the power switch below settles it
                self._wait_dead(signalled, STOP_TIMEOUT_S)
        for r in recs:
            self._power_off(st, r.name)
        qnetd.stop(st)  # the quorum device's server, once its clients are gone
        qnetd.stop_endpoint(st)
        # anything else started inside the lab's network namespaces (lab exec client ..., say)
        inodes = set(st.netns_inodes.values())
        deadline = time.monotonic() + KILL_TIMEOUT_S
        while left := hostops.pids_in_namespaces("net", inodes):
            if time.monotonic() > deadline:
                raise LabError(f"processes in the lab's namespaces survive SIGKILL: {left}")
            for pid in left:
                hostops.kill(pid, hostops.proc_starttime(pid), signal.SIGKILL)
            time.sleep(0.02)
        self._reap_all()
        existing = [ns for ns in reversed(st.namespaces) if hostops.netns_exists(ns)]
        hostops.ip_batch([f"netns del {ns}" for ns in existing], check=False)
        still = [ns for ns in existing if hostops.netns_exists(ns)]
        if still:
            raise LabError(f"could not delete namespaces {', '.join(still)}")
        state.remove(st.name)

    def _reap(self, node: str) -> None:
        popen = self._popens.pop(node, None)
        if popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=KILL_TIMEOUT_S)

    def _reap_all(self) -> None:
        for node in list(self._popens):
            self._reap(node)


def _qdevice_state(init: dict[str, object] | None, alive: bool, algorithm: str | None) -> str:
    if algorithm is None:
        return "none"
    q = init.get("qdevice") if init else None
    return str(q.get("state", "unknown")) if isinstance(q, dict) else ("unknown" if alive else "off")


def _tail(path: Path) -> str:
    try:
        text = path.read_bytes()[-65536:].decode(errors="replace")
    except OSError as exc:
        return f"(cannot read: {exc.strerror})"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "(no output)"


def _purge(name: str) -> None:
    data = state.DATA_DIR / name
    if data.exists():
        shutil.rmtree(data)
    with contextlib.suppress(OSError):
        state.DATA_DIR.rmdir()  # only when no other lab has disks there


def iter_labs() -> Iterator[str]:
    """Names of the labs recorded on this machine."""
    yield from state.known_labs()
