"""The REST routes the web UI reads (vigil.api.rest) for real, on the simulated cluster behind
the endpoint: what-if on a copy of the live CIB (nothing applied), the agents and their
metadata (the create form's), constraints and properties listed, the history of transitions
read from the node's events log, and `explain` with the CLI's sentences."""

from __future__ import annotations

import json

from endpoint_support import Served, served
from test_rest import call, login


async def _dummy(s: Served, token: str, rid: str) -> str:
    made = await s.blocking(lambda: call(s, token, "POST", "/api/v1/resources", {
        "id": rid, "agent": "ocf:heartbeat:Dummy"}))
    assert made.status == 200, made.body
    return rid


@served
async def test_what_if_answers_on_a_copy_and_applies_nothing(s: Served) -> None:
    token = await login(s)
    await call_ok(s, token, "PUT", "/api/v1/properties", {"stonith-enabled": "false"})
    await _dummy(s, token, "web")
    here = sorted(s.cluster.world.where("web"))
    assert len(here) == 1
    before = s.cluster.node(1).cib.version
    # the node running web fails: web starts elsewhere
    failed = await call_ok(s, token, "POST", "/api/v1/whatif", {"fail": here})
    moves = [i for i in failed["summary"] if i["resource"] == "web"]
    # (without fencing, a node that left counts as running nothing: a Start, as Pacemaker has it)
    assert moves and moves[0]["verb"] in ("Start", "Move", "Recover"), failed["summary"]
    after = {p["resource"]: p["nodes"] for p in failed["after"]}
    assert after["web"] and after["web"] != here
    assert {p["resource"]: p["nodes"] for p in failed["before"]}["web"] == here
    # a move: where it goes, and the constraint it would leave behind, said before doing it
    there = next(n for n in ("node1", "node2", "node3") if n not in here)
    moved = await call_ok(s, token, "POST", "/api/v1/whatif",
                          {"moves": [{"resource": "web", "node": there}]})
    assert {p["resource"]: p["nodes"] for p in moved["after"]}["web"] == [there]
    assert [r["code"] for r in moved["reports"]] == ["MOVE_CONSTRAINT_CREATED"]
    assert "cli-prefer-web" in moved["reports"][0]["message"]
    standby = await call_ok(s, token, "POST", "/api/v1/whatif", {"standby": here})
    assert {p["resource"]: p["nodes"] for p in standby["after"]}["web"] != here
    # nothing applied: the CIB is where it was, web where it was
    assert s.cluster.node(1).cib.version == before
    assert sorted(s.cluster.world.where("web")) == here
    # a question about a node or resource that does not exist: the CLI's refusal
    for body in ({"fail": ["ghost"]}, {"moves": [{"resource": "nope", "node": there}]}, {},
                 {"fail": "node1"}):
        reply = await s.blocking(lambda b=body: call(s, token, "POST", "/api/v1/whatif", b))
        assert reply.status == 400 and reply.body["reports"][0]["message"], reply.body


async def call_ok(s: Served, token: str, method: str, path: str,
                  body: dict[str, object] | None = None) -> dict[str, object]:
    reply = await s.blocking(lambda: call(s, token, method, path, body))
    assert reply.status == 200 and reply.body["ok"] is True, (path, reply.body)
    return reply.body


