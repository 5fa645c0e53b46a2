"""Promotable clones: which assigned instances are promoted (§8.4 of the semantics digest).

Two steps, around the clone's instance assignment:

1. Before the instances are placed, each one's promotion score (the agent's `master-<rsc>` node
   attribute) is added to its score on every available node where it counts
   (`add_promotion_scores`).
2. After placement (`set_instance_roles`), each placed instance gets a promotion priority: its
   promotion score on its node (-1 when unset), plus the role=Promoted locations, plus its
   role-based colocations. The clone's node scores then absorb the non-negative priorities and
   the role-based colocations of the clone itself; each instance is sorted by the clone's score
   on its node, and the first promoted-max of them (at most promoted-node-max a node) whose
   priority is not negative are promoted; the others stay (or become) Unpromoted.

Every part of the final score is kept as a `ScoreSource` in `Rsc.promotion_sources`, for
`Allocation.promotion`, `simulate --show-scores` and `explain`.
"""

from __future__ import annotations

from functools import cmp_to_key

from vigil.model.constraints import Location
from vigil.model.score import INFINITY, add, clamp, parse_score
from vigil.scheduler.rules_eval import RuleContext, evaluate_rule
from vigil.scheduler.working import (
    ColocationEdge,
    Node,
    Role,
    Rsc,
    ScoreSource,
    Variant,
    WorkingSet,
    parse_role,
)

# --- the agent's promotion score ------------------------------------------------------------


def _base(rsc_id: str) -> str:
    return rsc_id.rsplit(":", 1)[0] if ":" in rsc_id else rsc_id


def _member(inst: Rsc, base: str) -> Rsc | None:
    for prim in inst.primitives():
        if _base(prim.id) == base:
            return prim
    return None


def _other_instance_counts(prim: Rsc, node: Node) -> bool:
    """Whether an anonymous instance must not use `node`'s promotion attribute: another instance
    is active there."""
    clone = prim.clone_parent()
    if clone is None or clone.unique or not prim.histories:
        return False
    base = _base(prim.id)
    for inst in clone.children:
        member = _member(inst, base)
        if member is not None and node in member.running_on:
            return member is not prim
    return False


def _known_elsewhere(prim: Rsc, node: Node) -> bool:
    """Whether an instance that has a history (running, or a probe) must not use `node`'s
    promotion attribute: there is no history of it there, nor, for an anonymous clone, one that
    found another instance not running there (a probe). A globally unique instance goes by its
    own history alone (crm_simulate: ms-r:0 probed on node1 only ignores node3's
    master-ms-r:0, which it takes when it has no history). Anonymous, probed on node1 only, it ignores
    node4's master-<rsc>, which an instance without any history takes; running on node2, it
    ignores node4's, where another instance runs; promoted on node1 and moving to node2, it
    is promoted there when node2 has a probe of the resource, whichever instance it went to."""
    clone = prim.clone_parent()
    if clone is None or not prim.histories:
        return False
    if node.name in prim.histories:
        return False
    if clone.unique:
        return True
    base = _base(prim.id)
    for inst in clone.children:
        member = _member(inst, base)
        if member is not None and node.name in member.histories \
                and node not in member.running_on:
            return False
    return True


def promotion_attribute(prim: Rsc, node: Node) -> tuple[str, int] | None:
    """The `master-<rsc>` attribute of `node` that sets this instance's promotion score: the
    name its history was found under, or its own (master-rsc:0), first; then the resource's
    (master-rsc) unless the clone is globally unique. None when unset or when it does not
    count for this instance there."""
    if _other_instance_counts(prim, node) or _known_elsewhere(prim, node):
        return None
    names = [f"master-{prim.clone_name or prim.id}"]
    clone = prim.clone_parent()
    if clone is not None and not clone.unique and ":" in prim.id:
        names.append(f"master-{_base(prim.id)}")
    for name in names:
        raw = node.attrs.get(name)
        if raw is not None:
            return name, parse_score(raw, 0)
    return None


