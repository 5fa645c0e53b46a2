"""Library commands on cluster properties (crm_config): set, unset, list.

Properties live in the `cib-bootstrap-options` set, as pcs and Pacemaker write them. Names are
checked against Pacemaker's cluster options and values against their types; `--force` lets an
unknown name or a bad value through.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vigil.commands import edit, options
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.nvset import NvSet
from vigil.model.reports import Report, ReportError

BOOTSTRAP = "cib-bootstrap-options"


@dataclass(frozen=True)
class Property:
    name: str
    value: str | None  # None: not set, `default` applies
    default: str | None
    set: bool


def _check(name: str, value: str, force: bool) -> list[Report]:
    spec = options.by_name(options.CLUSTER_OPTIONS).get(name)
    if spec is None:
        close = [s.name for s in options.CLUSTER_OPTIONS
                 if name.lower().replace("_", "-") in s.name or s.name in name.lower()]
        return [reports.unless_forced(force, "PROPERTY_UNKNOWN", name=name,
                                      suggestions=", ".join(close[:5]))]
    if spec.readonly:
        return [reports.unless_forced(force, "PROPERTY_READ_ONLY", name=name)]
    wanted = options.value_problem(spec, value)
    if wanted:
        return [reports.unless_forced(force, "INVALID_OPTION_VALUE", option=name, value=value,
                                      expected=wanted)]
    return []


def _bootstrap_first(sets: tuple[NvSet, ...]) -> tuple[NvSet, ...]:
    """The sets with cib-bootstrap-options first, so that edits land in it."""
    return tuple(sorted(sets, key=lambda s: s.id != BOOTSTRAP))


def _in_document_order(original: tuple[NvSet, ...], edited: tuple[NvSet, ...]
                       ) -> tuple[NvSet, ...]:
    order = [s.id for s in original]
    return tuple(sorted(edited, key=lambda s: order.index(s.id) if s.id in order else -1))


def set_properties(env: CibEnvironment, pairs: Sequence[tuple[str, str]], *,
                   force: bool = False) -> Applied:
    """Set cluster properties; an empty value removes one."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out: list[Report] = []
        for name, value in pairs:
            if value != "":
                out += _check(name, value, force)
        taken = edit.used_ids(cib)
        sets = cib.configuration.properties
        edited = edit.set_pairs(_bootstrap_first(sets), pairs, set_id=BOOTSTRAP, taken=taken)
        return edit.with_config(cib, properties=_in_document_order(sets, edited)), out

    return edit.apply(env, change)


def unset_properties(env: CibEnvironment, names: Sequence[str], *, force: bool = False
                     ) -> Applied:
    """Remove cluster properties (their defaults apply again)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        out: list[Report] = []
        for name in names:
            if edit.plain_value(cib.configuration.properties, name) is None:
                out.append(reports.unless_forced(force, "PROPERTY_NOT_SET", name=name))
        edited = edit.set_pairs(cib.configuration.properties, [(n, "") for n in names],
                                set_id=BOOTSTRAP, taken=edit.used_ids(cib))
        return edit.with_config(cib, properties=edited), out

    return edit.apply(env, change)


def list_properties(env: CibEnvironment, *, all_known: bool = False,
                    name: str | None = None) -> tuple[Property, ...]:
    """The properties set (with `all_known`, every known one with its default too)."""
    return properties_of(env.get_cib(), all_known=all_known, name=name)


def properties_of(cib: Cib, *, all_known: bool = False, name: str | None = None
                  ) -> tuple[Property, ...]:
    """`list_properties` of a CIB in hand (a checkpoint, say)."""
    known = options.by_name(options.CLUSTER_OPTIONS)
    values: dict[str, str] = {}
    for nvset in cib.configuration.properties:
        if nvset.rule is None:
            for pair in nvset.pairs:
                if pair.value is not None:
                    values.setdefault(pair.name, pair.value)
    names = sorted(set(values) | (set(known) if all_known else set()))
    if name is not None:
        if name not in values and name not in known:
            raise ReportError([reports.error("PROPERTY_UNKNOWN", name=name, suggestions="")])
        names = [name]
    return tuple(Property(n, values.get(n), known[n].default if n in known else None,
                          n in values) for n in names)
