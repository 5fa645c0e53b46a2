"""Remote nodes, guest nodes and container fillers in the scheduler.

Each case is a small hand-written CIB: two cluster nodes, a fencing device, a remote node
`remote1` (connection `remote1`, ocf:pacemaker:remote) and a guest node `guest1` hosted by the
container `vm1` (meta remote-node), with a Dummy `app` that prefers a remote or guest node.
The expected decisions were checked with Pacemaker 2.1.5's crm_simulate; the test checks vigil
against crm_simulate itself too when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import crm_oracle
import pytest

from vigil.cib.read import parse_cib
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def _op(rsc: str, n: int, operation: str, rc: int, interval: int = 0, status: int = 0) -> str:
    key = f"{n}:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    return (f'<lrm_rsc_op id="{rsc}_{operation}_{interval}_{n}" operation_key="{rsc}_{operation}_'
            f'{interval}" operation="{operation}" crm-debug-origin="t" crm_feature_set="3.16.2" '
            f'transition-key="{key}" transition-magic="{status}:{rc};{key}" on_node="x" '
            f'call-id="{n}" rc-code="{rc}" op-status="{status}" interval="{interval}" '
            f'last-rc-change="1700000000" exec-time="1" queue-time="0" '
            f'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def _rsc(rid: str, agent: str, ops: list[str], container: str | None = None) -> str:
    cls, prov, typ = agent.split(":")
    extra = f' container="{container}"' if container else ""
    return (f'<lrm_resource id="{rid}" class="{cls}" provider="{prov}" type="{typ}"{extra}>'
            f'{"".join(ops)}</lrm_resource>')


def cib_text(*, remote_running: bool = True, remote_failed: bool = False,
             vm_running: bool = True, vm_failed: bool = False, app_on: str | None = None,
             app_prefers: str = "remote1", filler_failed: bool = False) -> str:
    """`remote1`'s connection runs on node1 and the container `vm1` (guest `guest1`) on node2
    when asked; `app` runs on `app_on` and prefers `app_prefers`; `helper` is a filler of
    `vm1` (meta container) running on node2 beside it: a filler of a guest's container belongs on
    the guest itself, so it moves there whenever the guest is up."""
    node1 = ['<lrm_resource id="fence" class="stonith" type="fence_dummy">'
             f'{_op("fence", 1, "start", 0)}</lrm_resource>']
    node2 = []
    if remote_running:
        ops = [_op("remote1", 2, "start", 0)]
        if remote_failed:
            ops.append(_op("remote1", 3, "monitor", 1, interval=60000))
        node1.append(_rsc("remote1", "ocf:pacemaker:remote", ops))
    if vm_running:
        ops = [_op("vm1", 4, "start", 0)]
        if vm_failed:
            ops.append(_op("vm1", 5, "monitor", 1, interval=10000))
        node2.append(_rsc("vm1", "ocf:pacemaker:Dummy", ops))
        node2.append(_rsc("guest1", "ocf:pacemaker:remote", [_op("guest1", 6, "start", 0)],
                          container="vm1"))
        helper = [_op("helper", 7, "start", 0)]
        if filler_failed:
            helper.append(_op("helper", 8, "monitor", 1, interval=10000))
        node2.append(_rsc("helper", "ocf:pacemaker:Dummy", helper))
    remote_states = ""
    for name in ("remote1", "guest1"):
        app = [_rsc("app", "ocf:pacemaker:Dummy", [_op("app", 9, "start", 0)])] \
            if app_on == name else []
        remote_states += (f'<node_state id="{name}" uname="{name}" remote_node="true">'
                          f'<lrm id="{name}"><lrm_resources>{"".join(app)}</lrm_resources>'
                          f'</lrm></node_state>')
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources>{"".join(lrm)}</lrm_resources></lrm>'
        f'</node_state>' for n, lrm in (("node1", node1), ("node2", node2)))
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="node1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="true"/>
    </cluster_property_set></crm_config>
    <nodes><node id="node1" uname="node1"/><node id="node2" uname="node2"/></nodes>
    <resources>
      <primitive id="fence" class="stonith" type="fence_dummy"/>
      <primitive id="remote1" class="ocf" provider="pacemaker" type="remote"/>
      <primitive id="vm1" class="ocf" provider="pacemaker" type="Dummy">
        <meta_attributes id="vm1-m"><nvpair id="vm1-m1" name="remote-node" value="guest1"/>
        </meta_attributes>
      </primitive>
      <primitive id="helper" class="ocf" provider="pacemaker" type="Dummy">
        <meta_attributes id="h-m"><nvpair id="h-m1" name="container" value="vm1"/>
        </meta_attributes>
      </primitive>
      <primitive id="app" class="ocf" provider="pacemaker" type="Dummy"/>
    </resources>
    <constraints>
      <rsc_location id="app-prefers" rsc="app" node="{app_prefers}" score="100"/>
    </constraints>
  </configuration>
  <status>{states}{remote_states}</status>
</cib>"""


CASES = {
    # a running remote node takes the resource that prefers it
    "start-on-remote": (dict(), {"Start app", "Move helper"}),
    # a remote node whose connection is still to start can take resources in the same
    # transition; so can a guest whose container starts
    "start-connection-and-app": (dict(remote_running=False),
                                 {"Start remote1", "Start app", "Move helper"}),
    "start-guest-and-app": (dict(vm_running=False, app_prefers="guest1"),
                            {"Start vm1", "Start guest1", "Start helper", "Start app"}),
    # a failed connection: the remote node is fenced, its connection recovered, and what ran
    # there moves on after the fencing
    "connection-fails": (dict(remote_failed=True, app_on="remote1"),
                         {"Fence remote1", "Recover remote1", "Move app", "Move helper"}),
    # a failed container: the guest is "fenced" by recovering it; what ran inside recovers
    "container-fails": (dict(vm_failed=True, app_on="guest1", app_prefers="guest1"),
                        {"Fence guest1", "Recover vm1", "Restart guest1", "Move helper",
                         "Recover app"}),
    # a failed filler restarts its container (and with it the guest); it recovers in place
    "filler-fails": (dict(filler_failed=True),
                     {"Restart vm1", "Restart guest1", "Recover helper", "Start app"}),
}


def _verbs(text: str) -> set[str]:
    cib, _ = parse_cib(text)
    t = schedule(cib, NOW)
    return {f"{item.verb} {item.resource}" for item in t.summary}


@pytest.mark.parametrize("name", sorted(CASES))
def test_remote_and_guest_nodes(name: str) -> None:
    kwargs, expected = CASES[name]
    assert _verbs(cib_text(**kwargs)) == expected


@crm_oracle.needed
@pytest.mark.parametrize("name", sorted(CASES))
def test_crm_simulate_agrees(name: str, tmp_path: Path) -> None:
    kwargs, expected = CASES[name]
    assert crm_oracle.verbs(cib_text(**kwargs), tmp_path / f"{name}.xml") == expected


def test_guest_fence_names_its_container() -> None:
    cib, _ = parse_cib(cib_text(vm_failed=True, app_on="guest1", app_prefers="guest1"))
    fences = [i for i in schedule(cib, NOW).summary if i.verb == "Fence"]
    assert [(f.resource, f.fence_container, f.details) for f in fences] == [
        ("guest1", "vm1", "guest is unclean")]