def promotion_score(rsc: Rsc, node: Node, not_set: int,
                    sources: list[ScoreSource] | None = None, bounded: bool = True) -> int:
    """An instance's promotion score on `node`: the attribute's value, or `not_set`; a cloned
    group's is the sum of the values its members have, or `not_set` when none has one
    (crm_simulate: members 4 and -5 give -1, 5 and unset give 5, -1 and 3 give 2, INFINITY
    and -INFINITY give 0, INFINITY and 5 give INFINITY). The sum is a plain one, bounded to
    +-INFINITY at the end unless `bounded` is False (two members at INFINITY outweigh one
    when clone instances are sorted)."""
    found = _set_score(rsc, node, sources)
    if found is None:
        return not_set
    return clamp(found) if bounded else found


def _set_score(rsc: Rsc, node: Node, sources: list[ScoreSource] | None) -> int | None:
    if rsc.variant != Variant.PRIMITIVE:
        total: int | None = None
        for child in rsc.children:
            value = _set_score(child, node, sources)
            if value is not None:
                # plain sums: INFINITY and -INFINITY cancel out
                total = value if total is None else total + value
        return total
    found = promotion_attribute(rsc, node)
    if found is None:
        return None
    name, value = found
    if sources is not None:
        sources.append(ScoreSource("promotion-attribute", f"node attribute {name} on {node.name}",
                                   value))
    return value


def add_promotion_scores(ws: WorkingSet, clone: Rsc) -> None:
    """Before placement: each instance prefers the nodes where it would be promoted, except
    where it already scores below zero (crm_simulate: a clone location of -100 stays -100 in
    the instance's score despite master-<rsc>=100 there)."""
    for inst in clone.children:
        for node in ws.nodes:
            if node.name not in inst.allowed or not node.available \
                    or inst.allowed[node.name] < 0:
                continue
            score = promotion_score(inst, node, 0)
            if score > 0:
                inst.add_score(node.name, score, "promotion-attribute",
                               f"promotion score {score} from the master-* node attribute")


# --- priorities -----------------------------------------------------------------------------


def _set_current_unpromoted(rsc: Rsc) -> None:
    if rsc.role == Role.STARTED:
        rsc.role = Role.UNPROMOTED
    for child in rsc.children:
        _set_current_unpromoted(child)


def _next_role(rsc: Rsc) -> Role:
    if rsc.variant == Variant.PRIMITIVE:
        return rsc.next_role
    return max((_next_role(c) for c in rsc.children), default=Role.UNKNOWN)


def _promoted_location_scores(ws: WorkingSet, loc: Location, node: Node) -> list[tuple[int, str]]:
    """The scores a role=Promoted location gives `node` (its rules evaluated there)."""
    out: list[tuple[int, str]] = []
    if loc.node is not None:
        if parse_role(loc.role) == Role.PROMOTED and loc.score is not None and (
                loc.node == node.name or loc.node == node.id):
            out.append((loc.score, f"location constraint {loc.id}"))
        return out
    for rule in loc.rules:
        role = parse_role(rule.role) or parse_role(loc.role)
        if role != Role.PROMOTED:
            continue
        if not evaluate_rule(rule, RuleContext(now=ws.now, node_attrs=node.attrs)):
            continue
        if rule.score_attribute:
            raw = node.attrs.get(rule.score_attribute)
            score = parse_score(raw, 0) if raw is not None else -INFINITY
        else:
            score = rule.score if rule.score is not None else 0
        out.append((score, f"location constraint {loc.id} (rule {rule.id})"))
    return out


def _location_names(loc: Location) -> list[str]:
    names = [loc.rsc] if loc.rsc else []
    for rs in loc.sets:
        names.extend(rs.resources)
    return names


def _apply_promoted_locations(ws: WorkingSet, clone: Rsc, inst: Rsc, node: Node) -> None:
    ids = {inst.id, clone.id}
    for loc in ws.locations:
        names = _location_names(loc)
        if not ids.intersection(names):
            continue
        for score, detail in _promoted_location_scores(ws, loc, node):
            inst.promotion_priority = add(inst.promotion_priority, score)
            inst.promotion_sources.append(ScoreSource("location-role", detail, score))