@served
async def test_agents_constraints_and_properties_are_listed(s: Served) -> None:
    token = await login(s)
    agents = await call_ok(s, token, "GET", "/api/v1/agents")
    assert "ocf:heartbeat:Dummy" in agents["agents"]
    meta = await call_ok(s, token, "GET", "/api/v1/agents/ocf:heartbeat:IPaddr2")
    ip = next(p for p in meta["parameters"] if p["name"] == "ip")
    assert ip["required"] is True and ip["shortdesc"]
    missing = await s.blocking(lambda: call(s, token, "GET", "/api/v1/agents/ocf:heartbeat:nosuch"))
    assert missing.status == 400 and missing.body["reports"][0]["code"] == "AGENT_NOT_FOUND"
    # the create checks the parameters against the metadata, as the CLI does
    refused = await s.blocking(lambda: call(s, token, "POST", "/api/v1/resources", {
        "id": "vip", "agent": "ocf:heartbeat:IPaddr2"}))
    assert refused.status == 400, refused.body
    assert "ip" in refused.body["reports"][0]["message"]
    await _dummy(s, token, "a")
    await _dummy(s, token, "b")
    await call_ok(s, token, "POST", "/api/v1/constraints",
                  {"kind": "colocation", "source": "a", "target": "b"})
    await call_ok(s, token, "POST", "/api/v1/resources/a/ban", {"node": "node2"})
    # a score changed in place, an order's kind; refusals change nothing
    changed = await call_ok(s, token, "PATCH", "/api/v1/constraints/colocation-a-b-INFINITY",
                            {"score": "200"})
    assert changed["reports"][0]["message"] == "info: constraint colocation-a-b-INFINITY is now 200"
    await call_ok(s, token, "POST", "/api/v1/constraints",
                  {"kind": "order", "first": "a", "then": "b"})
    await call_ok(s, token, "PATCH", "/api/v1/constraints/order-a-b-mandatory",
                  {"score": "optional"})
    version = s.cluster.node(1).cib.version
    for cid, body, code in (("colocation-a-b-INFINITY", {"score": "lots"}, "INVALID_SCORE"),
                            ("order-a-b-mandatory", {"score": "sometimes"},
                             "INVALID_OPTION_VALUE"),
                            ("ghost", {"score": "1"}, "CONSTRAINT_NOT_FOUND"),
                            ("colocation-a-b-INFINITY", {}, "REMOTE_BAD_REQUEST")):
        bad = await s.blocking(lambda c=cid, b=body: call(
            s, token, "PATCH", f"/api/v1/constraints/{c}", b))
        assert bad.status == 400 and bad.body["reports"][0]["code"] == code, bad.body
    assert s.cluster.node(1).cib.version == version
    await call_ok(s, token, "DELETE", "/api/v1/constraints/order-a-b-mandatory")
    found = (await call_ok(s, token, "GET", "/api/v1/constraints"))["constraints"]
    by_kind = {c["kind"]: c for c in found}
    assert by_kind["colocation"]["resources"] == ["a", "b"]
    assert "a with b" in by_kind["colocation"]["says"] and by_kind["colocation"]["says"].endswith(
        ": 200")
    assert by_kind["location"]["id"] == "cli-ban-a-on-node2"
    assert "node2" in by_kind["location"]["says"] and "-INFINITY" in by_kind["location"]["says"]
    await call_ok(s, token, "PUT", "/api/v1/properties", {"no-quorum-policy": "freeze"})
    props = (await call_ok(s, token, "GET", "/api/v1/properties"))["properties"]
    assert {"name": "no-quorum-policy", "value": "freeze"}.items() <= next(
        p for p in props if p["name"] == "no-quorum-policy").items()
    conf = await call_ok(s, token, "GET", "/api/v1/resources/a")
    assert conf["agent"] == "ocf:heartbeat:Dummy" and conf["kind"] == "primitive"
    assert [o["name"] for o in conf["operations"]], conf  # the agent's default monitor
    ghost = await s.blocking(lambda: call(s, token, "GET", "/api/v1/resources/ghost"))
    assert ghost.status == 400 and ghost.body["reports"][0]["code"] == "RESOURCE_NOT_FOUND"
    why = await call_ok(s, token, "GET", "/api/v1/resources/a/explain")
    assert isinstance(why["text"], str) and "a" in why["text"] and why["ranking"]


@served
async def test_history_groups_the_events_log_into_transitions(s: Served) -> None:
    token = await login(s)
    events = [
        {"ts": 100.0, "event": "membership", "node": "node2", "members": ["node2", "node3"],
         "left": ["node1"]},
        {"ts": 100.5, "event": "transition-start", "node": "node2", "transition": "node2-7",
         "actions": ["fence node1", "start web on node2"]},
        {"ts": 101.0, "event": "fencing", "node": "node2", "target": "node1", "ok": True,
         "action": "reboot", "device": "f1"},
        {"ts": 101.4, "event": "action", "node": "node2", "resource": "web", "task": "start",
         "target": "node2", "rc": 0, "failed": False, "transition": "node2-7"},
        {"ts": 101.5, "event": "transition-end", "node": "node2", "transition": "node2-7",
         "failed": []},
    ]
    (s.tmp / "events.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in events) + "not json\n")
    found = await call_ok(s, token, "GET", "/api/v1/history?limit=5")
    [t] = found["transitions"]
    assert t["transition"] == "node2-7" and t["outcome"] == "done"
    assert t["trigger"]["kind"] == "membership" and t["duration_s"] == 1.5
    assert [m["kind"] for m in t["timeline"]] == ["membership", "transition-start", "fencing",
                                                   "action", "transition-end"]
    assert [m["after_s"] for m in t["timeline"]] == [0.0, 0.5, 1.0, 1.4, 1.5]
    bad = await s.blocking(lambda: call(s, token, "GET", "/api/v1/history?limit=lots"))
    assert bad.status == 400
