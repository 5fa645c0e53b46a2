"""beanstalkd in the lab's nodes, following the database primary as in seed 004 (skyha), and a
tiny client for it.

skyha keeps beanstalkd's write-ahead log on the DRBD volume, so the node that takes over reads
the jobs the old primary had queued. Without DRBD (this machine cannot load its module) each
node's log is on its own disk: the node that takes over starts with its own queue, not the old
primary's. The jobs queued on the old primary stay in its log, on its disk, until it boots; they
are not merged into the queue of the new primary. The demo reports how many that is.

beanstalkd runs under ocf:heartbeat:anything (resource-agents: start, stop and monitor a daemon
by its pid), as the user beanstalkd, with its log directory on the node's disk (BINLOG_DIR).
The client (`python3 -m vigil.lab.beanstalk put|count HOST PORT [N]`, in the lab's client
namespace) speaks beanstalkd's text protocol: `put` queues N jobs and prints how many were
INSERTED, `count` prints current-jobs-ready from `stats`.
"""

from __future__ import annotations

import shutil
import socket
import sys

from vigil.lab.dbnode import DB_ROOT, disk, lab_nodes
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.writer import check_lab_host

BEANSTALKD = "/usr/bin/beanstalkd"
BINLOG_DIR = f"{DB_ROOT}/beanstalkd"
PORT = 11300
USER = "beanstalkd"


def requirements() -> str | None:
    if shutil.which(BEANSTALKD) is None:
        return f"{BEANSTALKD} is missing: bash scripts/install.sh installs beanstalkd"
    return None


def setup_beanstalkd(lab: Lab) -> None:
    """An empty log directory, the beanstalkd user's, on every node's disk."""
    for n in lab_nodes(lab):
        d = disk(lab, n.name, BINLOG_DIR)
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(mode=0o750, parents=True)
        shutil.chown(d, USER, USER)


def beanstalkd_resource_args(rsc: str = "beanstalkd") -> list[str]:
    """`vigil resource create` arguments: beanstalkd under ocf:heartbeat:anything, fsync of its
    log on every write (-f0: a job it answered INSERTED is on the disk)."""
    return ["resource", "create", rsc, "ocf:heartbeat:anything", f"binfile={BEANSTALKD}",
            f"cmdline_options=-l 0.0.0.0 -p {PORT} -b {BINLOG_DIR} -f0 -u {USER}",
            "op", "monitor", "interval=5s", "timeout=20s"]


def client(lab: Lab, verb: str, host: str, count: int = 0) -> int:
    """Run the client below in the lab's client namespace: jobs INSERTED (put) or ready (count)."""
    check_lab_host(host)
    proc = lab.exec("client", [sys.executable, "-m", "vigil.lab.beanstalk", verb, host,
                               str(PORT), str(count)], timeout=30)
    try:
        return int(proc.stdout.strip())
    except ValueError:
        raise LabError(f"beanstalkd client ({verb} {host}): rc={proc.returncode} "
                       f"{proc.stdout.strip()} {proc.stderr.strip()}") from None


def _reply(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _put(host: str, port: int, count: int) -> int:
    inserted = 0
    with socket.create_connection((host, port), timeout=3) as conn:
        for i in range(count):
            body = f"job {i + 1}".encode()
            conn.sendall(b"put 0 0 600 %d\r\n%s\r\n" % (len(body), body))
            if _reply(conn).startswith(b"INSERTED"):
                inserted += 1
    return inserted


def _count(host: str, port: int) -> int:
    with socket.create_connection((host, port), timeout=3) as conn:
        conn.sendall(b"stats\r\n")
        data = _reply(conn)
        header, _, rest = data.partition(b"\r\n")
        size = int(header.split()[1])  # "OK <bytes>"
        while len(rest) < size:
            chunk = conn.recv(4096)
            if not chunk:
                break
            rest += chunk
    for line in rest.decode().splitlines():
        if line.startswith("current-jobs-ready:"):
            return int(line.split(":")[1])
    raise LabError("beanstalkd's stats have no current-jobs-ready")


def _main(argv: list[str]) -> int:
    verb, host, port = argv[0], argv[1], int(argv[2])
    check_lab_host(host)
    print(_put(host, port, int(argv[3])) if verb == "put" else _count(host, port))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
