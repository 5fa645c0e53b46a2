"""PID 1 of a lab node: private filesystem view, then Corosync and the vigil daemon, supervised.

Started by the lab as
    ip netns exec vl-<lab>-<node> unshare --mount --uts --pid --fork --mount-proc \
        --propagation private -- python3 -m vigil.lab.nodeinit <node dir>/init.json
so it runs in the node's network namespace, in fresh mount, UTS and PID namespaces. It:

1. sets the hostname to the node name;
2. detaches whatever is mounted below /run, /tmp and /dev/shm (the copies of the host's
   /run/netns/* bind mounts would otherwise pin every network namespace of the host, other labs'
   included, for as long as this node lives), then mounts private tmpfs on /run, /dev/shm (libqb
   rings, corosync's blackbox) and /tmp; the directories of the Python environment that runs vigil
   (`keep` in init.json: vigil's source, the venv, site-packages, PYTHONPATH) that those tmpfs
   would hide, a clone or venv under /tmp say, are bind-mounted back, read-only, at the same paths
   (see `kept_paths`), so the node runs the same vigil as the host wherever it is installed;
3. bind-mounts the node's "disk" (its state directory) on /etc/corosync, /etc/vigil,
   /var/lib/corosync, /var/log/corosync, /var/lib/vigil and /var/log/vigil;
4. starts `corosync -f` and checks at once that the daemon's entry imports (`python3 -c` importing
   vigil.daemon.__main__ with the daemon's environment; its error's last line goes to the status
   as `daemon_note`, which `vigil lab up` reports); once cmap answers, starts the vigil daemon
   (`python3 -m vigil.daemon`, only if the check passed; another command when the lab was given
   one), its PID
   recorded in /run/vigil/vigild.pid as `vigil cluster start` records it; with a quorum device
   (`qdevice_argv` in init.json, see vigil.lab.qnetd), `corosync-qdevice -f` at the same time;
5. reaps every orphan of the node, restarts the daemon when it fails (with a back-off, and only
   while Corosync runs: the daemon exits 1 when Corosync is lost and expects to be restarted).
   A daemon that exits 0 was stopped on purpose (`vigil cluster stop` inside the node) and is
   left stopped, as systemd's Restart=on-failure would; Corosync is never restarted. What
   `vigil cluster start` then starts inside the node (corosync, which records its PID in
   /var/run/corosync.pid, and vigild) is adopted once it is the init's child (its starter has
   exited): supervised from then on, and stopped with the node. corosync-qdevice is restarted
   when it exits while Corosync runs (as its unit's Restart=on-failure would), after a back-off;
6. on SIGTERM (or SIGINT) stops the daemon, then corosync-qdevice, then Corosync, then exits; a
   SIGKILL from the host ("power off") makes the kernel kill every process of the node at once.

It reports its state in /run/vigil-lab/status.json inside the node, which the host reads through
/proc/<init pid>/root.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STATUS_PATH = "/run/vigil-lab/status.json"
DAEMON_PIDFILE = "/run/vigil/vigild.pid"  # the same files as vigil.commands.localnode's
QDEVICE_RUNDIR = "/run/corosync-qdevice"  # its lock file and IPC socket (corosync-qdevice-tool)
QDEVICE_PIDFILE = f"{QDEVICE_RUNDIR}/corosync-qdevice.pid"  # its lock file holds its PID
QDEVICE_ARGV = ["corosync-qdevice", "-f"]
COROSYNC_PIDFILE = "/var/run/corosync.pid"  # written by corosync itself
COROSYNC_CONF = "/etc/corosync/corosync.conf"
DAEMON_STDIO = "/var/log/vigil/daemon.stdio"
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_BIND = 4096
MNT_DETACH = 2

CMAP_TIMEOUT_S = 30.0  # corosync must answer cmap within this after its start
CMAP_POLL_S = 0.05
STOP_TIMEOUT_S = 15.0  # per daemon at shutdown, then SIGKILL
RESTART_MIN_S = 0.2
RESTART_MAX_S = 5.0
STABLE_RUN_S = 10.0  # a daemon that ran this long is restarted without back-off

TMPFS = (("/run", "mode=0755,size=64m"), ("/dev/shm", "mode=1777,size=256m"), ("/tmp", "mode=1777,size=64m"))
HIDDEN_ROOTS = tuple(t for t, _ in TMPFS)

# Exit 0 when `python3 -m MODULE` can start: it imports what the real entry imports (a package's
# __main__, whose `if __name__ == "__main__"` keeps it from running), so a missing module or a
# broken import anywhere below shows here, as the last line of its traceback.
_RUNNABLE_CHECK = (
    "import importlib, importlib.util, sys\n"
    "name = sys.argv[1]\n"
    "spec = importlib.util.find_spec(name)\n"
    "if spec is None:\n"
    "    raise ModuleNotFoundError(f'No module named {name!r}')\n"
    "if spec.submodule_search_locations is not None:\n"
    "    name += '.__main__'\n"
    "importlib.import_module(name)\n"
)

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    rc = _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                     ctypes.c_ulong(flags), data.encode() if data else None)
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {source} on {target}: {os.strerror(err)}")


def _umount_lazy(target: str) -> None:
    _libc.umount2(target.encode(), MNT_DETACH)


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def kept_paths(candidates: list[str], hidden: tuple[str, ...] = HIDDEN_ROOTS) -> list[str]:
    """The paths among `candidates` that the node's tmpfs mounts on `hidden` would hide and that
    must be bound back: absolute, below a hidden root but not the root itself (binding all of the
    host's /tmp back would end the node's private /tmp), minus those below another kept path."""
    inside = sorted({os.path.normpath(c) for c in candidates
                     if c.startswith("/") and any(_under(os.path.normpath(c), r) for r in hidden)
                     and os.path.normpath(c) not in hidden})
    kept: list[str] = []
    for path in inside:
        if not any(_under(path, k) for k in kept):
            kept.append(path)
    return kept


def mounts_to_detach(mountpoints: list[str], hidden: tuple[str, ...], kept: list[str]) -> list[str]:
    """The mounts below the hidden roots to detach, deepest first; not those holding a kept path
    (a detached mount cannot be bound back, and the tmpfs hides it anyway)."""
    below = {m for m in mountpoints if any(m.startswith(r + "/") for r in hidden)
             and not any(_under(k, m) for k in kept)}
    return sorted(below, key=lambda p: (p.count("/"), p), reverse=True)


def last_line(text: str) -> str:
    """The last non-blank line of a command's output (a Python traceback's is the error)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def log(msg: str) -> None:
    now = time.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(now))
    print(f"{stamp}.{int(now * 1000) % 1000:03d} init: {msg}", flush=True)


