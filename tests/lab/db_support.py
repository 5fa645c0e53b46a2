"""Replicated databases in the lab's nodes, prepared as an operator prepares them for Pacemaker:
Debian's PostgreSQL 15 for PAF's ocf:heartbeat:pgsqlms, and Redis for ocf:heartbeat:redis.

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
  /run is a fresh tmpfs, so `prepare_node` creates it). Its promote needs the pre-promote
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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil.lab import Lab

PG_BIN = "/usr/lib/postgresql/15/bin"
PGSQLMS = "/usr/lib/ocf/resource.d/heartbeat/pgsqlms"
REDIS_AGENT = "/usr/lib/ocf/resource.d/heartbeat/redis"
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"

DB_ROOT = "/var/lib/vigil/lab-db"  # on each node's own disk (vigil.lab binds /var/lib/vigil)
PGDATA = f"{DB_ROOT}/pgsql"
PG_SOCKET_DIR = "/tmp"  # private to each node
PG_PORT = 5432
REPL_USER = "replicator"
REDIS_DIR = f"{DB_ROOT}/redis"
REDIS_CONF = f"{REDIS_DIR}/redis.conf"
REDIS_RUNDIR = "/run/redis"  # the agent's default rundir: private to each node
REDIS_SOCKET = f"{REDIS_RUNDIR}/redis.sock"
REDIS_PORT = 6379
HOSTS_FILE = f"{DB_ROOT}/hosts"
HA_RSCTMP = "/run/resource-agents"  # ocf-directories' default
LAB_NET = "10.213.0.0/16"
CMD_TIMEOUT_S = 60.0


def pgsql_requirements() -> str | None:
    missing = [p for p in (f"{PG_BIN}/postgres", f"{PG_BIN}/initdb", f"{PG_BIN}/pg_basebackup",
                           f"{PG_BIN}/psql", PGSQLMS) if not os.access(p, os.X_OK)]
    if missing:
        return (f"PostgreSQL 15 or PAF is missing ({', '.join(missing)}): bash scripts/install.sh "
                f"installs postgresql and resource-agents-paf")
    return None


def redis_requirements() -> str | None:
    missing = [p for p in (REDIS_SERVER, REDIS_CLI, REDIS_AGENT) if not os.access(p, os.X_OK)]
    if missing:
        return f"{', '.join(missing)} missing: bash scripts/install.sh installs redis-server"
    return None


@dataclass(frozen=True)
class Node:
    name: str
    addr: str  # on link 0 (eth0)


def lab_nodes(lab: Lab) -> tuple[Node, ...]:
    return tuple(Node(h.name, h.addrs[0]) for h in lab.topology.nodes)


def run(lab: Lab, node: str, argv: Sequence[str], *, user: str | None = None,
        timeout: float = CMD_TIMEOUT_S, check: bool = True) -> str:
    """Run argv in `node` (as `user` through runuser), its stdout; AssertionError with the
    output when it fails and `check`."""
    full = ["runuser", "-u", user, "--", *argv] if user else list(argv)
    proc = lab.exec(node, full, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(full)} in {node}: rc={proc.returncode} "
                             f"{proc.stdout.strip()} {proc.stderr.strip()}")
    return str(proc.stdout)


def _disk(lab: Lab, node: str, path: str) -> Path:
    """`path` (below /var/lib/vigil in the node) as seen from the host: the node's disk."""
    rel = Path(path).relative_to("/var/lib/vigil")
    return lab.node_dir(node) / "var/lib/vigil" / rel


def _chown_tree(path: Path, user: str) -> None:
    for p in (path, *path.rglob("*")):
        shutil.chown(p, user, user)


# ---------------------------------------------------------------------------- the node itself
def prepare_node(lab: Lab, node: str) -> None:
    """What a real host has from its boot and its /etc that a lab node lacks: $HA_RSCTMP
    (systemd-tmpfiles makes it) and the cluster's node names in /etc/hosts. Both are private to
    the node's current boot (its /run tmpfs and mount namespace): call it again after a power
    cycle."""
    disk = _disk(lab, node, DB_ROOT)
    disk.mkdir(mode=0o755, parents=True, exist_ok=True)
    hosts = _disk(lab, node, HOSTS_FILE)
    base = Path("/etc/hosts").read_text()
    names = "".join(f"{n.addr} {n.name}\n" for n in lab_nodes(lab))
    hosts.write_text(base.rstrip("\n") + "\n# the lab's nodes (tests/lab/db_support.py)\n" + names)
    os.chmod(hosts, 0o644)
    run(lab, node, ["mkdir", "-p", "-m", "0755", HA_RSCTMP])
    mounted = run(lab, node, ["findmnt", "-n", "-o", "SOURCE", "/etc/hosts"], check=False)
    if "lab-db" not in mounted:
        run(lab, node, ["mount", "--bind", HOSTS_FILE, "/etc/hosts"])


