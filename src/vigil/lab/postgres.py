"""PostgreSQL 15 in the lab's nodes, prepared as an operator prepares it for PAF's
ocf:heartbeat:pgsqlms (see tests/lab/db_support.py for what the agent needs and why): a primary,
streaming standbys made by base backups over the lab's network, the resource's arguments.
Used by the lab tests and by `vigil demo postgres`."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence

from vigil.lab.dbnode import (
    CMD_TIMEOUT_S,
    DB_ROOT,
    LAB_NET,
    Node,
    disk,
    lab_nodes,
    prepare_node,
    run,
)
from vigil.lab.errors import LabError, LabTimeout
from vigil.lab.lab import Lab

PG_BIN = "/usr/lib/postgresql/15/bin"
PGSQLMS = "/usr/lib/ocf/resource.d/heartbeat/pgsqlms"
PGDATA = f"{DB_ROOT}/pgsql"
PG_SOCKET_DIR = "/tmp"  # private to each node
PG_PORT = 5432
REPL_USER = "replicator"
REWIND_USER = "rewinder"  # an old primary rewinds (or base-backs up) from the new one as this role
APP_USER = "app"  # the clients' role: from the lab's addresses, INSERT and SELECT on APP_TABLE
APP_TABLE = "writes"
SYNC_STANDBYS = "ANY 1 (*)"  # synchronous mode: a commit is acknowledged once a standby has it


def pgsql_requirements() -> str | None:
    missing = [p for p in (f"{PG_BIN}/postgres", f"{PG_BIN}/initdb", f"{PG_BIN}/pg_basebackup",
                           f"{PG_BIN}/psql", PGSQLMS) if not os.access(p, os.X_OK)]
    if missing:
        return (f"PostgreSQL 15 or PAF is missing ({', '.join(missing)}): bash scripts/install.sh "
                f"installs postgresql and resource-agents-paf")
    return None


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise LabError(f"PostgreSQL setup: {what}")


def primary_conninfo(node: str, nodes: Sequence[Node], upstream: str | None = None) -> str:
    """Where `node` streams from as a standby: `upstream` (the write VIP), else every node's
    address in turn until one is read-write."""
    hosts = upstream or ",".join(n.addr for n in nodes)
    ports = ",".join(str(PG_PORT) for _ in hosts.split(","))
    return (f"host={hosts} port={ports} user={REPL_USER} application_name={node} "
            f"target_session_attrs=read-write connect_timeout=2 keepalives_idle=2 "
            f"keepalives_interval=1 keepalives_count=3 tcp_user_timeout=3000")


def _pg_conf(nodes: Sequence[Node]) -> str:
    return "\n".join([
        "# vigil.lab.postgres: a small instance replicated over the lab's network",
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
        # a standby whose primary lost its power sees no RST: without these it waits 60 s
        # (the default) before it looks for the new primary, and a synchronous primary cannot
        # commit until a standby is back
        "wal_receiver_timeout = 5s",
        "wal_log_hints = on",  # what pg_rewind needs of a cluster without data checksums
        "wal_sender_timeout = 5s",
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
        "# vigil.lab.postgres",
        "local   all          all                     peer",
        "host    all          all      127.0.0.1/32   scram-sha-256",
        f"host    replication  {REPL_USER}  {LAB_NET}  trust",
        f"host    postgres     {REPL_USER}  {LAB_NET}  trust",
        f"host    postgres     {APP_USER}   {LAB_NET}  trust",
        f"host    postgres     {REWIND_USER}  {LAB_NET}  trust",
        f"host    replication  {REWIND_USER}  {LAB_NET}  trust",
        "",
    ])


def _write_node_conf(lab: Lab, node: str, nodes: Sequence[Node], *,
                     synchronous: bool = False, upstream: str | None = None) -> None:
    conf = disk(lab, node, f"{PGDATA}/lab-node.conf")
    # synchronous_standby_names on every node: whichever is promoted waits for a standby
    sync = f"synchronous_standby_names = '{SYNC_STANDBYS}'\n" if synchronous else ""
    conninfo = primary_conninfo(node, nodes, upstream)
    conf.write_text(f"# this node's own settings (vigil.lab.postgres)\n"
                    f"primary_conninfo = '{conninfo}'\n{sync}")
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
    except (LabError, subprocess.TimeoutExpired):
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
    raise LabError(f"no cluster state in pg_controldata on {node}: {out}")


def postmaster_pid(lab: Lab, node: str) -> int | None:
    """The host PID of `node`'s postmaster (of PGDATA), None when none runs."""
    for pid in lab.pids(node):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"/bin/postgres") and PGDATA.encode() in argv:
            return pid
    return None


