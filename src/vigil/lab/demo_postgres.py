"""`vigil demo postgres`: the primary of a replicated PostgreSQL loses its power while a client
writes, told from the client's and the cluster's side.

    report = run_postgres_demo(out=print)    # builds lab "pgdemo", cuts the primary, tears down
    report.downtime_s, report.lost, report.promoted, report.rejoined

The lab: 3 nodes with fencing (the lab's power switch, stonith-action=off), Debian's PostgreSQL 15
on each, one primary and two streaming standbys (synchronous by default: a commit is acknowledged
once a standby has flushed it; `synchronous=False` for asynchronous), managed by PAF's pgsqlms as
the promotable clone pgsqld-clone, the write VIP pg-write-ip colocated with the promoted instance
and started after its promotion (PAF's quick start). A client in the client namespace commits
numbered rows through the VIP (vigil.lab.sql_client) and records each acknowledged commit. The
demo cuts the primary's power; the cluster fences it, promotes a standby and moves the VIP; the
demo prints the client's write downtime, the acknowledged rows missing on the new primary (0 in
synchronous mode) and the cluster's timeline, then powers the old primary on: it comes back as a
streaming standby by itself (ocf:vigil:pgsqlms rewinds it from the new primary).

Beside PostgreSQL, as in seed 004: Redis on every node, a promotable clone redis-clone
(ocf:vigil:redis: resource-agents' redis agent, promoting the replica that received the most)
whose master prefers the PostgreSQL primary's node (score 500: a more advanced replica elsewhere
still wins), its write VIP redis-write-ip; the client also writes to Redis (SET, then WAIT for a
replica) and the demo reports the acknowledged writes missing on the new master (Redis's
replication is asynchronous: WAIT narrows the window, it does not close it). beanstalkd follows
the PostgreSQL primary (with pg-write-ip); the demo queues jobs before the fault and counts the
queue on the new primary after it (vigil.lab.beanstalk says why they are not there).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vigil.lab import beanstalk, redisdb
from vigil.lab import postgres as pg
from vigil.lab.dbnode import DB_ROOT, disk, lab_nodes
from vigil.lab.demo import cluster_status, end_lab, story, vigil_ok, wait_tolerant
from vigil.lab.demo import requirements as web_requirements
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.lab.redis_client import KEY_PREFIX, RedisWriter
from vigil.lab.sql_client import SqlWriter, WriteRecord

PG_DEMO_NAME = "pgdemo"
WRITE_VIP = "10.213.0.101"
RSC = "pgsqld"
CLONE = f"{RSC}-clone"
PROMOTION_RECORD = f"vigil-promotion-{RSC}"  # ocf:vigil:pgsqlms's record of why (record_promotion)
VIP_RSC = "pg-write-ip"
AGENT = "ocf:vigil:pgsqlms"  # PAF's pgsqlms plus the old primary's rejoin (src/vigil/agents/pgsqlms)
AGENT_PATH = "/usr/lib/ocf/resource.d/vigil/pgsqlms"
FAILURE_TIMEOUT = "30s"
REDIS_RSC = "redis"
REDIS_CLONE = f"{REDIS_RSC}-clone"
REDIS_VIP = "10.213.0.102"
REDIS_VIP_RSC = "redis-write-ip"
REDIS_AGENT = "ocf:vigil:redis"  # resource-agents' redis, promoting by replication offset
REDIS_AGENT_PATH = "/usr/lib/ocf/resource.d/vigil/redis"
REDIS_WITH_PG_SCORE = "500"  # advisory: a replica that received more is promoted even elsewhere
QUEUE_RSC = "beanstalkd"
QUEUE_JOBS = 10
FAILOVER_TIMEOUT_S = 120.0
SETTLE_TIMEOUT_S = 150.0
REJOIN_TIMEOUT_S = 90.0

Out = Callable[[str], None]


@dataclass
class PostgresDemoReport:
    lab: str
    synchronous: bool
    primary: str = ""  # the node whose power was cut
    promoted: str = ""  # the standby promoted in its place
    downtime_s: float | None = None  # the longest time without an acknowledged commit
    acked: int = 0  # commits acknowledged to the client over the whole run
    acked_before_fault: int = 0
    lost: list[int] = field(default_factory=list)  # acknowledged, missing on the new primary
    in_doubt: int = 0  # writes that failed: the client was not told they were saved
    fenced: bool = False
    timeline: list[tuple[float, str, str]] = field(default_factory=list)
    promotion_why: str = ""  # `vigil explain`'s line on why the promoted standby was chosen
    rejoined: bool | None = None  # the old primary streams from the new one again
    rejoin_detail: str = ""
    # the planned switchover back to the old primary (`resource move --promoted`), once it rejoined
    switchover_s: float | None = None  # the client's longest time without a commit
    switchover_lost: list[int] = field(default_factory=list)
    switchover_acked: int = 0
    switchover_detail: str = ""
    # Redis beside it (asynchronous replication; WAIT 1 before a write counts as acknowledged)
    redis_master: str = ""  # the master before the fault
    redis_promoted: str = ""  # the master after it
    redis_downtime_s: float | None = None
    redis_acked: int = 0
    redis_lost: list[int] = field(default_factory=list)
    redis_in_doubt: int = 0
    # beanstalkd following the primary: jobs queued before the fault, ready on the new primary
    jobs_queued: int = 0
    jobs_after: int | None = None
    torn_down: bool = False
    total_s: float = 0.0


def requirements() -> str | None:
    """Why the demo cannot run here (one line), None if it can."""
    problem = web_requirements() or pg.pgsql_requirements()
    if problem:
        return problem
    problem = redisdb.redis_requirements() or beanstalk.requirements()
    if problem:
        return problem
    for path in (AGENT_PATH, REDIS_AGENT_PATH):
        if not os.access(path, os.X_OK):
            return f"{path} is missing: run `bash scripts/install.sh` (it installs vigil's agents)"
    try:
        import psycopg  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        return (f"{exc.name} (the demo's database client) is missing: run `bash scripts/install.sh` "
                "(it installs vigil's lab extra)")
    return None


def create_database_resources(lab: Lab, node: str) -> None:
    """Through `node`: PostgreSQL's resources (create_postgres_resources), then Redis's and
    beanstalkd's beside them (create_companion_resources)."""
    create_postgres_resources(lab, node)
    create_companion_resources(lab, node)


