"""History records as Pacemaker writes them; one node's history per resource; digests checked
against Pacemaker's own tools; and records of real runs read back by both schedulers."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from executor_support import PROVIDER, real_agent, write_script

from vigil.cib import read, write
from vigil.executor import history
from vigil.executor.agents import AgentPaths, AgentSpec, resolve_agent
from vigil.executor.history import FAKE_TE_UUID, NodeHistory, TransitionKey, build_records, op_digest
from vigil.executor.metadata import fetch_metadata, parse_metadata
from vigil.executor.run import OperationResult, run_operation
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.status import NodeState
from vigil.scheduler.digests import parameters_digest
from vigil.scheduler.engine import schedule

KEY = TransitionKey(12, 3, 0, "0b3a9b2f-5c4c-4a9e-9f3e-1b2c3d4e5f60")
PARAMS = (("fake", "a<b"), ("state", "/tmp/x.state"))


@pytest.fixture
def spec(paths: AgentPaths) -> AgentSpec:
    write_script(paths.ocf_resource_dir / PROVIDER / "Thing", "#!/bin/sh\nexit 0\n")
    return resolve_agent(f"ocf:{PROVIDER}:Thing", paths=paths)


def res(action: str, rc: OcfResult = OcfResult.OK, *, interval_ms: int = 0,
        status: ExecStatus = ExecStatus.DONE, reason: str = "", **kw: object) -> OperationResult:
    base = OperationResult(resource_id="d", action=action, interval_ms=interval_ms, rc=rc, status=status,
                           exit_reason=reason, started_at=1700000000.7, duration_ms=12, queue_ms=1,
                           timeout_ms=20000, params=PARAMS)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


RELOAD_1_1 = parse_metadata("""<resource-agent name="Thing"><version>1.1</version>
<parameters><parameter name="state" unique-group="s"/><parameter name="fake" reloadable="1"/>
<parameter name="other"/></parameters>
<actions><action name="reload-agent"/></actions></resource-agent>""", agent="ocf:vigiltest:Thing")


def test_keys_and_magic() -> None:
    assert history.operation_key("db", "monitor", 10000) == "db_monitor_10000"
    assert str(KEY) == "12:3:0:0b3a9b2f-5c4c-4a9e-9f3e-1b2c3d4e5f60"
    assert TransitionKey.parse(str(KEY)) == KEY
    assert history.transition_magic(ExecStatus.DONE, OcfResult.NOT_RUNNING, KEY) == f"0:7;{KEY}"
    with pytest.raises(ValueError):
        TransitionKey.parse("1:2:3")


def test_successful_start(spec: AgentSpec) -> None:
    (rec,) = build_records(spec, res("start"), call_id=7, node="n1", transition_key=KEY)
    assert (rec.id, rec.operation, rec.operation_key) == ("d_last_0", "start", "d_start_0")
    assert (rec.call_id, rec.rc_code, rec.op_status, rec.interval_ms) == (7, 0, 0, 0)
    assert (rec.transition_key, rec.transition_magic) == (str(KEY), f"0:0;{KEY}")
    assert (rec.exit_reason, rec.on_node, rec.last_rc_change) == ("", "n1", 1700000000)
    assert rec.op_digest == "1a60e2c4fff7f681c4f8e71f274335d3"  # crm_resource --digests says so
    assert rec.op_force_restart is None and rec.op_restart_digest is None  # no metadata given
    assert dict(rec.extra.attrs) == {"crm-debug-origin": "do_update_resource", "crm_feature_set": "3.16.1",
                                     "exec-time": "12", "queue-time": "1"}
    assert rec.expected_rc == 0 and rec.transition_number == 3


def test_failed_start_writes_last_failure_and_last(spec: AgentSpec) -> None:
    failed = res("start", OcfResult.ERR_CONFIGURED, reason="bad config")
    first, last = build_records(spec, failed, call_id=8, node="n1", transition_key=KEY, metadata=RELOAD_1_1)
    assert (first.id, last.id) == ("d_last_failure_0", "d_last_0")
    assert first.exit_reason == last.exit_reason == "bad config"
    assert first.transition_magic == f"0:6;{KEY}"
    # Only the record Pacemaker builds last gets the reload information.
    assert first.op_force_restart is None
    assert last.op_force_restart == "  other state  "
    assert last.op_restart_digest == parameters_digest({"state": "/tmp/x.state"})


def test_recurring_results(spec: AgentSpec) -> None:
    ok = res("monitor", interval_ms=10000, timeout_ms=25000, rc_changed_at=1700000100.2)
    (rec,) = build_records(spec, ok, call_id=9, node="n1", transition_key=KEY, metadata=RELOAD_1_1)
    assert (rec.id, rec.operation_key, rec.interval_ms) == ("d_monitor_10000", "d_monitor_10000", 10000)
    assert rec.last_rc_change == 1700000100  # the change, not the run
    assert rec.op_digest == "c15b479757e3b21803c534f9cc7ae9ee"  # with CRM_meta_timeout=25000
    assert rec.op_force_restart is None  # monitors are not reloadable
    bad = res("monitor", OcfResult.NOT_RUNNING, interval_ms=10000, reason="gone")
    (rec,) = build_records(spec, bad, call_id=9, node="n1", transition_key=KEY)
    assert (rec.id, rec.operation_key, rec.exit_reason) == ("d_last_failure_0", "d_monitor_10000", "gone")


def test_probes_and_expected_results(spec: AgentSpec) -> None:
    probe_key = dataclasses.replace(KEY, expected_rc=7)
    (rec,) = build_records(spec, res("monitor", OcfResult.NOT_RUNNING), call_id=1, node="n1",
                           transition_key=probe_key)
    assert (rec.id, rec.rc_code, rec.exit_reason) == ("d_last_0", 7, "")
    # Degraded where OK was expected: Pacemaker records it as a failure (the scheduler then
    # treats 190 as running, only displayed as degraded).
    recs = build_records(spec, res("start", OcfResult.DEGRADED), call_id=2, node="n1", transition_key=KEY)
    assert [r.id for r in recs] == ["d_last_failure_0", "d_last_0"]
    # A timeout is a failure whatever the rc.
    timed_out = res("stop", status=ExecStatus.TIMEOUT)
    recs = build_records(spec, timed_out, call_id=3, node="n1", transition_key=KEY)
    assert [(r.id, r.op_status) for r in recs] == [("d_last_failure_0", 2), ("d_last_0", 2)]


def test_without_a_transition_key(spec: AgentSpec) -> None:
    (rec,) = build_records(spec, res("monitor", OcfResult.NOT_RUNNING), call_id=5, node="n1", expected_rc=7)
    assert rec.transition_key == f"5:-1:7:{FAKE_TE_UUID}"
    assert rec.transition_magic == f"0:7;5:-1:7:{FAKE_TE_UUID}"
    assert rec.transition_number == -1


def test_reloads_migrations_and_unrecorded(spec: AgentSpec) -> None:
    (rec,) = build_records(spec, res("reload-agent"), call_id=4, node="n1", transition_key=KEY,
                           metadata=RELOAD_1_1)
    assert (rec.id, rec.operation, rec.operation_key) == ("d_last_0", "start", "d_start_0")
    assert rec.op_force_restart == "  other state  "
    failed = build_records(spec, res("reload", OcfResult.ERR_GENERIC, status=ExecStatus.ERROR), call_id=5,
                           node="n1", transition_key=KEY)
    assert [(r.id, r.operation) for r in failed] == [("d_last_failure_0", "monitor"), ("d_last_0", "monitor")]
    # a migration is a one-off operation like a start (Pacemaker: RSC_last_0, with both ends)
    mig = res("migrate_to", OcfResult.ERR_GENERIC, meta=(("migrate_source", "n1"), ("migrate_target", "n2")))
    recs = build_records(spec, mig, call_id=6, node="n1", transition_key=KEY)
    assert [(r.id, r.operation, r.operation_key) for r in recs] == [
        ("d_last_failure_0", "migrate_to", "d_migrate_to_0"), ("d_last_0", "migrate_to", "d_migrate_to_0")]
    assert all(dict(r.extra.attrs)["migrate_target"] == "n2" for r in recs)
    for action in ("notify", "meta-data", "validate-all"):
        assert build_records(spec, res(action), call_id=7, node="n1", transition_key=KEY) == ()


def test_restart_information_per_agent_kind(spec: AgentSpec, paths: AgentPaths) -> None:
    legacy = parse_metadata("""<resource-agent name="L"><version>1.0</version><parameters>
        <parameter name="a" unique="1"/><parameter name="b" unique="0"/><parameter name="c" unique="1"/>
        </parameters><actions><action name="reload"/></actions></resource-agent>""", agent="x")
    assert history.restart_info(legacy, {"a": "1", "b": "2"}) == ("  c a  ", parameters_digest({"a": "1"}))
    nothing = parse_metadata("""<resource-agent name="N"><version>1.1</version><parameters>
        <parameter name="a" reloadable="1"/></parameters><actions><action name="reload-agent"/></actions>
        </resource-agent>""", agent="x")
    # Reloadable with nothing forcing a restart: still recorded, with an empty list.
    assert history.restart_info(nothing, {"a": "1"}) == ("", parameters_digest({}))
    assert history.restart_info(None, {}) is None
    # Not on stops, not for LSB.
    (stop,) = build_records(spec, res("stop"), call_id=1, node="n", metadata=RELOAD_1_1)
    assert stop.op_force_restart is None
    write_script(paths.init_dir / "svc", "#!/bin/sh\n")
    lsb = resolve_agent("lsb:svc", paths=paths)
    (start,) = build_records(lsb, res("start"), call_id=1, node="n", metadata=RELOAD_1_1)
    assert start.op_force_restart is None


def test_real_agents_restart_lists() -> None:
    for name in ("ocf:pacemaker:Dummy", "ocf:heartbeat:Dummy"):
        md = asyncio.run(fetch_metadata(real_agent(name)))
        assert history.restart_info(md, {"state": "/s", "fake": "x"}) == (
            "  state  ", parameters_digest({"state": "/s"}))
    md = asyncio.run(fetch_metadata(real_agent("ocf:heartbeat:IPaddr2")))
    assert history.restart_info(md, {"ip": "192.0.2.1"}) is None


def test_op_digest_agrees_with_the_scheduler() -> None:
    params = {"b": "1", "a": "x y", "CRM_meta_timeout": "9", "crm_feature_set": "3.16.1", "on_node": "n1"}
    assert op_digest(params, interval_ms=0, timeout_ms=5) == parameters_digest(params)
    recurring = op_digest(params, interval_ms=1000, timeout_ms=5)
    assert recurring != parameters_digest(params)
    assert recurring == op_digest({"a": "x y", "b": "1"}, interval_ms=2000, timeout_ms=5)
    assert recurring != op_digest({"a": "x y", "b": "1"}, interval_ms=1000, timeout_ms=6)


def crm_resource_digests(tmp_path: Path, extra: list[str]) -> str:
    if shutil.which("crm_resource") is None:
        pytest.skip("crm_resource (pacemaker-cli-utils) is not installed")
    cib = tmp_path / "cib.xml"
    cib.write_text("""<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0"
        admin_epoch="0"><configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources>
      <primitive id="d" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="d-ia">
        <nvpair id="d-s" name="state" value="/tmp/x.state"/><nvpair id="d-f" name="fake" value="a&lt;b"/>
      </instance_attributes></primitive></resources><constraints/></configuration><status/></cib>""")
    out = subprocess.run(["crm_resource", "--digests", "-r", "d", "-N", "n1", "--output-as", "xml", *extra],
                         env={"CIB_file": str(cib), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                         capture_output=True, text=True, check=True, timeout=30).stdout
    m = re.search(r'<digest type="all" hash="([0-9a-f]{32})"', out)
    assert m, out
    return m.group(1)


def test_digests_match_pacemaker(tmp_path: Path) -> None:
    """The oracle: Pacemaker's own digest of the same parameters, plain and recurring."""
    params = dict(PARAMS)
    assert op_digest(params, interval_ms=0, timeout_ms=20000) == crm_resource_digests(tmp_path, [])
    assert op_digest(params, interval_ms=10000, timeout_ms=25000) == crm_resource_digests(
        tmp_path, ["CRM_meta_interval=10000", "CRM_meta_timeout=25000"])


