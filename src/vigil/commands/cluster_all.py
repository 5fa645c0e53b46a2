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
from vigil.clusterconf import conf_tree, membership, quorum_device
from vigil.commands import backup, cluster, qdevice_net, quorum, remote, report
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


DEFAULT_TOTEM = cluster.Totem()  # Corosync's defaults


def setup(name: str, nodes: Sequence[cluster.NodeSpec], *, totem: cluster.Totem = DEFAULT_TOTEM,
          force: bool = False, start: bool = False, enable: bool = False,
          wait: float | None = None, store: remote.KnownHosts | None = None,
          now: float | None = None) -> DistributedSetup:
    conf = cluster.cluster_conf(name, nodes, totem)
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



# -- cluster node add, remove ------------------------------------------------------------------
@dataclass(frozen=True)
class NodeChange:
    nodes: tuple[str, ...]  # the nodes added or removed
    nodeid: int | None  # the node id given to an added node
    leaving: tuple[NodeOutcome, ...]  # remove: each removed node stopped and its files removed
    updated: tuple[NodeOutcome, ...]  # the members' new corosync.conf and cluster.json
    reloaded: NodeOutcome | None  # Corosync's reload, on the first member that could
    joining: tuple[NodeOutcome, ...]  # add: the new node's files, enable, start
    restored: tuple[NodeOutcome, ...]  # a change that failed: the old files given back
    reports: tuple[Report, ...]

    @property
    def ok(self) -> bool:
        steps = (*self.leaving, *self.updated, *self.joining)
        return all(o.ok for o in steps) and not self.restored


def _local_files(host: LocalNode) -> tuple[str, str, bytes]:
    """This node's corosync.conf, cluster.json and authkey (a node add/remove starts from the
    files of the node it runs on, as pcs's does)."""
    conf = host.path("/" + clusterconf.COROSYNC_CONF)
    try:
        return (conf.read_text(), host.path("/" + clusterconf.CLUSTER_JSON).read_text(),
                host.path("/" + clusterconf.AUTHKEY).read_bytes())
    except FileNotFoundError as exc:
        # not --all's refusal: node add|remove has no --all, it needs this node's own files
        raise ReportError([reports.error("CLUSTER_NODE_NEEDS_A_MEMBER", path=exc.filename)]
                          ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE", path=str(conf),
                                         detail=str(exc))]) from None


def _conf_files(conf_text: str, json_text: str) -> tuple[clusterconf.NodeFile, ...]:
    return (clusterconf.NodeFile(clusterconf.COROSYNC_CONF, conf_text.encode(), 0o644),
            clusterconf.NodeFile(clusterconf.CLUSTER_JSON, json_text.encode(), 0o644))


def _reload(hosts: Sequence[remote.KnownHost]) -> NodeOutcome | None:
    """Corosync's reload on the first member that runs it (one is enough: every member
    rereads its file); None when none does (they read the new file when they start)."""
    last = None
    for h in hosts:
        last = ask(h, NodeRequest(NodeOp.RELOAD))
        if last.ok:
            return last
    return last


def _restore(hosts: Sequence[remote.KnownHost], conf_text: str, json_text: str
             ) -> tuple[NodeOutcome, ...]:
    restored = ask_all(hosts, NodeRequest(NodeOp.UPDATE_CONF,
                                          files=_conf_files(conf_text, json_text)))
    _reload(hosts)
    return restored


def _update_members(hosts: Sequence[remote.KnownHost], new_root: conf_tree.Section,
                    conf_text: str, json_text: str
                    ) -> tuple[str, str, tuple[NodeOutcome, ...], tuple[NodeOutcome, ...] | None]:
    """Every member's corosync.conf and cluster.json made from `new_root`: (the new files, each
    member's outcome, and None when all took them, else the others given their old files back,
    possibly none)."""
    new_conf = conf_tree.render(new_root)
    new_json = membership.cluster_json_nodes(json_text, membership.nodes_of(new_root))
    updated = ask_all(hosts, NodeRequest(NodeOp.UPDATE_CONF,
                                         files=_conf_files(new_conf, new_json)))
    restored: tuple[NodeOutcome, ...] | None = None
    if not all(o.ok for o in updated):
        took = [h for h, o in zip(hosts, updated, strict=True) if o.ok]
        restored = _restore(took, conf_text, json_text)
    return new_conf, new_json, updated, restored


