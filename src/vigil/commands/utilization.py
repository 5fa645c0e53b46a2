"""Utilization: what a primitive uses and what a node offers (pcs's `resource utilization` and
`node utilization`), which the scheduler weighs when placement-strategy is not `default`.

Values are integers, as Pacemaker reads them (a non-integer counts as 0 there, so it is refused
here); an empty value removes the name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.commands.resource import replace_resource, with_resources
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.nvset import NvSet
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Primitive, walk

Pairs = Sequence[tuple[str, str]]
Listing = tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


def _check(pairs: Pairs) -> None:
    for name, value in pairs:
        problem = edit.id_problem(name, "utilization attribute name")
        if problem:
            raise ReportError([problem])
        body = value[1:] if value[:1] in "+-" else value
        if value and not body.isdigit():
            raise ReportError([reports.error("INVALID_UTILIZATION", name=name, value=value)])


def _pairs(sets: tuple[NvSet, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, p.value or "") for s in sets if s.rule is None for p in s.pairs)


def set_resource(env: CibEnvironment, resource_id: str, pairs: Pairs) -> Applied:
    """Set (or with an empty value remove) a primitive's utilization attributes."""
    _check(pairs)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        rsc = edit.require_resource(cib, resource_id)
        if not isinstance(rsc, Primitive):
            raise ReportError([reports.error("UTILIZATION_NEEDS_PRIMITIVE", resource=resource_id)])
        sets = edit.set_pairs(rsc.utilization, pairs, set_id=f"{rsc.id}-utilization",
                              taken=edit.used_ids(cib))
        new = dataclasses.replace(rsc, utilization=sets)
        return with_resources(cib, replace_resource(cib.configuration.resources, new)), []

    return edit.apply(env, change)


def set_node(env: CibEnvironment, node: str, pairs: Pairs) -> Applied:
    """Set (or with an empty value remove) what a node offers."""
    _check(pairs)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        target = edit.require_node(cib, node)
        sets = edit.set_pairs(target.utilization, pairs, set_id=f"nodes-{target.id}-utilization",
                              taken=edit.used_ids(cib))
        nodes = tuple(dataclasses.replace(n, utilization=sets) if n.id == target.id else n
                      for n in cib.configuration.nodes)
        return edit.with_config(cib, nodes=nodes), []

    return edit.apply(env, change)


def of_resources(env: CibEnvironment, resource_id: str | None = None) -> Listing:
    """Each primitive (or the one given) with utilization, as (name, value) pairs."""
    cib = env.get_cib()
    if resource_id is not None:
        rsc = edit.require_resource(cib, resource_id)
        prims = [p for p in walk((rsc,)) if isinstance(p, Primitive)]
    else:
        prims = list(edit.primitives(cib))
    return tuple((p.id, _pairs(p.utilization)) for p in prims
                 if resource_id is not None or _pairs(p.utilization))


def of_nodes(env: CibEnvironment, node: str | None = None) -> Listing:
    """Each node (or the one given) with what it offers, as (name, value) pairs."""
    cib = env.get_cib()
    nodes = [edit.require_node(cib, node)] if node else list(cib.configuration.nodes)
    return tuple((n.uname, _pairs(n.utilization)) for n in nodes
                 if node is not None or _pairs(n.utilization))
