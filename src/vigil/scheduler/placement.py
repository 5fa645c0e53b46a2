"""Node scores and assignment: locations, stickiness, failure bans, colocations, clone distribution."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cmp_to_key

from vigil.model.constraints import Colocation, Location
from vigil.model.score import INFINITY, add
from vigil.model.values import is_true
from vigil.scheduler import bundle, discovery, health, remote, tickets, utilization
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

# --- initial scores and location constraints ------------------------------------------------


def _set_score(rsc: Rsc, node: Node, value: int, kind: str, detail: str, insert_base: bool) -> None:
    """Add `value` on `node`, creating the entry (at the node's base weight if asked)."""
    if node.name not in rsc.allowed:
        base = node.weight if insert_base else 0
        rsc.allowed[node.name] = base
        if insert_base and base:
            rsc.sources.setdefault(node.name, []).append(ScoreSource("node-weight", node.name, base))
    rsc.add_score(node.name, value, kind, detail)


def _node_score_recursive(rsc: Rsc, node: Node, value: int, kind: str, detail: str) -> None:
    """Pacemaker's resource_location(): the resource and all its descendants."""
    for child in rsc.children:
        _node_score_recursive(child, node, value, kind, detail)
    _set_score(rsc, node, value, kind, detail, insert_base=True)


def initial_scores(ws: WorkingSet) -> None:
    if not ws.options.symmetric:
        return
    for rsc in ws.all_rscs():
        for node in ws.nodes:
            if node.name not in rsc.allowed:
                rsc.allowed[node.name] = node.weight
                if node.weight:
                    rsc.sources.setdefault(node.name, []).append(
                        ScoreSource("node-weight", "node is offline or shutting down"
                                    if node.weight <= -INFINITY else f"node score {node.weight}",
                                    node.weight))


def _apply_location_to(rsc: Rsc, scores: list[tuple[Node, int]], detail: str) -> None:
    """Apply (node, score) pairs the way Pacemaker applies a location to this kind of resource."""
    for node, score in scores:
        if node.name in rsc.allowed:
            rsc.add_score(node.name, score, "location", detail)
        else:
            rsc.allowed[node.name] = score
            rsc.sources.setdefault(node.name, []).append(ScoreSource("location", detail, score))
    if rsc.variant == Variant.GROUP:
        first = True
        for child in rsc.children:
            if first:
                _apply_location_to(child, scores, detail)
                first = False
            else:
                _apply_location_to(child, [(n, 0) for n, _ in scores], detail + " (via group)")
    elif rsc.variant == Variant.CLONE:
        for child in rsc.children:
            _apply_location_to(child, scores, detail)


def location_targets(ws: WorkingSet, loc: Location) -> list[Rsc]:
    names: list[str] = []
    if loc.rsc:
        names.append(loc.rsc)
    for rs in loc.sets:
        names.extend(rs.resources)
    targets = [ws.by_id[n] for n in names if n in ws.by_id]
    if loc.rsc_pattern:
        try:
            pattern = re.compile(loc.rsc_pattern)
        except re.error:
            return targets
        for rsc in ws.resources:
            if pattern.search(rsc.id):
                targets.append(rsc)
    return targets


def location_scores(ws: WorkingSet, loc: Location) -> list[tuple[Node, int, str]]:
    out: list[tuple[Node, int, str]] = []
    if loc.node is not None:
        node = ws.node(loc.node)
        if node is not None and loc.score is not None:
            out.append((node, loc.score, f"location constraint {loc.id}"))
        return out
    for rule in loc.rules:
        if parse_role(rule.role) == Role.PROMOTED:
            continue  # applied at promotion time
        for node in ws.nodes:
            ctx = RuleContext(now=ws.now, node_attrs=node.attrs)
            if not evaluate_rule(rule, ctx):
                continue
            if rule.score_attribute:
                raw = node.attrs.get(rule.score_attribute)
                from vigil.model.score import parse_score

                score = parse_score(raw, 0) if raw is not None else -INFINITY
            else:
                score = rule.score if rule.score is not None else 0
            out.append((node, score, f"location constraint {loc.id} (rule {rule.id})"))
    return out


def apply_locations(ws: WorkingSet) -> None:
    for loc in reversed(ws.locations):
        role = parse_role(loc.role)
        if role == Role.PROMOTED:
            continue  # applied at promotion time
        if loc.resource_discovery == "exclusive":
            pass
        targets = location_targets(ws, loc)
        scored = location_scores(ws, loc)
        by_detail: dict[str, list[tuple[Node, int]]] = {}
        for node, score, detail in scored:
            by_detail.setdefault(detail, []).append((node, score))
        for rsc in targets:
            for detail, pairs in by_detail.items():
                _apply_location_to(rsc, pairs, detail)


def apply_stickiness(ws: WorkingSet) -> None:
    for rsc in ws.all_rscs():
        if rsc.variant != Variant.PRIMITIVE:
            continue
        if not rsc.managed or rsc.stickiness <= 0 or len(rsc.running_on) != 1:
            continue
        node = rsc.running_on[0]
        if not ws.options.symmetric and node.name not in rsc.allowed:
            continue
        rsc.add_score(node.name, rsc.stickiness, "stickiness",
                      f"resource-stickiness={rsc.stickiness} (it runs there now)")


def apply_failure_bans(ws: WorkingSet) -> None:
    for rsc in ws.all_rscs():
        if rsc.variant != Variant.PRIMITIVE or rsc.migration_threshold <= 0:
            continue
        if rsc.failure_ignored:
            # a resource whose failures are ignored (on-fail=ignore) ignores its fail counts
            # too: they would otherwise push it away after the very failures it should ride out
            continue
        for node in ws.nodes:
            count = rsc.fail_counts.get(node.name, 0)
            if count <= 0 or count < rsc.migration_threshold:
                continue
            target = rsc
            clone = rsc.clone_parent()
            if clone is not None and not clone.unique:
                target = clone
            detail = (f"failed {count} time(s) there, migration-threshold="
                      f"{rsc.migration_threshold}")
            _node_score_recursive(target, node, -INFINITY, "fail-limit", detail)
            if target is not rsc:
                rsc.sources.setdefault(node.name, []).append(
                    ScoreSource("fail-limit", detail + f" (banning all of {target.id})", -INFINITY))


# --- colocation edges -----------------------------------------------------------------------

def _variant_rank(rsc: Rsc) -> int:
    return int(rsc.variant)


def _edge_sort_key_primary(edge: ColocationEdge) -> tuple[int, int, int, bytes]:
    p = edge.primary
    return (-p.priority, -_variant_rank(p), 0 if p.promotable else 1, p.id.encode())


def _edge_sort_key_dependent(edge: ColocationEdge) -> tuple[int, int, int, bytes]:
    d = edge.dependent
    return (-d.priority, -_variant_rank(d), 0 if d.promotable else 1, d.id.encode())


def add_colocation(ws: WorkingSet, edge_id: str, dependent: Rsc, primary: Rsc, score: int,
                   dependent_role: Role | None = None, primary_role: Role | None = None,
                   node_attribute: str | None = None, influence: bool | None = None) -> None:
    if score == 0:
        return
    if dependent_role == Role.STARTED:
        dependent_role = None
    if primary_role == Role.STARTED:
        primary_role = None
    if influence is None:
        influence = dependent.critical
    edge = ColocationEdge(edge_id, dependent, primary, score, dependent_role, primary_role,
                          node_attribute, influence)
    dependent.this_with.append(edge)
    dependent.this_with.sort(key=_edge_sort_key_primary)
    primary.with_this.append(edge)
    primary.with_this.sort(key=_edge_sort_key_dependent)


def unpack_colocations(ws: WorkingSet) -> None:
    for col in ws.colocations:
        if col.sets:
            _unpack_colocation_sets(ws, col)
            continue
        dep = ws.by_id.get(col.rsc or "")
        pri = ws.by_id.get(col.with_rsc or "")
        if dep is None or pri is None:
            continue
        add_colocation(ws, col.id, dep, pri, col.score, parse_role(col.rsc_role),
                       parse_role(col.with_rsc_role), col.node_attribute, col.influence)


def _unpack_colocation_sets(ws: WorkingSet, col: Colocation) -> None:
    """Resource sets: within a sequential set each member follows the previous one; between
    sets, every member of a set is colocated with the members of the set after it."""
    prev_set: list[Rsc] | None = None
    for rs in col.sets:
        score = rs.score if rs.score is not None else col.score
        members = [ws.by_id[r] for r in rs.resources if r in ws.by_id]
        role = parse_role(rs.role)
        if rs.sequential:
            for i in range(1, len(members)):
                add_colocation(ws, col.id, members[i], members[i - 1], score, role, role,
                               col.node_attribute, col.influence)
        elif score <= -INFINITY:
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    add_colocation(ws, col.id, a, b, score, role, role, col.node_attribute,
                                   col.influence)
        if prev_set is not None and members:
            # each member of the previous set with the first (sequential) or every member here
            primaries = members[-1:] if rs.sequential else members
            for dep in prev_set:
                for pri in primaries:
                    add_colocation(ws, col.id, dep, pri, col.score, role, role,
                                   col.node_attribute, col.influence)
        if members:
            prev_set = members[:1] if rs.sequential else members
    return


def internal_colocations(ws: WorkingSet) -> None:
    for rsc in ws.all_rscs():
        if rsc.variant == Variant.GROUP and _group_colocated(rsc):
            for i in range(1, len(rsc.children)):
                member = rsc.children[i]
                add_colocation(ws, f"{rsc.id}-internal", member, rsc.children[i - 1], INFINITY,
                               influence=member.critical)


def _group_colocated(group: Rsc) -> bool:
    value = group.meta.get("collocated")
    return is_true(value, default=True)


def expand_group_colocations(ws: WorkingSet) -> None:
    """A group's own colocations belong to its members: "group with X" to the first member,
    "X with group" to the last (whose preferences reach the first through the chain)."""
    for rsc in ws.all_rscs():
        if rsc.variant != Variant.GROUP or not rsc.children:
            continue
        first, last = rsc.children[0], rsc.children[-1]
        # merged in the same order as a member's own: by the other side's priority first
        # [case: colocation-priority-group, where the group's primary of priority 2000 is
        # placed before its first member's own primary of priority 1000]
        first.this_with.extend(rsc.this_with)
        first.this_with.sort(key=_edge_sort_key_primary)
        rsc.this_with = []
        last.with_this.extend(rsc.with_this)
        last.with_this.sort(key=_edge_sort_key_dependent)
        rsc.with_this = []


# --- node sorting and assignment ------------------------------------------------------------

def _node_weight(rsc: Rsc, node: Node) -> int:
    if not node.available:
        return -INFINITY
    return rsc.allowed.get(node.name, -INFINITY)


def sort_nodes(ws: WorkingSet, table: dict[str, int], current: Node | None) -> list[Node]:
    nodes = [n for n in ws.nodes if n.name in table]

    def weight(n: Node) -> int:
        return table[n.name] if n.available else -INFINITY

    def cmp(a: Node, b: Node) -> int:
        wa, wb = weight(a), weight(b)
        if wa != wb:
            return -1 if wa > wb else 1
        if ws.options.placement_strategy == "balanced":
            free = utilization.compare_free(a, b)
            if free != 0:
                return free
        if ws.options.placement_strategy != "minimal":
            if a.assigned_count != b.assigned_count:
                return -1 if a.assigned_count < b.assigned_count else 1
            if current is not None:
                if current is a:
                    return -1
                if current is b:
                    return 1
        ab, bb = a.name.encode(), b.name.encode()
        return (ab > bb) - (ab < bb)

    return sorted(nodes, key=cmp_to_key(cmp))


def current_node(rsc: Rsc) -> Node | None:
    return rsc.running_on[0] if rsc.running_on else None


def _any_available(ws: WorkingSet, table: dict[str, int]) -> bool:
    return any(n.available and table.get(n.name, -INFINITY) >= 0 for n in ws.nodes
               if n.name in table)


def _assign_node(ws: WorkingSet, rsc: Rsc, node: Node | None, force: bool) -> bool:
    if node is not None and not force:
        score = rsc.allowed.get(node.name, -INFINITY)
        if not node.available or score < 0:
            node = None
    if node is None:
        rsc.assigned = None
        rsc.provisional = False
        rsc.next_role = Role.STOPPED
        return False
    rsc.assigned = node
    rsc.provisional = False
    node.assigned_count += 1
    utilization.consume(node, rsc)
    return True


def _choose_node(ws: WorkingSet, rsc: Rsc, prefer: Node | None) -> bool:
    most_free = utilization.ban_insufficient_capacity(ws, rsc)
    if prefer is None:
        prefer = most_free
    nodes = sort_nodes(ws, rsc.allowed, current_node(rsc))
    if not nodes:
        return _assign_node(ws, rsc, None, False)
    best = nodes[0]
    chosen: Node | None = None
    if (prefer is not None and prefer.name in rsc.allowed
            and _node_weight(rsc, prefer) >= _node_weight(rsc, best) and prefer.available
            and rsc.allowed[prefer.name] >= 0):
        chosen = prefer
    if chosen is None:
        chosen = best
        clone = rsc.parent if rsc.parent and rsc.parent.variant == Variant.CLONE else None
        unique_instance = clone is not None and clone.unique
        if not unique_instance and _node_weight(rsc, chosen) > 0 and chosen.available:
            running = current_node(rsc)
            if running is not None and running.available:
                for other in nodes[1:]:
                    if _node_weight(rsc, other) != _node_weight(rsc, chosen):
                        break
                    if other is running:
                        chosen = other
    return _assign_node(ws, rsc, chosen, False)


def _apply_colocation(ws: WorkingSet, dependent: Rsc, primary: Rsc, edge: ColocationEdge) -> None:
    """Place the dependent against its (assigned) primary: §4.1 of the semantics."""
    if primary.variant == Variant.GROUP and primary.children:
        member = primary.children[-1] if edge.score >= INFINITY else primary.children[0]
        _apply_colocation(ws, dependent, member, edge)
        return
    if primary.variant == Variant.CLONE:
        _apply_colocation_with_clone(ws, dependent, primary, edge)
        return
    if primary.provisional:
        return
    if edge.dependent_role is not None and edge.dependent_role != dependent.next_role and \
            edge.score > 0:
        return
    if edge.primary_role is not None and edge.primary_role != primary.next_role and \
            edge.score > 0:
        return
    attr = edge.node_attribute or "#id"
    target = primary.assigned
    if target is None and edge.score < 0:
        return
    value = target.attrs.get(attr) if target is not None else None
    work = dict(dependent.allowed)
    changes: list[tuple[str, int]] = []
    for node in ws.nodes:
        if node.name not in work:
            continue
        if target is None:
            delta = -edge.score
        elif node.attrs.get(attr) == value and value is not None:
            if edge.score >= INFINITY:
                continue
            delta = edge.score
        elif edge.score >= INFINITY:
            delta = -edge.score
        else:
            continue
        work[node.name] = add(work[node.name], delta)
        changes.append((node.name, delta))
    if edge.score <= -INFINITY or edge.score >= INFINITY or _any_available(ws, work):
        dependent.allowed = work
        why = (f"colocation {edge.id} with {primary.id}"
               + (f" (on {target.name})" if target else " (not running anywhere)"))
        for name, delta in changes:
            dependent.sources.setdefault(name, []).append(ScoreSource("colocation", why, delta))


def _apply_colocation_with_clone(ws: WorkingSet, dependent: Rsc, clone: Rsc,
                                 edge: ColocationEdge) -> None:
    if clone.provisional:
        return
    if clone.promotable and edge.primary_role is not None:
        if dependent.provisional:
            _apply_colocation_with_promotable(ws, dependent, clone, edge)
        # a placed dependent's role-based colocations are promotion.py's
        return
    # the dependent's clone instance: the dependent itself, or the group instance whose first
    # member carries the clone's colocations
    instance = dependent
    while instance.parent is not None and instance.parent.variant == Variant.GROUP:
        instance = instance.parent
    dep_clone = instance.parent if instance.parent and instance.parent.variant == \
        Variant.CLONE else None
    if edge.dependent.variant == Variant.CLONE and edge.dependent.interleave and \
            dep_clone is not None:
        # the instance of the other clone on the best node of the resource that carries the
        # colocation (a group instance's first member: its own scores, not the group's)
        partner = _compatible_instance(ws, dependent, clone)
        if partner is not None:
            _apply_colocation(ws, dependent, partner, edge)
        elif edge.score >= INFINITY:
            for node in ws.nodes:
                dependent.add_score(node.name, -INFINITY, "colocation",
                                    f"colocation {edge.id}: no instance of {clone.id} to pair with")
        return
    if edge.score >= INFINITY:
        nodes = set()
        for inst in clone.children:
            if inst.assigned is not None and not inst.blocked:
                nodes.add(inst.assigned.name)
        for node in ws.nodes:
            if node.name in dependent.allowed and node.name not in nodes:
                dependent.add_score(node.name, -INFINITY, "colocation",
                                    f"colocation {edge.id}: no instance of {clone.id} there")
        return
    for inst in clone.children:
        _apply_colocation(ws, dependent, inst, edge)


def _apply_colocation_with_promotable(ws: WorkingSet, dependent: Rsc, clone: Rsc,
                                      edge: ColocationEdge) -> None:
    """A colocation with a role of a promotable clone (placed, roles chosen): optional ones add
    their score where an instance of that role will be; mandatory ones keep the dependent
    only there (adding that instance's score), except promoted-with-promoted, which would
    keep the dependent's other instances from running unpromoted."""
    from vigil.scheduler.promotion import instance_next_role

    attr = edge.node_attribute or "#uname"
    affected: dict[str, int] = {}
    for inst in clone.children:
        node = inst.assigned
        if node is None or instance_next_role(inst) != edge.primary_role:
            continue
        affected.setdefault(node.name, inst.allowed.get(node.name, 0))
        if edge.score >= INFINITY:
            continue
        value = node.attrs.get(attr)
        for other in ws.nodes:
            if other.name in dependent.allowed and other.attrs.get(attr) == value:
                dependent.add_score(other.name, edge.score, "colocation",
                                    f"colocation {edge.id} with {inst.id} "
                                    f"({edge.primary_role.text} on {node.name})")
    if edge.score < INFINITY or (edge.dependent_role == Role.PROMOTED
                                 and edge.primary_role == Role.PROMOTED):
        return
    role = edge.primary_role.text if edge.primary_role is not None else "active"
    for node in ws.nodes:
        if node.name in affected:
            if node.name in dependent.allowed:
                dependent.add_score(node.name, affected[node.name], "colocation",
                                    f"colocation {edge.id}: {clone.id} will be {role} here")
        else:
            dependent.add_score(node.name, -INFINITY, "colocation",
                                f"colocation {edge.id}: no {role} instance of {clone.id} here")


def _compatible_instance(ws: WorkingSet, dependent: Rsc, clone: Rsc) -> Rsc | None:
    node = dependent.assigned
    candidates = [node] if node is not None else sort_nodes(ws, dependent.allowed, None)
    for n in candidates:
        if n is None:
            continue
        for inst in clone.children:
            if inst.assigned is n:
                return inst
    return None


def _best_matching(ws: WorkingSet, rsc: Rsc, attr: str, value: str | None) -> int:
    best: int | None = None
    for node in ws.nodes:
        if node.name not in rsc.allowed or not node.available:
            continue
        if node.attrs.get(attr) != value:
            continue
        score = rsc.allowed[node.name]
        if best is None or score > best:
            best = score
    return -INFINITY if best is None else best


def _round_away(x: float) -> int:
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def merge_dependent_scores(ws: WorkingSet, dependent: Rsc, table: dict[str, int],
                           attr: str | None, factor: float, only_positive: bool,
                           log: list[tuple[str, int, str]] | None, primary_id: str,
                           rollback: bool = True, floored: set[str] | None = None
                           ) -> dict[str, int]:
    """The primary absorbs a dependent's preferences (and, recursively, the dependent's own
    dependents'), scaled by the colocation score; undone if it would leave no node (unless
    `rollback` is False: a promoted role's mandatory colocation keeps what it leaves).

    With `only_positive`, a node the primary preferred (score above 0) that the merge would
    make negative is floored: it ends at 1, whatever the rest of the merge (the dependent's own
    dependents) would add [case: promoted-move, group-dependents]; a node at 0 or below keeps
    its score [coll-small-s1-0081]."""
    if dependent.variant == Variant.GROUP:
        if not dependent.children:
            return table
        return merge_dependent_scores(ws, dependent.children[0], table, attr, factor,
                                      only_positive, log, primary_id, rollback, floored)
    if floored is None and only_positive:
        mine: set[str] = set()
        out = merge_dependent_scores(ws, dependent, table, attr, factor, only_positive, log,
                                     primary_id, rollback, mine)
        return {name: 1 if name in mine else value for name, value in out.items()}
    if dependent.merging:
        return table
    dependent.merging = True
    try:
        work = dict(table)
        attr_name = attr or "#uname"
        entries: list[tuple[str, int, str]] = []
        added: list[str] = []  # the nodes this level floors (forgotten if it rolls back)
        for node in ws.nodes:
            if node.name not in work:
                continue
            if dependent.variant == Variant.CLONE:
                score = _clone_best(ws, dependent, attr_name, node.attrs.get(attr_name))
            else:
                score = _best_matching(ws, dependent, attr_name, node.attrs.get(attr_name))
            if factor < 0 and score < 0:
                continue
            weighted = factor * score
            w = _round_away(weighted)
            if w == 0 and factor != 0 and score != 0:
                w = 1 if factor > 0 else -1
            if floored is not None and node.name in floored:
                continue
            old = work[node.name]
            new = add(old, w)
            if only_positive and new < 0:
                new = old
                if old > 0 and floored is not None:
                    floored.add(node.name)
                    added.append(node.name)
                    new = 1
            work[node.name] = new
            entries.append((node.name, w, dependent.id))
        if not _any_available(ws, work):
            if rollback and floored is not None:
                floored.difference_update(added)
            return table if rollback else work
        sign = -1 if factor < 0 else 1
        for edge in list(dependent.with_this):
            if not edge.influence:
                continue
            work = merge_dependent_scores(ws, edge.dependent, work, edge.node_attribute,
                                          sign * edge.score / INFINITY, only_positive, log,
                                          primary_id, floored=floored)
        if log is not None:
            log.extend(entries)
        return work
    finally:
        dependent.merging = False


def _clone_best(ws: WorkingSet, clone: Rsc, attr: str, value: str | None) -> int:
    return _best_matching(ws, clone, attr, value)


def _merge_with_this(ws: WorkingSet, rsc: Rsc, only_positive: bool = False) -> None:
    for edge in list(rsc.with_this):
        if not edge.influence and rsc.active():
            continue
        before = dict(rsc.allowed)
        log: list[tuple[str, int, str]] = []
        rsc.allowed = merge_dependent_scores(ws, edge.dependent, rsc.allowed,
                                             edge.node_attribute, edge.score / INFINITY,
                                             only_positive, log, rsc.id)
        if rsc.allowed != before:
            for name, delta, who in log:
                if delta:
                    rsc.sources.setdefault(name, []).append(ScoreSource(
                        "dependent", f"{who} prefers this node (colocation {edge.id})", delta))


def assign(ws: WorkingSet, rsc: Rsc, prefer: Node | None = None) -> Node | None:
    if rsc.variant == Variant.GROUP:
        return _assign_group(ws, rsc, prefer)
    if rsc.variant == Variant.CLONE:
        return _assign_clone(ws, rsc, prefer)
    return _assign_primitive(ws, rsc, prefer)


def _enter(ws: WorkingSet, rsc: Rsc, prefer: Node | None) -> bool:
    """Whether to assign `rsc` now: a child is assigned through its parent, a decided resource
    keeps its node, and one already being assigned (a colocation loop) is skipped."""
    if rsc.parent is not None and not rsc.parent.allocating:
        assign(ws, rsc.parent, prefer)
        return False
    if not rsc.provisional or rsc.allocating:
        return False
    rsc.allocating = True
    return True


def _assign_primitive(ws: WorkingSet, rsc: Rsc, prefer: Node | None) -> Node | None:
    if not _enter(ws, rsc, prefer):
        return rsc.assigned
    for edge in list(rsc.this_with):
        archive = None
        if (edge.dependent_role is not None and edge.dependent_role >= Role.PROMOTED) or (
                -INFINITY < edge.score < 0):
            archive = (dict(rsc.allowed), {k: list(v) for k, v in rsc.sources.items()})
        assign(ws, edge.primary, None)
        _apply_colocation(ws, rsc, edge.primary, edge)
        if archive is not None and not _any_available(ws, rsc.allowed):
            rsc.allowed, rsc.sources = archive
    _merge_with_this(ws, rsc)
    if rsc.next_role == Role.STOPPED:
        for node in ws.nodes:
            rsc.add_score(node.name, -INFINITY, "target-role", "target-role=Stopped")
    elif (rsc.next_role > rsc.role and not ws.options.have_quorum
          and ws.options.no_quorum_policy == "freeze"):
        rsc.next_role = rsc.role
    if ws.options.stonith_enabled and not ws.has_fencing_device:
        rsc.managed = False
    if not rsc.managed:
        rsc.next_role = rsc.role
        _assign_node(ws, rsc, current_node(rsc), True)
    elif ws.options.stop_all_resources:
        _assign_node(ws, rsc, None, True)
        rsc.next_role = Role.STOPPED
    elif rsc.provisional:
        _choose_node(ws, rsc, prefer)
    rsc.allocating = False
    return rsc.assigned


def _assign_group(ws: WorkingSet, rsc: Rsc, prefer: Node | None) -> Node | None:
    if not _enter(ws, rsc, prefer):
        return rsc.assigned
    if rsc.children:
        rsc.role = rsc.children[0].role
    first: Node | None = None
    first_done = False
    for child in rsc.children:
        node = _assign_primitive(ws, child, prefer)
        if not first_done:
            first = node
            first_done = True
    if rsc.children:
        rsc.next_role = rsc.children[0].next_role
    rsc.assigned = first
    rsc.provisional = False
    rsc.allocating = False
    return first


# --- clones ---------------------------------------------------------------------------------

def _instance_failed(inst: Rsc) -> bool:
    return any(p.failed for p in inst.primitives())


def instance_cmp(ws: WorkingSet, clone: Rsc, counts: dict[str, int]
                 ) -> Callable[[Rsc, Rsc], int]:
    """The order clone instances are assigned in (§8.2 step 3), as a comparison."""
    def cmp(a: Rsc, b: Rsc) -> int:
        ra, rb = a.instance_nodes(), b.instance_nodes()
        if ra and rb and len(ra) != len(rb):
            return -1 if len(ra) < len(rb) else 1
        na = ra[0] if ra else None
        nb = rb[0] if rb else None
        # inactive, or active where it is still allowed, before active where it no longer is
        can_a = na is None or _own_score(a, na) >= 0
        can_b = nb is None or _own_score(b, nb) >= 0
        # its own score there is what counts (the clone's locations are in it, and a
        # stickiness that makes up for a negative one keeps it an active instance); one on a
        # node that is no longer available is compared as an inactive one (crm_simulate: not
        # after the inactive ones)
        if na is not None and (not can_a or not na.available):
            na = None
        if nb is not None and (not can_b or not nb.available):
            nb = None
        if can_a != can_b:
            return -1 if can_a else 1
        if a.priority != b.priority:
            return -1 if a.priority > b.priority else 1
        if clone.promotable and (a.variant == Variant.PRIMITIVE
                                 or (na is None) == (nb is None)):
            # observed with crm_simulate: of two instances of a promotable clone, the one with
            # the higher promotion bonus (on its best node) goes first; instances that are
            # groups compare so only when both are active or both inactive (an active one goes
            # first otherwise)
            pa, pb = _promotion_bonus(ws, a), _promotion_bonus(ws, b)
            if pa != pb:
                return -1 if pa > pb else 1
        if na is None and nb is None:
            # then one still running on a node in standby, then one on a node that left the
            # cluster, then one not running (crm_simulate)
            sa, sb = _unavailable_rank(ra), _unavailable_rank(rb)
            if sa != sb:
                return -1 if sa > sb else 1
            return 0
        if na is None:
            return 1
        if nb is None:
            return -1
        if na.available != nb.available:
            return -1 if na.available else 1
        pa = na.name in clone.allowed
        pb = nb.name in clone.allowed
        if pa != pb:
            return -1 if pa else 1
        ca, cb = counts.get(na.name, 0), counts.get(nb.name, 0)
        if ca != cb:
            return -1 if ca < cb else 1
        fa, fb = _instance_failed(a), _instance_failed(b)
        if fa != fb:
            return -1 if not fa else 1
        wa = _colocated_weight(ws, clone, na)
        wb = _colocated_weight(ws, clone, nb)
        if wa != wb:
            return -1 if wa > wb else 1
        return 0

    return cmp


def _unavailable_rank(running: list[Node]) -> int:
    """2: active on a node in standby; 1: on a node that left the cluster; 0: otherwise."""
    if not running or running[0].available:
        return 0
    return 1 if _lost(running[0]) else 2


def _lost(node: Node) -> bool:
    return node.unclean or not node.online


def _promotion_bonus(ws: WorkingSet, inst: Rsc) -> int:
    """The highest bonus an instance's promotion score gives it on an available node where
    neither it is banned nor its clone scores below zero (only a positive one counts:
    crm_simulate sorts -INFINITY and unset alike)."""
    from vigil.scheduler.promotion import promotion_score

    clone = inst.parent
    return max((max(0, promotion_score(inst, n, 0, bounded=False)) for n in ws.nodes
                if n.available and inst.allowed.get(n.name, -INFINITY) > -INFINITY
                and (clone is None or clone.allowed.get(n.name, 0) >= 0)),
               default=0)


def _own_score(inst: Rsc, node: Node) -> int:
    """An instance's score on a node, leaving out the -INFINITY weight vigil gives a node that
    is not available (bookkeeping, not a score against the instance: crm_simulate shows its
    stickiness there)."""
    if node.available:
        return inst.allowed.get(node.name, -INFINITY)
    total = 0
    for source in inst.sources.get(node.name, []):
        if source.kind != "node-weight":
            total = add(total, source.value)
    return total


def _colocated_weight(ws: WorkingSet, clone: Rsc, node: Node) -> int:
    """What the clone's colocations alone make of a node (its locations and stickiness do not
    count): how two active instances compare on their current nodes (crm_simulate: an
    instance on a node with a location of INFINITY is not sorted first for that)."""
    table = {node.name: 0}
    for edge in clone.this_with:
        if edge.primary.provisional:
            continue
        table = merge_dependent_scores(ws, edge.primary, table, edge.node_attribute,
                                       edge.score / INFINITY, False, None, clone.id,
                                       rollback=False)
    for edge in clone.with_this:
        if edge.influence:
            table = merge_dependent_scores(ws, edge.dependent, table, edge.node_attribute,
                                           edge.score / INFINITY, False, None, clone.id)
    return table[node.name]


def _sort_instances(ws: WorkingSet, clone: Rsc, counts: dict[str, int]) -> None:
    # sorted() on a copy: the comparison looks at the clone's other instances, and a list
    # being sorted in place reads as empty meanwhile
    clone.children[:] = sorted(clone.children, key=cmp_to_key(instance_cmp(ws, clone, counts)))


def _can_run_instance(ws: WorkingSet, clone: Rsc, inst: Rsc, counts: dict[str, int],
                      limit: int) -> None:
    for node in ws.nodes:
        if node.name not in inst.allowed:
            continue
        ok = False
        if node.available and not inst.orphan:
            parent_score = clone.allowed.get(node.name)
            if parent_score is None:
                ok = False
            elif parent_score < 0:
                _node_score_recursive(inst, node, -INFINITY, "clone",
                                      f"{clone.id} scores {parent_score} there")
                continue
            elif counts.get(node.name, 0) < limit:
                ok = True
        if not ok:
            _node_score_recursive(inst, node, -INFINITY, "clone",
                                  f"{clone.id}: instance limit or node unavailable")


def _append_parent_colocations(clone: Rsc, inst: Rsc, all_coloc: bool) -> None:
    targets = inst.primitives()[:1] if inst.variant == Variant.GROUP else [inst]
    for target in targets:
        # ahead of the instance's own, in the clone's order; again at each attempt, so an
        # instance sent to its current node in vain and placed again counts them twice
        # (crm_simulate: its allocation scores show the clone's colocation doubled)
        target.this_with[0:0] = [edge for edge in clone.this_with
                                 if (all_coloc or edge.score < 0 or edge.score >= INFINITY)]
        for edge in clone.with_this:
            if not edge.influence:
                continue
            if all_coloc or edge.score < 0:
                holder = inst.children[-1] if inst.variant == Variant.GROUP and inst.children \
                    else inst
                holder.with_this.insert(0, edge)


def _unassign(inst: Rsc) -> None:
    for r in [inst, *inst.children]:
        if r.assigned is not None:
            r.assigned.assigned_count -= 1
            if r.variant == Variant.PRIMITIVE:
                utilization.release(r.assigned, r)
        r.assigned = None
        r.provisional = True
        r.next_role = Role.UNKNOWN if r.next_role == Role.STOPPED and not r.meta.get(
            "target-role") else r.next_role


def _assign_instance(ws: WorkingSet, clone: Rsc, inst: Rsc, prefer: Node | None, all_coloc: bool,
                     limit: int, counts: dict[str, int]) -> Node | None:
    if not inst.provisional:
        return inst.assigned
    if inst.allocating:
        return None
    _append_parent_colocations(clone, inst, all_coloc)
    if prefer is not None and inst.allowed.get(prefer.name, -INFINITY) < 0:
        return None
    _can_run_instance(ws, clone, inst, counts, limit)
    backup = (dict(inst.allowed), {k: list(v) for k, v in inst.sources.items()})
    child_backup = [(c, dict(c.allowed), {k: list(v) for k, v in c.sources.items()})
                    for c in inst.children]
    if inst.variant == Variant.GROUP:
        chosen = _assign_group(ws, inst, prefer)
    else:
        chosen = _assign_primitive(ws, inst, prefer)
    if chosen is not None and prefer is not None and chosen is not prefer \
            and inst.variant == Variant.GROUP:
        # a group instance sent to its current node that lands on another one keeps that node,
        # but is not counted there against clone-node-max, so a second instance may join it
        # there (crm_simulate: it counts against clone-max only)
        return chosen
    if chosen is not None and prefer is not None and chosen is not prefer:
        inst.allowed, inst.sources = backup
        for c, a, s in child_backup:
            c.allowed, c.sources = a, s
        _unassign(inst)
        for c in inst.children:
            _unassign(c)
        return None
    if chosen is not None:
        counts[chosen.name] = counts.get(chosen.name, 0) + 1
    return chosen


def _assign_clone(ws: WorkingSet, clone: Rsc, prefer: Node | None) -> Node | None:
    if not clone.provisional:
        return None
    if clone.allocating:
        return None
    if clone.promotable:
        from vigil.scheduler.promotion import add_promotion_scores

        add_promotion_scores(ws, clone)
    clone.allocating = True
    for edge in list(clone.this_with):
        assign(ws, edge.primary, None)
    for edge in list(clone.with_this):
        if not edge.influence:
            continue
        clone.allowed = merge_dependent_scores(ws, edge.dependent, clone.allowed,
                                               edge.node_attribute, edge.score / INFINITY,
                                               True, None, clone.id)
    counts: dict[str, int] = {}
    _sort_instances(ws, clone, counts)
    available = [n for n in ws.nodes if n.available]
    max_instances = clone.clone_max
    all_coloc = max_instances < len(available)
    loop_max = max(1, max_instances // len(available)) if available else 1
    assigned = 0
    for inst in clone.children:
        if assigned >= max_instances:
            break
        running = inst.instance_nodes()
        if not running or not inst.provisional or (
                inst.variant == Variant.PRIMITIVE and inst.failed):
            # a failed instance is not sent to its node first; a group instance with a failed
            # member is (crm_simulate: it stays where it is, recovered there)
            continue
        node = running[0]
        if not node.available or node.weight < 0:
            continue
        if node.name in clone.allowed and counts.get(node.name, 0) >= loop_max:
            continue
        if _assign_instance(ws, clone, inst, node, all_coloc, clone.clone_node_max, counts):
            assigned += 1
    for inst in clone.children:
        if not inst.provisional:
            continue
        if assigned >= max_instances:
            for node in ws.nodes:
                _node_score_recursive(inst, node, -INFINITY, "clone",
                                      f"clone-max={max_instances} instances already placed")
            _mark_unassigned(inst)
            continue
        if _assign_instance(ws, clone, inst, None, all_coloc, clone.clone_node_max, counts):
            assigned += 1
    clone.provisional = False
    clone.allocating = False
    if clone.promotable:
        from vigil.scheduler.promotion import set_instance_roles

        set_instance_roles(ws, clone)
    return None


def _mark_unassigned(inst: Rsc) -> None:
    for r in [inst, *inst.children]:
        r.provisional = False
        r.assigned = None
        if r.next_role == Role.UNKNOWN:
            r.next_role = Role.STOPPED


# --- the whole step -------------------------------------------------------------------------

def allocation_order(ws: WorkingSet) -> list[Rsc]:
    if ws.assignment_order is not None:
        return list(ws.assignment_order)
    normal = [r for r in ws.resources if not r.orphan]
    orphans = [r for r in ws.resources if r.orphan]
    normal.sort(key=lambda r: -r.priority)  # stable: configuration order among equals
    nodes = sort_nodes(ws, {n.name: n.weight for n in ws.nodes}, None)
    ws.assignment_order = utilization.assignment_order(ws, normal + orphans, nodes)
    return list(ws.assignment_order)


def place(ws: WorkingSet) -> None:
    initial_scores(ws)
    apply_locations(ws)
    for rsc, node, score in health.health_locations(ws):
        _apply_location_to(rsc, [(node, score)], "node health")
    apply_stickiness(ws)
    apply_failure_bans(ws)
    discovery.apply_exclusive_discovery(ws)
    tickets.apply_tickets(ws)
    unpack_colocations(ws)
    internal_colocations(ws)
    remote.internal_constraints(ws)
    bundle.internal_constraints(ws)
    expand_group_colocations(ws)
    # remote connections first: whether a remote node is up decides what may run there
    for rsc in allocation_order(ws):
        if rsc.remote_node is not None:
            bundle.place_connection(ws, rsc)
            assign(ws, rsc)
            remote.after_connection_assigned(ws, rsc)
    for rsc in allocation_order(ws):
        assign(ws, rsc)
    for rsc in ws.all_rscs():
        if rsc.next_role == Role.UNKNOWN:
            if rsc.assigned is None:
                rsc.next_role = Role.STOPPED
            elif rsc.clone_parent() is not None and rsc.clone_parent().promotable:  # type: ignore[union-attr]
                rsc.next_role = Role.UNPROMOTED
            else:
                rsc.next_role = Role.STARTED
