"""Library commands on constraints: location, colocation and order constraints, removal.

Generated ids follow pcs: `location-RSC-NODE-SCORE`, `colocation-SRC-TGT-SCORE`,
`order-FIRST-THEN-KIND` (kind in lower case), with `-1`, `-2`... appended when taken.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from vigil.commands import clone as clone_lib
from vigil.commands import edit, options
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.constraints import Colocation, Constraint, Location, Order
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone
from vigil.model.score import format_score, is_valid_score, parse_score

Pairs = tuple[tuple[str, str], ...]

ROLES = ("Started", "Stopped", "Promoted", "Unpromoted", "Master", "Slave")
PROMOTABLE_ROLES = ("Promoted", "Unpromoted")
PROMOTABLE_ACTIONS = ("promote", "demote")
ACTIONS = ("start", "stop", "promote", "demote")
KINDS = ("Mandatory", "Optional", "Serialize")


def parse_role(text: str) -> str | None:
    """The role a word names (any case), as Pacemaker 2.1 writes it (the legacy Master and
    Slave are Promoted and Unpromoted), or None."""
    return options.canonical_role(text)


def checked_role(text: str | None) -> str | None:
    """The role a typed word names (None for None); raises INVALID_OPTION_VALUE."""
    if text is None:
        return None
    role = parse_role(text)
    if role is None:
        raise ReportError([reports.error("INVALID_OPTION_VALUE", option="role", value=text,
                                         expected="Promoted, Unpromoted, Started or Stopped")])
    return role


def role_problems(cib: Cib, rsc_id: str, role: str | None, force: bool) -> list[Report]:
    """A Promoted or Unpromoted role on a resource that is not a promotable clone (nor in
    one) never matches: the constraint would do nothing."""
    if role in PROMOTABLE_ROLES and clone_lib.promotable_clone_of(cib, rsc_id) is None:
        return [reports.unless_forced(force, "ROLE_NEEDS_PROMOTABLE", resource=rsc_id,
                                      role=role)]
    return []


def score_of(text: str) -> int:
    """A score as typed; raises INVALID_SCORE."""
    if not is_valid_score(text):
        raise ReportError([reports.error("INVALID_SCORE", score=text)])
    return parse_score(text)


def _append(cib: Cib, constraint: Constraint) -> Cib:
    return edit.with_config(cib, constraints=(*cib.configuration.constraints, constraint))


def check_resource(cib: Cib, rsc_id: str, force: bool) -> list[Report]:
    """The resource (or a tag: every tagged resource) must exist; a constraint on a cloned
    resource should name its clone."""
    if any(t.id == rsc_id for t in cib.configuration.tags):
        return []
    edit.require_resource(cib, rsc_id)
    clone = edit.enclosing_clone(cib, rsc_id)
    if clone is not None:
        return [reports.unless_forced(force, "CONSTRAINT_ON_CLONED_RESOURCE", resource=rsc_id,
                                      clone=clone.id)]
    return []


def _check_node(cib: Cib, node: str, force: bool) -> list[Report]:
    problem = edit.unknown_placement_node(cib, node, force=force)
    return [] if problem is None else [problem]


def explicit_id(cib: Cib, wanted: str, taken: set[str]) -> str:
    problem = edit.id_problem(wanted, "constraint")
    if problem:
        raise ReportError([problem])
    if wanted in taken:
        raise ReportError([reports.error("ID_ALREADY_EXISTS", id=wanted)])
    taken.add(wanted)
    return wanted


# -- location ----------------------------------------------------------------------------------
def location_prefers(env: CibEnvironment, resource: str, nodes: Sequence[tuple[str, str]], *,
                     avoids: bool = False, force: bool = False) -> Applied:
    """`location RSC prefers|avoids NODE[=SCORE]...`: one constraint per node, score
    INFINITY by default (negated for avoids). A plain location constraint of the same
    resource and node is replaced."""

    kind, _, name = resource.partition("%") if "%" in resource else ("resource", "", resource)
    if kind not in ("resource", "regexp"):
        raise ReportError([reports.error("LOCATION_TARGET_KIND", given=resource)])
    pattern = name if kind == "regexp" else None
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ReportError([reports.error("INVALID_REGEXP", pattern=pattern,
                                             detail=str(exc))]) from None

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        # pcs: regexp%PATTERN names every resource whose id matches (rsc-pattern)
        out = [] if pattern is not None else check_resource(cib, name, force)
        new = cib
        for node, text in nodes:
            score = score_of(text or "INFINITY")
            if avoids:
                score = -score
            out += _check_node(cib, node, force)
            label = f"pattern-{edit.valid_id(pattern)}" if pattern is not None else name
            new = _put_location(new, f"location-{label}-{node}-{format_score(score)}", None,
                                name, node, score, out, pattern=pattern is not None)
        return new, out

    return edit.apply(env, change)


def location_add(env: CibEnvironment, constraint_id: str, resource: str, node: str,
                 score: str, *, options: Pairs = (), force: bool = False) -> Applied:
    """`location add ID RSC NODE SCORE [resource-discovery=...]`."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out = check_resource(cib, resource, force) + _check_node(cib, node, force)
        discovery = None
        for key, value in options:
            if key != "resource-discovery":
                raise ReportError([reports.error("INVALID_OPTION", option=key,
                                                 where="a location constraint",
                                                 allowed="resource-discovery")])
            if value not in ("always", "never", "exclusive"):
                raise ReportError([reports.error("INVALID_OPTION_VALUE", option=key,
                                                 value=value,
                                                 expected="always, never or exclusive")])
            discovery = value
        new = _put_location(cib, None, constraint_id, resource, node, score_of(score), out,
                            discovery=discovery)
        return new, out

    return edit.apply(env, change)


