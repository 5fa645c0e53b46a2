"""A child process in its own process group: stdin fed, stdout and stderr kept to a byte cap,
a timeout that kills the whole group, cancellation that kills, reaping that is ours.

Why each part:
- Own session and process group (start_new_session): an agent's helpers and daemons are killed
  with it, by group, and a signal meant for the group never reaches us.
- Reaping here (pidfd where the kernel has it, else polling with waitid(WNOWAIT)), not by
  asyncio's child watchers: asyncio 3.11 wakes `Process.wait()` only once every pipe is closed,
  and a daemon started by an agent may hold them for ever. We stop reading once the child itself
  has exited, as Pacemaker does.
- The leader is reaped only after the last SIGKILL of its group: until then its PID (the group
  id) cannot be reused, so the signal reaches only what we started.
- Output is kept as its last N bytes: an agent that writes without end must not grow the
  daemon. A caller that needs to see all of it as it comes (the exit-reason scan) passes a sink.
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
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass

log = logging.getLogger(__name__)

READ_CHUNK = 65536
_POLL_S = 0.02  # exit polling period where there is no pidfd

Sink = Callable[[bytes], None]


@dataclass(frozen=True)
class KillPolicy:
    """How a child that outlives its timeout is stopped.

    `grace_s` > 0: SIGTERM to the group first, SIGKILL after that long; 0: SIGKILL at once.
    Then SIGKILL again every `repeat_s` while the child lives, and after `give_up_s` answer
    anyway (timed out, no exit status) and go on killing and reaping it in the background.
    """

    grace_s: float
    repeat_s: float = 5.0
    give_up_s: float = 15.0


@dataclass(frozen=True)
class Outcome:
    """What became of one child. `exit_code` is None unless it exited by itself; `signal` is
    the signal that ended it; neither is known when it could not be reaped in time."""

    argv: tuple[str, ...]
    exit_code: int | None
    signal: int | None
    timed_out: bool
    spawn_errno: int | None  # it could not be started: why (errno)...
    spawn_error: str  # ...and in words, "" when it started
    stdout: bytes  # the last `stdout_limit` bytes
    stderr: bytes  # the last `stderr_limit` bytes
    started_at: float  # wall clock, epoch seconds
    duration_ms: int


class _Tail:
    """The last `limit` bytes of a stream, each chunk also shown to `sink` as it comes."""

    def __init__(self, limit: int, sink: Sink | None) -> None:
        self.limit = limit
        self.data = bytearray()
        self.sink = sink

    def feed(self, chunk: bytes) -> None:
        self.data += chunk
        if len(self.data) > self.limit:
            del self.data[:len(self.data) - self.limit]
        if self.sink is not None:
            self.sink(chunk)


def killpg(pgid: int, sig: signal.Signals) -> None:
    """Signal a process group we lead; a group that is gone (or not ours) is no error."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


_BACKGROUND: set[asyncio.Task[None]] = set()


def _in_background(coro: Coroutine[object, object, None]) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _BACKGROUND.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_BACKGROUND.discard)


