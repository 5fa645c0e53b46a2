"""Scripted stand-ins for what commands talk to, declaring the calls they expect (as pcs's
command_env does): a `Runner` for Corosync's tools, and a vigild control socket."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vigil.commands.runner import RunResult


@dataclass(frozen=True)
class Call:
    """One expected tool run and what it gives back."""

    argv: tuple[str, ...]
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass
class ScriptedRunner:
    """Answers the expected calls in order; any other call fails the test. `check_done` at the
    end proves every expected call was made."""

    calls: list[Call]
    made: list[tuple[str, ...]] = field(default_factory=list)

    def run(self, argv: Sequence[str]) -> RunResult:
        made = tuple(argv)
        self.made.append(made)
        assert self.calls, f"unexpected call {made}"
        expected = self.calls.pop(0)
        assert made == expected.argv, f"expected {expected.argv}, got {made}"
        return RunResult(expected.returncode, expected.stdout, expected.stderr)

    def check_done(self) -> None:
        assert not self.calls, f"expected calls not made: {[c.argv for c in self.calls]}"


def runner(*calls: Call) -> ScriptedRunner:
    return ScriptedRunner(list(calls))


class FakeDaemon:
    """A vigild control socket that answers a script of (expected request, reply) pairs: each
    request must contain the expected fields. Mismatches are collected and raised by
    `check_done`."""

    def __init__(self, path: Path, script: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        self.path = str(path)
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if not data:
                    continue
                request = json.loads(data)
                self.requests.append(request)
                if not self.script:
                    self.problems.append(f"unexpected request {request}")
                    reply: dict[str, Any] = {"ok": False, "code": "IPC_UNKNOWN_OP"}
                else:
                    expected, reply = self.script.pop(0)
                    wrong = {k: v for k, v in expected.items() if request.get(k) != v}
                    if wrong:
                        self.problems.append(f"expected {expected}, got {request}")
                conn.sendall((json.dumps(reply) + "\n").encode())

    def close(self) -> None:
        self.server.close()

    def check_done(self) -> None:
        self.close()
        assert not self.problems, self.problems
        assert not self.script, f"requests not made: {[e for e, _ in self.script]}"