@dataclass
class Child:
    name: str
    pid: int | None = None
    state: str = "stopped"
    started: float = 0.0
    exits: int = 0
    last_exit: str = ""


@dataclass
class Status:
    node: str
    boot: float
    phase: str = "booting"  # booting | running | stopping
    corosync: Child = field(default_factory=lambda: Child("corosync"))
    cmap_ready_after_s: float | None = None
    daemon: Child = field(default_factory=lambda: Child("daemon"))
    daemon_note: str = ""
    restarts: int = 0
    qdevice: Child = field(default_factory=lambda: Child("qdevice", state="disabled"))
    remote: Child = field(default_factory=lambda: Child("remote", state="disabled"))


@dataclass
class Companion:
    """A daemon restarted whenever it exits, with a back-off (as its unit's Restart=on-failure
    would): corosync-qdevice (only while Corosync runs), the remote endpoint (always: it is how
    a node with no cluster yet is set up from elsewhere, as pcsd runs before any cluster)."""

    argv: list[str]
    logfile: str
    child: Child
    needs_corosync: bool = True
    on_purpose_exit: bool = False  # an exit 0 is a stop on purpose: not restarted
    next_start: float = 0.0
    backoff: float = RESTART_MIN_S


def _recorded(pidfile: str, accept: str) -> tuple[int, int] | None:
    """(pid, parent pid) of the live process a pid file names, if `accept` is its comm or a
    word of its command line."""
    try:
        pid = int(Path(pidfile).read_text().split()[0])
        stat = Path(f"/proc/{pid}/stat").read_text()
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):
        return None
    fields = stat[stat.rfind(")") + 2:].split()
    if len(fields) < 2 or fields[0] in ("Z", "X") or pid <= 1:
        return None
    if comm != accept and accept.encode() not in argv:
        return None
    return pid, int(fields[1])


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit {os.waitstatus_to_exitcode(status)}"


