"""A promotable clone run by the controllers of three nodes (ClusterModel: the controllers over a
simulated network, the resources' truth in agent_world, whose promotable agent sets its
promotion score as ocf:pacemaker:Stateful does). Invariants, promoted-max 1 among them, are
checked after every step."""

from __future__ import annotations

import dataclasses

import pytest

from vigil.cib.read import parse_cib
from vigil.cib.status_edit import transient_value
from vigil.cib.write import write_cib
from vigil.controller import events as ev
from vigil.controller.graph import build_graph
from vigil.model import ocf
from vigil.scheduler.transition import Task, Transition

from .cluster_model import ClusterModel
from .service_cibs import PROMOTABLE_CONFIG

PROMOTED_MON = (10000, ("Promoted", 8))
UNPROMOTED_MON = (11000, ("Unpromoted", 0))


def promotable_cluster() -> ClusterModel:
    c = ClusterModel(3)
    c.world.promotable.add("db")
    c.settle()
    c.configure(PROMOTABLE_CONFIG)
    c.settle()
    return c


def node_of(name: str) -> int:
    return int(name.removeprefix("node"))


def monitors(c: ClusterModel, node: int) -> dict[int, tuple[str | None, int]]:
    executor = c.machines[node].executor
    assert executor is not None
    return executor.monitors_of("db")


def assert_role_monitors(c: ClusterModel) -> None:
    """Each running instance runs the monitor of its role only: 10 s expecting 8 where
    promoted, 11 s expecting 0 elsewhere."""
    promoted = {node_of(n) for n in c.world.where_promoted("db")}
    for name in c.world.where("db"):
        i = node_of(name)
        assert monitors(c, i) == dict([PROMOTED_MON if i in promoted else UNPROMOTED_MON]), name


def test_the_clone_starts_everywhere_and_one_instance_is_promoted() -> None:
    c = promotable_cluster()
    assert c.world.where("db") == ["node1", "node2", "node3"]
    (promoted,) = c.world.where_promoted("db")
    assert_role_monitors(c)
    # the agent's score reached the replicas as Stateful's crm_attribute --promotion sets it
    dc = c.machines[1].state
    assert dc is not None
    for name in ("node1", "node2", "node3"):
        expected = "10" if name == promoted else "5"
        assert transient_value(dc.cib, str(node_of(name)), "master-db") == expected
    # the monitors run: the replicas' status says which instance is promoted (its last one-off
    # result the promote, its Promoted monitor's 8) and nothing else happens
    log_before = len(c.world.log)
    c.tick()
    c.settle()
    dc = c.machines[1].state
    assert dc is not None
    state = next(st for st in dc.cib.status if st.uname == promoted)
    (history,) = [h for h in state.history if h.id == "db"]
    rcs = {r.id: (r.operation, r.rc_code) for r in history.operations}
    assert rcs["db_last_0"] == ("promote", 0)
    assert rcs["db_monitor_10000"] == ("monitor", ocf.OcfResult.RUNNING_PROMOTED)
    assert sorted(e[2:] for e in c.world.log[log_before:]) == [
        ("monitor", 0), ("monitor", 0), ("monitor", 8)]
    c.converged()


def test_a_failed_promoted_monitor_is_recovered() -> None:
    """rc 9 from the Promoted monitor: the instance fails (fail-count), is recovered (demote,
    stop, start, promote again), and its monitors follow its roles."""
    c = promotable_cluster()
    (promoted,) = c.world.where_promoted("db")
    host = node_of(promoted)
    c.world.fail_promoted(promoted, "db")
    c.tick()
    c.settle()
    dc = c.machines[1].state
    assert dc is not None
    assert transient_value(dc.cib, str(host), "fail-count-db#monitor_10000") == "1"
    failed_at = c.world.log.index((promoted, "db", "monitor", 9))
    after = [(node, task, rc) for node, rsc, task, rc in c.world.log[failed_at + 1:]
             if rsc == "db" and task not in ("monitor", "notify")]
    here = [(task, rc) for node, task, rc in after if node == promoted]
    assert here[:3] == [("demote", 0), ("stop", 0), ("start", 0)]
    # then one instance is promoted again: this one or, the agent's score having gone with
    # its stop (crm_attribute --promotion -D) and the plan made again, another one
    promotes = [node for node, task, rc in after if task == "promote" and rc == 0]
    assert len(promotes) == 1 and c.world.where_promoted("db") == promotes
    assert c.world.where("db") == ["node1", "node2", "node3"]
    assert_role_monitors(c)
    c.converged()


