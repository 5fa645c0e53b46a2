"""How Pacemaker reads the text of a CIB value: booleans.

Every "is this option on" in vigil asks `is_true`, so that `yes`, `on`, `Y` and `1` mean the
same thing everywhere, as they do to Pacemaker.
"""

from __future__ import annotations

# Pacemaker's crm_str_to_boolean, compared case-insensitively
_TRUE = frozenset({"true", "on", "yes", "y", "1"})
_FALSE = frozenset({"false", "off", "no", "n", "0"})


def parse_bool(value: str) -> bool | None:
    """True or False for the words Pacemaker knows as booleans, None for anything else
    (surrounding whitespace ignored)."""
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def is_true(value: str | None, default: bool = False) -> bool:
    """Pacemaker's crm_is_true: true, on, yes, y or 1, in any case; `default` when the value is
    not set. Unlike Pacemaker, surrounding whitespace is ignored (vigil always has)."""
    if value is None:
        return default
    return value.strip().lower() in _TRUE
