"""This machine, as `vigil cluster setup|start|stop|destroy` see it: its files, its services and
its processes.

Everything the cluster commands do to the machine goes through `LocalNode`, so that tests can
point it at a temporary root directory (`root`), pretend not to be root (`euid`) and give it
their own clock. Paths are written absolute ("/etc/corosync/authkey") and resolved below `root`.

Processes are found by the PID their pid file records, and a recorded PID is only trusted (and
only ever signalled) while it is alive and still the program it was recorded for (corosync's
`comm`, or `vigil.daemon` on vigild's command line): a stale file or a recycled PID is ignored.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vigil import clusterconf
from vigil.commands.env import LiveEnvironment
from vigil.host import paths, pids

SYSTEMD_RUNNING = "/run/systemd/system"  # sd_booted(): systemd is the init of this machine
COROSYNC_PIDFILE = "/var/run/corosync.pid"  # written by corosync itself
VIGILD_PIDFILE = "/run/vigil/vigild.pid"  # written by `vigil cluster start` (or the lab's init)
VIGILD_SOCKET = "/run/vigil/vigild.sock"
VIGILD_LOG = "/var/log/vigil/vigild.log"
VIGILD_UNIT = "/etc/systemd/system/vigild.service"
STATE_DIR = "/var/lib/vigil"


@dataclass(frozen=True)
class Program:
    """How to recognise a running program from /proc: its name, for messages and systemd units."""

    name: str  # "corosync" or "vigild"
    unit: str  # its systemd unit
    pidfile: str
    comm: str | None = None  # /proc/PID/comm must be this
    argv_word: str | None = None  # or one word of /proc/PID/cmdline must be this

    def matches(self, comm: str, argv: Sequence[str]) -> bool:
        if self.comm is not None and comm == self.comm:
            return True
        return self.argv_word is not None and self.argv_word in argv


COROSYNC = Program("corosync", "corosync.service", COROSYNC_PIDFILE, comm="corosync")
VIGILD = Program("vigild", "vigild.service", VIGILD_PIDFILE, argv_word="vigil.daemon")


def _is(program: Program, pid: int) -> bool:
    """`pid` is a live process of `program` (not a recycled PID, not a zombie)."""
    found = pids.identity(pid)
    return found is not None and program.matches(*found)


@dataclass
class LocalNode:
    root: Path = Path("/")
    euid: int = field(default_factory=os.geteuid)
    python: str = sys.executable
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    spawned: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)

    # -- files -----------------------------------------------------------------------------
    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def is_root(self) -> bool:
        return self.euid == 0

    @property
    def has_systemd(self) -> bool:
        return self.path(SYSTEMD_RUNNING).is_dir()

    def hostname(self) -> str:
        return socket.gethostname().split(".")[0]

    # -- commands --------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        return paths.tool_env()

    def which(self, name: str) -> str | None:
        return shutil.which(name, path=self.env()["PATH"])

    def run(self, argv: Sequence[str], timeout: float = 60.0) -> tuple[int, str]:
        """Run a command to completion: (exit status, its output); 127 if it cannot start, 124
        on timeout."""
        try:
            done = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, env=self.env(), timeout=timeout, check=False)
        except OSError as exc:
            return 127, str(exc)
        except subprocess.TimeoutExpired:
            return 124, f"{argv[0]} did not finish within {timeout:g} s"
        return done.returncode, (done.stdout + done.stderr).strip()

    def systemctl(self, *args: str) -> tuple[int, str]:
        return self.run(["systemctl", *args])

    def spawn_detached(self, argv: Sequence[str], log: str) -> int:
        """Start a daemon in a session of its own, its output appended to `log`; its PID."""
        path = self.path(log)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as out:
            proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=self.env(), cwd="/",
                                    start_new_session=True, close_fds=True)
        self.spawned.append(proc)  # polled (reaped) while this command waits for it
        return proc.pid

    def exited(self, pid: int) -> int | None:
        """The exit status of a process this object spawned, once it has exited."""
        for proc in self.spawned:
            if proc.pid == pid:
                return proc.poll()
        return None

    # -- processes -------------------------------------------------------------------------
    def read_pid(self, pidfile: str) -> int | None:
        try:
            text = self.path(pidfile).read_text().split()
        except OSError:
            return None
        return int(text[0]) if text and text[0].isdigit() and int(text[0]) > 1 else None

    def running(self, program: Program) -> int | None:
        """The PID of `program` as its pid file records it, if that process runs and is it."""
        pid = self.read_pid(program.pidfile)
        if pid is None:
            return None
        return pid if _is(program, pid) else None

    def write_pid(self, pidfile: str, pid: int) -> None:
        path = self.path(pidfile)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(f"{pid}\n")
        os.replace(tmp, path)

    def forget_pid(self, pidfile: str, pid: int) -> None:
        """Remove the pid file if it still names `pid`."""
        if self.read_pid(pidfile) == pid:
            with contextlib.suppress(OSError):
                self.path(pidfile).unlink()

    def terminate(self, program: Program, pid: int, timeout: float) -> bool:
        """SIGTERM the recorded process, SIGKILL it after `timeout` s; True if it had to be
        killed. Only a PID that still is `program` is signalled."""
        if not self._signal(program, pid, signal.SIGTERM):
            return False
        if self.wait_gone(program, pid, timeout):
            return False
        self._signal(program, pid, signal.SIGKILL)
        self.wait_gone(program, pid, 10.0)
        return True

    def _signal(self, program: Program, pid: int, sig: int) -> bool:
        return pids.signal_if(pid, sig, lambda p: _is(program, p))

    def wait_gone(self, program: Program, pid: int, timeout: float) -> bool:
        deadline = self.clock() + timeout
        while True:
            self.exited(pid)  # reaps our own child, if it is one
            found = pids.identity(pid)
            if found is None or (found[1] and not program.matches(*found)):
                return True  # gone, or its PID is another program's now (an exiting one has no argv)
            if self.clock() >= deadline:
                return False
            self.sleep(0.1)

    # -- the running cluster ---------------------------------------------------------------
    def live_env(self, timeout: float = 15.0) -> LiveEnvironment:
        """This node's vigild; the VIGIL_SOCKET environment variable overrides the socket."""
        if self.root == Path("/"):
            return LiveEnvironment(timeout=timeout)
        return LiveEnvironment(str(self.path(VIGILD_SOCKET)), timeout=timeout,
                               corosync_conf=str(self.path("/" + clusterconf.COROSYNC_CONF)))
