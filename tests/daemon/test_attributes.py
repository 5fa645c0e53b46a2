"""Node attributes in the controllers of three nodes (controller.attributes): set, get, delete,
replication in agreed order, private attributes, dampening, permanent attributes and cluster
options, nodes leaving and coming back; the invariants are checked after every step."""

from __future__ import annotations

import dataclasses

from vigil import controller
from vigil.cib import status_edit
from vigil.cib.write import write_cib
from vigil.controller import attributes
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.state import State

from .cluster_model import ClusterModel
from .service_cibs import CONFIG


def configured() -> ClusterModel:
    c = ClusterModel(3)
    c.settle()
    c.configure(CONFIG)
    c.settle()
    return c


def state(c: ClusterModel, node: int) -> State:
    st = c.machines[node].state
    assert st is not None
    return st


def ask(c: ClusterModel, via: int, event: ev.Event) -> None:
    c.machines[via].inbox.append(event)
    c.settle()


def answered(c: ClusterModel, request_id: str) -> list[tuple[int, bool, str | None]]:
    return [(node, a.ok, a.code) for node, a in c.answers if a.request_id == request_id]


def transient(c: ClusterModel, node: int, of: int, name: str) -> str | None:
    return status_edit.transient_value(state(c, node).cib, str(of), name)


def plans(c: ClusterModel) -> int:
    return state(c, 1).plan.number


def test_a_transient_attribute_is_set_in_every_replica_and_deleted_again() -> None:
    c = configured()
    ask(c, 2, ev.AttributeRequested("2", "node2", "master-db", "5", request_id="r1"))
    assert [transient(c, i, 2, "master-db") for i in (1, 2, 3)] == ["5", "5", "5"]
    assert answered(c, "r1") == [(2, True, None)]  # only the asking node answers
    before = plans(c)
    ask(c, 3, ev.AttributeRequested("2", "node2", "master-db", None, request_id="r2"))
    assert [transient(c, i, 2, "master-db") for i in (1, 2, 3)] == [None, None, None]
    assert answered(c, "r2") == [(3, True, None)]
    assert plans(c) == before + 1  # the DC planned again for the change
    c.converged()


def test_an_unchanged_value_does_not_make_the_dc_plan() -> None:
    c = configured()
    ask(c, 2, ev.AttributeRequested("2", "node2", "site", "a"))
    before = plans(c)
    ask(c, 3, ev.AttributeRequested("2", "node2", "site", "a"))
    assert plans(c) == before


def test_value_plus_plus_and_plus_equals_are_expanded_against_the_current_value() -> None:
    c = configured()
    ask(c, 1, ev.AttributeRequested("3", "node3", "hits", "hits++"))
    assert transient(c, 2, 3, "hits") == "1"
    ask(c, 2, ev.AttributeRequested("3", "node3", "hits", "hits+=10"))
    assert transient(c, 3, 3, "hits") == "11"
    ask(c, 2, ev.AttributeRequested("3", "node3", "hits", "hits+=INFINITY"))
    assert transient(c, 1, 3, "hits") == "INFINITY"
    ask(c, 2, ev.AttributeRequested("3", "node3", "other", "hits++"))  # another name: literal
    assert transient(c, 1, 3, "other") == "hits++"


def test_a_private_attribute_reaches_every_replica_but_never_the_cib() -> None:
    c = configured()
    before = plans(c)
    ask(c, 2, ev.AttributeRequested("2", "node2", "lsn_location-db", "0/3000",
                                    private=True, request_id="p1"))
    for i in (1, 2, 3):
        assert attributes.attrd_value(state(c, i), "2", "lsn_location-db") == "0/3000"
        assert "lsn_location-db" not in write_cib(state(c, i).cib)
    assert answered(c, "p1") == [(2, True, None)]
    assert plans(c) == before  # nothing the scheduler reads changed
    ask(c, 3, ev.AttributeRequested("2", "node2", "lsn_location-db", None, private=True))
    assert all(attributes.attrd_value(state(c, i), "2", "lsn_location-db") is None
               for i in (1, 2, 3))