class Init:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.node: str = cfg["node"]
        self.env: dict[str, str] = {"PATH": SBIN_PATH, "LANG": "C.UTF-8", "HOME": "/root",
                                    **cfg.get("env", {})}
        self.status = Status(node=self.node, boot=time.time())
        self.daemon_argv: list[str] | None = cfg.get("daemon_argv")
        self.import_check: str | None = cfg.get("daemon_import_check")
        self.check_pid: int | None = None
        self.check_log_offset = 0
        self.daemon_next_start = 0.0
        self.backoff = RESTART_MIN_S
        self.companions: list[Companion] = []
        for key, child, logfile, needs in (("qdevice_argv", self.status.qdevice,
                                            "/var/log/corosync/qdevice.stdio", True),
                                           ("remote_argv", self.status.remote,
                                            "/var/log/vigil/remote.stdio", False)):
            argv = cfg.get(key)
            if argv:
                child.state = "waiting"
                self.companions.append(Companion(argv, logfile, child, needs))
        if not cfg.get("qdevice_argv"):
            # a quorum device added to the running cluster (`vigil quorum device add`): its
            # corosync-qdevice, started by the node's endpoint, is adopted (see adopt) and
            # then supervised as systemd's unit would (Restart=on-failure)
            self.companions.append(Companion(QDEVICE_ARGV, "/var/log/corosync/qdevice.stdio",
                                             self.status.qdevice, on_purpose_exit=True))
        self.stop_deadline: float | None = None

    # ---------------------------------------------------------------- filesystem
    def setup_filesystem(self) -> None:
        socket.sethostname(self.node)
        keep = kept_paths(list(self.cfg.get("keep", [])))
        for mp in mounts_to_detach(_mountpoints(), HIDDEN_ROOTS, keep):
            _umount_lazy(mp)
        # Opened before the tmpfs hides them: an O_PATH descriptor still names the directory
        # afterwards, and /proc/self/fd/N is a bind mount's source that resolves through it.
        held: list[tuple[str, int]] = []
        for path in keep:
            try:
                held.append((path, os.open(path, os.O_PATH | os.O_CLOEXEC)))
            except OSError as exc:
                log(f"cannot keep {path} visible: {exc.strerror}")
        for target, opts in TMPFS:
            _mount(f"vl-{self.node}", target, "tmpfs", MS_NOSUID | MS_NODEV, opts)
        for path, fd in held:
            self._bind_back(path, fd)
        # /run/resource-agents: $HA_RSCTMP, which systemd-tmpfiles makes at a real host's boot
        # (resource-agents' tmpfiles.d); agents such as pgsqlms write their state files there
        for d in ("/run/lock", "/run/vigil", "/run/vigil-lab", "/run/resource-agents"):
            os.makedirs(d, mode=0o755, exist_ok=True)
        os.makedirs(QDEVICE_RUNDIR, mode=0o770, exist_ok=True)
        for src, dst in self.cfg["binds"]:
            os.makedirs(dst, mode=0o755, exist_ok=True)
            _mount(src, dst, None, MS_BIND, None)

    def _bind_back(self, path: str, fd: int) -> None:
        """Bind the directory (or file) `fd` holds over the tmpfs at `path`, read-only: the node
        runs that code, it does not change it."""
        try:
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, mode=0o755, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                Path(path).touch()
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND, None)
        except OSError as exc:
            log(f"cannot keep {path} visible: {exc}")
            return
        finally:
            os.close(fd)
        try:
            _mount("none", path, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
        except OSError as exc:
            log(f"{path} kept visible but writable: {exc}")
            return
        log(f"{path} kept visible (read-only) over the node's tmpfs")

    # ---------------------------------------------------------------- processes
    def spawn(self, argv: list[str], logfile: str) -> int:
        fd_flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        return os.posix_spawnp(
            argv[0], argv, self.env,
            file_actions=[(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
                          (os.POSIX_SPAWN_OPEN, 1, logfile, fd_flags, 0o644),
                          (os.POSIX_SPAWN_DUP2, 1, 2)],
            setsigmask=(),  # the init blocks its signals; its children must not inherit that
            setsigdef=(signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD, signal.SIGPIPE,
                       signal.SIGXFSZ),
            setsid=True,
        )

    def write_status(self) -> None:
        tmp = STATUS_PATH + ".tmp"
        with open(tmp, "w") as f:
            json.dump(asdict(self.status), f)
        os.replace(tmp, STATUS_PATH)

    def start_corosync(self) -> None:
        c = self.status.corosync
        c.pid = self.spawn(["corosync", "-f"], "/var/log/corosync/corosync.stdio")
        c.state, c.started = "starting", time.time()
        log(f"corosync started, pid {c.pid}")

    def cmap_answers(self) -> bool:
        try:
            r = subprocess.run(["corosync-cmapctl", "-g", "totem.cluster_name"], env=self.env, timeout=2,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return False
        return r.returncode == 0

    def start_import_check(self) -> None:
        if self.daemon_argv is None:
            self.status.daemon.state, self.status.daemon_note = "disabled", "no daemon command"
        elif self.import_check:
            self.status.daemon.state = "checking"
            with contextlib.suppress(OSError):
                self.check_log_offset = os.path.getsize(DAEMON_STDIO)
            self.check_pid = self.spawn([self.daemon_argv[0], "-c", _RUNNABLE_CHECK, self.import_check],
                                        DAEMON_STDIO)
        else:
            self.status.daemon.state = "waiting"

    def start_daemon(self) -> None:
        assert self.daemon_argv is not None
        d = self.status.daemon
        d.pid = self.spawn(self.daemon_argv, DAEMON_STDIO)
        d.state, d.started = "running", time.time()
        tmp = DAEMON_PIDFILE + ".tmp"
        Path(tmp).write_text(f"{d.pid}\n")
        os.replace(tmp, DAEMON_PIDFILE)
        log(f"daemon started, pid {d.pid}: {' '.join(self.daemon_argv)}")

    def start_companion(self, comp: Companion) -> None:
        comp.child.pid = self.spawn(comp.argv, comp.logfile)
        comp.child.state, comp.child.started = "running", time.time()
        log(f"{comp.child.name} started, pid {comp.child.pid}: {' '.join(comp.argv)}")

    def adopt(self) -> None:
        """Supervise what `vigil cluster start` started inside the node, once it is our child."""
        for child, pidfile, accept in ((self.status.corosync, COROSYNC_PIDFILE, "corosync"),
                                       (self.status.daemon, DAEMON_PIDFILE, "vigil.daemon")):
            # "waiting": a node set up after its boot, started by `cluster start` before this
            # init would have started its own
            if child.pid is not None or child.state not in ("dead", "stopped", "restart-wait",
                                                             "unconfigured", "waiting"):
                continue
            found = _recorded(pidfile, accept)
            if found is not None and found[1] == os.getpid():
                child.pid, child.state, child.started = found[0], "running", time.time()
                if child is self.status.daemon:
                    self.status.daemon_note = ""
                log(f"{child.name} (pid {child.pid}) adopted: started by vigil cluster start")
        q = self.status.qdevice
        if q.pid is None and q.state in ("disabled", "stopped", "restart-wait"):
            found = _recorded(QDEVICE_PIDFILE, "corosync-qdevic")  # comm: 15 characters
            if found is not None and found[1] == os.getpid():
                q.pid, q.state, q.started = found[0], "running", time.time()
                log(f"qdevice (pid {q.pid}) adopted: started by the node's endpoint")

    def started_elsewhere(self) -> bool:
        """A daemon recorded in its pid file runs, started by someone else (not adopted yet)."""
        return _recorded(DAEMON_PIDFILE, "vigil.daemon") is not None

    def on_exit(self, pid: int, wstatus: int) -> None:
        now = time.time()
        if pid == self.check_pid:
            self.check_pid = None
            if os.WIFEXITED(wstatus) and os.WEXITSTATUS(wstatus) == 0:
                self.status.daemon.state = "waiting"
            else:
                self.status.daemon.state = "not-installed"
                self.status.daemon_note = (f"`python3 -m {self.import_check}` cannot start: "
                                           f"{self._check_error(wstatus)}")
                log(self.status.daemon_note)
            return
        for comp in self.companions:
            child = comp.child
            if child.pid == pid:
                child.pid, child.exits, child.last_exit = None, child.exits + 1, _describe(wstatus)
                log(f"{child.name} exited: {child.last_exit}")
                if self.status.phase == "stopping" or (
                        comp.on_purpose_exit and os.WIFEXITED(wstatus)
                        and os.WEXITSTATUS(wstatus) == 0):
                    child.state = "stopped"
                else:
                    if now - child.started >= STABLE_RUN_S:
                        comp.backoff = RESTART_MIN_S
                    child.state = "restart-wait"
                    comp.next_start = now + comp.backoff
                    comp.backoff = min(comp.backoff * 2, RESTART_MAX_S)
                return
        for child in (self.status.corosync, self.status.daemon):
            if child.pid == pid:
                child.pid, child.exits, child.last_exit = None, child.exits + 1, _describe(wstatus)
                log(f"{child.name} exited: {child.last_exit}")
                if child is self.status.corosync:
                    child.state = "dead"
                elif self.status.phase == "stopping":
                    child.state = "stopped"
                elif os.WIFEXITED(wstatus) and os.WEXITSTATUS(wstatus) == 0:
                    child.state = "stopped"  # on purpose (vigil cluster stop): not restarted
                    self.status.daemon_note = "exited 0 (stopped on purpose): not restarted"
                else:
                    if now - child.started >= STABLE_RUN_S:
                        self.backoff = RESTART_MIN_S  # it ran long enough: no back-off
                    child.state = "restart-wait"
                    self.daemon_next_start = now + self.backoff
                    self.backoff = min(self.backoff * 2, RESTART_MAX_S)

    def _check_error(self, wstatus: int) -> str:
        """What the import check printed last (its error), read from where it started writing."""
        try:
            with open(DAEMON_STDIO, "rb") as f:
                f.seek(self.check_log_offset)
                out = f.read(1 << 20).decode(errors="replace")
        except OSError:
            out = ""
        return last_line(out) if out.strip() else _describe(wstatus)

    def reap(self) -> None:
        while True:
            try:
                pid, wstatus = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.on_exit(pid, wstatus)

    # ---------------------------------------------------------------- main loop
    def tick(self) -> float | None:
        """Act on timers; return how long to wait for the next signal, None when the node is off."""
        now = time.time()
        st, c, d = self.status, self.status.corosync, self.status.daemon
        if st.phase == "stopping":
            return self.tick_stopping(now)
        self.adopt()
        if c.state == "starting":
            if self.cmap_answers():
                c.state, st.cmap_ready_after_s = "running", round(time.time() - c.started, 3)
                log(f"corosync answers cmap after {st.cmap_ready_after_s} s")
            elif now - c.started > CMAP_TIMEOUT_S:
                c.state = "unresponsive"
                log(f"corosync did not answer cmap within {CMAP_TIMEOUT_S:g} s")
            else:
                return CMAP_POLL_S
        for comp in self.companions:
            if (c.state == "running" or not comp.needs_corosync) \
                    and comp.child.state in ("waiting", "restart-wait") and now >= comp.next_start:
                self.start_companion(comp)
        if c.state == "running" and d.state in ("waiting", "restart-wait") and now >= self.daemon_next_start:
            if self.started_elsewhere():
                return 0.5  # adopted once its starter exits
            if d.state == "restart-wait":
                st.restarts += 1
            self.start_daemon()
        waits = [5.0]
        if d.state == "restart-wait" and c.state == "running":
            waits.append(max(0.01, self.daemon_next_start - now))
        for comp in self.companions:
            if comp.child.state == "restart-wait" and (c.state == "running"
                                                       or not comp.needs_corosync):
                waits.append(max(0.01, comp.next_start - now))
        return min(waits)

    def begin_stop(self) -> None:
        if self.status.phase == "stopping":
            return
        log("graceful shutdown requested")
        self.adopt()
        self.status.phase = "stopping"
        self.stop_deadline = None
        if self.check_pid is not None:
            os.kill(self.check_pid, signal.SIGKILL)

    def tick_stopping(self, now: float) -> float | None:
        """Stop the daemon, then Corosync; None once both are gone."""
        c, d = self.status.corosync, self.status.daemon
        for child in (d, self.status.remote, self.status.qdevice, c):
            if child.pid is None:
                continue
            if child.state != "stopping":
                child.state = "stopping"
                os.kill(child.pid, signal.SIGTERM)
                self.stop_deadline = now + STOP_TIMEOUT_S
                log(f"stopping {child.name} (pid {child.pid})")
            elif self.stop_deadline is not None and now >= self.stop_deadline:
                log(f"{child.name} did not stop within {STOP_TIMEOUT_S:g} s: SIGKILL")
                os.kill(child.pid, signal.SIGKILL)
                self.stop_deadline = now + STOP_TIMEOUT_S
            return 0.5
        if d.state not in ("not-installed", "disabled"):
            d.state = "stopped"
        for comp in self.companions:
            comp.child.state = "stopped"
        if c.state != "dead":
            c.state = "stopped"
        return None

    def run(self) -> int:
        sigs = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
        for s in sigs:
            # a PID-namespace init only receives signals it handles; the handler is never run
            # (the signals are blocked and taken with sigtimedwait) but must exist
            signal.signal(s, lambda *_: None)
        signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
        self.setup_filesystem()
        if os.path.exists(COROSYNC_CONF):
            self.start_corosync()
        else:  # as Debian's corosync.service: ConditionPathExists=/etc/corosync/corosync.conf
            self.status.corosync.state = "unconfigured"
            log(f"no {COROSYNC_CONF}: Corosync not started (`vigil cluster setup` first)")
        self.start_import_check()
        self.status.phase = "running"
        self.write_status()
        while True:
            wait = self.tick()
            self.write_status()
            if wait is None:
                log("daemons stopped, node off")
                return 0
            info = signal.sigtimedwait(sigs, wait)
            if info is None:
                continue
            if info.si_signo == signal.SIGCHLD:
                self.reap()
            elif info.si_signo in (signal.SIGTERM, signal.SIGINT):
                self.begin_stop()


def _mountpoints() -> list[str]:
    out = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        parts = line.split()
        if len(parts) > 4:
            out.append(parts[4].encode().decode("unicode_escape") if "\\" in parts[4] else parts[4])
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python3 -m vigil.lab.nodeinit <init.json>", file=sys.stderr)
        return 2
    if os.getpid() != 1:
        print("vigil.lab.nodeinit must run as PID 1 of a new PID namespace", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        cfg = json.load(f)
    log(f"node {cfg['node']} booting")
    return Init(cfg).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
