"""vigild on the simulated cluster: replication, join, DC election, planning, recovery.

Each test runs real Vigild instances on a SimNetwork with a simulated resource world; nothing is
mocked, no test sleeps: `settle()` lets the event loop run until nothing changes any more.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Coroutine
from typing import Any

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.cluster.sim import SimLayer, SimNetwork
from vigil.controller.effects import AlertCall
from vigil.controller.state import cib_digest
from vigil.daemon.store import MemoryStore
from vigil.daemon.vigild import Vigild
from vigil.model.fencing import FenceOutcome, FenceStatus
from vigil.model.nvset import NvPair, NvSet

from .agent_world import World
from .service_cibs import CONFIG, FENCED_CONFIG


class RecordedAlerts:
    """Every alert call each node's vigild makes: (node, CRM_alert_* values, recipient)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], str | None]] = []

    def on(self, node: str) -> _NodeAlerts:
        return _NodeAlerts(self, node)


@dataclasses.dataclass
class _NodeAlerts:
    log: RecordedAlerts
    node: str

    async def run(self, call: AlertCall, sequence: int) -> str | None:
        self.log.calls.append((self.node, dict(call.env), call.recipient_id))
        return None


class Cluster:
    def __init__(self, n: int) -> None:
        self.net = SimNetwork()
        self.world = World()
        self.daemons: dict[int, Vigild] = {}
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.all_tasks: list[asyncio.Task[None]] = []
        self.stores: dict[int, MemoryStore] = {}
        self.alerts = RecordedAlerts()
        for i in range(1, n + 1):
            self.boot(i)

    def boot(self, i: int, restart: bool = False, layer: SimLayer | None = None) -> None:
        layer = layer or (self.net.restart(i) if restart else (
            self.net.add_node(i, f"node{i}") if i not in self.stores else self.net.new_layer(i)))
        store = self.stores.setdefault(i, MemoryStore())
        d = Vigild(layer, self.world.executor(f"node{i}"), store, self.world,
                   alerts=self.alerts.on(f"node{i}"))
        self.daemons[i] = d
        self.tasks[i] = asyncio.ensure_future(d.run())
        self.all_tasks.append(self.tasks[i])

    async def settle(self, rounds: int = 3000) -> None:
        """Run the loop until nothing changes for a while (no wall-clock sleeping)."""
        quiet = 0
        last = None
        for _ in range(rounds):
            await asyncio.sleep(0)
            snapshot = (tuple((i, d.cib.version.as_tuple(), d.view.synced)
                              for i, d in sorted(self.daemons.items()) if i in self.live()),
                        len(self.world.log))
            if snapshot == last:
                quiet += 1
                if quiet > 60:
                    return
            else:
                quiet = 0
                last = snapshot
        raise AssertionError("the cluster did not settle")

    def live(self) -> list[int]:
        return [i for i, t in self.tasks.items() if not t.done()]

    def node(self, i: int) -> Vigild:
        return self.daemons[i]

    async def push(self, xml: str, via: int = 1) -> tuple[bool, object]:
        d = self.node(via)
        new, _ = parse_cib(xml)
        return await d.request_config(write_cib(new), d.cib.version)

    async def configure(self, xml: str = CONFIG) -> None:
        """Settle, push a configuration through node 1 and settle again; the push must succeed."""
        await self.settle()
        fut = asyncio.ensure_future(self.push(xml))
        await self.settle()
        assert fut.result()[0]

    async def stop(self) -> None:
        for t in self.all_tasks:
            t.cancel()
        for t in self.all_tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t


