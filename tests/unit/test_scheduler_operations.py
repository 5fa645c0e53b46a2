"""The scheduler resolves every agent operation: what a planned action runs, the recurring
monitors that follow it, the probes of each node.

Two parts. Concrete values on small CIBs (what the executor is to run). And, while vigild still
builds its operations with daemon/resources.py, a comparison over the conformance corpus and
examples/: the scheduler's operations equal that module's, except where the module reads the
configuration wrongly; each such difference is named below, with the reason, and is the only one
allowed. When vigild switches to the scheduler's operations and resources.py goes, the comparison
goes with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.cib.io import load_cib_file
from vigil.cib.read import parse_cib
from vigil.commands.simulate import parse_now
from vigil.controller import resources
from vigil.daemon.ports import Operation
from vigil.model.cib import Cib
from vigil.model.resources import walk
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import OnFail, PlannedAction, ResolvedOperation, Task, Transition

NOW = 1_700_000_000
REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "conformance" / "pacemaker-2.1.5"


def _cib(resources_xml: str, *, status: str = "", op_defaults: str = "", stonith: bool = False,
         nodes: int = 2) -> Cib:
    node_xml = "".join(f'<node id="{i}" uname="node{i}"/>' for i in range(1, nodes + 1))
    states = status or "".join(
        f'<node_state id="{i}" uname="node{i}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"/>' for i in range(1, nodes + 1))
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="{'true' if stonith else 'false'}"/>
    </cluster_property_set></crm_config>
    <nodes>{node_xml}</nodes>
    <resources>{resources_xml}</resources>
    <constraints/>
    {op_defaults}
  </configuration>
  <status>{states}</status>
</cib>"""
    cib, _ = parse_cib(text)
    return cib


def _action(t: Transition, resource: str, task: Task) -> PlannedAction:
    return next(a for a in t.actions if a.resource == resource and a.task == task)


def _op(t: Transition, resource: str, task: Task) -> ResolvedOperation:
    op = _action(t, resource, task).operation
    assert op is not None
    return op


DUMMY = """<primitive id="db" class="ocf" provider="pacemaker" type="Dummy">
  <instance_attributes id="db-ia"><nvpair id="db-ia-1" name="state" value="/run/db"/></instance_attributes>
  <operations>
    <op id="db-start" name="start" interval="0" timeout="45s"/>
    <op id="db-mon" name="monitor" interval="10s" timeout="15s" on-fail="block"/>
  </operations>
</primitive>"""


# --- concrete values -------------------------------------------------------------------------

def test_start_carries_parameters_timeout_and_on_fail_of_its_configuration() -> None:
    t = schedule(_cib(DUMMY), NOW)
    assert _op(t, "db", Task.START) == ResolvedOperation(
        resource="db", standard="ocf", provider="pacemaker", agent_type="Dummy", task=Task.START,
        interval_ms=0, timeout_ms=45_000, expected_rc=0, on_fail=OnFail.RESTART,
        params=(("state", "/run/db"),))


def test_recurring_monitor_follows_a_start_with_its_own_timeout_and_on_fail() -> None:
    t = schedule(_cib(DUMMY), NOW)
    (monitor,) = t.monitors_after("db", Task.START)
    assert (monitor.task, monitor.interval_ms, monitor.timeout_ms, monitor.expected_rc,
            monitor.on_fail, monitor.role) == (Task.MONITOR, 10_000, 15_000, 0, OnFail.BLOCK, None)
    assert t.monitors_after("other", Task.START) == ()


def test_timeout_falls_back_to_op_defaults_then_twenty_seconds() -> None:
    defaults = """<op_defaults><meta_attributes id="od">
      <nvpair id="od-t" name="timeout" value="1m"/></meta_attributes></op_defaults>"""
    plain = '<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/>'
    assert _op(schedule(_cib(plain, op_defaults=defaults), NOW), "r", Task.START).timeout_ms == 60_000
    assert _op(schedule(_cib(plain), NOW), "r", Task.START).timeout_ms == 20_000