def node_add(name: str, addrs: Sequence[str], *, start: bool = False, enable: bool = False,
             wait: float | None = None, force: bool = False,
             store: remote.KnownHosts | None = None, host: LocalNode | None = None) -> NodeChange:
    """Add `name` (at `addrs`, one per link; none: its name) to the cluster this node is in:
    every member's corosync.conf and cluster.json first, Corosync reloaded, then the new
    node's three files, then (optionally) enabled and started. A member that cannot take the
    new files, or a new node that cannot, gives every member its old files back."""
    here = host or LocalNode()
    conf_text, json_text, key = _local_files(here)
    root = conf_tree.parse(conf_text)
    given = tuple(addrs) or (name,)
    problems = membership.add_problems(root, name, given)
    if problems:
        raise ReportError(problems)
    members = [n.name for n in membership.nodes_of(root)]
    hosts = known([*members, name], store)
    member_hosts, new_host = hosts[:-1], hosts[-1]
    check = ask(new_host, NodeRequest(NodeOp.SETUP_CHECK, force=force))
    if not check.ok:
        raise ReportError(_by_node([check]))
    new_root, node = membership.with_node(root, name, given)
    new_conf, new_json, updated, restored = _update_members(member_hosts, new_root, conf_text,
                                                            json_text)
    if restored is not None:
        return NodeChange((name,), node.nodeid, (), updated, None, (), restored, ())
    reloaded = _reload(member_hosts)
    found = list(check.reports)
    if reloaded is None or not reloaded.ok:
        found.append(reports.warning("COROSYNC_NOT_RELOADED", nodes=", ".join(members)))
    files = (*_conf_files(new_conf, new_json),
             clusterconf.NodeFile(clusterconf.AUTHKEY, key, 0o400))
    joining = [ask(new_host, NodeRequest(NodeOp.RECEIVE, force=force, files=files))]
    if not joining[0].ok:
        return NodeChange((name,), node.nodeid, (), updated, reloaded, tuple(joining),
                          _restore(member_hosts, conf_text, json_text), tuple(found))
    if enable:
        joining.append(ask(new_host, NodeRequest(NodeOp.ENABLE)))
    if start:
        joining.append(ask(new_host, NodeRequest(NodeOp.START, wait_s=wait)))
    return NodeChange((name,), node.nodeid, (), updated, reloaded, tuple(joining), (),
                      tuple(found))


def node_remove(names: Sequence[str], *, force: bool = False,
                store: remote.KnownHosts | None = None, host: LocalNode | None = None
                ) -> NodeChange:
    """Remove `names` from the cluster this node is in: each stopped (its resources moved
    away first, with the quorum check of `cluster stop`) and its cluster files removed, then the
    remaining members' corosync.conf and cluster.json, then Corosync reloaded. A node that
    cannot be reached is left as it is only with `force` (it is down: its files stay on it)."""
    here = host or LocalNode()
    conf_text, json_text, _ = _local_files(here)
    root = conf_tree.parse(conf_text)
    members = [n.name for n in membership.nodes_of(root)]
    unknown = [n for n in names if n not in members]
    if unknown:
        raise ReportError([reports.error("CLUSTER_NODE_NOT_IN_CLUSTER", node=n) for n in unknown])
    if here.hostname() in names:
        raise ReportError([reports.error("CLUSTER_NODE_REMOVE_SELF", node=here.hostname())])
    remaining = [n for n in members if n not in names]
    hosts = known([*remaining, *names], store)
    staying, going = hosts[:len(remaining)], hosts[len(remaining):]
    leaving: list[NodeOutcome] = []
    found: list[Report] = []
    for h in going:  # one at a time: each stop's quorum check sees the ones before it
        stopped = ask(h, NodeRequest(NodeOp.STOP))
        if not stopped.ok:
            unreachable = any(r.code == "REMOTE_UNREACHABLE" for r in stopped.reports)
            if not (force and unreachable):
                return NodeChange(tuple(names), None, (*leaving, stopped), (), None, (), (),
                                  tuple(found))
            found.append(reports.warning("CLUSTER_NODE_LEFT_UNREACHABLE", node=h.name))
            continue
        leaving.append(stopped)
        leaving.append(ask(h, NodeRequest(NodeOp.DESTROY, force=True)))
    new_root = root
    for name in names:
        new_root = membership.without_node(new_root, name)
    _, _, updated, restored = _update_members(staying, new_root, conf_text, json_text)
    if restored is not None:
        return NodeChange(tuple(names), None, tuple(leaving), updated, None, (), restored,
                          tuple(found))
    reloaded = _reload(staying)
    if reloaded is None or not reloaded.ok:
        found.append(reports.warning("COROSYNC_NOT_RELOADED", nodes=", ".join(remaining)))
    # and the cluster forgets them (its CIB's nodes and status, as crm_node -R)
    for name in names:
        try:
            here.live_env(timeout=30).forget_node(name)
        except ReportError as exc:
            found += [reports.warning("CLUSTER_NODE_NOT_FORGOTTEN", node=name,
                                      reason=r.code) for r in exc.reports]
    return NodeChange(tuple(names), None, tuple(leaving), updated, reloaded, (), (),
                      tuple(found))


