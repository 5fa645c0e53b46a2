"""Library commands on clones: clone a resource or group, make it promotable, unclone it.

A clone is written as Pacemaker 2.1 writes it: `<clone id="RSC-clone">` around the primitive or
group, its options in `RSC-clone-meta_attributes`; a promotable clone is a clone with the meta
attribute promotable=true (the `<master>` element of old configurations is read, never
written). The checks that make a promotable clone sensible live here, so that `resource create
... promotable`, `resource promotable`, `resource clone ... promotable=true` and `resource meta
CLONE promotable=true|promoted-max=N` all make the same ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.commands import agents as agent_lib
from vigil.commands import edit, options
from vigil.commands.agents import AgentCatalog, AgentMetadata
from vigil.commands.clone_shape import is_promotable as is_promotable  # see clone_shape
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import (
    Colocation,
    Constraint,
    Location,
    TicketConstraint,
    UnknownConstraint,
)
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone, Group, Primitive, Resource, walk

Pairs = tuple[tuple[str, str], ...]

# promoted-max and promoted-node-max, and the names they had before Pacemaker 2.0
PROMOTED_MAX = ("promoted-max", "master-max")
PROMOTED_NODE_MAX = ("promoted-node-max", "master-node-max")


@dataclass(frozen=True)
class CloneSpec:
    """`clone [CLONE_ID] [k=v...]` or `promotable [CLONE_ID] [k=v...]` as typed."""

    promotable: bool = False
    clone_id: str | None = None
    meta: Pairs = ()


def promotable_clone_of(cib: Cib, rsc_id: str) -> Clone | None:
    """The promotable clone `rsc_id` names or is inside, or None."""
    rsc = edit.find_resource(cib, rsc_id)
    if rsc is None:
        return None
    clone = rsc if isinstance(rsc, Clone) else edit.enclosing_clone(cib, rsc_id)
    return clone if clone is not None and is_promotable(clone) else None


def _agents(rsc: Primitive | Group) -> list[Primitive]:
    return [r for r in walk((rsc,)) if isinstance(r, Primitive)]


def _int(sets_value: str | None) -> int | None:
    if sets_value is None:
        return None
    try:
        return int(sets_value.strip())
    except ValueError:
        return None


def clone_problems(cib: Cib, clone: Clone, *, force: bool = False,
                   catalog: AgentCatalog | None = None) -> list[Report]:
    """What is wrong with `clone` as it would be written into `cib`: a promotable clone whose
    agents cannot promote, promoted-max or promoted-node-max out of range. Errors unless
    forced; the agents are checked only where the catalog knows them."""
    out: list[Report] = []
    if not is_promotable(clone):
        return out
    sets = clone.meta_attributes
    clone_max = _int(edit.plain_value(sets, "clone-max"))
    nodes = len(cib.configuration.nodes)
    limit = clone_max if clone_max is not None else nodes
    what = "clone-max" if clone_max is not None else "the number of nodes (clone-max's default)"
    for names in (PROMOTED_MAX, PROMOTED_NODE_MAX):
        for name in names:
            text = edit.plain_value(sets, name)
            if text is None:
                continue
            value = _int(text)
            if value is None:
                continue  # not an integer: the option check says so
            if value < 1:
                out.append(reports.unless_forced(force, "PROMOTED_MAX_TOO_LOW", option=name,
                                                 value=text, clone=clone.id))
            elif names is PROMOTED_MAX and limit > 0 and value > limit:
                out.append(reports.unless_forced(force, "PROMOTED_MAX_TOO_HIGH", option=name,
                                                 value=text, clone=clone.id, limit=limit,
                                                 what=what))
    if catalog is not None:
        for prim in _agents(clone.child):
            if prim.standard == "stonith":
                continue
            meta = agent_lib.metadata_of(catalog, prim)
            if meta is not None and not can_promote(meta):
                out.append(reports.unless_forced(force, "AGENT_NOT_PROMOTABLE",
                                                 resource=prim.id, agent=prim.agent))
    return out


def can_promote(meta: AgentMetadata) -> bool:
    """The agent's metadata lists both the promote and the demote action."""
    names = {a.name for a in meta.actions}
    return {"promote", "demote"} <= names


