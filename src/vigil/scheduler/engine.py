"""`schedule(cib, now)`: the whole pipeline, from a frozen CIB to a frozen Transition."""

from __future__ import annotations

from vigil.model.cib import Cib
from vigil.scheduler import (
    actions,
    bundle,
    fencing,
    migration_actions,
    notify,
    operations,
    orderings,
    placement,
    propagation,
    remote,
    unfencing,
)
from vigil.scheduler.promotion import promotion_contributions
from vigil.scheduler.summary import summary_items
from vigil.scheduler.transition import (
    ActionOrder,
    Allocation,
    NodeScore,
    NodeStatus,
    PlannedAction,
    ScoreContribution,
    Transition,
)
from vigil.scheduler.unpack import unpack
from vigil.scheduler.working import OrderFlag, Rsc, Variant, WorkingSet


def schedule(cib: Cib, now: int, *, sanitized: bool = False) -> Transition:
    """`sanitized`: the CIB's private parameters may be masked (as in a saved scheduler input);
    a definition change is then judged on the other parameters where the history allows."""
    ws = unpack(cib, now, sanitized=sanitized)
    # as the status says it now: placement brings a remote node whose connection is assigned
    # online for what is planned there, which is not where it is (crm_mon's RemoteOFFLINE)
    online_now = {n.name: n.online for n in ws.nodes}
    placement.place(ws)
    order = placement.allocation_order(ws)
    actions.create_actions(ws)
    migration_actions.create_migration_actions(ws)
    remote.order_remote_actions(ws)
    unfencing.schedule_unfencing(ws)
    fencing.schedule_fencing(ws)
    orderings.internal_orderings(ws)
    bundle.orderings(ws)
    orderings.user_orderings(ws)
    migration_actions.order_equivalents(ws)
    propagation.propagate(ws)
    notify.plan_notifications(ws)
    return _freeze(ws, order, cib, online_now)


_KIND = {Variant.PRIMITIVE: "primitive", Variant.GROUP: "group", Variant.CLONE: "clone"}


def _allocation(ws: WorkingSet, rsc: Rsc) -> Allocation:
    scores = []
    allowed = rsc.placement_scores if rsc.placement_scores is not None else rsc.allowed
    for node in ws.nodes:
        if node.name not in allowed:
            continue
        contributions = tuple(ScoreContribution(s.kind, s.detail, s.value)
                              for s in rsc.sources.get(node.name, []))
        scores.append(NodeScore(node.name, allowed[node.name], node.available, contributions))
    agent = None
    if rsc.variant == Variant.PRIMITIVE:
        agent = f"{rsc.standard}:{rsc.provider}:{rsc.agent_type}" if rsc.provider else \
            f"{rsc.standard}:{rsc.agent_type}"
    return Allocation(
        resource=rsc.id,
        kind=_KIND[rsc.variant],
        parent=rsc.parent.id if rsc.parent else None,
        agent=agent,
        current_nodes=tuple(n.name for n in rsc.running_on),
        current_role=rsc.role.text,
        next_node=rsc.assigned.name if rsc.assigned else None,
        next_role=rsc.next_role.text,
        managed=rsc.managed,
        failed=rsc.failed,
        orphan=rsc.orphan,
        scores=tuple(scores),
        fail_counts=tuple(sorted(rsc.fail_counts.items())),
        migration_threshold=rsc.migration_threshold,
        target_role=rsc.meta.get("target-role"),
        priority=rsc.priority,
        failure_timeout_s=rsc.failure_timeout,
        promotion=_promotion(rsc),
        blocked=rsc.blocked,
        failure_ignored=rsc.failure_ignored,
    )


def _promotion(rsc: Rsc) -> tuple[NodeScore, ...]:
    """A placed instance of a promotable clone: its promotion score on its node, as Pacemaker
    ranked it (crm_simulate's "promotion score"), with its parts."""
    clone = rsc.parent
    node = rsc.assigned
    if clone is None or clone.variant != Variant.CLONE or not clone.promotable or node is None:
        return ()
    parts = tuple(ScoreContribution(s.kind, s.detail, s.value)
                  for s in promotion_contributions(rsc))
    return (NodeScore(node.name, rsc.promotion_sort, node.available, parts),)


def _freeze(ws: WorkingSet, order: list[Rsc], cib: Cib, online_now: dict[str, bool]
            ) -> Transition:
    index = {id(a): i for i, a in enumerate(ws.actions)}
    resolver = operations.Resolver(ws)
    planned = tuple(
        PlannedAction(i, a.rsc.id if a.rsc else None, a.task, a.node.name if a.node else None,
                      a.optional, a.runnable, a.pseudo, a.reason, resolver.for_action(a))
        for i, a in enumerate(ws.actions))
    edges = tuple(ActionOrder(index[id(o.first)], index[id(o.then)]) for o in ws.orderings
                  if id(o.first) in index and id(o.then) in index and not (
                      o.flags & OrderFlag.APPLY_FIRST_NON_MIGRATABLE and o.first.migrate_runnable))
    nodes = tuple(NodeStatus(n.name, n.id, online_now.get(n.name, n.online), n.unclean,
                             n.standby, n.maintenance, n.pending, n.shutdown, n.fence_reason,
                             expected_up=n.expected_up, standby_onfail=n.standby_onfail,
                             kind="guest" if n.guest else n.kind) for n in ws.nodes)
    allocations = []
    for top in order:
        stack = [top]
        while stack:
            rsc = stack.pop(0)
            allocations.append(_allocation(ws, rsc))
            stack[0:0] = rsc.children
    return Transition(
        nodes=nodes,
        allocations=tuple(allocations),
        actions=planned,
        orderings=edges,
        summary=tuple(summary_items(ws, order)),
        have_quorum=ws.options.have_quorum,
        no_quorum_policy=ws.options.no_quorum_policy,
        stonith_enabled=ws.options.stonith_enabled,
        maintenance_mode=ws.options.maintenance_mode,
        now=ws.now,
        probes=resolver.probes(cib),
        monitors=resolver.monitors(),
    )
