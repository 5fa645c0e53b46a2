"""vigil.host.pids: a PID is trusted (and signalled) only while it is the process recorded."""

from __future__ import annotations

import os
import signal
import subprocess

from vigil.host import pids


def test_this_process() -> None:
    me = pids.stat(os.getpid())
    assert me is not None and me.ppid == os.getppid() and me.state in "RSD"
    assert pids.is_alive(os.getpid(), me.start_time)
    assert not pids.is_alive(os.getpid(), me.start_time + 1)
    assert not pids.is_alive(None, me.start_time) and not pids.is_alive(os.getpid(), None)
    found = pids.identity(os.getpid())
    assert found is not None and found[1]


def test_only_the_recorded_process_is_signalled() -> None:
    proc = subprocess.Popen(["sleep", "60"])
    started = pids.start_time(proc.pid)
    assert started is not None
    assert not pids.signal_recorded(proc.pid, started + 1, signal.SIGTERM)  # someone else now
    assert proc.poll() is None
    assert pids.signal_recorded(proc.pid, started, signal.SIGTERM)
    proc.wait()
    assert not pids.is_alive(proc.pid, started) and pids.stat(proc.pid) is None
    assert not pids.signal_recorded(proc.pid, started, signal.SIGTERM)
    assert not pids.signal_recorded(1, pids.start_time(1), 0)  # init: never


def test_a_zombie_counts_as_gone() -> None:
    proc = subprocess.Popen(["sleep", "0.1"])
    assert pids.stat(proc.pid) is not None
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie
    assert pids.stat(proc.pid) is None and pids.identity(proc.pid) is None
    proc.wait()