def create_postgres_resources(lab: Lab, node: str) -> None:
    """Through `node`: fencing, pgsqlms as a promotable clone, the write VIP with PAF's
    constraints (with the promoted instance, after its promotion, stopped before its demotion)."""
    lab.configure_fencing(node, timeout=30)
    source = pg.rewind_source(lab_nodes(lab))
    for args in postgres_commands(AGENT, extra=[f"rewind_source={source}"]):
        vigil_ok(lab, node, args)


def postgres_commands(agent: str, *, extra: Sequence[str] = ()) -> list[list[str]]:
    """The CLI commands (pcs's grammar) of the database's resources after fencing: `agent`
    (ocf:vigil:pgsqlms, or PAF's own for the Pacemaker anchor) as a promotable clone, the
    write VIP with the promoted instance, after its promotion, stopped before its demotion."""
    # failure-timeout: an old primary that boots before a standby was promoted cannot rejoin
    # yet (nothing to rewind from); its failed start bans it for this long, then it retries
    return [
        ["property", "set", "stonith-action=off"],
        pg.pgsql_resource_args(RSC, agent=agent, extra=extra,
                               meta=[f"failure-timeout={FAILURE_TIMEOUT}"]),
        ["resource", "create", VIP_RSC, "ocf:heartbeat:IPaddr2", f"ip={WRITE_VIP}",
         "cidr_netmask=24", "nic=eth0", "op", "monitor", "interval=5s"],
        ["constraint", "colocation", "add", VIP_RSC, "with", "Promoted", CLONE, "INFINITY"],
        ["constraint", "order", "promote", CLONE, "then", "start", VIP_RSC,
         "symmetrical=false", "kind=Mandatory"],
        ["constraint", "order", "demote", CLONE, "then", "stop", VIP_RSC,
         "symmetrical=false", "kind=Mandatory"],
    ]


