"""The client half of the agents' tools (the wrappers vigild writes run this file by its path,
`python3 -I -S toolclient.py SOCKET TOOL ARGS...`): it hands the call to vigild's tool host
(`vigil.attrs.toolhost`), which has the tools imported already and forks one to run it with
this process's arguments, environment, working directory and open file descriptors (passed over
the socket: the standard streams, and any other an agent gives its tools, such as the
`CIB_file=<(cibadmin -Q)` pipe of ocf-shellfuncs' crm_mon_no_validation), then exits with the
tool's exit code.

Why: PAF calls crm_resource, attrd_updater or crm_master at every action and notification, a
dozen times per recovery, each call a new Python importing vigil's typed protocol: about 60 ms
of CPU each (Pacemaker's C tools take 10), 150 ms when three nodes do it at once on two cores,
on the critical path of every failover. Here the only imports are the interpreter's own and
_socket: no site, no runpy, no vigil.

When no tool host answers (vigild not running it, an old socket, no permission), the tool runs
in this process's place as before (`python3 -S -m vigil.attrs.TOOL`, PYTHONPATH from the
wrapper). The request's layout is `encode_request`'s; vigil.attrs.toolhost reads it.
"""

from __future__ import annotations

import _socket
import os
import sys

VERSION = b"1"
HEADER_BYTES = 4  # the request's length, big-endian, before it
STREAMS = (0, 1, 2)
MAX_FDS = 250  # Linux passes at most 253 descriptors in one message (SCM_MAX_FD)


def open_fds() -> list[int]:
    """The descriptors this process has open, in order (an agent may run a tool with a
    standard stream closed, or with more open than those three)."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            os.fstat(fd)  # the listing's own descriptor is closed by now
        except OSError:
            continue
        found.append(fd)
    return sorted(found)


def encode_request(tool: str, args: list[str], cwd: bytes, fds: list[int],
                   environ: dict[bytes, bytes]) -> bytes:
    """NUL-separated: version, tool, working directory, the descriptors passed (their numbers
    here, comma-separated, in the order passed), the number of arguments, the arguments, then
    NAME=VALUE for the environment; with its length in front. Arguments and environment cannot
    hold a NUL."""
    fields = [VERSION, tool.encode(), cwd, ",".join(map(str, fds)).encode(),
              str(len(args)).encode(), *(os.fsencode(a) for a in args),
              *(k + b"=" + v for k, v in environ.items())]
    body = b"\0".join(fields)
    return len(body).to_bytes(HEADER_BYTES, "big") + body


def run_in_place(tool: str, args: list[str]) -> None:
    """No tool host: run the tool in this process's place, as the wrappers did before it."""
    python = sys.executable or "python3"
    os.execv(python, [python, "-S", "-m", f"vigil.attrs.{tool}", *args])


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: toolclient.py SOCKET TOOL [ARGS...]\n")
        return 64
    path, tool, args = argv[0], argv[1], argv[2:]
    fds = open_fds()
    if len(fds) > MAX_FDS:
        run_in_place(tool, args)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        run_in_place(tool, args)
    try:
        cwd = os.getcwdb()
    except OSError:
        cwd = b"/"
    request = encode_request(tool, args, cwd, fds, dict(os.environb))
    rights = b"".join(fd.to_bytes(4, sys.byteorder) for fd in fds)
    try:
        sent = sock.sendmsg([request], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])
        if sent < len(request):
            sock.sendall(request[sent:])
        answer = b""
        while chunk := sock.recv(64):
            answer += chunk
    except OSError as exc:
        sys.stderr.write(f"{tool}: lost vigild's tool host at {path}: {exc.strerror}\n")
        return 70
    finally:
        sock.close()
    text = answer.decode("ascii", "replace").strip()
    if not text.lstrip("-").isdigit():
        # the tool's process ended without saying how: it may have done part of its work, so
        # it is not run again here
        sys.stderr.write(f"{tool}: vigild's tool host ended the call without an exit code\n")
        return 70
    return int(text)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
