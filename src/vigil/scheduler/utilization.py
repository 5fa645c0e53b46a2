"""Utilization and placement-strategy: node capacity, what resources need, and capacity bans.

A node offers capacity through its `<utilization>` nvset, a primitive asks for some through its
own. With `placement-strategy=default` none of it matters. With `utilization`, `minimal` or
`balanced`, a node whose *remaining* capacity cannot hold a resource is banned for it before it
is placed. The remaining capacity starts at the configured values and shrinks only by what this
run assigns: what already runs somewhere does not count until it is placed again.

Where a resource has INFINITY colocations, the check is made for the resource together with every
resource that must land with it and is not placed yet, so that the first of a colocated chain
does not take a node where the rest cannot follow. If no node can hold them all, only nodes that
cannot hold the resource alone are banned, and the node with the most free capacity becomes the
resource's preferred node.
"""

from __future__ import annotations

import re

from vigil.model.score import INFINITY, add
from vigil.scheduler.working import ColocationEdge, Node, Rsc, Variant, WorkingSet

_LEADING_INT = re.compile(r"\s*([+-]?\d+)")
_INT_MAX = 2**31 - 1


def parse_value(text: str | None) -> int:
    """A utilization value: a leading integer (trailing text is ignored), else 0.

    Unlike a score, "INFINITY" means nothing here: it is not a number, so it counts as 0."""
    if text is None:
        return 0
    m = _LEADING_INT.match(text)
    if m is None:
        return 0
    return max(-_INT_MAX - 1, min(_INT_MAX, int(m.group(1))))


def parse_values(values: dict[str, str]) -> dict[str, int]:
    return {name: parse_value(value) for name, value in values.items()}


def enabled(ws: WorkingSet) -> bool:
    """Whether capacity is considered at all (every strategy but `default`)."""
    return ws.options.placement_strategy != "default"


# --- capacity bookkeeping ---------------------------------------------------------------------

def consume(node: Node, rsc: Rsc) -> None:
    """`rsc` was assigned to `node` in this run: its needs leave the node's remaining capacity.
    A need the node does not offer leaves it at 0 there, not below (crm_simulate -U)."""
    for name, need in rsc.utilization.items():
        left = node.capacity_left.get(name)
        node.capacity_left[name] = 0 if left is None else left - need


def release(node: Node, rsc: Rsc) -> None:
    """An assignment undone (a clone instance tried on its current node in vain)."""
    for name, need in rsc.utilization.items():
        node.capacity_left[name] = node.capacity_left.get(name, 0) + need


def has_room(node: Node, needs: dict[str, int]) -> bool:
    """Whether the node's remaining capacity covers every need; a capacity the node does not
    offer is 0."""
    return all(need <= node.capacity_left.get(name, 0) for name, need in needs.items())


def compare_free(a: Node, b: Node) -> int:
    """Which node has more free capacity: each utilization attribute (of either node, missing
    counting as 0) votes for the node with more of it left. Negative when `a` has more."""
    votes = 0
    for name in {*a.capacity_left, *b.capacity_left}:
        left_a, left_b = a.capacity_left.get(name, 0), b.capacity_left.get(name, 0)
        if left_a > left_b:
            votes -= 1
        elif left_a < left_b:
            votes += 1
    return votes


# --- resources that must land together --------------------------------------------------------

def _own_this_with(rsc: Rsc) -> list[ColocationEdge]:
    """The colocations where `rsc` itself is the dependent. A group's own colocations are
    carried by its first member's list (placement moves them there); they are the group's."""
    if rsc.variant == Variant.GROUP:
        holder = rsc.children[0].this_with if rsc.children else []
        return [e for e in holder if e.dependent is rsc]
    return [e for e in rsc.this_with
            if e.dependent is rsc or e.dependent.variant != Variant.GROUP]