def create_companion_resources(lab: Lab, node: str) -> None:
    """Through `node`: Redis as a promotable clone preferring the PostgreSQL primary's node, its
    write VIP with its master, beanstalkd with the PostgreSQL write VIP (seed 004's pair)."""
    vigil_ok(lab, node, redisdb.redis_resource_args(REDIS_RSC, agent=REDIS_AGENT))
    vigil_ok(lab, node, ["resource", "create", REDIS_VIP_RSC, "ocf:heartbeat:IPaddr2",
                          f"ip={REDIS_VIP}", "cidr_netmask=24", "nic=eth0", "op", "monitor",
                          "interval=5s"])
    vigil_ok(lab, node, ["constraint", "colocation", "add", "Promoted", REDIS_CLONE, "with",
                          "Promoted", CLONE, REDIS_WITH_PG_SCORE])
    vigil_ok(lab, node, ["constraint", "colocation", "add", REDIS_VIP_RSC, "with", "Promoted",
                          REDIS_CLONE, "INFINITY"])
    vigil_ok(lab, node, ["constraint", "order", "promote", REDIS_CLONE, "then", "start",
                          REDIS_VIP_RSC, "symmetrical=false", "kind=Mandatory"])
    vigil_ok(lab, node, ["constraint", "order", "demote", REDIS_CLONE, "then", "stop",
                          REDIS_VIP_RSC, "symmetrical=false", "kind=Mandatory"])
    vigil_ok(lab, node, beanstalk.beanstalkd_resource_args(QUEUE_RSC))
    vigil_ok(lab, node, ["constraint", "colocation", "add", QUEUE_RSC, "with", VIP_RSC,
                          "INFINITY"])
    vigil_ok(lab, node, ["constraint", "order", "start", VIP_RSC, "then", "start", QUEUE_RSC])


def nodes_in_role(lab: Lab, via: str, role: str, clone: str = CLONE) -> list[str]:
    """The nodes vigild (asked through `via`) shows an instance of `clone` on in `role`
    (Promoted, Unpromoted)."""
    data = cluster_status(lab, via, timeout=10)
    return [i["node"] for r in data["resources"] if r["id"] == clone
            for i in r.get("instances", []) if i.get("role") == role]


def promoted_node(lab: Lab, via: str, clone: str = CLONE) -> str | None:
    """The node vigild (asked through `via`) shows `clone` promoted on, if exactly one."""
    found = nodes_in_role(lab, via, "Promoted", clone)
    return found[0] if len(found) == 1 else None


def vip_node(lab: Lab, via: str, rsc: str = VIP_RSC) -> str | None:
    """The one node vigild shows the primitive `rsc` on, None if none or more."""
    data = cluster_status(lab, via, timeout=10)
    for r in data["resources"]:
        if r["id"] == rsc and len(r["nodes"]) == 1:
            return str(r["nodes"][0])
    return None


def redis_settled(lab: Lab, via: str, nodes: list[str]) -> str | None:
    """The Redis master once vigil and Redis agree on it, every other node replicates from it
    (link up) and its VIP is there; None before."""
    master = promoted_node(lab, via, REDIS_CLONE)
    if master is None or redisdb.redis_replication(lab, master).get("role") != "master":
        return None
    for n in nodes:
        if n != master:
            info = redisdb.redis_replication(lab, n)
            if info.get("master_host") != master or info.get("master_link_status") != "up":
                return None
    return master if vip_node(lab, via, REDIS_VIP_RSC) == master else None


def _redis_keys_on(lab: Lab, node: str) -> set[int]:
    out = redisdb.redis_cli(lab, node, "KEYS", f"{KEY_PREFIX}*", timeout=30)
    return {int(k[len(KEY_PREFIX):]) for k in out.split() if k.startswith(KEY_PREFIX)}


def settled_primary(lab: Lab, via: str, nodes: list[str]) -> str | None:
    """The primary once vigil and PostgreSQL agree on it, every other node streams from it and
    the VIP is there; None before."""
    primary = promoted_node(lab, via)
    if primary is None or pg.pg_in_recovery(lab, primary) is not False:
        return None
    others = sorted(n for n in nodes if n != primary)
    if pg.pg_streaming_to(lab, primary) != others or vip_node(lab, via) != primary:
        return None
    return primary


