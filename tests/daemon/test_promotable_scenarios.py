"""A promotable clone run by the controllers of three nodes (ClusterModel: the controllers over a
simulated network, the resources' truth in agent_world, whose promotable agent sets its
promotion score as ocf:pacemaker:Stateful does). Invariants, promoted-max 1 among them, are
checked after every step."""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.cib.status_edit import transient_value
from vigil.cib.write import write_cib
from vigil.controller import events as ev
from vigil.model import ocf

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
def test_notifications_run_with_their_data_and_a_failed_one_fails_nothing() -> None:
    """The clone has notify=true: moving the promoted role makes the scheduler plan a pre and a
    post notification of every instance around the demote and around the promote. A
    notification that fails (the agent returns 1 on one node) fails nothing: the role still
    moves, no fail-count, nothing in the status."""
    c = promotable_cluster()
    (promoted,) = c.world.where_promoted("db")
    target = next(n for n in ("node1", "node2", "node3") if n != promoted)
    failing = next(n for n in ("node1", "node2", "node3") if n not in (promoted, target))
    c.world.failing_notify.add((failing, "db"))
    c.world.notified.clear()
    dc = c.machines[1].state
    assert dc is not None
    cib, _ = parse_cib(PROMOTABLE_CONFIG.replace(
        "<constraints>", '<constraints><rsc_location id="move-promoted" rsc="db-clone" '
        f'role="Promoted" node="{target}" score="1000"/>'))
    c.machines[1].inbox.append(ev.ConfigPushRequested("move", write_cib(cib),
                                                      dc.cib.version.as_tuple()))
    c.settle()
    assert c.world.where_promoted("db") == [target]

    runs = [(node, dict(meta)) for node, rsc, meta in c.world.notified if rsc == "db"]
    rounds = [(m["notify_type"], m["notify_operation"]) for _, m in runs]
    # every instance is told, in order: pre-demote, post-demote, pre-promote, post-promote
    expected = [(kind, op) for op in ("demote", "promote") for kind in ("pre", "post")]
    assert [r for i, r in enumerate(rounds) if i == 0 or rounds[i - 1] != r] == expected, rounds
    for kind, op in expected:
        told = sorted(n for n, m in runs if (m["notify_type"], m["notify_operation"]) == (kind, op))
        assert told == ["node1", "node2", "node3"], (kind, op, told)
    for _, meta in runs:
        # each instance's own number, as CRM_meta_clone, and the data of the operation
        assert meta["clone"] in {"0", "1", "2"}
        if meta["notify_operation"] == "demote":
            assert meta["notify_demote_uname"].split() == [promoted], meta
        else:
            assert meta["notify_promote_uname"].split() == [target], meta
    failed = [e for e in c.world.log if e[2] == "notify" and e[3] != 0]
    assert failed and {e[0] for e in failed} == {failing}
    dc = c.machines[1].state
    assert dc is not None
    assert transient_value(dc.cib, failing.removeprefix("node"), "fail-count-db#notify_0") is None
    assert all(r.operation != "notify" for st in dc.cib.status for h in st.history
               for r in h.operations)
    assert_role_monitors(c)
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
