"""vigild's tool host: one process per node, started by vigild (`python3 -S -m
vigil.attrs.toolhost SOCKET`), that imports the agents' tools once and, for each call a wrapper
makes through vigil.attrs.toolclient, forks a child that becomes that call: the caller's open
file descriptors (received over the socket, each put back at its number), working directory,
environment and arguments, then the tool's own `main`, its exit code sent back to the caller.

A fork of a process that has the tools imported costs a few milliseconds; a new interpreter
importing them costs sixty (see toolclient). What the tool does and prints is the same either
way: the child runs the same function the wrappers ran with `python3 -m vigil.attrs.TOOL`.
So a tool returns its exit code and never execs another program in its own place (crm_mon runs
Pacemaker's as a child): the exit code is sent by the process that ran the tool.

The host is single-threaded (it forks) and reaps nothing itself (SIGCHLD ignored: the kernel
reaps the children); it ends with vigild (PR_SET_PDEATHSIG) or on SIGTERM. The socket is 0600:
the agents run as root.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import importlib
import os
import signal
import socket
import sys
import traceback
from dataclasses import dataclass
from types import ModuleType

from vigil.attrs import common, toolclient
from vigil.daemon.agent_tools import TOOLS

PR_SET_PDEATHSIG = 1
MAX_REQUEST_BYTES = 16 << 20  # an agent's environment with every notify variable is far less


class BadCall(ValueError):
    """A request that does not decode: the caller gets exit code 70 and this on its stderr."""


@dataclass(frozen=True)
class ToolCall:
    """One call of a tool, as the caller made it."""

    tool: str
    args: tuple[str, ...]
    cwd: bytes
    fds: tuple[int, ...]  # the caller's descriptor numbers, in the order passed
    environ: tuple[tuple[bytes, bytes], ...]


def decode_request(body: bytes) -> ToolCall:
    """The inverse of toolclient.encode_request (without the length in front)."""
    fields = body.split(b"\0")
    if len(fields) < 5 or fields[0] != toolclient.VERSION:
        raise BadCall("a request of another version of vigil's tool client")
    tool = fields[1].decode("ascii", "replace")
    if tool not in TOOLS:
        raise BadCall(f"{tool!r} is not one of the agents' tools ({', '.join(TOOLS)})")
    try:
        fds = tuple(int(n) for n in fields[3].split(b",") if n)
    except ValueError:
        raise BadCall("a request with a bad list of descriptors") from None
    if any(fd < 0 for fd in fds) or len(set(fds)) != len(fds):
        raise BadCall("a request with a bad list of descriptors")
    try:
        count = int(fields[4])
    except ValueError:
        raise BadCall("a request without its argument count") from None
    if count < 0 or 5 + count > len(fields):
        raise BadCall("a request with fewer arguments than it says")
    args = tuple(os.fsdecode(a) for a in fields[5:5 + count])
    environ = tuple((k, v) for k, sep, v in (f.partition(b"=") for f in fields[5 + count:])
                    if sep and k)
    return ToolCall(tool, args, fields[2], fds, environ)


def receive(conn: socket.socket) -> tuple[bytes, list[int]]:
    """The request's body and the descriptors that came with it."""
    size = socket.CMSG_SPACE(toolclient.MAX_FDS * 4)
    data, ancillary, _flags, _addr = conn.recvmsg(65536, size)
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            usable = len(payload) - len(payload) % 4
            fds += [int.from_bytes(payload[i:i + 4], sys.byteorder) for i in range(0, usable, 4)]
    if len(data) < toolclient.HEADER_BYTES:
        raise BadCall("a request shorter than its header")
    need = int.from_bytes(data[:toolclient.HEADER_BYTES], "big")
    if need > MAX_REQUEST_BYTES:
        raise BadCall(f"a request of {need} bytes")
    body = bytearray(data[toolclient.HEADER_BYTES:])
    while len(body) < need:
        chunk = conn.recv(min(1 << 20, need - len(body)))
        if not chunk:
            raise BadCall("a request cut short")
        body += chunk
    return bytes(body), fds


