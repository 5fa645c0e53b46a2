"""Live migration in the scheduler: when a move is a migration, how a migration found half done in
the history goes on or is undone, and what a dependency's restart does to it.

Each case is a small hand-written CIB: Dummy resources, two or three nodes, `stonith-enabled=false`.
The decisions asserted were checked against Pacemaker 2.1.5's crm_simulate on the same CIBs.
"""

from __future__ import annotations

from pathlib import Path

from vigil.cib.read import parse_cib
from vigil.controller.graph import build_graph
from vigil.controller.operations import to_run
from vigil.executor.agents import AgentSpec, Standard
from vigil.executor.run import agent_environment
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import PlannedAction, Task, Transition

NOW = 1_700_000_000
DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"  # a Dummy without parameters


def op(rsc: str, call: int, operation: str, rc: int = 0, *, source: str = "", target: str = "",
       record: str = "last") -> str:
    magic = f"{call}:1:{7 if operation == 'monitor' else 0}:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    migration = f' migrate_source="{source}" migrate_target="{target}"' if source else ""
    return (f'<lrm_rsc_op id="{rsc}_{record}_0" operation_key="{rsc}_{operation}_0" '
            f'operation="{operation}" transition-key="{magic}" transition-magic="0:{rc};{magic}" '
            f'call-id="{call}" rc-code="{rc}" op-status="0" interval="0" op-digest="{DIGEST}"'
            f'{migration}/>')


def dummy(rid: str, migratable: bool = True) -> str:
    meta = (f'<meta_attributes id="{rid}-meta"><nvpair id="{rid}-am" name="allow-migrate" '
            f'value="true"/></meta_attributes>') if migratable else ""
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{meta}</primitive>'


