"""Time spans as Pacemaker writes them: "10", "10s", "500ms", "2min", "1h", or ISO 8601 "PT10S"."""

from __future__ import annotations

import re

_UNITS_MS = {
    "": 1000, "s": 1000, "sec": 1000, "secs": 1000, "ms": 1, "msec": 1, "msecs": 1,
    "us": 0, "usec": 0, "m": 60_000, "min": 60_000, "mins": 60_000, "h": 3_600_000, "hr": 3_600_000,
}
_PLAIN = re.compile(r"^\s*(\d+)\s*([a-zA-Z]*)\s*$")
# ISO 8601 durations; Pacemaker also accepts seconds without the "T" ("P10S").
_ISO = re.compile(r"^P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def parse_interval_ms(text: str | None) -> int | None:
    """Milliseconds, or None if the text is not a duration."""
    if text is None:
        return None
    s = text.strip()
    if not s:
        return 0
    m = _PLAIN.match(s)
    if m:
        unit = m.group(2).lower()
        if unit not in _UNITS_MS:
            return None
        if unit in ("us", "usec"):
            return int(m.group(1)) // 1000
        return int(m.group(1)) * _UNITS_MS[unit]
    m = _ISO.match(s.upper())
    if m and any(m.groups()):
        days, hours, mins, secs = (int(g) if g else 0 for g in m.groups())
        return ((days * 24 + hours) * 60 + mins) * 60_000 + secs * 1000
    return None
