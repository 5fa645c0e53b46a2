"""`vigil verify`'s checks (commands.verify): codes and fields, not words."""

from __future__ import annotations

from pathlib import Path

import corosync_samples as out
import pytest
from cibs import DUMMY, codes

from vigil.commands import verify
from vigil.commands.env import FileEnvironment
from vigil.model.reports import Severity

FENCE = """<primitive id="{id}" class="stonith" type="fence_ipmilan">
  <instance_attributes id="{id}-ia">{params}</instance_attributes>
  <operations><op id="{id}-monitor" name="monitor" interval="60s"/></operations>
</primitive>"""


def cib(*, props: dict[str, str] | None = None, nodes: int = 2, resources: str = "",
        constraints: str = "", extra: str = "", rsc_defaults: str = "") -> str:
    pairs = "".join(f'<nvpair id="p-{k}" name="{k}" value="{v}"/>'
                    for k, v in (props or {}).items())
    node_xml = "".join(f'<node id="{i}" uname="node{i}"/>' for i in range(1, nodes + 1))
    defaults = (f'<rsc_defaults><meta_attributes id="rd">{rsc_defaults}</meta_attributes>'
                '</rsc_defaults>' if rsc_defaults else "")
    # every node seen and up: a node never seen is unclean (startup-fencing), which crm_verify
    # counts, and these tests are about what they name
    states = "".join(f'<node_state id="{i}" uname="node{i}" in_ccm="true" crmd="online" '
                     'join="member" expected="member"/>' for i in range(1, nodes + 1))
    return (f'<cib epoch="1" num_updates="0" admin_epoch="0" have-quorum="1"><configuration>'
            f'<crm_config><cluster_property_set id="opts">{pairs}</cluster_property_set>'
            f'</crm_config><nodes>{node_xml}</nodes><resources>{resources}</resources>'
            f'<constraints>{constraints}</constraints>{defaults}{extra}</configuration>'
            f'<status>{states}</status></cib>')


def fence(rsc_id: str, **params: str) -> str:
    return FENCE.format(id=rsc_id, params="".join(
        f'<nvpair id="{rsc_id}-{k}" name="{k}" value="{v}"/>' for k, v in params.items()))


FENCED = fence("f1", pcmk_host_list="node1") + fence("f2", pcmk_host_list="node2")


def check(tmp_path: Path, text: str, corosync: str | None = None) -> verify.Verification:
    path = tmp_path / "cib.xml"
    path.write_text(text)
    conf = tmp_path / "corosync.conf"
    if corosync is not None:
        conf.write_text(corosync)
    return verify.verify_file(str(path), corosync_conf=str(conf))


def found(result: verify.Verification, severity: Severity | None = None) -> list[str]:
    return [r.code for r in result.reports if severity is None or r.severity is severity]


def test_a_sound_configuration_has_no_findings(tmp_path: Path) -> None:
    result = check(tmp_path, cib(resources=fence("f1", pcmk_host_list="node1",
                                                 pcmk_delay_max="15s")
                                 + fence("f2", pcmk_host_list="node2")
                                 + DUMMY.format(id="A"),
                                 rsc_defaults='<nvpair id="rd-mt" name="migration-threshold" '
                                              'value="3"/>'))
    assert result.reports == () and result.valid


def test_fencing_disabled(tmp_path: Path) -> None:
    result = check(tmp_path, cib(props={"stonith-enabled": "false"}))
    assert found(result) == ["FENCING_DISABLED"] and result.valid


def test_fencing_enabled_without_device(tmp_path: Path) -> None:
    assert found(check(tmp_path, cib(nodes=3))) == ["FENCING_WITHOUT_DEVICE"]
    # stonith-enabled is true by default
    assert found(check(tmp_path, cib(props={"stonith-enabled": "true"}, nodes=3))) == [
        "FENCING_WITHOUT_DEVICE"]


def test_two_nodes_need_a_fencing_delay(tmp_path: Path) -> None:
    result = check(tmp_path, cib(resources=FENCED))
    assert found(result) == ["TWO_NODE_WITHOUT_FENCING_DELAY"]
    assert result.reports[0].field("devices") == "f1, f2"
    delayed = fence("f1", pcmk_host_list="node1", pcmk_delay_base="node1:5s;node2:0s")
    assert found(check(tmp_path, cib(resources=delayed + fence("f2")))) == []
    assert found(check(tmp_path, cib(resources=FENCED,
                                     props={"priority-fencing-delay": "10s"}))) == []
    assert found(check(tmp_path, cib(resources=FENCED, nodes=3))) == []


def test_two_node_from_corosync_conf(tmp_path: Path) -> None:
    # The CIB knows no nodes yet; corosync.conf says two_node.
    assert found(check(tmp_path, cib(resources=FENCED, nodes=0),
                       corosync=out.TWO_NODE_CONF)) == ["TWO_NODE_WITHOUT_FENCING_DELAY"]
    with_device = out.TWO_NODE_CONF.replace(
        "\ttwo_node: 1\n", "\tdevice {\n\t\tmodel: net\n\t\tnet {\n\t\t\thost: q\n\t\t}\n\t}\n")
    result = check(tmp_path, cib(resources=FENCED), corosync=with_device)
    assert found(result) == [] and result.corosync_conf == str(tmp_path / "corosync.conf")


