"""pcs's rule language, as typed after `constraint location RSC rule`, into the model's Rule:

    expr     := and_expr ("or" and_expr)*
    and_expr := unary ("and" unary)*
    unary    := "(" expr ")"
              | "defined" ATTR | "not_defined" ATTR
              | ATTR (lt|gt|lte|gte|eq|ne) [string|integer|number|version] VALUE
              | "date" (gt|lt) DATE
              | "date" "in_range" [DATE] "to" DATE
              | "date" "in_range" DATE "to" "duration" NAME=VALUE...
              | "date-spec" NAME=VALUE...
              | "resource" [STANDARD]:[PROVIDER]:[TYPE]     (rules of defaults sets only)
              | "op" NAME [interval=DURATION]                (rules of operation defaults only)

"and" binds tighter than "or"; a mix becomes nested rules, as Pacemaker needs (one
boolean-op per rule). Ids are made from the rule's id: RULE-expr, RULE-expr-1, RULE-rule...
Errors are one report (RULE_SYNTAX) naming the word where the rule stopped making sense.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigil.commands import edit
from vigil.model import reports
from vigil.model.reports import ReportError
from vigil.model.rules import (
    AttrExpression,
    DateExpression,
    DateSpec,
    Expression,
    OpExpression,
    ResourceExpression,
    Rule,
)

COMPARISONS = ("lt", "gt", "lte", "gte", "eq", "ne")
TYPES = ("string", "integer", "number", "version")
DATE_SPEC_FIELDS = ("hours", "monthdays", "weekdays", "yeardays", "months", "weeks", "years",
                    "weekyears", "moon")
DURATION_FIELDS = ("hours", "monthdays", "weekdays", "yeardays", "months", "weeks", "years",
                   "weekyears", "moon", "minutes", "seconds", "days")
_KEYWORDS = ("and", "or", "(", ")", "to", "duration")


class _Parser:
    def __init__(self, words: Sequence[str], rule_id: str, taken: set[str],
                 kinds: frozenset[str] = frozenset()) -> None:
        self.words = _split_parens(words)
        self.at = 0
        self.rule_id = rule_id
        self.taken = taken
        self.kinds = kinds  # "resource", "op": the expressions only defaults sets may hold

    def fail(self, expected: str) -> ReportError:
        found = self.words[self.at] if self.at < len(self.words) else "the end"
        return ReportError([reports.error("RULE_SYNTAX", found=found, expected=expected,
                                          rule=" ".join(self.words))])

    def peek(self) -> str | None:
        return self.words[self.at] if self.at < len(self.words) else None

    def take(self, expected: str) -> str:
        word = self.peek()
        if word is None or word in _KEYWORDS:
            raise self.fail(expected)
        self.at += 1
        return word

    def new_id(self, suffix: str) -> str:
        made = edit.unique_id(self.taken, f"{self.rule_id}-{suffix}")
        self.taken.add(made)
        return made

    # -- grammar ------------------------------------------------------------------------
    def parse(self) -> tuple[str, tuple[Expression, ...]]:
        op, items = self.expr()
        if self.peek() is not None:
            raise self.fail("'and', 'or' or the end of the rule")
        return op, items

    def expr(self) -> tuple[str, tuple[Expression, ...]]:
        parts = [self.and_expr()]
        while self.peek() == "or":
            self.at += 1
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return "or", tuple(self._as_one(op, items) for op, items in parts)

    def and_expr(self) -> tuple[str, tuple[Expression, ...]]:
        items: list[Expression] = []
        while True:
            op, got = self.unary()
            items.append(self._as_one(op, got))
            if self.peek() != "and":
                return "and", tuple(items)
            self.at += 1

    def _as_one(self, op: str, items: tuple[Expression, ...]) -> Expression:
        if len(items) == 1:
            return items[0]
        # score 0: schemas before pacemaker-3.9 require a score on every rule; only the
        # top rule's counts
        return Rule(id=self.new_id("rule"), expressions=items, boolean_op=op, score=0)

    def unary(self) -> tuple[str, tuple[Expression, ...]]:
        word = self.peek()
        if word == "(":
            self.at += 1
            inner = self.expr()
            if self.peek() != ")":
                raise self.fail("')'")
            self.at += 1
            return inner
        if word in ("defined", "not_defined"):
            self.at += 1
            attr = self.take("an attribute name")
            return "and", (AttrExpression(self.new_id("expr"), attr, word),)
        if word == "date":
            self.at += 1
            return "and", (self.date(),)
        if word in self.kinds and word == "resource":
            self.at += 1
            return "and", (self.resource(),)
        if word in self.kinds and word == "op":
            self.at += 1
            name = self.take("an operation's name (op monitor)")
            interval = None
            if (self.peek() or "").startswith("interval="):
                interval = self.take("interval=DURATION").partition("=")[2]
                if not interval:
                    raise self.fail("a duration after interval=")
            return "and", (OpExpression(self.new_id("op"), name, interval),)
        if word in ("resource", "op") and word not in self.kinds and \
                self.at + 1 < len(self.words) and self.words[self.at + 1] not in COMPARISONS:
            self.at += 1
            where = "an operation defaults set's rule" if word == "op" else \
                "a defaults set's rule"
            raise self.fail(f"an expression of this rule ('{word}' goes in {where})")
        if word == "date-spec":
            self.at += 1
            fields = self.pairs(DATE_SPEC_FIELDS, "date-spec")
            return "and", (DateExpression(self.new_id("expr"), "date_spec",
                                          date_spec=DateSpec(self.new_id("expr-datespec"),
                                                             fields)),)
        attr = self.take("an expression: ATTR OP VALUE, defined ATTR, date ..., date-spec ...")
        op = self.peek()
        if op not in COMPARISONS:
            raise self.fail(f"a comparison ({', '.join(COMPARISONS)})")
        self.at += 1
        kind = None
        if self.peek() in TYPES and self.at + 1 < len(self.words) and \
                self.words[self.at + 1] not in _KEYWORDS:
            kind = self.take("a type")
        value = self.take("a value")
        return "and", (AttrExpression(self.new_id("expr"), attr, op, value, kind),)

    def resource(self) -> ResourceExpression:
        """`resource ocf:pacemaker:Dummy`, `resource ocf::`, `resource ::Dummy` (pcs's form:
        an empty part matches any)."""
        word = self.take("STANDARD:PROVIDER:TYPE after 'resource' (ocf:pacemaker:Dummy, "
                         "::Dummy)")
        parts = word.split(":")
        if len(parts) != 3 or not any(parts):
            self.at -= 1
            raise self.fail("STANDARD:PROVIDER:TYPE after 'resource' (ocf:pacemaker:Dummy, "
                            "::Dummy)")
        standard, provider, agent = (p or None for p in parts)
        return ResourceExpression(self.new_id("rsc"), standard, provider, agent)

    def date(self) -> DateExpression:
        op = self.peek()
        if op in ("gt", "lt"):
            self.at += 1
            when = self.take("a date (ISO 8601)")
            return DateExpression(self.new_id("expr"), op, start=when if op == "gt" else None,
                                  end=when if op == "lt" else None)
        if op != "in_range":
            raise self.fail("gt, lt or in_range after 'date'")
        self.at += 1
        start = None
        if self.peek() != "to":
            start = self.take("a start date or 'to'")
        if self.peek() != "to":
            raise self.fail("'to'")
        self.at += 1
        if self.peek() == "duration":
            self.at += 1
            if start is None:
                raise self.fail("a start date before 'to duration'")
            duration = self.pairs(DURATION_FIELDS, "duration")
            return DateExpression(self.new_id("expr"), "in_range", start=start,
                                  duration=duration)
        end = self.take("an end date or 'duration'")
        return DateExpression(self.new_id("expr"), "in_range", start=start, end=end)

    def pairs(self, allowed: Sequence[str], what: str) -> tuple[tuple[str, str], ...]:
        out: list[tuple[str, str]] = []
        while (word := self.peek()) is not None and "=" in word:
            name, _, value = word.partition("=")
            if name not in allowed or not value:
                raise self.fail(f"{what} NAME=VALUE, NAME one of {', '.join(allowed)}")
            out.append((name, value))
            self.at += 1
        if not out:
            raise self.fail(f"{what} NAME=VALUE...")
        return tuple(out)


def _split_parens(words: Sequence[str]) -> list[str]:
    """`(a` and `b)` typed without spaces are their own words, as pcs reads them."""
    out: list[str] = []
    for word in words:
        lead = 0
        while word[lead:lead + 1] == "(":
            lead += 1
        trail = len(word)
        while trail > lead and word[trail - 1] == ")":
            trail -= 1
        out.extend("(" * lead)
        if word[lead:trail]:
            out.append(word[lead:trail])
        out.extend(")" * (len(word) - trail))
    return out


def parse_rule(words: Sequence[str], rule_id: str, taken: set[str], *, score: int | None,
               score_attribute: str | None, role: str | None,
               kinds: frozenset[str] = frozenset()) -> Rule:
    """The rule the words say (raises RULE_SYNTAX). `kinds`: the expressions beyond a
    location's that this rule may hold ("resource", "op": a defaults set's)."""
    if not words:
        raise ReportError([reports.error("RULE_SYNTAX", found="the end", expected="an expression",
                                         rule="")])
    parser = _Parser(words, rule_id, taken, kinds)
    op, items = parser.parse()
    return Rule(id=rule_id, expressions=items, boolean_op=op, score=score,
                score_attribute=score_attribute, role=role)
