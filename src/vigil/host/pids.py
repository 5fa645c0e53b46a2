"""Processes as /proc shows them, and "signal only the process that was recorded".

A PID alone names whatever process holds it now: after the recorded one exits, the kernel may
give the number to another. A PID together with its start time (field 22 of /proc/PID/stat,
clock ticks since boot) names one process for ever, so that is what the lab records, and only a
PID whose start time still matches is signalled.

A zombie counts as gone everywhere here: it runs nothing, and signalling it does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcStat:
    """The fields of /proc/PID/stat that the shells use."""

    pid: int
    state: str  # R, S, D, T...; never Z or X (those are None from `stat`)
    ppid: int
    start_time: int  # clock ticks since boot


def stat(pid: int) -> ProcStat | None:
    """The process `pid` as /proc/PID/stat has it; None when there is none, or only a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm (field 2) is in parentheses and may hold spaces and ')': split after the last ')'
    fields = text[text.rfind(")") + 2:].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return ProcStat(pid=pid, state=fields[0], ppid=int(fields[1]), start_time=int(fields[19]))


def start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat; None when there is no such process (or a zombie)."""
    found = stat(pid)
    return None if found is None else found.start_time


def identity(pid: int) -> tuple[str, tuple[str, ...]] | None:
    """(comm, argv) of a live process; None when there is none (or a zombie). An exiting
    process, or a kernel thread, has an empty argv."""
    if stat(pid) is None:
        return None
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return comm, tuple(w.decode(errors="replace") for w in raw.split(b"\0") if w)


def is_alive(pid: int | None, started: int | None) -> bool:
    """The process recorded as (pid, start time) still runs."""
    return pid is not None and started is not None and start_time(pid) == started


def signal_if(pid: int, sig: int, still: Callable[[int], bool]) -> bool:
    """Send `sig` to `pid` if `still(pid)` says it is the process meant; True if it was sent.

    PID 1 and below are never signalled (init, or every process with -1). Between the check
    and the kill the process could exit and its PID be reused; the kernel hands out PIDs in
    increasing order and wraps around only after pid_max, so that window is not a practical one.
    """
    if pid <= 1 or not still(pid):
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def signal_recorded(pid: int, started: int | None, sig: int) -> bool:
    """Send `sig` to the process recorded as (pid, start time) if it is still that one."""
    return signal_if(pid, sig, lambda p: is_alive(p, started))
