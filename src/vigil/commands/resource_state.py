"""Where each resource runs now and in which role, read from a ClusterStatus: the one reading
that `vigil status` (text and JSON), the health checks and the metrics share.

The Transition lists every resource as an Allocation (primitives, groups, clones) with its
parent; a clone's instances are `id:N`, and a group inside a clone is `g:N` with members `X:N`.
Roles are Pacemaker 2.1's words: Promoted, Unpromoted, Started, Stopped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vigil.commands.clone_shape import CloneShape
from vigil.scheduler.transition import Allocation

if TYPE_CHECKING:
    # a type only: the status command's module brings the editing commands, which
    # `vigil simulate` (through the status view) does without
    from vigil.commands.status import ClusterStatus

_ROLE_RANK = {"Stopped": 0, "Started": 1, "Unpromoted": 2, "Promoted": 3}


def instance_role(a: Allocation, promotable: bool) -> str:
    """The role an instance (or any resource) is in now, with the words Pacemaker 2.1 uses: an
    instance of a promotable clone that runs and is not promoted is Unpromoted."""
    role = {"Master": "Promoted", "Slave": "Unpromoted"}.get(a.current_role, a.current_role)
    if not a.current_nodes:
        return "Stopped"
    if promotable and role in ("Started", "Stopped"):
        return "Unpromoted"
    return role


def collective_role(roles: Iterable[str]) -> str:
    """A group's or clone's role: the highest of its members' (Promoted over Unpromoted over
    Started over Stopped)."""
    return max(roles, key=lambda r: _ROLE_RANK.get(r, 1), default="Stopped")


def base_id(instance: str) -> str:
    """A clone instance's resource id (`db:1` -> `db`); any other id is its own."""
    return instance.rsplit(":", 1)[0]


@dataclass(frozen=True)
class ResourceTree:
    """The Transition's allocations as a tree, with the shape of each clone."""

    allocations: tuple[Allocation, ...]
    by_id: Mapping[str, Allocation]
    children: Mapping[str, tuple[Allocation, ...]]
    shapes: Mapping[str, CloneShape]

    @classmethod
    def of(cls, status: ClusterStatus) -> ResourceTree:
        allocations = status.transition.allocations
        children: dict[str, list[Allocation]] = {}
        for a in allocations:
            if a.parent is not None:
                children.setdefault(a.parent, []).append(a)
        return cls(allocations=allocations, by_id={a.resource: a for a in allocations},
                   children={k: tuple(v) for k, v in children.items()},
                   shapes=dict(status.clones))

    def parent(self, a: Allocation) -> Allocation | None:
        return self.by_id.get(a.parent) if a.parent is not None else None

    def enclosing_clone(self, a: Allocation) -> Allocation | None:
        """The clone `a` is (part of) an instance of, if any."""
        up = self.parent(a)
        while up is not None and up.kind != "clone":
            up = self.parent(up)
        return up

    def enclosing_group(self, a: Allocation) -> Allocation | None:
        up = self.parent(a)
        return up if up is not None and up.kind == "group" else None

    def shape(self, clone: Allocation) -> CloneShape:
        return self.shapes.get(clone.resource, CloneShape())

    def in_promotable_clone(self, a: Allocation) -> bool:
        clone = self.enclosing_clone(a)
        return clone is not None and self.shape(clone).promotable

    def shown_id(self, a: Allocation) -> str:
        """The id crm_mon shows for `a`: an anonymous clone's instances (and their members)
        go by the resource's id, a globally unique clone's by their own (`db:0`)."""
        clone = self.enclosing_clone(a)
        if clone is None or self.shape(clone).unique:
            return a.resource
        return base_id(a.resource)

    def role(self, a: Allocation) -> str:
        """`a`'s role now: an instance's own, a group's or clone's the highest of its members'
        (a clone with a promoted instance is Promoted)."""
        if a.kind == "primitive":
            return instance_role(a, self.in_promotable_clone(a))
        return collective_role(self.role(c) for c in self.children.get(a.resource, ()))

    def nodes_below(self, a: Allocation) -> frozenset[str]:
        """Every node where some part of `a` is active (failed or not)."""
        if a.kind == "primitive":
            return frozenset(a.current_nodes)
        return frozenset(n for c in self.children.get(a.resource, ()) for n in self.nodes_below(c))

    def runs_on(self, a: Allocation, node: str) -> bool:
        """Whether `a` runs on `node` now, whole and not failed: a primitive is active there and
        not failed (the status shows a failed one as FAILED, and the cluster is about to
        recover it); a group when every member does; a clone when one of its instances does."""
        if a.kind == "primitive":
            return node in a.current_nodes and not a.failed
        kids = self.children.get(a.resource, ())
        if a.kind == "group":
            return bool(kids) and all(self.runs_on(k, node) for k in kids)
        return any(self.runs_on(k, node) for k in kids)

    def named(self, resource: str) -> tuple[Allocation, ...]:
        """The allocations a configured resource id stands for: the resource itself, or, for
        a resource inside a clone (`db`, a group `g` or its member `X`), all its instances.
        Empty when the cluster knows no such resource."""
        exact = self.by_id.get(resource)
        if exact is not None:
            return (exact,)
        return tuple(a for a in self.allocations if ":" in a.resource
                     and base_id(a.resource) == resource and self.enclosing_clone(a) is not None)