def instance_next_role(inst: Rsc) -> Role:
    return _next_role(inst)


def _find_instance(clone: Rsc, node: Node, role: Role | None) -> Rsc | None:
    for inst in clone.children:
        if inst.assigned is not node:
            continue
        if role is not None and instance_next_role(inst) != role:
            continue
        return inst
    return None


def _coloc_priority_with(ws: WorkingSet, inst: Rsc, primary: Rsc, edge: ColocationEdge) -> None:
    """A placed instance's role-based colocation with a resource (`primary`): it changes the
    instance's promotion priority, not where it runs."""
    if primary.variant == Variant.GROUP and primary.children:
        member = primary.children[-1] if edge.score >= INFINITY else primary.children[0]
        _coloc_priority_with(ws, inst, member, edge)
        return
    if primary.variant == Variant.CLONE:
        if primary.provisional:
            return
        if primary.promotable and edge.dependent_role == Role.PROMOTED:
            node = inst.assigned
            if node is None:
                return
            match = _find_instance(primary, node, edge.primary_role)
            if match is not None:
                _add_priority(inst, edge.score, f"colocation {edge.id} with {primary.id}")
            elif edge.score >= INFINITY:
                _set_priority(inst, -INFINITY,
                              f"colocation {edge.id}: no matching {primary.id} on {node.name}")
            return
        if edge.score >= INFINITY:
            # a mandatory one only narrows where the (already placed) instance may run
            return
        for other in primary.children:
            _coloc_priority_with(ws, inst, other, edge)
        return
    if primary.provisional:
        return
    if primary.assigned is None or inst.assigned is None:
        return
    attr = edge.node_attribute or "#id"
    if inst.assigned.attrs.get(attr) != primary.assigned.attrs.get(attr):
        if edge.score >= INFINITY and edge.dependent_role == Role.PROMOTED:
            _set_priority(inst, -INFINITY, f"colocation {edge.id}: {primary.id} runs elsewhere")
        return
    if edge.primary_role is not None and edge.primary_role != primary.next_role:
        return
    factor = -1 if edge.dependent_role == Role.UNPROMOTED else 1
    _add_priority(inst, factor * edge.score, f"colocation {edge.id} with {primary.id}")


def _add_priority(inst: Rsc, value: int, detail: str) -> None:
    inst.promotion_priority = add(value, inst.promotion_priority)
    inst.promotion_sources.append(ScoreSource("colocation-role", detail, value))


def _set_priority(inst: Rsc, value: int, detail: str) -> None:
    inst.promotion_sources.append(ScoreSource("colocation-role", detail,
                                              value - inst.promotion_priority
                                              if value > -INFINITY else -INFINITY))
    inst.promotion_priority = value


def _set_instance_priority(ws: WorkingSet, clone: Rsc, inst: Rsc) -> None:
    if inst.current_role() == Role.STARTED:
        _set_current_unpromoted(inst)
    chosen = inst.assigned
    if chosen is None:
        return
    next_role = instance_next_role(inst)
    inst.promotion_sources = []
    if next_role in (Role.STARTED, Role.UNKNOWN):
        sources: list[ScoreSource] = []
        inst.promotion_priority = promotion_score(inst, chosen, -1, sources)
        if not sources:
            # its own kind: explain tells an agent's negative score from no score at all
            sources.append(ScoreSource("no-promotion-attribute",
                                       f"no master-* node attribute for it on {chosen.name}", -1))
        inst.promotion_sources.extend(sources)
    elif next_role in (Role.UNPROMOTED, Role.STOPPED):
        inst.promotion_priority = -INFINITY
        inst.promotion_sources.append(ScoreSource("target-role", f"next role {next_role.text}",
                                                  -INFINITY))
    _apply_promoted_locations(ws, clone, inst, chosen)
    for edge in list(inst.this_with):
        if edge.dependent_role is None or edge.dependent_role < Role.UNPROMOTED:
            continue
        _coloc_priority_with(ws, inst, edge.primary, edge)
    inst.promotion_sort = inst.promotion_priority
    if next_role == Role.PROMOTED:
        inst.promotion_sort = INFINITY
    if clone.promotion_forbidden is not None:
        if clone.promotion_frozen and inst.current_role() == Role.PROMOTED and \
                chosen in inst.instance_nodes():
            inst.promotion_priority = inst.promotion_sort = INFINITY
            inst.promotion_sources.append(ScoreSource(
                "ticket", f"{clone.promotion_forbidden}: loss-policy=freeze keeps it promoted",
                INFINITY))
        else:
            inst.promotion_priority = inst.promotion_sort = -INFINITY
            inst.promotion_sources.append(ScoreSource("ticket", clone.promotion_forbidden,
                                                      -INFINITY))


