"""Pacemaker's own ocf:pacemaker:Stateful agent, unmodified, run with the environment vigild gives
agents (HA_SBIN_DIR and PATH at vigil's tools, VIGIL_SOCKET): its promotion score reaches every
vigild replica through crm_attribute --promotion and goes again when it stops."""

from __future__ import annotations

import asyncio
import os

from attrs_live import PROMOTABLE, Live, live

from vigil.cib import status_edit
from vigil.executor.agents import resolve_agent
from vigil.executor.run import agent_environment
from vigil.model.ocf import OcfResult

CLONE_META = {"clone_max": "2", "clone_node_max": "1", "globally_unique": "false",
              "notify": "true", "promoted_max": "1", "promoted_node_max": "1",
              "master_max": "1", "master_node_max": "1"}


async def stateful(c: Live, action: str, *, node: int, interval_ms: int = 0) -> int:
    spec = resolve_agent("ocf:pacemaker:Stateful")
    assert spec.path is not None
    state = c.dir / f"Stateful-st-node{node}.state"
    env = agent_environment(spec, action, {"state": str(state)}, resource_id="st",
                            timeout_ms=20_000, interval_ms=interval_ms,
                            meta={**CLONE_META, "on_node": f"node{node}"}, base=c.env(node))
    assert env["HA_SBIN_DIR"] == str(c.tools)
    assert env["PATH"].split(":")[0] == str(c.tools)
    proc = await asyncio.create_subprocess_exec(str(spec.path), action, env=env, cwd="/",
                                                stdin=asyncio.subprocess.DEVNULL,
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    await c.settle()
    assert proc.returncode is not None, err
    return proc.returncode


def scores(c: Live, of: int) -> list[str | None]:
    return [status_edit.transient_value(d.cib, str(of), "master-st") for d in c.daemons.values()]


@live(2)
async def test_stateful_sets_and_deletes_its_promotion_score(c: Live) -> None:
    await c.configure(PROMOTABLE)
    assert os.access("/usr/lib/ocf/resource.d/pacemaker/Stateful", os.X_OK)
    assert scores(c, 1) == [None, None]
    assert await stateful(c, "start", node=1) == OcfResult.OK
    assert scores(c, 1) == ["5", "5"]  # unpromoted: 5, on node1, seen by both replicas
    assert await stateful(c, "start", node=2) == OcfResult.OK
    assert scores(c, 2) == ["5", "5"]
    assert await stateful(c, "monitor", node=1, interval_ms=10_000) == OcfResult.OK
    assert await stateful(c, "promote", node=1) == OcfResult.OK
    assert scores(c, 1) == ["10", "10"] and scores(c, 2) == ["5", "5"]
    assert await stateful(c, "monitor", node=1, interval_ms=11_000) == OcfResult.RUNNING_PROMOTED
    # a probe of a promoted instance restores its score (after a cleanup, say)
    r = await c.tool("crm_attribute", "-p", "st", "-D")
    assert r.rc == 0 and scores(c, 1) == [None, None]
    assert await stateful(c, "monitor", node=1) == OcfResult.RUNNING_PROMOTED
    assert scores(c, 1) == ["10", "10"]
    assert await stateful(c, "demote", node=1) == OcfResult.OK
    assert scores(c, 1) == ["5", "5"]
    assert await stateful(c, "monitor", node=1, interval_ms=10_000) == OcfResult.OK
    assert await stateful(c, "stop", node=1) == OcfResult.OK
    assert scores(c, 1) == [None, None] and scores(c, 2) == ["5", "5"]
    assert await stateful(c, "monitor", node=1) == OcfResult.NOT_RUNNING
    assert await stateful(c, "stop", node=2) == OcfResult.OK
    assert scores(c, 2) == [None, None]