def test_op_defaults_rules_see_the_operation_and_the_agent() -> None:
    defaults = """<op_defaults><meta_attributes id="od">
      <rule id="od-r" score="INFINITY" boolean-op="and">
        <rsc_expression id="od-r-rsc" class="ocf" provider="pacemaker" type="Dummy"/>
        <op_expression id="od-r-op" name="monitor" interval="10s"/>
      </rule>
      <nvpair id="od-t" name="timeout" value="8s"/></meta_attributes></op_defaults>"""
    cib = _cib("""<primitive id="r" class="ocf" provider="pacemaker" type="Dummy">
      <operations><op id="r-m" name="monitor" interval="10s"/></operations></primitive>
      <primitive id="s" class="ocf" provider="heartbeat" type="IPaddr2">
      <operations><op id="s-m" name="monitor" interval="10s"/></operations></primitive>""",
               op_defaults=defaults)
    t = schedule(cib, NOW)
    assert [m.timeout_ms for m in t.monitors_after("r", Task.START)] == [8_000]
    assert [m.timeout_ms for m in t.monitors_after("s", Task.START)] == [20_000]
    assert _op(t, "r", Task.START).timeout_ms == 20_000


def test_stop_fails_into_fencing_only_where_fencing_is_enabled() -> None:
    running = """<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
        expected="member"><lrm id="1"><lrm_resources>
      <lrm_resource id="r" class="ocf" provider="pacemaker" type="Dummy">
        <lrm_rsc_op id="r_last_0" operation_key="r_start_0" operation="start" call-id="1"
          rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" crm_feature_set="3.7.0"/>
      </lrm_resource></lrm_resources></lrm></node_state>"""
    stopped = '<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"><meta_attributes ' \
              'id="r-m"><nvpair id="r-m-1" name="target-role" value="Stopped"/></meta_attributes></primitive>'
    fence = ('<primitive id="f" class="stonith" type="fence_dummy"/>')
    with_fencing = schedule(_cib(stopped + fence, status=running, stonith=True, nodes=1), NOW)
    without = schedule(_cib(stopped, status=running, nodes=1), NOW)
    assert _op(with_fencing, "r", Task.STOP).on_fail == OnFail.FENCE
    assert _op(without, "r", Task.STOP).on_fail == OnFail.BLOCK


def test_anonymous_clone_instances_share_the_primitive_id_and_carry_the_clone_settings() -> None:
    t = schedule(_cib(f'<clone id="db-clone">{DUMMY}</clone>'), NOW)
    starts = [a for a in t.actions if a.task == Task.START and a.operation is not None]
    assert {a.resource for a in starts} == {"db:0", "db:1"}
    assert {a.operation.resource for a in starts if a.operation} == {"db"}
    assert {a.operation.meta for a in starts if a.operation} == {
        (("clone_max", "2"), ("clone_node_max", "1"), ("globally_unique", "false"))}
    assert len(t.monitors_after("db", Task.START)) == 1  # once, not once per instance


def test_globally_unique_clone_instances_keep_their_number() -> None:
    clone = f"""<clone id="db-clone"><meta_attributes id="c-m">
      <nvpair id="c-m-1" name="globally-unique" value="yes"/>
      <nvpair id="c-m-2" name="clone-max" value="3"/>
      <nvpair id="c-m-3" name="clone-node-max" value="2"/></meta_attributes>{DUMMY}</clone>"""
    t = schedule(_cib(clone), NOW)
    op = _op(t, "db:2", Task.START)
    assert op.resource == "db:2"
    assert op.meta == (("clone_max", "3"), ("clone_node_max", "2"), ("globally_unique", "true"))
    assert [m.resource for m in t.monitors] == ["db:0", "db:1", "db:2"]


PROMOTABLE = """<clone id="ms"><meta_attributes id="ms-m">
  <nvpair id="ms-m-1" name="promotable" value="true"/></meta_attributes>
  <primitive id="st" class="ocf" provider="pacemaker" type="Stateful">
    <operations>
      <op id="st-mp" name="monitor" interval="10s" role="Promoted"/>
      <op id="st-mu" name="monitor" interval="11s" role="Unpromoted"/>
      <op id="st-ms" name="monitor" interval="12s" role="Stopped"/>
    </operations>
  </primitive></clone>"""