def test_an_unreadable_corosync_conf_is_only_a_warning(tmp_path: Path) -> None:
    result = check(tmp_path, cib(resources=FENCED, nodes=3), corosync="quorum {\n")
    assert found(result) == ["COROSYNC_CONF_IGNORED"] and result.valid


@pytest.mark.parametrize(("props", "resources", "nodes", "code", "fencing"), [
    ({"stonith-enabled": "false", "no-quorum-policy": "ignore"}, "", 2,
     "NO_QUORUM_POLICY_IGNORE", "disabled"),
    ({"no-quorum-policy": "ignore", "priority-fencing-delay": "5s"}, FENCED, 2,
     "NO_QUORUM_POLICY_IGNORE", "enabled"),
    ({"no-quorum-policy": "ignore"}, FENCED, 3, "NO_QUORUM_POLICY_IGNORE_MANY_NODES", "enabled"),
    ({"no-quorum-policy": "ignore", "stonith-enabled": "0"}, "", 5,
     "NO_QUORUM_POLICY_IGNORE_MANY_NODES", "disabled"),
])
def test_no_quorum_policy_ignore(tmp_path: Path, props: dict[str, str], resources: str,
                                 nodes: int, code: str, fencing: str) -> None:
    result = check(tmp_path, cib(props=props, resources=resources, nodes=nodes))
    report = next(r for r in result.reports if r.code.startswith("NO_QUORUM"))
    assert (report.code, report.field("fencing"), report.severity) == (code, fencing,
                                                                        Severity.WARNING)
    assert result.valid


def test_resources_without_monitor_and_restart_loops(tmp_path: Path) -> None:
    bare = '<primitive id="Bare" class="ocf" provider="heartbeat" type="Dummy"/>'
    typo = ('<primitive id="Typo" class="ocf" provider="heartbeat" type="Dummy"><operations>'
            '<op id="t-m" name="moniter" interval="30s"/></operations></primitive>')
    limited = ('<primitive id="Limited" class="ocf" provider="heartbeat" type="Dummy">'
               '<meta_attributes id="l-m"><nvpair id="l-mt" name="migration-threshold" '
               'value="2"/></meta_attributes><operations><op id="l-mon" name="monitor" '
               'interval="10s"/></operations></primitive>')
    result = check(tmp_path, cib(props={"stonith-enabled": "false"},
                                 resources=bare + typo + limited + DUMMY.format(id="A")))
    by_code = {(r.code, r.field("resource")) for r in result.reports}
    assert ("RESOURCE_WITHOUT_MONITOR", "Bare") in by_code
    assert ("RESOURCE_WITHOUT_MONITOR", "Typo") in by_code
    assert ("OPERATION_NEVER_RUNS", "Typo") in by_code
    assert next(r for r in result.reports if r.code == "OPERATION_NEVER_RUNS").field(
        "suggestion") == "monitor"
    assert ("RESTART_WITHOUT_MIGRATION_THRESHOLD", "A") in by_code
    assert ("RESTART_WITHOUT_MIGRATION_THRESHOLD", "Limited") not in by_code
    info = next(r for r in result.reports if r.code == "RESTART_WITHOUT_MIGRATION_THRESHOLD")
    assert info.severity is Severity.INFO


def _group(group_role: str | None, member_roles: dict[str, str]) -> str:
    members = ""
    for rid in ("A", "B", "C"):
        meta = (f'<meta_attributes id="{rid}-meta"><nvpair id="{rid}-tr" name="target-role" '
                f'value="{member_roles[rid]}"/></meta_attributes>' if rid in member_roles else "")
        members += (f'<primitive id="{rid}" class="ocf" provider="heartbeat" type="Dummy">{meta}'
                    f'<operations><op id="{rid}-m" name="monitor" interval="10s"/></operations>'
                    '</primitive>')
    gmeta = (f'<meta_attributes id="G-meta"><nvpair id="G-tr" name="target-role" '
             f'value="{group_role}"/></meta_attributes>' if group_role else "")
    return f'<group id="G">{gmeta}{members}</group>'


@pytest.mark.parametrize(("group_role", "members", "expected"), [
    (None, {"B": "Stopped"}, [("GROUP_MEMBER_STOPPED", "B")]),
    ("Started", {"A": "Started"}, []),
    ("Stopped", {"A": "Started"}, [("GROUP_STOPPED_MEMBER_STARTED", "A")]),
    (None, {"C": "Promoted"}, [("GROUP_MEMBER_ROLE_DIFFERS", "C")]),
])
def test_target_role_on_group_members(tmp_path: Path, group_role: str | None,
                                      members: dict[str, str],
                                      expected: list[tuple[str, str]]) -> None:
    result = check(tmp_path, cib(props={"stonith-enabled": "false"},
                                 resources=_group(group_role, members)))
    got = [(r.code, r.field("member")) for r in result.reports if r.code.startswith("GROUP_")]
    assert got == expected
    if expected and expected[0][0] == "GROUP_MEMBER_STOPPED":
        assert result.reports[1].field("after") == "C"