def scenario(test: Callable[[Cluster], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """Run an async test body against a fresh 3-node cluster, with a time budget."""

    def run() -> None:
        async def body() -> None:
            c = Cluster(3)
            try:
                await asyncio.wait_for(test(c), 60)
            finally:
                await c.stop()

        asyncio.run(body())

    run.__name__ = test.__name__
    run.__doc__ = test.__doc__
    return run


@scenario
async def test_three_nodes_sync_and_elect_lowest_id(cluster: Cluster) -> None:
    await cluster.settle()
    digests = {cib_digest(cluster.node(i).cib) for i in (1, 2, 3)}
    assert len(digests) == 1
    assert all(cluster.node(i).dc == 1 for i in (1, 2, 3))
    assert all(cluster.node(i).view.synced for i in (1, 2, 3))
    names = {n.uname for n in cluster.node(2).cib.configuration.nodes}
    assert names == {"node1", "node2", "node3"}


@scenario
async def test_config_is_replicated_persisted_and_acted_on(cluster: Cluster) -> None:
    await cluster.settle()
    push = asyncio.ensure_future(cluster.push(CONFIG, via=2))
    await cluster.settle()
    ok, _version = push.result()
    assert ok
    where_ip = cluster.world.where("WebIP")
    where_web = cluster.world.where("WebSite")
    assert len(where_ip) == 1 and where_ip == where_web  # colocated, never twice
    starts = [(n, r) for n, r, t, _ in cluster.world.log if t == "start"]
    assert starts.index((where_ip[0], "WebIP")) < starts.index((where_web[0], "WebSite"))
    versions = {cluster.node(i).cib.version.as_tuple() for i in (1, 2, 3)}
    assert len(versions) == 1
    assert all(cluster.stores[i].cib is not None and
               cluster.stores[i].cib.configuration == cluster.node(i).cib.configuration
               for i in (1, 2, 3))


@scenario
async def test_stale_push_is_refused_and_changes_nothing(cluster: Cluster) -> None:
    await cluster.settle()
    d = cluster.node(1)
    stale = dataclasses.replace(d.cib.version, epoch=d.cib.version.epoch - 1)
    new, _ = parse_cib(CONFIG)
    fut = asyncio.ensure_future(d.request_config(write_cib(new), stale))
    await cluster.settle()
    ok, code = fut.result()
    assert not ok and code == "CIB_CHANGED_UNDERNEATH"
    assert all(not cluster.node(i).cib.configuration.resources for i in (1, 2, 3))


@scenario
async def test_killed_process_is_recovered_in_place(cluster: Cluster) -> None:
    await cluster.configure(CONFIG)
    node = cluster.world.where("WebSite")[0]
    cluster.world.kill(node, "WebSite")
    cluster.world.tick()
    await cluster.settle()
    assert cluster.world.where("WebSite") == [node]
    assert cluster.world.where("WebIP") == [node]
    # the failure was counted, identically on every replica
    counts = {d.cib.status == cluster.node(1).cib.status for d in cluster.daemons.values()}
    assert counts == {True}
    from vigil.cib.status_edit import transient_value

    nid = str(cluster.node(1).node_id_of(node))
    assert transient_value(cluster.node(3).cib, nid, "fail-count-WebSite#monitor_10000") == "1"


@scenario
async def test_standby_moves_the_service(cluster: Cluster) -> None:
    await cluster.configure(CONFIG)
    before = cluster.world.where("WebIP")[0]
    d = cluster.node(1)
    cib = d.cib
    nodes = tuple(
        dataclasses.replace(n, instance_attributes=(NvSet(f"nodes-{n.id}", (NvPair(
            f"nodes-{n.id}-standby", "standby", "on"),)),)) if n.uname == before else n
        for n in cib.configuration.nodes)
    new = dataclasses.replace(cib, configuration=dataclasses.replace(cib.configuration, nodes=nodes))
    fut = asyncio.ensure_future(d.request_config(write_cib(new), cib.version))
    await cluster.settle()
    assert fut.result()[0]
    after = cluster.world.where("WebIP")
    assert len(after) == 1 and after[0] != before
    assert cluster.world.where("WebSite") == after


@scenario
async def test_dc_loss_elects_next_and_recovers_its_resources(cluster: Cluster) -> None:
    await cluster.configure(CONFIG)
    # Put the service on the DC first, then crash the DC.
    host = cluster.world.where("WebIP")[0]
    host_id = int(host.removeprefix("node"))
    cluster.net.crash(host_id)
    cluster.world.power_off(host)
    await cluster.settle()
    survivors = [i for i in (1, 2, 3) if i != host_id]
    assert {cluster.node(i).dc for i in survivors} == {min(survivors)}
    where = cluster.world.where("WebIP")
    assert len(where) == 1 and where[0] != host
    assert cluster.world.where("WebSite") == where


@scenario
async def test_restart_of_every_node_keeps_the_configuration(cluster: Cluster) -> None:
    await cluster.configure(CONFIG)
    version = cluster.node(1).cib.version.as_tuple()
    for i in (1, 2, 3):
        cluster.net.crash(i)
        cluster.world.power_off(f"node{i}")
    await cluster.settle()
    for i in (1, 2, 3):
        cluster.boot(i, restart=True)
    await cluster.settle()
    for i in (1, 2, 3):
        d = cluster.node(i)
        assert d.cib.version.as_tuple()[:2] >= version[:2]
        assert [r.id for r in d.cib.configuration.resources] == ["WebIP", "WebSite"]
    assert len(cluster.world.where("WebIP")) == 1




class WorldFencer:
    """Fencing in the simulated world: the target's power goes off (its Corosync crashes)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.requests: list[tuple[str, str]] = []

    async def fence(self, cib: object, target: str, action: str) -> FenceOutcome:
        self.requests.append((target, action))
        nid = int(target.removeprefix("node"))
        self.cluster.world.power_off(target)
        if nid in self.cluster.live():
            self.cluster.net.crash(nid)
        return FenceOutcome(target=target, action=action, status=FenceStatus.OK,
                            detail=f"{target} powered off", devices=("fence-lab",))


def with_fencing(c: Cluster) -> WorldFencer:
    fencer = WorldFencer(c)
    for d in c.daemons.values():
        d.fencer = fencer
    return fencer


def vip_holders(c: Cluster) -> list[str]:
    return c.world.where("WebIP")


@scenario
async def test_lost_node_is_fenced_before_its_service_moves(cluster: Cluster) -> None:
    fencer = with_fencing(cluster)
    await cluster.configure(FENCED_CONFIG)
    host = vip_holders(cluster)[0]
    host_id = int(host.removeprefix("node"))
    others = [i for i in (1, 2, 3) if i != host_id]
    # The host is cut off: it loses quorum and must stop; the majority fences it, then takes over.
    cluster.net.partition(others, [host_id])
    for _ in range(600):  # the invariant holds at every step, not just at the end
        await asyncio.sleep(0)
        assert len(vip_holders(cluster)) <= 1, vip_holders(cluster)
    await cluster.settle()
    assert (host, "reboot") in fencer.requests
    holders = vip_holders(cluster)
    assert len(holders) == 1 and holders[0] != host
    assert cluster.world.where("WebSite") == holders
    survivor = cluster.node(others[0])
    assert any(f.target == host and f.ok for f in survivor.fence_history)


@scenario
async def test_minority_without_quorum_stops_its_resources(cluster: Cluster) -> None:
    """Without fencing only quorum protects the service: the cut-off node stops it (with fencing
    disabled the majority does not wait for that, exactly like Pacemaker: `vigil verify` warns)."""
    await cluster.configure(CONFIG)
    host = vip_holders(cluster)[0]
    host_id = int(host.removeprefix("node"))
    others = [i for i in (1, 2, 3) if i != host_id]
    cluster.net.partition(others, [host_id])
    await cluster.settle()
    assert host not in vip_holders(cluster)  # no quorum: stopped
    assert len(vip_holders(cluster)) == 1
    cluster.net.heal()
    await cluster.settle()
    assert len(vip_holders(cluster)) == 1


@scenario
async def test_status_updates_do_not_conflict_with_a_push(cluster: Cluster) -> None:
    await cluster.settle()
    d = cluster.node(1)
    read = d.cib.version
    # the status moves on (num_updates) while an operator's command is being computed
    cluster.world.tick()
    from vigil.controller import messages as msg

    await d.send(msg.Attribute("2", "node2", "some-attribute", "1"))
    await cluster.settle()
    assert d.cib.version.num_updates > read.num_updates
    new, _ = parse_cib(CONFIG)
    fut = asyncio.ensure_future(d.request_config(write_cib(new), read))
    await cluster.settle()
    assert fut.result()[0]


async def partition_away_and_fence_the_vip_holder(cluster: Cluster) -> tuple[str, int]:
    """With fencing on, cut the VIP's node off (the majority fences it), then heal the network;
    returns the fenced node's name and id."""
    with_fencing(cluster)
    await cluster.configure(FENCED_CONFIG)
    host = vip_holders(cluster)[0]
    host_id = int(host.removeprefix("node"))
    others = [i for i in (1, 2, 3) if i != host_id]
    cluster.net.partition(others, [host_id])
    await cluster.settle()
    cluster.net.heal()
    return host, host_id


@scenario
async def test_fencing_history_reaches_a_node_that_joins_later(cluster: Cluster) -> None:
    host, host_id = await partition_away_and_fence_the_vip_holder(cluster)
    cluster.boot(host_id, restart=True)  # the fenced node comes back with an empty memory
    await cluster.settle()
    back = cluster.node(host_id)
    assert any(f.target == host and f.ok for f in back.fence_history)


@scenario
async def test_a_repeated_view_on_the_dc_does_not_leave_it_out_of_step(cluster: Cluster) -> None:
    """One daemon sees the same view twice (the corosync layer can report a view again when the
    totem ring id comes late); its peers are synced and send no Hello of their own. The DC must
    get back in step, or it drops every update and never recovers anything."""
    from vigil.cluster.layer import Membership

    await cluster.configure(CONFIG)
    dc = cluster.node(1)
    layer = cluster.net.layer(1)
    assert layer is not None
    layer._stream.put(Membership(ring_id=dc.view.ring, members=dc.view.members, joined=(),
                                 left=()))
    await cluster.settle()
    assert all(cluster.node(i).view.synced for i in (1, 2, 3))
    node = cluster.world.where("WebSite")[0]
    cluster.world.kill(node, "WebSite")
    cluster.world.tick()
    await cluster.settle()
    assert cluster.world.where("WebSite") == [node]
    assert len({cib_digest(cluster.node(i).cib) for i in (1, 2, 3)}) == 1


@scenario
async def test_a_node_whose_hello_went_missing_says_hello_again(cluster: Cluster) -> None:
    """A node left waiting for a sync (its Hello lost across view changes) repeats its Hello
    after RESYNC_AFTER_S; the synced peers then sync again with it. Takes ~3 s of real time."""
    from vigil.controller.state import View
    from vigil.controller.sync import RESYNC_AFTER_S

    await cluster.configure(CONFIG)
    lagging = cluster.node(2)
    lagging.state = dataclasses.replace(lagging.state, view=View(ring=lagging.view.ring,
                                                                  members=lagging.view.members))
    await cluster.settle()
    assert not lagging.view.synced  # nothing happens by itself inside the view
    for _ in range(int(RESYNC_AFTER_S * 20) + 40):
        await asyncio.sleep(0.05)
        if all(cluster.node(i).view.synced for i in (1, 2, 3)):
            break
    await cluster.settle()
    assert all(cluster.node(i).view.synced for i in (1, 2, 3))
    node = cluster.world.where("WebSite")[0]
    cluster.world.kill(node, "WebSite")
    cluster.world.tick()
    await cluster.settle()
    assert cluster.world.where("WebSite") == [node]


@scenario
async def test_a_node_rebooted_faster_than_the_token_joins_again(cluster: Cluster) -> None:
    """The node running the service reboots so fast that its peers never see a view without it
    (its loss and return come in one ring change): the view still changes, everyone syncs in
    the new ring, and the service, gone with the reboot, is started again."""
    await cluster.configure(CONFIG)
    host = cluster.world.where("WebIP")[0]
    host_id = int(host.removeprefix("node"))
    cluster.world.power_off(host)
    layer = cluster.net.reboot(host_id)
    cluster.boot(host_id, layer=layer)
    await cluster.settle()
    rings = {cluster.node(i).view.ring for i in (1, 2, 3)}
    assert len(rings) == 1 and rings == {cluster.net.ring_of(1)}
    assert all(cluster.node(i).view.synced for i in (1, 2, 3))
    where = cluster.world.where("WebIP")
    assert len(where) == 1 and cluster.world.where("WebSite") == where
    assert len({cib_digest(cluster.node(i).cib) for i in (1, 2, 3)}) == 1


@scenario
async def test_fencing_history_survives_a_restart_of_every_node(cluster: Cluster) -> None:
    host, _ = await partition_away_and_fence_the_vip_holder(cluster)
    for i in (1, 2, 3):
        cluster.net.crash(i)
        cluster.world.power_off(f"node{i}")
    await cluster.settle()
    for i in (1, 2, 3):
        cluster.boot(i, restart=True)
    await cluster.settle()
    for i in (1, 2, 3):
        assert any(f.target == host and f.ok for f in cluster.node(i).fence_history), i


@scenario
async def test_a_start_still_running_at_a_view_change_is_not_started_twice(
        cluster: Cluster) -> None:
    """The join's history cannot hold an operation that is still running; the node reports it
    as pending and the DC waits for its result instead of starting the resource again (the
    chaos run saw a second start of the web server break it)."""
    from vigil.cluster.layer import Membership

    await cluster.configure(CONFIG)
    node = cluster.world.where("WebSite")[0]
    cluster.world.start_gate = gate = asyncio.Event()
    cluster.world.kill(node, "WebSite")
    cluster.world.tick()
    await cluster.settle()  # the DC restarts it in place: the start is held at the gate
    starts_before = [e for e in cluster.world.log if e[1] == "WebSite" and e[2] == "start"]
    dc = cluster.node(1)
    layer = cluster.net.layer(1)
    assert layer is not None
    layer._stream.put(Membership(ring_id=dc.view.ring, members=dc.view.members, joined=(),
                                 left=()))  # a view change while the start runs: a new join
    await cluster.settle()
    assert all(cluster.node(i).view.synced for i in (1, 2, 3))
    gate.set()
    await cluster.settle()
    starts = [e for e in cluster.world.log if e[1] == "WebSite" and e[2] == "start"]
    assert len(starts) == len(starts_before) + 1  # the held one, and no second start
    assert cluster.world.where("WebSite") == [node]
    assert not any(cluster.node(i).view.pending for i in (1, 2, 3))


@scenario
async def test_a_removed_node_is_forgotten_everywhere_and_stays_forgotten(
        cluster: Cluster) -> None:
    """`vigil cluster node remove`'s last step (Pacemaker's crm_node -R): a node out of the
    nodelist leaves the CIB's nodes and status on every replica, and a later view does not
    bring it back; a member, or a node nobody knows, is refused."""
    await cluster.configure()
    member = asyncio.ensure_future(cluster.node(2).request_forget("node1"))
    stranger = asyncio.ensure_future(cluster.node(2).request_forget("node9"))
    await cluster.settle()
    assert member.result() == (False, "NODE_IS_MEMBER")
    assert stranger.result() == (False, "NODE_UNKNOWN")

    cluster.net.crash(3)
    await cluster.settle()
    cluster.net.remove_node(3)  # corosync.conf without node3, reloaded
    await cluster.settle()
    forget = asyncio.ensure_future(cluster.node(2).request_forget("node3"))
    await cluster.settle()
    assert forget.result()[0] is True
    for i in (1, 2):
        cib = cluster.node(i).cib
        assert {n.uname for n in cib.configuration.nodes} == {"node1", "node2"}
        assert {n.id for n in cib.status} == {"1", "2"}
    # a view change later (node2's Corosync restarts): node3 does not come back
    cluster.boot(2, restart=True)
    await cluster.settle()
    assert {n.uname for n in cluster.node(1).cib.configuration.nodes} == {"node1", "node2"}
    assert cluster.world.where("WebIP")  # the service runs on


@scenario
async def test_a_ticket_granted_revoked_and_in_standby_moves_the_service(
        cluster: Cluster) -> None:
    """rsc_ticket at run time: the web service needs ticket T; it starts only once T is granted
    (on every replica alike, recorded in the status's <tickets>), stops when T goes to standby,
    starts again when T is active, and stops when T is revoked."""
    from vigil.model.status import TicketChange

    ticketed = CONFIG.replace(
        "</constraints>",
        '<rsc_ticket id="web-needs-T" rsc="WebIP" ticket="T" loss-policy="stop"/></constraints>')
    await cluster.configure(ticketed)
    assert cluster.world.where("WebIP") == [] and cluster.world.where("WebSite") == []

    async def change(what: TicketChange, via: int) -> None:
        fut = asyncio.ensure_future(cluster.node(via).request_ticket("T", what.value))
        await cluster.settle()
        assert fut.result()[0] is True

    await change(TicketChange.GRANT, via=2)
    states = {cluster.node(i).cib.tickets for i in (1, 2, 3)}
    assert len(states) == 1
    (state,) = states.pop()
    assert state.id == "T" and state.granted and state.last_granted
    assert len(cluster.world.where("WebIP")) == 1
    assert cluster.world.where("WebSite") == cluster.world.where("WebIP")

    await change(TicketChange.STANDBY, via=3)
    assert cluster.world.where("WebIP") == [] and cluster.world.where("WebSite") == []
    await change(TicketChange.ACTIVATE, via=1)
    assert len(cluster.world.where("WebSite")) == 1
    await change(TicketChange.REVOKE, via=1)
    assert cluster.world.where("WebIP") == [] and cluster.world.where("WebSite") == []
    assert all(not cluster.node(i).cib.tickets[0].granted for i in (1, 2, 3))

    # a configuration push keeps the tickets: they are the cluster's status, not the config
    await change(TicketChange.GRANT, via=1)
    await cluster.configure(ticketed.replace('value="100"', 'value="200"').replace(
        'epoch="1"', 'epoch="9"'))
    assert cluster.node(2).cib.tickets[0].granted
    assert len(cluster.world.where("WebSite")) == 1


@scenario
async def test_alerts_run_where_the_events_happen(cluster: Cluster) -> None:
    """An alert with two recipients: a resource's start is alerted by the node that ran it,
    once per recipient; a node lost, by each node that saw it go; fencing is not selected."""
    with_alert = CONFIG.replace("</constraints>", """</constraints>
    <alerts><alert id="a" path="/bin/true">
      <meta_attributes id="a-m"><nvpair id="a-m1" name="timeout" value="5s"/></meta_attributes>
      <select><select_nodes/><select_resources/></select>
      <recipient id="a-r1" value="/tmp/one"/><recipient id="a-r2" value="/tmp/two"/>
    </alert></alerts>""")
    await cluster.configure(with_alert)
    host = cluster.world.where("WebIP")[0]
    starts = [(n, env, r) for n, env, r in cluster.alerts.calls
              if env.get("CRM_alert_rsc") == "WebIP" and env["CRM_alert_task"] == "start"]
    assert sorted(r for _, _, r in starts) == ["a-r1", "a-r2"]
    assert {n for n, _, _ in starts} == {host}
    env = starts[0][1]
    assert env["CRM_alert_kind"] == "resource" and env["CRM_alert_node"] == host
    assert env["CRM_alert_rc"] == "0" and env["CRM_alert_desc"] == "ok"
    assert {e["CRM_alert_recipient"] for _, e, _ in starts} == {"/tmp/one", "/tmp/two"}
    probes = [e for _, e, _ in cluster.alerts.calls
              if e.get("CRM_alert_task") == "monitor" and e.get("CRM_alert_interval") == "0"]
    assert probes == []  # probes that found nothing running are not alerted

    cluster.alerts.calls.clear()
    cluster.net.crash(3)
    await cluster.settle()
    lost = [(n, e) for n, e, _ in cluster.alerts.calls if e["CRM_alert_kind"] == "node"]
    assert {n for n, _ in lost} == {"node1", "node2"}
    assert all(e["CRM_alert_node"] == "node3" and e["CRM_alert_desc"] == "lost" for _, e in lost)
    assert not [e for _, e, _ in cluster.alerts.calls if e["CRM_alert_kind"] == "fencing"]
