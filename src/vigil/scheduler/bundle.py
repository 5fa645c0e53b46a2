"""Bundles in the scheduler: the implicit resources of each replica, as Pacemaker names them.

A bundle `B` with `replicas` copies has, for replica N:
- `B-docker-N` (or -podman-N, -rkt-N): the container. The containers are assigned like the
  instances of a clone of B (replicas-per-host of them per node at most), which is what the
  working set makes of B: a clone whose instances are the containers (`unique`: each keeps its
  own history id).
- `B-ip-ADDR`: with `ip-range-start`, an IPaddr2 per replica, started before its container and
  placed with it.
- guest node `B-N`, over connection `B-N` placed with its container (remote.py does this, the
  container carrying the meta `remote-node` as a guest's container does).
- with a primitive inside, its instance `RSC:N`, on guest node `B-N` only: the instances make a
  clone `B-clone` (`B-master` when promoted-max is set) of that primitive.

Guest nodes of bundles host nothing else: their node weight is -INFINITY.
"""

from __future__ import annotations

import ipaddress

from vigil.model.bundles import DEFAULT_CONTROL_PORT, Bundle
from vigil.model.cib import Cib
from vigil.model.nvset import NvPair, NvSet
from vigil.model.resources import Clone, Operation, Primitive
from vigil.model.score import INFINITY
from vigil.scheduler.transition import Task
from vigil.scheduler.working import OrderFlag, Rsc, ScoreSource, WorkingSet


def bundles(cib: Cib) -> list[Bundle]:
    """The bundles the scheduler acts on: one whose primitive cannot be reached (no
    ip-range-start, no control-port) is ignored, as Pacemaker ignores it."""
    return [r for r in cib.configuration.resources if isinstance(r, Bundle) and usable(r)]


def usable(bundle: Bundle) -> bool:
    if bundle.primitive is None:
        return True
    net = bundle.network
    return net is not None and bool(net.ip_range_start or net.control_port)


def guest_name(bundle: Bundle, n: int) -> str:
    return f"{bundle.id}-{n}"


def replica_address(bundle: Bundle, n: int) -> str | None:
    """The IP address of replica N: ip-range-start plus N (None without a range)."""
    net = bundle.network
    if net is None or not net.ip_range_start:
        return None
    try:
        return str(ipaddress.ip_address(net.ip_range_start.strip()) + n)
    except ValueError:
        return None


def _pairs(set_id: str, values: list[tuple[str, str | None]]) -> NvSet:
    return NvSet(set_id, tuple(NvPair(f"{set_id}-{k}", k, v) for k, v in values
                               if v is not None))


def container_model(bundle: Bundle, n: int) -> Primitive:
    """Replica N's container: an ocf:heartbeat agent named after the runtime. Its meta
    `remote-node` makes it the container of guest node B-N when the bundle has a primitive."""
    c = bundle.container
    rid = f"{bundle.id}-{c.runtime}-{n}"
    params = _pairs(f"{rid}-instance_attributes", [
        ("name", rid), ("image", c.image), ("run_opts", c.options),
        ("run_cmd", c.run_command)])
    meta: list[tuple[str, str | None]] = []
    if bundle.primitive is not None:
        port = (bundle.network.control_port if bundle.network is not None else None)
        meta = [("remote-node", guest_name(bundle, n)),
                ("remote-addr", replica_address(bundle, n) or "#uname"),
                ("remote-port", port or str(DEFAULT_CONTROL_PORT))]
    return Primitive(
        id=rid, standard="ocf", provider="heartbeat", agent_type=c.runtime,
        instance_attributes=(params,),
        meta_attributes=(_pairs(f"{rid}-meta_attributes", meta),) if meta else (),
        utilization=bundle.utilization,
        operations=(Operation(f"{rid}-monitor-interval-60s", "monitor", "60s", 60000),))


def ip_model(bundle: Bundle, address: str) -> Primitive:
    net = bundle.network
    assert net is not None
    rid = f"{bundle.id}-ip-{address}"
    params = _pairs(f"{rid}-instance_attributes", [
        ("ip", address), ("nic", net.host_interface), ("cidr_netmask", net.host_netmask)])
    return Primitive(
        id=rid, standard="ocf", provider="heartbeat", agent_type="IPaddr2",
        instance_attributes=(params,),
        operations=(Operation(f"{rid}-monitor-interval-60s", "monitor", "60s", 60000),))


def inner_clone_model(bundle: Bundle) -> Clone | None:
    """The clone of the bundle's primitive, one instance per replica."""
    if bundle.primitive is None:
        return None
    c = bundle.container
    promoted = c.promoted_max_value
    cid = f"{bundle.id}-master" if promoted else f"{bundle.id}-clone"
    meta: list[tuple[str, str | None]] = [
        ("clone-max", str(c.replicas_value)), ("clone-node-max", "1"),
        ("globally-unique", "false")]
    if promoted:
        meta += [("promotable", "true"), ("promoted-max", str(promoted)),
                 ("promoted-node-max", "1")]
    # the primitive's notify asks the clone for notifications, as a bundle's child does
    for nvset in bundle.primitive.meta_attributes:
        for name in ("notify", "interleave", "ordered"):
            value = nvset.get(name)
            if value is not None:
                meta.append((name, value))
    return Clone(id=cid, child=bundle.primitive,
                 meta_attributes=(_pairs(f"{cid}-meta_attributes", meta),))