# -- quorum device add, remove -----------------------------------------------------------------
@dataclass(frozen=True)
class DeviceChange:
    """`quorum device add|remove` across the cluster, step by step, each node's outcome."""

    adding: bool  # add (else remove)
    device_host: str  # the qnetd host, as authenticated here
    certified: tuple[NodeOutcome, ...]  # add: each node's database; remove: each one removed
    services: tuple[NodeOutcome, ...]  # corosync-qdevice started (add) or stopped (remove)
    updated: tuple[NodeOutcome, ...]  # the members' new corosync.conf
    reloaded: NodeOutcome | None
    undone: tuple[NodeOutcome, ...]  # an add that failed: databases removed, old files back
    reports: tuple[Report, ...]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in (*self.certified, *self.services, *self.updated)) \
            and not self.undone


def _one(outcome: NodeOutcome) -> Any:
    """The node's result, or its refusal as this command's (naming the node)."""
    if not outcome.ok:
        raise ReportError(_by_node([outcome]))
    return outcome.result


def device_add(*, model: str, model_options: quorum.Pairs, generic_options: quorum.Pairs = (),
               force: bool = False, store: remote.KnownHosts | None = None,
               host: LocalNode | None = None) -> DeviceChange:
    """The quorum device on every node of the cluster this node is in, as pcs does it through
    pcsd: qnetd's CA fetched from the qnetd host's endpoint, the cluster's certificate requested
    here and signed there, every node's database given the CA and the certificate, then every
    member's corosync.conf with the device, Corosync reloaded, corosync-qdevice enabled and
    started on every node. Nothing is changed until the files are checked; a node that cannot
    take its certificate or its corosync.conf makes every node give both back."""
    here = host or LocalNode()
    conf_text, json_text, _ = _local_files(here)
    root = conf_tree.parse(conf_text)
    path = "/" + clusterconf.COROSYNC_CONF
    new_root, dev, found = quorum.device_added(root, path, model=model,
                                               model_options=model_options,
                                               generic_options=generic_options, force=force)
    members = [n.name for n in membership.nodes_of(root)]
    hosts = known(members, store)
    qnetd = known([dev.host], store)[0]
    cluster_name = _cluster_name(root)
    ca = _one(ask(qnetd, NodeRequest(NodeOp.QNETD_CA)))
    try:
        request = qdevice_net.node_request(here, ca, cluster_name)
        signed = _one(ask(qnetd, NodeRequest(NodeOp.QNETD_SIGN, cluster_name=cluster_name,
                                             certificates=(request,))))
        bundle = qdevice_net.node_import_signed(here, signed)
    except ReportError:
        qdevice_net.node_forget(here)
        raise
    certified = ask_all(hosts, NodeRequest(NodeOp.QDEVICE_TAKE, certificates=(ca, bundle)))
    if not all(o.ok for o in certified):
        qdevice_net.node_forget(here)
        undone = ask_all([h for h, o in zip(hosts, certified, strict=True) if o.ok],
                         NodeRequest(NodeOp.QDEVICE_FORGET))
        return DeviceChange(True, dev.host, certified, (), (), None, undone, found)
    _, _, updated, restored = _update_members(hosts, new_root, conf_text, json_text)
    if restored is not None:
        undone = ask_all(hosts, NodeRequest(NodeOp.QDEVICE_FORGET))
        return DeviceChange(True, dev.host, certified, (), updated, None, (*restored, *undone), found)
    reloaded = _reload(hosts)
    said = [*found, *quorum.device_added_reports(root, new_root, dev, path)]
    if reloaded is None or not reloaded.ok:
        said.append(reports.warning("COROSYNC_NOT_RELOADED", nodes=", ".join(members)))
    started = ask_all(hosts, NodeRequest(NodeOp.QDEVICE_START))
    return DeviceChange(True, dev.host, certified, started, updated, reloaded, (), tuple(said))


