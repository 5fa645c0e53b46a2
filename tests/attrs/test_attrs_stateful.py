"""Pacemaker's own ocf:pacemaker:Stateful agent, unmodified, run with the environment vigild gives
agents (HA_SBIN_DIR and PATH at vigil's tools, VIGIL_SOCKET), through vigild's own executor:
its promotion score reaches every
vigild replica through crm_attribute --promotion and goes again when it stops."""

from __future__ import annotations

import os

from attrs_live import PROMOTABLE, Live, live

from vigil.cib import status_edit
from vigil.controller.operations import Operation
from vigil.daemon.__main__ import agent_env
from vigil.daemon.local_executor import AgentExecutor
from vigil.model.ocf import OcfResult

CLONE_META = (("clone_max", "2"), ("clone_node_max", "1"), ("globally_unique", "false"),
              ("notify", "true"), ("promoted_max", "1"), ("promoted_node_max", "1"))


async def stateful(c: Live, action: str, *, node: int, interval_ms: int = 0) -> int:
    """One action of the agent on `node`, through vigild's own executor (AgentExecutor) with
    the environment vigild gives agents (vigil.daemon.__main__.agent_env)."""
    executor = c.executors.get(node)
    if executor is None:
        env = agent_env(str(c.tools), str(c.dir / f"n{node}.sock"))
        assert env["HA_SBIN_DIR"] == str(c.tools)
        assert env["PATH"].split(":")[0] == str(c.tools)
        executor = c.executors[node] = AgentExecutor(f"node{node}", agent_env=env)
    op = Operation(resource="st", standard="ocf", provider="pacemaker", agent_type="Stateful",
                   task=action, interval_ms=interval_ms, timeout_ms=20_000,
                   expected_rc=8 if action == "monitor" and interval_ms == 11_000 else 0,
                   transition_key="1:1:0:test",
                   params=(("state", str(c.dir / f"Stateful-st-node{node}.state")),),
                   meta=CLONE_META)
    outcome = await executor.execute(op)
    await c.settle()
    return outcome.record.rc_code


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
