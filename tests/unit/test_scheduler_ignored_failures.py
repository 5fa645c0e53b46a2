"""on-fail=ignore: a resource whose failed operation is ignored also ignores its fail counts, so
reaching migration-threshold does not push it away (corpus: on-fail-ignore); but an agent the
executor found not installed cannot be ignored (corpus: not-installed-agent)."""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def _cib(on_fail: str, *, rc: int = 7, op_status: int = 0) -> Cib:
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
  have-quorum="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <meta_attributes id="ip-m"><nvpair id="ip-m1" name="migration-threshold" value="2"/>
        </meta_attributes>
        <operations>
          <op id="ip-mon" name="monitor" interval="10s" on-fail="{on_fail}"/>
        </operations>
      </primitive>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
          <lrm_rsc_op id="ip_last_0" operation_key="ip_start_0" operation="start"
            transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" call-id="3" rc-code="0"
            op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
          <lrm_rsc_op id="ip_last_failure_0" operation_key="ip_monitor_10000" operation="monitor"
            transition-key="2:1:0:x" transition-magic="{op_status}:{rc};2:1:0:x" call-id="4"
            rc-code="{rc}" op-status="{op_status}" interval="10000"/>
        </lrm_resource>
      </lrm_resources></lrm>
      <transient_attributes id="1"><instance_attributes id="s1">
        <nvpair id="s1-f" name="fail-count-ip" value="2"/>
      </instance_attributes></transient_attributes>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>"""
    cib, problems = parse_cib(text)
    assert not problems
    return cib


def test_an_ignored_failure_keeps_the_resource_where_it_is_despite_the_threshold() -> None:
    assert [(i.verb, i.resource) for i in schedule(_cib("ignore"), NOW).summary] == []


def test_a_failure_that_is_not_ignored_recovers_it_elsewhere_at_the_threshold() -> None:
    assert [(i.verb, i.resource, i.details) for i in schedule(_cib("restart"), NOW).summary] == [
        ("Recover", "ip", "node1 -> node2")]


def test_an_agent_not_installed_is_recovered_elsewhere_even_with_on_fail_ignore() -> None:
    # the executor could not find the agent (op-status 7): the resource cannot run there
    t = schedule(_cib("ignore", rc=5, op_status=7), NOW)
    assert [(i.verb, i.resource, i.details) for i in t.summary] == [
        ("Recover", "ip", "node1 -> node2")]


def test_an_agent_answering_not_installed_is_still_ignored() -> None:
    # the agent ran and returned rc 5 (op-status 0): an ordinary failure, ignored
    assert [i.verb for i in schedule(_cib("ignore", rc=5), NOW).summary] == []
