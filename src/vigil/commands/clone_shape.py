"""What a clone's configuration says of its shape (promotable, globally unique), which the
scheduler's Transition does not carry and the status and a simulation show.

Apart from the other clone commands (vigil.commands.clone) so that `vigil simulate` reads it
without importing the editing commands and the daemon's client they bring.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.cib import Cib
from vigil.model.nvset import plain_value
from vigil.model.resources import Clone, Resource, walk
from vigil.model.values import is_true


@dataclass(frozen=True)
class CloneShape:
    """What the status shows of a clone that the scheduler's Transition does not carry."""

    promotable: bool = False
    unique: bool = False


def is_promotable(rsc: Resource) -> bool:
    """A clone whose instances have the Promoted and Unpromoted roles."""
    if not isinstance(rsc, Clone):
        return False
    return rsc.legacy_master or is_true(plain_value(rsc.meta_attributes, "promotable"),
                                        default=False)


def clone_shapes(cib: Cib) -> tuple[tuple[str, CloneShape], ...]:
    """Each clone's id and whether it is promotable and globally unique."""
    return tuple((r.id, CloneShape(
        promotable=is_promotable(r),
        unique=is_true(plain_value(r.meta_attributes, "globally-unique"), default=False)))
        for r in walk(cib.configuration.resources) if isinstance(r, Clone))
