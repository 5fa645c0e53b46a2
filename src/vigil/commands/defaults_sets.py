"""pcs 0.11's `resource defaults set create|delete|update` and `resource op defaults set ...`:
sets of resource or operation defaults, each with its id, an optional score (which set wins
when two apply) and an optional rule (which resources, operations or times it applies to).

The plain set (no rule), which `defaults NAME=VALUE` and `defaults update` edit, is one of
these sets too; `set update` may name it. Values of the options Pacemaker interprets are checked
as `defaults update` checks them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from vigil.commands import edit, options
from vigil.commands.constraint import explicit_id
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.commands.rule_text import parse_rule
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.nvset import NvSet
from vigil.model.reports import Report, ReportError
from vigil.model.score import is_valid_score, parse_score

Pairs = tuple[tuple[str, str], ...]

# What a rule of each kind of defaults may test besides dates and node attributes, as in
# Pacemaker's schema: an operation (op_expression) only in operation defaults.
_KINDS = {"rsc": frozenset({"resource"}), "op": frozenset({"resource", "op"})}


def _sets(cib: Cib, kind: str) -> tuple[NvSet, ...]:
    return cib.configuration.rsc_defaults if kind == "rsc" else cib.configuration.op_defaults


def _with_sets(cib: Cib, kind: str, sets: tuple[NvSet, ...]) -> Cib:
    if kind == "rsc":
        return edit.with_config(cib, rsc_defaults=sets)
    return edit.with_config(cib, op_defaults=sets)


def _value_problems(kind: str, pairs: Pairs, force: bool) -> list[Report]:
    known = options.by_name(options.RESOURCE_META if kind == "rsc" else
                            options.OPERATION_OPTIONS)
    out = []
    for name, value in pairs:
        spec = known.get(name)
        wanted = options.value_problem(spec, value) if spec is not None and value else None
        if wanted:
            out.append(reports.unless_forced(force, "INVALID_OPTION_VALUE", option=name,
                                             value=value, expected=wanted))
    return out


def set_create(env: CibEnvironment, kind: str, *, set_options: Pairs, pairs: Pairs,
               rule: Sequence[str] | None, force: bool = False) -> Applied:
    """A new set of defaults (`kind` "rsc" or "op"): `set_options` id= and score=, `pairs`
    its values, `rule` the words of its rule (None: it always applies)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        given = dict(set_options)
        unknown = [name for name, _ in set_options if name not in ("id", "score")]
        if unknown:
            raise ReportError([reports.error("INVALID_OPTION", option=unknown[0],
                                             where="a defaults set", allowed="id, score")])
        out = _value_problems(kind, pairs, force)
        taken = edit.used_ids(cib)
        default = "rsc-options" if kind == "rsc" else "op-options"
        set_id = (explicit_id(cib, given["id"], taken) if "id" in given
                  else edit.unique_id(taken, default))
        score = 0
        if "score" in given:
            if not is_valid_score(given["score"]):
                raise ReportError([reports.error("INVALID_OPTION_VALUE", option="score",
                                                 value=given["score"],
                                                 expected="an integer or INFINITY")])
            score = parse_score(given["score"])
        made_rule = None
        if rule is not None:
            # score 0: schemas before pacemaker-3.9 require one on every rule; a set's rule
            # only says whether the set applies, so its score means nothing
            made_rule = parse_rule(rule, edit.unique_id(taken, f"{set_id}-rule"), taken,
                                   score=0, score_attribute=None, role=None,
                                   kinds=_KINDS[kind])
        # set_pairs edits sets without a rule: the values go in first, then the rule
        filled = edit.set_pairs((NvSet(id=set_id, pairs=(), score=score),),
                                [(n, v) for n, v in pairs if v], set_id=set_id, taken=taken)
        nvset = dataclasses.replace(filled[0] if filled else NvSet(id=set_id, pairs=(),
                                                                   score=score),
                                    rule=made_rule)
        out.append(reports.info("DEFAULTS_SET_CREATED", id=set_id))
        return _with_sets(cib, kind, (*_sets(cib, kind), nvset)), out

    return edit.apply(env, change)


def set_delete(env: CibEnvironment, kind: str, set_ids: Sequence[str]) -> Applied:
    """Remove the sets named (every set, when none is named, as pcs does)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        sets = _sets(cib, kind)
        known = {s.id for s in sets}
        missing = [i for i in set_ids if i not in known]
        if missing:
            raise ReportError([reports.error("DEFAULTS_SET_NOT_FOUND", id=missing[0],
                                             known=", ".join(sorted(known)) or "none")])
        gone = set(set_ids) if set_ids else known
        return _with_sets(cib, kind, tuple(s for s in sets if s.id not in gone)), [
            reports.info("DEFAULTS_SET_REMOVED", id=i) for i in sorted(gone)]

    return edit.apply(env, change)


def set_update(env: CibEnvironment, kind: str, set_id: str, pairs: Pairs, *,
               force: bool = False) -> Applied:
    """Set (a non-empty value) or remove (an empty one) values of one set, whatever its
    rule: the set stays where it is, with its rule and score."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        sets = _sets(cib, kind)
        found = next((s for s in sets if s.id == set_id), None)
        if found is None:
            raise ReportError([reports.error(
                "DEFAULTS_SET_NOT_FOUND", id=set_id,
                known=", ".join(sorted(s.id for s in sets)) or "none")])
        out = _value_problems(kind, pairs, force)
        taken = edit.used_ids(cib)
        # set_pairs edits sets without rules: the set is edited as one, then put back
        plain = dataclasses.replace(found, rule=None, ref=None)
        edited = edit.set_pairs((plain,), pairs, set_id=set_id, taken=taken)
        new = dataclasses.replace(edited[0] if edited else plain, rule=found.rule,
                                  ref=found.ref, id=found.id)
        if not edited:
            new = dataclasses.replace(new, pairs=())
        return _with_sets(cib, kind, tuple(new if s.id == set_id else s for s in sets)), out

    return edit.apply(env, change)
