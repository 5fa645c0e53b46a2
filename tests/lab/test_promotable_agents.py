"""Issue 10 in the lab: real promotable agents, unchanged, under vigil. PAF's pgsqlms over Debian's
PostgreSQL 15 and resource-agents' ocf:heartbeat:redis, each on three vigild nodes with the lab's
fence device (ocf:pacemaker:Stateful has its own test, test_promotable.py).

Each test prepares the database by hand first (tests/lab/db_support.py: replication checked
across the nodes' namespaces before the cluster takes it), creates the promotable resource with
the vigil CLI, and waits until vigil says one instance is Promoted and the others Unpromoted AND
the databases agree (pg_is_in_recovery(), redis INFO replication): the world as it is, not only
as vigil reports it. It checks that `vigil status --full` shows the promotion scores the agent set
(master-<resource> node attributes), then powers the promoted node off and waits until another
instance is promoted and the database there is a writable primary holding the data written
before. Every wait has a timeout (a missing piece makes the test fail with what it saw, not
hang); the lab is always torn down. Needs root, PostgreSQL/PAF, Redis; skipped otherwise.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from vigil.lab import Lab
from vigil.lab.errors import LabError

from . import db_support as db
from .service_support import configure_fencing, requirements, status, vigil, wait

T = TypeVar("T")
NODES = ("n1", "n2", "n3")
SETTLE_S = 150.0  # first promotion: three starts, notifications, the agent's own scores
FAILOVER_S = 150.0  # fencing the powered-off node, notifications, promotion
REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


def _lab(prefix: str) -> Iterator[Lab]:
    the_lab = Lab.up(nodes=len(NODES), token_ms=1000, name=f"{prefix}{os.getpid() % 10**8}",
                     timeout=90)
    try:
        yield the_lab
    finally:
        print(diagnostics(the_lab))  # shown by pytest when the test failed
        the_lab.down(purge=True)


@pytest.fixture
def pg_lab() -> Iterator[Lab]:
    problem = db.pgsql_requirements()
    if problem:
        pytest.skip(problem)
    yield from _lab("pg")


@pytest.fixture
def redis_lab() -> Iterator[Lab]:
    problem = db.redis_requirements()
    if problem:
        pytest.skip(problem)
    yield from _lab("rd")


@pytest.fixture
def plain_lab() -> Iterator[Lab]:
    problem = db.pgsql_requirements() or db.redis_requirements()
    if problem:
        pytest.skip(problem)
    yield from _lab("db")


# ---------------------------------------------------------------------------- helpers
def diagnostics(lab: Lab) -> str:
    """What a failed test leaves for its reader: vigil's full status from a node that is on,
    and the end of every node's daemon log."""
    out = []
    for node in NODES:
        try:
            proc = lab.vigil(node, ["status", "--full"], timeout=20)
        except (LabError, subprocess.TimeoutExpired):
            continue
        out.append(f"--- vigil status --full on {node} (rc={proc.returncode})\n"
                   f"{proc.stdout}{proc.stderr}")
        try:
            failed = json.loads(lab.vigil(node, ["status", "--output", "json"], timeout=20).stdout
                                ).get("failed_actions")
        except (ValueError, AttributeError, LabError, subprocess.TimeoutExpired):
            failed = "(no JSON status)"
        out.append(f"--- failed actions (JSON) on {node}: {failed}")
        break
    for node in NODES:
        try:
            log = Path(lab.node_dir(node), "var/log/vigil/daemon.stdio").read_text(errors="replace")
        except (OSError, LabError):
            continue
        out.append(f"--- {node} daemon.stdio (last 60 lines)\n" + "\n".join(log.splitlines()[-60:]))
    return "\n".join(out)


def nodes_on(lab: Lab) -> list[str]:
    return [n.name for n in lab.status().nodes if n.power == "on"]


def wait_vigild(lab: Lab) -> None:
    wait("vigild answers on every node with a DC", lambda: all(
        status(lab, n)["dc"] is not None for n in NODES), timeout=60)