def cib(resources: list[str], history: dict[str, list[str]], *, constraints: str = "",
        standby: tuple[str, ...] = (), nodes: tuple[str, ...] = ("n1", "n2")) -> Transition:
    node_xml = "".join(
        f'<node id="{n}" uname="{n}">'
        + (f'<instance_attributes id="{n}-a"><nvpair id="{n}-s" name="standby" value="on"/>'
           f'</instance_attributes>' if n in standby else "")
        + "</node>" for n in nodes)
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>'
        + "".join(f'<lrm_resource id="{r}" class="ocf" provider="pacemaker" type="Dummy">'
                  + "".join(ops) + "</lrm_resource>"
                  for (where, r), ops in _by_node(history).items() if where == n)
        + "</lrm_resources></lrm></node_state>" for n in nodes)
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
      crm_feature_set="3.16.2" have-quorum="1" dc-uuid="n1"><configuration><crm_config>
      <cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/>
      </cluster_property_set></crm_config><nodes>{node_xml}</nodes>
      <resources>{"".join(resources)}</resources><constraints>{constraints}</constraints>
      </configuration><status>{states}</status></cib>"""
    parsed, _ = parse_cib(text)
    if DUMP is not None:
        DUMP.append(text)
    return schedule(parsed, NOW)


DUMP: list[str] | None = None  # set to a list to collect the CIBs (to check them with crm_simulate)


def _by_node(history: dict[str, list[str]]) -> dict[tuple[str, str], list[str]]:
    """{"rsc@node": ops} -> {(node, rsc): ops}"""
    out = {}
    for key, ops in history.items():
        rsc, node = key.split("@")
        out[(node, rsc)] = ops
    return out


def summary(t: Transition) -> set[tuple[str, str, str]]:
    return {(s.verb, s.resource, s.details) for s in t.summary}


def graph(t: Transition) -> dict[tuple[str | None, str, str | None], PlannedAction]:
    """The actions that run (required and runnable), by (resource, task, node)."""
    return {(a.resource, str(a.task), a.node): a for a in t.actions if not a.optional and a.runnable}


def before(t: Transition, first: PlannedAction, then: PlannedAction) -> bool:
    return any(o.first == first.id and o.then == then.id for o in t.orderings)


def running_on_n1(rsc: str) -> list[str]:
    return [op(rsc, 1, "start")]


def test_a_migratable_resource_leaving_a_standby_node_migrates() -> None:
    t = cib([dummy("vm")], {"vm@n1": running_on_n1("vm")}, standby=("n1",))
    assert summary(t) == {("Migrate", "vm", "n1 -> n2")}
    g = graph(t)
    migrate_to, migrate_from = g[("vm", "migrate_to", "n1")], g[("vm", "migrate_from", "n2")]
    stop, start = g[("vm", "stop", "n1")], g[("vm", "start", "n2")]
    assert start.pseudo and not stop.pseudo
    assert before(t, migrate_to, migrate_from) and before(t, migrate_from, stop)
    assert before(t, migrate_from, start)
    # the agent is told both ends, and the pending migrate_to is to be recorded
    assert migrate_to.operation is not None and migrate_from.operation is not None
    assert dict(migrate_to.operation.meta) == {
        "migrate_source": "n1", "migrate_target": "n2", "record_pending": "true"}
    assert dict(migrate_from.operation.meta) == {"migrate_source": "n1", "migrate_target": "n2"}


def test_without_allow_migrate_a_move_is_a_stop_and_a_start() -> None:
    t = cib([dummy("vm", migratable=False)], {"vm@n1": running_on_n1("vm")}, standby=("n1",))
    assert summary(t) == {("Move", "vm", "n1 -> n2")}
    assert not any(a.task in (Task.MIGRATE_TO, Task.MIGRATE_FROM) for a in graph(t).values())
    assert not graph(t)[("vm", "start", "n2")].pseudo


def test_a_resource_depending_on_a_migrating_one_stays_up() -> None:
    # A migrates away; B, ordered after it, stays where it is: A never stops being up
    t = cib([dummy("A"), dummy("B", migratable=False)],
            {"A@n1": running_on_n1("A"), "B@n2": [op("B", 1, "start")]},
            constraints='<rsc_order id="ord" first="A" then="B"/>'
                        '<rsc_location id="l" rsc="A" node="n1" score="-INFINITY"/>'
                        '<rsc_location id="k" rsc="B" node="n2" score="100"/>')
    assert summary(t) == {("Migrate", "A", "n1 -> n2")}


def test_a_migratable_resource_after_one_that_restarts_moves_instead() -> None:
    # A (not migratable) moves: B, ordered after it, must stop before A does
    t = cib([dummy("A", migratable=False), dummy("B")],
            {"A@n1": running_on_n1("A"), "B@n1": running_on_n1("B")},
            constraints='<rsc_order id="ord" first="A" then="B"/>', standby=("n1",))
    assert summary(t) == {("Move", "A", "n1 -> n2"), ("Move", "B", "n1 -> n2")}
    assert ("B", "migrate_to", "n1") not in graph(t)


def test_a_migration_half_done_goes_on_to_the_same_target() -> None:
    # migrate_to succeeded on n1; n2 (probed before) has not reported migrate_from: only that
    # and the stop remain
    hist = {"vm@n1": [op("vm", 1, "start", record="start"),
                      op("vm", 2, "migrate_to", source="n1", target="n2")],
            "vm@n2": [op("vm", 1, "monitor", 7)]}
    t = cib([dummy("vm")], hist, standby=("n1",))
    assert summary(t) == {("Migrate", "vm", "n1 -> n2")}
    g = graph(t)
    assert ("vm", "migrate_to", "n1") not in g
    assert before(t, g[("vm", "migrate_from", "n2")], g[("vm", "stop", "n1")])


def test_a_migration_half_done_towards_another_node_is_undone() -> None:
    # the target changed (n2 is now in standby): stop on both ends, start on the third node
    hist = {"vm@n1": [op("vm", 1, "start", record="start"),
                      op("vm", 2, "migrate_to", source="n1", target="n2")],
            "vm@n2": [op("vm", 1, "monitor", 7)]}
    t = cib([dummy("vm")], hist, standby=("n1", "n2"), nodes=("n1", "n2", "n3"))
    g = graph(t)
    assert {k for k in g if k[0] == "vm"} == {("vm", "stop", "n1"), ("vm", "stop", "n2"),
                                               ("vm", "start", "n3")}


def test_a_finished_migration_stops_what_is_left_on_the_source() -> None:
    hist = {"vm@n1": [op("vm", 1, "start", record="start"),
                      op("vm", 2, "migrate_to", source="n1", target="n2")],
            "vm@n2": [op("vm", 1, "migrate_from", source="n1", target="n2")]}
    t = cib([dummy("vm")], hist)
    assert summary(t) == set()  # it runs on n2, where it stays
    assert {k for k in graph(t) if k[0] == "vm"} == {("vm", "stop", "n1")}


def test_a_failed_migrate_from_recovers_on_both_ends() -> None:
    hist = {"vm@n1": [op("vm", 1, "start", record="start"),
                      op("vm", 2, "migrate_to", source="n1", target="n2")],
            "vm@n2": [op("vm", 1, "migrate_from", 1, source="n1", target="n2")]}
    t = cib([dummy("vm")], hist, nodes=("n1", "n2", "n3"))
    g = graph(t)
    assert ("vm", "stop", "n1") in g and ("vm", "stop", "n2") in g
    assert not any(k[1] in ("migrate_to", "migrate_from") for k in g)
    assert {s.verb for s in t.summary if s.resource == "vm"} == {"Recover"}


def test_the_controller_runs_the_migration_in_order_and_tells_the_agent_both_ends(
        tmp_path: Path) -> None:
    t = cib([dummy("vm")], {"vm@n1": running_on_n1("vm")}, standby=("n1",))
    g = build_graph(t)
    waves = []
    while True:
        g, ready = g.ready()
        if not ready:
            break
        waves.append(sorted((a.task, a.node) for a in ready))
        for a in ready:
            g = g.complete(a.key, ok=True)
    assert waves == [[("migrate_to", "n1")], [("migrate_from", "n2")], [("stop", "n1")]]
    assert g.finished
    migrate_to = next(a for a in t.actions if a.task == Task.MIGRATE_TO)
    assert migrate_to.operation is not None
    op = to_run(migrate_to.operation, "t1")
    script = tmp_path / "Dummy"
    script.write_text("#!/bin/sh\nexit 0\n")
    spec = AgentSpec(Standard.OCF, "Dummy", "pacemaker", Standard.OCF, script)
    env = agent_environment(spec, op.task, dict(op.params), resource_id=op.resource,
                            timeout_ms=op.timeout_ms, meta=op.agent_meta())
    assert env["OCF_RESKEY_CRM_meta_migrate_source"] == "n1"
    assert env["OCF_RESKEY_CRM_meta_migrate_target"] == "n2"


def test_a_half_done_migration_to_a_node_never_probed_starts_over() -> None:
    # n2 has no history of vm at all: nothing is assumed there, it is probed, and the move is a
    # migration again from the start (migrate_to included)
    hist = {"vm@n1": [op("vm", 1, "start", record="start"),
                      op("vm", 2, "migrate_to", source="n1", target="n2")]}
    t = cib([dummy("vm")], hist, standby=("n1",))
    assert summary(t) == {("Migrate", "vm", "n1 -> n2")}
    assert ("vm", "migrate_to", "n1") in graph(t)
