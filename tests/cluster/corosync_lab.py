"""A throwaway Corosync 3 cluster on this host: N nodes in network namespaces, for tests.

    with CorosyncLab(nodes=3) as lab:          # needs root, corosync, iproute2, util-linux
        lab.run(1, ["corosync-quorumtool", "-s"])
        lab.partition({1, 2}, {3}); lab.heal()
        lab.kill_corosync(3); lab.start_corosync(3)

Layout (names carry this process's pid, so two runs never collide):
- netns `<tag>-sw` holds bridges br0..br<N-1>; node i's veth peer `p<i>` sits on br0, or on the
  bridge of its group while partitioned (moving ports drops traffic without ICMP, like a cut);
- netns `<tag>-n<i>` holds eth0 = 10.213.1.<10+i>/24 (the only addresses this lab ever uses);
- node i's "init" is `ip netns exec <ns> unshare --mount --propagation private sh -c ...`: a
  long-lived process whose private mount namespace has its own tmpfs on /run (corosync.pid),
  /dev/shm (libqb rings) and /tmp (libqb blackbox fallback), and <workdir>/n<i>/lib bound on
  /var/lib/corosync. Corosync and test clients enter it with `nsenter -t <init> -n -m`: libqb IPC
  needs the same network namespace (abstract sockets) and the same /dev/shm as its corosync;
- corosync.conf per node: knet, crypto aes256 + sha256 with a 128-byte authkey, votequorum,
  `token` (default 1000 ms) with token_coefficient 0, so losing a node takes about 2.2 s to notice.

Teardown (`down`, also run by `__exit__`, by `up` on failure, at interpreter exit and on SIGTERM
or SIGHUP) kills only the PIDs this object started or was handed with `track`, then deletes only
the namespaces it created. If the test process dies without cleaning up (SIGKILL), the kernel
kills the node inits and corosyncs (PR_SET_PDEATHSIG), and the next lab deletes the namespaces
and work directory left by a lab whose process is gone (`vgl<pid>-*` names only). Every wait has
a timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.lab.lab import python_paths

SUBNET = "10.213.1"
REPO = Path(__file__).resolve().parents[2]  # the checkout: the nodes run its driver script
_PR_SET_PDEATHSIG = 1
_STALE = re.compile(r"^vgl(\d+)-(sw|n\d+)$")
_TOOLS = ("ip", "unshare", "nsenter", "corosync", "corosync-quorumtool", "sleep")
_SONAMES = ("libcpg.so.4", "libvotequorum.so.8", "libcmap.so.4", "libcorosync_common.so.4")


class LabError(RuntimeError):
    pass


def skip_reason() -> str | None:
    """Why a corosync lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "the corosync lab needs root (network and mount namespaces)"
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        return f"missing for the corosync lab: {', '.join(missing)} (scripts/install.sh installs them)"
    for soname in _SONAMES:
        try:
            ctypes.CDLL(soname)
        except OSError:
            return f"{soname} is not installed (package corosync / libcorosync-common4)"
    probe = f"vglprobe{os.getpid()}"
    add = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True, timeout=10)
    if add.returncode != 0:
        return f"cannot create network namespaces: {add.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=10)
    return None


@dataclass
class _Node:
    index: int
    ns: str
    dir: Path
    init: subprocess.Popen[bytes] | None = None
    corosync: subprocess.Popen[bytes] | None = None

    @property
    def nodeid(self) -> int:
        return self.index

    @property
    def address(self) -> str:
        return f"{SUBNET}.{10 + self.index}"