def create(lab: Lab, args: list[str]) -> None:
    """`vigil resource create ... promotable ...`: the CLI must take it (issue 10, part 4)."""
    proc = lab.vigil("n1", args)
    assert proc.returncode == 0, (f"vigil {' '.join(args)}: rc={proc.returncode} "
                                  f"{proc.stdout.strip()} {proc.stderr.strip()}")


class Hopeless(Exception):
    """The resource can no longer reach the state a test waits for: stop waiting."""


HARD_ERRORS = {2: "invalid parameter", 5: "not installed", 6: "not configured"}


def roles(lab: Lab, node: str, rsc: str) -> dict[str, str]:
    """node -> role of `rsc`'s instances as vigil's JSON status gives them (from `node`).
    Raises Hopeless when every node has a hard error of `rsc` (OCF rc 2, 5 or 6: the
    resource is banned from every node, as Pacemaker bans it)."""
    data = status(lab, node)
    hard = {f["node"]: f for f in data.get("failed_actions", [])
            if f.get("resource") == rsc and f.get("rc_code") in HARD_ERRORS}
    online = {n["name"] for n in data["nodes"] if n.get("online")}
    if online and online <= set(hard):
        raise Hopeless("; ".join(
            f"{n}: {f['operation']} rc {f['rc_code']} ({HARD_ERRORS[f['rc_code']]}) "
            f"exit reason {f.get('exit_reason')!r}" for n, f in sorted(hard.items())))
    found: dict[str, str] = {}
    for r in data["resources"]:
        if r["id"] not in (rsc, f"{rsc}-clone"):
            continue
        for inst in r.get("instances", []):
            if inst.get("node"):
                found[inst["node"]] = str(inst.get("role"))
    return found


def vigil_promoted(lab: Lab, node: str, rsc: str, online: list[str]) -> str:
    """The one node vigil says runs `rsc` Promoted while every other online node runs it
    Unpromoted; AssertionError saying what vigil shows otherwise."""
    r = roles(lab, node, rsc)
    promoted = [n for n, role in r.items() if role == "Promoted"]
    if (len(promoted) != 1 or set(r) != set(online)
            or any(role != "Unpromoted" for n, role in r.items() if n != promoted[0])):
        raise AssertionError(f"vigil's status (JSON, from {node}) gives {rsc}'s instances "
                             f"the roles {r or 'none'}")
    return promoted[0]


def settle(what: str, probe: Callable[[], str], timeout: float) -> str:
    """Wait until `probe` gives the same node name twice, a second apart (a settled answer,
    not a passing one); it raises AssertionError saying what it saw while it has none. After
    `timeout`, AssertionError with the last thing it saw."""
    deadline, last, seen = time.monotonic() + timeout, None, "nothing"
    while time.monotonic() < deadline:
        try:
            now: str | None = probe()
        except (AssertionError, ValueError, KeyError, LabError, subprocess.TimeoutExpired) as exc:
            now, seen = None, str(exc) or repr(exc)
        if now is not None and now == last:
            return now
        last = now
        time.sleep(1.0)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}; last seen: {seen}")


def until(what: str, check: Callable[[], object], timeout: float) -> None:
    """Call `check` until it returns without AssertionError; after `timeout`, AssertionError
    with what it said last."""
    deadline, seen = time.monotonic() + timeout, "nothing"
    while time.monotonic() < deadline:
        try:
            check()
            return
        except (AssertionError, ValueError, KeyError, LabError, subprocess.TimeoutExpired) as exc:
            seen = str(exc) or repr(exc)
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}; last seen: {seen}")


def expect(value: T, wanted: T, what: str) -> T:
    assert value == wanted, f"{what}: {value!r}, expected {wanted!r}"
    return value


def promotion_scores(text: str, rsc: str) -> dict[str, str]:
    """node -> value of the master-<rsc> node attribute in `vigil status --full`'s text, which
    lists node attributes under each node as crm_mon does ("* Node: n1:" then
    "* master-pgsqld : 1001"); an attribute line naming the node itself counts too."""
    attr = re.compile(rf"\bmaster-{re.escape(rsc)}\b\s*[:=]?\s*\"?(-?\d+|[+-]?INFINITY)\b")
    header = re.compile(r"\bNode:?\s+(n\d+)\b")
    scores: dict[str, str] = {}
    current: str | None = None
    for line in text.splitlines():
        h = header.search(line)
        if h:
            current = h.group(1)
        m = attr.search(line)
        if m and current:
            scores[current] = m.group(1)
    return scores


