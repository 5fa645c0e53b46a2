"""Whole-cluster commands from one machine: each node's part sent to that node's remote endpoint
(vigil.commands.node_ops), the nodes asked at once, every node's outcome returned by name.

- `setup`: the cluster's files made once here (one authkey), every node checked first (reachable,
  authenticated, no cluster files or running Corosync unless `force`), then written to all; a
  node that fails the write makes the others' files be removed again, so a setup is on every
  node or on none, and the operator is told which.
- `start`: every node at once (Corosync needs the others to reach quorum), `wait` on each.
- `stop`: one node at a time with the same quorum checks as on the node; for the whole cluster
  (`--all`) every vigild first, all at once (the resources stop everywhere, nothing to move
  to), then every Corosync: a Corosync gone early would cost the nodes still draining their
  quorum.
- `boot` (enable, disable) and `destroy`: every node at once.
A node that cannot be reached, or refuses, is reported by name; the others' outcomes stand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from vigil import clusterconf
from vigil.clusterconf import conf_tree, quorum_device
from vigil.commands import cluster, remote
from vigil.commands.localnode import LocalNode
from vigil.commands.node_ops import NodeAnswer, NodeOp, NodeRequest
from vigil.model import reports
from vigil.model.reports import Report, ReportError, Severity

PLAIN_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class NodeOutcome:
    node: str  # the name it was asked by
    result: Any | None  # the node's result dataclass (cluster.StartResult...); None: it failed
    reports: tuple[Report, ...]

    @property
    def ok(self) -> bool:
        return self.result is not None


def _timeout(request: NodeRequest) -> float:
    """How long to wait for a node's answer: its own bounds, and a margin."""
    if request.op is NodeOp.START:
        return (request.wait_s or 0) + cluster.COROSYNC_START_TIMEOUT_S \
            + cluster.VIGILD_START_TIMEOUT_S + 30
    if request.op in (NodeOp.STOP, NodeOp.DESTROY):
        return (request.wait_s or cluster.DRAIN_TIMEOUT_S) + 2 * cluster.STOP_TIMEOUT_S + 30
    return PLAIN_TIMEOUT_S


def ask(host: remote.KnownHost, request: NodeRequest) -> NodeOutcome:
    try:
        body = remote.post_json(host, f"/api/v1/node/{request.op.value}", request.encode(),
                                timeout=_timeout(request))
        got = NodeAnswer.decode(request.op, body)
    except ReportError as exc:
        return NodeOutcome(host.name, None, tuple(exc.reports))
    except ValueError as exc:  # a reply that does not fit the result's shape
        return NodeOutcome(host.name, None, (reports.error(
            "REMOTE_BAD_REPLY", host=host.name, status=200, detail=str(exc)),))
    return NodeOutcome(host.name, got.result, got.reports)


def ask_all(hosts: Sequence[remote.KnownHost], request: NodeRequest | Callable[
        [remote.KnownHost], NodeRequest]) -> tuple[NodeOutcome, ...]:
    """Every node at once; outcomes in the order of `hosts`."""
    if not hosts:
        return ()
    make = request if callable(request) else (lambda _h: request)
    with ThreadPoolExecutor(max_workers=min(32, len(hosts))) as pool:
        return tuple(pool.map(lambda h: ask(h, make(h)), hosts))


def known(names: Sequence[str], store: remote.KnownHosts | None = None
          ) -> tuple[remote.KnownHost, ...]:
    """The known hosts named, or one report naming every node not authenticated here."""
    hosts = (store or remote.KnownHosts()).read()
    missing = [n for n in names if n not in hosts]
    if missing:
        raise ReportError([reports.error("REMOTE_HOSTS_NOT_AUTHENTICATED",
                                         hosts=", ".join(missing))])
    return tuple(hosts[n] for n in names)


def cluster_nodes(host: LocalNode | None = None) -> tuple[str, ...]:
    """`--all`: the nodes of this machine's corosync.conf, the list Corosync runs with."""
    here = host or LocalNode()
    path = here.path("/" + clusterconf.COROSYNC_CONF)
    try:
        names = quorum_device.node_names(conf_tree.parse(path.read_text()))
    except FileNotFoundError:
        raise ReportError([reports.error("CLUSTER_ALL_NEEDS_A_NODE", path=str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE", path=str(path),
                                         detail=str(exc))]) from None
    if not names:
        raise ReportError([reports.error("CLUSTER_ALL_NEEDS_A_NODE", path=str(path))])
    return names


# -- setup -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DistributedSetup:
    cluster_name: str
    nodes: tuple[clusterconf.ClusterNode, ...]
    files: tuple[str, ...]  # the paths written on every node
    written: tuple[NodeOutcome, ...]  # each node's receive
    undone: tuple[NodeOutcome, ...]  # a failed setup: the files removed again where written
    enabled: tuple[NodeOutcome, ...]
    started: tuple[NodeOutcome, ...]
    reports: tuple[Report, ...]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in (*self.written, *self.enabled, *self.started)) \
            and not self.undone


