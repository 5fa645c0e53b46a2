"""Replicated databases in the lab's nodes (PostgreSQL: vigil.lab.postgres; Redis: here),
prepared as an operator prepares them for Pacemaker: Debian's PostgreSQL 15 for PAF's
ocf:heartbeat:pgsqlms, and Redis for ocf:heartbeat:redis.

What the agents need (read from the agents themselves, /usr/lib/ocf/resource.d/heartbeat/pgsqlms
and .../redis, and PAF's README):

PostgreSQL (pgsqlms, PAF 2.3):
- a PGDATA per node. The nodes share the host's filesystem except their private /run, /tmp,
  /dev/shm and their "disk" (vigil.lab: /var/lib/vigil is bind-mounted from the node's own state
  directory), so PGDATA lives on that disk, at the same path in every node: PGDATA below. It
  survives the node's power cycles, as a real disk does.
- one primary made with initdb, the others base backups of it (pg_basebackup over the lab's
  network, as the replication user); wal_level replica, hot standby;
- PostgreSQL >= 12: no recovery.conf template (its presence is refused), but in the
  configuration recovery_target_timeline = 'latest' and primary_conninfo with
  application_name = the node's name as the cluster knows it (validate-all checks both with
  `postgres -C`). The agent writes standby.signal itself on every start: every instance starts
  as a standby and one is promoted. primary_conninfo names every node's address with
  target_session_attrs=read-write, so a standby finds whichever node is the primary now (after
  a failover too) without a floating IP;
- pg_hba: the replication user from the lab's addresses (10.213.0.0/16); the agent itself
  connects over the Unix socket (pghost) as system_user (postgres, peer authentication);
- the resource: pgdata, bindir (/usr/lib/postgresql/15/bin, Debian's), pghost (the socket
  directory: /tmp, private to each node), pgport; meta notify=true and promoted-max 1
  (validate-all refuses the resource without them: it asks `crm_resource --meta
  --get-parameter notify` and reads OCF_RESKEY_CRM_meta_master_max), and
  OCF_RESKEY_crm_feature_set >= 3.0.9 in its environment;
- the instances stopped cleanly before the cluster takes them (PAF's quick start): on its first
  start, the instance that was a primary ("shut down" in pg_controldata) sets a promotion score
  of 1 when no node has one, so it is the one promoted.
- at run time it calls crm_master (--lifetime forever, --get-value/--update, --node), crm_node
  (--partition; -n through ocf_local_nodename when pacemakerd is on the PATH), crm_resource
  (--meta --get-parameter notify), attrd_updater (--private --lifetime reboot: --update,
  --query [--node], --delete), all from $HA_SBIN_DIR, and writes temporary files in
  $HA_RSCTMP (/run/resource-agents, which systemd-tmpfiles creates on a real host; the nodes'
  /run is a fresh tmpfs, so the node's boot creates it: vigil.lab.nodeinit). Its promote needs the pre-promote
  notification (each node's lsn_location private attribute) and fails without it.

Redis (ocf:heartbeat:redis):
- `config` (one path, same on every node): the file lives on each node's disk, with the node's
  own `dir` (dump.rdb), `bind` on the node's address and loopback, `port`;
- it runs redis-server as user redis with --unixsocket and --pidfile in `rundir` (private /run)
  and talks to it over that socket;
- replication: the promoted node's name is stored as a cluster property
  `<rsc>_REPL_INFO` in the property set `redis_replication` (crm_attribute --type crm_config);
  the others run `SLAVEOF <that node name> <port>`: node names must resolve in every node
  (`prepare_node` binds a hosts file with the lab's names on the node's /etc/hosts, in the
  node's private mount namespace);
- its promotion score: crm_master -N <node> -l reboot (-v, -G --quiet, -D); slave_priority
  (replica-priority) + connected clients when none is set;
- whether a promoted instance is already active: `crm_mon -1 --output-as=xml` on a CIB from
  `cibadmin -Q` (ocf-shellfuncs' crm_mon_no_validation, both from $HA_SBIN_DIR), looking for
  the resource with role="Promoted" (or Master), active, not failed. Without it a replica is
  pointed at the placeholder "no-such-master" and never replicates;
- node name through ocf_attribute_target: OCF_RESKEY_CRM_meta_on_node, else crm_node -n.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from vigil.lab import Lab
from vigil.lab.dbnode import (  # noqa: F401  (the lab tests' names)
    CMD_TIMEOUT_S,
    DB_ROOT,
    HOSTS_FILE,
    LAB_NET,
    Node,
    chown_tree,
    disk,
    lab_nodes,
    prepare_node,
    run,
)
from vigil.lab.errors import LabError
from vigil.lab.postgres import (  # noqa: F401  (the lab tests' names)
    PG_BIN,
    PG_PORT,
    PG_SOCKET_DIR,
    PGDATA,
    PGSQLMS,
    REPL_USER,
    pg_ctl,
    pg_in_recovery,
    pg_state,
    pg_streaming_to,
    pgsql_requirements,
    pgsql_resource_args,
    psql,
    setup_postgres,
    wait_until,
)

REDIS_AGENT = "/usr/lib/ocf/resource.d/heartbeat/redis"
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
REDIS_DIR = f"{DB_ROOT}/redis"
REDIS_CONF = f"{REDIS_DIR}/redis.conf"
REDIS_RUNDIR = "/run/redis"  # the agent's default rundir: private to each node
REDIS_SOCKET = f"{REDIS_RUNDIR}/redis.sock"
REDIS_PORT = 6379


def redis_requirements() -> str | None:
    missing = [p for p in (REDIS_SERVER, REDIS_CLI, REDIS_AGENT) if not os.access(p, os.X_OK)]
    if missing:
        return f"{', '.join(missing)} missing: bash scripts/install.sh installs redis-server"
    return None


# ---------------------------------------------------------------------------- Redis
def _redis_conf(node: Node) -> str:
    return "\n".join([
        "# tests/lab/db_support.py: this node's Redis (the agent adds --daemonize, "
        "--unixsocket, --pidfile)",
        f"bind {node.addr} 127.0.0.1",
        "protected-mode no",
        f"port {REDIS_PORT}",
        f"dir {REDIS_DIR}",
        "dbfilename dump.rdb",
        f"logfile {REDIS_DIR}/redis.log",
        "save \"\"",
        "appendonly no",
        "replica-priority 100",
        "replica-read-only yes",
        "repl-diskless-sync no",
        "",
    ])


def redis_cli(lab: Lab, node: str, *args: str, timeout: float = 10.0) -> str:
    """redis-cli over the agent's Unix socket in `node`."""
    return run(lab, node, [REDIS_CLI, "-s", REDIS_SOCKET, *args], timeout=timeout)