def implicit_containers(cib: Cib) -> list[Primitive]:
    """Every bundle's containers (for remote.py: those of bundles with a primitive are guest
    containers)."""
    return [container_model(b, n) for b in bundles(cib)
            for n in range(b.container.replicas_value)]


# --- the working set ------------------------------------------------------------------------

def guest_replica(ws: WorkingSet, clone: Rsc, node_name: str) -> Rsc | None:
    """The instance of a bundle's inner clone that lives on guest node `node_name`."""
    bundle_rsc = ws.bundle_of_inner.get(clone.id)
    if bundle_rsc is None:
        return None
    for inst in clone.children:
        if node_name == f"{bundle_rsc.id}-{inst.instance_number}":
            return inst
    return None


def internal_constraints(ws: WorkingSet) -> None:
    """Each IP goes with its container; instance N of the inner clone runs on guest node B-N
    only (unless it reached its migration-threshold there)."""
    from vigil.scheduler.placement import add_colocation
    for bundle_rsc in ws.bundle_rscs:
        for ip, container in ws.bundle_ips.get(bundle_rsc.id, []):
            add_colocation(ws, "ip-with-container", ip, container, INFINITY)
        inner = ws.bundle_inner.get(bundle_rsc.id)
        if inner is None:
            continue
        guests = {f"{bundle_rsc.id}-{i.instance_number}" for i in inner.children}
        for node in ws.nodes:
            inner.allowed[node.name] = 0 if node.name in guests else -INFINITY
        for inst in inner.children:
            home = f"{bundle_rsc.id}-{inst.instance_number}"
            for node in ws.nodes:
                if node.name != home:
                    _set(inst, node.name, -INFINITY, "only on its own guest node")
                elif not _threshold_reached(inst, home):
                    _set(inst, node.name, INFINITY, "its own guest node")


def place_connection(ws: WorkingSet, conn: Rsc) -> None:
    """A replica's connection runs where its container runs; a container on a remote node
    (a nested bundle) leaves its connection free to run on any cluster node, and so does a
    container placed nowhere (the connection's start is then blocked by the container's:
    crm_simulate shows it so)."""
    from vigil.scheduler.placement import assign
    container = conn.container
    if not conn.bundle_part or container is None:
        return
    assign(ws, container)
    host = container.assigned
    if host is None or host.remote:
        return
    for node in ws.nodes:
        if node is host:
            conn.allowed[node.name] = _CONNECTION_HOME
            conn.sources[node.name] = [ScoreSource("bundle", "its container's node",
                                                   _CONNECTION_HOME)]
        elif node.name in conn.allowed:
            conn.allowed[node.name] = -INFINITY
            conn.sources[node.name] = [ScoreSource("bundle", "not its container's node",
                                                   -INFINITY)]


# a connection's score on its container's node (crm_simulate -s shows 10000)
_CONNECTION_HOME = 10000


def _threshold_reached(inst: Rsc, node: str) -> bool:
    for prim in inst.primitives():
        count = prim.fail_counts.get(node, 0)
        if prim.migration_threshold > 0 and count >= prim.migration_threshold:
            return True
    return False


def _set(rsc: Rsc, node: str, value: int, detail: str) -> None:
    for prim in [rsc, *rsc.children]:
        prim.allowed[node] = value
        prim.sources[node] = [ScoreSource("bundle", detail, value)]


def orderings(ws: WorkingSet) -> None:
    """An IP starts before its container and stops after it; the inner clone starts within the
    bundle's start and stops within its stop."""
    from vigil.scheduler.orderings import order_rsc_tasks
    for bundle_rsc in ws.bundle_rscs:
        for ip, container in ws.bundle_ips.get(bundle_rsc.id, []):
            order_rsc_tasks(ws, ip, Task.START, container, Task.START,
                            OrderFlag.IMPLIES_THEN | OrderFlag.RUNNABLE_LEFT)
            order_rsc_tasks(ws, container, Task.STOP, ip, Task.STOP, OrderFlag.IMPLIES_FIRST)
        inner = ws.bundle_inner.get(bundle_rsc.id)
        if inner is None:
            continue
        # as a clone's own actions wrap its instances'
        order_rsc_tasks(ws, bundle_rsc, Task.START, inner, Task.START,
                        OrderFlag.IMPLIES_FIRST_PRINTED)
        order_rsc_tasks(ws, inner, Task.RUNNING, bundle_rsc, Task.RUNNING, OrderFlag.IMPLIES_THEN)
        order_rsc_tasks(ws, bundle_rsc, Task.STOP, inner, Task.STOP,
                        OrderFlag.IMPLIES_FIRST_PRINTED)
        order_rsc_tasks(ws, inner, Task.STOPPED, bundle_rsc, Task.STOPPED, OrderFlag.IMPLIES_THEN)
