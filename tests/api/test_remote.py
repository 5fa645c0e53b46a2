"""The remote endpoint's tokens and `--host` for real: the aiohttp application over TLS on
loopback, in front of a real ControlServer and Vigild on the simulated cluster; the CLI's side
(vigil.commands.remote: host auth, the pinned certificate, RemoteEnvironment) as a blocking
client in a thread, as `vigil` runs it. Passwords, tokens and known hosts in the test's own
files."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
from pathlib import Path

import pytest
from endpoint_support import CLUSTER_NAME, PASSWORD, USER, Served, served

from vigil.api import openapi, webui
from vigil.api.server import build_app
from vigil.api.snapshots import StatusCache
from vigil.commands import remote
from vigil.commands.status import cluster_status
from vigil.host import tls
from vigil.model.nvset import NvPair, NvSet
from vigil.model.reports import ReportError


def _raw(s: Served, method: str, path: str, body: object = None,
         token: str | None = None) -> remote.Reply:
    """One request with the client's own exchange, the certificate pinned."""
    pinned = tls.fingerprint(s.cert)
    _, reply = remote._exchange("n1", "127.0.0.1", s.port, method, path,
                                body if isinstance(body, dict) else None, token=token,
                                pinned=pinned, timeout=10)
    return reply


@served
async def test_auth_pins_the_certificate_and_keeps_only_a_hash_of_the_token(s: Served) -> None:
    done = await s.blocking(s.auth)
    assert done.new_certificate and done.node == "n1"
    assert done.host.fingerprint == tls.fingerprint(s.cert)  # what the node prints at start
    known = s.hosts.path
    assert stat.S_IMODE(os.stat(known).st_mode) == 0o600
    assert json.loads(known.read_text())["hosts"]["n1"]["token"] == done.host.token
    # the node's file has the token's hash and who it was given to, never the token
    on_node = s.tokens.path.read_text()
    assert done.host.token not in on_node and USER in on_node
    assert stat.S_IMODE(os.stat(s.tokens.path).st_mode) == 0o600
    again = await s.blocking(s.auth)
    assert not again.new_certificate and again.host.token != done.host.token


@served
async def test_a_wrong_password_gets_no_token_and_changes_nothing(s: Served) -> None:
    with pytest.raises(ReportError) as err:
        await s.blocking(lambda: s.auth("wrong"))
    assert [r.code for r in err.value.reports] == ["REMOTE_AUTH_FAILED"]
    assert dict(err.value.reports[0].fields)["host"] == "n1"
    assert not s.hosts.path.exists() and not s.tokens.path.exists()


@served
async def test_everything_but_health_and_metrics_needs_a_token(s: Served) -> None:
    for method, path in (("GET", "/api/v1/status"), ("POST", "/api/v1/control"),
                         ("GET", "/api/v1/nothing-here"), ("DELETE", "/api/v1/auth")):
        for token in (None, "not-a-token"):
            reply = await s.blocking(lambda m=method, p=path, t=token: _raw(s, m, p, {}, t))
            assert reply.status == 401, (method, path)
            assert reply.body["reports"][0]["code"] == "REMOTE_TOKEN_REJECTED"
    for path in ("/health", "/metrics", "/api/v1/openapi.json"):
        reply_status = await s.blocking(lambda p=path: _status_of(s, p))
        assert reply_status != 401, path


def _status_of(s: Served, path: str) -> int:
    try:
        return _raw(s, "GET", path).status
    except ReportError as exc:  # /metrics is text, not a vigil reply: it reached the handler
        assert exc.reports[0].code == "REMOTE_BAD_REPLY"
        return int(dict(exc.reports[0].fields)["status"])


async def _protected(s: Served) -> None:
    assert await s.blocking(lambda: _status_of(s, "/health")) == 401
    assert await s.blocking(lambda: _status_of(s, "/metrics")) == 401


test_protect_asks_a_token_for_health_checks_and_metrics_too = served(
    _protected, protect=("health", "metrics"))
test_protect_asks_a_token_for_health_checks_and_metrics_too.__name__ = \
    "test_protect_asks_a_token_for_health_checks_and_metrics_too"


@served
async def test_host_runs_the_cli_s_requests_on_the_node(s: Served) -> None:
    await s.blocking(s.auth)
    env = remote.RemoteEnvironment("n1", timeout=10, hosts=s.hosts)
    status = await s.blocking(env.status)
    assert (status.node, status.members) == ("node1", ("node1", "node2", "node3"))
    cib = await s.blocking(env.get_cib)
    stickiness = NvSet(id="rd9", pairs=(NvPair(id="rd9-s", name="resource-stickiness",
                                               value="9"),))
    new = dataclasses.replace(cib, configuration=dataclasses.replace(
        cib.configuration, rsc_defaults=(stickiness,)))
    stored = await s.blocking(lambda: env.push_cib(new, read_version=cib.version))
    assert stored.version.epoch == cib.version.epoch + 1
    for n in (1, 2, 3):  # replicated like any change
        assert s.cluster.node(n).cib.configuration.rsc_defaults == (stickiness,)
    # compare-and-swap holds through the endpoint: the old version is refused
    with pytest.raises(ReportError) as err:
        await s.blocking(lambda: env.push_cib(new, read_version=cib.version))
    assert err.value.reports[0].code == "CIB_CHANGED_UNDERNEATH"
    # the status document (what `vigil status --output json` shows), once the endpoint's
    # background read has been made
    while True:
        try:
            doc = await s.blocking(lambda: remote.get_json(s.hosts.get("n1"), "/api/v1/status"))
            break
        except ReportError as exc:
            assert exc.reports[0].code == "REMOTE_NO_STATUS"
    doc = await s.blocking(lambda: remote.get_json(s.hosts.get("n1"), "/api/v1/status"))
    assert doc["ok"] is True and isinstance(doc["resources"], list)
    # the node's Corosync name comes from its files, read there and shown here
    assert doc["cluster_name"] == CLUSTER_NAME
    assert await s.blocking(env.corosync_cluster_name) == CLUSTER_NAME
    assert (await s.blocking(lambda: cluster_status(env))).cluster_name == CLUSTER_NAME