def meta_problems(pairs: Sequence[tuple[str, str]], force: bool) -> list[Report]:
    """Values of meta attributes Pacemaker interprets that it would not accept."""
    known = options.by_name(options.RESOURCE_META)
    out = []
    for name, value in pairs:
        spec = known.get(name)
        if spec is None and name in PROMOTED_MAX + PROMOTED_NODE_MAX:
            spec = known.get(PROMOTED_MAX[0])
        if spec is None or value == "":
            continue
        wanted = options.value_problem(spec, value)
        if wanted:
            out.append(reports.unless_forced(force, "INVALID_OPTION_VALUE", option=name,
                                             value=value, expected=wanted))
    return out


def wrap(cib: Cib, rsc: Primitive | Group, spec: CloneSpec, taken: set[str]) -> Clone:
    """`rsc` in a new clone (id checked and taken), with the spec's meta attributes."""
    clone_id = spec.clone_id or f"{rsc.id}-clone"
    problem = edit.id_problem(clone_id, "clone")
    if problem:
        raise ReportError([problem])
    if clone_id in taken:
        raise ReportError([reports.error("ID_ALREADY_EXISTS", id=clone_id)])
    taken.add(clone_id)
    pairs = [(k, v) for k, v in spec.meta if not (spec.promotable and k == "promotable")]
    if spec.promotable:
        pairs.insert(0, ("promotable", "true"))
    sets = edit.set_pairs((), pairs, taken=taken, set_id=f"{clone_id}-meta_attributes")
    return Clone(id=clone_id, child=rsc, meta_attributes=sets)


def _replace_top(cib: Cib, old_id: str, new: Resource) -> Cib:
    return edit.with_config(cib, resources=tuple(
        new if r.id == old_id else r for r in cib.configuration.resources))