def test_dampened_changes_from_several_nodes_are_written_together_after_the_delay() -> None:
    c = configured()
    ask(c, 2, ev.AttributeRequested("2", "node2", "pingd", "100", delay_ms=5000))
    # the first value sets the delay: a change of dampening is written at once
    assert transient(c, 1, 2, "pingd") == "100"
    before = plans(c)
    c.now += 1
    ask(c, 2, ev.AttributeRequested("2", "node2", "pingd", "200"))
    c.now += 2
    ask(c, 3, ev.AttributeRequested("3", "node3", "pingd", "300"))
    # held in attrd's memory of every node, not in the CIB yet, no plan yet
    for i in (1, 2, 3):
        assert transient(c, i, 2, "pingd") == "100" and transient(c, i, 3, "pingd") is None
        assert attributes.attrd_value(state(c, i), "2", "pingd") == "200"
        assert attributes.attrd_value(state(c, i), "3", "pingd") == "300"
    assert plans(c) == before
    assert ev.Timer.ATTRIBUTES in c.machines[1].timers  # the DC's timer
    # each change restarted the timer: 4 s after the last one is still too early
    c.now += 4
    assert c.fire_timer(1, ev.Timer.ATTRIBUTES)
    c.settle()
    assert transient(c, 1, 3, "pingd") is None and plans(c) == before
    c.now += 1.5
    assert c.fire_timer(1, ev.Timer.ATTRIBUTES)
    c.settle()
    for i in (1, 2, 3):
        assert (transient(c, i, 2, "pingd"), transient(c, i, 3, "pingd")) == ("200", "300")
    assert plans(c) == before + 1  # one plan for both
    c.converged()


def test_the_same_value_again_does_not_hold_a_change_back() -> None:
    c = configured()
    ask(c, 2, ev.AttributeRequested("2", "node2", "pingd", "100", delay_ms=5000))
    ask(c, 2, ev.AttributeRequested("2", "node2", "pingd", "200"))
    for _ in range(4):  # set again every 2 s, as a ping agent does
        c.now += 2
        ask(c, 2, ev.AttributeRequested("2", "node2", "pingd", "200"))
        ask(c, 3, ev.AttributeRequested("3", "node3", "pingd", None))  # nothing to delete
        assert c.fire_timer(1, ev.Timer.ATTRIBUTES) or transient(c, 1, 2, "pingd") == "200"
        c.settle()
    assert [transient(c, i, 2, "pingd") for i in (1, 2, 3)] == ["200", "200", "200"]
    assert transient(c, 1, 3, "pingd") is None


def test_a_new_delay_writes_what_was_held_at_once() -> None:
    c = configured()
    ask(c, 2, ev.AttributeRequested("2", "node2", "pingd", "1", delay_ms=10_000))
    ask(c, 2, ev.AttributeRequested("2", "node2", "pingd", "2"))
    assert transient(c, 3, 2, "pingd") == "1"
    ask(c, 3, ev.AttributeRequested("3", "node3", "pingd", "7", delay_ms=0))
    assert (transient(c, 1, 2, "pingd"), transient(c, 1, 3, "pingd")) == ("2", "7")


def test_a_permanent_attribute_is_a_configuration_change() -> None:
    c = configured()
    epoch = state(c, 1).cib.version.epoch
    ask(c, 3, ev.ConfigAttributeRequested("f1", "nodes", "2", "master-db", "10"))
    for i in (1, 2, 3):
        st = state(c, i)
        node2 = next(n for n in st.cib.configuration.nodes if n.id == "2")
        assert attributes.permanent_values(st.cib, "2") == {"master-db": "10"}
        assert node2.instance_attributes[0].id == "nodes-2"
        assert node2.instance_attributes[0].pairs[0].id == "nodes-2-master-db"
        assert st.cib.version.epoch == epoch + 1
        stored = c.machines[i].stored_cib
        assert stored is not None and attributes.permanent_values(stored, "2") == {
            "master-db": "10"}
    assert answered(c, "f1") == [(3, True, None)]
    ask(c, 1, ev.ConfigAttributeRequested("f2", "nodes", "2", "master-db", None))
    assert all(attributes.permanent_values(state(c, i).cib, "2") == {} for i in (1, 2, 3))
    ask(c, 1, ev.ConfigAttributeRequested("f3", "nodes", "9", "x", "1"))
    assert answered(c, "f3") == [(1, False, "NODE_NOT_FOUND")]


def test_a_cluster_option_goes_to_the_named_set() -> None:
    c = configured()
    ask(c, 2, ev.ConfigAttributeRequested("o1", "crm_config", None, "db_REPL_INFO", "node2",
                                         set_id="redis_replication"))
    for i in (1, 2, 3):
        cib = state(c, i).cib
        assert attributes.option_values(cib, "crm_config", "redis_replication") == {
            "db_REPL_INFO": "node2"}
        assert attributes.option_values(cib, "crm_config")["stonith-enabled"] == "false"
    ask(c, 2, ev.ConfigAttributeRequested("o2", "crm_config", None, "no-quorum-policy",
                                         "freeze"))
    props = state(c, 3).cib.configuration.properties
    assert [s.id for s in props] == ["cib-bootstrap-options", "redis_replication"]
    assert props[0].get("no-quorum-policy") == "freeze"


