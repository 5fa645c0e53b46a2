"""The controllers of three nodes, scripted through the faults the chaos run and the benchmarks
found, with ARCHITECTURE's invariants checked after every step (ClusterModel.settle)."""

from __future__ import annotations

from vigil.controller import events as ev

from .cluster_model import ClusterModel


def configured() -> ClusterModel:
    c = ClusterModel(3)
    c.settle()
    c.configure()
    c.settle()
    assert len(c.world.where("WebSite")) == 1
    return c


def service_node(c: ClusterModel) -> int:
    return int(c.world.where("WebSite")[0].removeprefix("node"))


def test_three_nodes_sync_configure_and_start_the_service_once() -> None:
    c = configured()
    c.converged()
    assert c.world.where("WebIP") == c.world.where("WebSite")


def test_a_repeated_view_on_the_dc_does_not_leave_it_out_of_step() -> None:
    c = configured()
    c.repeat_view(1)
    c.settle()
    c.converged()
    host = service_node(c)
    c.kill(host, "WebSite")
    c.tick()
    c.settle()
    assert c.world.where("WebSite") == [f"node{host}"]
    c.converged()


def test_a_hello_lost_at_a_view_change_is_said_again() -> None:
    """A view change drops the messages not yet delivered (Hellos included); the members still
    sync in the next view, and a node left waiting says hello again on its timer."""
    c = configured()
    c.repeat_view(2)
    c.process(2)  # node 2 says hello again in the synced view...
    c.partition([1, 2, 3], deliver_in_flight=False)  # ...and the view changes: lost
    c.settle()
    c.converged()


def test_a_node_rebooted_faster_than_the_token_joins_again() -> None:
    c = configured()
    host = service_node(c)
    c.fast_reboot(host)
    c.settle()
    c.converged()
    assert len({c.machines[i].state.view.ring for i in (1, 2, 3)  # type: ignore[union-attr]
                }) == 1


def test_a_start_still_running_at_a_view_change_is_not_started_twice() -> None:
    c = configured()
    host = service_node(c)
    c.kill(host, "WebSite")
    c.tick()
    # run until the restart's start is in flight on the host, then change the view
    for _ in range(200):
        if any(op.task == "start" for _, op in c.machines[host].running_ops):
            break
        assert any([c.process(i) for i in (1, 2, 3)] + [c.deliver(1)] +
                   [c.finish_operation(i) for i in (1, 2, 3) if not any(
                       op.task == "start" for _, op in c.machines[i].running_ops)])
    starts_before = [e for e in c.world.log if e[1] == "WebSite" and e[2] == "start"]
    c.repeat_view(1)
    c.partition([1, 2, 3])  # a new ring for everyone while the start runs
    for _ in range(100):  # sync and join with the start still running
        if not (any(c.process(i) for i in (1, 2, 3)) or c.deliver(1)):
            break
    c.settle()
    starts = [e for e in c.world.log if e[1] == "WebSite" and e[2] == "start"]
    assert len(starts) == len(starts_before) + 1
    c.converged()


def test_a_view_change_during_the_dcs_fencing_still_recovers() -> None:
    """The benchmark's stalled DC loss: the DC is powered off, the new DC asks for fencing, and a
    second view change comes while the fence is in flight. The new DC must re-plan until the
    service runs again, and fence the old DC once, not twice."""
    c = configured()
    host = service_node(c)
    c.crash(1)  # the DC
    for _ in range(500):  # until the new DC's fence request is in flight
        if c.machines[2].fences:
            break
        assert any(c.process(i) for i in (2, 3)) or c.deliver(2) or any(
            c.finish_operation(i) for i in (2, 3))
    assert c.machines[2].fences, "the new DC did not ask for fencing"
    c.repeat_view(2)
    c.partition([2, 3])  # the survivors' links flap: another ring while fencing runs
    c.settle()
    assert [t for _, t in c.fence_log].count("node1") == 1
    c.boot(1)
    c.settle()
    c.converged()
    assert host == 1 or c.world.where("WebSite") == [f"node{host}"]


def test_a_view_change_during_a_transition_still_converges() -> None:
    c = configured()
    host = service_node(c)
    c.kill(host, "WebSite")
    c.tick()
    for _ in range(6):  # part of the recovery happens...
        c.process(1) or c.deliver(1) or c.finish_operation(host)
    c.partition([1, 2], [3])  # ...then the view changes under it
    c.settle()
    c.heal()
    c.boot(3)
    c.settle()
    c.converged()


def test_a_view_change_during_the_sync_still_converges() -> None:
    c = configured()
    c.repeat_view(3)
    c.process(3)
    c.deliver(3)  # node 3's Hello makes everyone sync again...
    for i in (1, 2, 3):
        c.process(i)
    c.partition([1, 2, 3])  # ...and the ring changes in the middle of it
    c.settle()
    c.converged()


