"""Pacemaker Remote nodes and guest nodes: which nodes they are, when they are up, and what their
connection resources imply for the resources on them.

A primitive of `ocf:pacemaker:remote` is the connection of the remote node named by its id. A
primitive with meta `remote-node=NAME` is a container (a VM, say) hosting guest node NAME, over
an implicit connection resource of that id. A remote node is up while its connection runs; the
connection itself runs on a cluster node, never on a remote one. A resource with meta
`container=ID` (a "filler") lives inside that container: colocated with it, started after it,
and a failure of the filler restarts the container.

Fencing differs by kind: a remote node is fenced by the cluster like any node, while a guest
node is "fenced" by recovering its container (a pseudo fencing action implied by the
container's stop).
"""

from __future__ import annotations

from vigil.model.cib import Cib
from vigil.model.nvset import NvPair, NvSet
from vigil.model.resources import Operation, Primitive, Resource, walk
from vigil.model.score import INFINITY
from vigil.model.status import NodeState, ResourceHistory
from vigil.model.values import is_true
from vigil.scheduler.transition import OnFail, Task
from vigil.scheduler.working import (
    Action,
    Node,
    OrderFlag,
    Role,
    Rsc,
    Variant,
    WorkingSet,
    natural_key,
)


def is_connection_model(prim: Primitive) -> bool:
    return (prim.standard == "ocf" and prim.provider == "pacemaker"
            and prim.agent_type == "remote")


def _meta_value(prim: Primitive, name: str) -> str | None:
    for nvset in prim.meta_attributes:
        value = nvset.get(name)
        if value is not None:
            return value
    return None


def guest_name(prim: Primitive) -> str | None:
    """The guest node a container hosts (its `remote-node` meta), if any."""
    if is_connection_model(prim):
        return None
    return _meta_value(prim, "remote-node") or None


def _primitives(cib: Cib) -> list[Primitive]:
    """Configured primitives, then the containers bundles imply (bundle.py)."""
    from vigil.scheduler.bundle import implicit_containers
    return [r for r in walk(cib.configuration.resources)
            if isinstance(r, Primitive)] + implicit_containers(cib)


def node_state_flag(state: NodeState | None, name: str) -> str | None:
    if state is None:
        return None
    return dict(state.extra.attrs).get(name)


def is_remote_state(state: NodeState) -> bool:
    return is_true(node_state_flag(state, "remote_node"), False)


# --- nodes ----------------------------------------------------------------------------------

def create_nodes(ws: WorkingSet, cib: Cib, states: dict[str, NodeState],
                 read_attrs: dict[str, dict[str, str]]) -> None:
    """A node for every remote connection, guest container and configured remote node.

    `read_attrs` holds each configured remote node's own attributes (and utilization, under
    the key "#utilization:NAME" rendered by the caller). They start offline: a node is up only
    once its connection is known to run (status) or is going to (assignment)."""
    wanted: list[tuple[str, str, bool]] = []  # (name, #kind, has a connection)
    for prim in _primitives(cib):
        if is_connection_model(prim):
            wanted.append((prim.id, "remote", True))
        else:
            guest = guest_name(prim)
            if guest:
                wanted.append((guest, "container", True))
    known = {name for name, _, _ in wanted}
    for cfg in cib.configuration.nodes:
        if cfg.type == "remote" and cfg.uname not in known:
            wanted.append((cfg.uname, "remote", False))
            known.add(cfg.uname)
    existing = {n.name for n in ws.nodes}
    for name, kind, connected in wanted:
        if name in existing:
            continue
        node = Node(id=name, name=name, remote=True, kind="remote")
        node.attrs = dict(read_attrs.get(name, {}))
        state = states.get(name) or states.get(f"uname:{name}")
        node.attrs["#uname"] = name
        node.attrs["#id"] = name
        node.attrs["#kind"] = kind
        node.attrs["#is_dc"] = "false"
        if connected and ws.options.stonith_enabled and ws.options.startup_fencing:
            # unseen until its history is read or its connection is assigned
            node.unclean = True
        node.unseen = True
        node.expected_up = state is not None
        ws.nodes.append(node)
        existing.add(name)


