"""The REST families beside api.rest (api.rest_*) for real, on the simulated cluster behind the
endpoint: each change applied and seen on another node, bad input refused with 400 and the
CLI's report and nothing changed, a stale version refused with 409 and nothing changed, the
ACLs held as vigild's socket holds them."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from endpoint_support import Served, served
from test_acl_api import with_acls
from test_rest import call, login
from test_rest_views import call_ok

from vigil.api import acl
from vigil.api.server import build_app
from vigil.api.snapshots import StatusCache
from vigil.commands.status import cluster_status

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from daemon.test_vigild_sim import with_fencing  # noqa: E402  (tests/daemon)


async def refused(s: Served, token: str, method: str, path: str, body: dict[str, object] | None,
                  code: str, status: int = 400) -> None:
    """The request is refused with `status` and `code` first, and the CIB did not change."""
    before = s.cluster.node(1).cib
    reply = await s.blocking(lambda: call(s, token, method, path, body))
    assert reply.status == status, (method, path, reply.body)
    found = reply.body["reports"]
    assert isinstance(found, list) and found[0]["code"] == code, (path, found)
    assert all(r["message"] for r in found), found  # the CLI's line for each
    assert s.cluster.node(1).cib.version == before.version, path
    assert s.cluster.node(1).cib.tickets == before.tickets, path


async def stale(s: Served, token: str, method: str, path: str, body: dict[str, object]) -> None:
    """Sent with the version before a change that someone else made: 409, nothing changed."""
    seen = (await call_ok(s, token, "GET", "/api/v1/cib"))["version"]
    await call_ok(s, token, "PUT", "/api/v1/properties",
                  {"cluster-recheck-interval": f"{int(time.monotonic() * 1000) % 997 + 1}s"})
    await refused(s, token, method, path, {**body, "version": seen}, "CIB_CHANGED_UNDERNEATH",
                  409)


def config(s: Served, n: int = 3) -> object:
    return s.cluster.node(n).cib.configuration


@served
async def test_tickets_granted_revoked_and_forgotten(s: Served) -> None:
    token = await login(s)
    assert (await call_ok(s, token, "GET", "/api/v1/tickets"))["tickets"] == []
    await call_ok(s, token, "POST", "/api/v1/constraints", {
        "kind": "ticket", "ticket": "T", "resource": "WebSite", "loss_policy": "stop"})
    await call_ok(s, token, "POST", "/api/v1/tickets/T/grant")

    def state(n: int = 3) -> tuple[bool, bool] | None:
        found = next((t for t in s.cluster.node(n).cib.tickets if t.id == "T"), None)
        return (found.granted, found.standby) if found is not None else None

    assert state() == (True, False)  # every replica's status
    await refused(s, token, "POST", "/api/v1/tickets/T/revoke", {}, "TICKET_REVOKE_STOPS")
    await refused(s, token, "POST", "/api/v1/tickets/T/frobnicate", {}, "REMOTE_BAD_REQUEST")
    await refused(s, token, "POST", "/api/v1/tickets/T/standby", {"version": "x"},
                  "REMOTE_BAD_REQUEST")
    await stale(s, token, "POST", "/api/v1/tickets/T/standby", {})
    assert state() == (True, False)
    await call_ok(s, token, "POST", "/api/v1/tickets/T/standby")
    assert state() == (True, True)
    done = await call_ok(s, token, "POST", "/api/v1/tickets/T/revoke", {"force": True})
    assert [r["code"] for r in done["reports"]] == ["TICKET_REVOKE_STOPS", "TICKET_CHANGED"]
    assert state() is not None and not state()[0]  # type: ignore[index]
    [listed] = (await call_ok(s, token, "GET", "/api/v1/tickets"))["tickets"]
    assert listed["ticket"] == "T" and listed["needed_by"] == ["ticket-T-WebSite"], listed
    await call_ok(s, token, "DELETE", "/api/v1/tickets/T")
    assert state() is None


@served
async def test_tags_created_changed_and_deleted(s: Served) -> None:
    token = await login(s)
    await call_ok(s, token, "POST", "/api/v1/tags", {"id": "web",
                                                     "resources": ["WebIP", "WebSite"]})
    assert [(t.id, t.refs) for t in config(s).tags] == [  # type: ignore[attr-defined]
        ("web", ("WebIP", "WebSite"))]
    await call_ok(s, token, "PATCH", "/api/v1/tags/web", {"remove": ["WebSite"]})
    await call_ok(s, token, "PATCH", "/api/v1/tags/web", {"add": ["WebSite"], "before": "WebIP"})
    [tag] = (await call_ok(s, token, "GET", "/api/v1/tags"))["tags"]
    assert tag["id"] == "web" and tag["refs"] == ["WebSite", "WebIP"], tag
    await refused(s, token, "POST", "/api/v1/tags", {"id": "t2", "resources": ["ghost"]},
                  "RESOURCE_NOT_FOUND")
    await refused(s, token, "PATCH", "/api/v1/tags/web", {}, "REMOTE_BAD_REQUEST")
    await refused(s, token, "DELETE", "/api/v1/tags/ghost", None, "TAG_NOT_FOUND")
    await stale(s, token, "DELETE", "/api/v1/tags/web", {})
    await call_ok(s, token, "DELETE", "/api/v1/tags/web")
    assert not config(s).tags  # type: ignore[attr-defined]


@served
async def test_alerts_and_their_recipients(s: Served) -> None:
    token = await login(s)
    made = await call_ok(s, token, "POST", "/api/v1/alerts", {
        "id": "mail", "path": "/bin/true", "meta": {"timeout": "10s"}})
    assert [r["code"] for r in made["reports"]] == ["ALERT_CREATED"], made
    await call_ok(s, token, "POST", "/api/v1/alerts/mail/recipients",
                  {"id": "ops", "value": "ops@example.com"})
    await refused(s, token, "POST", "/api/v1/alerts/mail/recipients",
                  {"value": "ops@example.com"}, "RECIPIENT_DUPLICATE")
    await call_ok(s, token, "PATCH", "/api/v1/recipients/ops", {"value": "oncall@example.com"})
    await call_ok(s, token, "PATCH", "/api/v1/alerts/mail", {"description": "page someone"})
    [alert] = config(s).alerts  # type: ignore[attr-defined]
    assert (alert.description, [r.value for r in alert.recipients]) == (
        "page someone", ["oncall@example.com"])
    [listed] = (await call_ok(s, token, "GET", "/api/v1/alerts"))["alerts"]
    assert listed["id"] == "mail" and listed["recipients"][0]["id"] == "ops"
    await refused(s, token, "POST", "/api/v1/alerts", {"id": "x"}, "ALERT_PATH_MISSING")
    await refused(s, token, "POST", "/api/v1/alerts", {"path": "/bin/true", "meta": ["no"]},
                  "REMOTE_BAD_REQUEST")
    await refused(s, token, "DELETE", "/api/v1/recipients/ghost", None, "RECIPIENT_NOT_FOUND")
    await stale(s, token, "DELETE", "/api/v1/alerts/mail", {})
    await call_ok(s, token, "DELETE", "/api/v1/recipients/ops")
    await call_ok(s, token, "DELETE", "/api/v1/alerts/mail")
    assert not config(s).alerts  # type: ignore[attr-defined]


@served
async def test_acl_roles_users_and_groups(s: Served) -> None:
    token = await login(s)
    await call_ok(s, token, "POST", "/api/v1/acl/roles", {
        "id": "ro", "description": "reads", "permissions": [{"kind": "read", "xpath": "/cib"}]})
    await call_ok(s, token, "POST", "/api/v1/acl/users", {"id": "alice", "roles": ["ro"]})
    await call_ok(s, token, "POST", "/api/v1/acl/groups", {"id": "ops"})
    await call_ok(s, token, "POST", "/api/v1/acl/roles/ro/assign", {"name": "ops"})
    await call_ok(s, token, "POST", "/api/v1/acl/roles/ro/permissions",
                  {"permissions": [{"kind": "deny", "id": "WebIP"}]})
    acls = config(s).acls  # type: ignore[attr-defined]
    assert [(t.id, t.roles) for t in acls.targets] == [("alice", ("ro",))]
    assert [(g.id, g.roles) for g in acls.groups] == [("ops", ("ro",))]
    assert [p.kind for p in acls.roles[0].permissions] == ["read", "deny"]
    seen = await call_ok(s, token, "GET", "/api/v1/acl")
    assert seen["enabled"] is False and seen["acls"]["roles"][0]["id"] == "ro", seen
    for body, code in (({"id": "r2", "permissions": [{"kind": "maybe", "xpath": "/cib"}]},
                        "ACL_BAD_PERMISSION"),
                       ({"id": "r2", "permissions": [{"kind": "read"}]}, "REMOTE_BAD_REQUEST"),
                       ({"id": "r2", "permissions": [{"kind": "read", "id": "ghost"}]},
                        "ACL_REFERENCE_NOT_FOUND"),
                       ({"id": "ro"}, "ID_ALREADY_EXISTS")):
        await refused(s, token, "POST", "/api/v1/acl/roles", body, code)
    await refused(s, token, "POST", "/api/v1/acl/roles/ro/frobnicate", {"name": "alice"},
                  "REMOTE_BAD_REQUEST")
    await refused(s, token, "DELETE", "/api/v1/acl/nobodies/alice", None, "REMOTE_BAD_REQUEST")
    await refused(s, token, "PUT", "/api/v1/acl", {"enabled": "yes"}, "REMOTE_BAD_REQUEST")
    await stale(s, token, "POST", "/api/v1/acl/roles/ro/unassign", {"name": "alice"})
    await call_ok(s, token, "POST", "/api/v1/acl/roles/ro/unassign",
                  {"name": "alice", "kind": "user"})
    deny = acls.roles[0].permissions[1].id
    await call_ok(s, token, "DELETE", f"/api/v1/acl/permissions/{deny}")
    await call_ok(s, token, "DELETE", "/api/v1/acl/users/alice")
    await call_ok(s, token, "DELETE", "/api/v1/acl/groups/ops")
    await call_ok(s, token, "DELETE", "/api/v1/acl/roles/ro")
    after = config(s).acls  # type: ignore[attr-defined]
    assert after is None or not (after.roles or after.targets or after.groups)


@served
async def test_node_attributes_and_utilization(s: Served) -> None:
    token = await login(s)
    await call_ok(s, token, "PUT", "/api/v1/nodes/node2/attributes",
                  {"attributes": {"rack": "r1", "site": "a"}})
    found = await call_ok(s, token, "GET", "/api/v1/nodes/node2/attributes")
    assert found["attributes"] == {"rack": "r1", "site": "a"}
    await call_ok(s, token, "DELETE", "/api/v1/nodes/node2/attributes/rack")
    await refused(s, token, "DELETE", "/api/v1/nodes/node2/attributes/rack", None,
                  "NODE_ATTRIBUTE_NOT_SET")
    node2 = next(n for n in config(s).nodes if n.uname == "node2")  # type: ignore[attr-defined]
    assert [(p.name, p.value) for st in node2.instance_attributes for p in st.pairs] == [
        ("site", "a")]
    await call_ok(s, token, "PUT", "/api/v1/nodes/node1/utilization",
                  {"utilization": {"cpu": "4"}})
    await call_ok(s, token, "PUT", "/api/v1/resources/WebIP/utilization",
                  {"utilization": {"cpu": "1"}})
    assert (await call_ok(s, token, "GET", "/api/v1/nodes/node1/utilization"))[
        "utilization"] == {"cpu": "4"}
    assert (await call_ok(s, token, "GET", "/api/v1/resources/WebIP/utilization"))[
        "resources"] == [{"name": "WebIP", "values": {"cpu": "1"}}]
    every = await call_ok(s, token, "GET", "/api/v1/utilization")
    assert every["nodes"] == [{"name": "node1", "values": {"cpu": "4"}}], every
    await refused(s, token, "PUT", "/api/v1/nodes/node1/utilization",
                  {"utilization": {"cpu": "lots"}}, "INVALID_UTILIZATION")
    await refused(s, token, "PUT", "/api/v1/resources/WebIP/utilization", {"utilization": {}},
                  "REMOTE_BAD_REQUEST")
    await refused(s, token, "PUT", "/api/v1/nodes/ghost/attributes",
                  {"attributes": {"a": "b"}}, "NODE_NOT_FOUND")
    await stale(s, token, "PUT", "/api/v1/nodes/node2/attributes", {"attributes": {"x": "y"}})


@served
async def test_operations_manage_defaults_and_relocation(s: Served) -> None:
    token = await login(s)

    def ops() -> list[tuple[str, int | None]]:
        site = next(r for r in config(s).resources if r.id == "WebSite")  # type: ignore[attr-defined]
        return [(o.name, o.interval_ms) for o in site.operations]

    await call_ok(s, token, "POST", "/api/v1/resources/WebSite/ops",
                  {"action": "monitor", "options": {"interval": "33s"}})
    assert ("monitor", 33000) in ops()
    await refused(s, token, "POST", "/api/v1/resources/WebSite/ops",
                  {"action": "monitor", "options": {"interval": "33s"}}, "OPERATION_EXISTS")
    await refused(s, token, "POST", "/api/v1/resources/WebSite/ops", {"options": {}},
                  "REMOTE_BAD_REQUEST")
    await stale(s, token, "DELETE", "/api/v1/resources/WebSite/ops/monitor",
                {"options": {"interval": "33s"}})
    await call_ok(s, token, "DELETE", "/api/v1/resources/WebSite/ops/monitor",
                  {"options": {"interval": "33s"}})
    assert ops() == [("monitor", 10000)]
    await refused(s, token, "DELETE", "/api/v1/operations/ghost", None, "OPERATION_NOT_FOUND")
    await call_ok(s, token, "DELETE", "/api/v1/operations/WebSite-mon")
    assert ops() == []

    def managed() -> str | None:
        site = next(r for r in config(s).resources if r.id == "WebSite")  # type: ignore[attr-defined]
        return next((p.value for st in site.meta_attributes for p in st.pairs
                     if p.name == "is-managed"), None)

    await call_ok(s, token, "POST", "/api/v1/resources/WebSite/unmanage")
    assert managed() == "false"
    await call_ok(s, token, "POST", "/api/v1/resources/WebSite/manage")
    assert managed() is None
    await call_ok(s, token, "PUT", "/api/v1/defaults/op", {"defaults": {"timeout": "45s"}})
    sets = (await call_ok(s, token, "GET", "/api/v1/defaults/op"))["sets"]
    assert [(p["name"], p["value"]) for st in sets for p in st["pairs"]] == [("timeout", "45s")]
    await refused(s, token, "PUT", "/api/v1/defaults/node", {"defaults": {"a": "b"}},
                  "REMOTE_BAD_REQUEST")
    await refused(s, token, "PUT", "/api/v1/defaults/rsc",
                  {"defaults": {"resource-stickiness": "sticky"}}, "INVALID_OPTION_VALUE")
    assert (await call_ok(s, token, "GET", "/api/v1/failcounts"))["failcounts"] == []
    await refused(s, token, "GET", "/api/v1/failcounts?resource=ghost", None,
                  "RESOURCE_NOT_FOUND")
    plan = (await call_ok(s, token, "GET", "/api/v1/relocate"))["relocations"]
    assert {r["resource"] for r in plan} == {"WebIP", "WebSite"}, plan
    assert all(r["current"] for r in plan), plan
    cleared = await call_ok(s, token, "DELETE", "/api/v1/relocate")
    assert cleared["changed"] is False  # no relocation constraints were left
    await refused(s, token, "POST", "/api/v1/relocate", {"wait": 0}, "REMOTE_BAD_REQUEST")


@served
async def test_a_resource_restarted_through_the_api(s: Served) -> None:
    token = await login(s)
    where = sorted(s.cluster.world.where("WebIP"))
    assert where
    await refused(s, token, "POST", "/api/v1/resources/WebIP/restart", {"wait": "soon"},
                  "REMOTE_BAD_REQUEST")
    await stale(s, token, "POST", "/api/v1/resources/WebIP/restart", {})
    done = await call_ok(s, token, "POST", "/api/v1/resources/WebIP/restart", {"wait": 30})
    assert [r["code"] for r in done["reports"]] == ["RESOURCE_RESTARTED"], done
    assert sorted(s.cluster.world.where("WebIP")) == where


@served
async def test_fencing_a_node_confirming_and_the_history(s: Served) -> None:
    token = await login(s)
    fencer = with_fencing(s.cluster)
    await refused(s, token, "POST", "/api/v1/fencing/confirm/node3", {}, "CONFIRM_NEEDS_FORCE")
    await refused(s, token, "POST", "/api/v1/fencing/fence/ghost", {}, "NODE_NOT_FOUND")
    await refused(s, token, "POST", "/api/v1/fencing/fence/node3", {"off": "yes"},
                  "REMOTE_BAD_REQUEST")
    assert fencer.requests == []
    fenced = await call_ok(s, token, "POST", "/api/v1/fencing/fence/node3", {"off": True})
    assert fenced["outcome"]["target"] == "node3" and fenced["outcome"]["ok"] is True, fenced
    assert fencer.requests == [("node3", "off")]
    history = (await call_ok(s, token, "GET", "/api/v1/fencing/history?node=node3"))["history"]
    assert [(e["target"], e["ok"]) for e in history] == [("node3", True)], history
    assert (await call_ok(s, token, "GET", "/api/v1/fencing/history?node=node2"))[
        "history"] == []
    confirmed = await call_ok(s, token, "POST", "/api/v1/fencing/confirm/node3",
                              {"force": True})
    assert [r["code"] for r in confirmed["reports"]] == ["FENCE_CONFIRMED"]
    assert (await call_ok(s, token, "GET", "/api/v1/fencing/verify"))["problems"] == []
    await call_ok(s, token, "POST", "/api/v1/fencing/levels",
                  {"level": 1, "node": "node2", "devices": ["fence-a"], "force": True})
    problems = (await call_ok(s, token, "GET", "/api/v1/fencing/verify"))["problems"]
    assert [p["code"] for p in problems] == ["FENCING_LEVEL_UNKNOWN_DEVICE"], problems
    await call_ok(s, token, "DELETE", "/api/v1/fencing/levels", {"node": "node2"})
    assert not config(s, 1).fencing_topology.levels  # type: ignore[attr-defined]


@served
async def test_the_families_hold_a_token_s_user_to_the_acls(s: Served) -> None:
    """nobody (test_acl_api's ACLS) reads the CIB, writes WebSite only."""
    root = await login(s)
    await with_acls(s)
    user = s.tokens.issue("nobody", int(time.time()))
    await call_ok(s, user, "GET", "/api/v1/tickets")
    await refused(s, user, "POST", "/api/v1/tickets/T/grant", {}, "ACL_DENIED", 403)
    await call_ok(s, root, "POST", "/api/v1/tickets/T/grant")  # root is never held
    await call_ok(s, user, "POST", "/api/v1/resources/WebSite/ops",
                  {"action": "monitor", "options": {"interval": "20s"}})
    await refused(s, user, "POST", "/api/v1/resources/WebIP/ops",
                  {"action": "monitor", "options": {"interval": "20s"}}, "ACL_DENIED", 403)
    await refused(s, user, "POST", "/api/v1/alerts", {"path": "/bin/true"}, "ACL_DENIED", 403)
    await refused(s, user, "POST", "/api/v1/fencing/fence/node2", {}, "ACL_DENIED", 403)
    await call_ok(s, user, "GET", "/api/v1/fencing/history")  # read on the status


def test_every_route_the_acls_check_element_by_element_is_served() -> None:
    """A path in acl.ELEMENT_ROUTES that no route has (a typo) would leave its route held to
    the whole CIB without anyone noticing; one that is, is checked by its handler."""
    app = build_app(StatusCache(lambda: cluster_status(None)), "n1")
    served_paths = {str(r.resource.get_info().get("path") or r.resource.get_info().get(
        "formatter")) for r in app.router.routes() if r.resource is not None}
    assert served_paths >= acl.ELEMENT_ROUTES, acl.ELEMENT_ROUTES - served_paths


@served
async def test_the_configuration_pushed_verified_and_checkpoints(s: Served) -> None:
    import os
    import tempfile
    import xml.etree.ElementTree as ET

    token = await login(s)
    got = await call_ok(s, token, "GET", "/api/v1/cib")
    root = ET.fromstring(str(got["xml"]))
    resources = root.find("configuration/resources")
    assert resources is not None
    ET.SubElement(resources, "primitive", {"id": "pushed", "class": "ocf",
                                           "provider": "pacemaker", "type": "Dummy"})
    xml = ET.tostring(root, encoding="unicode")
    # refused, nothing changed: not XML, not a CIB's schema, a version someone moved on
    await refused(s, token, "PUT", "/api/v1/cib", {"xml": "<cib", "config": True}, "CIB_NOT_XML")
    await refused(s, token, "PUT", "/api/v1/cib", {"config": True}, "REMOTE_BAD_REQUEST")
    await stale(s, token, "PUT", "/api/v1/cib", {"xml": xml, "config": True})
    done = await call_ok(s, token, "PUT", "/api/v1/cib", {"xml": xml, "config": True})
    assert done["changed"] is True
    assert "pushed" in [r.id for r in s.cluster.node(3).cib.configuration.resources]

    found = await call_ok(s, token, "GET", "/api/v1/verify")
    assert isinstance(found["valid"], bool) and isinstance(found["reports"], list)
    assert all(r["code"] and r["message"] for r in found["reports"])  # type: ignore[index]

    with tempfile.TemporaryDirectory() as d:
        kept = Path(d) / "cib-0.1.0.xml"
        kept.write_text(str(got["xml"]))  # the configuration before the push
        os.environ["VIGIL_STATE_DIR"] = d
        try:
            listed = (await call_ok(s, token, "GET", "/api/v1/checkpoints"))["checkpoints"]
            assert [c["number"] for c in listed] == [1]  # type: ignore[index,union-attr]
            one = await call_ok(s, token, "GET", "/api/v1/checkpoints/1")
            assert 'id="pushed"' not in str(one["xml"])
            await refused(s, token, "GET", "/api/v1/checkpoints/x", None, "REMOTE_BAD_REQUEST")
            await refused(s, token, "POST", "/api/v1/checkpoints/7/restore", {},
                          "CHECKPOINT_NOT_FOUND")
            await call_ok(s, token, "POST", "/api/v1/checkpoints/1/restore")
            assert "pushed" not in [r.id for r in s.cluster.node(3).cib.configuration.resources]
        finally:
            del os.environ["VIGIL_STATE_DIR"]
