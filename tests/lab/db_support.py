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

Redis: vigil.lab.redisdb says what ocf:heartbeat:redis needs and why.
"""

from __future__ import annotations

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
from vigil.lab.redisdb import (  # noqa: F401,E402  (the lab tests' names)
    REDIS_AGENT,
    REDIS_CLI,
    REDIS_CONF,
    REDIS_DIR,
    REDIS_PORT,
    REDIS_SERVER,
    REDIS_SOCKET,
    redis_cli,
    redis_replication,
    redis_requirements,
    redis_resource_args,
    setup_redis,
)
