"""Tags (pcs's `tag ...`): a name for a list of resources, usable wherever a constraint names a
resource (the constraint then means every tagged one) and in `vigil resource enable|disable`."""

from __future__ import annotations

from collections.abc import Sequence

from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError
from vigil.model.tags import Tag


def _find(cib: Cib, tag_id: str) -> Tag:
    found = next((t for t in cib.configuration.tags if t.id == tag_id), None)
    if found is None:
        raise ReportError([reports.error("TAG_NOT_FOUND", id=tag_id, known=", ".join(
            t.id for t in cib.configuration.tags) or "none")])
    return found


def _check_members(cib: Cib, ids: Sequence[str]) -> None:
    if len(set(ids)) != len(ids):
        raise ReportError([reports.error("TAG_MEMBER_TWICE", ids=", ".join(ids))])
    for rsc in ids:
        edit.require_resource(cib, rsc)


def _with_tags(cib: Cib, tags: tuple[Tag, ...]) -> Cib:
    return edit.with_config(cib, tags=tags)


def create(env: CibEnvironment, tag_id: str, ids: Sequence[str]) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        problem = edit.id_problem(tag_id, "tag")
        if problem:
            raise ReportError([problem])
        if tag_id in edit.used_ids(cib):
            raise ReportError([reports.error("ID_ALREADY_EXISTS", id=tag_id)])
        if not ids:
            raise ReportError([reports.error("TAG_EMPTY", id=tag_id)])
        _check_members(cib, ids)
        return _with_tags(cib, (*cib.configuration.tags, Tag(tag_id, tuple(ids)))), [
            reports.info("TAG_CREATED", id=tag_id)]

    return edit.apply(env, change)


def delete(env: CibEnvironment, tag_ids: Sequence[str]) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        for tag_id in tag_ids:
            _find(cib, tag_id)
            users = [c.id for c in cib.configuration.constraints
                     if tag_id in edit.constraint_resources(c)]
            if users:
                raise ReportError([reports.error("TAG_IN_USE", id=tag_id,
                                                 constraints=", ".join(users))])
        return _with_tags(cib, tuple(t for t in cib.configuration.tags
                                     if t.id not in tag_ids)), [
            reports.info("TAG_REMOVED", id=t) for t in tag_ids]

    return edit.apply(env, change)


def update(env: CibEnvironment, tag_id: str, add: Sequence[str], remove: Sequence[str], *,
           before: str | None = None, after: str | None = None) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        tag = _find(cib, tag_id)
        refs = [r for r in tag.refs if r not in remove]
        missing = [r for r in remove if r not in tag.refs]
        if missing:
            raise ReportError([reports.error("TAG_NOT_MEMBER", id=tag_id, member=missing[0])])
        already = [r for r in add if r in refs]
        if already:
            raise ReportError([reports.error("TAG_MEMBER_TWICE", ids=already[0])])
        _check_members(cib, list(add))
        anchor = before or after
        if anchor is not None and anchor not in refs:
            raise ReportError([reports.error("TAG_NOT_MEMBER", id=tag_id, member=anchor)])
        at = len(refs) if anchor is None else refs.index(anchor) + (1 if after else 0)
        refs[at:at] = list(add)
        if not refs:
            raise ReportError([reports.error("TAG_EMPTY", id=tag_id)])
        new = Tag(tag.id, tuple(refs), tag.extra)
        return _with_tags(cib, tuple(new if t.id == tag_id else t
                                     for t in cib.configuration.tags)), []

    return edit.apply(env, change)


def tags(env: CibEnvironment, names: Sequence[str] = ()) -> tuple[Tag, ...]:
    cib = env.get_cib()
    for name in names:
        _find(cib, name)
    return tuple(t for t in cib.configuration.tags if not names or t.id in names)