def apply_node_attributes(node: Node) -> None:
    node.standby = is_true(node.attrs.get("standby"), False)
    node.maintenance = is_true(node.attrs.get("maintenance"), False)
    shutdown = node.attrs.get("shutdown")
    if shutdown is not None and shutdown != "0" and shutdown.lower() != "false":
        node.shutdown = True


# --- resources ------------------------------------------------------------------------------

def guest_connection_models(cib: Cib, resources: tuple[Resource, ...]) -> list[Primitive]:
    """The implicit connection resource of each guest node, as Pacemaker adds it (after every
    configured resource, templates applied): `ocf:pacemaker:remote` named after the guest."""
    out: list[Primitive] = []
    from vigil.scheduler.bundle import implicit_containers
    prims = [r for r in walk(resources) if isinstance(r, Primitive)] + implicit_containers(cib)
    for prim in prims:
        guest = guest_name(prim)
        if not guest:
            continue
        params: list[NvPair] = []
        addr = _meta_value(prim, "remote-addr")
        port = _meta_value(prim, "remote-port")
        if addr:
            params.append(NvPair(f"{guest}-addr", "addr", addr))
        if port:
            params.append(NvPair(f"{guest}-port", "port", port))
        meta = (NvPair(f"{guest}-container", "container", prim.id),
                NvPair(f"{guest}-internal", "internal_rsc", "true"))
        out.append(Primitive(
            id=guest, standard="ocf", provider="pacemaker", agent_type="remote",
            instance_attributes=(NvSet(f"{guest}-instance_attributes", tuple(params)),),
            meta_attributes=(NvSet(f"{guest}-meta_attributes", meta),),
            operations=(Operation(f"{guest}-monitor-interval-30s", "monitor", "30s", 30000),)))
    return out


def link(ws: WorkingSet) -> None:
    """Tie connections to their nodes, guest connections and fillers to their containers."""
    for rsc in ws.all_rscs():
        if rsc.variant != Variant.PRIMITIVE or rsc.model is None:
            continue
        if rsc.standard == "ocf" and rsc.provider == "pacemaker" and rsc.agent_type == "remote":
            node = ws.node(rsc.id)
            if node is not None and node.remote:
                rsc.remote_node = node
                node.connection = rsc
        container_id = rsc.meta.get("container")
        if container_id:
            container = ws.by_id.get(container_id)
            if container is not None and container is not rsc:
                rsc.container = container
                container.fillers.append(rsc)


def connections(ws: WorkingSet) -> list[Rsc]:
    return [n.connection for n in ws.nodes if n.connection is not None]


def reconnect_interval_s(rsc: Rsc) -> int:
    from vigil.model.durations import parse_interval_ms
    text = rsc.params.get("reconnect_interval")
    if not text:
        return 0
    return (parse_interval_ms(text) or 0) // 1000


# --- status ---------------------------------------------------------------------------------

def connection_up(node: Node) -> bool:
    """Whether a remote node's history can be read yet: its connection (and container) run."""
    rsc = node.connection
    if rsc is None or rsc.role != Role.STARTED:
        return False
    return rsc.container is None or rsc.container.role == Role.STARTED


def determine_online(node: Node) -> None:
    """A remote node is online while its connection runs, unless that (or its container) failed
    or the guest's host is lost."""
    rsc = node.connection
    if rsc is None:
        node.online = False
        return
    container = rsc.container
    host = rsc.running_on[0] if container is not None and len(rsc.running_on) == 1 else None
    if rsc.role == Role.STARTED:
        node.online = True
        if rsc.next_role == Role.STOPPED:
            node.shutdown = True
    if container is not None and container.failed:
        node.online = False
        node.remote_requires_reset = True
    elif rsc.failed:
        node.online = False
    elif rsc.role == Role.STOPPED or (container is not None and container.role == Role.STOPPED):
        node.online = False
        node.remote_requires_reset = False
    elif host is not None and not host.online and host.unclean:
        node.online = False
        node.remote_requires_reset = True


