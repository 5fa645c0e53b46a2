"""Running a fence agent: `key=value` lines on stdin, its own process group, a timeout that kills
the whole group, the exit code and the tails of its output.

What the agent is told (Pacemaker's make_args):
- `action`: the requested one, or the device's `pcmk_<action>_action` instead;
- for an action on a node (off, on, reboot, status): `nodename=<target>`, and the host argument
  (`pcmk_host_argument`, by default `port`, or `plug` when the agent declares plug but not port)
  set to the target's host_map alias or name, unless the device sets that parameter itself
  (to anything but "dynamic"); `pcmk_host_argument=none` sends no host argument;
- every device parameter (the `pcmk_*` ones were removed by `devices_from_cib`).

Agents are executables named fence_* in one directory (/usr/sbin, as pacemaker-fenced; tests
pass their own). They are run with the caller's environment, cwd /, stdin closed after the
parameters; a descendant that keeps the output pipes open does not delay the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

from vigil.fencer.devices import AGENT_NAME, AgentInfo, FenceDevice

DEFAULT_AGENT_DIR = Path("/usr/sbin")
METADATA_TIMEOUT_MS = 10_000  # what pacemaker-fenced allows a metadata call
STDOUT_LIMIT = 256 * 1024  # metadata and long `list` outputs fit
STDERR_LIMIT = 4096
KILL_WAIT_S = 5.0  # after SIGKILL of the group, how long the result waits for the agent to be reaped
_POLL_S = 0.02
_SBIN = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
HOST_ACTIONS = frozenset({"on", "off", "reboot", "status"})  # actions about one node


class RunStatus(enum.Enum):
    DONE = "done"  # the agent exited by itself: see rc
    TIMEOUT = "timeout"  # killed (with its whole process group) at the timeout
    NOT_FOUND = "not-found"  # no such agent (or not executable)
    ERROR = "error"  # could not be started, or the parameters cannot be passed


@dataclass(frozen=True)
class AgentRun:
    device: str
    agent: str
    action: str  # as asked: reboot, off, on, status, list, monitor, metadata...
    sent_action: str  # as the agent got it (pcmk_<action>_action applied)
    target: str | None
    status: RunStatus
    rc: int | None  # the exit code when status is DONE
    stdout: str  # the last STDOUT_LIMIT bytes
    stderr: str  # the last STDERR_LIMIT bytes
    duration_ms: int
    detail: str = ""  # why it did not run or was killed

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.DONE and self.rc == 0


def agent_path(agent: str, agent_dir: Path = DEFAULT_AGENT_DIR) -> Path | None:
    """The agent's executable, None when there is none (or the name is not an agent's)."""
    if not AGENT_NAME.match(agent):
        return None
    path = agent_dir / agent
    return path if path.is_file() and os.access(path, os.X_OK) else None


def host_argument(device: FenceDevice) -> str | None:
    """The parameter that names the target for this device; None: do not send one."""
    if device.host_argument is not None:
        return None if device.host_argument.lower() == "none" else device.host_argument
    params = device.agent_info.parameters if device.agent_info else frozenset()
    if "port" not in params and "plug" in params:
        return "plug"
    return "port"


def agent_arguments(device: FenceDevice, action: str, target: str | None) -> list[tuple[str, str]]:
    """The `key=value` pairs the agent reads on stdin, in the order they are written."""
    sent = device.action_overrides.get(action, action)
    args = [("action", sent)]
    if action == "metadata":
        return args
    skip: set[str] = set()
    if target is not None:
        args.append(("nodename", target))
        param = host_argument(device)
        if param is not None:
            configured = device.params.get(param)
            if configured is None or configured.lower() == "dynamic":
                args.append((param, device.port_for(target)))
                skip.add(param)
    args.extend((k, v) for k, v in sorted(device.params.items()) if k not in skip and k not in ("nodename",))
    return args


def _env() -> dict[str, str]:
    env = dict(os.environ)
    path = [p for p in env.get("PATH", "").split(":") if p]
    env["PATH"] = ":".join([*path, *(p for p in _SBIN if p not in path)])
    return env


async def run_fence_agent(device: FenceDevice, action: str, target: str | None, *, timeout_ms: int,
                          agent_dir: Path = DEFAULT_AGENT_DIR) -> AgentRun:
    """Run `action` of the device's agent once (no retry, no delay: `fence` adds those). Never
    raises for agent trouble; cancelling kills the agent's process group and re-raises."""
    if target is not None and action not in HOST_ACTIONS:
        target = None  # list, monitor, metadata are about the device, not a node
    args = agent_arguments(device, action, target)
    sent = args[0][1]

    def result(status: RunStatus, rc: int | None = None, out: bytes = b"", err: bytes = b"",
               duration_ms: int = 0, detail: str = "") -> AgentRun:
        return AgentRun(device=device.id, agent=device.agent, action=action, sent_action=sent, target=target,
                        status=status, rc=rc, stdout=out.decode("utf-8", "replace"),
                        stderr=err.decode("utf-8", "replace"), duration_ms=duration_ms, detail=detail)

    path = agent_path(device.agent, agent_dir)
    if path is None:
        return result(RunStatus.NOT_FOUND, detail=f"no fence agent {device.agent!r} in {agent_dir}")
    bad = [k for k, v in args if "\n" in k or "\n" in v or "=" in k or "\0" in v]
    if bad:
        return result(RunStatus.ERROR, detail=f"parameters that cannot be passed on stdin: {', '.join(bad)}")
    stdin = "".join(f"{k}={v}\n" for k, v in args).encode()
    ex = await execute([str(path)], stdin, timeout_ms=timeout_ms, env=_env())
    if ex.spawn_error is not None:
        return result(RunStatus.ERROR, duration_ms=ex.duration_ms, detail=ex.spawn_error)
    if ex.timed_out:
        return result(RunStatus.TIMEOUT, None, ex.stdout, ex.stderr, ex.duration_ms,
                      detail=f"killed after {timeout_ms} ms")
    if ex.rc is None:
        return result(RunStatus.ERROR, None, ex.stdout, ex.stderr, ex.duration_ms,
                      detail=f"killed by signal {ex.signal}")
    return result(RunStatus.DONE, ex.rc, ex.stdout, ex.stderr, ex.duration_ms)