def test_the_transition_that_fences_a_node_goes_on_after_the_fence() -> None:
    """The fencing a transition asked for is one of its actions: its success lets the rest of
    that transition run (the service's start) instead of aborting it and planning again, which
    redid work already done (a promotable clone's pre-promote notifications) and cost seconds."""
    c = configured()
    host = service_node(c)
    dc = 2 if host == 1 else 1
    c.crash(host)
    c.settle()
    assert [t for _, t in c.fence_log] == [f"node{host}"]
    assert len(c.world.where("WebSite")) == 1 and c.world.where("WebSite") != [f"node{host}"]
    aborts = [dict(e.fields).get("reason") for n, e in c.emitted
              if n == dc and e.kind == "transition-abort"]
    assert not any("was fenced" in str(r) for r in aborts), aborts
    c.boot(host)
    c.settle()
    c.converged()


def test_a_failed_fence_is_retried_and_the_service_waits_for_it() -> None:
    c = configured()
    host = service_node(c)
    others = [i for i in (1, 2, 3) if i != host]
    c.partition(others, [host])
    for _ in range(3):
        for _ in range(500):
            if any(c.machines[i].fences for i in others):
                break
            if not (any(c.process(i) for i in (1, 2, 3)) or any(c.deliver(i) for i in (1, 2, 3))
                    or any(c.finish_operation(i) for i in (1, 2, 3))):
                c.fire_timer(min(others), ev.Timer.RECHECK)
        assert c.world.where("WebSite") in ([f"node{host}"], [])  # not started elsewhere
        assert c.finish_fence(min(others), ok=False)
    c.settle()
    assert c.world.where("WebSite") and c.world.where("WebSite") != [f"node{host}"]
    c.heal()
    c.boot(host)
    c.settle()
    c.converged()


def test_a_view_repeated_in_the_middle_of_a_sync_does_not_deadlock_it() -> None:
    """The state machine's find: node 1 records node 2's Hello, then sees its view again and
    forgets it; nodes 2 and 3 have every Hello and wait for node 1's Sync, node 1 waits for
    node 2's Hello. With sync rounds node 1 starts the next round and everyone says hello."""
    c = configured()
    c.repeat_view(2)
    c.process(2)  # node 2 starts a new round...
    c.deliver(2)  # ...its Hello reaches everyone
    for i in (1, 2, 3):
        c.process(i)
    c.repeat_view(1)  # node 1 sees its view again, after node 2's Hello
    c.settle()
    c.converged()


def test_no_recurring_monitor_is_started_by_a_stop() -> None:
    """The lab caught it: a stop carried the resource's monitors, which then found it stopped
    on the node it had left and failed it there again and again."""
    from vigil.cib.status_edit import transient_value

    from .service_cibs import FENCED_CONFIG

    c = ClusterModel(3)
    c.settle()
    c.configure(FENCED_CONFIG.replace(  # one failure and the service moves away
        'name="resource-stickiness" value="100"/>',
        'name="resource-stickiness" value="100"/><nvpair id="rd-m" '
        'name="migration-threshold" value="1"/>'))
    c.settle()
    host = service_node(c)
    c.kill(host, "WebSite")
    for _ in range(3):
        c.tick()
        c.settle()
    assert c.world.where("WebSite") != [f"node{host}"]
    dc = c.machines[1].state
    assert dc is not None
    assert transient_value(dc.cib, str(host), "fail-count-WebSite#monitor_10000") == "1"
    c.converged()


def test_a_node_that_vanishes_before_its_join_after_a_clean_stop_is_not_fenced() -> None:
    """CTS's PartialStart: a node stopped cleanly starts again and is stopped before its join
    is in (its goodbye lost to the view's sync round): it ran nothing and is not fenced."""
    c = configured()
    node = max(i for i in (1, 2, 3) if f"node{i}" not in c.world.where("WebSite"))
    c.machines[node].inbox.append(ev.LeaveRequested())
    c.settle()
    c.crash(node)  # its vigild and Corosync stop: it left cleanly
    c.settle()
    assert c.fence_log == []
    c.boot(node)
    dc = c.machines[1]
    for _ in range(500):
        st = dc.state
        assert st is not None
        if (node in st.view.members and st.view.synced and st.view.states_applied
                and node not in st.view.joined):
            break
        if not (any(c.process(i) for i in (1, 2, 3)) or any(c.deliver(i) for i in (1, 2, 3))):
            raise AssertionError("the DC never published the node states of the new view")
    c.crash(node, deliver_in_flight=False)  # gone before its join reached anyone
    c.settle()
    assert c.fence_log == []
    c.boot(node)
    c.settle()
    c.converged()


