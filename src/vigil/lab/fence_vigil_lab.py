#!/usr/bin/python3 -I
"""fence_vigil_lab: the fence agent of vigil's namespaces lab.

A node of the lab cannot see or signal another node's processes (each has its own PID
namespace), just as a machine cannot pull a peer's plug by itself. This agent asks the lab's
power switch (vigil.lab.power, a host daemon) over its pathname unix socket, which the nodes
reach through the shared /var/lib/vigil-lab (pathname sockets cross network namespaces).

Follows the fence-agents API: options as `name=value` lines on stdin (`#` comments, the last
value of a name wins, unknown names ignored, `option` for `action`, `port` for `plug`), or on
the command line (`-o ACTION`, `-n PLUG`, `--action=...`, `--plug ...`, `--socket=...`).
Exit codes: 0 success (and "on" for status), 1 failure, 2 status "off".

The switch's socket: the `socket` option, else $VIGIL_LAB_POWER_SOCKET, else
/var/lib/vigil-lab/$VIGIL_LAB/power.sock (the lab sets VIGIL_LAB for the nodes' daemons), else
the only /var/lib/vigil-lab/*/power.sock there is.

Standard library only, run with `python3 -I`: it is installed as /usr/sbin/fence_vigil_lab and
must not depend on what the caller's environment or current directory holds.
"""

from __future__ import annotations

import glob
import json
import os
import socket
import sys
from collections.abc import Mapping, Sequence

EXIT_OK = 0
EXIT_FAIL = 1
EXIT_OFF = 2
DATA_DIR = "/var/lib/vigil-lab"
SOCKET_ENV = "VIGIL_LAB_POWER_SOCKET"
LAB_ENV = "VIGIL_LAB"
DEFAULT_TIMEOUT_S = 30.0  # a power-off waits until every process of the node is gone
ACTIONS = ("on", "off", "reboot", "status", "monitor", "list", "list-status", "metadata", "validate-all")
_ALIASES = {"option": "action", "port": "plug", "power_timeout": "timeout", "socket_path": "socket"}
_SHORT = {"-o": "action", "-n": "plug", "-s": "socket"}
_LONG = ("action", "plug", "port", "nodename", "socket", "timeout", "boot_delay", "boot-delay")

METADATA = """<?xml version="1.0" ?>
<resource-agent name="fence_vigil_lab" shortdesc="Power switch of vigil's namespaces lab">
<longdesc>Cuts or restores the power of a node of vigil's namespaces lab through the lab's power switch \
(a host daemon reached over a unix socket): off sets the node's switch ports down, then kills every \
process of the node; on boots it again on the same disk.</longdesc>
<parameters>
\t<parameter name="action" unique="0" required="1">
\t\t<getopt mixed="-o, --action=[action]" />
\t\t<content type="string" default="reboot" />
\t\t<shortdesc lang="en">Fencing action</shortdesc>
\t</parameter>
\t<parameter name="plug" unique="0" required="1" obsoletes="port">
\t\t<getopt mixed="-n, --plug=[node]" />
\t\t<content type="string" />
\t\t<shortdesc lang="en">Lab node to act on (n1, n2...)</shortdesc>
\t</parameter>
\t<parameter name="port" unique="0" required="1" deprecated="1">
\t\t<getopt mixed="-n, --plug=[node]" />
\t\t<content type="string" />
\t\t<shortdesc lang="en">Lab node to act on (n1, n2...)</shortdesc>
\t</parameter>
\t<parameter name="nodename" unique="0" required="0">
\t\t<getopt mixed="--nodename=[name]" />
\t\t<content type="string" />
\t\t<shortdesc lang="en">Cluster name of the target (used when no plug is given)</shortdesc>
\t</parameter>
\t<parameter name="socket" unique="0" required="0">
\t\t<getopt mixed="-s, --socket=[path]" />
\t\t<content type="string" default="/var/lib/vigil-lab/$VIGIL_LAB/power.sock" />
\t\t<shortdesc lang="en">Unix socket of the lab's power switch</shortdesc>
\t</parameter>
\t<parameter name="timeout" unique="0" required="0">
\t\t<getopt mixed="--timeout=[seconds]" />
\t\t<content type="second" default="30" />
\t\t<shortdesc lang="en">Wait at most this long for the power switch's answer</shortdesc>
\t</parameter>
\t<parameter name="boot_delay" unique="0" required="0">
\t\t<getopt mixed="--boot-delay=[seconds]" />
\t\t<content type="second" />
\t\t<shortdesc lang="en">Reboot: seconds from power off to power on (default: the switch's)</shortdesc>
\t</parameter>
</parameters>
<actions>
\t<action name="on" automatic="0" />
\t<action name="off" />
\t<action name="reboot" />
\t<action name="status" />
\t<action name="list" />
\t<action name="list-status" />
\t<action name="monitor" />
\t<action name="metadata" />
\t<action name="validate-all" />
</actions>
</resource-agent>
"""


class UsageError(Exception):
    pass


def parse_stdin(text: str) -> dict[str, str]:
    """`name=value` lines: the last value of a name wins; blank lines and `#` comments skipped."""
    opts: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        name = name.strip().replace("-", "_")
        opts[_ALIASES.get(name, name)] = value.strip()
    return opts


