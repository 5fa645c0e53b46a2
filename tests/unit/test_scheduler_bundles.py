"""Bundles in the scheduler: the implicit resources of each replica and where they go.

Each case is a small hand-written CIB: two nodes (fencing disabled) and a bundle `web` of
docker replicas, with or without an IP range and a primitive inside. The expected Transition
Summary of every case was checked with Pacemaker 2.1.5's crm_simulate (`crm_simulate -x
CASE.xml -R` on the CIB `cib_text` writes); the test checks vigil against crm_simulate itself
too when it is installed.
"""

from __future__ import annotations

from pathlib import Path

import crm_oracle
import pytest

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.model.bundles import Bundle
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def cib_text(*, replicas: int = 2, per_host: int = 1, ip: bool = True, inner: bool = True,
             constraints: str = "", nodes: tuple[str, ...] = ("node1", "node2"),
             network: bool = True) -> str:
    ip_range = ('ip-range-start="192.168.1.10" host-interface="eth0" host-netmask="24"'
                if ip else "")
    net = (f'<network {ip_range} control-port="3121">'
           '<port-mapping id="web-port" port="80"/></network>') if network else ""
    primitive = ('<primitive id="httpd" class="ocf" provider="pacemaker" type="Dummy"/>'
                 if inner else "")
    states = "".join(
        f'<node_state id="{n}" uname="{n}" in_ccm="true" crmd="online" join="member" '
        f'expected="member"><lrm id="{n}"><lrm_resources/></lrm></node_state>' for n in nodes)
    node_list = "".join(f'<node id="{n}" uname="{n}"/>' for n in nodes)
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
     have-quorum="1" dc-uuid="node1" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes>{node_list}</nodes>
    <resources>
      <bundle id="web">
        <docker image="example/httpd:1" replicas="{replicas}" replicas-per-host="{per_host}"
                options="--log-driver=journald"/>
        {net}
        <storage><storage-mapping id="web-root" source-dir="/srv/www" target-dir="/var/www"
                 options="ro"/></storage>
        {primitive}
      </bundle>
    </resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>{states}</status>
</cib>"""


CASES = {
    # every replica: container, IP, connection, and the primitive's instance on its guest node
    "full": (dict(), {
        "Start web-docker-0 node1", "Start web-ip-192.168.1.10 node1", "Start web-0 node1",
        "Start httpd:0 web-0",
        "Start web-docker-1 node2", "Start web-ip-192.168.1.11 node2", "Start web-1 node2",
        "Start httpd:1 web-1"}),
    # no primitive inside: containers only, no guest nodes
    "containers-only": (dict(ip=False, inner=False),
                        {"Start web-docker-0 node1", "Start web-docker-1 node2"}),
    # replicas-per-host=1 on one node: the second container has nowhere to go; its connection
    # and instance are still placed, their starts blocked by the container's
    "one-per-host": (dict(ip=False, nodes=("node1",)), {
        "Start web-docker-0 node1", "Start web-0 node1", "Start httpd:0 web-0",
        "Start web-1 node1", "Start httpd:1 web-1"}),
    # a primitive inside needs ip-range-start or control-port to be reached: without either,
    # Pacemaker ignores the whole bundle
    "unreachable": (dict(ip=False, network=False), set()),
    # a location on the bundle applies to its containers
    "location": (dict(ip=False, replicas=1,
                      constraints='<rsc_location id="l" rsc="web" node="node1" '
                                  'score="-INFINITY"/>'),
                 {"Start web-docker-0 node2", "Start web-0 node2", "Start httpd:0 web-0"}),
}


def _lines(text: str) -> set[str]:
    cib, _ = parse_cib(text)
    t = schedule(cib, NOW)
    return {f"{item.verb} {item.resource} {item.details}" for item in t.summary}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bundle_decisions(name: str) -> None:
    kwargs, expected = CASES[name]
    assert _lines(cib_text(**kwargs)) == expected


@crm_oracle.needed
@pytest.mark.parametrize("name", sorted(CASES))
def test_crm_simulate_agrees(name: str, tmp_path: Path) -> None:
    kwargs, expected = CASES[name]
    got = {" ".join(w[:3]) for w in crm_oracle.summary_words(cib_text(**kwargs),
                                                             tmp_path / f"{name}.xml")}
    assert got == expected


def test_bundle_round_trips() -> None:
    cib, _ = parse_cib(cib_text())
    bundle = cib.configuration.resources[0]
    assert isinstance(bundle, Bundle)
    assert bundle.container.runtime == "docker" and bundle.container.replicas_value == 2
    assert bundle.network is not None and bundle.network.ip_range_start == "192.168.1.10"
    assert [p.port for p in bundle.network.port_mappings] == ["80"]
    assert bundle.storage is not None and bundle.storage[0].target_dir == "/var/www"
    assert bundle.primitive is not None and bundle.primitive.id == "httpd"
    again, _ = parse_cib(write_cib(cib))
    assert again == cib
