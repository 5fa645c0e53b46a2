"""Probes that cannot run: before a resource starts anywhere, the cluster asks every node that
has no record of it whether it already runs there. A node still joining (pending) cannot answer
yet; while such a node might run a resource that runs nowhere else, starting it elsewhere could
make it run twice, so its start waits [cases: probe-4, stonith-4].

Only the question of whether a start must wait is answered here; the probes themselves are
listed for the executor by operations.Resolver.probes."""

from __future__ import annotations

from vigil.scheduler.working import Node, Rsc, Variant, WorkingSet


def _discovery_off(ws: WorkingSet, rsc: Rsc, node: Node) -> bool:
    """A location with resource-discovery=never names this node for the resource, or one
    with exclusive discovery leaves it out: no probe is planned there."""
    from vigil.scheduler.placement import location_scores, location_targets

    if any(s.kind == "discovery" for s in rsc.sources.get(node.name, [])):
        return True
    for loc in ws.locations:
        if loc.resource_discovery != "never":
            continue
        if rsc not in location_targets(ws, loc):
            continue
        if any(n is node for n, _score, _detail in location_scores(ws, loc)):
            return True
    return False


def _unanswered(ws: WorkingSet, rsc: Rsc) -> bool:
    """Some online node that is still pending has never been asked about `rsc`."""
    for node in ws.nodes:
        if not node.online or not node.pending or node.unclean or node.remote:
            continue
        if node.name in rsc.histories:
            continue
        if _discovery_off(ws, rsc, node):
            continue
        return True
    return False


def start_waits_for_probe(ws: WorkingSet, rsc: Rsc) -> bool:
    """True when `rsc` (a primitive of its own, not part of a group or clone) runs nowhere and
    a node that must first be probed for it cannot be probed yet."""
    if rsc.variant != Variant.PRIMITIVE or rsc.parent is not None:
        return False
    if rsc.running_on or rsc.orphan:
        return False
    return _unanswered(ws, rsc)
