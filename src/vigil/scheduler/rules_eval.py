"""Evaluate Pacemaker rules: node-attribute expressions, date expressions, resource/op expressions."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from vigil.model.rules import (
    AttrExpression,
    DateExpression,
    Expression,
    OpExpression,
    ResourceExpression,
    Rule,
)


@dataclass(frozen=True)
class RuleContext:
    now: int  # seconds since the epoch, UTC
    node_attrs: dict[str, str] | None = None
    rsc_standard: str | None = None
    rsc_provider: str | None = None
    rsc_type: str | None = None
    op_name: str | None = None
    op_interval_ms: int | None = None


_DATE = re.compile(
    r"^\s*(\d{4})(?:-(\d{2})-(\d{2})|-(\d{3})|-W(\d{2})-(\d))?"
    r"(?:[T ](\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)


def parse_datetime(text: str) -> int | None:
    """ISO 8601 as Pacemaker accepts it (2005-020, 2005-01-20T12:30, 2014-05-07 00:28:00)."""
    m = _DATE.match(text)
    if not m:
        return None
    year = int(m.group(1))
    if m.group(2):
        base = dt.date(year, int(m.group(2)), int(m.group(3)))
    elif m.group(4):
        base = dt.date(year, 1, 1) + dt.timedelta(days=int(m.group(4)) - 1)
    elif m.group(5):
        base = dt.date.fromisocalendar(year, int(m.group(5)), int(m.group(6)))
    else:
        base = dt.date(year, 1, 1)
    hour = int(m.group(7) or 0)
    minute = int(m.group(8) or 0)
    sec = int(m.group(9) or 0)
    offset = 0
    tz = m.group(10)
    if tz and tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    stamp = calendar.timegm(base.timetuple()) + hour * 3600 + minute * 60 + sec
    return stamp - offset


def _duration_seconds(fields: tuple[tuple[str, str], ...], start: int) -> int:
    moment = dt.datetime.fromtimestamp(start, dt.UTC)
    values = {k: int(v) for k, v in fields if v.lstrip("-").isdigit()}
    years = values.get("years", 0)
    months = values.get("months", 0)
    total_months = moment.month - 1 + months + 12 * years
    year = moment.year + total_months // 12
    month = total_months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    moved = moment.replace(year=year, month=month, day=day)
    moved += dt.timedelta(weeks=values.get("weeks", 0), days=values.get("days", 0),
                          hours=values.get("hours", 0), minutes=values.get("minutes", 0),
                          seconds=values.get("seconds", 0))
    return int(moved.timestamp()) - start


def _in_spec_range(value: int, spec: str) -> bool:
    if "-" in spec[1:]:
        lo, _, hi = spec.partition("-")
        return int(lo) <= value <= int(hi)
    return value == int(spec)


def _date_spec_matches(fields: tuple[tuple[str, str], ...], now: int) -> bool:
    t = dt.datetime.fromtimestamp(now, dt.UTC)
    iso = t.isocalendar()
    values = {
        "seconds": t.second, "minutes": t.minute, "hours": t.hour, "monthdays": t.day,
        "weekdays": iso[2], "yeardays": t.timetuple().tm_yday, "months": t.month,
        "weeks": iso[1], "years": t.year, "weekyears": iso[0],
    }
    for name, spec in fields:
        if name not in values:
            continue
        try:
            if not _in_spec_range(values[name], spec):
                return False
        except ValueError:
            return False
    return True


def _eval_date(expr: DateExpression, now: int) -> bool:
    start = parse_datetime(expr.start) if expr.start else None
    end = parse_datetime(expr.end) if expr.end else None
    if expr.operation == "gt":
        return start is not None and now > start
    if expr.operation == "lt":
        return end is not None and now < end
    if expr.operation == "date_spec":
        return expr.date_spec is not None and _date_spec_matches(expr.date_spec.fields, now)
    # in_range
    if end is None and start is not None and expr.duration:
        end = start + _duration_seconds(expr.duration, start)
    if start is not None and now < start:
        return False
    return not (end is not None and now > end)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.-]", text))


def _compare(left: str, right: str, kind: str | None, op: str) -> bool:
    cmp: int
    if kind == "version":
        a, b = _version(left), _version(right)
        cmp = (a > b) - (a < b)
    elif kind in ("integer", "number") or (kind is None and op in ("lt", "gt", "lte", "gte")):
        x, y = _number(left), _number(right)
        if x is None or y is None:
            # a side that is no number: Pacemaker compares the two as strings instead
            # [cases: rule-int-parse-fail-default-str-match, rule-dbl-parse-fail-...]
            cmp = (left.lower() > right.lower()) - (left.lower() < right.lower())
        else:
            if kind == "integer":
                x, y = float(int(x)), float(int(y))
            cmp = (x > y) - (x < y)
    else:  # strings compare case-insensitively, as Pacemaker does
        a_s, b_s = left.lower(), right.lower()
        cmp = (a_s > b_s) - (a_s < b_s)
    return {"eq": cmp == 0, "ne": cmp != 0, "lt": cmp < 0, "gt": cmp > 0, "lte": cmp <= 0,
            "gte": cmp >= 0}.get(op, False)


def _eval_attr(expr: AttrExpression, ctx: RuleContext) -> bool:
    attrs = ctx.node_attrs or {}
    value = attrs.get(expr.attribute)
    if expr.operation == "defined":
        return value is not None
    if expr.operation == "not_defined":
        return value is None
    if value is None or expr.value is None:
        return expr.operation == "ne" and (value is None) != (expr.value is None)
    return _compare(value, expr.value, expr.type, expr.operation)


def evaluate_expression(expr: Expression, ctx: RuleContext) -> bool:
    if isinstance(expr, Rule):
        return evaluate_rule(expr, ctx)
    if isinstance(expr, AttrExpression):
        return _eval_attr(expr, ctx)
    if isinstance(expr, DateExpression):
        return _eval_date(expr, ctx.now)
    if isinstance(expr, ResourceExpression):
        return ((expr.standard is None or expr.standard == ctx.rsc_standard)
                and (expr.provider is None or expr.provider == ctx.rsc_provider)
                and (expr.agent_type is None or expr.agent_type == ctx.rsc_type))
    if isinstance(expr, OpExpression):
        if ctx.op_name is None or expr.name != ctx.op_name:
            return False
        if expr.interval is None:
            return True
        from vigil.model.durations import parse_interval_ms

        return parse_interval_ms(expr.interval) == ctx.op_interval_ms
    return False


def evaluate_rule(rule: Rule, ctx: RuleContext) -> bool:
    if not rule.expressions:
        return True
    results = (evaluate_expression(e, ctx) for e in rule.expressions)
    if rule.boolean_op.strip().lower() == "or":
        return any(results)
    return all(results)