def clone(env: CibEnvironment, resource_id: str, spec: CloneSpec, *, force: bool = False,
          catalog: AgentCatalog | None = None) -> Applied:
    """Clone a primitive or group that is not in a group or clone (`resource clone` and, with
    `spec.promotable`, `resource promotable`)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        rsc = edit.require_resource(cib, resource_id)
        if isinstance(rsc, Clone | Bundle):
            raise ReportError([reports.error("CLONE_OF_CLONE", resource=resource_id)])
        enclosing = edit.enclosing_clone(cib, resource_id)
        if enclosing is not None:
            raise ReportError([reports.error(
                "RESOURCE_ALREADY_CLONED", resource=resource_id, clone=enclosing.id,
                promotable="yes" if is_promotable(enclosing) else "")])
        parent = edit.parent_of(cib, resource_id)
        if isinstance(parent, Group):
            raise ReportError([reports.error("CANNOT_CLONE_GROUP_MEMBER", resource=resource_id,
                                             group=parent.id)])
        if isinstance(rsc, Primitive) and rsc.standard == "stonith":
            raise ReportError([reports.error("CANNOT_CLONE_STONITH", resource=resource_id)])
        out = meta_problems(spec.meta, force)
        new = wrap(cib, rsc, spec, edit.used_ids(cib))
        out += clone_problems(cib, new, force=force, catalog=catalog)
        edit.check(out)
        out.append(reports.info("CLONE_CREATED", clone=new.id, resource=resource_id,
                                promotable="yes" if is_promotable(new) else ""))
        # Pacemaker ignores a constraint that names a cloned resource rather than its clone
        moved, changed = _retarget(_replace_top(cib, resource_id, new), resource_id, new.id)
        out += [reports.info("CONSTRAINT_RETARGETED", id=c, old=resource_id, new=new.id)
                for c in changed]
        return moved, out

    return edit.apply(env, change)


def unclone(env: CibEnvironment, resource_id: str) -> Applied:
    """Take a primitive or group out of its clone (named by the clone's id or the cloned
    resource's); the clone goes, with the constraints that name it."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        rsc = edit.require_resource(cib, resource_id)
        target = rsc if isinstance(rsc, Clone) else edit.parent_of(cib, resource_id)
        if not isinstance(target, Clone):
            inside = edit.enclosing_clone(cib, resource_id)
            raise ReportError([reports.error("NOT_A_CLONE", resource=resource_id,
                                             clone=inside.id if inside else "")])
        new = _replace_top(cib, target.id, target.child)
        out: list[Report] = [reports.info("CLONE_REMOVED", clone=target.id,
                                          resource=target.child.id)]
        # the clone's constraints now name its resource; those of the promoted or unpromoted
        # role (or of promote and demote) would never apply to it, and go
        gone = [c for c in new.configuration.constraints
                if target.id in edit.constraint_resources(c) and _of_promotion(c)]
        out += [reports.info("CONSTRAINT_REMOVED", id=c.id) for c in gone]
        new = edit.without_constraints(new, {c.id for c in gone})
        new, changed = _retarget(new, target.id, target.child.id)
        out += [reports.info("CONSTRAINT_RETARGETED", id=c, old=target.id, new=target.child.id)
                for c in changed]
        return new, out

    return edit.apply(env, change)


_ROLES_OF_PROMOTION = ("Promoted", "Unpromoted", "Master", "Slave")


def _of_promotion(c: Constraint) -> bool:
    """The constraint names a role or action only a promotable clone has."""
    if isinstance(c, UnknownConstraint):
        return False
    if isinstance(c, Location):
        values = [c.role, *(r.role for r in c.rules)]
    elif isinstance(c, TicketConstraint):
        values = [c.rsc_role]
    elif isinstance(c, Colocation):
        values = [c.rsc_role, c.with_rsc_role]
    else:
        values = [(c.first_action or "").capitalize(), (c.then_action or "").capitalize()]
    values += [s.role for s in c.sets] + [(s.action or "").capitalize() for s in c.sets]
    return any(v in _ROLES_OF_PROMOTION or v in ("Promote", "Demote") for v in values)


def _retarget(cib: Cib, old: str, new: str) -> tuple[Cib, list[str]]:
    """The constraints naming resource `old` name `new` instead; the ids of those changed."""

    def swap(value: str | None) -> str | None:
        return new if value == old else value

    out: list[Constraint] = []
    changed: list[str] = []
    for c in cib.configuration.constraints:
        if isinstance(c, UnknownConstraint) or old not in edit.constraint_resources(c):
            out.append(c)
            continue
        sets = tuple(dataclasses.replace(s, resources=tuple(new if r == old else r
                                                            for r in s.resources))
                     for s in c.sets)
        moved: Constraint
        if isinstance(c, Location | TicketConstraint):
            moved = dataclasses.replace(c, rsc=swap(c.rsc), sets=sets)
        elif isinstance(c, Colocation):
            moved = dataclasses.replace(c, rsc=swap(c.rsc), with_rsc=swap(c.with_rsc), sets=sets)
        else:
            moved = dataclasses.replace(c, first=swap(c.first), then=swap(c.then), sets=sets)
        out.append(moved)
        changed.append(c.id)
    return edit.with_config(cib, constraints=tuple(out)), changed


def with_clone_meta(cib: Cib, clone_rsc: Clone, pairs: Pairs) -> Clone:
    """The clone with meta attributes set (empty values removed)."""
    taken = edit.used_ids(cib)
    return dataclasses.replace(clone_rsc, meta_attributes=edit.set_pairs(
        clone_rsc.meta_attributes, pairs, taken=taken, set_id=f"{clone_rsc.id}-meta_attributes"))