def _own_with_this(rsc: Rsc) -> list[ColocationEdge]:
    """The colocations where `rsc` itself is the primary (a group's live on its last member)."""
    if rsc.variant == Variant.GROUP:
        holder = rsc.children[-1].with_this if rsc.children else []
        return [e for e in holder if e.primary is rsc]
    return [e for e in rsc.with_this
            if e.primary is rsc or e.primary.variant != Variant.GROUP]


def _affects_location(edge: ColocationEdge, dependent: Rsc, primary: Rsc) -> bool:
    """Whether a mandatory colocation would place the dependent, judged before either is
    placed: a role it names must be the role the resource is heading for."""
    if edge.score < INFINITY:
        return False
    clone = dependent.parent
    if (edge.dependent_role is not None and clone is not None and clone.promotable
            and not dependent.provisional):
        return False  # a placed instance's role colocation only ranks it for promotion
    if edge.dependent_role is not None and edge.dependent_role != dependent.next_role:
        return False
    return edge.primary_role is None or edge.primary_role == primary.next_role


def colocated_with(rsc: Rsc) -> list[Rsc]:
    """`rsc` and every resource tied to it by INFINITY colocations, either way, transitively.

    A clone's dependents are not followed unless they are clones too: a plain resource
    colocated with a clone lands with one instance, not with whichever instance is placed now."""
    chain: list[Rsc] = []

    def visit(current: Rsc) -> None:
        if any(r is current for r in chain):
            return
        chain.append(current)
        for edge in _own_this_with(current):
            if edge.primary is not rsc and _affects_location(edge, current, edge.primary):
                visit(edge.primary)
        for edge in _own_with_this(current):
            if edge.dependent is rsc:
                continue
            if current.variant == Variant.CLONE and edge.dependent.variant != Variant.CLONE:
                continue
            if _affects_location(edge, edge.dependent, current):
                visit(edge.dependent)

    visit(rsc)
    return chain


def unplaced_needs(chain: list[Rsc]) -> dict[str, int]:
    """What the resources of a chain not placed yet need in all: a primitive its own, a group
    its unplaced members (each one once), a clone one instance (unless an instance is in the
    chain itself)."""
    total: dict[str, int] = {}

    def take(prim: Rsc) -> None:
        for name, need in prim.utilization.items():
            total[name] = total.get(name, 0) + need

    def in_chain(r: Rsc) -> bool:
        return any(c is r for c in chain)

    def take_group(group: Rsc) -> None:
        for member in group.children:
            if member.provisional and not in_chain(member):
                take(member)

    for rsc in chain:
        if not rsc.provisional:
            continue
        if rsc.variant == Variant.PRIMITIVE:
            take(rsc)
        elif rsc.variant == Variant.GROUP:
            take_group(rsc)
        elif rsc.children and not any(in_chain(i) or any(in_chain(m) for m in i.children)
                                      for i in rsc.children):
            first = rsc.children[0]
            if first.variant == Variant.GROUP:
                take_group(first)
            else:
                take(first)
    return total


# --- the ban ----------------------------------------------------------------------------------

def ban_insufficient_capacity(ws: WorkingSet, rsc: Rsc) -> Node | None:
    """Ban `rsc` from the nodes that cannot hold it (with what must follow it, if some node
    can hold all that). Returns the node with the most free capacity when none can hold the
    lot: the resource's preferred node then. Only nodes it may run on are looked at."""
    if not enabled(ws):
        return None
    candidates = [n for n in ws.nodes if n.name in rsc.allowed and n.available
                  and rsc.allowed[n.name] >= 0]
    all_needs = unplaced_needs(colocated_with(rsc))
    most_free: Node | None = None
    for node in candidates:
        if most_free is None or compare_free(node, most_free) < 0:
            most_free = node
    capable = any(has_room(n, all_needs) for n in candidates)
    if capable:
        needs, why = all_needs, f"not enough capacity for {rsc.id} and its colocated resources"
    else:
        needs, why = rsc.utilization, f"not enough capacity for {rsc.id}"
    for node in candidates:
        if not has_room(node, needs):
            rsc.add_score(node.name, -INFINITY, "utilization", why)
    return None if capable else most_free