def become(call: ToolCall, received: list[int], conn: socket.socket) -> socket.socket:
    """This (forked) process takes the caller's descriptors (each at the caller's number, every
    other closed; a missing standard stream is /dev/null), directory and environment; the
    connection to the caller, moved out of their way."""
    if len(received) != len(call.fds):
        raise BadCall(f"{len(received)} descriptors came with a request naming {len(call.fds)}")
    # everything out of the way of the numbers the caller uses, then each to its number
    floor = max([*call.fds, *toolclient.STREAMS]) + 1
    conn = socket.socket(fileno=fcntl.fcntl(conn.detach(), fcntl.F_DUPFD_CLOEXEC, floor))
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor) for fd in received]
    keep = {conn.fileno(), *moved}
    for fd in toolclient.open_fds():
        if fd not in keep:
            os.close(fd)
    for target, fd in zip(call.fds, moved, strict=True):
        os.dup2(fd, target)  # inheritable, as the caller had it
        os.close(fd)
    for target in toolclient.STREAMS:
        if target not in call.fds:
            null = os.open(os.devnull, os.O_RDWR)
            if null != target:
                os.dup2(null, target)
                os.close(null)
    # the host's text streams write to descriptors 0-2, now the caller's; nothing is buffered
    # in them (the host writes nothing before it forks)
    try:
        os.chdir(call.cwd)
    except OSError:
        os.chdir("/")
    os.environb.clear()
    os.environb.update(dict(call.environ))
    sys.argv = [call.tool, *call.args]
    return conn


def run_call(conn: socket.socket, tools: dict[str, ModuleType]) -> int:
    """In the forked child: read the call, become it, run the tool; its exit code (also sent
    to the caller)."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the tools' own children are theirs to reap
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        body, fds = receive(conn)
        call = decode_request(body)
        conn = become(call, fds, conn)
    except (BadCall, OSError) as exc:
        os.write(2, f"vigil tool host: {exc}\n".encode())
        rc = int(common.Exit.SOFTWARE)
    else:
        module = tools[call.tool]
        try:
            rc = common.main(module.PROG, module.run, list(call.args))
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - a tool's bug ends this call, as it would alone
            traceback.print_exc()
            rc = int(common.Exit.SOFTWARE)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError):
                stream.flush()
    with contextlib.suppress(OSError):
        conn.sendall(f"{rc}\n".encode())
    return rc


def die_with_parent() -> None:
    """SIGTERM when vigild ends, however it ends (Linux's PR_SET_PDEATHSIG)."""
    parent = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it ended before the call took effect
        os.kill(os.getpid(), signal.SIGTERM)


def listen(path: str) -> socket.socket:
    """The host's socket at `path` (a stale one from an earlier host replaced), mode 0600."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    server.listen(128)
    return server


def serve(path: str) -> None:
    tools = {tool: importlib.import_module(f"vigil.attrs.{tool}") for tool in TOOLS}
    server = listen(path)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        try:
            conn, _addr = server.accept()
        except InterruptedError:
            continue
        try:
            pid = os.fork()
        except OSError as exc:
            os.write(2, f"vigil tool host: cannot fork for a call: {exc}\n".encode())
            conn.close()  # the caller says the call ended without an exit code
            continue
        if pid == 0:
            server.close()
            rc = 70
            try:
                rc = run_call(conn, tools)
            finally:
                os._exit(rc & 0xFF)
        conn.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vigil.attrs.toolhost", description=__doc__.splitlines()[0])
    p.add_argument("socket", help="where the wrappers' client connects")
    args = p.parse_args(argv)
    die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        serve(args.socket)
    except OSError as exc:
        print(f"vigil tool host: cannot serve at {args.socket}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