def fence(node: Node, reason: str) -> None:
    """Pacemaker's decision to fence a remote or guest node."""
    rsc = node.connection
    if node.guest:
        assert rsc is not None and rsc.container is not None
        container = rsc.container
        if not container.failed and container.managed:
            # not unclean: the guest may run resources again once its container is recovered
            node.remote_requires_reset = True
            container.failed = True
            container.stop_needed = True
        return
    if rsc is not None and not rsc.managed:
        return  # its connection is unmanaged: it is not fenced
    node.remote_requires_reset = True
    node.unclean = True
    if node.fence_reason is None:
        node.fence_reason = reason


def thought_active(ws: WorkingSet, rsc: Rsc, node: Node) -> None:
    """A managed resource active on a remote node that is not online."""
    if node.guest:
        rsc.failed = True
        rsc.stop_needed = True
        fence(node, f"{rsc.id} is thought to be active there")
        return
    if not ws.options.stonith_enabled:
        return
    conn = node.connection
    if conn is not None and not conn.failed:
        # fenced only if its connection cannot be re-established elsewhere
        node.unseen = True
        fence(node, f"{rsc.id} is active there (fencing will be revoked if remote connection "
                    "can be re-established elsewhere)")
        return
    fence(node, f"{rsc.id} is thought to be active there")


def default_on_fail(ws: WorkingSet, rsc: Rsc, task: str, interval_ms: int) -> OnFail | None:
    """The on-fail of an operation with none configured: a filler's failure restarts its
    container. A remote connection's failure drops an active connection, so it resets the
    connection (fencing the node), except a probe's or a start's, which find no connection
    to lose; an unmanaged connection just stops."""
    if rsc.container is not None and rsc.remote_node is None:
        return OnFail.RESTART_CONTAINER
    if rsc.remote_node is not None and rsc.container is None and task != "start" and not (
            task == "monitor" and interval_ms == 0):
        return OnFail.RESET_REMOTE if rsc.managed else OnFail.STOP
    return None


def apply_failure(ws: WorkingSet, rsc: Rsc, node: Node, on_fail: OnFail) -> None:
    """What a restart-container or reset-remote failure response does, once per history."""
    if on_fail == OnFail.RESTART_CONTAINER:
        rsc.stop_needed = True
        if rsc.container is not None:
            rsc.container.restart_needed = True
    elif on_fail == OnFail.RESET_REMOTE:
        rsc.stop_needed = True
        target = rsc.remote_node
        if (ws.options.stonith_enabled and target is not None and not target.guest
                and not target.remote_was_fenced):
            fence(target, "remote connection is unrecoverable")
        if reconnect_interval_s(rsc):
            rsc.next_role = Role.STOPPED


def orphan(ws: WorkingSet, rsc: Rsc, hist: ResourceHistory) -> None:
    """An orphaned connection still names its remote node, which is shutting down (its
    resources leave); an orphan recorded with a container is that container's filler once
    every history is read."""
    if (hist.standard, hist.provider, hist.agent_type) == ("ocf", "pacemaker", "remote"):
        node = ws.node(rsc.id)
        if node is None:
            node = Node(id=rsc.id, name=rsc.id, remote=True, kind="remote")
            node.attrs = {"#uname": rsc.id, "#id": rsc.id, "#kind": "remote",
                          "#is_dc": "false"}
            ws.nodes.append(node)
            ws.nodes.sort(key=lambda n: natural_key(n.name))
        if node.remote and node.connection is None:
            node.connection = rsc
            rsc.remote_node = node
            node.shutdown = True
    if hist.container:
        rsc.meta["container"] = hist.container