def test_node_history_keeps_what_pacemaker_keeps(spec: AgentSpec) -> None:
    node = NodeHistory("n1")
    probe_key = dataclasses.replace(KEY, expected_rc=7)
    node.record(spec, res("monitor", OcfResult.NOT_RUNNING), transition_key=probe_key)
    node.record(spec, res("start"), transition_key=KEY, metadata=RELOAD_1_1)
    mon_ok = res("monitor", interval_ms=10000)
    node.record(spec, mon_ok, transition_key=KEY)
    mon_failed = res("monitor", OcfResult.NOT_RUNNING, interval_ms=10000, reason="gone")
    node.record(spec, mon_failed, transition_key=KEY)
    hist = node.get("d")
    assert hist is not None
    assert (hist.standard, hist.provider, hist.agent_type) == ("ocf", PROVIDER, "Thing")
    ops = {op.id: op for op in hist.operations}
    assert list(ops) == ["d_last_0", "d_monitor_10000", "d_last_failure_0"]
    assert (ops["d_last_0"].operation, ops["d_last_0"].call_id) == ("start", 2)
    # The monitor keeps its request's call id; its own record keeps the last success.
    assert ops["d_monitor_10000"].call_id == ops["d_last_failure_0"].call_id == 3
    assert ops["d_monitor_10000"].rc_code == 0
    node.forget_recurring("d", 10000)  # cancelled before the stop
    node.record(spec, res("stop"), transition_key=KEY)
    ops = {op.id: op for op in node.get("d").operations}  # type: ignore[union-attr]
    assert list(ops) == ["d_last_0", "d_last_failure_0"]
    assert (ops["d_last_0"].operation, ops["d_last_0"].call_id) == ("stop", 4)
    node.record(spec, mon_ok, transition_key=KEY)  # a new monitor: a new call id
    assert {op.id: op for op in node.get("d").operations}["d_monitor_10000"].call_id == 5  # type: ignore[union-attr]
    assert node.record(spec, res("notify"), transition_key=KEY) == ()
    node.forget_resource("d")
    assert node.get("d") is None and node.histories == ()