def test_role_monitors_follow_the_role_that_the_action_left() -> None:
    t = schedule(_cib(PROMOTABLE), NOW)

    def after(task: Task) -> list[tuple[int, str | None, int]]:
        return [(m.interval_ms, m.role, m.expected_rc) for m in t.monitors_after("st", task)]

    assert after(Task.PROMOTE) == [(10_000, "Promoted", 8)]
    assert after(Task.START) == [(11_000, "Unpromoted", 0)]
    assert after(Task.DEMOTE) == [(11_000, "Unpromoted", 0)]
    stopped = [m for m in t.monitors if m.role == "Stopped"]
    assert [(m.interval_ms, m.expected_rc) for m in stopped] == [(12_000, 7)]


def test_promote_expects_success_not_promoted() -> None:
    """Pacemaker records a promote's expected result as 0 (every promote of the corpus)."""
    t = schedule(_cib(PROMOTABLE), NOW)
    promotes = [a for a in t.actions if a.task == Task.PROMOTE and a.operation is not None]
    assert promotes and all(a.operation.expected_rc == 0 for a in promotes if a.operation)


def test_pseudo_actions_and_fencing_run_no_agent() -> None:
    t = schedule(_cib(f'<clone id="db-clone">{DUMMY}</clone>'), NOW)
    assert all(a.operation is None for a in t.actions if a.pseudo or a.resource == "db-clone")


def test_probes_ask_each_node_about_what_it_has_no_history_for() -> None:
    status = """<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
        expected="member"><lrm id="1"><lrm_resources>
      <lrm_resource id="db" class="ocf" provider="pacemaker" type="Dummy">
        <lrm_rsc_op id="db_last_0" operation_key="db_monitor_0" operation="monitor" call-id="1"
          rc-code="7" op-status="0" interval="0" transition-key="1:1:7:x" crm_feature_set="3.7.0"/>
      </lrm_resource></lrm_resources></lrm></node_state>
      <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>"""
    fence = '<primitive id="f" class="stonith" type="fence_dummy"/>'
    t = schedule(_cib(DUMMY + fence, status=status), NOW)
    assert [(p.node_id, p.node) for p in t.probes] == [("2", "node2")]
    (probe,) = t.probes[0].operations
    assert (probe.resource, probe.task, probe.interval_ms, probe.expected_rc, probe.params) == \
        ("db", Task.MONITOR, 0, 7, (("state", "/run/db"),))


# --- the same operations as daemon/resources.py, while vigild still uses it ----------------------

def _corpus_cibs() -> Iterator[tuple[str, Path]]:
    for path in sorted((CORPUS / "xml").glob("*.xml")):
        yield path.stem, path
    for path in sorted((REPO / "examples").glob("*.xml")):
        yield f"examples/{path.stem}", path


def _has_rules(cib: Cib) -> bool:
    """Rules in instance attributes or op_defaults: the scheduler evaluates them at `now`,
    resources.py ignores them (and takes the first set)."""
    sets = list(cib.configuration.op_defaults)
    for rsc in walk(cib.configuration.resources):
        sets.extend(rsc.instance_attributes)
    return any(s.rule is not None for s in sets)


def _agreed(op: ResolvedOperation | Operation, *, rules: bool, remote_nodes: bool) -> dict[str, object]:
    """The fields both must agree on, without the ones where resources.py reads the
    configuration wrongly (each named here)."""
    fields: dict[str, object] = {
        "resource": op.resource, "standard": op.standard, "provider": op.provider,
        "agent_type": op.agent_type, "task": str(op.task), "interval_ms": op.interval_ms,
        "timeout_ms": op.timeout_ms, "expected_rc": op.expected_rc, "params": tuple(op.params)}
    meta = dict(op.meta)
    if op.task == Task.PROMOTE:
        # resources.py expects 8 of a promote; Pacemaker expects 0, as every promote recorded in
        # the corpus says (test_promote_expects_success_not_promoted)
        del fields["expected_rc"]
    if rules:
        # rules in instance attributes or op_defaults: the scheduler evaluates them at `now`,
        # resources.py ignores them and takes the first set
        del fields["params"], fields["timeout_ms"]
    if remote_nodes:
        # the scheduler makes no clone instances for remote nodes yet; resources.py counts them
        meta.pop("clone_max", None)
    if "globally_unique" in meta:
        # resources.py passes the word as written ("1", "yes"); the scheduler its verdict
        meta["globally_unique"] = str(meta["globally_unique"].strip().lower() in _TRUE).lower()
    fields["meta"] = meta
    return fields


