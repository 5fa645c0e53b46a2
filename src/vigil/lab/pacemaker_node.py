"""Pacemaker 2.1.5 in a lab node, in vigild's place: the anchor of the database benchmark.

Started by the node's init (vigil.lab.nodeinit) as the lab's daemon when the lab was brought up
with `daemon_argv=[python3, -m, vigil.lab.pacemaker_node]` (vigil.lab.pacemaker): Corosync is the
lab's, the same for both managers. It gives Pacemaker what a real host has and a lab node lacks,
then becomes pacemakerd (exec, so the init supervises and stops pacemakerd itself):

- /var/lib/pacemaker (the CIB, the scheduler's inputs) and /var/log/pacemaker on the node's own
  disk (/var/lib/vigil/pacemaker, which survives a power cycle like a disk): three pacemaker-based
  sharing the host's directory corrupt each other's CIB;
- /run/crm and /run/resource-agents (/run is the node's private tmpfs);
- Pacemaker's logging to a file (this machine has no syslog daemon).

While the file HOLD exists on the node's disk, pacemakerd is not started (the node boots with
its cluster stack disabled, as `pcs cluster disable` leaves a machine): the operator's window to
repair a node before it joins; the host removes the file to let it start.

The mounts are made in the node's mount namespace (this process shares the init's), so they
last for the node's boot and are made again at the next one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import grp
import os
import pwd
import sys
import time

DISK = "/var/lib/vigil/pacemaker"  # on the node's disk (vigil.lab binds /var/lib/vigil)
BINDS = (("lib", "/var/lib/pacemaker"), ("log", "/var/log/pacemaker"))
CLUSTER_DIRS = ("lib/cib", "lib/pengine", "lib/blackbox", "lib/cores", "log")
LOGFILE = "/var/log/pacemaker/pacemaker.log"
HOLD = f"{DISK}/hold"
HOLD_POLL_S = 0.5
MS_BIND = 4096

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _bind(source: str, target: str) -> None:
    if _libc.mount(source.encode(), target.encode(), None, ctypes.c_ulong(MS_BIND), None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount --bind {source} {target}: {os.strerror(err)}")


def prepare() -> dict[str, str]:
    """The node's Pacemaker directories and mounts; the environment pacemakerd runs with."""
    uid, gid = pwd.getpwnam("hacluster").pw_uid, grp.getgrnam("haclient").gr_gid
    for rel in CLUSTER_DIRS:
        path = f"{DISK}/{rel}"
        os.makedirs(path, mode=0o750, exist_ok=True)
        os.chown(path, uid, gid)
    for rel, target in BINDS:
        os.makedirs(target, mode=0o755, exist_ok=True)
        _bind(f"{DISK}/{rel}", target)
    os.makedirs("/run/crm", mode=0o750, exist_ok=True)
    os.chown("/run/crm", uid, gid)
    os.makedirs("/run/resource-agents", mode=0o1755, exist_ok=True)
    return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
            "PCMK_logfile": LOGFILE, "PCMK_logfacility": "none", "HA_LOGFACILITY": "none",
            "PCMK_debug": "no"}


def main() -> int:
    try:
        env = prepare()
    except (OSError, KeyError) as exc:
        print(f"pacemaker_node: {exc}: is Debian's pacemaker installed (bash scripts/install.sh)?",
              file=sys.stderr)
        return 1
    while os.path.exists(HOLD):
        time.sleep(HOLD_POLL_S)
    os.execve("/usr/sbin/pacemakerd", ["pacemakerd"], env)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
