"""resource-discovery=exclusive: a resource with such a location may run only on the nodes that
location names (where it alone is probed); every other node is banned for it and its children.

Typical of remote-node clusters, where a service is meant for a class of (remote) nodes."""

from __future__ import annotations

from vigil.model.score import INFINITY
from vigil.scheduler.working import Rsc, ScoreSource, WorkingSet


def apply_exclusive_discovery(ws: WorkingSet) -> None:
    from vigil.scheduler.placement import location_scores, location_targets
    exclusive: dict[str, set[str]] = {}  # resource id -> nodes an exclusive location names
    for loc in ws.locations:
        if loc.resource_discovery != "exclusive":
            continue
        nodes = {node.name for node, _score, _detail in location_scores(ws, loc)}
        for rsc in location_targets(ws, loc):
            for member in _self_and_descendants(rsc):
                exclusive.setdefault(member.id, set()).update(nodes)
    if not exclusive:
        return
    for top in ws.resources:
        _ban_outside(top, exclusive, None)


def _self_and_descendants(rsc: Rsc) -> list[Rsc]:
    out = [rsc]
    for child in rsc.children:
        out.extend(_self_and_descendants(child))
    return out


def _ban_outside(rsc: Rsc, exclusive: dict[str, set[str]], inherited: set[str] | None) -> None:
    own = exclusive.get(rsc.id)
    if own is None and inherited is None:
        return
    allowed = own if own is not None else set()
    for name in list(rsc.allowed):
        if name not in allowed:
            rsc.allowed[name] = -INFINITY
            rsc.sources.setdefault(name, []).append(ScoreSource(
                "discovery", "resource-discovery=exclusive elsewhere", -INFINITY))
    for child in rsc.children:
        _ban_outside(child, exclusive, allowed)
