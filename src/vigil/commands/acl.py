"""Access control lists (pcs's `acl ...`): roles of permissions, and the users and Unix groups
given them. What they allow is decided in `vigil.cib.acl_check` and enforced by vigild's
control socket and the endpoint; here they are only edited, and only when `enable-acl` is true
do they bind (`acl enable`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.commands import edit
from vigil.commands import property as prop
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.acls import KINDS, AclGroup, AclPermission, AclRole, Acls, AclTarget
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError
from vigil.model.values import is_true


@dataclass(frozen=True)
class PermissionSpec:
    """`read xpath /cib`, `write id web`: a permission as pcs's grammar gives it."""

    kind: str  # read, write, deny
    scope: str  # xpath or id
    value: str


def _acls(cib: Cib) -> Acls:
    return cib.configuration.acls or Acls()


def _with(cib: Cib, acls: Acls) -> Cib:
    return edit.with_config(cib, acls=acls)


def _role(acls: Acls, role_id: str) -> AclRole:
    found = next((r for r in acls.roles if r.id == role_id), None)
    if found is None:
        raise ReportError([reports.error("ACL_ROLE_NOT_FOUND", id=role_id,
                                         known=", ".join(r.id for r in acls.roles) or "none")])
    return found


def _new_id(cib: Cib, wanted: str, what: str) -> None:
    problem = edit.id_problem(wanted, what)
    if problem:
        raise ReportError([problem])
    if wanted in edit.used_ids(cib):
        raise ReportError([reports.error("ID_ALREADY_EXISTS", id=wanted)])


def _permissions(cib: Cib, role_id: str, specs: Sequence[PermissionSpec], taken: set[str]
                 ) -> tuple[AclPermission, ...]:
    out = []
    for spec in specs:
        if spec.kind not in KINDS or spec.scope not in ("xpath", "id"):
            raise ReportError([reports.error("ACL_BAD_PERMISSION", kind=spec.kind,
                                             scope=spec.scope)])
        if spec.scope == "id" and spec.value not in taken:
            raise ReportError([reports.error("ACL_REFERENCE_NOT_FOUND", id=spec.value)])
        pid = edit.unique_id(taken, f"{role_id}-{spec.kind}")
        out.append(AclPermission(pid, spec.kind,
                                 xpath=spec.value if spec.scope == "xpath" else None,
                                 reference=spec.value if spec.scope == "id" else None))
    return tuple(out)


def enable(env: CibEnvironment, on: bool) -> Applied:
    """`acl enable|disable`: the cluster option enable-acl."""
    return prop.set_properties(env, [("enable-acl", "true" if on else "false")])


def role_create(env: CibEnvironment, role_id: str, *, description: str | None = None,
                permissions: Sequence[PermissionSpec] = ()) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        _new_id(cib, role_id, "ACL role")
        taken = edit.used_ids(cib) | {role_id}
        role = AclRole(role_id, description or None,
                       _permissions(cib, role_id, permissions, taken))
        acls = _acls(cib)
        new = dataclasses.replace(acls, roles=(*acls.roles, role))
        return _with(cib, new), [reports.info("ACL_ROLE_CREATED", id=role_id)]

    return edit.apply(env, change)


def role_delete(env: CibEnvironment, role_id: str) -> Applied:
    """The role, and every reference to it from users and groups (who stay, perhaps with no
    role: they then have no access)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        acls = _acls(cib)
        _role(acls, role_id)
        new = Acls(
            roles=tuple(r for r in acls.roles if r.id != role_id),
            targets=tuple(dataclasses.replace(t, roles=tuple(x for x in t.roles if x != role_id))
                          for t in acls.targets),
            groups=tuple(dataclasses.replace(g, roles=tuple(x for x in g.roles if x != role_id))
                         for g in acls.groups),
            extra=acls.extra)
        return _with(cib, new), [reports.info("ACL_ROLE_REMOVED", id=role_id)]

    return edit.apply(env, change)


def _holder_kind(acls: Acls, name: str, kind: str | None) -> str:
    """`user` or `group`: as said, or the one that exists by that name."""
    users = any(t.id == name for t in acls.targets)
    groups = any(g.id == name for g in acls.groups)
    if kind is None:
        if users and groups:
            raise ReportError([reports.error("ACL_HOLDER_AMBIGUOUS", name=name)])
        kind = "user" if users else "group" if groups else None
    if kind is None or (kind == "user" and not users) or (kind == "group" and not groups):
        raise ReportError([reports.error("ACL_HOLDER_NOT_FOUND", name=name,
                                         kind=kind or "user or group")])
    return kind


def role_assign(env: CibEnvironment, role_id: str, name: str, kind: str | None = None
                ) -> Applied:
    """Give `role_id` to the user or group `name` (created before, as pcs wants)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        acls = _acls(cib)
        _role(acls, role_id)
        which = _holder_kind(acls, name, kind)
        holders = acls.targets if which == "user" else acls.groups
        holder = next(h for h in holders if h.id == name)
        if role_id in holder.roles:
            raise ReportError([reports.error("ACL_ROLE_ALREADY_ASSIGNED", role=role_id,
                                             kind=which, name=name)])
        return _with(cib, _replace_holder(acls, which, name, (*holder.roles, role_id))), [
            reports.info("ACL_ROLE_ASSIGNED", role=role_id, kind=which, name=name)]

    return edit.apply(env, change)