@dataclass
class CorosyncLab:
    nodes: int = 3
    token_ms: int = 1000
    two_node: bool = False
    workdir: Path | None = None
    tag: str = field(default_factory=lambda: f"vgl{os.getpid()}")
    _nodes: dict[int, _Node] = field(default_factory=dict, init=False)
    _namespaces: list[str] = field(default_factory=list, init=False)
    _tracked: set[int] = field(default_factory=set, init=False)
    _owns_workdir: bool = field(default=False, init=False)
    _saved_handlers: dict[int, Any] = field(default_factory=dict, init=False)

    # --- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> CorosyncLab:
        self.up()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.down()

    @property
    def switch(self) -> str:
        return f"{self.tag}-sw"

    @property
    def node_ids(self) -> tuple[int, ...]:
        return tuple(range(1, self.nodes + 1))

    def up(self, *, timeout: float = 30.0) -> None:
        if not 1 <= self.nodes <= 200:
            raise LabError(f"bad node count {self.nodes}")
        _remove_stale_labs()
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.tag}-"))
            self._owns_workdir = True
        atexit.register(self.down)
        self._trap_signals()
        try:
            self._network()
            self._configs()
            for i in self.node_ids:
                self._start_init(self._nodes[i])
            for i in self.node_ids:
                self.start_corosync(i, wait=False)
            self.wait_converged(timeout=timeout)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Kill what this lab started (by PID), delete its namespaces. Never raises."""
        procs = [p for node in self._nodes.values() for p in (node.corosync, node.init) if p is not None]
        for pid in sorted(self._tracked):
            _signal(pid, signal.SIGTERM)
        for proc in procs:
            if proc.poll() is None:
                _signal(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        for pid in sorted(self._tracked):
            if not _wait_pid_gone(pid, deadline):
                _signal(pid, signal.SIGKILL)
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5.0)
        self._tracked.clear()
        for node in self._nodes.values():
            node.corosync = node.init = None
        for ns in reversed(self._namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self._namespaces.clear()
        if self._owns_workdir and self.workdir is not None and not os.environ.get("VIGIL_LAB_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)
        for sig, previous in self._saved_handlers.items():
            signal.signal(sig, previous)
        self._saved_handlers.clear()

    def _trap_signals(self) -> None:
        """On SIGTERM/SIGHUP (e.g. `timeout pytest`): tear down, then die of the signal as before."""

        def handler(sig: int, _frame: object) -> None:
            self.down()
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)

        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                with contextlib.suppress(ValueError):  # not the main thread: no trap
                    signal.signal(sig, handler)
                    self._saved_handlers[sig] = signal.SIG_DFL

    # --- network --------------------------------------------------------------------------------

    def _ip(self, *args: str) -> None:
        res = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
        if res.returncode != 0:
            raise LabError(f"ip {' '.join(args)}: {res.stderr.strip()}")

    def _add_ns(self, name: str) -> None:
        self._ip("netns", "add", name)
        self._namespaces.append(name)
        self._ip("-n", name, "link", "set", "lo", "up")

    def _network(self) -> None:
        assert self.workdir is not None
        self._add_ns(self.switch)
        for b in range(self.nodes):
            self._ip("-n", self.switch, "link", "add", f"br{b}", "type", "bridge")
            self._ip("-n", self.switch, "link", "set", f"br{b}", "up")
        for i in self.node_ids:
            node = self._nodes[i] = _Node(i, f"{self.tag}-n{i}", self.workdir / f"n{i}")
            self._add_ns(node.ns)
            self._ip("link", "add", "eth0", "netns", node.ns, "type", "veth", "peer", "name", f"p{i}",
                     "netns", self.switch)
            self._ip("-n", self.switch, "link", "set", f"p{i}", "master", "br0", "up")
            self._ip("-n", node.ns, "addr", "add", f"{node.address}/24", "dev", "eth0")
            self._ip("-n", node.ns, "link", "set", "eth0", "up")

    def partition(self, *groups: Iterable[int]) -> None:
        """Cut the network into these groups; nodes not named form groups of their own."""
        bridge: dict[int, int] = {}
        for b, group in enumerate(groups):
            for i in group:
                if i in bridge or i not in self._nodes:
                    raise LabError(f"node {i} unknown or in two groups")
                bridge[i] = b
        spare = len(groups)
        for i in self.node_ids:
            if i not in bridge:
                bridge[i], spare = spare, spare + 1
        for i, b in bridge.items():
            self._ip("-n", self.switch, "link", "set", f"p{i}", "master", f"br{b}")

    def heal(self) -> None:
        for i in self.node_ids:
            self._ip("-n", self.switch, "link", "set", f"p{i}", "master", "br0")

    # --- nodes ----------------------------------------------------------------------------------

    def _configs(self) -> None:
        assert self.workdir is not None
        key = self.workdir / "authkey"
        key.write_bytes(os.urandom(128))
        key.chmod(0o400)
        nodelist = "".join(
            f"    node {{\n        nodeid: {n.nodeid}\n        name: {n.ns.rsplit('-', 1)[1]}\n"
            f"        ring0_addr: {n.address}\n    }}\n"
            for n in self._nodes.values()
        )
        quorum = "    provider: corosync_votequorum\n" + ("    two_node: 1\n" if self.two_node else "")
        for node in self._nodes.values():
            (node.dir / "lib").mkdir(parents=True, exist_ok=True)
            (node.dir / "corosync.conf").write_text(
                "totem {\n    version: 2\n    cluster_name: vigil-lab\n    transport: knet\n"
                f"    crypto_cipher: aes256\n    crypto_hash: sha256\n    keyfile: {key}\n"
                f"    token: {self.token_ms}\n    token_coefficient: 0\n}}\n"
                f"nodelist {{\n{nodelist}}}\n"
                f"quorum {{\n{quorum}}}\n"
                f"logging {{\n    to_logfile: yes\n    logfile: {node.dir / 'corosync.log'}\n"
                "    to_stderr: no\n    to_syslog: no\n    timestamp: hires\n}\n"
            )

    def _start_init(self, node: _Node) -> None:
        assert self.workdir is not None
        # The node's private tmpfs on /tmp must not hide what its processes need there: this
        # lab's work directory, the checkout (the driver script) and the Python running vigil
        # (a clone or venv under /tmp). Each is held under /run and bound back on top.
        keep = _outermost([str(self.workdir), *(p for p in (str(REPO), *python_paths(
            os.environ.get("PYTHONPATH", ""))) if Path(p).is_relative_to("/tmp"))])
        hold = "/run/vigil-lab"
        held = [(path, f"{hold}/{i}") for i, path in enumerate(keep)]
        script = (
            "set -e\n"
            f"mount --bind {node.dir / 'lib'} /var/lib/corosync\n"
            "mount -t tmpfs -o size=64m,mode=0755 tmpfs /run\n"
            "mount -t tmpfs -o size=512m tmpfs /dev/shm\n"
            + "".join(f"mkdir -p {h} && mount --bind {shlex.quote(p)} {h}\n" for p, h in held)
            + "mount -t tmpfs -o mode=1777 tmpfs /tmp\n"
            + "".join(f"mkdir -p {shlex.quote(p)} && mount --bind {h} {shlex.quote(p)}\n"
                      for p, h in held)
            + "echo ready\n"
            "exec sleep infinity\n"
        )
        node.init = subprocess.Popen(
            ["ip", "netns", "exec", node.ns, "unshare", "--mount", "--propagation", "private",
             "sh", "-c", script],
            stdout=subprocess.PIPE,
            stderr=open(node.dir / "init.log", "wb"),  # noqa: SIM115 - the child owns it
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent(signal.SIGKILL),
        )
        assert node.init.stdout is not None
        ready, _, _ = select.select([node.init.stdout], [], [], 10.0)
        line = node.init.stdout.readline() if ready else b""
        if line.strip() != b"ready":
            raise LabError(f"init of {node.ns} did not start: {(node.dir / 'init.log').read_text()}")

    def node_argv(self, i: int, argv: Sequence[str]) -> list[str]:
        """argv that runs `argv` inside node i (its netns and private mounts)."""
        init = self._nodes[i].init
        if init is None or init.poll() is not None:
            raise LabError(f"node {i} has no init")
        return ["nsenter", "-t", str(init.pid), "-n", "-m", "--", *argv]

    def run(self, i: int, argv: Sequence[str], *, timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.node_argv(i, argv), capture_output=True, text=True, timeout=timeout)

    def track(self, pid: int) -> None:
        """Have `down` kill this process (a client started inside a node) if it is still alive."""
        self._tracked.add(pid)

    def untrack(self, pid: int) -> None:
        self._tracked.discard(pid)

    def corosync_running(self, i: int) -> bool:
        proc = self._nodes[i].corosync
        return proc is not None and proc.poll() is None

    def corosync_pid(self, i: int) -> int | None:
        proc = self._nodes[i].corosync
        return proc.pid if proc is not None and proc.poll() is None else None

    def start_corosync(self, i: int, *, wait: bool = True, timeout: float = 15.0) -> None:
        node = self._nodes[i]
        if self.corosync_running(i):
            return
        # nsenter without -p execs corosync itself: the PID we hold is corosync's
        node.corosync = subprocess.Popen(
            self.node_argv(i, ["corosync", "-f", "-c", str(node.dir / "corosync.conf")]),
            stdin=subprocess.DEVNULL,
            stdout=open(node.dir / "corosync.out", "ab"),  # noqa: SIM115 - the child owns it
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent(signal.SIGTERM),
        )
        if wait:
            self.wait_corosync(i, timeout=timeout)

    def wait_corosync(self, i: int, *, timeout: float = 15.0) -> None:
        """Until node i's corosync answers its local IPC."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.corosync_running(i):
                raise LabError(f"corosync of node {i} exited: {self.log_tail(i)}")
            if self.run(i, ["corosync-quorumtool", "-s"], timeout=5).stdout.find("Quorum information") >= 0:
                return
            time.sleep(0.1)
        raise LabError(f"corosync of node {i} did not answer in {timeout}s")

    def kill_corosync(self, i: int, sig: int = signal.SIGKILL, *, timeout: float = 10.0) -> None:
        proc = self._nodes[i].corosync
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5.0)

    def quorum_status(self, i: int) -> dict[str, str]:
        """`corosync-quorumtool -s` of node i as {field: value} (empty if corosync is down)."""
        if not self.corosync_running(i):
            return {}
        out = self.run(i, ["corosync-quorumtool", "-s"], timeout=5).stdout
        return {m[1].strip(): m[2].strip() for m in re.finditer(r"^([A-Za-z][A-Za-z ]+):\s*(.*)$", out, re.M)}

    def wait_converged(self, *, timeout: float = 30.0) -> None:
        """Until every node's corosync runs and counts all nodes' votes (one ring, quorate)."""
        deadline = time.monotonic() + timeout
        last: dict[int, dict[str, str]] = {}
        while time.monotonic() < deadline:
            for i in self.node_ids:
                if not self.corosync_running(i):
                    self.start_corosync(i, wait=False)
            last = {i: self.quorum_status(i) for i in self.node_ids}
            votes = str(self.nodes)
            if all(s.get("Total votes") == votes and s.get("Quorate") == "Yes" for s in last.values()):
                return
            time.sleep(0.2)
        raise LabError(f"cluster did not converge in {timeout}s: {last}")

    def log_tail(self, i: int, lines: int = 20) -> str:
        path = self._nodes[i].dir / "corosync.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _outermost(paths: Iterable[str]) -> list[str]:
    """The paths not inside another of them, in order (one bind mount covers what is inside)."""
    unique = list(dict.fromkeys(os.path.normpath(p) for p in paths))
    return [p for p in unique if not any(o != p and Path(p).is_relative_to(o) for o in unique)]


def _die_with_parent(sig: int) -> Any:
    """preexec_fn: the child gets `sig` when the thread that started it exits (kept across exec).
    So start lab processes from a long-lived thread (the main one), not from a worker thread."""
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return preexec


def _remove_stale_labs() -> None:
    """Delete the namespaces and work directories of labs whose creating process is gone."""
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10).stdout
    for line in listing.splitlines():
        name = line.split()[0] if line.split() else ""
        match = _STALE.match(name)
        if match and not _alive(int(match[1])):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=20)
    for path in Path(tempfile.gettempdir()).glob("vgl*-*"):
        match = re.match(r"^vgl(\d+)-", path.name)
        if match and path.is_dir() and not _alive(int(match[1])):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def _wait_pid_gone(pid: int, deadline: float) -> bool:
    """Wait until deadline for a tracked process to be gone (reaping it if it is our child)."""
    while True:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return True
        except ChildProcessError:
            pass  # not our child, or already reaped by its owner (asyncio's child watcher)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
