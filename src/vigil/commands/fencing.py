"""Fencing: the topology levels in the CIB, and fencing, confirming and the fencing history on
the running cluster.

Levels are configuration: they work on a CIB file as on the running cluster. Fencing a node,
confirming that a node is down, and the history are acts of the running cluster's fencer: they
need an environment that is a `FencingCluster` (the live one); on a CIB file they raise
FENCING_NEEDS_RUNNING_CLUSTER.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from vigil.commands import edit, fencing_topology
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.daemon import control
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.fencing import MAX_LEVEL_INDEX, FencingLevel
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Primitive

# One fencing operation, its outcome (`stonith fence`) or a history entry: the type the control
# socket carries it in, so that what vigild sent is what the commands return.
FenceEvent = control.FenceOutcome


@runtime_checkable
class FencingCluster(Protocol):
    """What only a running cluster can do about fencing (the live environment has it)."""

    def fence(self, node: str, action: str) -> FenceEvent:
        """Fence `node` ("reboot" or "off") through the cluster's fencer and wait for the
        outcome, which says whether it worked. Raises ReportError when it could not even be
        asked (daemon not running...)."""
        ...

    def confirm(self, node: str) -> None:
        """Tell the cluster `node` is down (fenced by hand), so its resources are recovered."""
        ...

    def fence_history(self) -> tuple[FenceEvent, ...]:
        """Every fencing operation the cluster remembers."""
        ...


def _live(env: CibEnvironment, command: str) -> FencingCluster:
    if not isinstance(env, FencingCluster):
        raise ReportError([reports.error("FENCING_NEEDS_RUNNING_CLUSTER", command=command)])
    return env


# -- levels ------------------------------------------------------------------------------------
def _stonith_ids(cib: Cib) -> list[str]:
    return [p.id for p in edit.primitives(cib) if p.standard == "stonith"]


def split_devices(words: Sequence[str]) -> list[str]:
    """`DEV1,DEV2 DEV3` -> [DEV1, DEV2, DEV3] (pcs takes both spellings)."""
    return [d.strip() for w in words for d in w.split(",") if d.strip()]


def _index(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_LEVEL_INDEX:
        raise ReportError([reports.error("FENCING_LEVEL_INVALID", level=text,
                                         max=MAX_LEVEL_INDEX)])
    return int(text)


def level_add(env: CibEnvironment, level: str, node: str, devices: Sequence[str], *,
              force: bool = False) -> Applied:
    """Add level `level` for `node`: the devices (fence devices of the CIB) that fence it, all
    of which must succeed. An unknown node or device is an error unless forced."""
    index = _index(level)
    names = split_devices(devices)
    if not names:
        raise ReportError([reports.error("FENCING_LEVEL_NO_DEVICES")])
    if len(set(names)) != len(names):
        raise ReportError([reports.error("FENCING_LEVEL_DEVICE_TWICE",
                                         devices=",".join(names))])

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out: list[Report] = []
        fence_ids = _stonith_ids(cib)
        for name in names:
            rsc = edit.find_resource(cib, name)
            if rsc is None:
                out.append(reports.unless_forced(force, "FENCE_DEVICE_NOT_FOUND", device=name,
                                                 known=", ".join(fence_ids) or "none"))
            elif not (isinstance(rsc, Primitive) and rsc.standard == "stonith"):
                out.append(reports.error("NOT_A_FENCE_DEVICE", device=name))
        if edit.find_node(cib, node) is None:
            out.append(reports.unless_forced(force, "FENCING_TARGET_NOT_FOUND", node=node,
                                             known=", ".join(edit.node_names(cib)) or "none"))
        existing = fencing_topology.levels(cib.configuration)
        for lv in existing:
            if lv.target == node and lv.index == index:
                out.append(reports.error("FENCING_LEVEL_EXISTS", level=index, node=node,
                                         devices=",".join(lv.devices)))
        edit.check(out)
        new_level = FencingLevel(id=edit.unique_id(edit.used_ids(cib), f"fl-{node}-{index}"),
                                 index=index, devices=tuple(names), target=node)
        config = fencing_topology.with_levels(cib.configuration, add=[new_level])
        out.append(reports.info("FENCING_LEVEL_ADDED", level=index, node=node,
                                devices=",".join(names)))
        return edit.with_config(cib, fencing_topology=config.fencing_topology), out

    return edit.apply(env, change)


def level_remove(env: CibEnvironment, level: str, node: str | None = None,
                 devices: Sequence[str] = ()) -> Applied:
    """Remove level `level` (of `node` only, when given; of every target otherwise; with
    `devices`, only the level made of exactly those devices, as pcs's `target T stonith D...`
    narrows it)."""
    index = _index(level)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        gone = [lv for lv in fencing_topology.levels(cib.configuration)
                if lv.index == index and (node is None or lv.target == node)
                and (not devices or tuple(lv.devices) == tuple(devices))]
        if not gone:
            raise ReportError([reports.error("FENCING_LEVEL_NOT_FOUND", level=index,
                                             node=node or "")])
        config = fencing_topology.with_levels(cib.configuration, remove={lv.id for lv in gone})
        return edit.with_config(cib, fencing_topology=config.fencing_topology), [
            reports.info("FENCING_LEVEL_REMOVED", level=lv.index, node=lv.target_text,
                         devices=",".join(lv.devices)) for lv in gone]

    return edit.apply(env, change)


def level_clear(env: CibEnvironment, node: str | None = None,
                devices: Sequence[str] = ()) -> Applied:
    """Remove every level (of `node`, when given; made of exactly `devices`, when given)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        gone = [lv for lv in fencing_topology.levels(cib.configuration)
                if (node is None or lv.target == node)
                and (not devices or tuple(lv.devices) == tuple(devices))]
        config = fencing_topology.with_levels(cib.configuration, remove={lv.id for lv in gone})
        return edit.with_config(cib, fencing_topology=config.fencing_topology), [
            reports.info("FENCING_LEVEL_REMOVED", level=lv.index, node=lv.target_text,
                         devices=",".join(lv.devices)) for lv in gone]

    return edit.apply(env, change)


