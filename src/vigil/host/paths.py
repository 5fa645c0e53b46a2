"""Where the host's administration tools are: the sbin directories, whatever PATH we got.

corosync, ip, systemctl live in sbin, which a non-login shell or a service's environment may
leave out of PATH; every shell that runs them puts these first, the caller's own after.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def tool_path(path: str | None = None) -> str:
    """PATH with the sbin directories first, then what `path` (default: ours) adds."""
    current = os.environ.get("PATH", "") if path is None else path
    known = SBIN_PATH.split(":")
    extra = [p for p in current.split(":") if p and p not in known]
    return ":".join([SBIN_PATH, *extra])


def tool_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment (default: ours) with `tool_path` as PATH."""
    env = dict(os.environ if environ is None else environ)
    env["PATH"] = tool_path(env.get("PATH", ""))
    return env