def full_status(lab: Lab, node: str) -> str:
    return vigil(lab, node, "status", "--full")


# ---------------------------------------------------------------------------- the fixtures alone
def test_databases_replicate_across_nodes_by_hand(plain_lab: Lab) -> None:
    """The fixtures themselves, no vigil resource: a PostgreSQL primary streams to base-backup
    standbys in the other nodes, and Redis replicas follow a master by node name."""
    lab = plain_lab
    db.setup_postgres(lab, leave_running=True)
    assert db.pg_streaming_to(lab, "n1") == ["n2", "n3"]
    for n in ("n2", "n3"):
        db.pg_ctl(lab, n, "stop", "-m", "fast")
    db.pg_ctl(lab, "n1", "stop", "-m", "fast")
    db.setup_redis(lab)


# ---------------------------------------------------------------------------- PAF's pgsqlms
def pg_primary(lab: Lab, online: list[str]) -> str:
    """The one online node whose PostgreSQL is a primary while every other online one is a
    standby; AssertionError with each node's pg_is_in_recovery() otherwise."""
    states = {n: db.pg_in_recovery(lab, n) for n in online}
    primaries = [n for n, rec in states.items() if rec is False]
    if len(primaries) != 1 or any(rec is not True for n, rec in states.items() if n != primaries[0]):
        raise AssertionError(f"pg_is_in_recovery() per node (None: no answer): {states}")
    return primaries[0]


def rows_before_failover(lab: Lab, node: str, count: str) -> None:
    expect(db.psql(lab, node, "SELECT count(*) FROM lab_check WHERE node LIKE 'before-failover-%'"),
           count, f"rows written before the failover, read on {node}")


def test_pgsqlms_promotes_one_primary_and_fails_over(pg_lab: Lab) -> None:
    lab, rsc = pg_lab, "pgsqld"
    wait_vigild(lab)
    db.setup_postgres(lab)  # replication checked by hand, instances stopped cleanly
    configure_fencing(lab, "n1")
    vigil(lab, "n1", "property", "set", "stonith-action=off")  # the fenced node stays off
    create(lab, db.pgsql_resource_args(rsc))

    online = list(NODES)

    def agreed() -> str:
        promoted, primary = vigil_promoted(lab, "n1", rsc, online), pg_primary(lab, online)
        assert promoted == primary, f"vigil promoted {rsc} on {promoted}, the primary is {primary}"
        return promoted

    first = settle("vigil shows one pgsqld instance Promoted, the others Unpromoted, and "
                   "PostgreSQL agrees (one primary, standbys in recovery)", agreed, SETTLE_S)
    standbys = sorted(n for n in online if n != first)
    until(f"{standbys} stream from the primary {first}",
          lambda: expect(db.pg_streaming_to(lab, first), standbys, "streaming standbys"), 60)

    # The agent's promotion scores (PAF: 1001 on the primary, 1000 and 990 on the standbys by
    # their replication lag), as node attributes in the full status.
    def scores_shown() -> None:
        text = full_status(lab, "n1")
        s = promotion_scores(text, rsc)
        assert (s.get(first) == "1001"
                and sorted(s.get(n, "") for n in standbys) == ["1000", "990"]), (
            f"master-{rsc} per node: {s} in:\n{text}")

    until(f"`vigil status --full` shows master-{rsc} 1001 on the primary, 1000 and 990 on the "
          "standbys", scores_shown, 60)

    # data written on the primary, replayed on both standbys before the failover
    db.psql(lab, first, f"INSERT INTO lab_check (node) VALUES ('before-failover-{first}')")
    for n in standbys:
        until(f"{n} replays the row", functools.partial(rows_before_failover, lab, n, "1"), 30)

    lab.power_off(first)
    online = standbys
    watcher = online[0]

    def promoted_again() -> str:
        p = vigil_promoted(lab, watcher, rsc, online)
        expect(db.pg_in_recovery(lab, p), False, f"pg_is_in_recovery() on {p}")
        return p

    second = settle(f"another pgsqld instance is promoted after {first} is powered off, and "
                    "PostgreSQL there is a primary", promoted_again, FAILOVER_S)
    assert second != first and second in standbys
    rows_before_failover(lab, second, "1")
    db.psql(lab, second, f"INSERT INTO lab_check (node) VALUES ('after-failover-{second}')")
    other = next(n for n in online if n != second)
    until(f"the other standby {other} follows the new primary {second}", lambda: (
        expect(db.pg_streaming_to(lab, second), [other], f"standbys streaming from {second}"),
        expect(db.pg_in_recovery(lab, other), True, f"pg_is_in_recovery() on {other}")), 60)
    assert not any(n.name == first and n.power == "on" for n in lab.status().nodes)