# -- metadata --------------------------------------------------------------------------------
def parse_agent_metadata(agent: str, text: str) -> AgentInfo:
    """Action and parameter names of a fence agent's metadata; ValueError if it is not XML."""
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as exc:
        raise ValueError(f"{agent} metadata: {exc}") from None
    actions = frozenset(a.get("name", "") for a in root.iter("action")) - {""}
    params = frozenset(p.get("name", "") for p in root.iter("parameter")) - {""}
    return AgentInfo(agent=agent, actions=actions, parameters=params)


async def agent_info(agent: str, *, agent_dir: Path = DEFAULT_AGENT_DIR,
                     timeout_ms: int = METADATA_TIMEOUT_MS) -> AgentInfo | None:
    """The agent's metadata (`action=metadata` on stdin); None when it is missing or gives none."""
    probe = FenceDevice(id="", agent=agent, params={})
    run = await run_fence_agent(probe, "metadata", None, timeout_ms=timeout_ms, agent_dir=agent_dir)
    if not run.ok:
        return None
    try:
        return parse_agent_metadata(agent, run.stdout)
    except ValueError:
        return None


# -- the child process -----------------------------------------------------------------------
@dataclass(frozen=True)
class Exec:
    rc: int | None
    signal: int | None
    timed_out: bool
    spawn_error: str | None
    stdout: bytes
    stderr: bytes
    duration_ms: int


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


_BACKGROUND: set[asyncio.Task[None]] = set()


def _in_background(coro: Coroutine[object, object, None]) -> None:
    task = asyncio.get_running_loop().create_task(coro)
    _BACKGROUND.add(task)  # the loop keeps only weak references to tasks
    task.add_done_callback(_BACKGROUND.discard)


