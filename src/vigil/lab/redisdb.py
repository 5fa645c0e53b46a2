"""Redis in the lab's nodes, prepared as an operator prepares it for resource-agents'
ocf:heartbeat:redis (and ocf:vigil:redis, which is that agent with promotion by replication
offset): each node's redis.conf and data directory on its disk, replication checked by hand,
the resource's arguments. Used by the lab tests and by `vigil demo postgres`.

What the agent needs (read from the agent itself, /usr/lib/ocf/resource.d/heartbeat/redis):

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

from vigil.lab.dbnode import DB_ROOT, Node, chown_tree, disk, lab_nodes, prepare_node, run
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.postgres import wait_until

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
        "# vigil.lab.redisdb: this node's Redis (the agent adds --daemonize, "
        "--unixsocket, --pidfile)",
        # every address of the node: the write VIP comes and goes with the master
        "bind 0.0.0.0",
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


def redis_resource_args(rsc: str = "redis", *, agent: str = "ocf:heartbeat:redis") -> list[str]:
    """`vigil resource create` arguments for a promotable redis resource: resource-agents'
    agent, or ocf:vigil:redis (the same, promoting the replica that received the most)."""
    return ["resource", "create", rsc, agent,
            f"config={REDIS_CONF}", f"port={REDIS_PORT}",
            "op", "start", "timeout=60s", "stop", "timeout=60s", "promote", "timeout=60s",
            "demote", "timeout=60s", "notify", "timeout=60s",
            "monitor", "interval=5s", "timeout=20s", "role=Promoted",
            "monitor", "interval=6s", "timeout=20s", "role=Unpromoted",
            "promotable", "notify=true", "promoted-max=1", "promoted-node-max=1"]
