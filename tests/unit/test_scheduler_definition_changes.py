"""Definition changes judged from a start's recorded digests: an operation's own parameters,
a restart digest recorded without the list of its parameters, a start still in flight
(corpus: restart-with-extra-op-params, params-5, params-3)."""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.digests import parameters_digest
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000


def _cib(*, start_params: str = "", digests: str, pending: bool = False) -> Cib:
    status = ('op-status="-1" call-id="-1" rc-code="-1"' if pending
              else 'op-status="0" call-id="3" rc-code="0"')
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
  have-quorum="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="db" class="ocf" provider="pacemaker" type="Dummy">
        <instance_attributes id="db-ia">
          <nvpair id="db-ia1" name="state" value="/run/db"/>
          <nvpair id="db-ia2" name="fake" value="foo"/>
        </instance_attributes>
        <operations>
          <op id="db-start" name="start" interval="0">{start_params}</op>
        </operations>
      </primitive>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="db" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="db_last_0" operation_key="db_start_0" operation="start"
            transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" {status}
            interval="0" {digests}/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>"""
    cib, problems = parse_cib(text)
    assert not problems
    return cib


def _summary(cib: Cib) -> list[tuple[str, str, str | None]]:
    return [(i.verb, i.resource, i.reason) for i in schedule(cib, NOW).summary]


PARAMS = {"state": "/run/db", "fake": "foo"}
# the state parameter cannot be reloaded; fake can
RESTART = f'op-force-restart=" state " op-restart-digest="{parameters_digest({"state": "/run/db"})}"'
CHANGE = "resource definition change"


def test_a_reloadable_change_reloads() -> None:
    old = parameters_digest({"state": "/run/db", "fake": "bar"})
    assert _summary(_cib(digests=f'op-digest="{old}" {RESTART}')) == [("Reload", "db", None)]


def test_the_start_operations_own_parameters_are_in_the_digest_and_force_a_restart() -> None:
    # recorded without the start's own trace_ra: the definition changed, and as a reload would
    # not apply an operation's own parameters, the start is run again
    own = '<instance_attributes id="db-start-ia"><nvpair id="t" name="trace_ra" value="1"/>' \
          '</instance_attributes>'
    digests = f'op-digest="{parameters_digest(PARAMS)}" {RESTART}'
    assert _summary(_cib(start_params=own, digests=digests)) == [("Restart", "db", CHANGE)]
    recorded = f'op-digest="{parameters_digest(PARAMS | {"trace_ra": "1"})}" {RESTART}'
    assert _summary(_cib(start_params=own, digests=recorded)) == []


def test_a_restart_digest_without_its_list_covers_every_parameter() -> None:
    old = {"state": "/run/db", "fake": "bar"}
    digests = f'op-digest="{parameters_digest(old)}" op-restart-digest="{parameters_digest(old)}"'
    assert _summary(_cib(digests=digests)) == [("Restart", "db", CHANGE)]


def test_a_start_in_flight_takes_no_reload_but_a_restart_without_reason() -> None:
    old = parameters_digest({"state": "/run/db", "fake": "bar"})
    assert _summary(_cib(digests=f'op-digest="{old}" {RESTART}', pending=True)) == [
        ("Restart", "db", None)]