def parse_argv(argv: Sequence[str]) -> dict[str, str]:
    """Command-line options; UsageError on anything else."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            opts["action"] = "help"
        elif arg in _SHORT:
            if i + 1 >= len(argv):
                raise UsageError(f"{arg} needs a value")
            opts[_SHORT[arg]] = argv[i + 1]
            i += 1
        elif arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            if name not in _LONG:
                raise UsageError(f"unknown option {arg}")
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError(f"{arg} needs a value")
                value = argv[i + 1]
                i += 1
            name = name.replace("-", "_")
            opts[_ALIASES.get(name, name)] = value
        else:
            raise UsageError(f"unexpected argument {arg!r}")
        i += 1
    return opts


def socket_path(opts: dict[str, str], env: Mapping[str, str] | None = None) -> str:
    """Where the switch listens (see the module's docstring); UsageError if nothing says."""
    env = os.environ if env is None else env
    if opts.get("socket"):
        return opts["socket"]
    if env.get(SOCKET_ENV):
        return env[SOCKET_ENV]
    if env.get(LAB_ENV):
        return os.path.join(DATA_DIR, env[LAB_ENV], "power.sock")
    found = sorted(glob.glob(os.path.join(DATA_DIR, "*", "power.sock")))
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"no power switch socket: give socket=..., or set {LAB_ENV}")
    raise UsageError(f"several labs ({', '.join(found)}): give socket=..., or set {LAB_ENV}")


def ask(path: str, request: dict[str, object], timeout_s: float) -> dict[str, object]:
    """One JSON request, one JSON reply line. OSError/ValueError when the switch fails us.

    The one place vigil writes this exchange twice: vigil.host.jsonlines.exchange is the other.
    This agent is installed as /usr/sbin/fence_vigil_lab and run by `python3 -I` in a node,
    where importing vigil would tie the agent to whichever vigil the node's Python finds (or
    fail), so it stays standard-library only. The two must agree (an empty or cut reply is an
    error, never an empty answer); tests/host/test_jsonlines.py runs both against the same
    peers.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout_s)
        s.connect(path)
        s.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    reply = json.loads(data.decode() or "null")
    if not isinstance(reply, dict):
        raise ValueError(f"unexpected reply {data[:200]!r}")
    return reply


def _fail(msg: str) -> int:
    sys.stderr.write(f"Failed: {msg}\n")
    return EXIT_FAIL


def run(opts: dict[str, str]) -> int:
    action = opts.get("action", "reboot")
    if action == "metadata":
        sys.stdout.write(METADATA)
        return EXIT_OK
    if action == "help":
        sys.stdout.write(f"usage: fence_vigil_lab -o ACTION [-n NODE] [--socket=PATH]\n"
                         f"actions: {', '.join(ACTIONS)}; or name=value lines on stdin\n")
        return EXIT_OK
    if action not in ACTIONS:
        return _fail(f"unrecognised action {action!r}")
    try:
        path = socket_path(opts)
        timeout = float(opts.get("timeout") or DEFAULT_TIMEOUT_S)
    except (UsageError, ValueError) as exc:
        return _fail(str(exc))
    if action == "validate-all":
        return EXIT_OK if os.path.exists(path) else _fail(f"no power switch socket at {path}")
    request: dict[str, object] = {"action": "list" if action in ("monitor", "list-status") else action}
    if action in ("on", "off", "reboot", "status"):
        node = opts.get("plug") or opts.get("nodename")
        if not node:
            return _fail(f"{action} needs a plug (the node's name)")
        request["node"] = node
        if action == "reboot" and opts.get("boot_delay"):
            try:
                request["boot_delay_s"] = float(opts["boot_delay"])
            except ValueError:
                return _fail(f"boot_delay is not a number of seconds: {opts['boot_delay']!r}")
    try:
        reply = ask(path, request, timeout)
    except (OSError, ValueError) as exc:
        return _fail(f"power switch at {path}: {exc}")
    if not reply.get("ok"):
        return _fail(str(reply.get("error", "the power switch refused")))
    if action == "monitor":
        return EXIT_OK
    if action in ("list", "list-status"):
        power = reply.get("power")
        states = power if isinstance(power, dict) else {}
        nodes = reply.get("nodes")
        for node in nodes if isinstance(nodes, list) else []:
            if action == "list":
                sys.stdout.write(f"{node},\n")  # fence-agents' "plug,alias" with no alias
            else:
                sys.stdout.write(f"{node},,{str(states.get(node, 'unknown')).upper()}\n")
        return EXIT_OK
    state = str(reply.get("power", ""))
    if action == "status":
        sys.stdout.write(f"Status: {state.upper()}\n")
        return EXIT_OK if state == "on" else EXIT_OFF
    if action == "reboot":
        sys.stdout.write("Success: Rebooted\n")
    elif reply.get("was") == action:
        sys.stdout.write(f"Success: Already {action.upper()}\n")
    else:
        sys.stdout.write(f"Success: Powered {action.upper()}\n")
    return EXIT_OK


def main(argv: Sequence[str] | None = None, stdin: str | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        opts = parse_argv(args)
    except UsageError as exc:
        return _fail(str(exc))
    if not args:
        # Pacemaker passes everything on stdin, with no arguments
        opts = parse_stdin(sys.stdin.read() if stdin is None else stdin)
    return run(opts)


if __name__ == "__main__":
    sys.exit(main())
