"""Patroni 3.0.2 + etcd 3.4 on a vigil namespace lab: the host side (configuration, questions).

Why: bench/database_failover.py compares vigil's PostgreSQL failover with the anchors a user
would otherwise pick; Patroni (with etcd as its DCS) is one. It is configured and driven here,
not reimplemented: each node runs vigil.lab.patroni_node (etcd, then Patroni) as its daemon, and
this module writes what that reads (NODE_FILE, PATRONI_CONF on the node's own disk) and asks
Patroni's REST API (GET http://ADDR:8008/cluster, from inside a node: the host is not on the
lab's network) and PostgreSQL (vigil.lab.postgres's psql helpers) what the cluster is.

PostgreSQL is the same as vigil.lab.postgres sets up: Debian's 15, data directory PGDATA, socket
in /tmp, port 5432, the `app` role writing the `writes` table from the lab's addresses, and
synchronous replication (Patroni's synchronous_mode: a commit is acknowledged once the
synchronous standby has it, and only that standby may be promoted: no acknowledged commit is
lost, the promise the bench tests). use_pg_rewind lets an old primary rejoin.

Timings: Patroni's defaults (ttl 30, loop_wait 10, retry_timeout 10: DEFAULT_TIMINGS) unless the
bench runs with a 1000 ms Corosync token, which stands for "tuned for fast failover"; then
TUNED_TIMINGS (ttl 10, loop_wait 2, retry_timeout 4: Patroni requires ttl >= loop_wait + 2 *
retry_timeout).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass

from vigil.lab import postgres as pg
from vigil.lab.dbnode import DB_ROOT, LAB_NET, Node, disk, lab_nodes, prepare_node, run
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.patroni_node import (
    ETCD_CLIENT_PORT,
    ETCD_DATA,
    NODE_FILE,
    PATRONI_CONF,
    PATRONI_DIR,
    Member,
    NodeConf,
)

PATRONI = "/usr/bin/patroni"
PATRONICTL = "/usr/bin/patronictl"
ETCD = "/usr/bin/etcd"
REST_PORT = 8008
DAEMON_ARGV_MODULE = "vigil.lab.patroni_node"


@dataclass(frozen=True)
class Timings:
    """Patroni's leader-lease timings (seconds)."""

    ttl: int
    loop_wait: int
    retry_timeout: int


DEFAULT_TIMINGS = Timings(ttl=30, loop_wait=10, retry_timeout=10)  # Patroni's own defaults
TUNED_TIMINGS = Timings(ttl=10, loop_wait=2, retry_timeout=4)  # the bench's --token 1000


def timings_for(token_ms: int | None) -> Timings:
    """TUNED_TIMINGS for the bench's fast setting (a 1000 ms token or less), else Patroni's."""
    return TUNED_TIMINGS if token_ms is not None and token_ms <= 1000 else DEFAULT_TIMINGS


@dataclass(frozen=True)
class ClusterMember:
    """One member of GET /cluster."""

    name: str
    role: str  # leader, sync_standby, replica
    state: str  # running, streaming, stopped, starting, ...
    host: str


def requirements() -> str | None:
    missing = [p for p in (PATRONI, PATRONICTL, ETCD) if not os.access(p, os.X_OK)]
    if missing:
        return (f"Patroni or etcd is missing ({', '.join(missing)}): "
                f"apt-get install -y patroni etcd-server")
    return pg.pgsql_requirements()


def _q(s: str) -> str:
    return json.dumps(s)  # a JSON string is a YAML string


def patroni_yaml(scope: str, node: Node, nodes: tuple[Node, ...], t: Timings) -> str:
    """Patroni's configuration for `node` (YAML; written as JSON-compatible flow where simpler)."""
    hosts = ", ".join(_q(f"{n.addr}:{ETCD_CLIENT_PORT}") for n in nodes)
    hba = [
        "local all all trust",
        "host all all 127.0.0.1/32 trust",
        f"host replication {pg.REPL_USER} {LAB_NET} trust",
        f"host all postgres {LAB_NET} trust",  # pg_rewind from the new primary, as superuser
        f"host postgres {pg.APP_USER} {LAB_NET} trust",
    ]
    hba_yaml = "".join(f"    - {_q(h)}\n" for h in hba)
    params = {
        "max_connections": 30, "shared_buffers": "16MB", "wal_level": "replica",
        "max_wal_senders": 10, "max_replication_slots": 10, "wal_keep_size": "128MB",
        "hot_standby": "on", "hot_standby_feedback": "on", "wal_log_hints": "on",
        "wal_receiver_status_interval": "1s", "wal_receiver_timeout": "5s",
        "wal_sender_timeout": "5s", "wal_retrieve_retry_interval": "1s",
    }
    params_yaml = "".join(f"        {k}: {_q(str(v))}\n" for k, v in params.items())
    return f"""# vigil.lab.patroni: {node.name} of the lab's Patroni cluster
scope: {_q(scope)}
name: {_q(node.name)}
log:
  level: INFO
restapi:
  listen: {_q(f"{node.addr}:{REST_PORT}")}
  connect_address: {_q(f"{node.addr}:{REST_PORT}")}
etcd3:
  hosts: [{hosts}]
bootstrap:
  dcs:
    ttl: {t.ttl}
    loop_wait: {t.loop_wait}
    retry_timeout: {t.retry_timeout}
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
{params_yaml}  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
  pg_hba:
{hba_yaml}postgresql:
  listen: "*:{pg.PG_PORT}"
  connect_address: {_q(f"{node.addr}:{pg.PG_PORT}")}
  use_unix_socket: true
  data_dir: {_q(pg.PGDATA)}
  bin_dir: {_q(pg.PG_BIN)}
  pgpass: /tmp/pgpass-patroni
  authentication:
    superuser:
      username: postgres
    replication:
      username: {_q(pg.REPL_USER)}
  parameters:
    unix_socket_directories: {_q(pg.PG_SOCKET_DIR)}
  pg_hba:
{hba_yaml}"""


