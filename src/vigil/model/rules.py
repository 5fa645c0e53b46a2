"""Rules of location constraints and attribute sets (Pacemaker's rule grammar)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vigil.model.xmlextra import NO_EXTRA, Extra


@dataclass(frozen=True)
class AttrExpression:
    id: str
    attribute: str
    operation: str  # lt gt lte gte eq ne defined not_defined
    value: str | None = None
    type: str | None = None  # string, integer, number, version
    value_source: str | None = None  # literal, param, meta
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class DateSpec:
    id: str
    fields: tuple[tuple[str, str], ...]  # hours="9-16", weekdays="1-5", ...


@dataclass(frozen=True)
class DateExpression:
    id: str
    operation: str  # in_range, gt, lt, date_spec
    start: str | None = None
    end: str | None = None
    duration: tuple[tuple[str, str], ...] | None = None
    date_spec: DateSpec | None = None
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class ResourceExpression:
    id: str
    standard: str | None = None
    provider: str | None = None
    agent_type: str | None = None


@dataclass(frozen=True)
class OpExpression:
    id: str
    name: str
    interval: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    expressions: tuple[Expression, ...]
    boolean_op: str = "and"
    score: int | None = None
    score_attribute: str | None = None
    role: str | None = None
    ref: str | None = None  # written back as id-ref when set
    extra: Extra = field(default=NO_EXTRA)


Expression = Rule | AttrExpression | DateExpression | ResourceExpression | OpExpression