def _link_orphan_fillers(ws: WorkingSet) -> None:
    for rsc in ws.resources:
        container_id = rsc.meta.get("container")
        if not rsc.orphan or rsc.container is not None or not container_id:
            continue
        container = ws.by_id.get(container_id)
        if container is not None and container is not rsc:
            rsc.container = container
            container.fillers.append(rsc)
            if rsc.remote_node is not None:
                rsc.remote_node.kind = "remote"
                rsc.remote_node.attrs["#kind"] = "container"


def add_filler_fail_counts(ws: WorkingSet) -> None:
    """A container's failures include its fillers': its migration-threshold counts them all."""
    from vigil.model.score import add
    for rsc in ws.all_rscs():
        for filler in rsc.fillers:
            if filler.remote_node is not None:
                continue
            for node, count in filler.fail_counts.items():
                rsc.fail_counts[node] = add(rsc.fail_counts.get(node, 0), count)


def after_status(ws: WorkingSet, unpacked: set[str]) -> None:
    _link_orphan_fillers(ws)
    for node in ws.nodes:
        if not node.remote:
            continue
        if node.shutdown and node.connection is not None:
            node.connection.next_role = Role.STOPPED
        if node.name not in unpacked:
            determine_online(node)


# --- placement ------------------------------------------------------------------------------

def _guest_of(ws: WorkingSet, container: Rsc) -> Node | None:
    """The remote node a resource stands for: a connection's, or a container's guest."""
    if container.remote_node is not None:
        return container.remote_node
    for node in ws.nodes:
        if node.connection is not None and node.connection.container is container:
            return node
    return None


def internal_constraints(ws: WorkingSet) -> None:
    """Connections and fencing devices never run on remote nodes; a guest's container neither
    (no nesting); a guest connection and a filler go with their container, and a filler whose
    "container" is a remote node's connection or a guest's container runs on that node."""
    from vigil.scheduler.placement import add_colocation
    remote_nodes = [n for n in ws.nodes if n.remote]
    for rsc in ws.all_rscs():
        if rsc.variant != Variant.PRIMITIVE:
            continue
        container = rsc.container
        if container is not None and rsc.remote_node is not None and not ws.options.symmetric:
            # a guest connection opts in everywhere: its container decides where it goes
            for node in ws.nodes:
                if node.name not in rsc.allowed:
                    rsc.allowed[node.name] = 0
        if container is not None and rsc.remote_node is not None:
            for node in remote_nodes:
                if container.bundle_part and not node.guest:
                    continue  # a bundle may run on a remote node, just not nested in a guest
                container.add_score(node.name, -INFINITY, "remote",
                                    "a guest's container cannot run on a remote node")
            if not rsc.bundle_part:  # a bundle's connection: see bundle.place_connection
                add_colocation(ws, "resource-with-container", rsc, container, INFINITY)
        elif container is not None:
            target = _guest_of(ws, container)
            if target is None:
                add_colocation(ws, "resource-with-container", rsc, container, INFINITY)
            else:
                for node in ws.nodes:
                    if node is not target and node.name in rsc.allowed:
                        rsc.add_score(node.name, -INFINITY, "remote",
                                      f"its container is remote node {target.name}")
        if rsc.remote_node is not None or rsc.is_fencing_device:
            why = "a connection" if rsc.remote_node is not None else "a fencing device"
            for node in remote_nodes:
                rsc.add_score(node.name, -INFINITY, "remote",
                              f"{why} cannot run on a remote node")


