"""The CIB's fencing-topology: pure helpers to read and edit its levels.

The model keeps `<fencing-topology>` as XML text among `Configuration.extra.children`; these
helpers parse it into `FencingLevel` values and write it back with levels added or removed.
Everything else in the element (its attributes, unknown children, levels by pattern or
attribute) is kept as it was.

A level (Pacemaker's `fencing-level`): `index` 1-9, tried in ascending order; one of `target`
(a node name), `target-pattern` (a regular expression) or `target-attribute`/`target-value`;
and `devices`, comma-separated, all of which must succeed for the level to succeed.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from vigil.model.cib import Configuration

TAG = "fencing-topology"
LEVEL_TAG = "fencing-level"
MAX_INDEX = 9


@dataclass(frozen=True)
class FencingLevel:
    id: str
    index: int  # 0 when the CIB's value is not a number
    devices: tuple[str, ...]
    target: str | None = None
    target_pattern: str | None = None
    target_attribute: str | None = None
    target_value: str | None = None

    @property
    def target_text(self) -> str:
        """The target as pcs prints it: a node, `regexp%PATTERN` or `attribute NAME=VALUE`."""
        if self.target is not None:
            return self.target
        if self.target_pattern is not None:
            return f"regexp%{self.target_pattern}"
        return f"attribute {self.target_attribute}={self.target_value or ''}"


def _position(config: Configuration) -> int | None:
    for i, text in enumerate(config.extra.children):
        if text.lstrip().startswith(f"<{TAG}") and ET.fromstring(text).tag == TAG:
            return i
    return None


def _element(config: Configuration) -> ET.Element | None:
    at = _position(config)
    return None if at is None else ET.fromstring(config.extra.children[at])


def _level(el: ET.Element) -> FencingLevel:
    index = el.get("index", "")
    devices = tuple(d.strip() for d in el.get("devices", "").split(",") if d.strip())
    return FencingLevel(id=el.get("id", ""), index=int(index) if index.isdigit() else 0,
                        devices=devices, target=el.get("target"),
                        target_pattern=el.get("target-pattern"),
                        target_attribute=el.get("target-attribute"),
                        target_value=el.get("target-value"))


def levels(config: Configuration) -> tuple[FencingLevel, ...]:
    """Every level, in document order."""
    el = _element(config)
    return () if el is None else tuple(_level(c) for c in el if c.tag == LEVEL_TAG)


def sorted_levels(found: Sequence[FencingLevel]) -> list[FencingLevel]:
    """By target, then index (how they are listed)."""
    return sorted(found, key=lambda lv: (lv.target_text, lv.index))


def _new_element(level: FencingLevel) -> ET.Element:
    el = ET.Element(LEVEL_TAG, {"id": level.id, "index": str(level.index)})
    for name, value in (("target", level.target), ("target-pattern", level.target_pattern),
                        ("target-attribute", level.target_attribute),
                        ("target-value", level.target_value)):
        if value is not None:
            el.set(name, value)
    el.set("devices", ",".join(level.devices))
    return el


def with_levels(config: Configuration, *, add: Sequence[FencingLevel] = (),
                remove: Collection[str] = ()) -> Configuration:
    """The configuration with the levels whose ids are in `remove` taken out and `add` appended.
    The section is created when needed and kept (even empty) once it exists."""
    el = _element(config)
    if el is None:
        if not add:
            return config
        el = ET.Element(TAG)
    for child in list(el):
        if child.tag == LEVEL_TAG and child.get("id") in remove:
            el.remove(child)
    for level in add:
        el.append(_new_element(level))
    text = ET.tostring(el, encoding="unicode").strip()
    children = list(config.extra.children)
    at = _position(config)
    if at is None:
        children.append(text)
    else:
        children[at] = text
    extra = dataclasses.replace(config.extra, children=tuple(children))
    return dataclasses.replace(config, extra=extra)


def without_devices(config: Configuration, gone: Collection[str]
                    ) -> tuple[Configuration, list[FencingLevel], list[FencingLevel]]:
    """The configuration with the devices in `gone` taken out of every level, in place: a level
    left without devices goes. Returns (configuration, changed levels as they are now, removed
    levels as they were)."""
    el = _element(config)
    if el is None:
        return config, [], []
    changed: list[FencingLevel] = []
    removed: list[FencingLevel] = []
    for child in list(el):
        if child.tag != LEVEL_TAG:
            continue
        devices = [d.strip() for d in child.get("devices", "").split(",") if d.strip()]
        kept = [d for d in devices if d not in gone]
        if kept == devices:
            continue
        if kept:
            child.set("devices", ",".join(kept))
            changed.append(_level(child))
        else:
            removed.append(_level(child))
            el.remove(child)
    if not changed and not removed:
        return config, [], []
    children = list(config.extra.children)
    at = _position(config)
    assert at is not None
    children[at] = ET.tostring(el, encoding="unicode").strip()
    extra = dataclasses.replace(config.extra, children=tuple(children))
    return dataclasses.replace(config, extra=extra), changed, removed
