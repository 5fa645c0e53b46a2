"""A resource's meta attributes as Pacemaker resolves them: its own, then its parents' (group,
clone), then the resource defaults. Sets with rules are not evaluated (their values are skipped),
which is what a check of the configuration, rather than of one moment, wants."""

from __future__ import annotations

from vigil.commands import edit
from vigil.model.cib import Cib
from vigil.model.nvset import NvSet


def _plain(sets: tuple[NvSet, ...], name: str) -> str | None:
    for nvset in sorted(sets, key=lambda s: -s.score):
        if nvset.rule is None:
            value = nvset.get(name)
            if value is not None:
                return value
    return None


def meta_value(cib: Cib, rsc_id: str, name: str) -> str | None:
    """The value of meta attribute `name` for resource `rsc_id`, or None when nothing sets it."""
    rsc = edit.find_resource(cib, rsc_id)
    while rsc is not None:
        value = _plain(rsc.meta_attributes, name)
        if value is not None:
            return value
        rsc = edit.parent_of(cib, rsc.id)
    return _plain(cib.configuration.rsc_defaults, name)


def own_meta(cib: Cib, rsc_id: str, name: str) -> str | None:
    """The value set on the resource itself (not inherited)."""
    rsc = edit.find_resource(cib, rsc_id)
    return _plain(rsc.meta_attributes, name) if rsc is not None else None