# --- the clone's scores and the order of its instances ---------------------------------------


def _apply_clone_role_colocations(ws: WorkingSet, clone: Rsc) -> None:
    from vigil.scheduler.placement import merge_dependent_scores

    for edge in list(clone.this_with):
        if edge.dependent_role != Role.PROMOTED:
            continue
        before = dict(clone.allowed)
        # negative contributions count too, even under a finite score (crm_simulate: ms
        # promoted with a group at 50 gets the second member's -INFINITY, through the
        # group's internal colocation, on every node but the group's)
        clone.allowed = merge_dependent_scores(ws, edge.primary, clone.allowed,
                                               edge.node_attribute, edge.score / INFINITY,
                                               False, None, clone.id,
                                               rollback=False)
        _log_clone_change(clone, before, f"promoted with {edge.primary.id} (colocation {edge.id})")
    for edge in list(clone.with_this):
        if edge.primary_role != Role.PROMOTED or not edge.influence:
            continue
        before = dict(clone.allowed)
        clone.allowed = merge_dependent_scores(ws, edge.dependent, clone.allowed,
                                               edge.node_attribute, edge.score / INFINITY,
                                               True, None, clone.id)
        _log_clone_change(clone, before,
                          f"{edge.dependent.id} wants it promoted (colocation {edge.id})")


def _log_clone_change(clone: Rsc, before: dict[str, int], detail: str) -> None:
    for name, value in clone.allowed.items():
        old = before.get(name, 0)
        if value != old:
            clone.promotion_node_sources.setdefault(name, []).append(
                (None, ScoreSource("colocation-role", detail, value - old if value > -INFINITY
                                   and old > -INFINITY else value)))


def promotion_contributions(inst: Rsc) -> list[ScoreSource]:
    """Where an instance's promotion score (the one its promotion was decided by) came from:
    its own priority's parts and, when the score is the clone's on its node, the clone's own
    score there, the other instances' priorities there and the clone's role colocations."""
    clone = inst.parent
    if clone is None or inst.assigned is None:
        return []
    if not inst.promotion_from_clone:
        return list(inst.promotion_sources)
    out: list[ScoreSource] = []
    for who, source in clone.promotion_node_sources.get(inst.assigned.name, []):
        if who is inst:
            out.extend(inst.promotion_sources)
        else:
            out.append(source)
    return out


def _instance_key(inst: Rsc) -> tuple[int, bool]:
    """What the instance order compares before priorities: how many nodes it is active on, and
    whether it may stay where it is."""
    nodes = inst.instance_nodes()
    here = nodes[0] if nodes else None
    return len(nodes), here is not None and inst.allowed.get(here.name, -INFINITY) >= 0