def test_an_agents_own_property_changes_no_decision_and_a_cluster_option_does() -> None:
    # ocf:heartbeat:redis keeps its master's name in crm_config during a failover: replanning
    # for it would redo the transition's notifications; a Pacemaker option is replanned at once
    c = configured()
    before = plans(c)
    ask(c, 2, ev.ConfigAttributeRequested("o1", "crm_config", None, "db_REPL_INFO", "node2",
                                         set_id="redis_replication"))
    assert answered(c, "o1") == [(2, True, None)]
    assert plans(c) == before
    ask(c, 3, ev.ConfigAttributeRequested("o2", "crm_config", None, "db_REPL_INFO", None,
                                         set_id="redis_replication"))
    assert plans(c) == before
    ask(c, 2, ev.ConfigAttributeRequested("o3", "crm_config", None, "batch-limit", "5"))
    assert plans(c) == before + 1
    ask(c, 2, ev.ConfigAttributeRequested("o4", "crm_config", None, "last-lrm-refresh", "17"))
    assert plans(c) == before + 2
    c.converged()


def test_a_node_that_leaves_takes_its_attributes_and_brings_its_own_back() -> None:
    c = configured()
    ask(c, 3, ev.AttributeRequested("3", "node3", "master-db", "5"))
    ask(c, 3, ev.AttributeRequested("3", "node3", "secret", "s", private=True))
    c.partition([1, 2], [3])
    c.settle()
    for i in (1, 2):
        assert transient(c, i, 3, "master-db") is None
        assert attributes.attrd_value(state(c, i), "3", "secret") is None
    # node 3, alone, changes its own value meanwhile
    ask(c, 3, ev.AttributeRequested("3", "node3", "master-db", "10"))
    c.heal()
    c.settle()
    for i in (1, 2, 3):
        assert transient(c, i, 3, "master-db") == "10"
        assert attributes.attrd_value(state(c, i), "3", "secret") == "s"
    c.converged()


def test_a_restarted_node_comes_back_without_its_attributes() -> None:
    c = configured()
    ask(c, 3, ev.AttributeRequested("3", "node3", "master-db", "5"))
    ask(c, 3, ev.AttributeRequested("3", "node3", "secret", "s", private=True))
    c.fast_reboot(3)
    c.settle()
    for i in (1, 2, 3):
        assert transient(c, i, 3, "master-db") is None
        assert attributes.attrd_value(state(c, i), "3", "secret") is None
    c.converged()


def test_a_shutdown_request_left_by_the_last_stop_is_withdrawn_at_the_join() -> None:
    # the others kept node 3's request through a restart faster than they noticed, and node 3's
    # fresh join (which clears its attributes) was made alone: its join in the cluster's view
    # withdraws the request no process of node 3 holds any more
    c = configured()
    ask(c, 3, ev.AttributeRequested("3", "node3", "shutdown", "100"))
    c.restart_daemon_alone_first(3)
    c.settle()
    assert [transient(c, i, 3, "shutdown") for i in (1, 2, 3)] == [None, None, None]
    c.converged()


def test_a_shutdown_requested_as_the_node_starts_holds_through_its_joins() -> None:
    # CTS's PartialStart: `cluster stop` right after `cluster start`, in the daemon's first
    # second: asked while the node is alone in its first ring, or once in the cluster's view
    c = configured()
    c.restart_daemon_alone_first(3, ev.AttributeRequested("3", "node3", "shutdown", "100"))
    c.settle()
    c.restart_daemon_alone_first(2)
    c.settle()
    ask(c, 2, ev.AttributeRequested("2", "node2", "shutdown", "101"))
    c.repeat_view(1)  # a new sync round: every node joins again
    c.settle()
    assert [transient(c, i, 3, "shutdown") for i in (1, 2, 3)] == ["100"] * 3
    assert [transient(c, i, 2, "shutdown") for i in (1, 2, 3)] == ["101"] * 3
    c.converged()


def test_a_request_while_out_of_step_is_refused_and_changes_nothing() -> None:
    st = controller.initial_state(2, None)  # no view yet: not in step
    msg = m.Attribute("2", "node2", "x", "1", origin=2, request_id="n1")
    after, effects = controller.step(st, ev.Delivered(2, msg), 0.0)
    assert effects == (fx.Answer("n1", False, code="CIB_NOT_READY"),)
    assert after.cib == st.cib and after.attributes == st.attributes
    # another node's request is dropped alike, without an answer from here
    after, effects = controller.step(st, ev.Delivered(1, dataclasses.replace(msg, origin=1)), 0.0)
    assert effects == () and after.cib == st.cib


def test_messages_of_attributes_survive_the_wire() -> None:
    for msg in (m.Attribute("2", "node2", "n", None, True, 500, 2, "r"),
                m.AttributeFlush(("a", "b")),
                m.ConfigAttribute("r", 1, "crm_config", None, "n", "v", "set"),
                m.NodeHistory((1, 2), 2, "node2", (), True, ("x",), (("a", "1"),),
                              (("p", "2"),))):
        assert m.decode(m.encode(msg)) == msg
