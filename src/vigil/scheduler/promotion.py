"""Promotable clones: pick which assigned instances are promoted (§8.4 of the semantics digest).

Only the core rule is implemented: promotion scores from `master-<rsc>` node attributes,
location constraints with role=Promoted, and promoted-max / promoted-node-max limits.
"""

from __future__ import annotations

from vigil.model.score import INFINITY, add, parse_score
from vigil.scheduler.working import Role, Rsc, WorkingSet


def _promotion_score(ws: WorkingSet, clone: Rsc, inst: Rsc) -> int:
    node = inst.assigned
    if node is None:
        return -INFINITY
    base = inst.id.rsplit(":", 1)[0]
    score: int | None = None
    for prim in inst.primitives():
        for name in (f"master-{prim.id}", f"master-{prim.id.rsplit(':', 1)[0]}"):
            raw = node.attrs.get(name)
            if raw is not None:
                value = parse_score(raw, 0)
                score = value if score is None else add(score, value)
                break
    if score is None:
        raw = node.attrs.get(f"master-{base}")
        score = parse_score(raw, 0) if raw is not None else -1
    for loc in ws.locations:
        if (loc.role or "").lower() not in ("master", "promoted"):
            continue
        if loc.rsc != clone.id:
            continue
        if loc.node == node.name and loc.score is not None:
            score = add(score, loc.score)
    return score


def set_instance_roles(ws: WorkingSet, clone: Rsc) -> None:
    candidates: list[tuple[int, int, Rsc]] = []
    for i, inst in enumerate(clone.children):
        if inst.assigned is None:
            continue
        if inst.next_role == Role.STOPPED:
            continue
        prio = _promotion_score(ws, clone, inst)
        if inst.role == Role.PROMOTED:
            prio = add(prio, 1)
        if inst.next_role == Role.UNPROMOTED and inst.meta.get("target-role"):
            prio = -INFINITY
        inst.promotion_priority = prio
        candidates.append((prio, i, inst))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    promoted = 0
    per_node: dict[str, int] = {}
    for prio, _, inst in candidates:
        node = inst.assigned
        assert node is not None
        if (prio >= 0 and promoted < clone.promoted_max
                and per_node.get(node.name, 0) < clone.promoted_node_max
                and (ws.quorate or ws.options.no_quorum_policy != "demote")):
            promoted += 1
            per_node[node.name] = per_node.get(node.name, 0) + 1
            for r in [inst, *inst.primitives()]:
                r.next_role = Role.PROMOTED
        else:
            for r in [inst, *inst.primitives()]:
                if r.next_role in (Role.UNKNOWN, Role.STARTED, Role.PROMOTED):
                    r.next_role = Role.UNPROMOTED
