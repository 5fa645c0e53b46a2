"""Running the cluster's own tools (corosync-quorumtool, corosync-cmapctl, corosync-qdevice-tool).

Commands that need a tool take a `Runner`; the CLI gives them `LocalRunner`, tests a scripted
fake that declares the calls it expects and their results (as pcs's command_env does), so no
test patches subprocess.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

NOT_FOUND = 127
TIMED_OUT = 124


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stdout: str = ""
    stderr: str = ""

    @property
    def message(self) -> str:
        """The tool's own words about a failure: its first non-empty line of stderr (or
        stdout)."""
        for text in (self.stderr, self.stdout):
            for line in text.splitlines():
                if line.strip():
                    return line.strip()
        return f"exit status {self.returncode}"


class Runner(Protocol):
    def run(self, argv: Sequence[str]) -> RunResult:
        """Run `argv` to completion with no input and the C locale. A program that is not
        installed gives returncode 127 (NOT_FOUND), one that overruns its time 124 (TIMED_OUT);
        nothing raises."""
        ...


class LocalRunner:
    """Runs the tools on this machine (their usual directories added to PATH)."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def run(self, argv: Sequence[str]) -> RunResult:
        env = dict(os.environ, LC_ALL="C")
        env["PATH"] = env.get("PATH", "") + ":/usr/sbin:/usr/bin:/sbin:/bin"
        try:
            done = subprocess.run(list(argv), capture_output=True, text=True, env=env,
                                  timeout=self.timeout, stdin=subprocess.DEVNULL, check=False)
        except FileNotFoundError:
            return RunResult(NOT_FOUND, "", f"{argv[0]}: command not found")
        except PermissionError as exc:
            return RunResult(NOT_FOUND, "", f"{argv[0]}: {exc.strerror}")
        except subprocess.TimeoutExpired:
            return RunResult(TIMED_OUT, "", f"{argv[0]} did not finish in {self.timeout:g} s")
        return RunResult(done.returncode, done.stdout, done.stderr)
