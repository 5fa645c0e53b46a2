"""A promotable clone on three real Vigild daemons over the simulated network (the world's
agents as in test_vigild_sim): promoted where a role constraint prefers, monitored per role, a
failed promoted monitor (rc 9) recovered, and the promoted node keeping its instance and its
Promoted monitor when it becomes the DC."""

from __future__ import annotations

from vigil.cib.status_edit import transient_value

from .service_cibs import PROMOTABLE_CONFIG
from .test_vigild_sim import Cluster, scenario, with_fencing

PREFER_NODE2 = PROMOTABLE_CONFIG.replace(
    "<constraints>", '<constraints><rsc_location id="promote-on-2" rsc="db-clone" '
    'role="Promoted" node="node2" score="100"/>')
PROMOTED_MON = {10000: ("Promoted", 8)}
UNPROMOTED_MON = {11000: ("Unpromoted", 0)}


def role_monitors(c: Cluster) -> dict[str, dict[int, tuple[str | None, int]]]:
    return {name: ex.monitors_of("db") for name, ex in sorted(c.world.executors.items())
            if c.world.running.get((name, "db"))}


@scenario
async def test_promotable_clone_on_vigild(cluster: Cluster) -> None:
    with_fencing(cluster)
    cluster.world.promotable.add("db")
    await cluster.configure(PREFER_NODE2)
    assert cluster.world.where("db") == ["node1", "node2", "node3"]
    assert cluster.world.where_promoted("db") == ["node2"]
    assert role_monitors(cluster) == {"node1": UNPROMOTED_MON, "node2": PROMOTED_MON,
                                      "node3": UNPROMOTED_MON}

    cluster.world.fail_promoted("node2", "db")
    cluster.world.tick()
    await cluster.settle()
    failed_at = cluster.world.log.index(("node2", "db", "monitor", 9))
    # the clone has notify=true: the notifications around each step are left out here
    recovery = [(t, rc) for n, r, t, rc in cluster.world.log[failed_at + 1:]
                if n == "node2" and r == "db" and t not in ("monitor", "notify")]
    assert recovery == [("demote", 0), ("stop", 0), ("start", 0), ("promote", 0)]
    assert cluster.world.where_promoted("db") == ["node2"]
    assert role_monitors(cluster)["node2"] == PROMOTED_MON
    for i in (1, 2, 3):  # counted once, on every replica
        assert transient_value(cluster.node(i).cib, "2", "fail-count-db#monitor_10000") == "1"

    # the DC goes (fenced): node2, promoted, becomes the DC and keeps its instance as it is
    cluster.net.crash(1)
    cluster.world.power_off("node1")
    await cluster.settle()
    assert cluster.node(2).is_dc
    before = len(cluster.world.log)
    cluster.world.tick()
    await cluster.settle()
    assert cluster.world.where_promoted("db") == ["node2"]
    assert role_monitors(cluster) == {"node2": PROMOTED_MON, "node3": UNPROMOTED_MON}
    # the first result of node2's Promoted monitor since the recovery (node3's has not
    # changed), and nothing else on the survivors
    assert [e for e in cluster.world.log[before:] if e[0] != "node1"] == [
        ("node2", "db", "monitor", 8)]
