"""Access control lists: Pacemaker's <acls> section (roles of permissions, and the users and
Unix groups they are given to). They bind only when the cluster option `enable-acl` is true,
and never root or hacluster; what they allow is decided in `vigil.cib.acl_check`."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.xmlextra import NO_EXTRA, Extra

KINDS = ("read", "write", "deny")  # write implies read; deny wins over both on one element


@dataclass(frozen=True)
class AclPermission:
    """One grant or refusal: of the element(s) an XPath selects, of the element with the id
    `reference`, or of every `object_type` element (with `attribute` set, when given)."""

    id: str
    kind: str  # one of KINDS
    xpath: str | None = None
    reference: str | None = None
    object_type: str | None = None
    attribute: str | None = None
    description: str | None = None
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class AclRole:
    id: str
    description: str | None = None
    permissions: tuple[AclPermission, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class AclTarget:
    """<acl_target>: a user. Its id is the user's name unless `name` says otherwise."""

    id: str
    name: str | None = None
    roles: tuple[str, ...] = ()  # ids of acl_role elements
    extra: Extra = NO_EXTRA

    @property
    def subject(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class AclGroup:
    """<acl_group>: a Unix group, whose members get its roles."""

    id: str
    name: str | None = None
    roles: tuple[str, ...] = ()
    extra: Extra = NO_EXTRA

    @property
    def subject(self) -> str:
        return self.name or self.id


@dataclass(frozen=True)
class Acls:
    roles: tuple[AclRole, ...] = ()
    targets: tuple[AclTarget, ...] = ()
    groups: tuple[AclGroup, ...] = ()
    extra: Extra = NO_EXTRA  # other children (the 1.2 schema's acl_user...) kept as XML
