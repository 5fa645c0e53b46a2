"""Scripted stand-ins for what commands talk to, declaring the calls they expect (as pcs's
command_env does): a `Runner` for Corosync's tools, and a vigild control socket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vigil.commands.runner import RunResult
from vigil.daemon import control
from vigil.host import jsonlines


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


Exchange = tuple[control.Request, control.Reply]


class FakeDaemon:
    """A vigild control socket that answers a script of (expected request, reply) pairs, typed
    as vigil.daemon.control has them: each request must equal the expected one. Mismatches are
    collected and raised by `check_done`."""

    def __init__(self, path: Path, script: list[Exchange]) -> None:
        self.path = str(path)
        self.script = list(script)
        self.requests: list[control.Request] = []
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
                conn.sendall(jsonlines.encode(control.encode_reply(self._reply(data))))

    def _reply(self, data: bytes) -> control.Reply:
        try:
            request = control.decode_request(jsonlines.decode(data))
        except ValueError as exc:
            self.problems.append(f"undecodable request {data!r}: {exc}")
            return control.refused(control.IPC_BAD_REQUEST, detail=str(exc))
        self.requests.append(request)
        if not self.script:
            self.problems.append(f"unexpected request {request}")
            return control.refused(control.IPC_UNKNOWN_OP, op=request.OP)
        expected, reply = self.script.pop(0)
        if request != expected:
            self.problems.append(f"expected {expected}, got {request}")
        return reply

    def close(self) -> None:
        self.server.close()

    def check_done(self) -> None:
        self.close()
        assert not self.problems, self.problems
        assert not self.script, f"requests not made: {[e for e, _ in self.script]}"
