"""What crm_verify counts against a configuration although Pacemaker only warns of it
(commands.verify_pacemaker): vigil verify says it and calls the configuration not valid, as
crm_verify exits 78; what Pacemaker only logs (startup-fencing=false) stays valid."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from vigil.commands import verify

NODES = '<node id="1" uname="n1"/><node id="2" uname="n2"/>'
ONLINE = ('<node_state id="{i}" uname="n{i}" in_ccm="true" crmd="online" join="member" '
          'expected="member"/>')


def cib(*, props: str = "", constraints: str = "", status: str | None = None,
        stonith: bool = False, a_meta: str = "", more: str = "") -> str:
    states = status if status is not None else ONLINE.format(i=1) + ONLINE.format(i=2)
    return f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
<configuration><crm_config><cluster_property_set id="o">
<nvpair id="o-se" name="stonith-enabled" value="{'true' if stonith else 'false'}"/>{props}
</cluster_property_set></crm_config><nodes>{NODES}</nodes><resources>
<primitive id="A" class="ocf" provider="pacemaker" type="Dummy">{a_meta}</primitive>{more}
<clone id="B-clone"><primitive id="B" class="ocf" provider="pacemaker" type="Dummy"/></clone>
</resources><constraints>{constraints}</constraints></configuration>
<status>{states}</status></cib>"""


def codes(tmp_path: Path, text: str) -> tuple[list[str], bool]:
    """vigil verify's codes of this module and its verdict; checked against crm_verify's (the
    oracle) where it is installed: 0 when valid, 78 when not."""
    path = tmp_path / "cib.xml"
    path.write_text(text)
    found = verify.verify_file(str(path), corosync_conf=None)
    if shutil.which("crm_verify"):
        oracle = subprocess.run(["crm_verify", "-x", str(path)], capture_output=True, check=False)
        assert oracle.returncode == (0 if found.valid else 78), oracle.stderr
    return [r.code for r in found.reports if r.code.startswith("VERIFY_")], found.valid


@pytest.mark.parametrize(("text", "code"), [
    (cib(constraints='<rsc_order id="o1" first="B-clone" then="A" require-all="false"/>'),
     "VERIFY_ORDER_REQUIRE_ALL"),
    (cib(props='<nvpair id="o-sa" name="stonith-action" value="poweroff"/>'),
     "VERIFY_STONITH_ACTION_POWEROFF"),
    (cib(status=ONLINE.format(i=1) + ONLINE.format(i=2) + ONLINE.format(i=9)),
     "VERIFY_NODE_STATE_UNKNOWN"),
    (cib(stonith=True, status=ONLINE.format(i=1) + '<node_state id="2" uname="n2" '
         'in_ccm="false" crmd="offline" join="member" expected="member"/>'),
     "VERIFY_NODE_UNCLEAN"),
    (cib(a_meta='<meta_attributes id="A-m"><nvpair id="A-rt" name="restart-type" '
                'value="restart"/></meta_attributes>'), "VERIFY_RESTART_TYPE"),
    (cib(a_meta='<meta_attributes id="A-m"><nvpair id="A-tr" name="target-role" '
                'value="Unpromoted"/></meta_attributes>'), "VERIFY_TARGET_ROLE_NOT_PROMOTABLE"),
    (cib(more='<group id="G"><meta_attributes id="G-m"><nvpair id="G-o" name="ordered" '
              'value="false"/></meta_attributes><primitive id="G1" class="ocf" '
              'provider="pacemaker" type="Dummy"/></group>'), "VERIFY_GROUP_UNORDERED"),
])
def test_what_crm_verify_counts_makes_the_configuration_not_valid(
        tmp_path: Path, text: str, code: str) -> None:
    found, valid = codes(tmp_path, text)
    assert found == [code] and not valid


def test_a_healthy_cluster_and_blind_faith_stay_valid(tmp_path: Path) -> None:
    assert codes(tmp_path, cib()) == ([], True)
    faith = cib(props='<nvpair id="o-sf" name="startup-fencing" value="false"/>')
    assert codes(tmp_path, faith) == ([], True)  # crm_verify only logs it
