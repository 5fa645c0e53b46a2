"""Primitives made from a <template>: what such a primitive means once the template is applied.

A primitive naming a template takes the template's class, provider and type, its instance, meta
and utilization attribute sets and its operations; what the primitive sets itself wins:
- its attribute sets come before the template's, so among sets of equal score its values win;
- an operation of the template is dropped when the primitive has one of the same name for the
  same role (Started, Unpromoted and no role count as one), whatever its interval: a primitive
  that configures its own monitor replaces the template's monitors (checked with crm_simulate).
"""

from __future__ import annotations

from dataclasses import replace

from vigil.model.bundles import Bundle
from vigil.model.resources import Group, Operation, Primitive, Resource, Template

_PLAIN_ROLES = frozenset({"", "started", "unpromoted", "slave"})


def _op_key(op: Operation) -> tuple[str, str]:
    role = (op.role or "").strip().lower()
    return op.name, "" if role in _PLAIN_ROLES else role


def derive(prim: Primitive, template: Template) -> Primitive:
    """`prim` with `template` applied (`prim.template` is kept, for the record)."""
    own_ops = {_op_key(op) for op in prim.operations}
    return replace(
        prim,
        standard=prim.standard or template.standard,
        agent_type=prim.agent_type or template.agent_type,
        provider=prim.provider if prim.provider is not None else template.provider,
        instance_attributes=prim.instance_attributes + template.instance_attributes,
        meta_attributes=prim.meta_attributes + template.meta_attributes,
        utilization=prim.utilization + template.utilization,
        operations=prim.operations + tuple(
            op for op in template.operations if _op_key(op) not in own_ops),
    )


def apply_templates(resources: tuple[Resource, ...], templates: tuple[Template, ...]
                    ) -> tuple[Resource, ...]:
    """Every resource with each templated primitive (also in groups and clones) derived from
    its template. A primitive naming an unknown template is left as it is."""
    if not templates:
        return resources
    by_id = {t.id: t for t in templates}

    def prim_of(prim: Primitive) -> Primitive:
        template = by_id.get(prim.template) if prim.template is not None else None
        return prim if template is None else derive(prim, template)

    def group_of(group: Group) -> Group:
        return replace(group, members=tuple(prim_of(m) for m in group.members))

    out: list[Resource] = []
    for rsc in resources:
        if isinstance(rsc, Primitive):
            out.append(prim_of(rsc))
        elif isinstance(rsc, Group):
            out.append(group_of(rsc))
        elif isinstance(rsc, Bundle):
            out.append(rsc if rsc.primitive is None
                       else replace(rsc, primitive=prim_of(rsc.primitive)))
        else:
            child = rsc.child
            out.append(replace(rsc, child=prim_of(child) if isinstance(child, Primitive)
                               else group_of(child)))
    return tuple(out)


def template_members(resources: tuple[Resource, ...]) -> dict[str, tuple[str, ...]]:
    """Template id -> the ids of the primitives made from it, in document order."""
    out: dict[str, list[str]] = {}
    for rsc in resources:
        prims: tuple[Primitive, ...]
        if isinstance(rsc, Primitive):
            prims = (rsc,)
        elif isinstance(rsc, Group):
            prims = rsc.members
        elif isinstance(rsc, Bundle):
            prims = (rsc.primitive,) if rsc.primitive is not None else ()
        elif isinstance(rsc.child, Primitive):
            prims = (rsc.child,)
        else:
            prims = rsc.child.members
        for prim in prims:
            if prim.template is not None:
                out.setdefault(prim.template, []).append(prim.id)
    return {k: tuple(v) for k, v in out.items()}
