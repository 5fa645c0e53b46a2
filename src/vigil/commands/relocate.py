"""`vigil resource relocate show | dry-run [RSC...] | run [RSC...] | clear` (pcs): move
resources to the nodes they would choose if nothing held them where they are, which after a
failover and a recovery is usually where the operator wants them back.

The preferred node of a resource is the scheduler's choice on the CIB with every resource's
stickiness at 0 (constraints, failures, standby and the rest still count). `run` writes a
location constraint `pcs-relocate-RSC` (INFINITY on that node, pcs's id) for each resource not
there yet; the CLI then waits for the cluster to move them and removes the constraints; `clear`
removes any that were left (an interrupted run).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vigil.commands import edit
from vigil.commands.edit import Applied, RunningCluster
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import Location
from vigil.model.nvset import NvPair, NvSet
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone, Group, Primitive, Resource, walk
from vigil.model.score import INFINITY
from vigil.scheduler.engine import schedule

PREFIX = "pcs-relocate-"


@dataclass(frozen=True)
class Relocation:
    resource: str
    current: str | None
    preferred: str | None

    @property
    def moves(self) -> bool:
        return self.preferred is not None and self.current != self.preferred


def _unstuck(cib: Cib) -> Cib:
    """The CIB with no stickiness anywhere (defaults and each resource's own)."""
    def strip(sets: tuple[NvSet, ...]) -> tuple[NvSet, ...]:
        return tuple(dataclasses.replace(s, pairs=tuple(
            p for p in s.pairs if p.name not in ("resource-stickiness", "resource_stickiness")))
            for s in sets)

    def prim(p: Primitive) -> Primitive:
        return dataclasses.replace(p, meta_attributes=strip(p.meta_attributes))

    def group(g: Group) -> Group:
        return dataclasses.replace(g, meta_attributes=strip(g.meta_attributes),
                                   members=tuple(prim(m) for m in g.members))

    def rsc(r: Resource) -> Resource:
        if isinstance(r, Clone):
            child = prim(r.child) if isinstance(r.child, Primitive) else group(r.child)
            return dataclasses.replace(r, meta_attributes=strip(r.meta_attributes), child=child)
        if isinstance(r, Bundle):
            inner = prim(r.primitive) if r.primitive is not None else None
            return dataclasses.replace(r, meta_attributes=strip(r.meta_attributes),
                                       primitive=inner)
        return group(r) if isinstance(r, Group) else prim(r)

    zero = NvSet(id="vigil-relocate-defaults",
                 pairs=(NvPair("vigil-relocate-stickiness", "resource-stickiness", "0"),))
    config = cib.configuration
    return dataclasses.replace(cib, configuration=dataclasses.replace(
        config, resources=tuple(rsc(r) for r in config.resources),
        rsc_defaults=(zero, *strip(config.rsc_defaults)),
        constraints=tuple(c for c in config.constraints if not c.id.startswith(PREFIX))))


def plan(cib: Cib, now: int, resources: Sequence[str] = ()) -> tuple[Relocation, ...]:
    """Each top-level resource that is not a clone (or those named), where it runs and where it
    would run without stickiness."""
    tops = [r for r in cib.configuration.resources if not isinstance(r, Clone)]
    if resources:
        for name in resources:
            found = edit.require_resource(cib, name)
            if isinstance(found, Clone) or edit.enclosing_clone(cib, name) is not None:
                raise ReportError([reports.error("RELOCATE_CLONE", resource=name)])
        tops = [r for r in tops if r.id in resources or any(
            m.id in resources for m in walk((r,)))]
    now_t = {a.resource: a for a in schedule(cib, now).allocations}
    free_t = {a.resource: a for a in schedule(_unstuck(cib), now).allocations}
    out = []
    for r in tops:
        here = now_t.get(r.id)
        there = free_t.get(r.id)
        current = (here.current_nodes[0] if here and here.current_nodes else None)
        out.append(Relocation(r.id, current, there.next_node if there else None))
    return tuple(out)


def place(env: CibEnvironment, resources: Sequence[str] = ()) -> Applied:
    """`run`'s first step: a pcs-relocate-RSC constraint for each resource to move."""
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        moves = [r for r in plan(cib, env.now(), resources) if r.moves]
        taken = edit.used_ids(cib)
        kept = [c for c in cib.configuration.constraints if not c.id.startswith(PREFIX)]
        out: list[Report] = []
        for r in moves:
            cid = edit.unique_id(taken - {f"{PREFIX}{r.resource}"}, f"{PREFIX}{r.resource}")
            kept.append(Location(id=cid, rsc=r.resource, node=r.preferred, score=INFINITY))
            out.append(reports.info("RELOCATING", resource=r.resource,
                                    current=r.current or "nowhere", node=r.preferred))
        if not moves:
            out.append(reports.info("RELOCATE_NOTHING"))
        return edit.with_config(cib, constraints=tuple(kept)), out

    return edit.apply(env, change)


def clear(env: CibEnvironment) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        gone = [c.id for c in cib.configuration.constraints if c.id.startswith(PREFIX)]
        return edit.without_constraints(cib, set(gone)), [
            reports.info("CONSTRAINT_REMOVED", id=c) for c in gone]

    return edit.apply(env, change)


def run(env: CibEnvironment, resources: Sequence[str] = (), *, timeout: float = 120.0,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        poll: float = 0.5) -> Applied:
    """Place the constraints, wait until the resources run where they were sent, remove the
    constraints. A running cluster only. After a timeout the constraints are removed all the
    same (a resource that could not move must not stay pinned) and RELOCATE_TIMEOUT names it."""
    if not isinstance(env, RunningCluster):
        raise ReportError([reports.error("NEEDS_RUNNING_CLUSTER", command="resource relocate run")])
    placed = place(env, resources)
    targets = {c.rsc: c.node for c in placed.cib.configuration.constraints
               if isinstance(c, Location) and c.id.startswith(PREFIX) and c.rsc}

    def arrived() -> bool:
        now = {a.resource: a.current_nodes for a in schedule(env.get_cib(), env.now()).allocations}
        return all(now.get(rsc) == (node,) for rsc, node in targets.items())

    deadline = clock() + timeout
    while targets and not arrived() and clock() < deadline:
        sleep(poll)
    done = not targets or arrived()
    cleared = clear(env)
    out = list(placed.reports) + [r for r in cleared.reports]
    if not done:
        raise ReportError([reports.error("RELOCATE_TIMEOUT", seconds=f"{timeout:g}",
                                         resources=", ".join(sorted(targets)))])
    return Applied(cleared.cib, placed.changed, tuple(out))
