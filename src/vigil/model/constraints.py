"""Constraints: location (scores and rules), colocation, order, ticket, and their resource sets."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.rules import Rule
from vigil.model.xmlextra import NO_EXTRA, Extra


@dataclass(frozen=True)
class ResourceSet:
    id: str
    resources: tuple[str, ...]
    sequential: bool = True
    require_all: bool = True
    role: str | None = None
    action: str | None = None
    score: int | None = None
    ordering: str | None = None
    ref: str | None = None
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class Location:
    id: str
    rsc: str | None
    rsc_pattern: str | None = None
    node: str | None = None
    score: int | None = None
    rules: tuple[Rule, ...] = ()
    role: str | None = None
    resource_discovery: str | None = None
    sets: tuple[ResourceSet, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class Colocation:
    """`influence` is None when not set, and when the CIB's value is not a boolean: Pacemaker
    then uses the default (the dependent's `critical`); the text is kept in `extra.attrs`, so
    that a write gives it back."""

    id: str
    rsc: str | None
    with_rsc: str | None
    score: int
    rsc_role: str | None = None
    with_rsc_role: str | None = None
    node_attribute: str | None = None
    influence: bool | None = None
    sets: tuple[ResourceSet, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class Order:
    id: str
    first: str | None
    then: str | None
    first_action: str | None = None
    then_action: str | None = None
    kind: str | None = None  # Mandatory, Optional, Serialize
    symmetrical: bool | None = None
    score: int | None = None  # legacy: 0 means Optional
    require_all: bool = True
    sets: tuple[ResourceSet, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class TicketConstraint:
    """rsc_ticket: `rsc` (or each set's resources, in the set's role) may run in `rsc_role` only
    while the cluster holds `ticket`; `loss_policy` says what happens when it does not."""

    id: str
    ticket: str
    rsc: str | None = None
    rsc_role: str | None = None
    loss_policy: str | None = None  # stop (the default), demote, fence, freeze
    sets: tuple[ResourceSet, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class UnknownConstraint:
    """A constraint element vigil does not understand, kept as XML text."""

    id: str
    tag: str
    xml: str


Constraint = Location | Colocation | Order | TicketConstraint | UnknownConstraint
