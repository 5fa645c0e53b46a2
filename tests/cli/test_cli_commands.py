"""The pcs-grammar command line: exit codes, one-line errors, untouched files, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cibs import DUMMY, Run, running_on_node1, write_cib

from vigil.cib.io import load_cib_file
from vigil.commands import edit
from vigil.model.constraints import Colocation
from vigil.model.nvset import flatten
from vigil.model.resources import Primitive


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return write_cib(tmp_path / "cib.xml", DUMMY.format(id="A") + DUMMY.format(id="B"),
                     status1=running_on_node1("A", failed_monitor=True))


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["resource", "create", "X", "ocf:heartbeat:IPaddr2", "cidr_netmask=24"],  # ip missing
    ["resource", "create", "X", "ocf:heartbeat:IPaddr2", "ip"],  # not name=value
    ["resource", "create", "X", "nosuch:agent"],
    ["resource", "create", "A", "ocf:heartbeat:Dummy"],  # id taken
    ["resource", "create", "X", "ocf:heartbeat:Dummy", "op", "interval=10s"],
    ["resource", "create", "X", "ocf:heartbeat:Dummy", "--bogus"],
    ["resource", "create", "X"],
    ["resource", "update", "ghost", "a=b"],
    ["resource", "delete", "ghost"],
    ["resource", "enable", "ghost"],
    ["resource", "move", "A", "node9"],
    ["resource", "move", "A", "node2", "lifetime=whenever"],
    ["resource", "ban", "ghost", "node1"],
    ["resource", "group", "add", "A", "B"],
    ["resource", "frobnicate"],
    ["resource", "defaults", "resource-stickiness=lots"],
    ["constraint", "location", "A", "prefers", "node1=lots"],
    ["constraint", "location", "A", "likes", "node1"],
    ["constraint", "location", "ghost", "prefers", "node1"],
    ["constraint", "colocation", "add", "A", "with", "ghost"],
    ["constraint", "colocation", "add", "A", "with", "B", "sometimes"],
    ["constraint", "order", "A", "then", "ghost"],
    ["constraint", "order", "A", "B"],
    ["constraint", "order", "A", "then", "B", "kind=Maybe"],
    ["constraint", "remove", "nope"],
    ["property", "set", "no-quorum-policy=sometimes"],
    ["property", "set", "stonith-enabledd=false"],
    ["property", "unset", "maintenance-mode"],
    ["node", "standby", "node9"],
    ["node", "standby"],
    ["node", "attribute", "node1", "missing="],
    ["cib-push", "/nonexistent/cib.xml"],
    ["cib", "nosection"],
    ["status", "--full", "extra"],
])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(vigil: Run, path: Path,
                                                          argv: list[str]) -> None:
    before = path.read_bytes()
    code, _out, err = vigil("-f", str(path), *argv)
    assert code == 2
    one_line_error(err.replace("\nwarning:", " warning:"))
    assert path.read_bytes() == before


def test_forceable_errors_say_so_and_force_applies(vigil: Run, path: Path) -> None:
    code, _, err = vigil("-f", str(path), "property", "set", "stonith-enabledd=false")
    assert code == 2 and "use --force to override" in err
    code, _, err = vigil("-f", str(path), "property", "set", "stonith-enabledd=false", "--force")
    assert code == 0 and err.startswith("warning: ")
    assert load_cib_file(path)[0].cluster_option("stonith-enabledd") == "false"


def test_without_a_file_there_is_no_cluster_to_talk_to(vigil: Run, tmp_path: Path) -> None:
    for argv in (["status"], ["resource", "create", "X", "ocf:heartbeat:Dummy"],
                 ["property", "set", "maintenance-mode=true"], ["constraint"],
                 ["explain", "X"]):
        code, out, err = vigil(*argv)
        assert code == 1
        line = one_line_error(err)
        assert line == (f"error: no running cluster: vigild is not reachable at "
                        f"{tmp_path / 'no-vigild.sock'} (use -f FILE to work on a CIB file)")
        assert out == ""


def test_restart_offline_is_a_runtime_failure(vigil: Run, path: Path) -> None:
    before = path.read_bytes()
    code, _, err = vigil("-f", str(path), "resource", "restart", "A")
    assert code == 1 and "needs a running cluster" in one_line_error(err)
    assert path.read_bytes() == before


def test_a_missing_or_broken_cib_file(vigil: Run, tmp_path: Path) -> None:
    # a missing file is an empty CIB (tests/cli/test_cli_files.py): a broken one is refused
    broken = tmp_path / "broken.xml"
    broken.write_text("<cib><configuration>")
    code, _, err = vigil("-f", str(broken), "resource", "disable", "A")
    assert code == 2 and "not well-formed" in one_line_error(err)
    assert broken.read_text() == "<cib><configuration>"


def test_options_may_come_first_or_last(vigil: Run, path: Path) -> None:
    assert vigil("-f", str(path), "resource", "disable", "A")[0] == 0
    assert vigil("resource", "enable", "A", "-f", str(path))[0] == 0
    assert vigil(f"--file={path}", "resource", "disable", "B")[0] == 0
    cib = load_cib_file(path)[0]
    a, b = edit.find_resource(cib, "A"), edit.find_resource(cib, "B")
    assert isinstance(a, Primitive) and isinstance(b, Primitive)
    assert flatten(a.meta_attributes) == {} and flatten(b.meta_attributes) == {
        "target-role": "Stopped"}


def test_negative_scores_are_words_not_options(vigil: Run, path: Path) -> None:
    code, _, err = vigil("-f", str(path), "constraint", "colocation", "add", "B", "with", "A",
                         "-INFINITY")
    assert code == 0, err
    code, out, _ = vigil("-f", str(path), "constraint", "colocation", "--full")
    assert out.splitlines() == [
        "Colocation Constraints:",
        "  B with A (score:-INFINITY) (id:colocation-B-A--INFINITY)"]


def test_colocation_with_roles_and_options(vigil: Run, path: Path) -> None:
    code, _, err = vigil("-f", str(path), "constraint", "colocation", "add", "started", "B",
                         "with", "Started", "A", "score=100", "id=mine")
    assert code == 0, err
    col = load_cib_file(path)[0].configuration.constraints[0]
    assert isinstance(col, Colocation)
    assert (col.id, col.score, col.rsc_role, col.with_rsc_role) == (
        "mine", 100, "Started", "Started")


def test_move_says_which_constraint_it_created(vigil: Run, path: Path) -> None:
    code, _, err = vigil("-f", str(path), "resource", "move", "B", "node2")
    assert code == 0
    assert err.startswith("info: created constraint cli-prefer-B")
    code, _, err = vigil("-f", str(path), "resource", "move", "A")
    assert code == 0 and "cli-ban-A-on-node1" in err
    code, out, _ = vigil("-f", str(path), "constraint", "location", "--full")
    assert "(id:cli-prefer-B)" in out and "(id:cli-ban-A-on-node1)" in out
    assert vigil("-f", str(path), "resource", "clear", "A")[0] == 0
    assert vigil("-f", str(path), "resource", "clear", "B")[0] == 0
    assert load_cib_file(path)[0].configuration.constraints == ()


def test_json_output(vigil: Run, path: Path) -> None:
    code, out, _ = vigil("-f", str(path), "--output", "json", "resource", "create", "ip",
                         "IPaddr2", "ip=10.0.0.1")
    assert code == 0
    data = json.loads(out)
    assert data["changed"] is True and data["version"] == [0, 6, 0]
    assert [r["code"] for r in data["reports"]] == ["AGENT_NAME_DEDUCED"]
    code, out, _ = vigil("-f", str(path), "status", "--output=json")
    status = json.loads(out)
    a = next(r for r in status["resources"] if r["id"] == "A")
    assert (a["nodes"], a["failed"], a["fail_counts"]) == (["node1"], True, {"node1": 1})
    assert status["failed_actions"][0]["operation"] == "monitor"
    code, out, _ = vigil("-f", str(path), "constraint", "--output", "json")
    assert json.loads(out) == []
    code, out, _ = vigil("-f", str(path), "property", "list", "--output", "json")
    assert json.loads(out) == [{"name": "stonith-enabled", "value": "false", "default": "true",
                                "set": True}]
    code, out, err = vigil("-f", str(path), "--output", "json", "resource", "delete", "ghost")
    assert code == 2 and json.loads(out)["reports"][0]["code"] == "RESOURCE_NOT_FOUND"


def test_status_shows_failures_and_cleanup_clears_them(vigil: Run, path: Path) -> None:
    code, out, _ = vigil("-f", str(path), "status")
    assert code == 0
    assert "* A\t(ocf:heartbeat:Dummy):\t FAILED node1" in out
    assert "A on node1: fail-count=1" in out
    assert "* A_monitor_10000 on node1 'not running' (7)" in out
    code, _, err = vigil("-f", str(path), "resource", "cleanup", "A")
    assert code == 0 and "cleaned up A on node1" in err
    code, out, _ = vigil("-f", str(path), "status")
    assert "Started node1" in out and "Failed Resource Actions" not in out


def test_listing_commands(vigil: Run, path: Path) -> None:
    vigil("-f", str(path), "constraint", "order", "A", "then", "B")
    code, out, _ = vigil("-f", str(path), "constraint")
    assert out.splitlines() == ["Location Constraints:", "Ordering Constraints:",
                                "  start A then start B (kind:Mandatory)",
                                "Colocation Constraints:", "Ticket Constraints:"]
    code, out, _ = vigil("-f", str(path), "resource", "config", "A")
    assert out.splitlines()[0] == " Resource: A (class=ocf provider=heartbeat type=Dummy)"
    code, out, _ = vigil("-f", str(path), "property", "list", "--all")
    assert " no-quorum-policy: stop (default)" in out.splitlines()
    code, out, _ = vigil("-f", str(path), "cib", "--config")
    assert out.startswith("<configuration>")
    assert vigil("-f", str(path), "resource", "defaults")[1] == "No defaults set\n"
    vigil("-f", str(path), "node", "attribute", "node1", "rack=r1")
    assert vigil("-f", str(path), "node", "attribute")[1] == "Node Attributes:\n node1: rack=r1\n"


def test_cib_push_round_trip(vigil: Run, path: Path, tmp_path: Path) -> None:
    code, out, _ = vigil("-f", str(path), "cib")
    copy = tmp_path / "copy.xml"
    copy.write_text(out)
    assert vigil("-f", str(copy), "resource", "create", "C", "ocf:heartbeat:Dummy")[0] == 0
    code, _, err = vigil("-f", str(path), "cluster", "cib-push", str(copy))
    assert code == 0, err
    assert "C" in edit.resource_ids(load_cib_file(path)[0])
    copy.write_text("<cib>")
    before = path.read_bytes()
    assert vigil("-f", str(path), "cib-push", str(copy), "--config")[0] == 2
    assert path.read_bytes() == before


def test_describe_an_agent(vigil: Run, path: Path) -> None:
    code, out, err = vigil("-f", str(path), "resource", "describe", "IPaddr2")
    assert code == 0 and out.startswith("ocf:heartbeat:IPaddr2 - IPaddr2 agent")
    assert "  ip (required):" in out.splitlines()
    assert err == "info: using agent 'ocf:heartbeat:IPaddr2' for 'IPaddr2'\n"
    code, out, err = vigil("-f", str(path), "resource", "describe", "lsb:nope")
    assert code == 2 and one_line_error(err) and out == ""


def test_help(vigil: Run, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        vigil("--help")
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert "resource" in out and "constraint" in out and "simulate" in out
    code, out, _ = vigil("resource", "--help")
    assert code == 0 and "create ID AGENT" in out
    code, _, err = vigil("-f", "x.xml", "resource")
    assert code == 2


def test_simulate_and_explain_still_work(vigil: Run, path: Path) -> None:
    code, out, _ = vigil("simulate", "-x", str(path))
    assert code == 0 and "Transition Summary:" in out
    code, out, _ = vigil("explain", "A", "-x", str(path))
    assert code == 0 and out.startswith("A (ocf:heartbeat:Dummy)")