def level_verify(env: CibEnvironment) -> tuple[Report, ...]:
    """pcs's `stonith level verify`: every level's devices are fence devices of this CIB and
    its target a node of it (a pattern or attribute target is not checked: it may match nodes
    added later). Errors, one per problem; none when all is well."""
    cib = env.get_cib()
    devices = set(_stonith_ids(cib))
    nodes = set(edit.node_names(cib)) | {n.id for n in cib.configuration.nodes}
    out: list[Report] = []
    for level in fencing_topology.levels(cib.configuration):
        index = level.index if level.index is not None else "?"
        for device in level.devices:
            if device not in devices:
                out.append(reports.error("FENCING_LEVEL_UNKNOWN_DEVICE", level=index,
                                         device=device, target=level.target or "?"))
        if level.target is not None and level.target not in nodes:
            out.append(reports.error("FENCING_LEVEL_UNKNOWN_TARGET", level=index,
                                     target=level.target))
    return tuple(out)


def levels(env: CibEnvironment) -> tuple[FencingLevel, ...]:
    """The levels, by target then index."""
    return tuple(fencing_topology.sorted_levels(fencing_topology.levels(
        env.get_cib().configuration)))


# -- acts of the running cluster ---------------------------------------------------------------
def fence(env: CibEnvironment, node: str, *, off: bool = False) -> FenceEvent:
    """Fence `node` now (reboot, or power it off with `off`). Raises FENCE_FAILED with the
    outcome's detail when no device could fence it."""
    cluster = _live(env, "stonith fence")
    edit.require_node(env.get_cib(), node)
    outcome = cluster.fence(node, "off" if off else "reboot")
    if not outcome.ok:
        raise ReportError([reports.error("FENCE_FAILED", node=node, action=outcome.action,
                                         detail=outcome.detail or "no reason given")])
    return outcome


def confirm(env: CibEnvironment, node: str) -> tuple[Report, ...]:
    """Tell the cluster that `node` is down. The caller must have made sure it is (and asked
    the operator): if it is not, its resources run twice."""
    cluster = _live(env, "stonith confirm")
    edit.require_node(env.get_cib(), node)
    cluster.confirm(node)
    return (reports.info("FENCE_CONFIRMED", node=node),)


def history(env: CibEnvironment, node: str | None = None) -> tuple[FenceEvent, ...]:
    """The fencing history (of `node`, when given), oldest first."""
    cluster = _live(env, "stonith history")
    events = [e for e in cluster.fence_history() if node is None or e.target == node]
    return tuple(sorted(events, key=lambda e: e.time or 0))
