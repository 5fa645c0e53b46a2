"""pcs's `constraint location RSC rule ...`, `constraint rule add|remove` and `constraint ref`
against a CIB file: the rule language into the CIB's rules, refusals that change nothing, and
the rules written deciding as Pacemaker decides (crm_simulate on the same file)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cibs import Run

from vigil.cib.io import load_cib_file
from vigil.cli.simulate_view import summary_lines
from vigil.model.constraints import Location
from vigil.model.rules import AttrExpression, DateExpression, Rule
from vigil.scheduler.engine import schedule


def _location(cib: Path, cid: str) -> Location:
    loaded, _ = load_cib_file(str(cib))
    found = next(c for c in loaded.configuration.constraints if c.id == cid)
    assert isinstance(found, Location)
    return found


def test_rule_language_into_the_model(vigil: Run, cib: Path) -> None:
    code, _, err = vigil("-f", str(cib), "constraint", "location", "WebIP", "rule",
                         "score=-INFINITY", "pingd", "lt", "integer", "1", "or",
                         "not_defined", "pingd")
    assert code == 0, err
    rule = _location(cib, "location-WebIP").rules[0]
    assert rule.boolean_op == "or" and rule.score == -1_000_000
    assert rule.expressions == (
        AttrExpression("location-WebIP-rule-expr", "pingd", "lt", "1", "integer"),
        AttrExpression("location-WebIP-rule-expr-1", "pingd", "not_defined"))
    code, _, err = vigil("-f", str(cib), "constraint", "location", "WebSite", "rule",
                         "constraint-id=hours", "role=Started", "score-attribute=prio",
                         "(date-spec", "hours=9-16", "weekdays=1-5", "or", "date", "in_range",
                         "2026-01-01", "to", "duration", "months=2)", "and", "#uname", "ne",
                         "node3")
    assert code == 0, err
    rule = _location(cib, "hours").rules[0]
    assert rule.score is None and rule.score_attribute == "prio" and rule.role == "Started"
    inner, uname = rule.expressions
    assert isinstance(inner, Rule) and inner.boolean_op == "or"
    spec, span = inner.expressions
    assert isinstance(spec, DateExpression) and spec.date_spec is not None
    assert spec.date_spec.fields == (("hours", "9-16"), ("weekdays", "1-5"))
    assert isinstance(span, DateExpression) and span.duration == (("months", "2"),)
    assert uname == AttrExpression("hours-rule-expr-2", "#uname", "ne", "node3")

    assert vigil("-f", str(cib), "constraint", "rule", "add", "hours", "score=5", "defined",
                 "x")[0] == 0
    assert len(_location(cib, "hours").rules) == 2
    code, out, _ = vigil("-f", str(cib), "constraint", "ref", "WebSite")
    assert code == 0 and "  hours" in out.splitlines()
    assert vigil("-f", str(cib), "constraint", "rule", "remove", "hours-rule")[0] == 0
    assert [r.id for r in _location(cib, "hours").rules] == ["hours-rule-1"]
    assert vigil("-f", str(cib), "constraint", "rule", "remove", "hours-rule-1")[0] == 0
    loaded, _ = load_cib_file(str(cib))
    assert "hours" not in {c.id for c in loaded.configuration.constraints}


def test_rule_refusals_change_nothing(vigil: Run, cib: Path) -> None:
    before = cib.read_bytes()
    for words, says in (
        (("pingd", "lt"), "expected a value"),
        (("pingd", "around", "1"), "expected a comparison"),
        (("(", "defined", "x"), "expected ')'"),
        (("defined", "x", "y"), "'and', 'or' or the end"),
        (("date", "in_range", "to", "duration", "months=2"), "start date"),
        (("date-spec", "fortnights=2"), "NAME one of"),
        (("score=1", "score-attribute=a", "defined", "x"), "not both"),
        (("score=lots", "defined", "x"), "not a score"),
        ((), "expected an expression"),
    ):
        code, _, err = vigil("-f", str(cib), "constraint", "location", "WebIP", "rule", *words)
        assert code == 2 and says in err and len(err.strip().splitlines()) == 1, (words, err)
    code, _, err = vigil("-f", str(cib), "constraint", "rule", "remove", "nope")
    assert code == 2 and "no location constraint has a rule nope" in err
    assert cib.read_bytes() == before


@pytest.mark.skipif(shutil.which("crm_simulate") is None, reason="needs crm_simulate")
def test_rules_written_decide_as_pacemaker_does(vigil: Run, cib: Path) -> None:
    """node1 has pingd=0, node2 pingd=5, node3 none: WebIP may not run where pingd < 1 or
    unset; WebSite prefers a node whose #uname is not node2 when pingd >= 1 (nowhere)."""
    assert vigil("-f", str(cib), "node", "attribute", "node1", "pingd=0")[0] == 0
    assert vigil("-f", str(cib), "node", "attribute", "node2", "pingd=5")[0] == 0
    assert vigil("-f", str(cib), "constraint", "location", "WebIP", "rule", "score=-INFINITY",
                 "pingd", "lt", "integer", "1", "or", "not_defined", "pingd")[0] == 0
    assert vigil("-f", str(cib), "constraint", "location", "WebSite", "rule", "score=200",
                 "(pingd", "gte", "number", "1", "and", "#uname", "ne", "node2)", "or",
                 "#uname", "eq", "node3")[0] == 0
    loaded, _ = load_cib_file(str(cib))
    ours = sorted(line.split() for line in summary_lines(schedule(loaded, 1_700_000_000).summary))
    proc = subprocess.run(["crm_simulate", "-x", str(cib), "-R"], capture_output=True,
                          text=True, timeout=60, check=True)
    section = proc.stdout.split("Transition Summary:")[1].split("Executing")[0]
    theirs = sorted(line.split() for line in section.splitlines() if line.strip())
    assert ours == theirs
    assert any("WebIP" in w for w in ours)  # the rules moved something: not a vacuous check


def test_location_of_a_pattern(vigil: Run, cib: Path) -> None:
    code, _, err = vigil("-f", str(cib), "constraint", "location", "regexp%Web.*", "prefers",
                         "node2=30")
    assert code == 0, err
    loaded, _ = load_cib_file(str(cib))
    found = [c for c in loaded.configuration.constraints
             if isinstance(c, Location) and c.rsc_pattern == "Web.*"]
    assert len(found) == 1 and found[0].rsc is None and found[0].score == 30
    assert vigil("-f", str(cib), "constraint", "location", "resource%WebIP", "avoids",
                 "node3")[0] == 0
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "constraint", "location", "regexp%Web(", "prefers",
                         "node2")
    assert code == 2 and "is not a regular expression" in err
    code, _, err = vigil("-f", str(cib), "constraint", "location", "tag%x", "prefers", "node2")
    assert code == 2 and "regexp%PATTERN" in err
    assert cib.read_bytes() == before
