"""Build the working set from a CIB: nodes and their state, resources, and what the history says."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model import templates
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import Colocation, Location, Order, TicketConstraint
from vigil.model.durations import parse_interval_ms
from vigil.model.nvset import NvSet, sorted_sets
from vigil.model.ocf import ExecStatus as S
from vigil.model.ocf import OcfResult as R
from vigil.model.ocf import effective_rc
from vigil.model.resources import Clone, Group, Primitive, Resource, walk
from vigil.model.score import INFINITY, parse_score
from vigil.model.score import add as score_add
from vigil.model.status import NodeState, OperationRecord, ResourceHistory
from vigil.model.values import is_true
from vigil.scheduler import bundle, migration, references, remote, unfencing, utilization
from vigil.scheduler.options import read_options
from vigil.scheduler.rules_eval import RuleContext, evaluate_rule
from vigil.scheduler.transition import OnFail
from vigil.scheduler.working import (
    Node,
    Role,
    Rsc,
    ScoreSource,
    Variant,
    WorkingSet,
    natural_key,
    parse_on_fail,
    parse_role,
)

IGNORED_OPS = {"notify", "meta-data"}  # every other recorded operation counts

# OCF exit codes and executor statuses used while reading history, as plain ints: the history
# loop compares them for every operation record, and an enum attribute costs ~70 ns a lookup.
RC_OK, RC_ERR, RC_INVALID = int(R.OK), int(R.ERR_GENERIC), int(R.ERR_ARGS)
RC_UNIMPL, RC_PRIV, RC_NOTINST = int(R.ERR_UNIMPLEMENTED), int(R.ERR_PERM), int(R.ERR_INSTALLED)
RC_NOTCONF, RC_NOTRUN = int(R.ERR_CONFIGURED), int(R.NOT_RUNNING)
RC_PROMOTED, RC_FAILED_PROMOTED = int(R.RUNNING_PROMOTED), int(R.FAILED_PROMOTED)
ST_PENDING, ST_DONE, ST_CANCELLED = int(S.PENDING), int(S.DONE), int(S.CANCELLED)
ST_TIMEOUT, ST_NOTSUPP, ST_ERROR = int(S.TIMEOUT), int(S.NOT_SUPPORTED), int(S.ERROR)
ST_ERROR_HARD, ST_ERROR_FATAL = int(S.ERROR_HARD), int(S.ERROR_FATAL)
ST_NOT_INSTALLED, ST_NOT_CONNECTED = int(S.NOT_INSTALLED), int(S.NOT_CONNECTED)
ST_NO_FENCE_DEVICE, ST_NO_SECRETS = int(S.NO_FENCE_DEVICE), int(S.NO_SECRETS)
# Results that are not failures whatever was expected (a probe's findings; degraded ones)
_STATE_RCS = frozenset({RC_OK, RC_NOTRUN, RC_PROMOTED, int(R.DEGRADED), int(R.DEGRADED_PROMOTED)})


# --- attribute sets -------------------------------------------------------------------------

def _eval_sets(sets: tuple[NvSet, ...], ctx: RuleContext) -> dict[str, str]:
    out: dict[str, str] = {}
    for nvset in sorted_sets(sets):
        if nvset.rule is not None and not evaluate_rule(nvset.rule, ctx):
            continue
        for pair in nvset.pairs:
            if pair.value is None:
                continue
            if pair.value.lower() == "#default":
                # Pacemaker: "#default" unsets the name (dropping a value set before it)
                out.pop(pair.name, None)
                continue
            out.setdefault(pair.name, pair.value)
    return out


# --- nodes ----------------------------------------------------------------------------------

def _feature_set_at_least(text: str | None, wanted: tuple[int, ...]) -> bool:
    if not text:
        return False
    parts = []
    for p in text.split("."):
        try:
            parts.append(int(p))
        except ValueError:
            parts.append(0)
    return tuple(parts) >= wanted


def node_attributes(cib: Cib, uname: str, now: int) -> dict[str, str]:
    """A node's attributes as rules see them: its permanent ones, then its transient ones (which
    win), then the built-ins (#uname, #id, #kind). Empty for a node the CIB does not know."""
    ctx = RuleContext(now=now)
    for cfg in cib.configuration.nodes:
        if cfg.uname != uname:
            continue
        attrs = _eval_sets(cfg.instance_attributes, ctx)
        for state in cib.status:
            if state.id == cfg.id or (state.uname == uname and state.id != cfg.id):
                attrs.update(_eval_sets(state.transient_attributes, ctx))
                break
        attrs.update({"#uname": uname, "#id": cfg.id, "#kind": "cluster"})
        return attrs
    return {}


def _unpack_nodes(ws: WorkingSet, cib: Cib) -> None:
    states: dict[str, NodeState] = {}
    for entry in cib.status:
        states.setdefault(entry.id, entry)
        if entry.uname:
            states.setdefault(f"uname:{entry.uname}", entry)
    ctx = RuleContext(now=ws.now)
    for cfg in cib.configuration.nodes:
        if cfg.type == "remote":
            continue  # remote nodes are not supported yet; their resources stay unplaced
        node = Node(id=cfg.id, name=cfg.uname,
                    kind="ping" if (cfg.type or "").lower() == "ping" else "member")
        node.weight = parse_score(cfg.score, 0) if cfg.score is not None else 0
        node.attrs = _eval_sets(cfg.instance_attributes, ctx)
        node.utilization = utilization.parse_values(_eval_sets(cfg.utilization, ctx))
        node.capacity_left = dict(node.utilization)
        state: NodeState | None = states.get(cfg.id) or states.get(f"uname:{cfg.uname}")
        if state is not None:
            for k, v in _eval_sets(state.transient_attributes, ctx).items():
                node.attrs[k] = v
        node.attrs["#uname"] = node.name
        node.attrs["#id"] = node.id
        node.attrs["#kind"] = "cluster"
        node.attrs["#is_dc"] = "true" if cib.dc_uuid == node.id else "false"
        _node_state(ws, node, state)
        ws.nodes.append(node)
    _unpack_remote_nodes(ws, cib, states)
    ws.nodes.sort(key=lambda n: natural_key(n.name))


def _unpack_remote_nodes(ws: WorkingSet, cib: Cib, states: dict[str, NodeState]) -> None:
    """Remote and guest nodes (remote.py): their attributes come from their configured node
    entry, if any, then their node_state's transient attributes."""
    ctx = RuleContext(now=ws.now)
    own: dict[str, dict[str, str]] = {}
    utilization: dict[str, dict[str, int]] = {}
    for cfg in cib.configuration.nodes:
        if cfg.type == "remote":
            own[cfg.uname] = _eval_sets(cfg.instance_attributes, ctx)
            utilization[cfg.uname] = {k: parse_score(v) for k, v in
                                      _eval_sets(cfg.utilization, ctx).items()}
    before = len(ws.nodes)
    remote.create_nodes(ws, cib, states, own)
    # a bundle's guest nodes host its replicas' resources only (bundle.py lets those in)
    bundle_guests = {bundle.guest_name(b, n) for b in bundle.bundles(cib) if b.primitive
                     for n in range(b.container.replicas_value)}
    for node in ws.nodes[before:]:
        if node.name in bundle_guests:
            node.weight = -INFINITY
        node.utilization = utilization.get(node.name, {})
        state = states.get(node.id) or states.get(f"uname:{node.name}")
        if state is not None:
            for k, v in _eval_sets(state.transient_attributes, ctx).items():
                node.attrs[k] = v
            fenced = remote.node_state_flag(state, "node_fenced")
            node.remote_was_fenced = fenced is not None and fenced not in ("0", "false")
        remote.apply_node_attributes(node)


def _attr_set(value: str | None) -> bool:
    return value is not None and value != "0" and value.lower() != "false"


def _fence(node: Node, reason: str) -> None:
    if node.remote:
        remote.fence(node, reason)
        return
    node.unclean = True
    if node.fence_reason is None:
        node.fence_reason = reason


def _node_state(ws: WorkingSet, node: Node, state: NodeState | None) -> None:
    opts = ws.options
    node.standby = is_true(node.attrs.get("standby"), False)
    node.maintenance = is_true(node.attrs.get("maintenance"), False)
    if state is None:
        node.unseen = True
        node.online = False
        if opts.stonith_enabled and opts.startup_fencing:
            _fence(node, "node is unclean")
        node.weight = -INFINITY
        return
    in_ccm = is_true(state.in_ccm, False)
    crmd_online = state.crmd == "online"
    join = state.join or ""
    expected_up = state.expected == "member"
    node.expected_up = expected_up
    shutdown = _attr_set(node.attrs.get("shutdown"))
    term = node.attrs.get("terminate")
    terminating = term is not None and (is_true(term, False) or (term[:1].isdigit() and term[0] != "0"))
    node.shutdown = shutdown
    if opts.stonith_enabled:
        if shutdown:
            node.online = crmd_online
        elif state.in_ccm is None:
            node.online = False
            _fence(node, "peer has not been seen by the cluster")
        elif join == "banned":
            node.online = False
            _fence(node, "peer failed Pacemaker membership criteria")
        elif not terminating and not expected_up:
            node.online = in_ccm
            if (in_ccm or crmd_online) and not (in_ccm and crmd_online and join == "member"):
                node.pending = True
                node.standby = True
        elif terminating and join == "down" and not in_ccm and not crmd_online:
            node.online = False
        elif not in_ccm:
            node.online = False
            _fence(node, "peer is no longer part of the cluster")
        elif not crmd_online:
            node.online = True
            _fence(node, "peer process is no longer available")
        elif terminating:
            node.online = True
            _fence(node, "termination was requested")
        elif join == "member":
            node.online = True
        elif join in ("pending", "down"):
            node.online = True
            node.pending = True
            node.standby = True
        else:
            node.online = False
            _fence(node, "peer was in an unknown state")
    else:
        if not in_ccm:
            node.online = False
        elif crmd_online:
            node.online = join == "member"
        elif not expected_up:
            node.online = False
        else:
            node.online = False
            node.unclean = True
    if not node.online or node.shutdown:
        node.weight = -INFINITY


# --- resources ------------------------------------------------------------------------------

def _meta_for(ws: WorkingSet, own: tuple[NvSet, ...], parents: list[dict[str, str]],
              prim: Primitive | None) -> dict[str, str]:
    ctx = RuleContext(now=ws.now, rsc_standard=prim.standard if prim else None,
                      rsc_provider=prim.provider if prim else None,
                      rsc_type=prim.agent_type if prim else None)
    meta = _eval_sets(own, ctx)
    for parent_meta in parents:
        for k, v in parent_meta.items():
            meta.setdefault(k, v)
    for k, v in _eval_sets(ws.rsc_defaults, ctx).items():
        meta.setdefault(k, v)
    return meta


def _apply_settings(ws: WorkingSet, rsc: Rsc) -> None:
    meta = rsc.meta
    rsc.priority = parse_score(meta.get("priority"), 0)
    rsc.stickiness = parse_score(meta.get("resource-stickiness"), 0)
    threshold = meta.get("migration-threshold")
    if threshold is None:
        rsc.migration_threshold = INFINITY
    else:
        value = parse_score(threshold, 0)
        rsc.migration_threshold = 1 if value < 0 else value
    timeout = parse_interval_ms(meta.get("failure-timeout")) if meta.get("failure-timeout") else 0
    rsc.failure_timeout = (timeout or 0) // 1000
    rsc.managed = is_true(meta.get("is-managed"), True)
    if is_true(meta.get("maintenance"), False) or ws.options.maintenance_mode:
        rsc.managed = False
    rsc.multiple_active = (meta.get("multiple-active") or "stop_start").strip().lower()
    rsc.critical = is_true(meta.get("critical"), True)
    rsc.allow_migrate = is_true(meta.get("allow-migrate"), False)


def _requires(ws: WorkingSet, rsc: Rsc) -> str:
    value = rsc.meta.get("requires")
    if rsc.is_fencing_device and value not in ("nothing", "quorum"):
        return "quorum"
    if value in ("nothing", "quorum", "fencing", "unfencing"):
        if value in ("fencing", "unfencing") and not ws.options.stonith_enabled:
            return "quorum"
        return value
    if ws.options.stonith_enabled:
        return "unfencing" if ws.unfencing else "fencing"
    if ws.options.no_quorum_policy == "ignore":
        return "nothing"
    return "quorum"


def _make_primitive(ws: WorkingSet, prim: Primitive, rsc_id: str, parent: Rsc | None,
                    parent_metas: list[dict[str, str]],
                    parent_params: tuple[NvSet, ...] = ()) -> Rsc:
    rsc = Rsc(id=rsc_id, variant=Variant.PRIMITIVE, parent=parent)
    rsc.standard = prim.standard
    rsc.provider = prim.provider
    rsc.agent_type = prim.agent_type
    rsc.meta = _meta_for(ws, prim.meta_attributes, parent_metas, prim)
    # a group's and a clone's instance attributes are their members' too (the member's own win)
    rsc.params = _eval_sets(prim.instance_attributes, RuleContext(now=ws.now))
    for k, v in _eval_sets(parent_params, RuleContext(now=ws.now)).items():
        rsc.params.setdefault(k, v)
    rsc.utilization = utilization.parse_values(_eval_sets(prim.utilization,
                                                          RuleContext(now=ws.now)))
    rsc.is_fencing_device = prim.standard == "stonith"
    if rsc.is_fencing_device:
        ws.has_fencing_device = True
    _apply_settings(ws, rsc)
    rsc.requires = _requires(ws, rsc)
    rsc.config_order = ws.config_counter
    ws.config_counter += 1
    rsc.model = prim
    return rsc


def _own_meta(ws: WorkingSet, sets: tuple[NvSet, ...]) -> dict[str, str]:
    return _eval_sets(sets, RuleContext(now=ws.now))


def _make_group(ws: WorkingSet, group: Group, rsc_id: str, suffix: str, parent: Rsc | None,
                parent_metas: list[dict[str, str]],
                parent_params: tuple[NvSet, ...] = ()) -> Rsc:
    rsc = Rsc(id=rsc_id, variant=Variant.GROUP, parent=parent)
    own = _own_meta(ws, group.meta_attributes)
    rsc.meta = _meta_for(ws, group.meta_attributes, parent_metas, None)
    _apply_settings(ws, rsc)
    rsc.config_order = ws.config_counter
    ws.config_counter += 1
    chain = [own, *parent_metas]
    for member in group.members:
        child = _make_primitive(ws, member, member.id + suffix, rsc, chain,
                                (*group.instance_attributes, *parent_params))
        rsc.children.append(child)
    return rsc


def _clone_child(ws: WorkingSet, clone: Rsc, n: int) -> Rsc:
    model = clone.model
    assert isinstance(model, Clone)
    chain = [clone.own_meta]
    suffix = f":{n}"
    child: Rsc
    if isinstance(model.child, Group):
        child = _make_group(ws, model.child, model.child.id + suffix, suffix, clone, chain,
                            model.instance_attributes)
    else:
        child = _make_primitive(ws, model.child, model.child.id + suffix, clone, chain,
                                model.instance_attributes)
    child.instance_number = n
    for prim in child.primitives():
        prim.instance_number = n
    return child


def _make_clone(ws: WorkingSet, clone: Clone) -> Rsc:
    rsc = Rsc(id=clone.id, variant=Variant.CLONE)
    own = _own_meta(ws, clone.meta_attributes)
    rsc.meta = _meta_for(ws, clone.meta_attributes, [], None)
    _apply_settings(ws, rsc)
    rsc.model = clone
    if "resource-stickiness" not in rsc.meta:
        own = dict(own)
        own["resource-stickiness"] = "1"
        rsc.meta["resource-stickiness"] = "1"
        rsc.stickiness = 1
    rsc.own_meta = own
    meta = rsc.meta
    rsc.unique = is_true(meta.get("globally-unique"), False)
    rsc.promotable = is_true(meta.get("promotable"), False) or clone.legacy_master
    n_nodes = len(ws.nodes)
    rsc.clone_max = max(0, parse_score(meta.get("clone-max"), max(1, n_nodes)))
    if meta.get("clone-max") is None:
        rsc.clone_max = max(1, n_nodes)
    rsc.clone_node_max = parse_score(meta.get("clone-node-max"), 1) if rsc.unique else 1
    rsc.interleave = is_true(meta.get("interleave"), False)
    rsc.ordered = is_true(meta.get("ordered"), False)
    rsc.promoted_max = parse_score(meta.get("promoted-max") or meta.get("master-max"), 1)
    rsc.promoted_node_max = parse_score(
        meta.get("promoted-node-max") or meta.get("master-node-max"), 1)
    rsc.config_order = ws.config_counter
    ws.config_counter += 1
    for n in range(rsc.clone_max):
        rsc.children.append(_clone_child(ws, rsc, n))
    if not rsc.unique:
        if isinstance(clone.child, Group):
            for member in clone.child.members:
                ws.template_ids[member.id] = rsc
        else:
            ws.template_ids[clone.child.id] = rsc
    return rsc


def _make_bundle(ws: WorkingSet, model: Bundle) -> list[Rsc]:
    """The bundle as a clone of its containers, then its IPs, then the clone of its primitive
    (bundle.py). Every part inherits the bundle's meta attributes."""
    rsc = Rsc(id=model.id, variant=Variant.CLONE)
    own = _own_meta(ws, model.meta_attributes)
    rsc.meta = _meta_for(ws, model.meta_attributes, [], None)
    _apply_settings(ws, rsc)
    rsc.own_meta = own
    rsc.unique = True  # each container keeps its own id in the history
    rsc.clone_max = model.container.replicas_value
    rsc.clone_node_max = model.container.replicas_per_host_value
    rsc.config_order = ws.config_counter
    ws.config_counter += 1
    parts = [rsc]
    ips: list[tuple[Rsc, Rsc]] = []
    for n in range(rsc.clone_max):
        container = _make_primitive(ws, bundle.container_model(model, n),
                                    bundle.container_model(model, n).id, rsc, [own])
        container.instance_number = n
        container.bundle_part = True
        rsc.children.append(container)
        address = bundle.replica_address(model, n)
        if address is not None:
            ip = _make_primitive(ws, bundle.ip_model(model, address),
                                 f"{model.id}-ip-{address}", None, [own])
            ip.bundle_part = True
            ips.append((ip, container))
            parts.append(ip)
    ws.bundle_rscs.append(rsc)
    ws.bundle_ips[model.id] = ips
    inner_model = bundle.inner_clone_model(model)
    if inner_model is not None:
        inner = _make_clone(ws, inner_model)
        for k, v in own.items():
            inner.meta.setdefault(k, v)
            for child in inner.all_descendants():
                child.meta.setdefault(k, v)
        ws.bundle_inner[model.id] = inner
        ws.bundle_of_inner[inner.id] = rsc
        parts.append(inner)
    return parts


def _index(ws: WorkingSet, rsc: Rsc) -> None:
    ws.by_id[rsc.id] = rsc
    for child in rsc.children:
        _index(ws, child)


def _unpack_resources(ws: WorkingSet, cib: Cib, resources: tuple[Resource, ...]) -> None:
    for model in resources:
        rsc: Rsc
        if isinstance(model, Primitive):
            rsc = _make_primitive(ws, model, model.id, None, [])
        elif isinstance(model, Group):
            rsc = _make_group(ws, model, model.id, "", None, [])
        elif isinstance(model, Bundle):
            if not bundle.usable(model):
                continue
            for part in _make_bundle(ws, model):
                ws.resources.append(part)
                _index(ws, part)
            continue
        else:
            rsc = _make_clone(ws, model)
        ws.resources.append(rsc)
        _index(ws, rsc)
    for model in remote.guest_connection_models(cib, resources):
        rsc = _make_primitive(ws, model, model.id, None, [])
        ws.resources.append(rsc)
        _index(ws, rsc)
    remote.link(ws)
    for bundle_rsc in ws.bundle_rscs:
        for container in bundle_rsc.children:
            for conn in container.fillers:
                # a replica's connection: its parameters are derived, its meta the bundle's
                conn.bundle_part = True
                for k, v in bundle_rsc.own_meta.items():
                    conn.meta.setdefault(k, v)
                _apply_settings(ws, conn)
    for rsc in ws.all_rscs():
        target = parse_role(rsc.meta.get("target-role"))
        if target is None:
            continue
        if target in (Role.UNPROMOTED, Role.PROMOTED) and not _in_promotable(rsc):
            continue
        if target in (Role.STARTED, Role.PROMOTED):
            # Promoted is no limit at all: an instance is promoted only on its promotion
            # score, as without a target-role [case: target-1]
            continue
        rsc.next_role = target


def _in_promotable(rsc: Rsc) -> bool:
    clone = rsc if rsc.variant == Variant.CLONE else rsc.clone_parent()
    return clone is not None and clone.promotable


# --- history --------------------------------------------------------------------------------

def _sort_ops(ops: list[OperationRecord]) -> list[OperationRecord]:
    def key(op: OperationRecord) -> tuple[int, int, int]:
        if op.call_id < 0:  # pending: after the completed ones, by transition number
            return (1, op.transition_number, op.last_rc_change or 0)
        return (0, op.call_id, op.last_rc_change or 0)

    return sorted(ops, key=key)


def _set_active(rsc: Rsc) -> None:
    rsc.role = Role.UNPROMOTED if _in_promotable(rsc) else Role.STARTED


def op_defaults(ws: WorkingSet, rsc: Rsc, task: str, interval_ms: int) -> dict[str, str]:
    """op_defaults as they apply to one operation of one resource (rules evaluated at `now`:
    a rule may name the operation, the resource's agent, or both)."""
    if not ws.op_defaults:
        return {}  # the common case, asked for every operation: spare building a rule context
    return _eval_sets(ws.op_defaults, RuleContext(
        now=ws.now, rsc_standard=rsc.standard, rsc_provider=rsc.provider, rsc_type=rsc.agent_type,
        op_name=task, op_interval_ms=interval_ms))


def op_on_fail(ws: WorkingSet, rsc: Rsc, task: str, interval_ms: int) -> OnFail:
    """The on-fail configured for this operation, with Pacemaker's defaults."""
    model = rsc.model
    configured: str | None = None
    if isinstance(model, Primitive):
        for cfg in model.operations:
            if cfg.name == task and cfg.interval_ms == interval_ms:
                configured = cfg.on_fail
                break
    if configured is None:
        configured = op_defaults(ws, rsc, task, interval_ms).get("on-fail")
    if configured is None:
        implied = remote.default_on_fail(ws, rsc, task, interval_ms)
        if implied is not None:
            return implied
    value = parse_on_fail(configured)
    if value is not None:
        if value == OnFail.FENCE and not ws.options.stonith_enabled:
            return OnFail.BLOCK if task == "stop" else OnFail.STOP
        if value == OnFail.DEMOTE and task != "promote" and not (
                task == "monitor" and _in_promotable(rsc)):
            return OnFail.RESTART
        return value
    if task == "stop":
        return OnFail.FENCE if ws.options.stonith_enabled else OnFail.BLOCK
    return OnFail.RESTART


def _failure_expired(ws: WorkingSet, rsc: Rsc, node: Node, op: OperationRecord) -> bool:
    if rsc.failure_timeout <= 0 or op.last_rc_change is None:
        return False
    return ws.now >= op.last_rc_change + rsc.failure_timeout


@dataclass
class _NodeHistoryResult:
    on_fail: OnFail = OnFail.IGNORE
    last_failure: OperationRecord | None = None


def _remap(rsc: Rsc, op: OperationRecord, expected: int | None, result: _NodeHistoryResult
           ) -> tuple[int, int]:
    """(status, rc) after applying the expected-result rules (`expected`: op.expected_rc)."""
    rc = effective_rc(op.rc_code)
    status = op.op_status
    is_probe = op.is_probe
    if status not in (ST_DONE, ST_ERROR):
        return status, rc
    if expected is None:
        expected = RC_OK
    status = ST_DONE if rc == expected else ST_ERROR
    if rc == RC_OK:
        if is_probe and expected == RC_NOTRUN:
            status = ST_DONE
    elif rc == RC_NOTRUN:
        if is_probe or expected == rc or not rsc.managed:
            status = ST_DONE
            rsc.role = Role.STOPPED
            result.on_fail = OnFail.IGNORE
            rsc.next_role = rsc.next_role  # unchanged: a target-role still applies
    elif rc == RC_PROMOTED:
        if is_probe and rc != expected:
            status = ST_DONE
        rsc.role = Role.PROMOTED
    elif rc == RC_FAILED_PROMOTED:
        rsc.role = Role.PROMOTED
        status = ST_ERROR
    elif rc == RC_ERR:
        status = ST_ERROR
    elif rc == RC_UNIMPL and op.interval_ms > 0:
        status = ST_NOTSUPP
    elif rc in (RC_UNIMPL, RC_NOTINST, RC_INVALID, RC_PRIV):
        status = ST_ERROR_HARD
    elif rc == RC_NOTCONF:
        status = ST_ERROR_FATAL
    elif rc != expected:
        status = ST_ERROR  # an rc outside the OCF list is a soft failure [case: rec-rsc-9]
    return status, rc


def _success(rsc: Rsc, op: OperationRecord, rc: int, result: _NodeHistoryResult) -> None:
    clear = False
    task = op.operation
    if rc == RC_NOTRUN:
        clear = True
    elif rc == RC_NOTINST:
        rsc.role = Role.STOPPED
    elif task == "monitor":
        if result.last_failure is not None and _same_op(result.last_failure, op):
            clear = True
        if rsc.role < Role.STARTED:
            _set_active(rsc)
        if rc == RC_PROMOTED:
            rsc.role = Role.PROMOTED
    elif task == "start":
        rsc.role = Role.STARTED
        clear = True
    elif task == "stop":
        rsc.role = Role.STOPPED
        clear = True
    elif task == "promote":
        rsc.role = Role.PROMOTED
        clear = True
    elif task == "demote":
        if result.on_fail == OnFail.DEMOTE:
            clear = True
        rsc.role = Role.UNPROMOTED
    elif task == "migrate_from":
        rsc.role = Role.STARTED
        clear = True
    elif task == "migrate_to":
        pass  # what it means depends on the other end: see _process_op
    elif rsc.role < Role.STARTED:
        _set_active(rsc)
    if clear and (result.on_fail in (OnFail.BLOCK, OnFail.IGNORE, OnFail.DEMOTE, OnFail.RESTART,
                                     OnFail.RESTART_CONTAINER)
                  or (result.on_fail == OnFail.RESET_REMOTE
                      and not remote.reconnect_interval_s(rsc))):
        # (a connection reset with a reconnect_interval waits for its failure to expire)
        result.on_fail = OnFail.IGNORE


def _same_op(a: OperationRecord, b: OperationRecord) -> bool:
    return a.operation == b.operation and a.interval_ms == b.interval_ms


def _failure(ws: WorkingSet, rsc: Rsc, node: Node, op: OperationRecord, rc: int,
             result: _NodeHistoryResult) -> None:
    result.last_failure = op
    on_fail = _failure_on_fail(ws, rsc, op)
    task = op.operation
    if task == "migrate_to":
        _apply_migration(ws, rsc, node, migration.after_failed_migrate_to(ws, rsc, node, op))
    elif task == "migrate_from":
        _apply_migration(ws, rsc, node, migration.after_failed_migrate_from(ws, rsc, node, op))
    is_probe = op.is_probe
    if task == "stop":
        _ban(rsc, node, "__stop_fail__")
    elif task == "promote":
        rsc.role = Role.PROMOTED
    elif task == "demote":
        if on_fail == OnFail.BLOCK:
            rsc.role = Role.PROMOTED
            rsc.next_role = Role.STOPPED
        elif rc == RC_NOTRUN:
            rsc.role = Role.STOPPED
        else:
            # Unpromoted, not Promoted: its recovery stops it anyway and any promotion waits
            # for that stop (checked with crm_simulate: failed-demote-recovery)
            rsc.role = Role.UNPROMOTED
    if is_probe and rc == RC_NOTINST:
        rsc.role = Role.STOPPED
    elif rsc.role < Role.STARTED:
        _set_active(rsc)
    if on_fail > result.on_fail:
        result.on_fail = on_fail


def _failure_on_fail(ws: WorkingSet, rsc: Rsc, op: OperationRecord) -> OnFail:
    """The operation's on-fail, except that an agent the executor found not installed cannot
    be ignored: the resource cannot run there at all, so it is recovered elsewhere
    [case: not-installed-agent; an agent that itself answered "not installed" (rc 5) is still
    ignored: not-installed-tools]."""
    on_fail = op_on_fail(ws, rsc, op.operation, op.interval_ms)
    if on_fail == OnFail.IGNORE and op.op_status == ST_NOT_INSTALLED:
        return OnFail.RESTART
    return on_fail


def _ban(rsc: Rsc, node: Node, why: str, everywhere: list[Node] | None = None) -> None:
    target = rsc
    clone = rsc.clone_parent()
    if clone is not None and not clone.unique:
        target = clone
    nodes = everywhere if everywhere is not None else [node]
    for n in nodes:
        target.add_score(n.name, -INFINITY, "ban", why)
    if target is not rsc:
        for n in nodes:
            rsc.sources.setdefault(n.name, []).append(
                _source("ban", f"{why} (on {target.id})", -INFINITY))


def _source(kind: str, detail: str, value: int) -> ScoreSource:
    return ScoreSource(kind, detail, value)


def _masked_probe_failure(op: OperationRecord) -> bool:
    is_probe = op.is_probe
    return is_probe and (op.rc_code in (RC_NOTINST, RC_INVALID) or op.op_status == ST_NOT_INSTALLED)


def _process_history(ws: WorkingSet, rsc: Rsc, node: Node, hist: ResourceHistory) -> None:
    saved_role = rsc.role
    rsc.role = Role.UNKNOWN
    result = _NodeHistoryResult()
    ops = _sort_ops([op for op in hist.operations if op.operation not in IGNORED_OPS])
    for op in ops:
        _process_op(ws, rsc, node, op, result)
    _apply_state(ws, rsc, node, result)
    if saved_role > rsc.role:
        rsc.role = saved_role


def _process_op(ws: WorkingSet, rsc: Rsc, node: Node, op: OperationRecord,
                result: _NodeHistoryResult) -> None:
    status = op.op_status
    if status == ST_PENDING:
        if op.operation == "start":
            rsc.start_pending = True
            rsc.pending_node = node
            _set_active(rsc)
        elif op.operation == "promote":
            rsc.role = Role.PROMOTED
        elif op.operation == "migrate_to" and rsc.role < Role.STARTED:
            _set_active(rsc)
        return
    if status == ST_CANCELLED:
        return
    expired = False
    # Only a result other than the one expected can expire; a probe that found the resource
    # running (or promoted) is a finding, not a failure, and never expires [case: clone-anon-dup].
    expected_rc = op.expected_rc  # parsed from the transition key: once per record
    failed_rc = op.rc_code not in _STATE_RCS or (
        expected_rc is not None and op.rc_code != expected_rc
        and not (op.is_probe and op.rc_code in (RC_OK, RC_PROMOTED)))
    if failed_rc and _failure_expired(ws, rsc, node, op):
        expired = True
    if expired:
        # An expired failure is forgotten, unless it was a recurring monitor still failing.
        return
    if _masked_probe_failure(op):
        _ban(rsc, node, "masked-probe-failure")
        rsc.role = Role.STOPPED
        return
    status, rc = _remap(rsc, op, expected_rc, result)
    if status == ST_DONE:
        _success(rsc, op, rc, result)
        if op.operation == "migrate_to" and rc == RC_OK:
            _apply_migration(ws, rsc, node, migration.after_migrate_to(ws, rsc, node, op))
    elif status in (ST_ERROR, ST_TIMEOUT, ST_NOTSUPP, ST_ERROR_HARD, ST_ERROR_FATAL,
                    ST_NOT_INSTALLED) or status >= ST_NOT_CONNECTED:
        on_fail = _failure_on_fail(ws, rsc, op)
        if on_fail == OnFail.RESTART_CONTAINER and op.operation == "stop":
            # a filler that failed to stop: restarting its container stops it anyway
            rsc.failure_ignored = True
            rsc.role = Role.STOPPED
            remote.apply_failure(ws, rsc, node, on_fail)
            return
        if on_fail == OnFail.IGNORE:
            # The failure is recorded but the resource carries on as if it succeeded.
            rsc.failure_ignored = True
            if rsc.role < Role.STARTED and op.operation != "stop":
                _set_active(rsc)
            return
        if status in (ST_ERROR_HARD, ST_NOT_INSTALLED, ST_NO_FENCE_DEVICE, ST_NO_SECRETS):
            _ban(rsc, node, "hard-error")
        elif status == ST_ERROR_FATAL:
            _ban(rsc, node, "fatal-error", ws.nodes)
        _failure(ws, rsc, node, op, rc, result)


def _apply_migration(ws: WorkingSet, rsc: Rsc, node: Node, found: migration.Finding) -> None:
    if found.role is not None:
        rsc.role = found.role
    if found.also_active_on is not None:
        _add_running(ws, rsc, found.also_active_on)
    if found.partial is not None:
        rsc.partial_migration_source, rsc.partial_migration_target = found.partial
    if found.dangling and node not in rsc.dangling_migrations:
        rsc.dangling_migrations.append(node)
    if found.recover:
        rsc.failed = True
        rsc.stop_needed = True
        rsc.allow_migrate = False


def _apply_state(ws: WorkingSet, rsc: Rsc, node: Node, result: _NodeHistoryResult) -> None:
    on_fail = result.on_fail
    active = rsc.role not in (Role.STOPPED, Role.UNKNOWN)
    if active and node.remote and not node.online and rsc.managed and not node.maintenance:
        remote.thought_active(ws, rsc, node)
    elif (active and not node.online and not node.unclean and rsc.managed
            and not node.maintenance and ws.options.stonith_enabled):
        _fence(node, f"{rsc.id} is thought to be active there")
    if node.unclean:
        on_fail = OnFail.IGNORE
    if on_fail == OnFail.DEMOTE:
        rsc.failed = True
        rsc.forced_demote.append(node)  # recovered by a demote there (then promoted again)
    elif on_fail == OnFail.FENCE:
        if ws.options.stonith_enabled:
            _fence(node, f"{rsc.id} failed there")
    elif on_fail == OnFail.STANDBY:
        node.standby = True
        node.standby_onfail = True
    elif on_fail == OnFail.BLOCK:
        rsc.managed = False
        rsc.blocked = True
    elif on_fail == OnFail.MIGRATE:
        rsc.add_score(node.name, -INFINITY, "ban", "__action_migration_auto__")
    elif on_fail == OnFail.STOP:
        rsc.next_role = Role.STOPPED
    elif on_fail in (OnFail.RESTART_CONTAINER, OnFail.RESET_REMOTE):
        remote.apply_failure(ws, rsc, node, on_fail)
    if rsc.role not in (Role.STOPPED, Role.UNKNOWN):
        if node.maintenance:
            # the cluster keeps its hands off a node in maintenance: what runs there stays,
            # unmanaged, wherever its scores would now send it
            rsc.managed = False
        _add_running(ws, rsc, node)
        if on_fail in (OnFail.IGNORE,):
            pass
        elif on_fail in (OnFail.DEMOTE, OnFail.BLOCK):
            rsc.failed = True
        else:
            rsc.failed = True
            rsc.stop_needed = True


def _add_running(ws: WorkingSet, rsc: Rsc, node: Node) -> None:
    if node not in rsc.running_on:
        rsc.running_on.append(node)
    if rsc.variant == Variant.PRIMITIVE and len(rsc.running_on) > 1:
        if rsc.multiple_active == "stop_only":
            for n in ws.nodes:
                rsc.add_score(n.name, -INFINITY, "ban", "multiply active, multiple-active=stop_only")
        elif rsc.multiple_active == "block":
            targets = [rsc]
            if rsc.parent is not None and rsc.parent.variant == Variant.GROUP:
                targets = rsc.parent.children
            for t in targets:
                t.managed = False
                t.blocked = True
    if rsc.parent is not None:
        _add_running(ws, rsc.parent, node)


def _orphan(ws: WorkingSet, hist: ResourceHistory) -> Rsc:
    rsc = Rsc(id=hist.id, variant=Variant.PRIMITIVE)
    rsc.standard = hist.standard or ""
    rsc.provider = hist.provider
    rsc.agent_type = hist.agent_type or ""
    rsc.orphan = True
    rsc.meta = {}
    for k, v in _eval_sets(ws.rsc_defaults, RuleContext(now=ws.now)).items():
        rsc.meta.setdefault(k, v)
    _apply_settings(ws, rsc)
    rsc.requires = _requires(ws, rsc)
    rsc.is_fencing_device = hist.standard == "stonith"
    if not ws.options.stop_orphan_resources:
        rsc.managed = False
    rsc.config_order = ws.config_counter
    ws.config_counter += 1
    remote.orphan(ws, rsc, hist)
    rsc.ban_everywhere(ws.nodes, "orphan", "no longer in the configuration")
    ws.resources.append(rsc)
    ws.by_id[rsc.id] = rsc
    return rsc


def _find_anonymous(ws: WorkingSet, clone: Rsc, base: str, node: Node) -> Rsc:
    if clone.id in ws.bundle_of_inner:
        # a bundle's instance N lives on its guest node B-N, and only there
        home = bundle.guest_replica(ws, clone, node.name)
        if home is not None:
            found = _member(home, base)
            if found is not None:
                return found
    inactive: Rsc | None = None
    duplicate = False
    for inst in clone.children:
        member = _member(inst, base)
        if member is None:
            continue
        locations = inst.instance_nodes()
        if locations:
            if node in locations:
                if node not in member.running_on:
                    return member
                # A second history of the same anonymous resource on one node (left over from
                # a time when the clone was globally unique): the extra one is an orphan
                # instance, even when inactive instance numbers are free.
                duplicate = True
        elif inactive is None and not member.blocked:
            if member.pending_node is not None and member.pending_node is not node:
                continue
            inactive = member
    if inactive is not None and not duplicate:
        needs_fencing = inactive.requires in ("fencing", "unfencing")
        if needs_fencing or (node.online and not node.unclean):
            return inactive
    # A new orphan instance, numbered after every configured one.
    n = len(clone.children)
    inst = _clone_child(ws, clone, n)
    inst.orphan = True
    for prim in inst.primitives():
        prim.orphan = True
    clone.children.append(inst)
    _index(ws, inst)
    member = _member(inst, base)
    assert member is not None
    return member


def _member(inst: Rsc, base: str) -> Rsc | None:
    for prim in inst.primitives():
        if prim.id.rsplit(":", 1)[0] == base:
            return prim
    return None


def _resolve_history(ws: WorkingSet, hist: ResourceHistory, node: Node) -> Rsc | None:
    rsc = ws.by_id.get(hist.id)
    if rsc is not None and rsc.variant == Variant.PRIMITIVE and not rsc.is_anonymous_instance():
        return rsc
    base = hist.id.rsplit(":", 1)[0] if ":" in hist.id else hist.id
    clone = ws.template_ids.get(base)
    if clone is not None:
        return _find_anonymous(ws, clone, base, node)
    if rsc is not None and rsc.variant == Variant.PRIMITIVE:
        return rsc
    existing = ws.by_id.get(hist.id)
    if existing is not None and existing.orphan:
        return existing
    if existing is not None:
        # The history names a group or clone: an orphan of a former primitive.
        orphan = Rsc(id=hist.id, variant=Variant.PRIMITIVE)
        orphan.orphan = True
        return None
    return _orphan(ws, hist)


def _reads_history(ws: WorkingSet, node: Node) -> bool:
    if ws.options.stonith_enabled or ws.options.shutdown_lock:
        return True
    return node.online


def _unpack_status(ws: WorkingSet, cib: Cib) -> None:
    """Cluster nodes' histories first; a remote node's once its connection is known to run
    (which a history read before may tell), and with fencing enabled the rest last."""
    unpacked: set[str] = set()
    pending: list[tuple[NodeState, Node]] = []
    for state in cib.status:
        node = ws.node(state.id) or ws.node(state.uname)
        if node is not None:
            # every history by (node, id): a migration's record on one node is read together
            # with its other half on another (migration.py)
            for hist in state.history:
                ws.status_histories.setdefault((node.name, hist.id), hist)
        if node is not None and node.remote:
            # seen: clean until its history or its connection's says otherwise
            node.unclean = False
            node.unseen = False
    for state in cib.status:
        node = ws.node(state.id) or ws.node(state.uname)
        if node is None or node.remote:
            continue
        if _reads_history(ws, node):
            _unpack_node_history(ws, state, node)
    for state in cib.status:
        # (an orphaned connection found in a cluster node's history names its node only now)
        node = ws.node(state.id) or ws.node(state.uname)
        if node is not None and node.remote:
            pending.append((state, node))
    progress = True
    while progress and pending:
        progress = False
        for entry in list(pending):
            state, node = entry
            if remote.connection_up(node):
                pending.remove(entry)
                _unpack_remote_history(ws, state, node, unpacked)
                progress = True
                break
    if ws.options.stonith_enabled:
        for state, node in pending:
            _unpack_remote_history(ws, state, node, unpacked)
    remote.after_status(ws, unpacked)


def _unpack_remote_history(ws: WorkingSet, state: NodeState, node: Node,
                           unpacked: set[str]) -> None:
    if node.name in unpacked:
        return
    unpacked.add(node.name)
    remote.determine_online(node)
    _unpack_node_history(ws, state, node)


def _unpack_node_history(ws: WorkingSet, state: NodeState, node: Node) -> None:
    for hist in state.history:
        rsc = _resolve_history(ws, hist, node)
        if rsc is None:
            continue
        _check_agent(rsc, hist)
        # the name its history (and its agent) knows it by, the last one found; not a second
        # history of an instance already active on this node, which Pacemaker reads as an
        # orphan (crm_simulate: promoted-allow-start, novell-239082, novell-239087)
        if hist.id != rsc.id and node not in rsc.running_on:
            rsc.clone_name = hist.id
        _process_history(ws, rsc, node, hist)
        rsc.histories[node.name] = hist
        if node not in rsc.running_on and rsc.clone_name and ":" in rsc.clone_name:
            rsc.clone_name = None  # stopped there: the name is forgotten again


def _check_agent(rsc: Rsc, hist: ResourceHistory) -> None:
    if rsc.orphan:
        return
    if (hist.standard and hist.standard != rsc.standard) or (
            hist.agent_type and hist.agent_type != rsc.agent_type) or (
            (hist.provider or None) != (rsc.provider or None) and hist.standard == "ocf"):
        rsc.restart_needed = True


def _failures_by_resource(attrs: dict[str, str], new_feature_set: bool
                          ) -> dict[str, tuple[int, int]]:
    """One node's fail-count-* and last-failure-* attributes, per resource name: (summed
    count, latest failure time). Newer feature sets name them per operation (NAME#op_interval);
    older ones per resource, and each format ignores the other."""
    out: dict[str, tuple[int, int]] = {}
    for key, value in attrs.items():
        if key.startswith("fail-count-"):
            rest, is_count = key[len("fail-count-"):], True
        elif key.startswith("last-failure-"):
            rest, is_count = key[len("last-failure-"):], False
        else:
            continue
        if new_feature_set:
            if "#" not in rest:
                continue
            rest = rest.split("#", 1)[0]
        elif "#" in rest:
            continue
        total, last = out.get(rest, (0, 0))
        if is_count:
            total = score_add(total, parse_score(value, 0))
        elif value.isdigit():
            last = max(last, int(value))
        out[rest] = (total, last)
    return out


def _fail_counts(ws: WorkingSet, cib: Cib) -> None:
    prims = [r for r in ws.all_rscs() if r.variant == Variant.PRIMITIVE]
    for node in ws.nodes:
        failures = _failures_by_resource(node.attrs, ws.new_feature_set)
        if not failures:
            continue
        for rsc in prims:
            names = {rsc.id}
            if rsc.is_anonymous_instance():
                names.add(rsc.id.rsplit(":", 1)[0])
            total = 0
            last = 0
            for name in names:
                count, when = failures.get(name, (0, 0))
                total = score_add(total, count)
                last = max(last, when)
            if total and rsc.failure_timeout > 0 and last and ws.now > last + rsc.failure_timeout:
                total = 0
            if total:
                rsc.fail_counts[node.name] = total
            if last:
                rsc.last_failure[node.name] = last


def _expansions(cib: Cib) -> dict[str, tuple[str, ...]]:
    """What each tag and template a constraint may name stands for."""
    config = cib.configuration
    made_from = templates.template_members(config.resources)
    out = {t.id: made_from.get(t.id, ()) for t in config.templates}
    out.update((t.id, t.refs) for t in config.tags)
    return out


def unpack(cib: Cib, now: int, *, sanitized: bool = False) -> WorkingSet:
    ws = WorkingSet(options=read_options(cib), now=now, sanitized=sanitized)
    ws.rsc_defaults = cib.configuration.rsc_defaults
    ws.op_defaults = cib.configuration.op_defaults
    ws.new_feature_set = _feature_set_at_least(cib.crm_feature_set, (3, 0, 13))
    _unpack_nodes(ws, cib)
    config = cib.configuration
    resources = templates.apply_templates(config.resources, config.templates)
    ws.unfencing = ws.options.stonith_enabled and any(
        unfencing.provides_unfencing(r) for r in walk(resources) if isinstance(r, Primitive))
    _unpack_resources(ws, cib, resources)
    for constraint in references.expand_constraints(config.constraints, _expansions(cib)):
        if isinstance(constraint, Location):
            ws.locations.append(constraint)
        elif isinstance(constraint, Colocation):
            ws.colocations.append(constraint)
        elif isinstance(constraint, Order):
            ws.orders.append(constraint)
        elif isinstance(constraint, TicketConstraint):
            ws.tickets.append(constraint)
    ws.ticket_states = {t.id: t for t in cib.tickets}
    _unpack_status(ws, cib)
    _quorum_panic(ws, cib)
    _fail_counts(ws, cib)
    remote.add_filler_fail_counts(ws)
    return ws


def _quorum_panic(ws: WorkingSet, cib: Cib) -> None:
    """no-quorum-policy=suicide (fencing enabled, read_options): a partition that lost the
    quorum it had fences itself, every node of it. "Had" is the CIB's no-quorum-panic, which
    the DC sets; a partition that never was quorate (a cluster starting) stops instead."""
    if ws.options.no_quorum_policy != "suicide" or ws.options.have_quorum:
        return
    if not is_true(dict(cib.extra.attrs).get("no-quorum-panic"), False):
        return
    for node in ws.nodes:
        if node.online and not node.remote:
            node.unclean = True
            node.fence_reason = "cluster does not have quorum"