def _put_location(cib: Cib, generated: str | None, explicit: str | None, resource: str,
                  node: str, score: int, out: list[Report], *,
                  discovery: str | None = None, pattern: bool = False) -> Cib:
    """Add a plain location constraint, replacing one with the same id or the same resource
    (or pattern) and node (as pcs does)."""
    def same(c: Location) -> bool:
        return (c.rsc_pattern if pattern else c.rsc) == resource

    replaced = [c for c in cib.configuration.constraints if isinstance(c, Location)
                and (c.id == explicit or (same(c) and c.node == node and not c.rules
                                          and not c.sets and c.role is None))]
    for c in replaced:
        out.append(reports.info("CONSTRAINT_REPLACED", id=c.id))
    base = edit.without_constraints(cib, {c.id for c in replaced})
    taken = edit.used_ids(base)
    if explicit is not None:
        constraint_id = explicit_id(base, explicit, taken)
    else:
        assert generated is not None
        constraint_id = edit.unique_id(taken, generated)
    out.append(reports.info("CONSTRAINT_CREATED", id=constraint_id))
    return _append(base, Location(id=constraint_id, rsc=None if pattern else resource,
                                  rsc_pattern=resource if pattern else None, node=node,
                                  score=score, resource_discovery=discovery))


# -- colocation --------------------------------------------------------------------------------
def colocation_add(env: CibEnvironment, source: str, target: str, *, score: str | None = None,
                   source_role: str | None = None, target_role: str | None = None,
                   options: Pairs = (), force: bool = False) -> Applied:
    """`colocation add [ROLE] SRC with [ROLE] TGT [SCORE] [score=..] [id=..]
    [node-attribute=..] [influence=..]`: SRC is placed relative to TGT. Roles are written as
    Pacemaker 2.1 writes them (Master as Promoted, Slave as Unpromoted)."""
    rsc_role, with_role = checked_role(source_role), checked_role(target_role)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        if source == target:
            raise ReportError([reports.error("CONSTRAINT_SAME_RESOURCE", resource=source)])
        out = check_resource(cib, source, force) + check_resource(cib, target, force)
        out += role_problems(cib, source, rsc_role, force)
        out += role_problems(cib, target, with_role, force)
        values = dict(options)
        unknown = set(values) - {"score", "id", "node-attribute", "influence"}
        if unknown:
            raise ReportError([reports.error("INVALID_OPTION", option=sorted(unknown)[0],
                                             where="a colocation constraint",
                                             allowed="score, id, node-attribute, influence")])
        if score is not None and "score" in values:
            raise ReportError([reports.error("SCORE_GIVEN_TWICE")])
        text = values.get("score", score) or "INFINITY"
        value = score_of(text)
        influence = values.get("influence")
        if influence is not None and influence.lower() not in ("true", "false"):
            raise ReportError([reports.error("INVALID_OPTION_VALUE", option="influence",
                                             value=influence, expected="true or false")])
        new = Colocation(id="", rsc=source, with_rsc=target, score=value,
                         rsc_role=rsc_role, with_rsc_role=with_role,
                         node_attribute=values.get("node-attribute"),
                         influence=None if influence is None else influence.lower() == "true")
        for c in cib.configuration.constraints:
            if isinstance(c, Colocation) and dataclasses.replace(c, id="") == new:
                out.append(reports.unless_forced(force, "CONSTRAINT_DUPLICATE", id=c.id))
        taken = edit.used_ids(cib)
        if "id" in values:
            constraint_id = explicit_id(cib, values["id"], taken)
        else:
            constraint_id = edit.unique_id(taken,
                                           f"colocation-{source}-{target}-{format_score(value)}")
        out.append(reports.info("CONSTRAINT_CREATED", id=constraint_id))
        return _append(cib, dataclasses.replace(new, id=constraint_id)), out

    return edit.apply(env, change)


