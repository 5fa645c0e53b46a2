"""`vigil acl ...` on CIB files, with pcs 0.11's grammar: roles and their permissions, users
and groups, enable and disable; bad input is one line and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from cibs import Run

from vigil.cib.read import parse_cib


def acls_of(cib: Path):  # type: ignore[no-untyped-def]
    return parse_cib(cib.read_text())[0].configuration.acls


def test_roles_users_groups_and_permissions(vigil: Run, cib: Path) -> None:
    f = str(cib)
    assert vigil("-f", f, "acl")[1].startswith("ACLs are disabled")
    code, _, err = vigil("-f", f, "acl", "role", "create", "ro", "description=look only",
                         "read", "xpath", "/cib")
    assert code == 0 and "created ACL role ro" in err
    assert vigil("-f", f, "acl", "role", "create", "webop", "write", "id", "WebSite",
                 "deny", "xpath", "//nvpair[@name='secret']")[0] == 0
    assert vigil("-f", f, "acl", "user", "create", "alice", "ro")[0] == 0
    assert vigil("-f", f, "acl", "group", "create", "ops")[0] == 0
    assert vigil("-f", f, "acl", "role", "assign", "webop", "to", "group", "ops")[0] == 0
    assert vigil("-f", f, "acl", "role", "assign", "webop", "alice")[0] == 0  # a user, found
    assert vigil("-f", f, "acl", "permission", "add", "ro", "read", "id", "WebSite")[0] == 0
    assert vigil("-f", f, "acl", "enable")[0] == 0
    acls = acls_of(cib)
    assert [r.id for r in acls.roles] == ["ro", "webop"]
    assert acls.roles[0].description == "look only"
    assert [(p.id, p.kind, p.xpath, p.reference) for p in acls.roles[1].permissions] == [
        ("webop-write", "write", None, "WebSite"),
        ("webop-deny", "deny", "//nvpair[@name='secret']", None)]
    assert [p.id for p in acls.roles[0].permissions] == ["ro-read", "ro-read-1"]
    assert acls.targets[0].roles == ("ro", "webop") and acls.groups[0].roles == ("webop",)
    code, out, _ = vigil("-f", f, "acl", "config")
    assert out.splitlines()[0] == "ACLs are enabled"
    assert "User: alice" in out and "  Roles: ro webop" in out and "Group: ops" in out
    assert "  Permission: write id WebSite (webop-write)" in out
    data = json.loads(vigil("-f", f, "acl", "--output", "json")[1])
    assert data["enabled"] is True and data["acls"]["roles"][0]["id"] == "ro"
    # Pacemaker's schema takes it (the example's unclean node1 is crm_verify's one finding)
    found = json.loads(vigil("-f", f, "verify", "--output", "json")[1])
    assert found["errors"] == 0 and [r["code"] for r in found["reports"]
                                      if r["severity"] == "warning"] == ["VERIFY_NODE_UNCLEAN"]

    assert vigil("-f", f, "acl", "role", "unassign", "webop", "from", "user", "alice")[0] == 0
    assert vigil("-f", f, "acl", "permission", "delete", "webop-deny")[0] == 0
    assert vigil("-f", f, "acl", "role", "delete", "webop")[0] == 0
    assert vigil("-f", f, "acl", "user", "delete", "alice")[0] == 0
    assert vigil("-f", f, "acl", "group", "delete", "ops")[0] == 0
    assert vigil("-f", f, "acl", "disable")[0] == 0
    acls = acls_of(cib)
    assert [r.id for r in acls.roles] == ["ro"] and acls.targets == () and acls.groups == ()
    assert vigil("-f", f, "acl")[1].startswith("ACLs are disabled")


def test_a_permission_added_to_a_new_role_creates_it(vigil: Run, cib: Path) -> None:
    assert vigil("-f", str(cib), "acl", "permission", "add", "fresh", "read", "xpath",
                 "/cib/status")[0] == 0
    assert [r.id for r in acls_of(cib).roles] == ["fresh"]


def test_bad_input_is_one_line_and_changes_nothing(vigil: Run, cib: Path) -> None:
    f = str(cib)
    vigil("-f", f, "acl", "role", "create", "ro", "read", "xpath", "/cib")
    vigil("-f", f, "acl", "user", "create", "alice", "ro")
    before = cib.read_text()
    for argv, words in (
            (("role", "create", "ro"), "already"),
            (("role", "create", "r2", "read", "id", "nothere"), "nothere"),
            (("role", "create", "r2", "read", "xpath"), "permissions come as"),
            (("role", "create", "r2", "grant", "xpath", "/cib"), "read, write or deny"),
            (("role", "assign", "nosuch", "alice"), "no ACL role 'nosuch'"),
            (("role", "assign", "ro", "group", "alice"), "no ACL group 'alice'"),
            (("role", "assign", "ro", "alice"), "has the role 'ro' already"),
            (("role", "unassign", "ro", "bob"), "no ACL user or group 'bob'"),
            (("user", "create", "bob", "nosuch"), "no ACL role 'nosuch'"),
            (("user", "create", "alice"), "already"),
            (("user", "delete", "bob"), "no ACL user 'bob'"),
            (("permission", "delete", "nope"), "no ACL permission 'nope'"),
            (("permission", "add", "ro"), "missing"),
            (("frobnicate",), "unknown acl command")):
        code, out, err = vigil("-f", f, "acl", *argv)
        assert code != 0 and words in err and len(err.strip().splitlines()) == 1, (argv, err)
    assert cib.read_text() == before
