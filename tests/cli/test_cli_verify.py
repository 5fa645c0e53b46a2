"""`vigil verify` on the configurations the seeds' operators build, and its exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cibs import DUMMY, Run, write_cib
from test_cli_seeds import SEED_000, SEED_002, run_all


@pytest.fixture(autouse=True)
def no_corosync_conf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """This machine's /etc/corosync/corosync.conf must not change the findings."""
    monkeypatch.setenv("VIGIL_COROSYNC_CONF", str(tmp_path / "no-corosync.conf"))


def verify_json(vigil: Run, path: Path) -> dict[str, object]:
    code, out, _ = vigil("-f", str(path), "verify", "--output", "json")
    data = json.loads(out)
    assert code == (0 if data["valid"] else 2)
    return data


def codes_of(data: dict[str, object]) -> list[str]:
    found = data["reports"]
    assert isinstance(found, list)
    return [r["code"] for r in found]


def test_seed_002_flags_fencing_off_and_quorum_ignored(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    run_all(vigil, path, SEED_002)
    code, out, err = vigil("-f", str(path), "verify")
    assert code == 0, err  # warnings only
    lines = out.splitlines()
    fencing = next(ln for ln in lines if "stonith-enabled=false" in ln)
    assert fencing.startswith("warning: fencing is disabled (stonith-enabled=false): a split "
                              "brain can corrupt shared data")
    assert "configure a fence device" in fencing.lower() and "stonith-enabled=true" in fencing
    quorum = next(ln for ln in lines if ln.startswith("warning: no-quorum-policy=ignore"))
    assert "without quorum" in quorum and "split brain" in quorum  # no fencing: split brain
    assert "no-quorum-policy=stop" in quorum
    assert lines[-2] == "Warnings found during check: config may not be valid"
    assert lines[-1] == "  (3 informational findings not shown: -V shows them)"
    data = verify_json(vigil, path)
    assert data["valid"] is True and data["errors"] == 0
    assert codes_of(data)[:2] == ["FENCING_DISABLED", "NO_QUORUM_POLICY_IGNORE"]
    # the seed's typo: `op moniter` never runs; webserver returns to node1 after a failover
    assert "OPERATION_NEVER_RUNS" in codes_of(data)
    assert "RESOURCE_RETURNS_TO_PREFERRED_NODE" in codes_of(data)
    code, out, _ = vigil("-f", str(path), "verify", "-V")
    assert "info: webserver prefers node1 with score 1000" in out


def test_seed_000_flags_quorum_ignored_as_a_fencing_race(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    run_all(vigil, path, SEED_000)
    data = verify_json(vigil, path)
    found = codes_of(data)
    assert "FENCING_DISABLED" not in found  # the seed enables fencing
    assert "NO_QUORUM_POLICY_IGNORE" in found
    listed = data["reports"]
    assert isinstance(listed, list)
    quorum = next(r for r in listed if r["code"] == "NO_QUORUM_POLICY_IGNORE")
    assert quorum["fields"]["fencing"] == "enabled" and "race" in quorum["message"]
    # two nodes, two fence devices, no delay: both may shoot at once
    assert "TWO_NODE_WITHOUT_FENCING_DELAY" in found
    code, _, _ = vigil("-f", str(path), "stonith", "update", "fence_ipmi_node1",
                       "pcmk_delay_max=15s")
    assert code == 0
    assert "TWO_NODE_WITHOUT_FENCING_DELAY" not in codes_of(verify_json(vigil, path))


def test_seed_002_with_the_operators_fixed(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    run_all(vigil, path, SEED_002)
    code, _, _ = vigil("-f", str(path), "property", "set", "no-quorum-policy=stop")
    assert code == 0
    assert "NO_QUORUM_POLICY_IGNORE" not in codes_of(verify_json(vigil, path))


def test_errors_exit_2_and_say_the_config_is_not_valid(vigil: Run, tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    write_cib(path, DUMMY.format(id="A"),
              '<rsc_colocation id="c" rsc="A" with-rsc="Ghost" score="INFINITY"/>')
    code, out, _ = vigil("-f", str(path), "verify")
    assert code == 2
    assert out.splitlines()[0].startswith("error: constraint 'c' names resource 'Ghost'")
    assert "Errors found during check: config not valid" in out.splitlines()
    path.write_text("<cib")
    code, out, _ = vigil("verify", "-f", str(path))
    assert code == 2 and out.startswith("error: the CIB is not well-formed XML")


def test_clean_configuration_is_quiet_and_verbose_says_so(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    code, out, err = vigil("-f", str(path), "property", "set", "stonith-enabled=false")
    # a CIB with fencing off still warns; a CIB file with nothing risky says nothing
    path.write_text('<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/>'
                    '<nodes><node id="1" uname="n1"/><node id="2" uname="n2"/><node id="3" '
                    'uname="n3"/></nodes><resources><primitive id="f" class="stonith" '
                    'type="fence_x"><operations><op id="f-m" name="monitor" interval="60s"/>'
                    '</operations></primitive></resources><constraints/></configuration>'
                    '<status>' + ''.join(
                        f'<node_state id="{i}" uname="n{i}" in_ccm="true" crmd="online" '
                        'join="member" expected="member"/>' for i in (1, 2, 3)) + '</status></cib>')
    code, out, err = vigil("-f", str(path), "verify")
    assert (code, out, err) == (0, "", "")
    code, out, _ = vigil("-f", str(path), "verify", "-V")
    assert out == f"{path}: no problems found\n"


def test_two_node_from_corosync_conf_path_option(vigil: Run, tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    path.write_text('<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/>'
                    '<nodes/><resources><primitive id="f" class="stonith" type="fence_x">'
                    '<operations><op id="f-m" name="monitor" interval="60s"/></operations>'
                    '</primitive></resources><constraints/></configuration><status/></cib>')
    conf = tmp_path / "corosync.conf"
    conf.write_text("quorum {\n\tprovider: corosync_votequorum\n\ttwo_node: 1\n}\n")
    code, out, _ = vigil("-f", str(path), "verify", "--corosync_conf", str(conf))
    assert code == 0 and "two-node cluster without a fencing delay" in out


def test_without_a_cluster_verify_is_one_line_exit_1(vigil: Run) -> None:
    code, out, err = vigil("verify")
    assert code == 1 and out == ""
    assert err.startswith("error: no running cluster") and len(err.splitlines()) == 1


def test_verify_takes_no_words_and_no_foreign_options(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    assert vigil("-f", str(path), "verify", "extra")[0] == 2
    assert vigil("-f", str(path), "verify", "--force")[0] == 2


def test_every_finding_verify_shows_has_words() -> None:
    """Codes of the verify command, and of the fencer's config_reports it includes."""
    import re

    from vigil.model import reports
    from vigil.words import messages

    src = Path(__file__).resolve().parents[2] / "src" / "vigil"
    raised = re.compile(r"reports\.(?:error|warning|info|unless_forced)\(\s*(?:force,\s*)?\"([A-Z_]+)\"")
    found = {code for path in (src / "commands" / "verify.py", src / "fencer" / "devices.py",
                               src / "clusterconf" / "conf_tree.py",
                               src / "clusterconf" / "quorum_device.py")
             for code in raised.findall(path.read_text())}
    found -= {"FENCE_AGENT_NOT_FOUND"}  # raised when fencing, not by config_reports
    plain = [c for c in sorted(found)
             if messages.render_report(reports.error(c)).startswith(f"error: {c}")]
    assert plain == []