def rows_on(lab: Lab, node: str) -> set[int]:
    out = pg.psql(lab, node, f"SELECT id FROM {pg.APP_TABLE}", timeout=30)
    return {int(x) for x in out.split()}


def instance_problems(lab: Lab, via: str, node: str) -> str:
    """What vigil's status says about the clone's instance and failures on `node`."""
    data = cluster_status(lab, via, timeout=10)
    roles = [f"{i.get('role')}" for r in data["resources"] if r["id"] == CLONE
             for i in r.get("instances", []) if i.get("node") == node]
    failed = [f"{f.get('operation')} rc={f.get('rc_code')} ({f.get('exit_reason') or ''})"
              for f in data.get("failed_actions", []) if f.get("node") == node]
    text = f"vigil shows {CLONE} on {node} as {', '.join(roles) or 'Stopped'}"
    return text + (f"; failed: {'; '.join(failed)}" if failed else "")


def _writers_state(*loops: SqlWriter | RedisWriter) -> str:
    """What each client loop was told so far, for an error message."""
    parts = []
    for loop in loops:
        rec = loop.snapshot()
        last = rec.errors[-1][2] if rec.errors else ""
        parts.append(f"{loop.module}: {len(rec.acked)} acknowledged, {len(rec.errors)} failed"
                     + (f" (last: {last})" if last else ""))
    return "; ".join(parts)


