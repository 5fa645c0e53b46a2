"""Colocation and order constraints over resource sets (pcs's `constraint colocation set` and
`constraint order set`): `RSC... [options] [set RSC... [options]]... [setoptions ...]`.

A set's options: sequential, require-all, role, action (as Pacemaker's resource_set has them);
a colocation's setoptions: score (INFINITY by default), id; an order's: kind, symmetrical, id.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigil.commands import edit
from vigil.commands.constraint import (
    ACTIONS,
    KINDS,
    Pairs,
    check_resource,
    checked_role,
    explicit_id,
    role_problems,
    score_of,
)
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.constraints import Colocation, Constraint, Order, ResourceSet
from vigil.model.reports import Report, ReportError

SetSpec = tuple[Sequence[str], Pairs]
_SET_OPTIONS = {"sequential", "require-all", "role", "action"}


def _bool(name: str, value: str) -> bool:
    if value.lower() not in ("true", "false"):
        raise ReportError([reports.error("INVALID_OPTION_VALUE", option=name, value=value,
                                         expected="true or false")])
    return value.lower() == "true"


def _only(values: dict[str, str], allowed: set[str], where: str) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ReportError([reports.error("INVALID_OPTION", option=unknown[0], where=where,
                                         allowed=", ".join(sorted(allowed)))])


def _sets(cib: Cib, specs: Sequence[SetSpec], prefix: str, taken: set[str], force: bool
          ) -> tuple[tuple[ResourceSet, ...], list[Report]]:
    out: list[Report] = []
    built: list[ResourceSet] = []
    seen: set[str] = set()
    for names, options in specs:
        values = dict(options)
        _only(values, _SET_OPTIONS, "a resource set")
        role = checked_role(values.get("role"))
        action = values.get("action")
        if action is not None and action.lower() not in ACTIONS:
            raise ReportError([reports.error("INVALID_OPTION_VALUE", option="action",
                                             value=action, expected=", ".join(ACTIONS))])
        for name in names:
            if name in seen:
                raise ReportError([reports.error("RESOURCE_IN_TWO_SETS", resource=name)])
            seen.add(name)
            out += check_resource(cib, name, force) + role_problems(cib, name, role, force)
        set_id = edit.unique_id(taken, f"{prefix}_set_{'_'.join(names)}")
        taken.add(set_id)
        built.append(ResourceSet(
            id=set_id, resources=tuple(names),
            sequential=_bool("sequential", values["sequential"]) if "sequential" in values
            else True,
            require_all=_bool("require-all", values["require-all"]) if "require-all" in values
            else True,
            role=role, action=action.lower() if action else None))
    return tuple(built), out


def _constraint_id(cib: Cib, values: dict[str, str], taken: set[str], prefix: str,
                   specs: Sequence[SetSpec]) -> str:
    if "id" in values:
        return explicit_id(cib, values["id"], taken)
    wanted = f"{prefix}_set_{'_'.join(n for names, _ in specs for n in names)}"
    chosen = edit.unique_id(taken, wanted)
    taken.add(chosen)
    return chosen


def _append(cib: Cib, constraint: Constraint) -> Cib:
    return edit.with_config(cib, constraints=(*cib.configuration.constraints, constraint))


def colocation_set(env: CibEnvironment, specs: Sequence[SetSpec], options: Pairs, *,
                   force: bool = False) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        values = dict(options)
        _only(values, {"score", "id"}, "setoptions of a colocation set")
        score = score_of(values.get("score", "INFINITY"))
        taken = edit.used_ids(cib)
        cid = _constraint_id(cib, values, taken, "pcs_rsc_colocation", specs)
        sets, out = _sets(cib, specs, "pcs_rsc", taken, force)
        out.append(reports.info("CONSTRAINT_CREATED", id=cid))
        return _append(cib, Colocation(id=cid, rsc=None, with_rsc=None, score=score,
                                       sets=sets)), out

    return edit.apply(env, change)


def order_set(env: CibEnvironment, specs: Sequence[SetSpec], options: Pairs, *,
              force: bool = False) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        values = dict(options)
        _only(values, {"kind", "symmetrical", "id"}, "setoptions of an order set")
        kind = values.get("kind")
        if kind is not None:
            canonical = next((k for k in KINDS if k.lower() == kind.lower()), None)
            if canonical is None:
                raise ReportError([reports.error("INVALID_OPTION_VALUE", option="kind",
                                                 value=kind, expected=", ".join(KINDS))])
            kind = canonical
        symmetrical = (_bool("symmetrical", values["symmetrical"]) if "symmetrical" in values
                       else None)
        taken = edit.used_ids(cib)
        cid = _constraint_id(cib, values, taken, "pcs_rsc_order", specs)
        sets, out = _sets(cib, specs, "pcs_rsc", taken, force)
        out.append(reports.info("CONSTRAINT_CREATED", id=cid))
        return _append(cib, Order(id=cid, first=None, then=None, kind=kind,
                                  symmetrical=symmetrical, sets=sets)), out

    return edit.apply(env, change)