def _sort_instances(ws: WorkingSet, clone: Rsc) -> None:
    from vigil.scheduler.placement import instance_cmp

    clone.placement_scores = dict(clone.allowed)
    clone.promotion_node_sources = {
        name: [(None, ScoreSource("clone-score", f"{clone.id}'s own score there", value))]
        for name, value in clone.allowed.items() if value}
    for inst in clone.children:
        inst.promotion_from_clone = False
        if inst.promotion_sort < 0 or inst.assigned is None:
            continue
        name = inst.assigned.name
        clone.allowed[name] = add(inst.promotion_sort, clone.allowed.get(name, 0))
        clone.promotion_node_sources.setdefault(name, []).append(
            (inst, ScoreSource("promotion-priority", f"{inst.id} may be promoted there",
                               inst.promotion_sort)))
    _apply_clone_role_colocations(ws, clone)
    for inst in clone.children:
        if not inst.managed and instance_next_role(inst) == Role.PROMOTED:
            inst.promotion_sort = INFINITY
        elif inst.assigned is None or inst.promotion_sort < 0:
            pass
        else:
            inst.promotion_sort = clone.allowed.get(inst.assigned.name, 0)
            inst.promotion_from_clone = True
    by_instance = instance_cmp(ws, clone, {})

    def cmp(a: Rsc, b: Rsc) -> int:
        if a.promotion_sort != b.promotion_sort:
            return -1 if a.promotion_sort > b.promotion_sort else 1
        ra, rb = a.current_role(), b.current_role()
        if ra != rb:
            return -1 if ra > rb else 1
        # Pacemaker's instance order compares priorities next: by now a placed instance's
        # priority is its promotion priority
        pa = a.promotion_priority if a.assigned is not None else a.priority
        pb = b.promotion_priority if b.assigned is not None else b.priority
        if pa != pb and _instance_key(a) == _instance_key(b):
            return -1 if pa > pb else 1
        return by_instance(a, b)

    clone.children[:] = sorted(clone.children, key=cmp_to_key(cmp))  # a copy: see placement


# --- roles ----------------------------------------------------------------------------------


def _promotion_node(ws: WorkingSet, clone: Rsc, inst: Rsc, counts: dict[str, int]) -> Node | None:
    for child in inst.children:
        if _promotion_node_member(child) is None:
            return None
    node = inst.assigned
    if node is None:
        return None
    if not inst.managed:
        if inst.current_role() != Role.PROMOTED:
            return None
    elif inst.promotion_priority < 0 or not node.available:
        return None
    if node.name not in clone.allowed:
        return None
    if counts.get(node.name, 0) >= clone.promoted_node_max and inst.managed:
        return None
    return node


def _promotion_node_member(member: Rsc) -> Node | None:
    node = member.assigned
    if node is None or not node.available:
        return None
    if not member.managed and member.role != Role.PROMOTED:
        return None
    return node


def _set_next(rsc: Rsc, promoted: bool) -> None:
    if promoted:
        if rsc.next_role in (Role.UNKNOWN, Role.STARTED):
            rsc.next_role = Role.PROMOTED
    else:
        rsc.next_role = Role.UNPROMOTED if rsc.assigned is not None else Role.STOPPED
    for child in rsc.children:
        _set_next(child, promoted)


def set_instance_roles(ws: WorkingSet, clone: Rsc) -> None:
    """After placement: promote the best placed instances, the others run unpromoted."""
    for inst in clone.children:
        _set_instance_priority(ws, clone, inst)
    _sort_instances(ws, clone)
    counts: dict[str, int] = {}
    promoted = 0
    for inst in clone.children:
        chosen: Node | None = None
        if inst.promotion_sort >= 0 and (promoted < clone.promoted_max or not clone.managed):
            chosen = _promotion_node(ws, clone, inst, counts)
        if chosen is None:
            _set_next(inst, False)
            continue
        if not ws.options.have_quorum and (
                (ws.options.no_quorum_policy == "demote" and inst.instance_nodes()) or (
                    ws.options.no_quorum_policy == "freeze"
                    and inst.current_role() < Role.PROMOTED)):
            # demote: an active instance is demoted, but it still takes its promoted slot from
            # the instances after it; a stopped one keeps its promotion, which cannot happen
            # as its start is blocked (crm_simulate: "Promote ... blocked")
            _set_next(inst, False)
            if ws.options.no_quorum_policy == "demote":
                promoted += 1  # not so under freeze: the Promoted instance after it stays so
            continue
        counts[chosen.name] = counts.get(chosen.name, 0) + 1
        _set_next(inst, True)
        promoted += 1