# ---------------------------------------------------------------------------- PostgreSQL
def primary_conninfo(node: str, nodes: Sequence[Node]) -> str:
    hosts = ",".join(n.addr for n in nodes)
    ports = ",".join(str(PG_PORT) for _ in nodes)
    return (f"host={hosts} port={ports} user={REPL_USER} application_name={node} "
            f"target_session_attrs=read-write connect_timeout=2")


def _pg_conf(nodes: Sequence[Node]) -> str:
    return "\n".join([
        "# tests/lab/db_support.py: a small instance replicated over the lab's network",
        "listen_addresses = '*'",
        f"port = {PG_PORT}",
        f"unix_socket_directories = '{PG_SOCKET_DIR}'",
        "max_connections = 30",
        "shared_buffers = 16MB",
        "wal_level = replica",
        "max_wal_senders = 10",
        "max_replication_slots = 10",
        "wal_keep_size = 128MB",
        "hot_standby = on",
        "hot_standby_feedback = on",
        "wal_receiver_status_interval = 1s",
        "wal_retrieve_retry_interval = 1s",
        "recovery_target_timeline = 'latest'",
        "logging_collector = on",
        "log_directory = 'log'",
        "log_filename = 'postgresql.log'",
        "log_line_prefix = '%m [%p] '",
        "include_if_exists = 'lab-node.conf'",
        "",
    ])


def _pg_hba() -> str:
    return "\n".join([
        "# tests/lab/db_support.py",
        "local   all          all                     peer",
        "host    all          all      127.0.0.1/32   scram-sha-256",
        f"host    replication  {REPL_USER}  {LAB_NET}  trust",
        f"host    postgres     {REPL_USER}  {LAB_NET}  trust",
        "",
    ])


def _write_node_conf(lab: Lab, node: str, nodes: Sequence[Node]) -> None:
    conf = _disk(lab, node, f"{PGDATA}/lab-node.conf")
    conf.write_text(f"# this node's own settings (tests/lab/db_support.py)\n"
                    f"primary_conninfo = '{primary_conninfo(node, nodes)}'\n")
    os.chmod(conf, 0o600)
    shutil.chown(conf, "postgres", "postgres")


def psql(lab: Lab, node: str, sql: str, *, timeout: float = 20.0) -> str:
    """One query on `node`'s instance over its Unix socket, as postgres: the value(s), unaligned."""
    return run(lab, node, [f"{PG_BIN}/psql", "-h", PG_SOCKET_DIR, "-p", str(PG_PORT), "-d",
                           "postgres", "-XAtq", "-c", sql], user="postgres",
               timeout=timeout).strip()


def pg_in_recovery(lab: Lab, node: str) -> bool | None:
    """pg_is_in_recovery() on `node`: True (a standby), False (a primary), None (no answer)."""
    try:
        out = psql(lab, node, "SELECT pg_is_in_recovery()", timeout=10)
    except (AssertionError, subprocess.TimeoutExpired):
        return None
    return {"t": True, "f": False}.get(out)


def pg_streaming_to(lab: Lab, node: str) -> list[str]:
    """application_name of each standby streaming from `node` (pg_stat_replication)."""
    out = psql(lab, node, "SELECT application_name FROM pg_stat_replication "
                          "WHERE state = 'streaming' ORDER BY 1")
    return [line for line in out.splitlines() if line]


def pg_ctl(lab: Lab, node: str, action: str, *extra: str, timeout: float = CMD_TIMEOUT_S) -> str:
    return run(lab, node, [f"{PG_BIN}/pg_ctl", "--pgdata", PGDATA, "-w", "--timeout",
                           str(int(timeout)), action, *extra], user="postgres",
               timeout=timeout + 10)


def pg_state(lab: Lab, node: str) -> str:
    """pg_controldata's "Database cluster state" on `node` (what pgsqlms reads)."""
    out = run(lab, node, [f"{PG_BIN}/pg_controldata", PGDATA], user="postgres")
    for line in out.splitlines():
        if line.startswith("Database cluster state:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no cluster state in pg_controldata on {node}: {out}")


