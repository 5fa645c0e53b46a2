"""The directory of commands vigild gives the resource agents it runs: crm_attribute,
crm_master, attrd_updater, crm_node, crm_resource, cibadmin and crm_mon, each a small wrapper
that hands the call to vigild's tool host (vigil.attrs.toolhost: the tools imported once, a
fork per call) through vigil.attrs.toolclient, run with the interpreter vigild runs with and
nothing else imported. An agent may call them a dozen times per action (PAF's promote, its
notifications), on the critical path of a failover: a call costs a fork instead of a Python
start importing vigil (60 ms of CPU). Without a tool host the client runs
`python3 -S -m vigil.attrs.<tool>` in its place (-S: the tools need the standard library and
vigil only; PYTHONPATH names vigil).

Pacemaker's own tools in /usr/sbin are not touched: agents find vigil's through HA_SBIN_DIR
(which ocf-shellfuncs and PAF use for every cluster command) and PATH (vigil's directory
first: some agents call `crm_mon` or `attrd_updater` by name), and the tools find the control
socket through VIGIL_SOCKET.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import vigil

TOOLS = ("crm_attribute", "crm_master", "attrd_updater", "crm_node", "crm_resource", "cibadmin",
         "crm_mon")
DEFAULT_DIR = "/run/vigil/agent-tools"
HOST_SOCKET = ".tool-host.sock"  # in the tools' directory
FALLBACK_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


# `crm_node -n` in an agent is the agent's own node, OCF_RESKEY_CRM_meta_on_node, which is what
# vigil.attrs.crm_node answers too; PAF asks it at the start of every action, notifications
# included (a dozen per recovery), so the wrapper answers it without starting Python
_CRM_NODE_NAME = """if [ "$#" -eq 1 ] && [ -n "${OCF_RESKEY_CRM_meta_on_node:-}" ]; then
    case "$1" in -n|--name) printf '%s\\n' "$OCF_RESKEY_CRM_meta_on_node"; exit 0 ;; esac
fi
"""


def wrapper(tool: str, python: str, root_dir: str, host_socket: str) -> str:
    """The shell script for one tool (`root_dir`: the directory holding the vigil package)."""
    root = shlex.quote(root_dir)
    client = shlex.quote(str(Path(root_dir) / "vigil" / "attrs" / "toolclient.py"))
    return (f"#!/bin/sh\n"
            f"# {tool} for the resource agents vigild runs: vigil's (vigil.attrs.{tool}),\n"
            f"# talking to the local vigild. Pacemaker's own is in /usr/sbin.\n"
            + (_CRM_NODE_NAME if tool == "crm_node" else "") +
            f"PYTHONPATH={root}${{PYTHONPATH:+:$PYTHONPATH}}\n"
            f"export PYTHONPATH\n"
            f"exec {shlex.quote(python)} -I -S {client} {shlex.quote(host_socket)} {tool} \"$@\"\n")


def host_socket_path(directory: str | os.PathLike[str]) -> str:
    """Where the tool host behind the wrappers in `directory` listens."""
    return str(Path(directory).resolve() / HOST_SOCKET)


def package_root() -> str:
    """The directory holding the vigil package vigild runs."""
    return str(Path(vigil.__file__).resolve().parent.parent)


def prepare(directory: str | os.PathLike[str] = DEFAULT_DIR, *,
            python: str | None = None) -> Path:
    """Write the wrappers into `directory` (made if missing; each file replaced atomically,
    mode 0755) and return it. `python`: the interpreter (default: the one running now)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    interpreter = python or sys.executable or "python3"
    root = package_root()
    host_socket = host_socket_path(target)
    for tool in TOOLS:
        fd, tmp = tempfile.mkstemp(prefix=f".{tool}.", dir=target)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(wrapper(tool, interpreter, root, host_socket))
            os.chmod(tmp, 0o755)
            os.replace(tmp, target / tool)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target


def agent_environment(tools_dir: str | os.PathLike[str], socket_path: str, *,
                      base: Mapping[str, str] | None = None) -> dict[str, str]:
    """What vigild adds to every agent's environment: HA_SBIN_DIR at the tools, PATH with the
    tools first (then the daemon's own PATH), VIGIL_SOCKET at the control socket."""
    source = os.environ if base is None else base
    tools = str(tools_dir)
    rest = [p for p in (source.get("PATH") or FALLBACK_PATH).split(":") if p and p != tools]
    return {"HA_SBIN_DIR": tools, "PATH": ":".join([tools, *rest]),
            "VIGIL_SOCKET": socket_path}


def start_host(directory: str | os.PathLike[str] = DEFAULT_DIR, *,
               python: str | None = None) -> subprocess.Popen[bytes]:
    """Start the tool host the wrappers in `directory` call (its socket there); it ends with
    the process that started it. Its errors go to this process's stderr."""
    interpreter = python or sys.executable or "python3"
    env = {**os.environ, "PYTHONPATH": package_root()}
    return subprocess.Popen([interpreter, "-S", "-m", "vigil.attrs.toolhost",
                             host_socket_path(directory)],
                            stdin=subprocess.DEVNULL, env=env, close_fds=True)


def stop_host(host: subprocess.Popen[bytes] | None) -> None:
    """End a tool host started by start_host (calls under way finish in their own processes)."""
    if host is None or host.poll() is not None:
        return
    host.terminate()
    try:
        host.wait(timeout=5)
    except subprocess.TimeoutExpired:
        host.kill()
        host.wait(timeout=5)
