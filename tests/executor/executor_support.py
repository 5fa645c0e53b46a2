"""Helpers of the executor tests: the real agents of Debian's resource-agents package where
installed, scripts written on the fly, and a look at which processes of a group are left."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from vigil.executor.agents import AgentSpec, resolve_agent
from vigil.model.reports import ReportError

PROVIDER = "vigiltest"

# The `ocf_agent` fixture: (name, shell body) -> the resolved ocf:vigiltest:name.
AgentFactory = Callable[[str, str], AgentSpec]


def real_agent(name: str) -> AgentSpec:
    """A real installed agent, or skip saying which package brings it."""
    try:
        return resolve_agent(name)
    except ReportError:
        if name.startswith("stonith:"):
            package = "fence-agents"
        elif name.startswith("ocf:pacemaker:"):
            package = "pacemaker-resource-agents"
        else:
            package = "resource-agents"
        pytest.skip(f"{name} is not installed (Debian package {package}; scripts/install.sh)")


def needs_root(what: str) -> None:
    if os.geteuid() != 0:
        pytest.skip(f"{what} needs root")


def write_script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def group_members(pgid: int) -> list[tuple[int, str]]:
    """Live (not zombie) processes of a process group: (pid, state)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        # The command may contain spaces and parentheses: fields follow the last ')'.
        fields = text[text.rindex(")") + 2:].split()
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state not in ("Z", "X"):
            found.append((int(entry), state))
    return found


def kill_pid_from(path: Path) -> None:
    """Kill a process a test agent left behind on purpose, by the PID it wrote down."""
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)
