"""Fencing: the CIB's fencing-topology, and the outcome of one fencing request.

A level (Pacemaker's `fencing-level`): `index` 1-9, tried in ascending order; one of `target`
(a node name), `target-pattern` (a regular expression) or `target-attribute`/`target-value`;
and `devices`, comma-separated, all of which must succeed for the level to succeed. cib/read.py
reads `<fencing-topology>` into `FencingTopology`, cib/write.py writes it; the commands and the
fencer work on these values, never on the XML.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass

from vigil.model.xmlextra import NO_EXTRA, Extra

MAX_LEVEL_INDEX = 9


@dataclass(frozen=True)
class FencingLevel:
    """One fencing-level. `index` is None when the CIB's value is not an integer (the text is
    then kept in `extra.attrs`, so that a write gives it back); `devices` are the ids, in order.
    Unknown attributes are kept in `extra`."""

    id: str
    index: int | None
    devices: tuple[str, ...]
    target: str | None = None
    target_pattern: str | None = None
    target_attribute: str | None = None
    target_value: str | None = None
    extra: Extra = NO_EXTRA

    @property
    def target_text(self) -> str:
        """The target as pcs prints it: a node, `regexp%PATTERN` or `attribute NAME=VALUE`."""
        if self.target is not None:
            return self.target
        if self.target_pattern is not None:
            return f"regexp%{self.target_pattern}"
        return f"attribute {self.target_attribute}={self.target_value or ''}"

    def matches(self, node: str, attributes: Mapping[str, str]) -> bool:
        """Whether the level is for `node` (whose node attributes are `attributes`). Node
        names compare case-insensitively, as in pacemaker-fenced; a pattern that is not a
        regular expression matches nothing."""
        if self.target is not None:
            return self.target.lower() == node.lower()
        if self.target_pattern is not None:
            try:
                return re.search(self.target_pattern, node) is not None
            except re.error:
                return False
        if self.target_attribute is not None:
            return attributes.get(self.target_attribute) == self.target_value
        return False


@dataclass(frozen=True)
class FencingTopology:
    """The `<fencing-topology>` element: its levels in document order. What else it holds
    (attributes, other children) is kept in `extra` and written after the levels."""

    levels: tuple[FencingLevel, ...] = ()
    extra: Extra = NO_EXTRA


class FenceStatus(enum.Enum):
    OK = "ok"
    NO_DEVICE = "no-device"  # no device (or no complete level) can fence the target
    FAILED = "failed"  # every level or device tried failed
    TIMEOUT = "timeout"  # as FAILED, but the last agent was killed at its timeout, or the overall
    # bound passed first


@dataclass(frozen=True)
class FenceOutcome:
    """What one fencing request came to: the fencer returns it, the daemon records it."""

    target: str
    action: str  # reboot | off | on
    status: FenceStatus
    detail: str
    devices: tuple[str, ...] = ()  # devices whose agent was run for the action, in order
    level: int | None = None  # index of the level that succeeded (or was tried last); None without topology
    delays_ms: tuple[tuple[str, int], ...] = ()  # (device, delay) applied before its first attempt
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is FenceStatus.OK

    @property
    def device(self) -> str:
        """The devices used, comma-separated (as the fencing history records them)."""
        return ",".join(self.devices)
