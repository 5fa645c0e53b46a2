"""`vigil resource relations RSC` (pcs's): the resources a resource is tied to, as a tree:
ordering constraints (each way, sets included) and the hierarchy (the group, clone or bundle it
is in; the members of one it is). Each resource appears once: a resource reached again is a
leaf marked as such, so a cycle of orders ends."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.commands import edit
from vigil.commands.env import CibEnvironment
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import Order
from vigil.model.reports import ReportError
from vigil.model.resources import Clone, Group, Resource, children, walk


@dataclass(frozen=True)
class Relation:
    kind: str  # order, order-set, outer (the container it is in), inner (its members)
    detail: str  # "start A then start B" for an order; the container's kind otherwise
    constraint: str | None  # the constraint's id (orders)
    to: RelationNode


@dataclass(frozen=True)
class RelationNode:
    resource: str
    kind: str  # primitive, group, clone, bundle
    seen_above: bool  # reached again: its relations are shown where it first appears
    relations: tuple[Relation, ...]


def _kind(rsc: Resource) -> str:
    return {Group: "group", Clone: "clone", Bundle: "bundle"}.get(type(rsc), "primitive")


def _orders(cib: Cib, rid: str) -> list[tuple[str, str, str, str]]:
    """(kind, detail, constraint id, other resource) of every order naming `rid`."""
    out = []
    for c in cib.configuration.constraints:
        if not isinstance(c, Order):
            continue
        if not c.sets:
            if rid in (c.first, c.then) and c.first and c.then:
                other = c.then if c.first == rid else c.first
                detail = (f"{c.first_action or 'start'} {c.first} then "
                          f"{c.then_action or c.first_action or 'start'} {c.then}"
                          + (f" (kind {c.kind})" if c.kind else ""))
                out.append(("order", detail, c.id, other))
            continue
        members = [r for s in c.sets for r in s.resources]
        if rid in members:
            for other in members:
                if other != rid:
                    out.append(("order-set", " then ".join(
                        "(" + " ".join(s.resources) + ")" for s in c.sets), c.id, other))
    return out


def relations(env: CibEnvironment, rid: str) -> RelationNode:
    cib = env.get_cib()
    everything = walk(cib.configuration.resources)
    by_id = {r.id: r for r in everything}
    if rid not in by_id:
        raise ReportError([edit.not_found(cib, rid)])
    parent = {c.id: r.id for r in everything for c in children(r)}
    seen: set[str] = set()
    drawn: set[tuple[str, frozenset[str]]] = set()  # each tie once: not back the way it came

    def new(tie: str, a: str, b: str) -> bool:
        key = (tie, frozenset((a, b)))
        if key in drawn:
            return False
        drawn.add(key)
        return True

    def node(current: str) -> RelationNode:
        rsc = by_id[current]
        if current in seen:
            return RelationNode(current, _kind(rsc), True, ())
        seen.add(current)
        found: list[Relation] = []
        up = parent.get(current)
        if up is not None and new("hierarchy", up, current):
            found.append(Relation("outer", _kind(by_id[up]), None, node(up)))
        for child in children(rsc):
            if new("hierarchy", current, child.id):
                found.append(Relation("inner", _kind(child), None, node(child.id)))
        for kind, detail, cid, other in _orders(cib, current):
            if other in by_id and new(cid, current, other):
                found.append(Relation(kind, detail, cid, node(other)))
        return RelationNode(current, _kind(rsc), False, tuple(found))

    return node(rid)


def tree_lines(root: RelationNode) -> list[str]:
    """The tree as pcs draws it: each relation a branch, what it leads to below it."""
    lines = [root.resource]

    def draw(n: RelationNode, prefix: str) -> None:
        for k, rel in enumerate(n.relations):
            last = k == len(n.relations) - 1
            lines.append(f"{prefix}{'`- ' if last else '|- '}{rel.kind}")
            inner = prefix + ("   " if last else "|  ")
            if rel.constraint:
                lines.append(f"{inner}|  {rel.detail} ({rel.constraint})")
            else:
                lines.append(f"{inner}|  {rel.detail}")
            mark = " (shown above)" if rel.to.seen_above else ""
            lines.append(f"{inner}`- {rel.to.resource}{mark}")
            draw(rel.to, inner + "   ")

    draw(root, "")
    return lines