# -- order -------------------------------------------------------------------------------------
def order_add(env: CibEnvironment, first: str, then: str, *, first_action: str = "start",
              then_action: str = "start", options: Pairs = (), force: bool = False) -> Applied:
    """`order [ACTION] FIRST then [ACTION] THEN [kind=..] [symmetrical=..] [id=..]
    [require-all=..]`."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        if first == then:
            raise ReportError([reports.error("CONSTRAINT_SAME_RESOURCE", resource=first)])
        out = check_resource(cib, first, force) + check_resource(cib, then, force)
        for action, rsc_id in ((first_action, first), (then_action, then)):
            if action not in ACTIONS:
                raise ReportError([reports.error("INVALID_OPTION_VALUE", option="action",
                                                 value=action, expected=", ".join(ACTIONS))])
            if action in PROMOTABLE_ACTIONS and clone_lib.promotable_clone_of(
                    cib, rsc_id) is None:
                out.append(reports.unless_forced(force, "ACTION_NEEDS_PROMOTABLE",
                                                 resource=rsc_id, action=action))
        a, b = edit.parent_of(cib, first), edit.parent_of(cib, then)
        if a is not None and a is b and not isinstance(a, Clone):
            out.append(reports.warning("ORDER_IN_SAME_GROUP", group=a.id))
        values = dict(options)
        unknown = set(values) - {"kind", "symmetrical", "id", "require-all", "score"}
        if unknown:
            raise ReportError([reports.error("INVALID_OPTION", option=sorted(unknown)[0],
                                             where="an order constraint",
                                             allowed="kind, symmetrical, id, require-all")])
        kind = values.get("kind", "Mandatory")
        kind = next((k for k in KINDS if k.lower() == kind.lower()), "")
        if not kind:
            raise ReportError([reports.error("INVALID_OPTION_VALUE", option="kind",
                                             value=values["kind"], expected=", ".join(KINDS))])
        flags: dict[str, bool | None] = {}
        for name in ("symmetrical", "require-all"):
            text = values.get(name)
            if text is not None and text.lower() not in ("true", "false"):
                raise ReportError([reports.error("INVALID_OPTION_VALUE", option=name,
                                                 value=text, expected="true or false")])
            flags[name] = None if text is None else text.lower() == "true"
        score = None
        if "score" in values:
            score = score_of(values["score"])
            out.append(reports.warning("ORDER_SCORE_DEPRECATED"))
        new = Order(id="", first=first, then=then, first_action=first_action,
                    then_action=then_action,
                    kind=kind if "kind" in values else None,
                    symmetrical=flags["symmetrical"], score=score,
                    require_all=flags["require-all"] is not False)
        for c in cib.configuration.constraints:
            if isinstance(c, Order) and (c.first, c.then, c.first_action or "start",
                                         c.then_action or "start") == (first, then,
                                                                       first_action,
                                                                       then_action):
                out.append(reports.unless_forced(force, "CONSTRAINT_DUPLICATE", id=c.id))
        taken = edit.used_ids(cib)
        if "id" in values:
            constraint_id = explicit_id(cib, values["id"], taken)
        else:
            constraint_id = edit.unique_id(taken, f"order-{first}-{then}-{kind.lower()}")
        out.append(reports.info("CONSTRAINT_CREATED", id=constraint_id))
        return _append(cib, dataclasses.replace(new, id=constraint_id)), out

    return edit.apply(env, change)


# -- remove, list ------------------------------------------------------------------------------
def remove(env: CibEnvironment, constraint_ids: Sequence[str]) -> Applied:
    """Remove constraints by id."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        existing = {c.id for c in cib.configuration.constraints}
        missing = [c for c in constraint_ids if c not in existing]
        if missing:
            raise ReportError([reports.error("CONSTRAINT_NOT_FOUND", id=m) for m in missing])
        return _without(cib, constraint_ids)

    return edit.apply(env, change)


