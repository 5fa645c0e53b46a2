"""Constraints that name a tag or a template, rewritten to name the resources meant.

A tag means the resources it lists; a template means every primitive made from it (in document
order). Where a constraint names one in a resource set, the name is replaced in place by those
resources. Where it names one as its resource (rsc, with-rsc, first, then), the constraint
becomes a constraint between resource sets that says the same: the tag's resources in a set
whose members are independent of each other (sequential=false), the other side (if a plain
resource) in a set of its own, and the role or action of each side moving into its set.
Except one: a colocation naming a tag or template on both sides has no effect at all in
Pacemaker 2.1.5 (whatever the score; an order between two tags does apply, checked with
crm_simulate), so it is left out.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import replace

from vigil.model.constraints import (
    Colocation,
    Constraint,
    Location,
    ResourceSet,
    TicketConstraint,
    UnknownConstraint,
)

Expansions = Mapping[str, tuple[str, ...]]  # tag or template id -> resource ids


def expand_constraints(constraints: tuple[Constraint, ...], expansions: Expansions
                       ) -> tuple[Constraint, ...]:
    if not expansions:
        return constraints
    out: list[Constraint] = []
    for c in constraints:
        expanded = _expand(c, expansions)
        if expanded is not None:
            out.append(expanded)
    return tuple(out)


def _expand(c: Constraint, ex: Expansions) -> Constraint | None:
    if isinstance(c, UnknownConstraint):
        return c
    c = replace(c, sets=tuple(_expand_set(rs, ex) for rs in c.sets))
    if isinstance(c, Location):
        if c.rsc is not None and c.rsc in ex:
            return replace(c, rsc=None, sets=(_tag_set(f"{c.id}-rsc", ex[c.rsc], None, None),
                                              *c.sets))
        return c
    if isinstance(c, TicketConstraint):
        if c.rsc is not None and c.rsc in ex:
            return replace(c, rsc=None, rsc_role=None,
                           sets=(_tag_set(f"{c.id}-rsc", ex[c.rsc], c.rsc_role, None), *c.sets))
        return c
    if isinstance(c, Colocation):
        if c.rsc is None or c.with_rsc is None or (c.rsc not in ex and c.with_rsc not in ex):
            return c
        if colocates_two_references(c, ex):
            return None
        return replace(c, rsc=None, with_rsc=None, rsc_role=None, with_rsc_role=None, sets=(
            _side_set(f"{c.id}-rsc", c.rsc, ex, c.rsc_role, None),
            _side_set(f"{c.id}-with-rsc", c.with_rsc, ex, c.with_rsc_role, None)))
    if c.first is None or c.then is None or (c.first not in ex and c.then not in ex):
        return c
    return replace(c, first=None, then=None, first_action=None, then_action=None, sets=(
        _side_set(f"{c.id}-first", c.first, ex, None, c.first_action),
        _side_set(f"{c.id}-then", c.then, ex, None, c.then_action)))


def colocates_two_references(c: Colocation, references: Container[str]) -> bool:
    """Whether `c` names a tag or a template (an id in `references`) on both sides: Pacemaker
    ignores such a colocation whole."""
    return c.rsc in references and c.with_rsc in references


def _expand_set(rs: ResourceSet, ex: Expansions) -> ResourceSet:
    if not any(name in ex for name in rs.resources):
        return rs
    names: list[str] = []
    for name in rs.resources:
        names.extend(ex.get(name, (name,)))
    return replace(rs, resources=tuple(names))


def _tag_set(set_id: str, names: tuple[str, ...], role: str | None, action: str | None
             ) -> ResourceSet:
    return ResourceSet(id=set_id, resources=names, sequential=False, role=role, action=action)


def _side_set(set_id: str, name: str, ex: Expansions, role: str | None, action: str | None
              ) -> ResourceSet:
    """One side of a colocation or order: a tag's resources, or a plain resource alone."""
    if name in ex:
        return _tag_set(set_id, ex[name], role, action)
    return ResourceSet(id=set_id, resources=(name,), role=role, action=action)
