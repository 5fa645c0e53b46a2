"""The CIB's fencing-topology: pure helpers to list and edit its levels.

The levels are the model's (`Configuration.fencing_topology`, read and written by cib/); these
helpers add, remove and change them. What else the element holds is kept as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from vigil.model.cib import Configuration
from vigil.model.fencing import FencingLevel, FencingTopology


def levels(config: Configuration) -> tuple[FencingLevel, ...]:
    """Every level, in document order."""
    topology = config.fencing_topology
    return () if topology is None else topology.levels


def sorted_levels(found: Sequence[FencingLevel]) -> list[FencingLevel]:
    """By target, then index (how they are listed)."""
    return sorted(found, key=lambda lv: (lv.target_text, lv.index or 0))


def _with_topology(config: Configuration, topology: FencingTopology,
                   new_levels: Sequence[FencingLevel]) -> Configuration:
    return dataclasses.replace(config, fencing_topology=dataclasses.replace(
        topology, levels=tuple(new_levels)))


def with_levels(config: Configuration, *, add: Sequence[FencingLevel] = (),
                remove: Collection[str] = ()) -> Configuration:
    """The configuration with the levels whose ids are in `remove` taken out and `add` appended.
    The section is created when needed and kept (even empty) once it exists."""
    topology = config.fencing_topology
    if topology is None:
        if not add:
            return config
        topology = FencingTopology()
    kept = [lv for lv in topology.levels if lv.id not in remove]
    return _with_topology(config, topology, [*kept, *add])


def without_devices(config: Configuration, gone: Collection[str]
                    ) -> tuple[Configuration, list[FencingLevel], list[FencingLevel]]:
    """The configuration with the devices in `gone` taken out of every level, in place: a level
    left without devices goes. Returns (configuration, changed levels as they are now, removed
    levels as they were)."""
    topology = config.fencing_topology
    if topology is None:
        return config, [], []
    changed: list[FencingLevel] = []
    removed: list[FencingLevel] = []
    out: list[FencingLevel] = []
    for level in topology.levels:
        kept = tuple(d for d in level.devices if d not in gone)
        if kept == level.devices:
            out.append(level)
        elif kept:
            now = dataclasses.replace(level, devices=kept)
            changed.append(now)
            out.append(now)
        else:
            removed.append(level)
    if not changed and not removed:
        return config, [], []
    return _with_topology(config, topology, out), changed, removed
