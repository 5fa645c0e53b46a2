"""Patroni's node side in a vigil lab node: etcd, then Patroni, both supervised, both stopped on
SIGTERM (`python3 -m vigil.lab.patroni_node`, the node's daemon_argv in place of vigild).

Why a module of its own: the anchor of bench/database_failover.py (`--stack patroni`) runs in the
same namespace lab as vigil, whose node init supervises one daemon per node. This is that
daemon for the Patroni stack: a real host would run etcd and Patroni as two systemd units.

It waits for NODE_FILE (written by the host side, vigil.lab.patroni, on the node's own disk
/var/lib/vigil, before or after the node boots), then starts etcd as one member of the static
3-member cluster it names (data on the node's disk, so a member powered off and on again comes
back with its data) and Patroni as the postgres user with the YAML configuration beside it. A
process that exits is started again after RESTART_S (as systemd's Restart=always would). Their
output goes to files beside the configuration. SIGTERM: Patroni first (it stops PostgreSQL and
releases its leader key), then etcd; exit 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import IO

PATRONI_DIR = "/var/lib/vigil/lab-db/patroni"  # on the node's own disk
NODE_FILE = f"{PATRONI_DIR}/node.json"
PATRONI_CONF = f"{PATRONI_DIR}/patroni.yml"
ETCD_DATA = "/var/lib/vigil/lab-db/etcd"
ETCD_CLIENT_PORT = 2379
ETCD_PEER_PORT = 2380
RESTART_S = 1.0
STOP_TIMEOUT_S = 30.0
ENV_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Member:
    name: str
    addr: str


@dataclass(frozen=True)
class NodeConf:
    """What the host tells a node: who it is, the etcd cluster's members and its token."""

    name: str
    addr: str
    members: tuple[Member, ...]
    cluster_token: str

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "addr": self.addr, "cluster_token": self.cluster_token,
                           "members": [[m.name, m.addr] for m in self.members]}, indent=1) + "\n"

    @staticmethod
    def from_json(text: str) -> NodeConf:
        d = json.loads(text)
        return NodeConf(name=d["name"], addr=d["addr"], cluster_token=d["cluster_token"],
                        members=tuple(Member(n, a) for n, a in d["members"]))


def etcd_argv(conf: NodeConf) -> list[str]:
    """etcd 3.4 as one member of the static cluster (the initial-* flags count only for the
    first start; later ones read the data directory)."""
    me = f"http://{conf.addr}"
    cluster = ",".join(f"{m.name}=http://{m.addr}:{ETCD_PEER_PORT}" for m in conf.members)
    return ["/usr/bin/etcd", "--name", conf.name, "--data-dir", ETCD_DATA,
            "--listen-client-urls", f"{me}:{ETCD_CLIENT_PORT},http://127.0.0.1:{ETCD_CLIENT_PORT}",
            "--advertise-client-urls", f"{me}:{ETCD_CLIENT_PORT}",
            "--listen-peer-urls", f"{me}:{ETCD_PEER_PORT}",
            "--initial-advertise-peer-urls", f"{me}:{ETCD_PEER_PORT}",
            "--initial-cluster", cluster, "--initial-cluster-token", conf.cluster_token,
            "--initial-cluster-state", "new"]


def patroni_argv() -> list[str]:
    return ["/usr/bin/patroni", PATRONI_CONF]


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} patroni_node: {msg}", file=sys.stderr, flush=True)


class Child:
    """One supervised process: started again RESTART_S after it exits, until stop()."""

    def __init__(self, name: str, argv: list[str], logfile: str, *, user: str | None) -> None:
        self.name, self.argv, self.logfile, self.user = name, argv, logfile, user
        self.proc: subprocess.Popen[bytes] | None = None
        self.out: IO[bytes] | None = None
        self.next_start = 0.0

    def poll(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            log(f"{self.name} exited {self.proc.returncode}: started again in {RESTART_S} s")
            self.proc = None
            self.next_start = time.monotonic() + RESTART_S
        if self.proc is None and time.monotonic() >= self.next_start:
            if self.out is None:
                self.out = open(self.logfile, "ab")  # noqa: SIM115 (kept open while supervised)
            env = {"PATH": ENV_PATH, "LANG": "C.UTF-8",
                   "HOME": "/var/lib/postgresql" if self.user else "/root"}
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.out,
                                         stderr=subprocess.STDOUT, env=env, cwd="/",
                                         user=self.user, group=self.user,
                                         extra_groups=[] if self.user else None)
            log(f"{self.name} started, pid {self.proc.pid}")

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        log(f"{self.name} stopped")


def main() -> int:
    stopping = False

    def on_term(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not os.path.exists(NODE_FILE) or not os.path.exists(PATRONI_CONF):
        if stopping:
            return 0
        time.sleep(0.5)
    with open(NODE_FILE) as f:
        conf = NodeConf.from_json(f.read())
    os.makedirs(ETCD_DATA, mode=0o700, exist_ok=True)
    etcd = Child("etcd", etcd_argv(conf), f"{PATRONI_DIR}/etcd.log", user=None)
    patroni = Child("patroni", patroni_argv(), f"{PATRONI_DIR}/patroni.log", user="postgres")
    while not stopping:
        etcd.poll()
        patroni.poll()
        time.sleep(0.2)
    patroni.stop()
    etcd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
