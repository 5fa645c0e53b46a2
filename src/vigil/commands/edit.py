"""The shared step of every editing command: read one snapshot, transform it, push it whole.

A command's transformation is a pure function `Cib -> (Cib, reports)`. `apply` runs it on the
environment's snapshot; if any report is an error it raises them all (warnings included) and
pushes nothing, so bad input changes nothing. A transformation that changes nothing pushes
nothing either (no version bump), as Pacemaker's CIB does for a no-op update.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from vigil.cib import validate, write
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib, NodeConfig
from vigil.model.constraints import (
    Colocation,
    Constraint,
    Location,
    TicketConstraint,
    UnknownConstraint,
)
from vigil.model.nvset import NvPair, NvSet, first_value
from vigil.model.nvset import plain_value as plain_value  # now the model's; callers keep this name
from vigil.model.reports import Report, ReportError, Severity
from vigil.model.resources import Clone, Group, Primitive, Resource, walk

Change = Callable[[Cib], tuple[Cib, list[Report]]]


@dataclass(frozen=True)
class Applied:
    """What an editing command did: the CIB now stored, whether it changed, and its reports
    (warnings, and infos such as which constraint was created)."""

    cib: Cib
    changed: bool
    reports: tuple[Report, ...]


@runtime_checkable
class RunningCluster(Protocol):
    """What only a running cluster's environment can do (the live environment has it)."""

    def cleanup(self, resource: str, node: str | None) -> None:
        """Clear the resource's failures and history so it is probed again."""
        ...


def errors_of(found: Iterable[Report]) -> list[Report]:
    return [r for r in found if r.severity is Severity.ERROR]


def check(found: list[Report]) -> None:
    """Raise the reports if one of them is an error (the infos, which say what was done, are
    left out: nothing was)."""
    if errors_of(found):
        raise ReportError([r for r in found if r.severity is not Severity.INFO])


def apply(env: CibEnvironment, change: Change) -> Applied:
    cib = env.get_cib()
    new, found = change(cib)
    check(found)
    if new == cib:
        return Applied(cib, False, tuple(found))
    # An edit may not add an error. Those the CIB had already are there only when the
    # environment read a broken file with --force, to repair it: they may stay.
    before = {(r.code, r.fields) for r in errors_of(validate.validate(cib))}
    check(found + [r for r in errors_of(validate.validate(new)) if (r.code, r.fields) not in before])
    stored = env.push_cib(new, read_version=cib.version)
    return Applied(stored, True, tuple(found))


def with_config(cib: Cib, **changes: Any) -> Cib:
    """The CIB with fields of its configuration replaced (resources=..., constraints=...)."""
    return dataclasses.replace(cib, configuration=dataclasses.replace(cib.configuration,
                                                                      **changes))


def without_constraints(cib: Cib, ids: set[str]) -> Cib:
    return with_config(cib, constraints=tuple(c for c in cib.configuration.constraints
                                              if c.id not in ids))


# -- ids ---------------------------------------------------------------------------------------
_ID_FIRST = re.compile(r"^[A-Za-z_]")
_ID_REST = re.compile(r"[^A-Za-z0-9_.-]")


def valid_id(text: str) -> str:
    """`text` made into an XML id the way pcs does: bad characters dropped, a bad first one
    replaced by an underscore prefix."""
    cleaned = _ID_REST.sub("", text)
    if not cleaned or not _ID_FIRST.match(cleaned):
        cleaned = "_" + cleaned
    return cleaned


def id_problem(text: str, what: str) -> Report | None:
    """INVALID_ID when `text` is not usable as an id (as the CIB schema requires)."""
    if not text:
        return reports.error("INVALID_ID", id=text, what=what, reason="it is empty")
    if not _ID_FIRST.match(text):
        return reports.error("INVALID_ID", id=text, what=what,
                             reason=f"'{text[0]}' is not allowed as its first character")
    bad = _ID_REST.search(text)
    if bad:
        return reports.error("INVALID_ID", id=text, what=what,
                             reason=f"'{bad.group(0)}' is not allowed in an id")
    return None


def used_ids(cib: Cib) -> set[str]:
    """Every id the configuration defines (what a new element must not reuse)."""
    config = write.cib_element(cib).find("configuration")
    assert config is not None
    return {el.get("id", "") for el in config.iter() if el.get("id-ref") is None} - {""}


def unique_id(taken: set[str], wanted: str) -> str:
    """`wanted` (made valid), or with -1, -2... appended until unused; the result is taken."""
    base = valid_id(wanted)
    candidate, n = base, 0
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate


# -- name/value sets ---------------------------------------------------------------------------
def set_pairs(sets: tuple[NvSet, ...], values: Iterable[tuple[str, str]], *, set_id: str,
              taken: set[str]) -> tuple[NvSet, ...]:
    """Set (a non-empty value) or remove (an empty value) names in the sets without rules.

    A name already present is changed where it is; a new name goes to the first set without a
    rule, created with `set_id` if there is none. A set emptied by removals is dropped."""
    out = list(sets)
    for name, value in values:
        holders = [i for i, s in enumerate(out) if _plain(s) and any(p.name == name for p in s.pairs)]
        for i in holders:
            nvset = out[i]
            if value == "":
                pairs = tuple(p for p in nvset.pairs if p.name != name)
            else:
                pairs = tuple(dataclasses.replace(p, value=value) if p.name == name else p
                              for p in nvset.pairs)
            out[i] = dataclasses.replace(nvset, pairs=pairs)
        if holders or value == "":
            continue
        target = next((i for i, s in enumerate(out) if _plain(s)), None)
        if target is None:
            out.append(NvSet(id=unique_id(taken, set_id), pairs=()))
            target = len(out) - 1
        nvset = out[target]
        pair = NvPair(unique_id(taken, f"{nvset.id}-{name}"), name, value)
        out[target] = dataclasses.replace(nvset, pairs=(*nvset.pairs, pair))
    return tuple(s for s in out if s.pairs or not _plain(s) or s.extra.children)