def test_pending_record(spec: AgentSpec) -> None:
    node = NodeHistory("n1")
    rec = node.record_pending(spec, res("start"), transition_key=KEY)
    assert rec is not None
    assert (rec.id, rec.call_id, rec.rc_code, rec.op_status) == ("d_last_0", -1, 193, -1)
    assert rec.transition_magic == f"-1:193;{KEY}"
    (done,) = node.record(spec, res("start"), transition_key=KEY)
    assert node.get("d").operations == (done,)  # type: ignore[union-attr]
    mon = node.record_pending(spec, res("monitor", interval_ms=5000), transition_key=KEY)
    assert mon is not None and mon.id == "d_monitor_5000"


# -- end to end: real runs, written to a CIB, read by Pacemaker's scheduler and by vigil's --------
CIB = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="opts">
      <nvpair id="opts-stonith" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/></nodes>
    <resources>
      <primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="dummy-ia"><nvpair id="dummy-state" name="state" value="STATE"/>
        </instance_attributes>
        <operations><op id="dummy-mon" name="monitor" interval="10s" timeout="25s"/></operations>
      </primitive>
    </resources>
    <constraints/>
  </configuration>
  <status/>
</cib>
"""


def record_real_history(tmp_path: Path) -> tuple[Path, NodeHistory]:
    """Probe, start and monitor the real Dummy, recorded as the controller would."""
    spec = real_agent("ocf:heartbeat:Dummy")
    state = tmp_path / "dummy.state"
    params = {"state": str(state)}
    node = NodeHistory("n1")

    async def run_all() -> None:
        md = await fetch_metadata(spec)
        probe = await run_operation(spec, "monitor", params, timeout_ms=25000, resource_id="dummy")
        node.record(spec, probe, transition_key=TransitionKey(1, 1, 7, "dc"), metadata=md)
        start = await run_operation(spec, "start", params, timeout_ms=20000, resource_id="dummy")
        node.record(spec, start, transition_key=TransitionKey(2, 1, 0, "dc"), metadata=md)
        mon = await run_operation(spec, "monitor", params, timeout_ms=25000, interval_ms=10000,
                                  resource_id="dummy")
        node.record(spec, mon, transition_key=TransitionKey(3, 1, 0, "dc"), metadata=md)

    asyncio.run(run_all())
    return state, node


def cib_with_history(config: str, node: NodeHistory) -> str:
    cib, reports = read.parse_cib(config)
    assert not [r for r in reports if r.severity.value == "error"]
    status = NodeState(id="1", uname="n1", in_ccm="true", crmd="online", join="member", expected="member",
                       history=node.histories, has_lrm=True, lrm_id="1")
    return write.write_cib(dataclasses.replace(cib, status=(status,)))


def crm_simulate(tmp_path: Path, text: str) -> tuple[str, str]:
    """(transition summary, executed actions) of Pacemaker's scheduler on the CIB."""
    if shutil.which("crm_simulate") is None:
        pytest.skip("crm_simulate (pacemaker-cli-utils) is not installed")
    path = tmp_path / "cib.xml"
    path.write_text(text)
    out = subprocess.run(["crm_simulate", "-x", str(path), "-S"], capture_output=True, text=True,
                         timeout=60, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}).stdout
    assert "Transition Summary:" in out, out
    summary, _, rest = out.split("Transition Summary:", 1)[1].partition("Executing Cluster Transition:")
    return summary, rest.split("Revised Cluster Status:", 1)[0]