def wait_until(what: str, predicate: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise LabTimeout(f"timed out after {timeout:.0f} s waiting until {what}")


def _pg_count_is(lab: Lab, node: str, count: str) -> bool:
    return psql(lab, node, "SELECT count(*) FROM lab_check") == count


def setup_postgres(lab: Lab, *, primary: str = "n1", leave_running: bool = False,
                   synchronous: bool = False, upstream: str | None = None) -> None:
    """A primary on `primary`, a streaming standby on every other node (base backups over the
    lab's network), checked by hand: each standby streams from the primary and a row written on
    the primary is read on each of them. Then, unless `leave_running`, every instance is
    stopped cleanly (primary last), as PAF's quick start leaves them for the cluster. With
    `synchronous`, the instances are configured (for their next start) to acknowledge a commit
    only once a standby has flushed it. With `upstream` (the write VIP, which follows the
    primary), the instances are configured (for their next start) to stream from it, as PAF's
    quick start does; without, from every node's address in turn until one is read-write. The
    VIP is faster after a power cut: a standby follows the new primary as soon as its VIP is up,
    where the list costs connect_timeout (2 s, libpq's least) on the dead node at every round,
    3 s a round with wal_retrieve_retry_interval, and a synchronous primary commits nothing
    until a standby is back. The role APP_USER may write APP_TABLE from the lab."""
    nodes = lab_nodes(lab)
    for n in nodes:
        prepare_node(lab, n.name)
        data = disk(lab, n.name, PGDATA)
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(mode=0o700)
        shutil.chown(data, "postgres", "postgres")
    run(lab, primary, [f"{PG_BIN}/initdb", "-D", PGDATA, "-U", "postgres", "--no-sync",
                       "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8",
                       "--locale=C.UTF-8"], user="postgres", timeout=120)
    pdisk = disk(lab, primary, PGDATA)
    with open(pdisk / "postgresql.conf", "a") as f:
        f.write("\n" + _pg_conf(nodes))
    (pdisk / "pg_hba.conf").write_text(_pg_hba())
    _write_node_conf(lab, primary, nodes)
    pg_ctl(lab, primary, "start", "-l", f"{PGDATA}/startup.log")
    psql(lab, primary, f"CREATE ROLE {REPL_USER} WITH REPLICATION LOGIN")
    psql(lab, primary, "CREATE TABLE lab_check (node text, at timestamptz DEFAULT now())")
    psql(lab, primary, f"CREATE ROLE {APP_USER} WITH LOGIN")
    psql(lab, primary, f"CREATE TABLE {APP_TABLE} (id bigint PRIMARY KEY, "
                       "at timestamptz DEFAULT now())")
    psql(lab, primary, f"GRANT INSERT, SELECT ON {APP_TABLE} TO {APP_USER}")
    # pg_rewind's needs from its source, without a superuser (PostgreSQL's documentation)
    psql(lab, primary, f"CREATE ROLE {REWIND_USER} WITH LOGIN REPLICATION")
    for fn in ("pg_ls_dir(text, boolean, boolean)", "pg_stat_file(text, boolean)",
               "pg_read_binary_file(text)", "pg_read_binary_file(text, bigint, bigint, boolean)"):
        psql(lab, primary, f"GRANT EXECUTE ON FUNCTION pg_catalog.{fn} TO {REWIND_USER}")
    standbys = [n for n in nodes if n.name != primary]
    paddr = next(n.addr for n in nodes if n.name == primary)
    for n in standbys:
        data = disk(lab, n.name, PGDATA)  # empty, the postgres user's, mode 0700
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
        _expect(pg_in_recovery(lab, n.name) is True, f"{n.name} is not a standby")
        wait_until(f"{n.name} replays the primary's row",
                   functools.partial(_pg_count_is, lab, n.name, "1"), timeout=30)
    _expect(pg_in_recovery(lab, primary) is False, f"{primary} is not a primary")
    if synchronous or upstream:
        for n in nodes:
            _write_node_conf(lab, n.name, nodes, synchronous=synchronous, upstream=upstream)
    if leave_running:
        return
    for n in standbys:
        pg_ctl(lab, n.name, "stop", "-m", "fast")
    pg_ctl(lab, primary, "stop", "-m", "fast")
    # what pgsqlms's first start reads: the former primary shut down, the standbys shut down
    # in recovery (only the former sets the bootstrap promotion score)
    state = pg_state(lab, primary)
    _expect(state == "shut down", f"{primary} left as {state!r}")
    for n in standbys:
        state = pg_state(lab, n.name)
        _expect(state == "shut down in recovery", f"{n.name} left as {state!r}")
    for n in nodes:  # the agent refuses a template file for PostgreSQL >= 12; none is left
        (disk(lab, n.name, PGDATA) / "standby.signal").unlink(missing_ok=True)


def rewind_source(nodes: Sequence[Node]) -> str:
    """Where an old primary finds the primary of now: every node, the one that is read-write."""
    hosts = ",".join(n.addr for n in nodes)
    ports = ",".join(str(PG_PORT) for _ in nodes)
    return (f"host={hosts} port={ports} user={REWIND_USER} dbname=postgres "
            f"target_session_attrs=read-write connect_timeout=2")


PROMOTED_MONITOR_S = 5  # how often the primary is checked: a crashed one is seen within this


def pgsql_resource_args(rsc: str = "pgsqld", *, agent: str = "ocf:heartbeat:pgsqlms",
                        extra: Sequence[str] = (), meta: Sequence[str] = ()) -> list[str]:
    """`vigil resource create` arguments for a promotable pgsqlms resource over these instances
    (PAF's quick start's operations, in vigil's and pcs's syntax). `agent`: PAF's, or
    ocf:vigil:pgsqlms (PAF's plus the old primary's rejoin; `extra` then gives its
    rewind_source=...); `meta`: more of the clone's meta attributes (name=value)."""
    return ["resource", "create", rsc, agent, *extra,
            f"bindir={PG_BIN}", f"pgdata={PGDATA}", f"pghost={PG_SOCKET_DIR}",
            f"pgport={PG_PORT}",
            "op", "start", "timeout=60s", "stop", "timeout=60s", "promote", "timeout=30s",
            "demote", "timeout=120s", "notify", "timeout=60s",
            "monitor", f"interval={PROMOTED_MONITOR_S}s", "timeout=10s", "role=Promoted",
            "monitor", "interval=6s", "timeout=10s", "role=Unpromoted",
            "promotable", "notify=true", "promoted-max=1", "promoted-node-max=1", *meta]


def rebuild_standby(lab: Lab, node: str, primary: str, *, upstream: str | None = None) -> None:
    """What an operator does by hand for an old primary that PAF refuses to start as a standby
    (PAF's documented procedure), with the cluster stack kept off on `node`: its data directory
    replaced by a base backup of `primary` with this lab's configuration, started as a standby
    until it streams, then shut down cleanly in recovery, as PAF expects a standby it starts."""
    nodes = lab_nodes(lab)
    paddr = next(n.addr for n in nodes if n.name == primary)
    if postmaster_pid(lab, node) is not None:
        pg_ctl(lab, node, "stop", "-m", "immediate", timeout=60)
    data = disk(lab, node, PGDATA)
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(mode=0o700)
    shutil.chown(data, "postgres", "postgres")
    run(lab, node, [f"{PG_BIN}/pg_basebackup", "-h", paddr, "-p", str(PG_PORT), "-U", REPL_USER,
                    "-D", PGDATA, "-X", "stream", "-c", "fast", "--no-sync"],
        user="postgres", timeout=180)
    _write_node_conf(lab, node, nodes, synchronous=True, upstream=upstream)
    signal_file = data / "standby.signal"
    signal_file.touch()
    shutil.chown(signal_file, "postgres", "postgres")
    pg_ctl(lab, node, "start", "-l", f"{PGDATA}/startup.log")
    wait_until(f"{node} streams from {primary}", lambda: node in pg_streaming_to(lab, primary),
               timeout=60)
    pg_ctl(lab, node, "stop", "-m", "fast")
    signal_file.unlink(missing_ok=True)  # the agent makes its own