def run_postgres_demo(*, synchronous: bool = True, keep: bool = False, out: Out = print,
                      name: str = PG_DEMO_NAME, token_ms: int = 1000) -> PostgresDemoReport:
    """The whole demo (see the module's docstring); LabError/LabTimeout on failure, after the
    teardown. Needs root."""
    problem = requirements()
    if problem:
        raise LabError(problem)
    t_start = time.monotonic()
    report = PostgresDemoReport(lab=name, synchronous=synchronous)
    mode = "synchronous" if synchronous else "asynchronous"

    def step(msg: str) -> None:
        out(f"[{time.monotonic() - t_start:5.1f}s] {msg}")

    lab: Lab | None = None
    writer: SqlWriter | None = None
    rwriter: RedisWriter | None = None
    try:
        step(f"creating lab {name!r}: 3 nodes, Corosync token {token_ms} ms")
        lab = Lab.up(nodes=3, token_ms=token_ms, name=name, timeout=60)
        nodes = list(lab.topology.node_names())
        first = nodes[0]
        wait_tolerant(lab, "vigild answers on every node", lambda: all(
            cluster_status(lab, n, timeout=10)["dc"] is not None for n in nodes), timeout=60)
        step(f"PostgreSQL 15 on every node: a primary on {first}, streaming standbys made by "
             f"pg_basebackup, {mode} replication; stopped cleanly for the cluster")
        pg.setup_postgres(lab, primary=first, synchronous=synchronous, upstream=WRITE_VIP)
        step("Redis on every node (replication checked by hand, then stopped for the cluster); "
             "beanstalkd's log directory on every node's disk")
        redisdb.setup_redis(lab, check_primary=first)
        beanstalk.setup_beanstalkd(lab)
        create_database_resources(lab, first)
        step(f"resources: {CLONE} (PAF's pgsqlms, promotable, promoted-max 1) and {VIP_RSC} "
             f"({WRITE_VIP}) with the promoted instance, after its promotion; {REDIS_CLONE} "
             f"({REDIS_AGENT}) preferring the same node, {REDIS_VIP_RSC} ({REDIS_VIP}) with "
             f"its master; {QUEUE_RSC} with {VIP_RSC}; fencing on")
        found: list[str] = []

        def settled() -> bool:
            p = settled_primary(lab, first, nodes) if lab is not None else None
            if p:
                found.append(p)
            return p is not None

        wait_tolerant(lab, "one primary promoted by vigil, the others streaming from it, the "
                      "VIP on it", settled, timeout=SETTLE_TIMEOUT_S, interval=0.5)
        primary = report.primary = found[-1]
        redis_found: list[str] = []

        def redis_ready() -> bool:
            m = redis_settled(lab, first, nodes) if lab is not None else None
            if m:
                redis_found.append(m)
            return m is not None and vip_node(lab, first, QUEUE_RSC) == primary

        wait_tolerant(lab, "a Redis master with its replicas and VIP, beanstalkd with the "
                      "primary", redis_ready, timeout=SETTLE_TIMEOUT_S, interval=0.5)
        report.redis_master = redis_found[-1]
        status_text = lab.vigil(first, ["status"], timeout=20).stdout
        out("\n".join("    " + ln for ln in status_text.rstrip().splitlines()))
        writer = SqlWriter(lab, f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}").start()
        w = writer
        rwriter = RedisWriter(lab, REDIS_VIP).start()
        rw = rwriter
        try:
            wait_tolerant(lab, "the client's first commits and Redis writes", lambda: (
                len(w.snapshot().acked) >= 20 and len(rw.snapshot().acked) >= 20)
                or bool(w.failure() or rw.failure()), timeout=30)
        except LabError as exc:
            raise LabError(f"{exc}; {_writers_state(w, rw)}") from None
        if w.failure() or rw.failure():
            raise LabError(f"the demo's client stopped: {w.failure() or rw.failure()}")
        report.jobs_queued = beanstalk.client(lab, "put", WRITE_VIP, QUEUE_JOBS)
        time.sleep(2.0)
        report.acked_before_fault = len(w.snapshot().acked)
        step(f"the client commits numbered rows through {WRITE_VIP} ({report.acked_before_fault} "
             f"acknowledged so far) and writes to Redis through {REDIS_VIP} (master "
             f"{report.redis_master}); {report.jobs_queued} jobs queued in beanstalkd; cutting "
             f"the power of the primary {primary}")
        t_fault = time.time()
        lab.power_off(primary)
        survivors = [n for n in nodes if n != primary]
        watcher = survivors[0]

        def failed_over() -> bool:
            p = promoted_node(lab, watcher) if lab is not None else None
            if p is not None and p != primary and w.acked_after(t_fault + 0.1):
                report.promoted = p
                return True
            return False

        wait_tolerant(lab, "a standby is promoted and the client's commits succeed again",
                      failed_over, timeout=FAILOVER_TIMEOUT_S, interval=0.1)

        def redis_failed_over() -> bool:
            m = promoted_node(lab, watcher, REDIS_CLONE) if lab is not None else None
            if m is not None and m != primary and rw.acked_after(t_fault + 0.1):
                report.redis_promoted = m
                return True
            return False

        wait_tolerant(lab, "a Redis replica is promoted and the client's writes succeed again",
                      redis_failed_over, timeout=FAILOVER_TIMEOUT_S, interval=0.1)
        t_back = time.time()
        time.sleep(2.0)  # two seconds of writes on the new primary
        record: WriteRecord = w.stop()
        writer = None
        rrecord = rwriter.stop()
        rwriter = None
        report.redis_acked = len(rrecord.acked)
        report.redis_in_doubt = len(rrecord.errors)
        report.redis_downtime_s = round(rrecord.gaps(t_fault), 3)
        report.redis_lost = sorted(set(rrecord.acked) - _redis_keys_on(lab, report.redis_promoted))
        wait_tolerant(lab, f"{QUEUE_RSC} runs with the new primary", lambda: vip_node(
            lab, watcher, QUEUE_RSC) == report.promoted, timeout=60, interval=0.5)
        report.jobs_after = beanstalk.client(lab, "count", WRITE_VIP)
        report.acked = len(record.acked)
        report.in_doubt = len(record.errors)
        report.downtime_s = round(record.gaps(t_fault), 3)
        rows = rows_on(lab, report.promoted)
        report.lost = sorted(set(record.acked) - rows)
        report.timeline = story(lab, survivors, t_fault, t_back + 1.0)
        report.fenced = any(off >= 0 and "fencing" in phrase and primary in phrase
                            and phrase.endswith("done") for off, _n, phrase in report.timeline)
        step(f"{report.promoted} is the primary: the client's longest time without a commit "
             f"{report.downtime_s:.2f} s; {len(report.lost)} of {report.acked} acknowledged "
             f"commits missing on {report.promoted}")
        step(f"{report.redis_promoted} is the Redis master: {report.redis_downtime_s:.2f} s "
             f"without an acknowledged write; {len(report.redis_lost)} of {report.redis_acked} "
             f"acknowledged writes missing; beanstalkd on {report.promoted} has "
             f"{report.jobs_after} of the {report.jobs_queued} jobs queued on {primary}")
        out(f"    what happened (seconds after the power cut of {primary}, from "
            f"{', '.join(survivors)}'s events.jsonl):")
        for off, node, phrase in report.timeline:
            out(f"    +{off:6.2f}s  {node:<4} {phrase}")
        report.promotion_why = promotion_reason(lab, watcher)
        step(f"why {report.promoted}, from `vigil explain {CLONE}`: "
             f"{report.promotion_why or 'no promotion record (see vigil explain)'}")
        step(f"powering the old primary {primary} on again")
        lab.power_on(primary)
        t_on = time.time()
        new = report.promoted
        try:
            wait_tolerant(lab, f"{primary} streams from {new}", lambda: primary in
                          pg.pg_streaming_to(lab, new), timeout=REJOIN_TIMEOUT_S, interval=1.0)
            report.rejoined = True
            kept = sorted(p.name for p in disk(lab, primary, DB_ROOT).glob("pgsql.before-rejoin.*"))
            how = (f"a fresh base backup (its old data directory kept as {kept[-1]})" if kept
                   else "pg_rewind")
            report.rejoin_detail = (f"{primary} streams from {new} as a standby, "
                                    f"{time.time() - t_on:.1f} s after its power came back, "
                                    f"through {how}, without operator action")
        except LabError:
            report.rejoined = False
            report.rejoin_detail = (f"{primary} does not stream from {new} after "
                                    f"{REJOIN_TIMEOUT_S:.0f} s: {instance_problems(lab, new, primary)}")
        step(report.rejoin_detail)
        if report.rejoined:
            _switchover(lab, report, primary, new, first_id=max(record.acked, default=0) + 1000,
                        step=step)
    finally:
        for loop in (writer, rwriter):
            if loop is not None:
                loop.stop()
        report.torn_down = end_lab(lab, name, keep=keep, step=step)
        report.total_s = round(time.monotonic() - t_start, 1)
    out(render_report(report))
    return report