def redis_replication(lab: Lab, node: str) -> dict[str, str]:
    """`INFO replication` on `node` as a dict (role, master_host, master_link_status,
    connected_slaves, ...); {} when the server does not answer."""
    try:
        out = redis_cli(lab, node, "INFO", "replication")
    except (LabError, subprocess.TimeoutExpired):
        return {}
    info = {}
    for line in out.replace("\r", "").splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            info[key] = value
    return info


def _redis_start_by_hand(lab: Lab, node: str) -> None:
    run(lab, node, ["install", "-d", "-o", "redis", "-g", "redis", "-m", "0755", REDIS_RUNDIR])
    run(lab, node, [REDIS_SERVER, REDIS_CONF, "--daemonize", "yes", "--unixsocket", REDIS_SOCKET,
                    "--pidfile", f"{REDIS_RUNDIR}/redis-server.pid"], user="redis")
    wait_until(f"redis answers in {node}",
               lambda: redis_replication(lab, node).get("role") is not None, timeout=20)


def _redis_get_is(lab: Lab, node: str, key: str, value: str) -> bool:
    return redis_cli(lab, node, "GET", key).strip() == value


def _redis_gone(lab: Lab, node: str) -> bool:
    return run(lab, node, ["pidof", "redis-server"], check=False) == ""


def setup_redis(lab: Lab, *, check_primary: str = "n1") -> None:
    """Each node's redis.conf and data directory on its disk; checked by hand: `check_primary`
    a master, the others its replicas by node name (so names resolve), a key written on the
    master read on each replica; then every server stopped and its dump removed, so the
    cluster starts from empty, equal servers."""
    nodes = lab_nodes(lab)
    for n in nodes:
        prepare_node(lab, n.name)
        d = disk(lab, n.name, REDIS_DIR)
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(mode=0o750)
        (d / "redis.conf").write_text(_redis_conf(n))
        os.chmod(d / "redis.conf", 0o640)
        chown_tree(d, "redis")
    for n in nodes:
        _redis_start_by_hand(lab, n.name)
    for n in nodes:
        if n.name != check_primary:
            redis_cli(lab, n.name, "REPLICAOF", check_primary, str(REDIS_PORT))
    replicas = [n.name for n in nodes if n.name != check_primary]
    wait_until(f"{replicas} replicate from {check_primary}",
               lambda: all(redis_replication(lab, r).get("master_link_status") == "up"
                           for r in replicas), timeout=60)
    assert redis_replication(lab, check_primary).get("connected_slaves") == str(len(replicas))
    redis_cli(lab, check_primary, "SET", "lab-check", check_primary)
    for r in replicas:
        wait_until(f"{r} reads the master's key",
                   functools.partial(_redis_get_is, lab, r, "lab-check", check_primary), timeout=20)
    for n in nodes:
        redis_cli(lab, n.name, "SHUTDOWN", "NOSAVE")
    for n in nodes:
        wait_until(f"redis stopped in {n.name}",
                   functools.partial(_redis_gone, lab, n.name), timeout=20)
        (disk(lab, n.name, REDIS_DIR) / "dump.rdb").unlink(missing_ok=True)


def redis_resource_args(rsc: str = "redis") -> list[str]:
    """`vigil resource create` arguments for a promotable ocf:heartbeat:redis resource."""
    return ["resource", "create", rsc, "ocf:heartbeat:redis",
            f"config={REDIS_CONF}", f"port={REDIS_PORT}",
            "op", "start", "timeout=60s", "stop", "timeout=60s", "promote", "timeout=60s",
            "demote", "timeout=60s", "notify", "timeout=60s",
            "monitor", "interval=5s", "timeout=20s", "role=Promoted",
            "monitor", "interval=6s", "timeout=20s", "role=Unpromoted",
            "promotable", "notify=true", "promoted-max=1", "promoted-node-max=1"]
