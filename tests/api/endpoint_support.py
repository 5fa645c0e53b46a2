"""The remote endpoint served for tests: the aiohttp application over TLS on loopback, in front
of a real ControlServer and Vigild on the simulated cluster (tests/daemon), with its own
passwords, tokens and known hosts; blocking clients run in threads while the cluster runs."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from vigil.api.server import build_app
from vigil.api.snapshots import StatusCache
from vigil.api.tokens import TokenStore
from vigil.commands import remote
from vigil.commands.runner import Runner
from vigil.commands.status import cluster_status
from vigil.daemon.ipc import ControlServer
from vigil.host import tls
from vigil.host.passwords import NodePasswords, PasswordFile

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from daemon.test_vigild_sim import Cluster  # noqa: E402  (tests/daemon, as pytest imports it)

T = TypeVar("T")
USER, PASSWORD = "root", "s3cret-for-tests"  # root: in the client group on every machine


@dataclass
class Served:
    cluster: Cluster
    port: int
    tmp: Path
    tokens: TokenStore
    hosts: remote.KnownHosts
    cert: Path

    async def blocking(self, call: Callable[[], T]) -> T:
        """A blocking client call in a thread while the cluster runs."""
        fut = asyncio.get_running_loop().run_in_executor(None, call)
        while not fut.done():
            await self.cluster.settle()
            await asyncio.sleep(0.005)
        return fut.result()

    def auth(self, password: str = PASSWORD, *, force: bool = False) -> remote.Authenticated:
        return remote.authenticate("n1", f"127.0.0.1:{self.port}", USER, password,
                                   force=force, hosts=self.hosts, timeout=10)


CLUSTER_NAME = "endpoint-test"
Body = Callable[[Served], Awaitable[None]]


def served(test: Body, *, protect: tuple[str, ...] = (), tools: Runner | None = None,
           timeout_s: float = 60.0) -> Callable[[Path], None]:
    def run(tmp_path: Path) -> None:
        async def main() -> None:
            cluster = Cluster(3)
            sock = str(tmp_path / "vigild.sock")
            control = ControlServer(cluster.node(1), sock)
            cert, key = tmp_path / "remote.crt", tmp_path / "remote.key"
            tls.ensure_certificate(cert, key, "localhost", ["127.0.0.1"])
            passwords = PasswordFile(tmp_path / "passwords")
            passwords.set(USER, PASSWORD)
            tokens = TokenStore(tmp_path / "tokens")
            from vigil.commands.env import LiveEnvironment

            # the node's Corosync name is in its corosync.conf, which the status document reads
            conf = tmp_path / "corosync.conf"
            conf.write_text(f"totem {{\n    cluster_name: {CLUSTER_NAME}\n}}\n")
            local = LiveEnvironment(sock, timeout=10, corosync_conf=str(conf))
            cache = StatusCache(lambda: cluster_status(local))
            app = build_app(cache, "n1", control_socket=sock, tokens=tokens,
                            passwords=NodePasswords(passwords), protect=protect,
                            failed_auth_delay_s=0.0, tools=tools,
                            events_log=tmp_path / "events.jsonl")
            runner = web.AppRunner(app)
            refresher: asyncio.Task[None] | None = None
            try:
                await cluster.configure()
                await control.start()
                await runner.setup()
                site = web.TCPSite(runner, "127.0.0.1", 0,
                                   ssl_context=tls.server_context(cert, key))
                await site.start()
                port = runner.addresses[0][1]
                s = Served(cluster, port, tmp_path, tokens,
                           remote.KnownHosts(tmp_path / "known-hosts"), cert)
                refresher = asyncio.create_task(cache.run())
                await asyncio.wait_for(test(s), timeout_s)
            finally:
                if refresher is not None:
                    refresher.cancel()
                await runner.cleanup()
                await control.stop()
                await cluster.stop()

        asyncio.run(main())

    run.__name__ = test.__name__
    return run