def _switchover(lab: Lab, report: PostgresDemoReport, target: str, current: str, *,
                first_id: int, step: Out) -> None:
    """A planned switchover back to `target` while the client writes: `vigil resource move
    CLONE TARGET --promoted`, then `resource clear`. The old primary (`current`) must end up
    streaming from `target`, and no acknowledged commit may be missing."""
    step(f"planned switchover back to {target}: vigil resource move {CLONE} {target} --promoted, "
         "while the client writes")
    writer = SqlWriter(lab, f"host={WRITE_VIP} dbname=postgres user={pg.APP_USER}",
                       first_id=first_id).start()
    try:
        wait_tolerant(lab, "the client's first commits", lambda: len(writer.snapshot().acked) >= 20,
                      timeout=30)
        t_move = time.time()
        switchover_to(lab, current, target)

        def moved() -> bool:
            return promoted_node(lab, current) == target and writer.acked_after(t_move + 0.1) and (
                vip_node(lab, current) == target)

        wait_tolerant(lab, f"{target} is promoted and the client commits again", moved,
                      timeout=FAILOVER_TIMEOUT_S, interval=0.2)
        time.sleep(2.0)
    finally:
        record = writer.stop()
    report.switchover_acked = len(record.acked)
    report.switchover_s = round(record.gaps(t_move), 3)
    report.switchover_lost = sorted(set(record.acked) - rows_on(lab, target))
    vigil_ok(lab, current, ["resource", "clear", CLONE])
    try:
        wait_tolerant(lab, f"{current} streams from {target}", lambda: current in
                      pg.pg_streaming_to(lab, target), timeout=REJOIN_TIMEOUT_S, interval=1.0)
        follows = f"{current} streams from {target}"
    except LabError:
        follows = (f"{current} does NOT stream from {target}: "
                   f"{instance_problems(lab, target, current)}")
    report.switchover_detail = (f"{target} promoted; {report.switchover_s:.2f} s without a commit; "
                                f"{len(report.switchover_lost)} of {report.switchover_acked} "
                                f"acknowledged commits lost; {follows}")
    step(report.switchover_detail)