# ---------------------------------------------------------------------------- ocf:heartbeat:redis
def redis_master(lab: Lab, online: list[str]) -> str:
    """The one online node whose Redis is a master while every other online one replicates it
    (master_host is that node's name, link up); AssertionError with what INFO says otherwise."""
    info = {n: db.redis_replication(lab, n) for n in online}
    masters = [n for n, i in info.items() if i.get("role") == "master"]
    brief = {n: {k: v for k, v in i.items() if k in ("role", "master_host", "master_link_status",
                                                      "connected_slaves")}
             for n, i in info.items()}
    if len(masters) != 1 or any(
            i.get("role") != "slave" or i.get("master_host") != masters[0]
            or i.get("master_link_status") != "up" for n, i in info.items() if n != masters[0]):
        raise AssertionError(f"redis INFO replication per node: {brief}")
    return masters[0]


def has_key(lab: Lab, node: str, value: str) -> None:
    expect(db.redis_cli(lab, node, "GET", "before-failover").strip(), value,
           f"the key written before the failover, read on {node}")


def test_redis_promotes_one_master_and_fails_over(redis_lab: Lab) -> None:
    lab, rsc = redis_lab, "redis"
    wait_vigild(lab)
    db.setup_redis(lab)  # replication checked by hand, servers stopped, dumps removed
    configure_fencing(lab, "n1")
    vigil(lab, "n1", "property", "set", "stonith-action=off")
    create(lab, db.redis_resource_args(rsc))

    online = list(NODES)
    first = settle("vigil shows one redis instance Promoted, the others Unpromoted",
                   lambda: vigil_promoted(lab, "n1", rsc, online), SETTLE_S)
    until(f"Redis agrees: {first} the master, the others its replicas (link up)",
          lambda: expect(redis_master(lab, online), first, "the redis master"), 60)

    # The agent's scores: replica-priority (100) + connected clients, per node, set with
    # crm_master -l reboot; every node running an instance has one.
    def scores_shown() -> None:
        text = full_status(lab, "n1")
        s = promotion_scores(text, rsc)
        assert set(s) >= set(online) and all(
            v.lstrip("-").isdigit() and int(v) > 0 for v in s.values()), (
            f"master-{rsc} per node: {s} in:\n{text}")

    until(f"`vigil status --full` shows a master-{rsc} score on every node", scores_shown, 60)

    db.redis_cli(lab, first, "SET", "before-failover", first)
    replicas = [n for n in online if n != first]
    for n in replicas:
        until(f"{n} has the key", functools.partial(has_key, lab, n, first), 30)

    lab.power_off(first)
    online = replicas
    watcher = online[0]

    def promoted_again() -> str:
        p = vigil_promoted(lab, watcher, rsc, online)
        expect(db.redis_replication(lab, p).get("role"), "master", f"redis role on {p}")
        return p

    second = settle(f"another redis instance is promoted after {first} is powered off, and "
                    "Redis there is a master", promoted_again, FAILOVER_S)
    assert second != first and second in replicas
    has_key(lab, second, first)
    other = next(n for n in online if n != second)
    until(f"the other replica {other} follows the new master {second}",
          lambda: expect(redis_master(lab, online), second, "the redis master"), 60)
