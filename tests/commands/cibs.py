"""A small two-node CIB and a scripted agent catalog, shared by the command and CLI tests."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from vigil.cib.io import load_cib_file
from vigil.commands.agents import AgentAction, AgentMetadata, AgentName, AgentParameter
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError

NODES = ("node1", "node2")

# The CLI tests' `vigil` fixture: argv in, (exit status, stdout, stderr) out.
Run = Callable[..., tuple[int, str, str]]

BASE = """<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.8" epoch="5" num_updates="2"
     admin_epoch="0" have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2"/>
    </nodes>
    <resources>{resources}</resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member"
                expected="member">{status1}</node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>
"""

DUMMY = """<primitive id="{id}" class="ocf" provider="heartbeat" type="Dummy">
  <operations><op id="{id}-monitor-interval-10s" name="monitor" interval="10s"/></operations>
</primitive>"""

KEY = "3:1:{rc}:0d1e2f3a-1111-4222-8333-944455556666"


def op_record(rsc: str, op_id: str, operation: str, interval_ms: int, rc: int, call: int,
              expected: int = 0) -> str:
    key = KEY.format(rc=expected)
    return (f'<lrm_rsc_op id="{op_id}" operation_key="{rsc}_{operation}_{interval_ms}" '
            f'operation="{operation}" transition-key="{key}" transition-magic="0:{rc};{key}" '
            f'call-id="{call}" rc-code="{rc}" op-status="0" interval="{interval_ms}" '
            f'last-rc-change="1764000000" on_node="node1"/>')


def running_on_node1(rsc: str, failed_monitor: bool = False) -> str:
    """Status of node1 where `rsc` was started (and its monitor failed, if asked), with the
    fail-count attributes such a failure leaves."""
    records = [op_record(rsc, f"{rsc}_last_0", "start", 0, 0, 10)]
    attrs = ""
    if failed_monitor:
        records.append(op_record(rsc, f"{rsc}_monitor_10000", "monitor", 10000, 7, 11))
        records.append(op_record(rsc, f"{rsc}_last_failure_0", "monitor", 10000, 7, 11))
        attrs = (f'<transient_attributes id="1"><instance_attributes id="status-1">'
                 f'<nvpair id="status-1-fail-count-{rsc}.monitor_10000" '
                 f'name="fail-count-{rsc}#monitor_10000" value="1"/>'
                 f'<nvpair id="status-1-last-failure-{rsc}.monitor_10000" '
                 f'name="last-failure-{rsc}#monitor_10000" value="1764000000"/>'
                 f'</instance_attributes></transient_attributes>')
    else:
        records.append(op_record(rsc, f"{rsc}_monitor_10000", "monitor", 10000, 0, 11))
    return (f'{attrs}<lrm id="1"><lrm_resources><lrm_resource id="{rsc}" class="ocf" '
            f'provider="heartbeat" type="Dummy">{"".join(records)}</lrm_resource>'
            f'</lrm_resources></lrm>')


def cib_text(resources: str = "", constraints: str = "", status1: str = "") -> str:
    return BASE.format(resources=resources, constraints=constraints, status1=status1)


def write_cib(path: Path, resources: str = "", constraints: str = "", status1: str = "") -> Path:
    path.write_text(cib_text(resources, constraints, status1))
    return path


def _meta(standard: str, provider: str | None, type_: str, params: tuple[AgentParameter, ...],
          monitor: str | None = "10s") -> AgentMetadata:
    actions = [AgentAction("start", timeout="20s"), AgentAction("stop", timeout="20s")]
    if monitor:
        actions.append(AgentAction("monitor", interval=monitor, timeout="20s"))
    return AgentMetadata(AgentName(standard, provider, type_), f"{type_} agent", "", params,
                         tuple(actions))


AGENTS = {
    "ocf:heartbeat:IPaddr2": _meta("ocf", "heartbeat", "IPaddr2", (
        AgentParameter("ip", required=True), AgentParameter("cidr_netmask"),
        AgentParameter("nic"))),
    "ocf:heartbeat:apache": _meta("ocf", "heartbeat", "apache", (
        AgentParameter("configfile"), AgentParameter("statusurl"))),
    "ocf:heartbeat:Dummy": _meta("ocf", "heartbeat", "Dummy", (AgentParameter("fake"),)),
    "ocf:pacemaker:Dummy": _meta("ocf", "pacemaker", "Dummy", (AgentParameter("fake"),)),
    "ocf:pacemaker:remote": _meta("ocf", "pacemaker", "remote", (
        AgentParameter("server"), AgentParameter("port"),
        AgentParameter("reconnect_interval"))),
    "ocf:pacemaker:Stateful": AgentMetadata(
        AgentName("ocf", "pacemaker", "Stateful"), "Stateful agent", "",
        (AgentParameter("state"),),
        (AgentAction("start", timeout="20s"), AgentAction("stop", timeout="20s"),
         AgentAction("monitor", interval="10s", timeout="20s", role="Promoted"),
         AgentAction("monitor", interval="11s", timeout="20s", role="Unpromoted"),
         AgentAction("promote", timeout="10s"), AgentAction("demote", timeout="10s"),
         AgentAction("notify", timeout="5s"))),
    "ocf:linbit:drbd": AgentMetadata(
        AgentName("ocf", "linbit", "drbd"), "drbd agent", "",
        (AgentParameter("drbd_resource", required=True),),
        (AgentAction("start", timeout="240s"), AgentAction("stop", timeout="100s"),
         AgentAction("monitor", interval="20s", timeout="20s", role="Slave"),
         AgentAction("monitor", interval="10s", timeout="20s", role="Master"),
         AgentAction("promote", timeout="90s"), AgentAction("demote", timeout="90s"),
         AgentAction("notify", timeout="90s"))),
    "lsb:httpd": _meta("lsb", None, "httpd", (), "15s"),
    "systemd:nginx": _meta("systemd", None, "nginx", (), "60s"),
    "stonith:fence_ipmilan": _meta("stonith", None, "fence_ipmilan", (
        AgentParameter("action", required=True), AgentParameter("ip"),
        AgentParameter("ipaddr", deprecated=True), AgentParameter("login", deprecated=True),
        AgentParameter("passwd", deprecated=True), AgentParameter("username"),
        AgentParameter("password")), "60s"),
}


class FakeCatalog:
    """The agents of the seeds, as if installed."""

    def standards(self) -> tuple[str, ...]:
        return ("ocf", "lsb", "service", "systemd", "stonith")

    def providers(self) -> tuple[str, ...]:
        return ("heartbeat", "linbit", "pacemaker")

    def agents(self, standard: str, provider: str | None) -> tuple[AgentName, ...]:
        return tuple(m.agent for m in AGENTS.values() if m.agent.standard == standard
                     and (provider is None or m.agent.provider == provider))

    def metadata(self, agent: AgentName) -> AgentMetadata | None:
        return AGENTS.get(str(agent))


def load(path: Path) -> Cib:
    return load_cib_file(path)[0]


def codes(found: Iterable[Report]) -> list[str]:
    return [r.code for r in found]


def fails(path: Path, action: Callable[[], object]) -> list[str]:
    """Run a command that must fail: the codes it raised. The file must be byte-identical."""
    before = path.read_bytes()
    with pytest.raises(ReportError) as exc:
        action()
    assert path.read_bytes() == before
    return codes(exc.value.reports)


def pacemaker_accepts(path: Path) -> str:
    """What Pacemaker's own tools say about a CIB file: crm_verify (its RelaxNG schema and
    its configuration checks) and crm_simulate (the scheduler runs on it). Empty when both
    accept it, else their complaints."""
    for tool in ("crm_verify", "crm_simulate"):
        assert shutil.which(tool), f"{tool} (Pacemaker) is needed to check the CIBs written"
    out = []
    verify = subprocess.run(["crm_verify", "-x", str(path)], capture_output=True, text=True,
                            timeout=60)
    if verify.returncode != 0:
        out.append(f"crm_verify: {verify.stdout}{verify.stderr}")
    simulate = subprocess.run(["crm_simulate", "-x", str(path), "-S"], capture_output=True,
                              text=True, timeout=60)
    if simulate.returncode != 0:
        out.append(f"crm_simulate: {simulate.stdout}{simulate.stderr}")
    return "\n".join(out)


STATEFUL_CLONE = """<clone id="db-clone">
  <meta_attributes id="db-clone-meta_attributes">
    <nvpair id="db-clone-meta_attributes-promotable" name="promotable" value="true"/>
  </meta_attributes>
  <primitive id="db" class="ocf" provider="pacemaker" type="Stateful">
    <operations>
      <op id="db-monitor-interval-10s" name="monitor" interval="10s" role="Promoted"/>
      <op id="db-monitor-interval-11s" name="monitor" interval="11s" role="Unpromoted"/>
    </operations>
  </primitive>
