"""Location constraints with rules (pcs's `constraint location RSC rule ...`, `constraint rule
add|remove`): where a resource may run decided by node attributes, dates and times.

    constraint location RSC rule [id=ID] [constraint-id=ID] [role=ROLE]
        [resource-discovery=always|never|exclusive] [score=S | score-attribute=ATTR] EXPRESSION
    constraint rule add CONSTRAINT_ID [id=ID] [role=ROLE] [score=S | score-attribute=A] EXPRESSION
    constraint rule remove RULE_ID...

The options come first, before the expression (see rule_text for its language); the score is
INFINITY when neither score nor score-attribute is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from vigil.commands import edit
from vigil.commands.constraint import (
    check_resource,
    checked_role,
    explicit_id,
    role_problems,
    score_of,
)
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.commands.rule_text import parse_rule
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.constraints import Constraint, Location
from vigil.model.reports import Report, ReportError
from vigil.model.rules import Rule
from vigil.model.score import INFINITY

_DISCOVERY = ("always", "never", "exclusive")
_RULE_OPTIONS = ("id", "role", "score", "score-attribute")


def _options(words: Sequence[str], allowed: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """The leading NAME=VALUE options (names in `allowed`) and the expression's words."""
    values: dict[str, str] = {}
    at = 0
    while at < len(words) and "=" in words[at] and words[at].split("=", 1)[0] in allowed:
        name, _, value = words[at].partition("=")
        if name in values:
            raise ReportError([reports.error("OPTION_GIVEN_TWICE", option=name)])
        values[name] = value
        at += 1
    return values, list(words[at:])


def _rule(cib: Cib, values: dict[str, str], expression: list[str], default_id: str,
          taken: set[str]) -> Rule:
    if "score" in values and "score-attribute" in values:
        raise ReportError([reports.error("RULE_SCORE_TWICE")])
    score: int | None = None
    if "score-attribute" not in values:
        score = score_of(values["score"]) if "score" in values else INFINITY
    rule_id = (explicit_id(cib, values["id"], taken) if "id" in values
               else edit.unique_id(taken, default_id))
    taken.add(rule_id)
    return parse_rule(expression, rule_id, taken, score=score,
                      score_attribute=values.get("score-attribute"),
                      role=checked_role(values.get("role")))


def location_rule(env: CibEnvironment, resource: str, words: Sequence[str], *,
                  force: bool = False) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        values, expression = _options(words, (*_RULE_OPTIONS, "constraint-id",
                                               "resource-discovery"))
        out = check_resource(cib, resource, force)
        out += role_problems(cib, resource, checked_role(values.get("role")), force)
        discovery = values.get("resource-discovery")
        if discovery is not None and discovery not in _DISCOVERY:
            raise ReportError([reports.error("INVALID_OPTION_VALUE", option="resource-discovery",
                                             value=discovery, expected=", ".join(_DISCOVERY))])
        taken = edit.used_ids(cib)
        cid = (explicit_id(cib, values["constraint-id"], taken) if "constraint-id" in values
               else edit.unique_id(taken, f"location-{resource}"))
        taken.add(cid)
        rule = _rule(cib, values, expression, f"{cid}-rule", taken)
        out.append(reports.info("CONSTRAINT_CREATED", id=cid))
        new = Location(id=cid, rsc=resource, rules=(rule,), resource_discovery=discovery)
        return edit.with_config(cib, constraints=(*cib.configuration.constraints, new)), out

    return edit.apply(env, change)


def rule_add(env: CibEnvironment, constraint_id: str, words: Sequence[str]) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        found = next((c for c in cib.configuration.constraints if c.id == constraint_id), None)
        if not isinstance(found, Location):
            raise ReportError([reports.error("RULE_NEEDS_LOCATION", id=constraint_id)])
        if found.node is not None:
            raise ReportError([reports.error("RULE_ON_NODE_LOCATION", id=constraint_id)])
        values, expression = _options(words, _RULE_OPTIONS)
        taken = edit.used_ids(cib)
        rule = _rule(cib, values, expression, f"{constraint_id}-rule", taken)
        new = dataclasses.replace(found, rules=(*found.rules, rule), score=None)
        constraints = tuple(new if c.id == constraint_id else c
                            for c in cib.configuration.constraints)
        return edit.with_config(cib, constraints=constraints), [
            reports.info("RULE_ADDED", id=rule.id, constraint=constraint_id)]

    return edit.apply(env, change)


def rule_remove(env: CibEnvironment, rule_ids: Sequence[str]) -> Applied:
    """Remove top-level rules of location constraints; a constraint left without a rule goes."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        wanted = set(rule_ids)
        present = {r.id for c in cib.configuration.constraints if isinstance(c, Location)
                   for r in c.rules}
        missing = sorted(wanted - present)
        if missing:
            raise ReportError([reports.error("RULE_NOT_FOUND", id=missing[0])])
        out: list[Report] = []
        kept: list[Constraint] = []
        for c in cib.configuration.constraints:
            if not isinstance(c, Location) or not {r.id for r in c.rules} & wanted:
                kept.append(c)
                continue
            rules = tuple(r for r in c.rules if r.id not in wanted)
            out += [reports.info("RULE_REMOVED", id=r.id) for r in c.rules if r.id in wanted]
            if rules:
                kept.append(dataclasses.replace(c, rules=rules))
            else:
                out.append(reports.info("CONSTRAINT_REMOVED", id=c.id))
        return edit.with_config(cib, constraints=tuple(kept)), out

    return edit.apply(env, change)