def setup(name: str, nodes: Sequence[cluster.NodeSpec], *, token_ms: int | None = None,
          force: bool = False, start: bool = False, enable: bool = False,
          wait: float | None = None, store: remote.KnownHosts | None = None,
          now: float | None = None) -> DistributedSetup:
    conf = cluster.cluster_conf(name, nodes, token_ms)
    problems = cluster.validation_problems(conf)
    if problems:
        raise ReportError(problems)
    hosts = known([n.name for n in conf.nodes], store)
    checks = ask_all(hosts, NodeRequest(NodeOp.SETUP_CHECK, force=force))
    failed = [o for o in checks if not o.ok]
    if failed:
        raise ReportError(_by_node(failed))
    found = [r for o in checks for r in o.reports]
    files = clusterconf.node_files(conf, clusterconf.new_authkey(),
                                   cluster.iso_time(time.time() if now is None else now))
    written = ask_all(hosts, NodeRequest(NodeOp.RECEIVE, force=force, files=files))
    paths = tuple(f.absolute for f in files)
    if not all(o.ok for o in written):
        # all or nothing: the nodes that took the files give them back
        took = [h for h, o in zip(hosts, written, strict=True) if o.ok]
        undone = ask_all(took, NodeRequest(NodeOp.DESTROY))
        return DistributedSetup(conf.cluster_name, conf.nodes, paths, written, undone, (), (),
                                tuple(found))
    enabled = ask_all(hosts, NodeRequest(NodeOp.ENABLE)) if enable else ()
    started = ask_all(hosts, NodeRequest(NodeOp.START, wait_s=wait)) if start else ()
    return DistributedSetup(conf.cluster_name, conf.nodes, paths, written, (), enabled, started,
                            tuple(found))


def _by_node(failed: Sequence[NodeOutcome]) -> list[Report]:
    """Each failed node's errors, each report naming its node."""
    out = []
    for o in failed:
        for r in o.reports:
            if r.severity is Severity.ERROR:
                out.append(r if r.field("host") or r.field("node") else
                           reports.error(r.code, **dict(r.fields), node=o.node))
    return out


# -- start, stop, enable, disable, destroy ------------------------------------------------------
def start(names: Sequence[str], *, wait: float | None = None,
          store: remote.KnownHosts | None = None) -> tuple[NodeOutcome, ...]:
    return ask_all(known(names, store), NodeRequest(NodeOp.START, wait_s=wait))


def stop(names: Sequence[str], *, whole_cluster: bool, force: bool = False,
         wait: float | None = None, store: remote.KnownHosts | None = None
         ) -> tuple[NodeOutcome, ...]:
    hosts = known(names, store)
    if not whole_cluster:
        out = []
        for h in hosts:  # one at a time: each stop's quorum check sees the ones before it
            out.append(ask(h, NodeRequest(NodeOp.STOP, force=force, wait_s=wait)))
        return tuple(out)
    first = ask_all(hosts, NodeRequest(NodeOp.STOP, force=force, wait_s=wait,
                                       whole_cluster=True, daemons=("vigild",)))
    # a node whose vigild did not stop keeps its Corosync (its resources may still run)
    go_on = [h for h, o in zip(hosts, first, strict=True) if o.ok]
    second = {o.node: o for o in ask_all(go_on, NodeRequest(
        NodeOp.STOP, force=force, whole_cluster=True, daemons=("corosync",)))}
    return tuple(_merge_stops(o, second.get(o.node)) for o in first)


def _merge_stops(first: NodeOutcome, second: NodeOutcome | None) -> NodeOutcome:
    if second is None or not first.ok:
        return first
    if not second.ok:
        return NodeOutcome(first.node, None, first.reports + second.reports)
    a, b = first.result, second.result
    assert isinstance(a, cluster.StopResult) and isinstance(b, cluster.StopResult)
    merged = cluster.StopResult(a.systemd, a.node, a.moved, a.stopped + b.stopped,
                                a.killed + b.killed,
                                a.reports + tuple(r for r in b.reports
                                                  if r.code != "CLUSTER_NOT_RUNNING"))
    return NodeOutcome(first.node, merged, merged.reports)


def boot(names: Sequence[str], *, enabled: bool, store: remote.KnownHosts | None = None
         ) -> tuple[NodeOutcome, ...]:
    op = NodeOp.ENABLE if enabled else NodeOp.DISABLE
    return ask_all(known(names, store), NodeRequest(op))


def destroy(names: Sequence[str], *, force: bool = False,
            store: remote.KnownHosts | None = None) -> tuple[NodeOutcome, ...]:
    hosts = known(names, store)
    if force:  # a running cluster is stopped first, as a whole (see stop)
        stop(names, whole_cluster=True, force=True, store=store)
    return ask_all(hosts, NodeRequest(NodeOp.DESTROY, force=force))


def every_node_known(names: Sequence[str], store: remote.KnownHosts | None = None) -> bool | None:
    """True when every node named is authenticated here, False when none is, None when some."""
    hosts = (store or remote.KnownHosts()).read()
    count = sum(n in hosts for n in names)
    return True if count == len(names) else False if count == 0 else None