def test_a_node_that_asked_to_leave_and_vanished_without_its_goodbye_is_not_fenced() -> None:
    """Every node stopped at once (CTS's StartOnebyOne, the endurance run): a node's shutdown
    request is in, its resources moved away, and its goodbye is lost to another node's leaving
    at the same moment. It asked to leave: expected down (as Pacemaker's peers record at
    req_shutdown), so it is cleanly offline, not fenced. One that still ran something would
    be: the scheduler finds a resource active on an offline node."""
    c = configured()
    node = max(i for i in (1, 2, 3) if f"node{i}" not in c.world.where("WebSite"))
    c.machines[node].inbox.append(ev.AttributeRequested(str(node), f"node{node}", "shutdown",
                                                        "1700000000"))
    c.settle()
    assert not any(up and n == f"node{node}" for (n, _), up in c.world.running.items())
    c.crash(node, deliver_in_flight=False)  # no goodbye reached anyone
    c.settle()
    assert c.fence_log == []
    c.boot(node)
    c.settle()
    c.converged()


def test_a_node_that_asked_to_leave_but_vanished_with_a_resource_is_fenced() -> None:
    """The other side of the rule above: its request in, it vanished before its resources left
    (a power cut during the drain): what ran there may still run, so it is fenced."""
    c = configured()
    [holder] = c.world.where("WebSite")
    node = int(holder.removeprefix("node"))
    dc = next(i for i in (1, 2, 3) if i != node)
    c.machines[node].inbox.append(ev.AttributeRequested(str(node), holder, "shutdown",
                                                        "1700000000"))
    for _ in range(500):
        st = c.machines[dc].state
        row = next((r for r in st.cib.status if r.id == str(node)), None) if st else None
        if row is not None and any(p.name == "shutdown" for s in row.transient_attributes
                                   for p in s.pairs):
            break
        if not (any(c.process(i) for i in (1, 2, 3)) or any(c.deliver(i) for i in (1, 2, 3))):
            raise AssertionError("the shutdown request never reached the others")
    assert holder in c.world.where("WebSite")  # not moved yet
    c.crash(node, deliver_in_flight=False)
    c.settle()
    assert any(target == holder for _, target in c.fence_log), c.fence_log
    c.boot(node)
    c.settle()
    c.converged()


def _ticket_granted(c: ClusterModel, node: int, ticket: str) -> bool:
    state = c.machines[node].state
    assert state is not None
    return any(t.id == ticket and t.granted for t in state.cib.tickets)


def _num_updates(c: ClusterModel, node: int) -> int:
    state = c.machines[node].state
    assert state is not None
    return state.cib.version.num_updates


def _back_alone_then_merged(c: ClusterModel, node: int) -> None:
    """`node` boots on a ring of its own first and makes more status updates there than the
    others made meanwhile (a node that is alone a while: its join, its probes, its attributes),
    then the rings merge."""
    c.machines[node].group = 1
    c.boot(node)
    c.settle()
    for i in range(50):
        if _num_updates(c, node) > max(_num_updates(c, n) for n in c.machines if n != node):
            break
        c.machines[node].inbox.append(ev.AttributeRequested(f"a{i}", f"node{node}", "seen",
                                                            str(i)))
        c.settle()
    assert _num_updates(c, node) > max(_num_updates(c, n) for n in c.machines if n != node)
    c.heal()
    c.settle()
    c.converged()


def test_a_node_back_with_a_stored_grant_does_not_bring_back_a_revoked_ticket() -> None:
    """The lab's ticket test (loss-policy=fence): the node that ran the service is fenced for
    the revoked ticket and boots. Its store was written while the ticket was granted; the store
    keeps no status (tickets included), so nothing of that grant comes back."""
    c = configured()
    c.machines[1].inbox.append(ev.TicketRequested("grant", "T", "grant"))
    c.settle()
    c.push(1)  # a configuration change: every store written while T is granted
    c.settle()
    c.crash(3)
    c.settle()
    c.machines[1].inbox.append(ev.TicketRequested("revoke", "T", "revoke"))
    c.settle()
    _back_alone_then_merged(c, 3)
    assert not any(_ticket_granted(c, i, "T") for i in (1, 2, 3))


def test_a_node_back_on_its_own_first_does_not_undo_the_quorate_partitions_status() -> None:
    """A ticket granted while a node was away: the node comes back alone first and counts more
    status updates (num_updates) than the quorate partition did. The view adopts the replica
    that was in the quorate partition (same configuration), not the one with more updates: the
    grant stays, the service is not stopped for a ticket nobody revoked."""
    c = configured()
    c.crash(3)
    c.settle()
    c.machines[1].inbox.append(ev.TicketRequested("grant", "T", "grant"))
    c.settle()
    _back_alone_then_merged(c, 3)
    assert all(_ticket_granted(c, i, "T") for i in (1, 2, 3))