def device_remove(*, force: bool = False, store: remote.KnownHosts | None = None,
                  host: LocalNode | None = None) -> DeviceChange:
    """The quorum device taken off every node: corosync-qdevice stopped and disabled, every
    member's corosync.conf without the device (two_node back for two nodes), Corosync
    reloaded, each node's certificate database removed. A node that cannot stop its
    corosync-qdevice stops the removal there, unless `force` (a node that is down)."""
    here = host or LocalNode()
    conf_text, json_text, _ = _local_files(here)
    root = conf_tree.parse(conf_text)
    new_root, dev, found = quorum.device_removed(root, "/" + clusterconf.COROSYNC_CONF)
    members = [n.name for n in membership.nodes_of(root)]
    hosts = known(members, store)
    stopped = ask_all(hosts, NodeRequest(NodeOp.QDEVICE_STOP))
    said = list(found)
    if not all(o.ok for o in stopped):
        if not force:
            return DeviceChange(False, dev.host, (), stopped, (), None, (), tuple(said))
        said += [reports.warning("QDEVICE_NOT_STOPPED", node=o.node) for o in stopped
                 if not o.ok]
    _, _, updated, restored = _update_members(hosts, new_root, conf_text, json_text)
    if restored is not None:
        return DeviceChange(False, dev.host, (), stopped, updated, None, restored, tuple(said))
    reloaded = _reload(hosts)
    if reloaded is None or not reloaded.ok:
        said.append(reports.warning("COROSYNC_NOT_RELOADED", nodes=", ".join(members)))
    forgotten = ask_all(hosts, NodeRequest(NodeOp.QDEVICE_FORGET))
    return DeviceChange(False, dev.host, forgotten, stopped, updated, reloaded, (), tuple(said))


def _cluster_name(root: conf_tree.Section) -> str:
    totem = root.section("totem")
    name = totem.get("cluster_name") if totem is not None else None
    if not name:
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE",
                                         path="/" + clusterconf.COROSYNC_CONF,
                                         detail="no totem.cluster_name")])
    return name


# -- config restore --------------------------------------------------------------------------
def restore(saved: backup.Backup, *, store: remote.KnownHosts | None = None
            ) -> tuple[NodeOutcome, ...]:
    """The backup on every node of its own corosync.conf, through their endpoints: every node
    asked first whether it may take it (its cluster stopped); one that may not, or cannot be
    reached, stops the restore before anything is written, naming it."""
    conf = next((f for f in saved.files if f.path == clusterconf.COROSYNC_CONF), None)
    if conf is None:
        raise ReportError([reports.error("RESTORE_NO_NODES")])
    try:
        names = quorum_device.node_names(conf_tree.parse(conf.data.decode()))
    except (UnicodeDecodeError, ReportError):
        raise ReportError([reports.error("RESTORE_NO_NODES")]) from None
    if not names:
        raise ReportError([reports.error("RESTORE_NO_NODES")])
    hosts = known(names, store)
    files = (*saved.files, *((clusterconf.NodeFile(backup.CIB_MEMBER, saved.cib, 0o600),)
                             if saved.cib is not None else ()))
    checks = ask_all(hosts, NodeRequest(NodeOp.RESTORE_CHECK, files=files))
    failed = [o for o in checks if not o.ok]
    if failed:
        raise ReportError(_by_node(failed))
    return ask_all(hosts, NodeRequest(NodeOp.RESTORE, files=files))


# -- cluster report ----------------------------------------------------------------------------
def report_parts(names: Sequence[str], *, since: float | None, until: float | None,
                 store: remote.KnownHosts | None = None
                 ) -> tuple[tuple[report.NodePart, ...], tuple[tuple[str, str], ...]]:
    """Each node's part of `cluster report`, and the nodes that gave none (with why)."""
    outcomes = ask_all(known(names, store), NodeRequest(NodeOp.REPORT, since=since,
                                                       until=until))
    parts = tuple(o.result for o in outcomes if isinstance(o.result, report.NodePart))
    missing = tuple((o.node, ", ".join(r.code for r in o.reports) or "no answer")
                    for o in outcomes if not o.ok)
    return parts, missing
