"""The record of what a lab created: /run/vigil-lab/<lab>.json, guarded by <lab>.lock.

`up` records a namespace before creating it and a process as soon as it exists, so `down` removes
exactly what is recorded (and nothing else), even after an `up` that failed half-way. Every
change is a read-modify-write under an exclusive flock, so the CLI and a test process can act on
the same lab.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vigil.host.atomic import write_atomic

RUN_DIR = Path("/run/vigil-lab")  # state files: gone with the namespaces at reboot
DATA_DIR = Path("/var/lib/vigil-lab")  # per-node "disks": kept after down for post-mortems
VERSION = 1


@dataclass
class NodeRecord:
    name: str
    state_dir: str
    init_pid: int | None = None  # host PID of the node's init (PID 1 of its PID namespace)
    init_start: int | None = None  # its start time, so a recycled PID is never signalled
    unshare_pid: int | None = None  # the `unshare --fork` parent that waits for the init
    pidns: int | None = None  # inode of the init's PID namespace
    mntns: int | None = None  # inode of the init's mount namespace
    powered: bool = False
    links_cut: list[int] = field(default_factory=list)  # links set down by `link(node, k, "down")`
    boots: int = 0


@dataclass
class LabState:
    name: str
    node_count: int
    token_ms: int | None
    data_dir: str
    daemon_argv: list[str] | None  # None: the default `python3 -m vigil.daemon`, if importable
    created: float
    namespaces: list[str] = field(default_factory=list)  # recorded before creation
    netns_inodes: dict[str, int] = field(default_factory=dict)
    addresses: dict[str, list[str]] = field(default_factory=dict)  # host -> [link0, link1]
    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    partition: dict[str, int] = field(default_factory=dict)  # host -> bridge group (>= 1 only)
    partition_groups: int = 0
    power_pid: int | None = None  # the lab's power switch (vigil.lab.power), stopped by `down`
    power_start: int | None = None  # its start time, so a recycled PID is never signalled
    qdevice: str | None = None  # the quorum device's algorithm (ffsplit, lms); None: no device
    qnetd_pid: int | None = None  # corosync-qnetd in the client namespace (vigil.lab.qnetd)
    qnetd_start: int | None = None
    # the qnetd host's remote endpoint (vigil.lab.qnetd), for `vigil quorum device add`
    qnetd_endpoint_pid: int | None = None
    qnetd_endpoint_start: int | None = None
    isolated: list[str] = field(default_factory=list)  # nodes whose switch ports are isolated
    set_up: bool = True  # False: the nodes booted without cluster files (`cluster setup` to come)
    # True: set up as an operator would, through the nodes' endpoints (`vigil host auth` and
    # `vigil cluster setup --start` from n1); False: the cluster files written on the disks
    through_endpoint: bool = False
    password: str = ""  # hacluster's on every node (its password file), for `vigil host auth`
    version: int = VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> LabState:
        raw: dict[str, Any] = json.loads(text)
        nodes = {k: NodeRecord(**v) for k, v in raw.pop("nodes", {}).items()}
        return cls(nodes=nodes, **raw)


def state_path(name: str) -> Path:
    return RUN_DIR / f"{name}.json"


def load(name: str) -> LabState | None:
    try:
        return LabState.from_json(state_path(name).read_text())
    except FileNotFoundError:
        return None


def save(state: LabState) -> None:
    RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    path = state_path(state.name)
    # 0600: the record holds the lab's hacluster password
    write_atomic(path, state.to_json().encode(), 0o600)


def remove(name: str) -> None:
    """Forget the lab: its record and its lock file (called with the lock held)."""
    state_path(name).unlink(missing_ok=True)
    (RUN_DIR / f"{name}.lock").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        RUN_DIR.rmdir()  # only when no other lab is recorded


def known_labs() -> list[str]:
    try:
        return sorted(p.stem for p in RUN_DIR.glob("*.json"))
    except FileNotFoundError:
        return []


@contextlib.contextmanager
def locked(name: str) -> Iterator[None]:
    """Exclusive lock on the lab's record (held across a read-modify-write)."""
    for attempt in range(3):  # `remove` may rmdir RUN_DIR between our mkdir and open
        RUN_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
        try:
            fd = os.open(RUN_DIR / f"{name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
