"""Child processes for agents: own session and process group, output tails, exit reasons,
timeout with SIGTERM then SIGKILL to the whole group, cancellation that kills.

Reaping is done here (pidfd where the kernel has it, else polling with waitid(WNOWAIT)), not by
asyncio's child watchers: asyncio 3.11 wakes `Process.wait()` only once every pipe is closed,
and a daemon started by an agent may hold them for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import subprocess
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

EXIT_REASON_PREFIX = b"ocf-exit-reason:"
EXIT_REASON_MAX = 128  # Pacemaker truncates exit reasons to this many bytes
TAIL_BYTES = 4096  # of stdout and of stderr kept
KILL_REPEAT_S = 5.0  # SIGKILL again this often while the agent survives (as Pacemaker does)
_KILL_ROUNDS = 3  # ...this many times before giving the result and reaping in the background
_POLL_S = 0.02  # exit polling period where there is no pidfd


@dataclass(frozen=True)
class Exec:
    """What became of one child. `exit_code` is None unless it exited by itself."""

    argv: tuple[str, ...]
    exit_code: int | None
    signal: int | None
    timed_out: bool
    spawn_errno: int | None
    stdout: bytes
    stderr: bytes
    exit_reason: str
    started_at: float  # wall clock, epoch seconds
    duration_ms: int


class _Tail:
    """The last `limit` bytes of a stream and, optionally, the last exit reason on it."""

    def __init__(self, limit: int, scan_reason: bool) -> None:
        self.limit = limit
        self.data = bytearray()
        self._scan = scan_reason
        self._partial = bytearray()
        self._reason: bytes | None = None

    def feed(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[:len(self.data) - self.limit]
        if not self._scan:
            return
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

    def exit_reason(self) -> str:
        """Pacemaker's rule: the text after the last prefix, to the end of its line, at most 128
        bytes; an empty last reason means no reason, even if an earlier line had one."""
        if self._partial:
            self._scan_line(bytes(self._partial))
            self._partial.clear()
        if not self._reason:
            return ""
        return self._reason[:EXIT_REASON_MAX].decode("utf-8", "ignore").rstrip("\r")


def _killpg(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


_BACKGROUND: set[asyncio.Task[None]] = set()


def _in_background(coro: Coroutine[object, object, None]) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _BACKGROUND.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_BACKGROUND.discard)


class _Child:
    """One spawned child: its pipes on the event loop, its exit as a future."""

    def __init__(self, proc: subprocess.Popen[bytes], scan_reason: bool, stdout_limit: int) -> None:
        self.proc = proc
        self.pgid = proc.pid  # start_new_session: the child leads its own process group
        self.loop = asyncio.get_running_loop()
        self.out = _Tail(stdout_limit, False)
        self.err = _Tail(TAIL_BYTES, scan_reason)
        self.exited: asyncio.Future[None] = self.loop.create_future()
        self._finished = False
        self._streams: list[tuple[int, _Tail]] = []
        self._pidfd: int | None = None
        self._poller: asyncio.Task[None] | None = None
        for stream, tail in ((proc.stdout, self.out), (proc.stderr, self.err)):
            assert stream is not None
            fd = stream.fileno()
            os.set_blocking(fd, False)
            self.loop.add_reader(fd, self._drain, fd, tail)
            self._streams.append((fd, tail))
        try:
            self._pidfd = os.pidfd_open(proc.pid)
        except OSError:
            self._poller = self.loop.create_task(self._poll_exit())
        else:
            self.loop.add_reader(self._pidfd, self._set_exited)

    def _drain(self, fd: int, tail: _Tail) -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.loop.remove_reader(fd)
                return
            tail.feed(chunk)

    def _set_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    async def _poll_exit(self) -> None:
        while True:
            try:
                # WNOWAIT: look without reaping; reaping waits for `finish` (see kill_and_reap).
                info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                info = None
                break
            if info is not None:
                break
            await asyncio.sleep(_POLL_S)
        self._set_exited()

    def finish(self) -> tuple[int | None, int | None]:
        """Read what is left in the pipes, stop watching, reap: (exit code, signal).

        Descendants that still hold the pipes (daemons an agent started) do not delay us: we
        stop reading once the child itself has exited, as Pacemaker does.
        """
        if self._finished:
            return None, None
        self._finished = True
        for fd, tail in self._streams:
            self._drain(fd, tail)
            self.loop.remove_reader(fd)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        if self._pidfd is not None:
            self.loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        try:
            code = self.proc.wait(timeout=0)
        except (subprocess.TimeoutExpired, ChildProcessError):
            # Not exited (we were cancelled), or reaped by someone's waitpid(-1) watcher.
            return None, None
        if code < 0:
            return None, -code
        return code, None

    async def kill_and_reap(self, grace_s: float) -> None:
        """SIGTERM the group, then SIGKILL it after the grace period and again while the child
        lives. The last SIGKILL goes out before the leader is reaped: until then its PID (the
        group id) cannot be reused, so the signal reaches only what we started."""
        _killpg(self.pgid, signal.SIGTERM)
        await asyncio.wait({self.exited}, timeout=grace_s)
        for _ in range(_KILL_ROUNDS):
            _killpg(self.pgid, signal.SIGKILL)
            if self.exited.done():
                return
            await asyncio.wait({self.exited}, timeout=KILL_REPEAT_S)
        log.error("process group %d survives SIGKILL; reaping it in the background", self.pgid)
        _in_background(self._reap_later())

    async def _reap_later(self) -> None:
        while not self.exited.done():
            _killpg(self.pgid, signal.SIGKILL)
            await asyncio.wait({self.exited}, timeout=KILL_REPEAT_S)
        _killpg(self.pgid, signal.SIGKILL)
        self.finish()


async def _reap_after_cancel(child: _Child) -> None:
    await asyncio.wait({child.exited}, timeout=KILL_REPEAT_S)
    if not child.exited.done():
        await child.kill_and_reap(0)
    if child.exited.done():
        _killpg(child.pgid, signal.SIGKILL)
        child.finish()


async def execute(argv: list[str], env: Mapping[str, str], *, timeout_ms: int, grace_ms: int,
                  scan_reason: bool, stdout_limit: int = TAIL_BYTES) -> Exec:
    """Run argv to completion or timeout. Raises only CancelledError (after killing the group)
    and ValueError (an environment Popen refuses: NUL bytes, '=' in a name)."""
    started_at = time.time()
    t0 = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - t0) * 1000)

    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(env), cwd="/", start_new_session=True, close_fds=True)
    except OSError as exc:
        return Exec(tuple(argv), None, None, False, exc.errno or errno.EIO, b"", b"", "",
                    started_at, elapsed())
    child = _Child(proc, scan_reason, stdout_limit)
    timed_out = False
    try:
        done, _ = await asyncio.wait({child.exited}, timeout=max(timeout_ms, 0) / 1000)
        if not done:
            timed_out = True
            await child.kill_and_reap(grace_ms / 1000)
    except asyncio.CancelledError:
        # Whoever asked does not want the answer any more (a monitor being cancelled): the
        # child must not outlive the request.
        _killpg(child.pgid, signal.SIGKILL)
        _in_background(_reap_after_cancel(child))
        raise
    exit_code, sig = child.finish() if child.exited.done() else (None, None)
    return Exec(tuple(argv), exit_code, sig, timed_out, None, bytes(child.out.data),
                bytes(child.err.data), child.err.exit_reason(), started_at, elapsed())


def signal_name(sig: int | None) -> str:
    if sig is None:
        return "unknown"
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)
