"""Thin shell over the host: running commands, `ip -batch`, and reading /proc.

Processes are identified by (pid, start time): a PID is only signalled when its start time still
matches the one recorded when the lab started it, so a recycled PID is never killed. That rule
and the PATH with the sbin directories are vigil.host's; the lab's modules call them by the
names below.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from vigil.host import paths, pids
from vigil.lab.errors import LabError

NETNS_DIR = Path("/run/netns")

# what the lab runs on the host or in the nodes, and the Debian package that has it
REQUIRED_TOOLS = {
    "ip": "iproute2",
    "unshare": "util-linux",
    "nsenter": "util-linux",
    "sysctl": "procps",
    "corosync": "corosync",
    "corosync-cmapctl": "corosync",
    "corosync-quorumtool": "corosync",
}


tool_path = paths.tool_path  # PATH with the sbin directories first (corosync and ip live there)
command_env = paths.tool_env
proc_starttime = pids.start_time  # None for no such process, or a zombie
is_alive = pids.is_alive  # the process recorded as (pid, start time) still runs
kill = pids.signal_recorded  # signal the recorded process if it is still the same one


def stop_recorded(pid: int | None, start_time: int | None, *, first: int = signal.SIGTERM,
                  timeout_s: float = 5.0) -> bool:
    """Stop a process the lab started and recorded: `first`, then SIGKILL after `timeout_s`;
    True if it ran. Only that PID with that start time is signalled; reaped when it is this
    process's child (a zombie by then)."""
    if pid is None:
        return False
    ran = False
    for sig in dict.fromkeys((first, signal.SIGKILL)):
        if not kill(pid, start_time, sig):
            break
        ran = True
        deadline = time.monotonic() + timeout_s
        while is_alive(pid, start_time) and time.monotonic() < deadline:
            time.sleep(0.02)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return ran


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, bridges, mounts): run it as root")


def missing_tools(names: Iterable[str] = REQUIRED_TOOLS) -> list[str]:
    path = tool_path()
    return [n for n in names if shutil.which(n, path=path) is None]


def require_tools() -> None:
    missing = missing_tools()
    if missing:
        pkgs = sorted({REQUIRED_TOOLS[m] for m in missing})
        raise LabError(f"missing {', '.join(missing)}: install {' '.join(pkgs)} (scripts/install.sh does)")


def run(argv: Sequence[str], *, input: str | None = None, timeout: float = 30.0,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a host command; with check, a failure raises LabError with its first stderr line."""
    try:
        proc = subprocess.run(list(argv), input=input, capture_output=True, text=True, timeout=timeout,
                              env=command_env(), stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError as exc:
        raise LabError(f"{argv[0]}: not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{' '.join(argv[:4])}: no answer within {timeout:g} s") from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise LabError(f"{' '.join(argv[:5])} failed (exit {proc.returncode}): "
                       f"{detail[0] if detail else 'no output'}")
    return proc


def ip_batch(lines: Sequence[str], *, netns: str | None = None, check: bool = True) -> None:
    """Run `ip [-n NETNS] -batch -` with `lines`: one process for many changes."""
    if not lines:
        return
    argv = ["ip", *(["-n", netns] if netns else []), *([] if check else ["-force"]), "-batch", "-"]
    run(argv, input="\n".join(lines) + "\n", check=check)


def netns_exists(name: str) -> bool:
    return (NETNS_DIR / name).exists()


def netns_inode(name: str) -> int | None:
    try:
        return os.stat(NETNS_DIR / name).st_ino
    except OSError:
        return None


def lab_netns(prefix: str) -> list[str]:
    """Named network namespaces whose name starts with `prefix`."""
    try:
        return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))
    except FileNotFoundError:
        return []


def ns_inode(pid: int, kind: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}/ns/{kind}").st_ino
    except OSError:
        return None


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pids_in_namespaces(kind: str, inodes: set[int]) -> list[int]:
    """Every live process whose `kind` namespace (net, pid, mnt) is one of `inodes`."""
    found: list[int] = []
    if not inodes:
        return found
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            pid = int(entry.name)
            if ns_inode(pid, kind) in inodes and proc_starttime(pid) is not None:
                found.append(pid)
    return found


def mountpoints() -> list[str]:
    """Mount points of the caller's mount namespace (octal escapes decoded)."""
    out: list[str] = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        parts = line.split()
        if len(parts) > 4:
            out.append(decode_mount_path(parts[4]))
    return out


def decode_mount_path(field: str) -> str:
    return field.encode().decode("unicode_escape") if "\\" in field else field