def container_orderings(ws: WorkingSet, rsc: Rsc) -> None:
    """A filler (or a guest connection) starts after its container and stops before it.

    These come first among the orderings of the filler's start, as Pacemaker weighs them
    first: a filler restarted with its container is restarted "due to required <container>
    start" (crm_simulate: container-2)."""
    from vigil.scheduler.actions import rsc_actions
    from vigil.scheduler.orderings import order
    container = rsc.container
    if container is None or (rsc.remote_node is None and _guest_of(ws, container) is not None):
        return
    for first in rsc_actions(ws, container, Task.START):
        for then in rsc_actions(ws, rsc, Task.START):
            order(ws, first, then, OrderFlag.IMPLIES_THEN | OrderFlag.RUNNABLE_LEFT)
            made = [o for o in then.before if o.first is first]
            then.before[:] = made + [o for o in then.before if o.first is not first]
    for first in rsc_actions(ws, rsc, Task.STOP):
        for then in rsc_actions(ws, container, Task.STOP):
            order(ws, first, then, OrderFlag.IMPLIES_FIRST)


def after_connection_assigned(ws: WorkingSet, rsc: Rsc) -> None:
    """A connection assigned somewhere brings its node up (an unseen node is then not
    unclean); one that will not run shuts it down, and a failed one that will not run again
    leaves its remote node in an unknown state: fenced (with fencing enabled)."""
    node = rsc.remote_node
    if node is None:
        return
    if rsc.assigned is not None and rsc.next_role != Role.STOPPED:
        node.online = True
        if node.unseen:
            node.unclean = False
    else:
        node.shutdown = True
        if (rsc.failed and rsc.managed and ws.options.stonith_enabled and not node.guest
                and not node.unclean and not node.remote_was_fenced):
            fence(node, "the connection is unrecoverable")


# --- actions and orderings ------------------------------------------------------------------

_STATE_ALIVE, _STATE_RESTING, _STATE_UNKNOWN, _STATE_STOPPED, _STATE_FAILED = range(5)


def _connection_state(conn: Rsc) -> int:
    host = conn.running_on[0] if conn.running_on else None
    if conn.next_role == Role.STOPPED or conn.assigned is None:
        if host is not None and host.unclean:
            return _STATE_FAILED
        if not conn.failed:
            return _STATE_STOPPED
        return _STATE_FAILED
    if host is None:
        return _STATE_UNKNOWN
    if host.unclean or not host.online:
        return _STATE_RESTING
    return _STATE_ALIVE


def _start_of(ws: WorkingSet, rsc: Rsc) -> Action:
    from vigil.scheduler.actions import get_action
    node = rsc.assigned.name if rsc.assigned is not None else None
    for a in ws.rsc_actions.get(rsc.id, []):
        if a.task == Task.START:
            return a
    return get_action(ws, rsc, Task.START, node, True)


def _stops_of(ws: WorkingSet, rsc: Rsc) -> list[Action]:
    from vigil.scheduler.actions import get_action
    stops = [a for a in ws.rsc_actions.get(rsc.id, []) if a.task == Task.STOP]
    if stops:
        return stops
    return [get_action(ws, rsc, Task.STOP, None, True)]


def order_remote_actions(ws: WorkingSet) -> None:
    """Order each resource action on a remote node against its connection (and container)."""
    for rsc in ws.all_rscs():
        if rsc.variant != Variant.PRIMITIVE or rsc.remote_node is not None:
            continue
        for action in list(ws.rsc_actions.get(rsc.id, [])):
            node = action.node
            if node is None or not node.remote or node.connection is None:
                continue
            conn = node.connection
            if conn.container is not None:
                _order_on_guest(ws, action, conn, conn.container)
            else:
                _order_on_remote(ws, action, conn)


