"""`vigil acl ...`: pcs's grammar for access control lists."""

from __future__ import annotations

from vigil.cli import args, config_view
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import acl
from vigil.commands.acl import PermissionSpec

USAGE = """\
usage: vigil [-f FILE] acl [config]
  enable | disable                       set enable-acl: the ACLs bind only when enabled
  role create ROLE [description=TEXT] [((read|write|deny) (xpath XPATH | id ID))...]
  role delete ROLE                       (its users and groups keep their other roles)
  role assign ROLE [to] [user|group] NAME
  role unassign ROLE [from] [user|group] NAME
  user create USER [ROLE...] | user delete USER
  group create GROUP [ROLE...] | group delete GROUP
  permission add ROLE ((read|write|deny) (xpath XPATH | id ID))...
  permission delete PERMISSION_ID
ACLs bind users other than root and hacluster, on vigild's socket and the endpoint, when
enable-acl is true: a user with no role then has no access. Write implies read; on one element
deny wins; an element's own permission wins over its parent's."""


def _specs(words: list[str]) -> list[PermissionSpec]:
    if len(words) % 3:
        raise UsageError("permissions come as (read|write|deny) (xpath XPATH | id ID) ...")
    out = []
    for i in range(0, len(words), 3):
        kind, scope, value = words[i:i + 3]
        if kind not in ("read", "write", "deny"):
            raise UsageError(f"'{kind}': a permission is read, write or deny")
        if scope not in ("xpath", "id"):
            raise UsageError(f"'{scope}': a permission applies to an 'xpath' or an 'id'")
        out.append(PermissionSpec(kind, scope, value))
    return out


def _holder(words: list[str], joint: str) -> tuple[str, str | None]:
    """NAME, or [to|from] [user|group] NAME: the name and the kind said (None: either)."""
    if words and words[0] == joint:
        words = words[1:]
    kind = None
    if words and words[0] in ("user", "group"):
        kind, words = words[0], words[1:]
    args.need(words, 1, "user or group name")
    args.no_more(words[1:], words[0])
    return words[0], kind


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help:
        print(USAGE)
        return EXIT_OK
    if not words or words[0] in ("config", "show"):
        inv.only()
        args.no_more(words[1:], words[0] if words else "acl")
        found = acl.config(inv.env())
        if inv.json:
            args.print_json(found)
        else:
            args.print_lines(config_view.acl_lines(found.enabled, found.acls))
        return EXIT_OK
    inv.only()
    sub, rest = words[0], words[1:]
    if sub in ("enable", "disable"):
        args.no_more(rest, sub)
        return args.finish(inv, acl.enable(inv.env(), sub == "enable"))
    if sub == "role":
        return _role(inv, rest)
    if sub in ("user", "group"):
        if not rest or rest[0] not in ("create", "delete", "remove"):
            raise UsageError(f"acl {sub} create|delete ...")
        args.need(rest[1:], 1, f"{sub} name")
        if rest[0] == "create":
            return args.finish(inv, acl.holder_create(inv.env(), sub, rest[1], rest[2:]))
        args.no_more(rest[2:], rest[1])
        return args.finish(inv, acl.holder_delete(inv.env(), sub, rest[1]))
    if sub == "permission":
        if rest[:1] == ["add"]:
            args.need(rest[1:], 4, "role and permissions")
            return args.finish(inv, acl.permission_add(inv.env(), rest[1], _specs(rest[2:])))
        if rest[:1] in (["delete"], ["remove"]):
            args.need(rest[1:], 1, "permission id")
            args.no_more(rest[2:], rest[1])
            return args.finish(inv, acl.permission_delete(inv.env(), rest[1]))
        raise UsageError("acl permission add|delete ...")
    raise UsageError(f"unknown acl command '{sub}'")


def _role(inv: Invocation, rest: list[str]) -> int:
    if not rest:
        raise UsageError("acl role create|delete|assign|unassign ...")
    sub, words = rest[0], rest[1:]
    args.need(words, 1, "role id")
    role_id, words = words[0], words[1:]
    if sub == "create":
        description = None
        if words and words[0].startswith("description="):
            description = words[0].partition("=")[2]
            words = words[1:]
        return args.finish(inv, acl.role_create(inv.env(), role_id, description=description,
                                                permissions=_specs(words)))
    if sub in ("delete", "remove"):
        args.no_more(words, role_id)
        return args.finish(inv, acl.role_delete(inv.env(), role_id))
    if sub == "assign":
        name, kind = _holder(words, "to")
        return args.finish(inv, acl.role_assign(inv.env(), role_id, name, kind))
    if sub == "unassign":
        name, kind = _holder(words, "from")
        return args.finish(inv, acl.role_unassign(inv.env(), role_id, name, kind))
    raise UsageError(f"unknown acl role command '{sub}'")