# --- the order resources are assigned in ------------------------------------------------------

def _best_available(ws: WorkingSet, rsc: Rsc, attr: str, value: str | None) -> int:
    """The resource's best score on an available node sharing the attribute's value."""
    scores = [rsc.allowed[n.name] for n in ws.nodes
              if n.available and n.name in rsc.allowed and n.attrs.get(attr) == value]
    return max(scores, default=-INFINITY)


def _own_scores(ws: WorkingSet, rsc: Rsc) -> dict[str, int]:
    """The resource's node scores, where a node that is offline or shutting down keeps what
    the constraints gave it: vigil starts such a node at -INFINITY, Pacemaker weighs it only
    when placing, and the order of assignment compares these scores [random CIBs: a resource
    with a location of 10 on an offline node goes before one without]."""
    table = dict(rsc.allowed)
    for node in ws.nodes:
        if node.name in table and node.weight <= -INFINITY:
            total = 0
            for source in rsc.sources.get(node.name, []):
                if source.kind != "node-weight":
                    total = add(total, source.value)
            table[node.name] = total
    return table


def _can_run_any(ws: WorkingSet, table: dict[str, int]) -> bool:
    return any(n.available and table.get(n.name, -INFINITY) >= 0 for n in ws.nodes
               if n.name in table)


def _with_primaries(ws: WorkingSet, rsc: Rsc, table: dict[str, int] | None, attr: str | None,
                    factor: float, busy: list[Rsc]) -> dict[str, int]:
    """`table` with `rsc`'s scores added at `factor` (or, with no table, `rsc`'s own scores),
    then, recursively, the scores of what `rsc` is colocated with. A group counts as its last
    member, whose chain of internal colocations reaches the others. A primary's share that
    would leave no node is left out; the factors are not multiplied down the chain."""
    if any(r is rsc for r in busy):
        return table if table is not None else {}
    busy.append(rsc)
    try:
        if rsc.variant == Variant.GROUP and rsc.children:
            work = _with_primaries(ws, rsc.children[-1], table, attr, factor, busy)
        elif table is None:
            work = _own_scores(ws, rsc)
        else:
            work = dict(table)
            name = attr or "#uname"
            for node in ws.nodes:
                if node.name not in work:
                    continue
                score = _best_available(ws, rsc, name, node.attrs.get(name))
                if factor < 0 and score < 0:
                    continue
                weighted = factor * score
                w = int(weighted + 0.5) if weighted >= 0 else -int(-weighted + 0.5)
                if w == 0 and score != 0:
                    w = 1 if factor > 0 else -1
                work[node.name] = add(work[node.name], w)
        if not _can_run_any(ws, work):
            return table if table is not None else work
        sign = -1 if factor < 0 else 1
        for edge in _own_this_with(rsc):
            work = _with_primaries(ws, edge.primary, work, edge.node_attribute,
                                   sign * edge.score / INFINITY, busy)
        return work
    finally:
        busy.pop()


def assignment_order(ws: WorkingSet, resources: list[Rsc], nodes: list[Node]) -> list[Rsc]:
    """Under a strategy other than `default`, the order resources are assigned in: higher
    priority first; then the higher score (with what it is colocated with) on the node it runs
    on now, so that a running resource keeps its capacity before others shuffle it away; then
    the first difference of scores along `nodes` (the nodes in preference order); then the
    given order."""
    if not enabled(ws):
        return resources

    def key(rsc: Rsc) -> tuple[int, ...]:
        table = _with_primaries(ws, rsc, None, None, 1.0, [])
        running = rsc.instance_nodes() if rsc.variant != Variant.PRIMITIVE else rsc.running_on
        current = table.get(running[0].name, -INFINITY) if running else -INFINITY
        return (-rsc.priority, -current,
                *(-table.get(n.name, -INFINITY) for n in nodes))

    return sorted(resources, key=key)
