"""Running commands in a lab node as a database's user, the node's own disk, and what a real host
has that a lab node lacks (for the agents of replicated databases: vigil.lab.postgres, the Redis
lab tests)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

DB_ROOT = "/var/lib/vigil/lab-db"  # on each node's own disk (vigil.lab binds /var/lib/vigil)
HOSTS_FILE = f"{DB_ROOT}/hosts"
LAB_NET = "10.213.0.0/16"
CMD_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Node:
    name: str
    addr: str  # on link 0 (eth0)


def lab_nodes(lab: Lab) -> tuple[Node, ...]:
    return tuple(Node(h.name, h.addrs[0]) for h in lab.topology.nodes)


def run(lab: Lab, node: str, argv: Sequence[str], *, user: str | None = None,
        timeout: float = CMD_TIMEOUT_S, check: bool = True) -> str:
    """Run argv in `node` (as `user` through runuser), its stdout; LabError with the output
    when it fails and `check`."""
    full = ["runuser", "-u", user, "--", *argv] if user else list(argv)
    proc = lab.exec(node, full, timeout=timeout)
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(full)} in {node}: rc={proc.returncode} "
                       f"{proc.stdout.strip()} {proc.stderr.strip()}")
    return str(proc.stdout)


def disk(lab: Lab, node: str, path: str) -> Path:
    """`path` (below /var/lib/vigil in the node) as seen from the host: the node's disk."""
    rel = Path(path).relative_to("/var/lib/vigil")
    return lab.node_dir(node) / "var/lib/vigil" / rel


def chown_tree(path: Path, user: str) -> None:
    for p in (path, *path.rglob("*")):
        shutil.chown(p, user, user)


# ---------------------------------------------------------------------------- the node itself
def prepare_node(lab: Lab, node: str) -> None:
    """What a real host has in its /etc that a lab node lacks: the cluster's node names in
    /etc/hosts (ocf:heartbeat:redis replicates from a node name). The bind is private to the
    node's current boot (its mount namespace): call it again after a power cycle. ($HA_RSCTMP,
    which systemd-tmpfiles makes on a real host, the node's boot makes: vigil.lab.nodeinit.)"""
    root = disk(lab, node, DB_ROOT)
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    hosts = disk(lab, node, HOSTS_FILE)
    base = Path("/etc/hosts").read_text()
    names = "".join(f"{n.addr} {n.name}\n" for n in lab_nodes(lab))
    hosts.write_text(base.rstrip("\n") + "\n# the lab's nodes (vigil.lab.dbnode)\n" + names)
    os.chmod(hosts, 0o644)
    mounted = run(lab, node, ["findmnt", "-n", "-o", "SOURCE", "/etc/hosts"], check=False)
    if "lab-db" not in mounted:
        run(lab, node, ["mount", "--bind", HOSTS_FILE, "/etc/hosts"])
