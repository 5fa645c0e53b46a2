"""Resources of the configuration: primitives, groups, clones (promotable or not), bundles
(see bundles.py), operations, and the templates primitives may be made from."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.bundles import Bundle
from vigil.model.nvset import NvSet
from vigil.model.xmlextra import NO_EXTRA, Extra


@dataclass(frozen=True)
class Operation:
    id: str
    name: str
    interval: str  # as written ("10s", "0", "10000ms"); see interval_ms
    interval_ms: int
    role: str | None = None
    on_fail: str | None = None
    timeout: str | None = None
    enabled: bool = True
    instance_attributes: tuple[NvSet, ...] = ()
    meta_attributes: tuple[NvSet, ...] = ()
    ref: str | None = None
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class Primitive:
    id: str
    standard: str  # the "class" attribute: ocf, lsb, systemd, service, stonith
    agent_type: str
    provider: str | None = None
    instance_attributes: tuple[NvSet, ...] = ()
    meta_attributes: tuple[NvSet, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    operations: tuple[Operation, ...] = ()
    extra: Extra = NO_EXTRA
    # The <template> it is made from: what it leaves unset comes from there (see
    # vigil.model.templates.derive); its standard and agent_type are "" when it names none.
    template: str | None = None

    @property
    def agent(self) -> str:
        if self.provider:
            return f"{self.standard}:{self.provider}:{self.agent_type}"
        return f"{self.standard}:{self.agent_type}"


@dataclass(frozen=True)
class Template:
    """A <template>: a primitive's settings that primitives naming it (template=) share.
    It is not a resource itself; a constraint naming it means every primitive made from it."""

    id: str
    standard: str
    agent_type: str
    provider: str | None = None
    instance_attributes: tuple[NvSet, ...] = ()
    meta_attributes: tuple[NvSet, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    operations: tuple[Operation, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class Group:
    id: str
    members: tuple[Primitive, ...]
    meta_attributes: tuple[NvSet, ...] = ()
    instance_attributes: tuple[NvSet, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class Clone:
    id: str
    child: Primitive | Group
    meta_attributes: tuple[NvSet, ...] = ()
    instance_attributes: tuple[NvSet, ...] = ()
    legacy_master: bool = False  # written as <master> (a promotable clone of the old syntax)
    extra: Extra = NO_EXTRA


Resource = Primitive | Group | Clone | Bundle


def children(rsc: Resource) -> tuple[Resource, ...]:
    """A resource's direct children: a group's members, a clone's child, a bundle's primitive."""
    if isinstance(rsc, Group):
        return rsc.members
    if isinstance(rsc, Clone):
        return (rsc.child,)
    if isinstance(rsc, Bundle) and rsc.primitive is not None:
        return (rsc.primitive,)
    return ()


def walk(resources: tuple[Resource, ...]) -> list[Resource]:
    """Every resource and nested child, parents before children, in document order."""
    out: list[Resource] = []
    for rsc in resources:
        out.append(rsc)
        out.extend(walk(children(rsc)))
    return out