def switchover_to(lab: Lab, via: str, target: str) -> None:
    """`vigil resource move CLONE TARGET --promoted`, once vigil accepts it: it refuses while
    PAF's score for TARGET still says its standby is not connected (-1000, until the primary's
    next monitor sees it streaming)."""
    argv = ["resource", "move", CLONE, target, "--promoted"]
    refused: list[str] = []

    def accepted() -> bool:
        proc = lab.vigil(via, argv, timeout=30)
        if proc.returncode != 0:
            refused.append((proc.stderr or proc.stdout).strip())
        return proc.returncode == 0

    try:
        wait_tolerant(lab, f"vigil accepts the switchover to {target}", accepted, timeout=60,
                      interval=1.0)
    except LabError:
        raise LabError(f"vigil {' '.join(argv)}: {refused[-1] if refused else 'no answer'}") from None


def promotion_reason(lab: Lab, via: str) -> str:
    """What `vigil explain` says of the promoted node's promotion record (the WAL positions
    PAF compared), "" when it shows none. The record is written at the post-promote
    notification, which may still be running: asked for a few seconds."""
    found: list[str] = []

    def recorded() -> bool:
        text = lab.vigil(via, ["explain", CLONE], timeout=30).stdout
        found[:] = [ln.strip() for ln in text.splitlines() if PROMOTION_RECORD in ln]
        return bool(found)

    try:
        wait_tolerant(lab, "the promotion record", recorded, timeout=15, interval=0.5)
    except LabError:
        return ""
    line = found[0]
    # "NODE  NAME = VALUE (MEANING)": the meaning, in words
    return line[line.find("(") + 1:-1] if line.endswith(")") and "(" in line else line


def render_report(r: PostgresDemoReport) -> str:
    mode = "synchronous" if r.synchronous else "asynchronous"
    lines = ["", f"Report (lab {r.lab}, 3 nodes, PostgreSQL 15 {mode}, {r.total_s:.0f} s):"]
    lines.append(f"  fault:      power cut of the primary {r.primary}")
    lines.append(f"  failover:   {r.promoted or '?'} promoted; {r.primary} "
                 + ("fenced (off) first" if r.fenced else "NOT fenced according to the events"))
    lines.append("  downtime:   " + (f"{r.downtime_s:.2f} s without a commit, seen by the client"
                                     if r.downtime_s is not None else "not measured"))
    lines.append(f"  data:       {len(r.lost)} of {r.acked} acknowledged commits lost"
                 + (f" (rows {r.lost[:10]})" if r.lost else "")
                 + f"; {r.in_doubt} writes failed and were never acknowledged")
    if r.redis_promoted:
        lines.append(f"  redis:      {r.redis_master} -> {r.redis_promoted}; "
                     + (f"{r.redis_downtime_s:.2f} s without an acknowledged write; "
                        if r.redis_downtime_s is not None else "")
                     + f"{len(r.redis_lost)} of {r.redis_acked} acknowledged writes (WAIT 1) lost"
                     + (f" (keys {r.redis_lost[:10]})" if r.redis_lost else "")
                     + f"; {r.redis_in_doubt} writes not confirmed by a replica, in doubt")
    if r.promotion_why:
        lines.append(f"  why:        {r.promotion_why}")
    if r.jobs_after is not None:
        lines.append(f"  beanstalkd: {r.jobs_after} of the {r.jobs_queued} jobs queued on {r.primary} "
                     f"are in the queue on {r.promoted} (no DRBD: each node's log is on its own "
                     "disk, the old primary's jobs stay in its log)")
    if r.rejoined is not None:
        lines.append(f"  rejoin:     {r.rejoin_detail}")
    if r.switchover_detail:
        lines.append(f"  switchover: {r.switchover_detail}")
    lines.append("  lab:        " + ("torn down" if r.torn_down else "kept"))
    return "\n".join(lines)


__all__ = ["PostgresDemoReport", "render_report", "run_postgres_demo"]
