"""Real vigild instances on the simulated network, each with its control socket, and the agents'
tools (the wrappers vigild writes) run as real processes against them.

No network, no sleeping for time to pass: the tools' requests are answered once the asking
node's replica applied them (agreed order); `settle()` lets the others catch up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.cluster.sim import SimNetwork
from vigil.daemon import agent_tools
from vigil.daemon.ipc import ControlServer
from vigil.daemon.local_executor import AgentExecutor
from vigil.daemon.store import MemoryStore
from vigil.daemon.vigild import Vigild

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from daemon.agent_world import World  # noqa: E402  (tests/daemon, as pytest imports it)

# a promotable clone of Pacemaker's Stateful agent
PROMOTABLE = """<cib admin_epoch="0" epoch="1" num_updates="0" crm_feature_set="3.16.1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o1" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <clone id="st-clone">
        <meta_attributes id="st-clone-meta">
          <nvpair id="st-clone-promotable" name="promotable" value="true"/>
          <nvpair id="st-clone-notify" name="notify" value="true"/>
        </meta_attributes>
        <primitive id="st" class="ocf" provider="pacemaker" type="Stateful">
          <instance_attributes id="st-ia"><nvpair id="st-ia-d" name="notify_delay" value="0"/>
          </instance_attributes>
          <meta_attributes id="st-meta">
            <nvpair id="st-meta-tr" name="target-role" value="Started"/>
          </meta_attributes>
        </primitive>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
"""


@dataclass(frozen=True)
class Ran:
    rc: int
    out: str
    err: str


class Live:
    def __init__(self, n: int) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="vattrs-"))
        self.tools = agent_tools.prepare(self.dir / "tools")
        self.net = SimNetwork()
        self.world = World()
        self.daemons: dict[int, Vigild] = {}
        self.executors: dict[int, AgentExecutor] = {}  # real agents' executors, when a test runs some
        self.servers: dict[int, ControlServer] = {}
        self.tasks: list[asyncio.Task[None]] = []
        for i in range(1, n + 1):
            layer = self.net.add_node(i, f"node{i}")
            d = Vigild(layer, self.world.executor(f"node{i}"), MemoryStore(), self.world)
            self.daemons[i] = d
            self.servers[i] = ControlServer(d, str(self.dir / f"n{i}.sock"))
            self.tasks.append(asyncio.ensure_future(d.run()))

    async def start(self) -> None:
        for server in self.servers.values():
            await server.start()
        await self.settle()

    async def stop(self) -> None:
        for server in self.servers.values():
            await server.stop()
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        shutil.rmtree(self.dir, ignore_errors=True)

    async def settle(self) -> None:
        """Run the loop until no replica changes any more."""
        quiet, last = 0, None
        for _ in range(5000):
            await asyncio.sleep(0)
            snap = tuple((i, d.cib.version.as_tuple(), d.view.synced, d.node_attributes)
                         for i, d in sorted(self.daemons.items()))
            if snap == last:
                quiet += 1
                if quiet > 60:
                    return
            else:
                quiet, last = 0, snap
        raise AssertionError("the cluster did not settle")

    async def configure(self, xml: str) -> None:
        d = self.daemons[1]
        new, _ = parse_cib(xml)
        ok, detail = await d.request_config(write_cib(new), d.cib.version)
        assert ok, detail
        await self.settle()

    def env(self, node: int = 1, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("OCF_", "CIB_", "HA_", "VIGIL_"))}
        return {**base, **agent_tools.agent_environment(
            self.tools, str(self.dir / f"n{node}.sock"), base=base), **extra}

    async def run(self, argv: list[str], *, node: int = 1,
                  env: Mapping[str, str] | None = None) -> Ran:
        """Run a command (a tool by its name: found through PATH, vigil's first) and wait."""
        proc = await asyncio.create_subprocess_exec(
            *argv, env=dict(env) if env is not None else self.env(node),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
        assert proc.returncode is not None
        await self.settle()
        return Ran(proc.returncode, out.decode(), err.decode())

    async def tool(self, *argv: str, node: int = 1, **extra: str) -> Ran:
        return await self.run([str(self.tools / argv[0]), *argv[1:]], node=node,
                              env=self.env(node, **extra))

    def cib_file(self, node: int = 1) -> str:
        """The node's CIB written to a file, for Pacemaker's own tools (CIB_file)."""
        path = self.dir / f"cib-{node}.xml"
        path.write_text(write_cib(self.daemons[node].cib))
        return str(path)


def live(n: int) -> Callable[[Callable[[Live], Coroutine[Any, Any, None]]], Callable[[], None]]:
    def wrap(test: Callable[[Live], Coroutine[Any, Any, None]]) -> Callable[[], None]:
        def run() -> None:
            async def body() -> None:
                cluster = Live(n)
                try:
                    await cluster.start()
                    await test(cluster)
                finally:
                    await cluster.stop()

            asyncio.run(body())

        run.__name__ = test.__name__
        run.__doc__ = test.__doc__
        return run

    return wrap
