"""The remote endpoint's HTTP side for real: the aiohttp application served over TLS on
loopback with a certificate made by vigil.host.tls, asked with an HTTP client that trusts only
that certificate; its snapshots read from a CIB file the way the daemon's are read from vigild."""

from __future__ import annotations

import asyncio
import os
import ssl
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from clusters import promotable, status_of
from prometheus_client.parser import text_string_to_metric_families

from vigil.api.server import build_app
from vigil.api.snapshots import StatusCache
from vigil.commands.status import ClusterStatus
from vigil.host import tls

Probe = Callable[[aiohttp.ClientSession, str], Awaitable[None]]


def serve_and_ask(tmp_path: Path, read: Callable[[], ClusterStatus], node: str,
                  probe: Probe) -> None:
    """Serve the app over TLS on a free loopback port, refresh its snapshot once, run `probe`
    with a client that verifies the server's certificate, and tear everything down."""
    cert, key = tmp_path / "remote.crt", tmp_path / "remote.key"
    tls.ensure_certificate(cert, key, "localhost", ["127.0.0.1"])

    async def main() -> None:
        cache = StatusCache(read)
        await cache.refresh()
        runner = web.AppRunner(build_app(cache, node))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.server_context(cert, key))
        await site.start()
        port = runner.addresses[0][1]
        client_ctx = ssl.create_default_context(cafile=str(cert))
        try:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=client_ctx)) as s:
                await probe(s, f"https://127.0.0.1:{port}")
        finally:
            await runner.cleanup()

    asyncio.run(main())


def test_the_certificate_is_made_once_and_its_key_is_private(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.crt", tmp_path / "c.key"
    assert tls.ensure_certificate(cert, key, "n1", ["10.213.0.11"])
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    before = tls.fingerprint(cert)
    assert not tls.ensure_certificate(cert, key, "n1")  # an existing one is never replaced
    assert tls.fingerprint(cert) == before
    assert len(before.split(":")) == 32


def test_health_checks_and_metrics_over_tls(tmp_path: Path) -> None:
    path = promotable(tmp_path)

    async def probe(s: aiohttp.ClientSession, base: str) -> None:
        async with s.get(f"{base}/health") as r:
            assert r.status == 200, await r.text()
            body = await r.json()
            assert body["verdict"] == "OK" and body["node"] == "node1"
        async with s.get(f"{base}/promoted/db-clone") as r:
            assert r.status == 200
        async with s.get(f"{base}/unpromoted/db-clone") as r:
            assert r.status == 503
            assert (await r.json())["verdict"] == "NOT_IN_ROLE_HERE"
        async with s.get(f"{base}/running/nothing-like-it") as r:
            assert r.status == 404
        async with s.get(f"{base}/metrics") as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/plain")
            families = {f.name: f for f in text_string_to_metric_families(await r.text())}
        assert families["ha_cluster_vigil_scrape_success"].samples[0].value == 1
        # node1 is the DC: it speaks for the cluster
        assert "ha_cluster_pacemaker_nodes" in families

    serve_and_ask(tmp_path, lambda: status_of(path), "node1", probe)


def test_a_status_that_cannot_be_read_is_never_healthy(tmp_path: Path) -> None:
    def unreadable() -> ClusterStatus:
        raise OSError("vigild is not running")

    async def probe(s: aiohttp.ClientSession, base: str) -> None:
        async with s.get(f"{base}/health") as r:
            assert r.status == 503
        async with s.get(f"{base}/metrics") as r:
            families = {f.name: f for f in text_string_to_metric_families(await r.text())}
        assert families["ha_cluster_vigil_scrape_success"].samples[0].value == 0
        assert "ha_cluster_pacemaker_nodes" not in families

    serve_and_ask(tmp_path, unreadable, "node1", probe)


def test_plain_http_gets_no_answer(tmp_path: Path) -> None:
    path = promotable(tmp_path)

    async def probe(s: aiohttp.ClientSession, base: str) -> None:
        plain = base.replace("https://", "http://")
        async with aiohttp.ClientSession() as bare:
            with pytest.raises(aiohttp.ClientError):
                async with bare.get(f"{plain}/health") as r:
                    await r.read()

    serve_and_ask(tmp_path, lambda: status_of(path), "node1", probe)
