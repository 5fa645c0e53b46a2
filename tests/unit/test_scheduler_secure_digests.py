"""Secure digests: a CIB shown with masked passwords (crm_simulate's sanitized view, a saved
scheduler input) cannot match the recorded op-digest of a resource with private parameters, so
the other parameters are compared through op-secure-digest instead. The live scheduler sees the
real values and keeps comparing the full digest. (Corpus: remote-recover-all,
asymmetrical-order-restart.)"""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.digests import parameters_digest
from vigil.scheduler.engine import schedule

NOW = 1_700_000_000
REAL = {"ipaddr": "10.0.0.9", "login": "admin", "passwd": "secret",
        "pcmk_host_list": "node2", "pcmk_reboot_timeout": "90"}
# what the device was started with, minus the password and minus the fencer's own parameters
# (the fence agent never sees those)
SECURE = parameters_digest({"ipaddr": "10.0.0.9", "login": "admin"})


def _cib(shown: dict[str, str]) -> Cib:
    pairs = "".join(f'<nvpair id="f-{k}" name="{k}" value="{v}"/>' for k, v in shown.items())
    text = f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0"
  have-quorum="1">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="fence" class="stonith" type="fence_ipmilan">
        <instance_attributes id="f-ia">{pairs}</instance_attributes>
      </primitive>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="fence" class="stonith" type="fence_ipmilan">
          <lrm_rsc_op id="fence_last_0" operation_key="fence_start_0" operation="start"
            transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" call-id="3" rc-code="0"
            op-status="0" interval="0" op-digest="{parameters_digest(REAL)}"
            op-secure-params=" passwd " op-secure-digest="{SECURE}"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>"""
    cib, problems = parse_cib(text)
    assert not problems
    return cib


def _verbs(cib: Cib, *, sanitized: bool) -> list[tuple[str, str]]:
    return [(i.verb, i.resource) for i in schedule(cib, NOW, sanitized=sanitized).summary]


def test_a_masked_password_alone_is_no_definition_change_in_a_sanitized_cib() -> None:
    assert _verbs(_cib(REAL | {"passwd": "****"}), sanitized=True) == []


def test_the_live_scheduler_takes_a_changed_password_for_a_change() -> None:
    assert _verbs(_cib(REAL | {"passwd": "****"}), sanitized=False) == [("Restart", "fence")]


def test_a_changed_public_parameter_restarts_even_when_sanitized() -> None:
    shown = REAL | {"passwd": "****", "login": "root"}
    assert _verbs(_cib(shown), sanitized=True) == [("Restart", "fence")]


def test_the_fencers_own_parameters_are_outside_the_secure_digest() -> None:
    # pcmk_host_list changed: the full digest differs, the secure one (which never covered it)
    # does not, so a sanitized reading finds nothing to restart
    shown = REAL | {"passwd": "****", "pcmk_host_list": "node2 node3"}
    assert _verbs(_cib(shown), sanitized=True) == []