def role_unassign(env: CibEnvironment, role_id: str, name: str, kind: str | None = None
                  ) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        acls = _acls(cib)
        which = _holder_kind(acls, name, kind)
        holders = acls.targets if which == "user" else acls.groups
        holder = next(h for h in holders if h.id == name)
        if role_id not in holder.roles:
            raise ReportError([reports.error("ACL_ROLE_NOT_ASSIGNED", role=role_id,
                                             kind=which, name=name)])
        roles = tuple(r for r in holder.roles if r != role_id)
        return _with(cib, _replace_holder(acls, which, name, roles)), [
            reports.info("ACL_ROLE_UNASSIGNED", role=role_id, kind=which, name=name)]

    return edit.apply(env, change)


def _replace_holder(acls: Acls, kind: str, name: str, roles: tuple[str, ...]) -> Acls:
    if kind == "user":
        return dataclasses.replace(acls, targets=tuple(
            dataclasses.replace(t, roles=roles) if t.id == name else t for t in acls.targets))
    return dataclasses.replace(acls, groups=tuple(
        dataclasses.replace(g, roles=roles) if g.id == name else g for g in acls.groups))


def holder_create(env: CibEnvironment, kind: str, name: str, roles: Sequence[str]) -> Applied:
    """`acl user create USER [ROLE...]`, `acl group create GROUP [ROLE...]`."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        acls = _acls(cib)
        _new_id(cib, name, f"ACL {kind}")
        for role_id in roles:
            _role(acls, role_id)
        wanted = tuple(dict.fromkeys(roles))
        if kind == "user":
            new = dataclasses.replace(acls, targets=(*acls.targets, AclTarget(name, roles=wanted)))
        else:
            new = dataclasses.replace(acls, groups=(*acls.groups, AclGroup(name, roles=wanted)))
        return _with(cib, new), [reports.info("ACL_HOLDER_CREATED", kind=kind, name=name)]

    return edit.apply(env, change)


def holder_delete(env: CibEnvironment, kind: str, name: str) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        acls = _acls(cib)
        _holder_kind(acls, name, kind)
        if kind == "user":
            new = dataclasses.replace(acls, targets=tuple(t for t in acls.targets if t.id != name))
        else:
            new = dataclasses.replace(acls, groups=tuple(g for g in acls.groups if g.id != name))
        return _with(cib, new), [reports.info("ACL_HOLDER_REMOVED", kind=kind, name=name)]

    return edit.apply(env, change)


def permission_add(env: CibEnvironment, role_id: str, specs: Sequence[PermissionSpec]
                   ) -> Applied:
    """Add permissions to a role, creating the role if there is none by that id (as pcs)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        acls = _acls(cib)
        out: list[Report] = []
        if not any(r.id == role_id for r in acls.roles):
            _new_id(cib, role_id, "ACL role")
            acls = dataclasses.replace(acls, roles=(*acls.roles, AclRole(role_id)))
            out.append(reports.info("ACL_ROLE_CREATED", id=role_id))
        taken = edit.used_ids(cib) | {role_id}
        added = _permissions(cib, role_id, specs, taken)
        roles = tuple(dataclasses.replace(r, permissions=(*r.permissions, *added))
                      if r.id == role_id else r for r in acls.roles)
        return _with(cib, dataclasses.replace(acls, roles=roles)), out

    return edit.apply(env, change)


def permission_delete(env: CibEnvironment, permission_id: str) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        acls = _acls(cib)
        if not any(p.id == permission_id for r in acls.roles for p in r.permissions):
            raise ReportError([reports.error("ACL_PERMISSION_NOT_FOUND", id=permission_id)])
        roles = tuple(dataclasses.replace(r, permissions=tuple(
            p for p in r.permissions if p.id != permission_id)) for r in acls.roles)
        return _with(cib, dataclasses.replace(acls, roles=roles)), [
            reports.info("ACL_PERMISSION_REMOVED", id=permission_id)]

    return edit.apply(env, change)


@dataclass(frozen=True)
class AclConfig:
    """What `acl config` shows."""

    enabled: bool
    acls: Acls


def config(env: CibEnvironment) -> AclConfig:
    cib = env.get_cib()
    return AclConfig(is_true(cib.cluster_option("enable-acl"), False), _acls(cib))