def write_configs(lab: Lab, scope: str, token_ms: int | None) -> Timings:
    """Fresh PostgreSQL and etcd data directories and Patroni's configuration on every node's
    disk (the nodes' patroni_node waits for them). The timings used."""
    nodes = lab_nodes(lab)
    t = timings_for(token_ms)
    members = tuple(Member(n.name, n.addr) for n in nodes)
    for n in nodes:
        prepare_node(lab, n.name)
        root = disk(lab, n.name, DB_ROOT)
        shutil.chown(root, "postgres", "postgres")  # Patroni recreates PGDATA on a re-init
        for d in (pg.PGDATA, ETCD_DATA):
            p = disk(lab, n.name, d)
            if p.exists():
                shutil.rmtree(p)
        data = disk(lab, n.name, pg.PGDATA)
        data.mkdir(mode=0o700)
        shutil.chown(data, "postgres", "postgres")
        pdir = disk(lab, n.name, PATRONI_DIR)
        pdir.mkdir(mode=0o755, parents=True, exist_ok=True)
        conf = disk(lab, n.name, PATRONI_CONF)
        conf.write_text(patroni_yaml(scope, n, nodes, t))
        os.chmod(conf, 0o640)
        shutil.chown(conf, "root", "postgres")
        # last: the node starts etcd and Patroni once this exists
        disk(lab, n.name, NODE_FILE).write_text(
            NodeConf(name=n.name, addr=n.addr, members=members,
                     cluster_token=f"vigil-lab-{scope}").to_json())
    return t


def cluster(lab: Lab, via: str, addr: str, *, timeout: float = 5.0) -> tuple[ClusterMember, ...]:
    """GET /cluster of the Patroni at `addr`, asked from inside node `via`; () when no answer."""
    code = ("import sys, urllib.request; "
            "print(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode())")
    try:
        proc = lab.exec(via, ["python3", "-c", code, f"http://{addr}:{REST_PORT}/cluster",
                              str(timeout)], timeout=timeout + 5)
    except subprocess.TimeoutExpired:
        return ()
    if proc.returncode != 0:
        return ()
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        return ()
    return tuple(ClusterMember(name=m.get("name", ""), role=m.get("role", ""),
                               state=m.get("state", ""), host=m.get("host", ""))
                 for m in data.get("members", []))


def leader(lab: Lab, via: str) -> str | None:
    """The running leader's name as `via`'s own Patroni reports it (None: none, no answer)."""
    addr = next(n.addr for n in lab_nodes(lab) if n.name == via)
    found = [m.name for m in cluster(lab, via, addr) if m.role == "leader" and m.state == "running"]
    return found[0] if len(found) == 1 else None


def streaming(lab: Lab, leader_node: str) -> list[str]:
    """The standbys streaming from `leader_node` (pg_stat_replication), [] when it does not
    answer."""
    try:
        return pg.pg_streaming_to(lab, leader_node)
    except (LabError, subprocess.TimeoutExpired):
        return []


def postmaster_pid(lab: Lab, node: str) -> int | None:
    """The host PID of `node`'s postmaster (Patroni runs it on PGDATA, as vigil.lab.postgres)."""
    return pg.postmaster_pid(lab, node)


def setup_app(lab: Lab, leader_node: str) -> None:
    """The app role and its table on the leader (replicated to the standbys), as
    vigil.lab.postgres.setup_postgres makes them."""
    exists = pg.psql(lab, leader_node, f"SELECT count(*) FROM pg_roles WHERE rolname = "
                                       f"'{pg.APP_USER}'")
    if exists == "0":
        pg.psql(lab, leader_node, f"CREATE ROLE {pg.APP_USER} WITH LOGIN")
    pg.psql(lab, leader_node, f"CREATE TABLE IF NOT EXISTS {pg.APP_TABLE} (id bigint PRIMARY "
                              "KEY, at timestamptz DEFAULT now())")
    pg.psql(lab, leader_node, f"GRANT INSERT, SELECT ON {pg.APP_TABLE} TO {pg.APP_USER}")


def sync_standby(lab: Lab, via: str) -> str | None:
    """The synchronous standby (synchronous_mode: the only member a switchover or failover may
    promote) as `via`'s Patroni reports it."""
    addr = next(n.addr for n in lab_nodes(lab) if n.name == via)
    found = [m.name for m in cluster(lab, via, addr) if m.role == "sync_standby"]
    return found[0] if len(found) == 1 else None


def switchover(lab: Lab, via: str, current: str, candidate: str) -> None:
    """`patronictl switchover --leader CURRENT --candidate CANDIDATE --force`, run in `via`;
    LabError unless patronictl says it switched over (it exits 0 when it refuses)."""
    out = run(lab, via, [PATRONICTL, "-c", PATRONI_CONF, "switchover", "--leader", current,
                         "--candidate", candidate, "--force"], user="postgres", timeout=60)
    if "Successfully switched over" not in out:
        raise LabError(f"patronictl switchover to {candidate} in {via}: {out.strip()}")