def wait_until(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")


def _pg_count_is(lab: Lab, node: str, count: str) -> bool:
    return psql(lab, node, "SELECT count(*) FROM lab_check") == count


def setup_postgres(lab: Lab, *, primary: str = "n1", leave_running: bool = False) -> None:
    """A primary on `primary`, a streaming standby on every other node (base backups over the
    lab's network), checked by hand: each standby streams from the primary and a row written on
    the primary is read on each of them. Then, unless `leave_running`, every instance is
    stopped cleanly (primary last), as PAF's quick start leaves them for the cluster."""
    nodes = lab_nodes(lab)
    for n in nodes:
        prepare_node(lab, n.name)
        data = _disk(lab, n.name, PGDATA)
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(mode=0o700)
        shutil.chown(data, "postgres", "postgres")
    run(lab, primary, [f"{PG_BIN}/initdb", "-D", PGDATA, "-U", "postgres", "--no-sync",
                       "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8",
                       "--locale=C.UTF-8"], user="postgres", timeout=120)
    pdisk = _disk(lab, primary, PGDATA)
    with open(pdisk / "postgresql.conf", "a") as f:
        f.write("\n" + _pg_conf(nodes))
    (pdisk / "pg_hba.conf").write_text(_pg_hba())
    _write_node_conf(lab, primary, nodes)
    pg_ctl(lab, primary, "start", "-l", f"{PGDATA}/startup.log")
    psql(lab, primary, f"CREATE ROLE {REPL_USER} WITH REPLICATION LOGIN")
    psql(lab, primary, "CREATE TABLE lab_check (node text, at timestamptz DEFAULT now())")
    standbys = [n for n in nodes if n.name != primary]
    paddr = next(n.addr for n in nodes if n.name == primary)
    for n in standbys:
        data = _disk(lab, n.name, PGDATA)  # empty, the postgres user's, mode 0700
        run(lab, n.name, [f"{PG_BIN}/pg_basebackup", "-h", paddr, "-p", str(PG_PORT), "-U",
                          REPL_USER, "-D", PGDATA, "-X", "stream", "-c", "fast", "--no-sync"],
            user="postgres", timeout=180)
        _write_node_conf(lab, n.name, nodes)  # pg_basebackup copied the primary's
        standby_signal = data / "standby.signal"
        standby_signal.touch()
        shutil.chown(standby_signal, "postgres", "postgres")
        pg_ctl(lab, n.name, "start", "-l", f"{PGDATA}/startup.log")
    names = sorted(n.name for n in standbys)
    wait_until(f"{names} stream from {primary}",
               lambda: pg_streaming_to(lab, primary) == names, timeout=60)
    psql(lab, primary, f"INSERT INTO lab_check (node) VALUES ('{primary}')")
    for n in standbys:
        assert pg_in_recovery(lab, n.name) is True, f"{n.name} is not a standby"
        wait_until(f"{n.name} replays the primary's row",
                   functools.partial(_pg_count_is, lab, n.name, "1"), timeout=30)
    assert pg_in_recovery(lab, primary) is False
    if leave_running:
        return
    for n in standbys:
        pg_ctl(lab, n.name, "stop", "-m", "fast")
    pg_ctl(lab, primary, "stop", "-m", "fast")
    # what pgsqlms's first start reads: the former primary shut down, the standbys shut down
    # in recovery (only the former sets the bootstrap promotion score)
    assert pg_state(lab, primary) == "shut down", pg_state(lab, primary)
    for n in standbys:
        assert pg_state(lab, n.name) == "shut down in recovery", pg_state(lab, n.name)
    for n in nodes:  # the agent refuses a template file for PostgreSQL >= 12; none is left
        assert not (_disk(lab, n.name, PGDATA) / "recovery.conf.pcmk").exists()
        (_disk(lab, n.name, PGDATA) / "standby.signal").unlink(missing_ok=True)


def pgsql_resource_args(rsc: str = "pgsqld") -> list[str]:
    """`vigil resource create` arguments for a promotable pgsqlms resource over these instances
    (PAF's quick start's operations, in vigil's and pcs's syntax)."""
    return ["resource", "create", rsc, "ocf:heartbeat:pgsqlms",
            f"bindir={PG_BIN}", f"pgdata={PGDATA}", f"pghost={PG_SOCKET_DIR}",
            f"pgport={PG_PORT}",
            "op", "start", "timeout=60s", "stop", "timeout=60s", "promote", "timeout=30s",
            "demote", "timeout=120s", "notify", "timeout=60s",
            "monitor", "interval=5s", "timeout=10s", "role=Promoted",
            "monitor", "interval=6s", "timeout=10s", "role=Unpromoted",
            "promotable", "notify=true", "promoted-max=1", "promoted-node-max=1"]


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
    except (AssertionError, subprocess.TimeoutExpired):
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
        d = _disk(lab, n.name, REDIS_DIR)
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(mode=0o750)
        (d / "redis.conf").write_text(_redis_conf(n))
        os.chmod(d / "redis.conf", 0o640)
        _chown_tree(d, "redis")
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
        (_disk(lab, n.name, REDIS_DIR) / "dump.rdb").unlink(missing_ok=True)


def redis_resource_args(rsc: str = "redis") -> list[str]:
    """`vigil resource create` arguments for a promotable ocf:heartbeat:redis resource."""
    return ["resource", "create", rsc, "ocf:heartbeat:redis",
            f"config={REDIS_CONF}", f"port={REDIS_PORT}",
            "op", "start", "timeout=60s", "stop", "timeout=60s", "promote", "timeout=60s",
            "demote", "timeout=60s", "notify", "timeout=60s",
            "monitor", "interval=5s", "timeout=20s", "role=Promoted",
            "monitor", "interval=6s", "timeout=20s", "role=Unpromoted",
            "promotable", "notify=true", "promoted-max=1", "promoted-node-max=1"]