</clone>"""


def _stateful_history(node: str, promoted: bool) -> str:
    key = "3:1:{rc}:0d1e2f3a-1111-4222-8333-944455556666"
    last = "promote" if promoted else "start"
    monitor, rc = ("10000", 8) if promoted else ("11000", 0)
    return (f'<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful">'
            f'<lrm_rsc_op id="db_last_0" operation_key="db_{last}_0" operation="{last}" '
            f'transition-key="{key.format(rc=0)}" '
            f'transition-magic="0:0;{key.format(rc=0)}" call-id="10" rc-code="0" '
            f'op-status="0" interval="0" last-rc-change="1764000000" on_node="{node}"/>'
            f'<lrm_rsc_op id="db_monitor_{monitor}" operation_key="db_monitor_{monitor}" '
            f'operation="monitor" transition-key="{key.format(rc=rc)}" '
            f'transition-magic="0:{rc};{key.format(rc=rc)}" call-id="11" rc-code="{rc}" '
            f'op-status="0" interval="{monitor}" last-rc-change="1764000000" '
            f'on_node="{node}"/></lrm_resource>')


def running_promotable(path: Path, *, promoted: str = "node1",
                       scores: tuple[int, int] = (10, 5), constraints: str = "") -> Path:
    """Both nodes run db (ocf:pacemaker:Stateful) in the promotable clone db-clone, promoted
    on `promoted`; master-db is `scores` on node1 and node2, as the agent would set it."""
    states = []
    for number, node in ((1, "node1"), (2, "node2")):
        states.append(
            f'<transient_attributes id="{number}"><instance_attributes id="status-{number}">'
            f'<nvpair id="status-{number}-master-db" name="master-db" '
            f'value="{scores[number - 1]}"/></instance_attributes></transient_attributes>'
            f'<lrm id="{number}"><lrm_resources>{_stateful_history(node, node == promoted)}'
            f'</lrm_resources></lrm>')
    text = cib_text(STATEFUL_CLONE, constraints, states[0])
    empty = 'join="member" expected="member"/>'
    assert text.count(empty) == 1
    text = text.replace(empty, f'join="member" expected="member">{states[1]}</node_state>')
    path.write_text(text)
    return path