def test_real_history_reads_back_as_started_with_nothing_to_do(tmp_path: Path) -> None:
    state, node = record_real_history(tmp_path)
    text = cib_with_history(CIB.replace("STATE", str(state)), node)

    # What we wrote reads back as what we recorded.
    again, _ = read.parse_cib(text)
    assert again.status[0].history == node.histories

    # vigil's scheduler: the resource is where it is, with no definition change to act on.
    transition = schedule(again, now=1700000000)
    assert [s for s in transition.summary if s.resource == "dummy"] == []

    # Pacemaker's agrees: same digests (no restart, no reload), the monitor is current.
    summary, actions = crm_simulate(tmp_path, text)
    assert "dummy" not in summary and "dummy" not in actions, (summary, actions)


FAKE_PARAM = '<nvpair id="dummy-fake" name="fake" value="changed"/>'


@pytest.mark.parametrize(("change", "verb", "action"), [
    # fake is not unique: heartbeat's Dummy (legacy reload) reloads for it.
    (lambda c: c.replace("</instance_attributes>", FAKE_PARAM + "</instance_attributes>"), "Reload", None),
    # state is unique: it is in op-force-restart, so its change means a restart.
    (lambda c: c.replace('value="STATE"', 'value="STATE.other"'), "Restart", None),
    # the recurring digest covers CRM_meta_timeout: a new timeout re-creates the monitor only.
    (lambda c: c.replace('timeout="25s"', 'timeout="30s"'), None, r"dummy\s+monitor=10000 on n1"),
], ids=["reload", "restart", "monitor-timeout"])
def test_pacemaker_reads_our_digests_as_it_reads_its_own(
        tmp_path: Path, change: Callable[[str], str], verb: str | None, action: str | None) -> None:
    state, node = record_real_history(tmp_path)
    text = cib_with_history(change(CIB).replace("STATE", str(state)), node)
    summary, actions = crm_simulate(tmp_path, text)
    if verb is not None:
        assert verb in summary and "dummy" in summary, summary
    else:
        assert "dummy" not in summary, summary
    if action is not None:
        assert re.search(action, actions), actions
    if verb is not None:
        # vigil's scheduler reads the same records the same way.
        again, _ = read.parse_cib(text)
        verbs = [s.verb for s in schedule(again, now=1700000000).summary if s.resource == "dummy"]
        assert verbs == [verb]