class _Child:
    """A spawned agent: stdin fed, stdout/stderr tails kept, its exit as a future (pidfd)."""

    def __init__(self, proc: subprocess.Popen[bytes], stdin: bytes) -> None:
        self.proc = proc
        self.loop = asyncio.get_running_loop()
        self.exited: asyncio.Future[None] = self.loop.create_future()
        self.tails = {"out": bytearray(), "err": bytearray()}
        self._limits = {"out": STDOUT_LIMIT, "err": STDERR_LIMIT}
        self._fds: list[int] = []
        self._pending = memoryview(stdin)
        self._pidfd: int | None = None
        self._poller: asyncio.Task[None] | None = None
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        self._stdin_fd: int | None = proc.stdin.fileno()
        os.set_blocking(self._stdin_fd, False)
        self.loop.add_writer(self._stdin_fd, self._feed)
        for stream, key, limit in ((proc.stdout, "out", STDOUT_LIMIT), (proc.stderr, "err", STDERR_LIMIT)):
            fd = stream.fileno()
            os.set_blocking(fd, False)
            self.loop.add_reader(fd, self._drain, fd, key, limit)
            self._fds.append(fd)
        try:
            self._pidfd = os.pidfd_open(proc.pid)
        except OSError:
            self._poller = self.loop.create_task(self._poll())
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
            pass  # the agent exited, or closed stdin without reading it all: its business
        self._close_stdin()

    def _close_stdin(self) -> None:
        if self._stdin_fd is not None:
            self.loop.remove_writer(self._stdin_fd)
            assert self.proc.stdin is not None
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
            self._stdin_fd = None

    def _drain(self, fd: int, key: str, limit: int) -> None:
        tail = self.tails[key]
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
            tail += chunk
            if len(tail) > limit:
                del tail[:len(tail) - limit]

    def _set_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)

    async def _poll(self) -> None:
        while True:
            try:
                # WNOWAIT: look without reaping, so the group id stays ours until `finish`
                info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                break
            if info is not None:
                break
            await asyncio.sleep(_POLL_S)
        self._set_exited()

    def finish(self) -> tuple[int | None, int | None]:
        """Take what is left in the pipes, stop watching, reap: (exit code, signal)."""
        self._close_stdin()
        for fd, key in zip(self._fds, ("out", "err"), strict=True):
            self._drain(fd, key, self._limits[key])
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
        try:
            code = self.proc.wait(timeout=0)
        except (subprocess.TimeoutExpired, ChildProcessError):
            return None, None
        return (None, -code) if code < 0 else (code, None)


async def _reap_later(child: _Child) -> None:
    while not child.exited.done():
        _killpg(child.proc.pid)
        await asyncio.wait({child.exited}, timeout=KILL_WAIT_S)
    child.finish()


async def execute(argv: list[str], stdin: bytes, *, timeout_ms: int, env: dict[str, str],
                  clock: Callable[[], float] = time.monotonic) -> Exec:
    """Run argv with `stdin`, to its exit or `timeout_ms`; on timeout SIGKILL its process group
    (fence agents get no grace: a hung power switch must not hold up fencing)."""
    t0 = clock()

    def elapsed() -> int:
        return int((clock() - t0) * 1000)

    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd="/", start_new_session=True, close_fds=True)
    except OSError as exc:
        return Exec(None, None, False, f"{argv[0]}: {exc.strerror or exc}", b"", b"", elapsed())
    child = _Child(proc, stdin)
    timed_out = False
    try:
        done, _ = await asyncio.wait({child.exited}, timeout=max(timeout_ms, 0) / 1000)
        if not done:
            timed_out = True
            _killpg(proc.pid)  # the leader is not reaped yet: the group id is still ours
            await asyncio.wait({child.exited}, timeout=KILL_WAIT_S)
    except asyncio.CancelledError:
        _killpg(proc.pid)
        _in_background(_reap_later(child))
        raise
    if not child.exited.done():
        _in_background(_reap_later(child))  # stuck in the kernel: give the result, reap later
        return Exec(None, None, True, None, bytes(child.tails["out"]), bytes(child.tails["err"]), elapsed())
    if timed_out:
        _killpg(proc.pid)  # before reaping, so the signal reaches only what we started
    rc, sig = child.finish()
    return Exec(rc, sig, timed_out, None, bytes(child.tails["out"]), bytes(child.tails["err"]), elapsed())
