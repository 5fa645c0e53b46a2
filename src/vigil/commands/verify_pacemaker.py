"""What crm_verify counts against a CIB although Pacemaker only warns of it: its scheduler's
configuration warnings. crm_verify exits 78 ("config may not be valid") for them, so `vigil
verify` says them too and, like it, calls the configuration not valid (exit 2), so that both
tools agree on which files are valid (issue 14; tests/conformance/test_verify_agreement.py).

Each is a warning (the words say what Pacemaker does and what to do), its code in
PACEMAKER_REJECTS: a cluster or remote node that is unclean or that the scheduler fences (the
status is not a healthy cluster's; a guest node's state is its container's, not counted), a
resource the configuration no longer has still active, a node's recorded state for a node the
configuration no longer has, what Pacemaker deprecates (require-all on an ordering
constraint, stonith-action=poweroff, restart-type, a group's ordered=false, its own or its
clone's), target-role Promoted/Unpromoted outside a promotable clone (ignored), and an lsb
resource in a globally-unique clone (made anonymous).
Values Pacemaker cannot apply, so that it uses its default instead (crm_verify logs these as
errors, "Resetting ..."): an operation's on-fail its action does not allow (stop, standby or
demote for a stop; demote anywhere but a promote or a recurring monitor of the Promoted role),
on-fail=fence or requires=fencing|unfencing while fencing is disabled, a colocation's influence
that is not a boolean, an order's kind that is none of Mandatory, Optional, Serialize; and a
colocation of two tags or templates, which Pacemaker ignores whole. These are said of the
configuration, whatever the status: crm_verify says the on-fail ones only once it schedules the
operation (a stop of a resource that is active, say), the others always.
What Pacemaker only logs (startup-fencing=false's "blind faith", a cluster without quorum) does
not count: crm_verify accepts those files, measured on the corpus. Nor do the nodes of an empty
status: crm_verify would fence them all as never seen (startup-fencing), which says nothing
of a configuration prepared without a cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigil.commands import edit
from vigil.commands.clone_shape import is_promotable
from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import Colocation, Order
from vigil.model.nvset import first_value, plain_value
from vigil.model.reports import Report
from vigil.model.resources import Clone, Group, Operation, Primitive, Resource, children, walk
from vigil.model.templates import apply_templates
from vigil.model.values import is_true, parse_bool
from vigil.scheduler import orderings, references
from vigil.scheduler.engine import schedule
from vigil.scheduler.options import read_options
from vigil.scheduler.remote import is_connection_model, is_remote_state
from vigil.scheduler.transition import Allocation

PACEMAKER_REJECTS = frozenset({
    "VERIFY_NODE_UNCLEAN", "VERIFY_NODE_FENCED", "VERIFY_ORDER_REQUIRE_ALL",
    "VERIFY_STONITH_ACTION_POWEROFF", "VERIFY_NODE_STATE_UNKNOWN", "VERIFY_RESTART_TYPE",
    "VERIFY_GROUP_UNORDERED", "VERIFY_ACTIVE_ORPHAN", "VERIFY_TARGET_ROLE_NOT_PROMOTABLE",
    "VERIFY_UNIQUE_LSB_CLONE", "VERIFY_ON_FAIL_NOT_ALLOWED", "VERIFY_ON_FAIL_FENCE_DISABLED",
    "VERIFY_REQUIRES_FENCING_DISABLED", "VERIFY_INFLUENCE_INVALID", "VERIFY_ORDER_KIND_INVALID",
    "VERIFY_COLOCATION_OF_REFERENCES", "VERIFY_FAILURE_TIMEOUT_BLOCKED"})


def findings(cib: Cib, now: int) -> list[Report]:
    return [*_configuration(cib), *_operations(cib), *_requires(cib), *_constraints(cib),
            *_status(cib, now)]


def _configuration(cib: Cib) -> list[Report]:
    out = []
    if (cib.cluster_option("stonith-action") or "").lower() == "poweroff":
        out.append(reports.warning("VERIFY_STONITH_ACTION_POWEROFF"))
    for c in cib.configuration.constraints:
        if isinstance(c, Order) and not c.sets and not c.require_all:
            out.append(reports.warning("VERIFY_ORDER_REQUIRE_ALL", id=c.id))
    # a promotable clone and what it holds: where Promoted/Unpromoted target roles make sense
    promotable = {r.id for clone in walk(cib.configuration.resources) if is_promotable(clone)
                  for r in walk((clone,))}
    for rsc in walk(cib.configuration.resources):
        if isinstance(rsc, Clone) and is_true(first_value(rsc.meta_attributes, "globally-unique")):
            lsb = [p.id for p in walk((rsc.child,)) if isinstance(p, Primitive)
                   and p.standard == "lsb"]
            if lsb:
                out.append(reports.warning("VERIFY_UNIQUE_LSB_CLONE", clone=rsc.id, rsc=lsb[0]))
        if isinstance(rsc, Group) and \
                not is_true(first_value(rsc.meta_attributes, "ordered") or "true"):
            out.append(reports.warning("VERIFY_GROUP_UNORDERED", group=rsc.id))
        if isinstance(rsc, Clone) and isinstance(rsc.child, Group) and \
                first_value(rsc.child.meta_attributes, "ordered") is None and \
                not is_true(first_value(rsc.meta_attributes, "ordered") or "true"):
            # a clone's meta-attributes are its group's too: its `ordered` is the group's
            out.append(reports.warning("VERIFY_GROUP_UNORDERED", group=rsc.child.id))
        if isinstance(rsc, Primitive | Group | Clone) and \
                first_value(rsc.meta_attributes, "restart-type") is not None:
            out.append(reports.warning("VERIFY_RESTART_TYPE", rsc=rsc.id))
    for rsc in walk(cib.configuration.resources):
        role = first_value(getattr(rsc, "meta_attributes", ()), "target-role") or ""
        if role.lower() in ("unpromoted", "slave", "promoted", "master") \
                and rsc.id not in promotable:
            out.append(reports.warning("VERIFY_TARGET_ROLE_NOT_PROMOTABLE", rsc=rsc.id,
                                       role=role))
    return out


def _on_fail_not_allowed(op: Operation, on_fail: str) -> bool:
    """Whether Pacemaker refuses `on_fail` for this operation (and uses the default instead):
    stop, standby and demote for a stop; demote for anything but a promote or a recurring
    monitor of the Promoted role."""
    value = on_fail.lower()
    if op.name == "stop" and value in ("stop", "standby", "demote"):
        return True
    promoted_monitor = op.name == "monitor" and op.interval_ms > 0 and \
        (op.role or "").lower() in ("promoted", "master")
    return value == "demote" and op.name != "promote" and not promoted_monitor


def _operations(cib: Cib) -> list[Report]:
    """Operations whose on-fail Pacemaker cannot apply: its action does not allow it, or it is
    fence while fencing is disabled. Primitives made from a template have its operations."""
    config = cib.configuration
    fencing = read_options(cib).stonith_enabled
    out = []
    for p in walk(apply_templates(config.resources, config.templates)):
        if not isinstance(p, Primitive):
            continue
        for op in p.operations:
            on_fail = op.on_fail or plain_value(op.meta_attributes, "on-fail")
            if on_fail is None or op.ref is not None or not op.enabled:
                continue
            if _on_fail_not_allowed(op, on_fail):
                out.append(reports.warning("VERIFY_ON_FAIL_NOT_ALLOWED", rsc=p.id,
                                           operation=op.id, action=op.name, on_fail=on_fail))
            elif on_fail.lower() == "fence" and not fencing:
                out.append(reports.warning("VERIFY_ON_FAIL_FENCE_DISABLED", rsc=p.id,
                                           operation=op.id, action=op.name))
    return out


_NEEDS_FENCING = ("fencing", "unfencing")


def _requires(cib: Cib) -> list[Report]:
    """requires=fencing or unfencing (the resource's own, or the resource defaults' for those
    that set none, themselves or by a parent) while fencing is disabled: Pacemaker uses
    requires=quorum instead."""
    if read_options(cib).stonith_enabled:
        return []
    config = cib.configuration
    out = []
    takes_default = False

    def visit(rsc: Resource, inherited: bool) -> None:
        nonlocal takes_default
        own = plain_value(rsc.meta_attributes, "requires")
        if own is not None and own.lower() in _NEEDS_FENCING:
            out.append(reports.warning("VERIFY_REQUIRES_FENCING_DISABLED", rsc=rsc.id,
                                       value=own))
        inherited = inherited or own is not None
        takes_default = takes_default or not inherited
        for child in children(rsc):
            visit(child, inherited)

    for rsc in apply_templates(config.resources, config.templates):
        visit(rsc, False)
    default = plain_value(config.rsc_defaults, "requires")
    if takes_default and default is not None and default.lower() in _NEEDS_FENCING:
        out.append(reports.warning("VERIFY_REQUIRES_FENCING_DISABLED", rsc="", value=default))
    return out


def _constraints(cib: Cib) -> list[Report]:
    """A colocation's influence that is not a boolean, an order's kind that is not one, and a
    colocation of two tags or templates."""
    config = cib.configuration
    named = {t.id for t in config.templates} | {t.id for t in config.tags}
    out = []
    for c in config.constraints:
        if isinstance(c, Colocation):
            influence = dict(c.extra.attrs).get("influence")
            if c.influence is None and influence is not None:
                out.append(reports.warning("VERIFY_INFLUENCE_INVALID", id=c.id, value=influence))
            if references.colocates_two_references(c, named):
                out.append(reports.warning("VERIFY_COLOCATION_OF_REFERENCES", id=c.id,
                                           rsc=c.rsc, with_rsc=c.with_rsc))
        elif isinstance(c, Order) and c.kind is not None and \
                c.kind.strip().lower() not in orderings.KINDS:
            out.append(reports.warning("VERIFY_ORDER_KIND_INVALID", id=c.id, kind=c.kind))
    return out


def _guests(cib: Cib) -> tuple[set[str], tuple[str, ...]]:
    """The guest nodes' names (a resource's remote-node), and the bundles' ids (their replicas'
    guest nodes are BUNDLE-N): nodes whose state is their container's, not a cluster node's."""
    named = {v for p in edit.primitives(cib)
             if (v := first_value(p.meta_attributes, "remote-node")) is not None}
    bundles = tuple(b.id for b in cib.configuration.resources if isinstance(b, Bundle))
    return named, bundles


def _blocked_failure_timeouts(cib: Cib, allocations: Sequence[Allocation]) -> list[Report]:
    """A failure-timeout Pacemaker ignores: the resource has a fail count and a recorded
    failure of an operation whose on-fail is block (a blocked failure must stay until someone
    looks at it), as crm_verify says ("conflicts with on-fail=block")."""
    config = cib.configuration
    prims = {p.id: p for p in walk(apply_templates(config.resources, config.templates))
             if isinstance(p, Primitive)}
    out = []
    for a in allocations:
        base = a.resource.split(":")[0]
        prim = prims.get(base)
        # the recorded fail count (not the scheduler's: it expires it, which is what is wrong)
        counted = any(p.name == f"fail-count-{base}" or p.name.startswith(f"fail-count-{base}#")
                      for st in cib.status for s in st.transient_attributes for p in s.pairs
                      if (p.value or "0") != "0")
        if a.kind != "primitive" or not a.failure_timeout_s or prim is None or not counted:
            continue
        blocked = {(op.name, op.interval_ms) for op in prim.operations
                   if (op.on_fail or "").lower() == "block"}
        failed = {(r.operation, r.interval_ms) for st in cib.status for h in st.history
                  if h.id == base for r in h.operations if r.id == f"{base}_last_failure_0"}
        if blocked & failed:
            out.append(reports.warning("VERIFY_FAILURE_TIMEOUT_BLOCKED", rsc=base,
                                       timeout=a.failure_timeout_s))
    return sorted(set(out), key=lambda r: str(r.fields))


def _status(cib: Cib, now: int) -> list[Report]:
    config = cib.configuration
    configured = {n.id for n in config.nodes}
    named, bundles = _guests(cib)
    # a remote node is configured by its connection resource, or as a node of type remote
    connections = {p.id for p in walk(apply_templates(config.resources, config.templates))
                   if isinstance(p, Primitive) and is_connection_model(p)}

    def guest(name: str) -> bool:
        return name in named or any(name.startswith(f"{b}-") for b in bundles)

    out = []
    for state in cib.status:
        name = state.uname or state.id
        remote = is_remote_state(state) and bool({state.id, name} & (connections | configured))
        if state.id not in configured and not remote and not guest(name):
            out.append(reports.warning("VERIFY_NODE_STATE_UNKNOWN", node=name))
    # (a file without status too: its nodes were never seen, and crm_verify counts them as the
    # scheduler does, unclean until they join when fencing is enabled: startup-fencing)
    t = schedule(cib, now)
    unclean = {n.name for n in t.nodes if n.unclean and not guest(n.name)}
    seen = {name for st in cib.status for name in (st.id, st.uname) if name}
    for n in t.nodes:
        if n.name in unclean:
            never = n.name not in seen and n.id not in seen
            reason = ("never seen: with startup-fencing, a cluster started with this "
                      "configuration fences it until it joins" if never
                      else n.fence_reason or "its state is not known")
            out.append(reports.warning("VERIFY_NODE_UNCLEAN", node=n.name, reason=reason))
    for item in t.summary:
        if item.verb == "Fence" and item.fence_action != "on" and item.resource not in unclean \
                and not guest(item.resource) and item.fence_container is None:
            out.append(reports.warning("VERIFY_NODE_FENCED", node=item.resource,
                                       reason=item.reason or item.details))
    out.extend(_blocked_failure_timeouts(cib, t.allocations))
    # an orphan left running because stop-orphan-resources=false is said too; one the
    # operator unmanaged is not (measured on the corpus, as crm_verify)
    kept = parse_bool(cib.cluster_option("stop-orphan-resources") or "true") is False
    for a in t.allocations:
        if a.orphan and a.current_nodes and (a.managed or kept):
            out.append(reports.warning("VERIFY_ACTIVE_ORPHAN", rsc=a.resource,
                                       node=", ".join(a.current_nodes)))
    return out