_TRUE = ("true", "yes", "1", "on", "y")


def _distinct(monitors: list[Operation]) -> list[Operation]:
    """Two monitors of one interval ("40s" and "P40S") are one for Pacemaker, which ignores the
    second; resources.py would run both."""
    seen: set[tuple[int, int]] = set()
    out = []
    for m in monitors:
        if (m.interval_ms, m.expected_rc) not in seen:
            seen.add((m.interval_ms, m.expected_rc))
            out.append(m)
    return out


def _now(name: str, args: dict[str, list[str]]) -> int:
    case_args = args.get(name, [])
    return parse_now(case_args[case_args.index("-t") + 1]) if "-t" in case_args else NOW


def _compare(name: str, cib: Cib, now: int, compared: dict[str, int]) -> None:
    t = schedule(cib, now)
    rules = _has_rules(cib)
    remote = any(n.type == "remote" for n in cib.configuration.nodes)
    orphans = {a.resource for a in t.allocations if a.orphan}

    def same(new: ResolvedOperation, old: Operation, where: str) -> None:
        assert _agreed(new, rules=rules, remote_nodes=remote) == \
            _agreed(old, rules=rules, remote_nodes=remote), f"{name}: {where}"

    for action in t.actions:
        if action.operation is None or action.resource is None:
            continue
        old = resources.operation_for(cib, action.resource, action.task, "t")
        if old is None:
            # resources.py cannot run anything for a resource the configuration lost; the
            # scheduler takes the agent from its history
            assert action.resource in orphans, f"{name}: {action.task} {action.resource}"
            compared["orphans"] += 1
            continue
        same(action.operation, old, f"{action.task} {action.resource}")
        compared["actions"] += 1
    for resource in sorted({m.resource for m in t.monitors}):
        # Stopped-role monitors watch that a resource stays stopped: they never follow a start,
        # though resources.py starts them as if they had no role
        stopped_role = {m.interval_ms for m in t.monitors
                        if m.resource == resource and m.role == "Stopped"}
        for task in (Task.START, Task.PROMOTE, Task.DEMOTE):
            new_monitors = sorted(t.monitors_after(resource, task), key=_by_interval)
            old_monitors = sorted(_distinct([
                m for m in resources.recurring_monitors(cib, resource, task)
                if m.interval_ms not in stopped_role]), key=_by_interval)
            assert list(map(_by_interval, new_monitors)) == list(map(_by_interval, old_monitors)), \
                f"{name}: monitors of {resource} after {task}"
            for new, old in zip(new_monitors, old_monitors, strict=True):
                same(new, old, f"monitor {resource} after {task}")
                compared["monitors"] += 1
    probes = {p.node_id: p.operations for p in t.probes}
    for node in t.nodes:
        new_probes = sorted(probes.get(node.id, ()), key=lambda op: op.resource)
        old_probes = sorted(resources.probe_targets(cib, node.id), key=lambda op: op.resource)
        assert [p.resource for p in new_probes] == [p.resource for p in old_probes], \
            f"{name}: probes on {node.name}"
        for new, old in zip(new_probes, old_probes, strict=True):
            same(new, old, f"probe {new.resource} on {node.name}")
            compared["probes"] += 1


def _by_interval(op: ResolvedOperation | Operation) -> tuple[int, int]:
    return op.interval_ms, op.expected_rc


@pytest.mark.skipif(not (CORPUS / "xml").is_dir(), reason=f"no conformance corpus at {CORPUS}")
def test_operations_equal_those_of_daemon_resources_on_the_corpus() -> None:
    args = json.loads((CORPUS / "args.json").read_text(encoding="utf-8"))
    compared = {"actions": 0, "monitors": 0, "probes": 0, "orphans": 0}
    for name, path in _corpus_cibs():
        cib, _ = load_cib_file(path)
        _compare(name, cib, _now(name, args), compared)
    # the comparison must have compared enough of each kind to mean something
    assert compared["actions"] > 10_000 and compared["monitors"] > 9_000, compared
    assert compared["probes"] > 3_000 and compared["orphans"] > 300, compared