def test_moving_the_promotion_swaps_the_monitors_of_each_role() -> None:
    """A location constraint against the promoted role: the instance there is demoted (its
    Unpromoted monitor comes back), another is promoted (its Promoted monitor replaces the
    Unpromoted one)."""
    c = promotable_cluster()
    (old,) = c.world.where_promoted("db")
    dc = c.machines[1].state
    assert dc is not None
    cib, _ = parse_cib(PROMOTABLE_CONFIG.replace(
        "<constraints>", f'<constraints><rsc_location id="no-promo" rsc="db-clone" '
        f'role="Promoted" node="{old}" score="-INFINITY"/>'))
    c.machines[1].inbox.append(ev.ConfigPushRequested("move", write_cib(cib),
                                                      dc.cib.version.as_tuple()))
    c.settle()
    (new,) = c.world.where_promoted("db")
    assert new != old
    assert monitors(c, node_of(old)) == dict([UNPROMOTED_MON])
    assert monitors(c, node_of(new)) == dict([PROMOTED_MON])
    assert_role_monitors(c)
    c.converged()


def test_a_restarted_daemon_finds_its_instance_promoted() -> None:
    """vigild restarts under a running promoted instance: the probe returns 8, the status says
    Promoted (nothing is promoted elsewhere) and the Promoted monitor runs again."""
    c = promotable_cluster()
    (promoted,) = c.world.where_promoted("db")
    host = node_of(promoted)
    log_before = len(c.world.log)
    c.restart_daemon(host)
    c.settle()
    assert c.world.where_promoted("db") == [promoted]
    after = [(n, t, rc) for n, r, t, rc in c.world.log[log_before:] if r == "db"]
    assert (promoted, "monitor", 8) in after
    assert not any(t in ("promote", "demote", "stop") for _, t, _ in after), after
    assert monitors(c, host) == dict([PROMOTED_MON])
    c.converged()


def test_the_promoted_node_becoming_dc_keeps_its_monitors() -> None:
    """The DC goes; the node that has the promoted instance (or any survivor) becomes DC: the
    promoted instance stays where it is with its Promoted monitor, and the old DC's node comes
    back unpromoted."""
    c = promotable_cluster()
    (promoted,) = c.world.where_promoted("db")
    if promoted == "node1":  # make node2 the promoted one first: ban the promotion from node1
        dc = c.machines[1].state
        assert dc is not None
        cib, _ = parse_cib(PROMOTABLE_CONFIG.replace(
            "<constraints>", '<constraints><rsc_location id="p2" rsc="db-clone" role="Promoted" '
            'node="node2" score="1000"/>'))
        c.machines[1].inbox.append(ev.ConfigPushRequested("p2", write_cib(cib),
                                                          dc.cib.version.as_tuple()))
        c.settle()
        (promoted,) = c.world.where_promoted("db")
    host = node_of(promoted)
    assert host != 1
    c.crash(1)
    c.settle()
    c.boot(1)
    c.settle()
    assert c.world.where_promoted("db") == [promoted]
    assert monitors(c, host) == dict([PROMOTED_MON])
    assert monitors(c, 1) == dict([UNPROMOTED_MON])
    assert_role_monitors(c)
    c.converged()


# -- notifications -------------------------------------------------------------------------------
# Until the scheduler plans them (scheduler/notify.py), the DC is handed a transition with the
# notifications Pacemaker would run around a demote: a pre and a post notification of every
# instance, each round between the clone's pseudo notify and confirmed-notify actions (Task.NOTIFY
# on the clone, pseudo, as the two carry no data), the post round after the pre round.
def _notify_meta(kind: str) -> tuple[tuple[str, str], ...]:
    return (("clone_max", "3"), ("clone_node_max", "1"), ("globally_unique", "false"),
            ("notify", "true"), ("notify_active_resource", "db:0 db:1 db:2"),
            ("notify_demote_resource", "db:0"), ("notify_demote_uname", "node1"),
            ("notify_operation", "demote"), ("notify_start_resource", " "),
            ("notify_type", kind), ("promoted_max", "1"), ("promoted_node_max", "1"))


