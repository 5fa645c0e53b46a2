"""Pacemaker scores: integers clamped to +-INFINITY (1000000) with -INFINITY winning."""

from __future__ import annotations

INFINITY = 1_000_000
_TEXT = {"INFINITY": INFINITY, "+INFINITY": INFINITY, "-INFINITY": -INFINITY}


def parse_score(text: str | None, default: int = 0) -> int:
    """Parse like Pacemaker: exact (case-sensitive) INFINITY words, else a leading integer.

    Trailing junk is ignored ("2.0" is 2) and text without digits gives `default`.
    """
    if text is None:
        return default
    s = text.strip()
    if s in _TEXT:
        return _TEXT[s]
    i = 0
    if i < len(s) and s[i] in "+-":
        i += 1
    j = i
    while j < len(s) and s[j].isdigit():
        j += 1
    if j == i:
        return default
    return clamp(int(s[:j]))


def is_valid_score(text: str) -> bool:
    """Whether `text` is a score Pacemaker's schema accepts (INFINITY words or an integer)."""
    s = text.strip()
    if s in _TEXT or s in ("red", "yellow", "green"):
        return True
    body = s[1:] if s[:1] in "+-" else s
    return body.isdigit()


def clamp(value: int) -> int:
    return max(-INFINITY, min(INFINITY, value))


def add(a: int, b: int) -> int:
    """Score addition: -INFINITY absorbs everything, then +INFINITY, else a clamped sum."""
    if a <= -INFINITY or b <= -INFINITY:
        return -INFINITY
    if a >= INFINITY or b >= INFINITY:
        return INFINITY
    return clamp(a + b)


def format_score(value: int) -> str:
    if value >= INFINITY:
        return "INFINITY"
    if value <= -INFINITY:
        return "-INFINITY"
    return str(value)