def test_location_on_unknown_node_and_unknown_resource(tmp_path: Path) -> None:
    constraints = ('<rsc_location id="l1" rsc="A" node="node9" score="100"/>'
                   '<rsc_colocation id="c1" rsc="A" with-rsc="Ghost" score="INFINITY"/>')
    result = check(tmp_path, cib(props={"stonith-enabled": "false"},
                                 resources=DUMMY.format(id="A"), constraints=constraints))
    assert found(result, Severity.ERROR) == ["CIB_UNKNOWN_RESOURCE"]
    assert "CIB_UNKNOWN_NODE" in found(result, Severity.WARNING)
    assert not result.valid
    # the policy checks still ran on the invalid configuration
    assert "FENCING_DISABLED" in found(result)


def test_stickiness_below_a_location_preference(tmp_path: Path) -> None:
    prefers = '<rsc_location id="prefer" rsc="A" node="node1" score="1000"/>'
    result = check(tmp_path, cib(props={"stonith-enabled": "false"},
                                 resources=DUMMY.format(id="A"), constraints=prefers))
    report = next(r for r in result.reports if r.code == "RESOURCE_RETURNS_TO_PREFERRED_NODE")
    assert (report.severity, report.field("stickiness"), report.field("score")) == (
        Severity.INFO, "0", "1000")
    sticky = check(tmp_path, cib(props={"stonith-enabled": "false"},
                                 resources=DUMMY.format(id="A"), constraints=prefers,
                                 rsc_defaults='<nvpair id="rd-s" name="resource-stickiness" '
                                              'value="INFINITY"/>'))
    assert "RESOURCE_RETURNS_TO_PREFERRED_NODE" not in found(sticky)


def test_fencing_levels(tmp_path: Path) -> None:
    topology = ('<fencing-topology>'
                '<fencing-level id="ok" index="1" target="node1" devices="f1"/>'
                '<fencing-level id="ghost" index="2" target="node1" devices="f1,nothere"/>'
                '<fencing-level id="notfence" index="1" target="node2" devices="A"/>'
                '<fencing-level id="nonode" index="1" target="node7" devices="f2"/>'
                '<fencing-level id="pattern" index="1" target-pattern="node.*" devices="f2"/>'
                '</fencing-topology>')
    result = check(tmp_path, cib(resources=FENCED + DUMMY.format(id="A"), extra=topology,
                                 props={"priority-fencing-delay": "5s"}))
    unknown = [r.field("device") for r in result.reports
               if r.code == "FENCE_LEVEL_DEVICE_UNKNOWN"]
    assert found(result, Severity.ERROR) == ["FENCE_LEVEL_DEVICE_UNKNOWN"] * 2
    assert unknown == ["nothere", "A"] and not result.valid
    assert "FENCING_LEVEL_UNKNOWN_TARGET" in found(result, Severity.WARNING)


def test_invalid_property_value_is_a_warning(tmp_path: Path) -> None:
    result = check(tmp_path, cib(props={"stonith-enabled": "false", "no-quorum-policy": "maybe"}))
    report = next(r for r in result.reports if r.code == "PROPERTY_VALUE_IGNORED")
    assert (report.field("name"), report.field("default")) == ("no-quorum-policy", "stop")


@pytest.mark.parametrize(("text", "code"), [
    ("not xml", "CIB_NOT_XML"),
    ("<notcib/>", "CIB_WRONG_ROOT"),
])
def test_unreadable_cibs_are_errors(tmp_path: Path, text: str, code: str) -> None:
    result = check(tmp_path, text)
    assert found(result) == [code] and not result.valid


def test_missing_file(tmp_path: Path) -> None:
    result = verify.verify_file(str(tmp_path / "nope.xml"), corosync_conf=None)
    assert found(result) == ["CIB_FILE_NOT_FOUND"]


def test_an_environment_is_verified_too(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    path.write_text(cib(props={"stonith-enabled": "false"}))
    result = verify.verify_env(FileEnvironment(str(path)), corosync_conf=None, source="x")
    assert codes(result.reports) == ["FENCING_DISABLED"] and result.source == "x"


def test_the_fencers_own_findings_are_included(tmp_path: Path) -> None:
    device = fence("f1", pcmk_host_list="node1", pcmk_delay_base="20s", pcmk_delay_max="10s")
    result = check(tmp_path, cib(resources=device + fence("f2", pcmk_host_list="node2")))
    report = next(r for r in result.reports if r.code == "FENCE_DELAY_BASE_ABOVE_MAX")
    assert report.field("device") == "f1" and report.severity is Severity.WARNING
