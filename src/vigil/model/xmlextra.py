"""What vigil keeps of CIB XML it does not interpret, so that a write loses nothing."""

from __future__ import annotations

from dataclasses import dataclass

Attrs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Extra:
    """Attributes vigil does not model and child elements it does not understand (as XML text)."""

    attrs: Attrs = ()
    children: tuple[str, ...] = ()


NO_EXTRA = Extra()
