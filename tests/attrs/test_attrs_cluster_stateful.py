"""End to end: three vigild on the simulated network, each running the real, unmodified
ocf:pacemaker:Stateful through its own AgentExecutor with the environment vigild gives agents
(vigil.daemon.__main__.agent_env: vigil's tools first, VIGIL_SOCKET at the node's control
socket). No role constraint: the promotion follows the scores the agents set with crm_attribute
--promotion, and a score an operator raises moves it. Real agents and real time: the test waits
for conditions, with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vigil.cib.read import parse_cib
from vigil.cib.status_edit import transient_value
from vigil.cib.write import write_cib
from vigil.cluster.sim import SimNetwork
from vigil.daemon import agent_tools
from vigil.daemon.__main__ import agent_env
from vigil.daemon.ipc import ControlServer
from vigil.daemon.local_executor import AgentExecutor
from vigil.daemon.store import MemoryStore
from vigil.daemon.vigild import Vigild

CONFIG = """<cib admin_epoch="0" epoch="1" num_updates="0" crm_feature_set="3.16.1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o1" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <clone id="db-clone">
        <meta_attributes id="db-clone-meta">
          <nvpair id="db-clone-promotable" name="promotable" value="true"/>
          <nvpair id="db-clone-promoted-max" name="promoted-max" value="1"/>
        </meta_attributes>
        <primitive id="db" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="db-mon-promoted" name="monitor" interval="1s" role="Promoted"/>
            <op id="db-mon-unpromoted" name="monitor" interval="2s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
"""


class WallClock:
    def now(self) -> int:
        return int(time.time())


async def until(what: Callable[[], bool], within_s: float = 40.0) -> None:
    deadline = time.monotonic() + within_s
    while not what():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_the_promotion_follows_the_agents_scores_set_through_vigils_tools() -> None:
    with tempfile.TemporaryDirectory(prefix="vattrs-") as tmp:
        asyncio.run(asyncio.wait_for(_scenario(Path(tmp)), 90))


async def _scenario(tmp: Path) -> None:
    tools = agent_tools.prepare(tmp / "sbin")
    net = SimNetwork()
    daemons: dict[int, Vigild] = {}
    servers: list[ControlServer] = []
    for i in (1, 2, 3):
        (tmp / f"node{i}").mkdir()
        sock = str(tmp / f"n{i}.sock")
        env = {**agent_env(str(tools), sock), "HA_VARRUN": str(tmp / f"node{i}")}
        d = Vigild(net.add_node(i, f"node{i}"), AgentExecutor(f"node{i}", agent_env=env),
                   MemoryStore(), WallClock())
        daemons[i] = d
        servers.append(ControlServer(d, sock))
    for server in servers:
        await server.start()
    tasks = [asyncio.ensure_future(d.run()) for d in daemons.values()]

    def state(i: int) -> str:
        path = tmp / f"node{i}" / "Stateful-db.state"
        return path.read_text().strip() if path.exists() else ""

    def score(i: int, seen_by: int = 1) -> str | None:
        return transient_value(daemons[seen_by].cib, str(i), "master-db")

    try:
        await until(lambda: all(d.view.synced and d.dc == 1 for d in daemons.values()))
        new, _ = parse_cib(CONFIG)
        ok, _ = await daemons[1].request_config(write_cib(new), daemons[1].cib.version)
        assert ok
        # started everywhere (each start set the instance's score to 5 through crm_attribute),
        # then one promoted (its promote set 10): every replica sees the scores
        await until(lambda: sorted(state(i) for i in (1, 2, 3)) == [
            "Promoted", "Unpromoted", "Unpromoted"])
        first = next(i for i in (1, 2, 3) if state(i) == "Promoted")
        await until(lambda: all(score(i, seen) == ("10" if i == first else "5")
                                for i in (1, 2, 3) for seen in (1, 2, 3)))
        # an operator raises another node's score: the DC plans again and moves the promotion
        other = next(i for i in (1, 2, 3) if i != first)
        proc = await asyncio.create_subprocess_exec(
            str(tools / "crm_attribute"), "-N", f"node{other}", "-p", "db", "-v", "100",
            env=agent_env(str(tools), str(tmp / "n1.sock")))
        assert await proc.wait() == 0
        await until(lambda: state(other) == "Promoted" and state(first) == "Unpromoted")
        # its promote set its own score (10), the demoted one's demote set 5
        await until(lambda: (score(other), score(first)) == ("10", "5"))
        assert sorted(state(i) for i in (1, 2, 3)) == ["Promoted", "Unpromoted", "Unpromoted"]
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        for server in servers:
            await server.stop()
        for d in daemons.values():
            await d.executor.scheduler.close()  # type: ignore[attr-defined]
