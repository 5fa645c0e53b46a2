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
What Pacemaker only logs (startup-fencing=false's "blind faith", a cluster without quorum) does
not count: crm_verify accepts those files, measured on the corpus.
"""

from __future__ import annotations

from vigil.commands import edit
from vigil.commands.clone_shape import is_promotable
from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import Order
from vigil.model.nvset import first_value
from vigil.model.reports import Report
from vigil.model.resources import Clone, Group, Primitive, walk
from vigil.model.values import is_true, parse_bool
from vigil.scheduler.engine import schedule

PACEMAKER_REJECTS = frozenset({
    "VERIFY_NODE_UNCLEAN", "VERIFY_NODE_FENCED", "VERIFY_ORDER_REQUIRE_ALL",
    "VERIFY_STONITH_ACTION_POWEROFF", "VERIFY_NODE_STATE_UNKNOWN", "VERIFY_RESTART_TYPE",
    "VERIFY_GROUP_UNORDERED", "VERIFY_ACTIVE_ORPHAN", "VERIFY_TARGET_ROLE_NOT_PROMOTABLE",
    "VERIFY_UNIQUE_LSB_CLONE"})


def findings(cib: Cib, now: int) -> list[Report]:
    return [*_configuration(cib), *_status(cib, now)]


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


def _guests(cib: Cib) -> tuple[set[str], tuple[str, ...]]:
    """The guest nodes' names (a resource's remote-node), and the bundles' ids (their replicas'
    guest nodes are BUNDLE-N): nodes whose state is their container's, not a cluster node's."""
    named = {v for p in edit.primitives(cib)
             if (v := first_value(p.meta_attributes, "remote-node")) is not None}
    bundles = tuple(b.id for b in cib.configuration.resources if isinstance(b, Bundle))
    return named, bundles


def _status(cib: Cib, now: int) -> list[Report]:
    configured = {n.id for n in cib.configuration.nodes}
    named, bundles = _guests(cib)

    def guest(name: str) -> bool:
        return name in named or any(name.startswith(f"{b}-") for b in bundles)

    out = []
    for state in cib.status:
        name = state.uname or state.id
        if state.id not in configured and not dict(state.extra.attrs).get("remote_node") \
                and not guest(name):
            out.append(reports.warning("VERIFY_NODE_STATE_UNKNOWN", node=name))
    if not cib.status:
        return out
    t = schedule(cib, now)
    unclean = {n.name for n in t.nodes if n.unclean and not guest(n.name)}
    for n in t.nodes:
        if n.name in unclean:
            out.append(reports.warning("VERIFY_NODE_UNCLEAN", node=n.name,
                                       reason=n.fence_reason or "its state is not known"))
    for item in t.summary:
        if item.verb == "Fence" and item.fence_action != "on" and item.resource not in unclean \
                and not guest(item.resource) and item.fence_container is None:
            out.append(reports.warning("VERIFY_NODE_FENCED", node=item.resource,
                                       reason=item.reason or item.details))
    # an orphan left running because stop-orphan-resources=false is said too; one the
    # operator unmanaged is not (measured on the corpus, as crm_verify)
    kept = parse_bool(cib.cluster_option("stop-orphan-resources") or "true") is False
    for a in t.allocations:
        if a.orphan and a.current_nodes and (a.managed or kept):
            out.append(reports.warning("VERIFY_ACTIVE_ORPHAN", rsc=a.resource,
                                       node=", ".join(a.current_nodes)))
    return out
