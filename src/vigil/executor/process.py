"""Child processes for agents: the host's own-process-group child (vigil.host.child) with the
executor's policy: output tails, Pacemaker's exit reasons, SIGTERM then SIGKILL to the group.

Why not asyncio's subprocesses, and how the group is killed and reaped: see vigil.host.child.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from vigil.host import child

EXIT_REASON_PREFIX = b"ocf-exit-reason:"
EXIT_REASON_MAX = 128  # Pacemaker truncates exit reasons to this many bytes
TAIL_BYTES = 4096  # of stdout and of stderr kept
KILL_REPEAT_S = 5.0  # SIGKILL again this often while the agent survives (as Pacemaker does)
_KILL_ROUNDS = 3  # ...this many times before giving the result and reaping in the background

signal_name = child.signal_name


@dataclass(frozen=True)
class Exec(child.Outcome):
    """What became of one child, and the exit reason its stderr gave (OCF agents)."""

    exit_reason: str = ""


class ExitReason:
    """The last exit reason on a stream, fed chunk by chunk (the stream's tail alone may have
    lost it: an agent can write plenty after its reason)."""

    def __init__(self, limit: int = TAIL_BYTES) -> None:
        self.limit = limit
        self._partial = bytearray()
        self._reason: bytes | None = None

    def feed(self, chunk: bytes) -> None:
        self._partial += chunk
        *lines, rest = bytes(self._partial).split(b"\n")
        for line in lines:
            self._scan_line(line)
        self._partial = bytearray(rest)
        if len(self._partial) > 4 * self.limit:
            # One huge line without a newline: only its end can still hold the last reason.
            del self._partial[:len(self._partial) - self.limit]

    def _scan_line(self, line: bytes) -> None:
        at = line.rfind(EXIT_REASON_PREFIX)
        if at >= 0:
            self._reason = line[at + len(EXIT_REASON_PREFIX):]

    def text(self) -> str:
        """Pacemaker's rule: the text after the last prefix, to the end of its line, at most 128
        bytes; an empty last reason means no reason, even if an earlier line had one."""
        if self._partial:
            self._scan_line(bytes(self._partial))
            self._partial.clear()
        if not self._reason:
            return ""
        return self._reason[:EXIT_REASON_MAX].decode("utf-8", "ignore").rstrip("\r")


async def execute(argv: list[str], env: Mapping[str, str], *, timeout_ms: int, grace_ms: int,
                  scan_reason: bool, stdout_limit: int = TAIL_BYTES) -> Exec:
    """Run argv to completion or timeout (stdin /dev/null, cwd /). Raises only CancelledError
    (after killing the group) and ValueError (an environment Popen refuses: NUL bytes, '=' in
    a name)."""
    reason = ExitReason() if scan_reason else None
    policy = child.KillPolicy(grace_s=grace_ms / 1000, repeat_s=KILL_REPEAT_S,
                              give_up_s=KILL_REPEAT_S * _KILL_ROUNDS)
    out = await child.run(argv, env=env, timeout_ms=timeout_ms, kill=policy,
                          stdout_limit=stdout_limit, stderr_limit=TAIL_BYTES,
                          stderr_sink=reason.feed if reason is not None else None)
    return Exec(**vars(out), exit_reason=reason.text() if reason is not None else "")