def _plain(nvset: NvSet) -> bool:
    return nvset.rule is None and nvset.ref is None


# -- finding things ----------------------------------------------------------------------------
def find_resource(cib: Cib, rsc_id: str) -> Resource | None:
    for rsc in walk(cib.configuration.resources):
        if rsc.id == rsc_id:
            return rsc
    return None


def parent_of(cib: Cib, rsc_id: str) -> Group | Clone | None:
    for rsc in walk(cib.configuration.resources):
        if isinstance(rsc, Group) and any(m.id == rsc_id for m in rsc.members):
            return rsc
        if isinstance(rsc, Clone) and rsc.child.id == rsc_id:
            return rsc
    return None


def enclosing_clone(cib: Cib, rsc_id: str) -> Clone | None:
    parent = parent_of(cib, rsc_id)
    while parent is not None and not isinstance(parent, Clone):
        parent = parent_of(cib, parent.id)
    return parent


def resource_ids(cib: Cib) -> list[str]:
    return [r.id for r in walk(cib.configuration.resources)]


def require_resource(cib: Cib, rsc_id: str) -> Resource:
    rsc = find_resource(cib, rsc_id)
    if rsc is None:
        raise ReportError([not_found(cib, rsc_id)])
    return rsc


def not_found(cib: Cib, rsc_id: str) -> Report:
    known = resource_ids(cib)
    close = [k for k in known if rsc_id.lower() in k.lower() or k.lower() in rsc_id.lower()]
    return reports.error("RESOURCE_NOT_FOUND", resource=rsc_id,
                         suggestions=", ".join((close or known)[:8]) or "none")


def find_node(cib: Cib, name: str) -> NodeConfig | None:
    for node in cib.configuration.nodes:
        if node.uname == name:
            return node
    for node in cib.configuration.nodes:
        if node.id == name:
            return node
    return None


def node_names(cib: Cib) -> list[str]:
    return [n.uname for n in cib.configuration.nodes]


def remote_node_names(cib: Cib) -> list[str]:
    """Remote nodes (their connection resources, ocf:pacemaker:remote, are named after them)
    and guest nodes (a resource's remote-node meta-attribute): nodes the cluster places
    resources on that are not in <nodes> until they first run."""
    out: list[str] = []
    for prim in primitives(cib):
        if (prim.standard, prim.provider, prim.agent_type) == ("ocf", "pacemaker", "remote"):
            out.append(prim.id)
        guest = first_value(prim.meta_attributes, "remote-node")
        if guest:
            out.append(guest)
    return out


def require_node(cib: Cib, name: str) -> NodeConfig:
    node = find_node(cib, name)
    if node is None:
        raise ReportError([reports.error("NODE_NOT_FOUND", node=name,
                                         known=", ".join(node_names(cib)) or "none")])
    return node


def all_node_names(cib: Cib) -> list[str]:
    """Cluster nodes, then remote and guest nodes, each once."""
    return list(dict.fromkeys([*node_names(cib), *remote_node_names(cib)]))


def unknown_placement_node(cib: Cib, name: str, *, force: bool | None = None) -> Report | None:
    """NODE_NOT_FOUND unless `name` is a node a resource can be placed on or kept off: a cluster
    node, or a remote or guest node (which <nodes> may not list yet). `force` None: an error
    nothing overrides; else one `--force` overrides (a warning when given)."""
    if find_node(cib, name) is not None or name in remote_node_names(cib):
        return None
    known = ", ".join(all_node_names(cib)) or "none"
    if force is None:
        return reports.error("NODE_NOT_FOUND", node=name, known=known)
    return reports.unless_forced(force, "NODE_NOT_FOUND", node=name, known=known)


def require_placement_node(cib: Cib, name: str) -> str:
    problem = unknown_placement_node(cib, name)
    if problem is not None:
        raise ReportError([problem])
    return name


def primitives(cib: Cib) -> Iterator[Primitive]:
    for rsc in walk(cib.configuration.resources):
        if isinstance(rsc, Primitive):
            yield rsc


def constraint_resources(c: Constraint) -> set[str]:
    """The resources a constraint names, directly or in its sets."""
    if isinstance(c, UnknownConstraint):
        el = ET.fromstring(c.xml)
        named = {el.get("rsc", "")} | {ref.get("id", "") for ref in el.iter("resource_ref")}
        return named - {""}
    if isinstance(c, Location | TicketConstraint):
        direct = {c.rsc}
    elif isinstance(c, Colocation):
        direct = {c.rsc, c.with_rsc}
    else:
        direct = {c.first, c.then}
    return {r for r in direct if r} | {r for rs in c.sets for r in rs.resources}
