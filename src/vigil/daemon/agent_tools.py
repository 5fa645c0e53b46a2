"""The directory of commands vigild gives the resource agents it runs: crm_attribute,
crm_master, attrd_updater, crm_node, crm_resource, cibadmin and crm_mon, each a small wrapper
that runs `python3 -S -m vigil.attrs.<tool>` with the interpreter and the vigil package vigild
itself runs with (see vigil.attrs). The tools need the standard library and vigil only, and an
agent may call them a dozen times per action (PAF's promote, its notifications): -S skips the
site-packages scan (.pth files), a quarter of each call's start-up; PYTHONPATH names vigil.

Pacemaker's own tools in /usr/sbin are not touched: agents find vigil's through HA_SBIN_DIR
(which ocf-shellfuncs and PAF use for every cluster command) and PATH (vigil's directory
first: some agents call `crm_mon` or `attrd_updater` by name), and the tools find the control
socket through VIGIL_SOCKET.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import vigil

TOOLS = ("crm_attribute", "crm_master", "attrd_updater", "crm_node", "crm_resource", "cibadmin",
         "crm_mon")
DEFAULT_DIR = "/run/vigil/agent-tools"
FALLBACK_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


# `crm_node -n` in an agent is the agent's own node, OCF_RESKEY_CRM_meta_on_node, which is what
# vigil.attrs.crm_node answers too; PAF asks it at the start of every action, notifications
# included (a dozen per recovery), so the wrapper answers it without starting Python
_CRM_NODE_NAME = """if [ "$#" -eq 1 ] && [ -n "${OCF_RESKEY_CRM_meta_on_node:-}" ]; then
    case "$1" in -n|--name) printf '%s\\n' "$OCF_RESKEY_CRM_meta_on_node"; exit 0 ;; esac
fi
"""


def wrapper(tool: str, python: str, package_root: str) -> str:
    """The shell script for one tool."""
    root = shlex.quote(package_root)
    return (f"#!/bin/sh\n"
            f"# {tool} for the resource agents vigild runs: vigil's (vigil.attrs.{tool}),\n"
            f"# talking to the local vigild. Pacemaker's own is in /usr/sbin.\n"
            + (_CRM_NODE_NAME if tool == "crm_node" else "") +
            f"PYTHONPATH={root}${{PYTHONPATH:+:$PYTHONPATH}}\n"
            f"export PYTHONPATH\n"
            f"exec {shlex.quote(python)} -S -m vigil.attrs.{tool} \"$@\"\n")


def prepare(directory: str | os.PathLike[str] = DEFAULT_DIR, *,
            python: str | None = None) -> Path:
    """Write the wrappers into `directory` (made if missing; each file replaced atomically,
    mode 0755) and return it. `python`: the interpreter (default: the one running now)."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    interpreter = python or sys.executable or "python3"
    root = str(Path(vigil.__file__).resolve().parent.parent)
    for tool in TOOLS:
        fd, tmp = tempfile.mkstemp(prefix=f".{tool}.", dir=target)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(wrapper(tool, interpreter, root))
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
