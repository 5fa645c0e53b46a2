"""Name/value attribute sets: instance, meta, utilization, cluster properties, node attributes."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.rules import Rule
from vigil.model.xmlextra import NO_EXTRA, Extra


@dataclass(frozen=True)
class NvPair:
    id: str
    name: str
    value: str | None
    ref: str | None = None  # id-ref of another nvpair, written back as such


@dataclass(frozen=True)
class NvSet:
    id: str
    pairs: tuple[NvPair, ...]
    rule: Rule | None = None
    score: int = 0  # precedence among sets: higher first
    ref: str | None = None  # the set was an id-ref to this id; its content is resolved
    extra: Extra = NO_EXTRA

    def get(self, name: str) -> str | None:
        for pair in self.pairs:
            if pair.name == name:
                return pair.value
        return None


def first_value(sets: tuple[NvSet, ...], name: str) -> str | None:
    """The value of `name` in the first set (by precedence) that has it, ignoring rules."""
    for nvset in sorted_sets(sets):
        for pair in nvset.pairs:
            if pair.name == name:
                return pair.value
    return None


def plain_value(sets: tuple[NvSet, ...], name: str) -> str | None:
    """The value of `name` in the sets without rules (what `commands.edit.set_pairs` edits)."""
    for nvset in sets:
        if nvset.rule is None:
            value = nvset.get(name)
            if value is not None:
                return value
    return None


def sorted_sets(sets: tuple[NvSet, ...]) -> list[NvSet]:
    """Sets by descending score, keeping document order among equals."""
    return sorted(sets, key=lambda s: -s.score)


def flatten(sets: tuple[NvSet, ...]) -> dict[str, str]:
    """All pairs, earlier (higher-precedence) sets winning; rules are not evaluated here."""
    out: dict[str, str] = {}
    for nvset in sorted_sets(sets):
        for pair in nvset.pairs:
            if pair.value is not None:
                out.setdefault(pair.name, pair.value)
    return out