def _with_notifications(t: Transition) -> Transition:
    from vigil.scheduler.transition import ActionOrder, OnFail, PlannedAction, ResolvedOperation

    actions = []
    orders = []
    next_id = 1000
    previous_confirmed: int | None = None
    for kind in ("pre", "post"):
        start, confirmed = next_id, next_id + 1
        next_id += 2
        actions += [PlannedAction(i, "db-clone", Task.NOTIFY, None, False, True, True, None, None)
                    for i in (start, confirmed)]
        if previous_confirmed is not None:
            orders.append(ActionOrder(previous_confirmed, start))
        for number, node in enumerate(("node1", "node2", "node3")):
            op = ResolvedOperation(resource="db", standard="ocf", provider="pacemaker",
                                   agent_type="Stateful", task=Task.NOTIFY, interval_ms=0,
                                   timeout_ms=20000, expected_rc=0, on_fail=OnFail.RESTART,
                                   meta=_notify_meta(kind))
            actions.append(PlannedAction(next_id, f"db:{number}", Task.NOTIFY, node, False, True,
                                         False, None, op))
            orders += [ActionOrder(start, next_id), ActionOrder(next_id, confirmed)]
            next_id += 1
        previous_confirmed = confirmed
    return dataclasses.replace(t, actions=tuple(actions), orderings=tuple(orders))


@pytest.mark.xfail(reason=("fails since the scheduler plans notify actions itself (issue 10 open): "
                           "the test hand-fed notifications; to be reworked"), strict=False)
def test_notifications_run_with_their_data_and_a_failed_one_fails_nothing() -> None:
    c = promotable_cluster()
    c.world.failing_notify.add(("node2", "db"))
    dc = c.machines[1].state
    assert dc is not None and dc.plan.transition is not None
    transition = _with_notifications(dc.plan.transition)
    graph = build_graph(transition)
    # one key per notification: the pre and the post one of an instance are two actions, and
    # so are the clone's pseudo notify and confirmed-notify
    assert len(graph.actions) == 10
    assert "db:1_pre_notify_demote_node2" in graph.actions
    c.machines[1].state = dataclasses.replace(dc, plan=dataclasses.replace(
        dc.plan, number=dc.plan.number + 1, transition=transition, graph=graph))
    c.machines[1].inbox.append(ev.PlanDue())
    c.settle()

    runs = [(node, dict(meta)) for node, rsc, meta in c.world.notified]
    assert [(n, m["notify_type"]) for n, m in runs] == [
        (n, kind) for kind in ("pre", "post") for n in ("node1", "node2", "node3")]
    for node, meta in runs:
        # the instance's number, from the planned action, as CRM_meta_clone
        assert meta["clone"] == str(int(node.removeprefix("node")) - 1)
        assert (meta["notify_operation"], meta["notify_demote_uname"]) == ("demote", "node1")
    failed = [e for e in c.world.log if e[2] == "notify" and e[3] != 0]
    assert failed == [("node2", "db", "notify", 1)] * 2
    dc = c.machines[1].state
    assert dc is not None
    # the post notifications ran after a failed pre one; nothing counts it as a failure, and
    # no notification is written into the status
    assert transient_value(dc.cib, "2", "fail-count-db#notify_0") is None
    assert all(r.operation != "notify" for st in dc.cib.status for h in st.history
               for r in h.operations)
    assert c.world.where_promoted("db") and len(c.world.where_promoted("db")) == 1
    c.converged()


def test_on_fail_demote_only_demotes_the_failed_promoted_instance() -> None:
    c = ClusterModel(3)
    c.world.promotable.add("db")
    c.settle()
    c.configure(PROMOTABLE_CONFIG.replace('role="Promoted"/>', 'role="Promoted" on-fail="demote"/>'))
    c.settle()
    (promoted,) = c.world.where_promoted("db")
    c.world.fail_promoted(promoted, "db")
    c.tick()
    c.settle()
    failed_at = c.world.log.index((promoted, "db", "monitor", 9))
    here = [(task, rc) for node, rsc, task, rc in c.world.log[failed_at + 1:]
            if node == promoted and rsc == "db" and task not in ("monitor", "notify")]
    assert here[:1] == [("demote", 0)] and ("stop", 0) not in here
    assert len(c.world.where_promoted("db")) == 1
    assert_role_monitors(c)
    c.converged()