def _order_on_remote(ws: WorkingSet, action: Action, conn: Rsc) -> None:
    from vigil.scheduler.orderings import order
    state = _connection_state(conn)
    task = action.task
    node = action.node
    assert node is not None
    if task in (Task.START, Task.PROMOTE):
        if state == _STATE_FAILED:
            # force recovery elsewhere: nothing can start over a connection that is lost
            for stop in _stops_of(ws, conn):
                order(ws, stop, action, OrderFlag.IMPLIES_THEN | OrderFlag.RUNNABLE_LEFT)
        order(ws, _start_of(ws, conn), action, OrderFlag.RUNNABLE_LEFT)
    elif task == Task.STOP:
        if state == _STATE_ALIVE:
            for stop in _stops_of(ws, conn):
                order(ws, action, stop, OrderFlag.IMPLIES_FIRST)
        elif state == _STATE_FAILED:
            fence(node, "resources are active but connection is unrecoverable")
        elif conn.next_role == Role.STOPPED:
            for stop in _stops_of(ws, conn):
                order(ws, action, stop, OrderFlag.IMPLIES_FIRST)
        else:
            order(ws, _start_of(ws, conn), action, OrderFlag.RUNNABLE_LEFT)
    elif task == Task.DEMOTE and state in (_STATE_RESTING, _STATE_UNKNOWN):
        # demoted once the connection is back; a connection torn down relies on the stop
        order(ws, _start_of(ws, conn), action, OrderFlag.RUNNABLE_LEFT)


def _order_on_guest(ws: WorkingSet, action: Action, conn: Rsc, container: Rsc) -> None:
    from vigil.scheduler.orderings import order
    task = action.task
    if task in (Task.START, Task.PROMOTE):
        for cstart in [a for a in ws.rsc_actions.get(container.id, []) if a.task == Task.START]:
            order(ws, cstart, action, OrderFlag.IMPLIES_THEN | OrderFlag.RUNNABLE_LEFT)
        order(ws, _start_of(ws, conn), action, OrderFlag.RUNNABLE_LEFT)
    elif task in (Task.STOP, Task.DEMOTE) and not container.failed:
        # before the connection goes; a failed container's stop implies these instead
        for stop in _stops_of(ws, conn):
            order(ws, action, stop, OrderFlag.NONE)


# --- fencing --------------------------------------------------------------------------------

def _can_stop_container(ws: WorkingSet, container: Rsc) -> bool:
    """A guest is fenced by stopping its container: possible where the container's host is
    up, or is itself fenced."""
    from vigil.scheduler.fencing import can_fence
    host = container.running_on[0] if container.running_on else None
    if host is None or (host.online and not host.unclean):
        return True
    return host.unclean and can_fence(ws, host.online)


def guest_fence_actions(ws: WorkingSet) -> list[Action]:
    """A pseudo fencing action for each guest node that must be reset: implied by its
    container's stop, and implying the stops of everything on the guest."""
    from vigil.scheduler.orderings import order
    out: list[Action] = []
    for node in ws.nodes:
        # (with fencing disabled too: no fencing device is involved)
        if not node.guest or not node.remote_requires_reset:
            continue
        conn = node.connection
        assert conn is not None and conn.container is not None
        container = conn.container
        if not _can_stop_container(ws, container):
            continue
        cactions = ws.rsc_actions.get(container.id, [])
        has_start = any(a.task == Task.START for a in cactions)
        fence_op = Action(rsc=None, task=Task.STONITH, node=node, seq=len(ws.actions),
                          optional=False, pseudo=True)
        fence_op.fence_action = "reboot" if has_start else "off"
        fence_op.reason = "guest is unclean"
        ws.actions.append(fence_op)
        out.append(fence_op)
        for stop in [a for a in cactions if a.task == Task.STOP]:
            order(ws, stop, fence_op, OrderFlag.NONE)
        for rsc in ws.all_rscs():
            if rsc.variant != Variant.PRIMITIVE:
                continue
            for a in ws.rsc_actions.get(rsc.id, []):
                if a.node is node and a.task in (Task.STOP, Task.DEMOTE):
                    a.pseudo = True
                    a.runnable = True
                    a.optional = False
                    order(ws, fence_op, a, OrderFlag.NONE)
    return out