class _Child:
    """One spawned child: stdin written as the pipe takes it, output drained on the event loop,
    its exit as a future."""

    def __init__(self, proc: subprocess.Popen[bytes], stdin: bytes | None,
                 out: _Tail, err: _Tail) -> None:
        self.proc = proc
        self.pgid = proc.pid  # start_new_session: the child leads its own process group
        self.loop = asyncio.get_running_loop()
        self.out, self.err = out, err
        self.exited: asyncio.Future[None] = self.loop.create_future()
        self._finished = False
        self._streams: list[tuple[int, _Tail]] = []
        self._pidfd: int | None = None
        self._poller: asyncio.Task[None] | None = None
        self._pending = memoryview(stdin or b"")
        self._stdin_fd: int | None = None
        if proc.stdin is not None:
            self._stdin_fd = proc.stdin.fileno()
            os.set_blocking(self._stdin_fd, False)
            self.loop.add_writer(self._stdin_fd, self._feed)
        for stream, tail in ((proc.stdout, out), (proc.stderr, err)):
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

    def _feed(self) -> None:
        assert self._stdin_fd is not None
        try:
            while self._pending:
                n = os.write(self._stdin_fd, self._pending)
                self._pending = self._pending[n:]
        except BlockingIOError:
            return
        except OSError:
            pass  # the child exited, or closed stdin without reading it all: its business
        self._close_stdin()

    def _close_stdin(self) -> None:
        if self._stdin_fd is not None:
            self.loop.remove_writer(self._stdin_fd)
            assert self.proc.stdin is not None
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            self._stdin_fd = None

    def _drain(self, fd: int, tail: _Tail) -> None:
        while True:
            try:
                chunk = os.read(fd, READ_CHUNK)
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
                # WNOWAIT: look without reaping; reaping waits for `finish` (see the docstring).
                info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                break
            if info is not None:
                break
            await asyncio.sleep(_POLL_S)
        self._set_exited()

    def finish(self) -> tuple[int | None, int | None]:
        """Read what is left in the pipes, stop watching, reap: (exit code, signal).

        Descendants that still hold the pipes do not delay us: what they write later is lost.
        """
        if self._finished:
            return None, None
        self._finished = True
        self._close_stdin()
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
        return (None, -code) if code < 0 else (code, None)

    async def stop(self, policy: KillPolicy, clock: Callable[[], float]) -> None:
        """SIGTERM (if there is a grace period), then SIGKILL until it exits or we give up;
        the last SIGKILL goes out after the exit is seen and before `finish` reaps."""
        if policy.grace_s > 0:
            killpg(self.pgid, signal.SIGTERM)
            await asyncio.wait({self.exited}, timeout=policy.grace_s)
        deadline = clock() + policy.give_up_s
        while True:
            killpg(self.pgid, signal.SIGKILL)
            if self.exited.done():
                return
            left = deadline - clock()
            if left <= 0:
                break
            await asyncio.wait({self.exited}, timeout=min(policy.repeat_s, left))
        log.error("process group %d survives SIGKILL; reaping it in the background", self.pgid)
        _in_background(self.reap_later(policy.repeat_s))

    async def reap_later(self, repeat_s: float) -> None:
        while not self.exited.done():
            killpg(self.pgid, signal.SIGKILL)
            await asyncio.wait({self.exited}, timeout=repeat_s)
        killpg(self.pgid, signal.SIGKILL)
        self.finish()


async def run(argv: Sequence[str], *, env: Mapping[str, str], timeout_ms: int,
              kill: KillPolicy, stdin: bytes | None = None, stdout_limit: int,
              stderr_limit: int, stderr_sink: Sink | None = None, cwd: str = "/",
              clock: Callable[[], float] = time.monotonic) -> Outcome:
    """Run argv to its exit or `timeout_ms`, then stop its group as `kill` says.

    `stdin` None: the child's stdin is /dev/null; else it is written to a pipe, which is then
    closed. Raises only CancelledError (after SIGKILL of the group; it is reaped in the
    background) and ValueError (an environment Popen refuses: NUL bytes, '=' in a name)."""
    started_at = time.time()
    t0 = clock()

    def elapsed() -> int:
        return int((clock() - t0) * 1000)

    try:
        proc = subprocess.Popen(
            list(argv), stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(env), cwd=cwd,
            start_new_session=True, close_fds=True)
    except OSError as exc:
        return Outcome(tuple(argv), None, None, False, exc.errno or errno.EIO,
                       f"{argv[0]}: {exc.strerror or exc}", b"", b"", started_at, elapsed())
    child = _Child(proc, stdin, _Tail(stdout_limit, None), _Tail(stderr_limit, stderr_sink))
    timed_out = False
    try:
        done, _ = await asyncio.wait({child.exited}, timeout=max(timeout_ms, 0) / 1000)
        if not done:
            timed_out = True
            await child.stop(kill, clock)
    except asyncio.CancelledError:
        # Whoever asked does not want the answer any more (a monitor being cancelled): the
        # child must not outlive the request.
        killpg(child.pgid, signal.SIGKILL)
        _in_background(child.reap_later(kill.repeat_s))
        raise
    exit_code, sig = child.finish() if child.exited.done() else (None, None)
    return Outcome(tuple(argv), exit_code, sig, timed_out, None, "", bytes(child.out.data),
                   bytes(child.err.data), started_at, elapsed())


def signal_name(sig: int | None) -> str:
    if sig is None:
        return "unknown"
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)