@served
async def test_a_bad_control_request_never_reaches_vigild(s: Served) -> None:
    token = (await s.blocking(s.auth)).host.token
    before = s.cluster.node(1).cib.version
    for body in ({"op": "no-such-op"}, {"op": "replace"}, {"nothing": 1}):
        reply = await s.blocking(lambda b=body: _raw(s, "POST", "/api/v1/control", b, token))
        assert reply.status == 400 and reply.body["ok"] is False
    assert s.cluster.node(1).cib.version == before


@served
async def test_a_changed_certificate_is_refused_before_the_password_is_sent(s: Served) -> None:
    await s.blocking(s.auth)
    hosts = s.hosts.read()
    forged = dataclasses.replace(hosts["n1"], fingerprint="00:" * 31 + "00")
    s.hosts.write({"n1": forged})
    issued = s.tokens.path.read_text()
    with pytest.raises(ReportError) as err:
        await s.blocking(s.auth)
    assert err.value.reports[0].code == "REMOTE_CERTIFICATE_CHANGED"
    assert s.tokens.path.read_text() == issued  # nothing reached the node's auth
    env = remote.RemoteEnvironment("n1", timeout=10, hosts=s.hosts)
    with pytest.raises(ReportError) as err:
        await s.blocking(env.status)
    assert err.value.reports[0].code == "REMOTE_CERTIFICATE_CHANGED"
    # --force: the operator checked the new fingerprint
    done = await s.blocking(lambda: s.auth(force=True))
    assert done.host.fingerprint == tls.fingerprint(s.cert)


@served
async def test_deauth_revokes_the_token_on_the_node(s: Served) -> None:
    token = (await s.blocking(s.auth)).host.token
    assert await s.blocking(lambda: remote.deauthenticate("n1", hosts=s.hosts))
    assert s.tokens.holder(token) is None and "n1" not in s.hosts.read()
    with pytest.raises(ReportError) as err:
        remote.RemoteEnvironment("n1", hosts=s.hosts)
    assert err.value.reports[0].code == "REMOTE_HOST_NOT_AUTHENTICATED"


@served
async def test_the_openapi_document_names_every_route_served(s: Served) -> None:
    reply = await s.blocking(lambda: _raw(s, "GET", "/api/v1/openapi.json"))
    assert reply.status == 200 and reply.body == openapi.DOCUMENT
    app = build_app(StatusCache(lambda: cluster_status(None)), "n1")
    served_paths = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter")
        served_paths.add(str(path))
    assert served_paths - webui.PAGE_PATHS == set(openapi.DOCUMENT["paths"])


def test_an_unreachable_host_is_one_report(tmp_path: Path) -> None:
    hosts = remote.KnownHosts(tmp_path / "known")
    with pytest.raises(ReportError) as err:  # nothing listens on port 1 of loopback
        remote.authenticate("n9", "127.0.0.1:1", USER, PASSWORD, hosts=hosts, timeout=5)
    assert err.value.reports[0].code == "REMOTE_UNREACHABLE"
    with pytest.raises(ReportError) as err:
        remote.authenticate("n9", "127.0.0.1:99999", USER, PASSWORD, hosts=hosts)
    assert err.value.reports[0].code == "REMOTE_BAD_ADDRESS"
    assert not hosts.path.exists()


@served
async def test_node_operations_run_as_a_process_of_their_own(s: Served) -> None:
    """The endpoint's default runner: `python3 -m vigil.commands.node_ops` on this machine
    (setup-check only reads: whether this machine could take a new cluster's files)."""
    host = (await s.blocking(s.auth)).host
    body = await s.blocking(lambda: remote.post_json(host, "/api/v1/node/setup-check",
                                                     {"force": False}))
    conf = Path("/etc/corosync/corosync.conf")
    if conf.exists():  # Debian's corosync package installs an example one
        assert body["ok"] is False
        assert [r["code"] for r in body["reports"]] == ["CLUSTER_FILE_EXISTS"]  # type: ignore[union-attr]
    else:
        assert body["ok"] is True
    for op, payload in (("reboot", {}), ("start", {"wait_s": "soon"}),
                        ("receive", {"files": [{"path": "etc/passwd"}]})):
        with pytest.raises(ReportError) as err:
            await s.blocking(lambda o=op, p=payload: remote.post_json(host, f"/api/v1/node/{o}", p))
        assert err.value.reports[0].code == "REMOTE_BAD_REQUEST", op


@served
async def test_status_pcsd_sees_each_endpoint_online_refused_or_gone(s: Served) -> None:
    from vigil.commands import cluster_view

    token = (await s.blocking(s.auth)).host.token
    states = await s.blocking(lambda: cluster_view.endpoint_states(["n1", "n7"], s.hosts))
    assert [(e.node, e.state) for e in states] == [("n1", "online"), ("n7", "not-authenticated")]
    s.tokens.revoke(token)  # the node no longer takes this machine's token
    [refused] = await s.blocking(lambda: cluster_view.endpoint_states(["n1"], s.hosts))
    assert refused.state == "unauthorized"
    gone = dataclasses.replace(s.hosts.read()["n1"], port=1)  # nothing listens there
    s.hosts.write({"n1": gone})
    [off] = await s.blocking(lambda: cluster_view.endpoint_states(["n1"], s.hosts))
    assert off.state == "offline" and off.detail