def referencing(env: CibEnvironment, resources: Sequence[str]
                ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """pcs's `constraint ref RSC...`: each resource with the ids of the constraints naming it
    (directly or in a set)."""
    cib = env.get_cib()
    for rsc in resources:
        edit.require_resource(cib, rsc)
    return tuple((rsc, tuple(c.id for c in cib.configuration.constraints
                             if rsc in edit.constraint_resources(c))) for rsc in resources)


def constraints(env: CibEnvironment) -> tuple[Constraint, ...]:
    """The configured constraints, in document order."""
    return env.get_cib().configuration.constraints



def set_score(env: CibEnvironment, constraint_id: str, score: str) -> Applied:
    """Change the score of a location (one with a node, not rules) or colocation constraint,
    or the kind of an order (Mandatory, Optional, Serialize): the constraint keeps its id and
    its place, in one change."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        found = next((c for c in cib.configuration.constraints if c.id == constraint_id), None)
        if found is None:
            raise ReportError([reports.error("CONSTRAINT_NOT_FOUND", id=constraint_id)])
        new: Constraint
        if isinstance(found, Order):
            kind = next((k for k in KINDS if k.lower() == score.lower()), None)
            if kind is None:
                raise ReportError([reports.error("INVALID_OPTION_VALUE", option="kind",
                                                 value=score, expected=", ".join(KINDS))])
            new = dataclasses.replace(found, kind=kind, score=None)
        elif isinstance(found, Location) and found.node is not None or isinstance(
                found, Colocation):
            new = dataclasses.replace(found, score=score_of(score))
        else:
            raise ReportError([reports.error("CONSTRAINT_SCORE_NOT_EDITABLE", id=constraint_id)])
        constraints = tuple(new if c.id == constraint_id else c
                            for c in cib.configuration.constraints)
        return edit.with_config(cib, constraints=constraints), [
            reports.info("CONSTRAINT_SCORE_CHANGED", id=constraint_id, value=score)]

    return edit.apply(env, change)


def remove_colocations(env: CibEnvironment, words: Sequence[str]) -> Applied:
    """`constraint colocation delete|remove`: pcs's `SOURCE TARGET` (every colocation of
    SOURCE with TARGET goes), or constraint ids (as `constraint remove` takes them)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        if _all_ids(cib, words):
            return _without(cib, words)
        if len(words) != 2:
            raise ReportError([reports.error("CONSTRAINT_NOT_FOUND", id=w) for w in words
                               if w not in _ids(cib)])
        source, target = words
        found = [c.id for c in cib.configuration.constraints if isinstance(c, Colocation)
                 and c.rsc == source and c.with_rsc == target]
        if not found:
            raise ReportError([reports.error("COLOCATION_NOT_FOUND", source=source,
                                             target=target)])
        return _without(cib, found)

    return edit.apply(env, change)


def remove_orders(env: CibEnvironment, words: Sequence[str]) -> Applied:
    """`constraint order delete|remove`: pcs's `RESOURCE...` (every order naming one of them
    loses it: one naming it directly goes, a set loses it), or constraint ids."""
    from vigil.commands.resource import drop_from_constraints

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        if _all_ids(cib, words):
            return _without(cib, words)
        missing = [w for w in words if edit.find_resource(cib, w) is None and w not in _ids(cib)]
        if missing:
            raise ReportError([edit.not_found(cib, w) for w in missing])
        out: list[Report] = []
        new = drop_from_constraints(cib, set(words), out, Order)
        if not out:
            raise ReportError([reports.error("ORDER_NOT_FOUND", resources=", ".join(words))])
        return new, out

    return edit.apply(env, change)


def _ids(cib: Cib) -> set[str]:
    return {c.id for c in cib.configuration.constraints}


def _all_ids(cib: Cib, words: Sequence[str]) -> bool:
    return bool(words) and all(w in _ids(cib) for w in words)


def _without(cib: Cib, ids: Sequence[str]) -> tuple[Cib, list[Report]]:
    return (edit.without_constraints(cib, set(ids)),
            [reports.info("CONSTRAINT_REMOVED", id=c) for c in ids])