MIGRATABLE = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0"
    admin_epoch="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o">
    <nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes><resources>
    <primitive id="d" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="d-ia">
    <nvpair id="d-s" name="state" value="/tmp/x.state"/><nvpair id="d-f" name="fake" value="a&lt;b"/>
    </instance_attributes><meta_attributes id="d-m"><nvpair id="d-am" name="allow-migrate" value="true"/>
    </meta_attributes></primitive></resources><constraints>
    <rsc_location id="prefer-n2" rsc="d" node="n2" score="100"/></constraints></configuration>
    <status/></cib>"""


def _two_nodes(n1: NodeHistory, n2: NodeHistory) -> str:
    cib, _ = read.parse_cib(MIGRATABLE)
    states = tuple(NodeState(id=i, uname=h.node, in_ccm="true", crmd="online", join="member",
                             expected="member", history=h.histories, has_lrm=True, lrm_id=i)
                   for i, h in (("1", n1), ("2", n2)))
    return write.write_cib(dataclasses.replace(cib, status=states))


def test_a_recorded_migration_reads_back_on_the_target(paths: AgentPaths, tmp_path: Path) -> None:
    """What the executor records of migrate_to (n1), migrate_from (n2), then the stop (n1): the
    next scheduling run, vigil's and Pacemaker's, finds the resource on n2 with nothing to do;
    with only migrate_to recorded, both continue the migration (migrate_from and the stop)."""
    write_script(paths.ocf_resource_dir / "heartbeat" / "Dummy", "#!/bin/sh\nexit 0\n")
    spec = resolve_agent("ocf:heartbeat:Dummy", paths=paths)
    ends = (("migrate_source", "n1"), ("migrate_target", "n2"))
    n1, n2 = NodeHistory("n1"), NodeHistory("n2")
    n1.record(spec, res("start", resource_id="d"), transition_key=TransitionKey(1, 1, 0, "dc"))
    n2.record(spec, res("monitor", OcfResult.NOT_RUNNING, resource_id="d"),
              transition_key=TransitionKey(2, 1, 7, "dc"))
    n1.record(spec, res("migrate_to", meta=ends), transition_key=TransitionKey(3, 2, 0, "dc"))
    half_done = _two_nodes(n1, n2)
    n2.record(spec, res("migrate_from", meta=ends), transition_key=TransitionKey(4, 2, 0, "dc"))
    n1.record(spec, res("stop"), transition_key=TransitionKey(5, 2, 0, "dc"))
    done = _two_nodes(n1, n2)

    cib, _ = read.parse_cib(done)
    t = schedule(cib, now=1700000000)
    (alloc,) = [a for a in t.allocations if a.resource == "d"]
    assert alloc.current_nodes == ("n2",) and alloc.next_node == "n2"
    assert not [a for a in t.actions if a.resource == "d" and not a.optional]
    assert crm_simulate(tmp_path, done)[0].strip() == ""

    cib, _ = read.parse_cib(half_done)
    t = schedule(cib, now=1700000000)
    required = {(str(a.task), a.node, a.pseudo) for a in t.actions if a.resource == "d" and not a.optional}
    assert required == {("migrate_from", "n2", False), ("stop", "n1", False), ("start", "n2", True)}
    summary, executed = crm_simulate(tmp_path, half_done)
    assert "Migrate" in summary and "migrate_from on n2" in executed and "migrate_to" not in executed
