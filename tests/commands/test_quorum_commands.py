"""`vigil quorum`'s library commands: Corosync's tools through a scripted runner, and the quorum
device in a corosync.conf in a temporary directory."""

from __future__ import annotations

import stat
from pathlib import Path

import corosync_samples as out
import pytest
from cibs import codes
from scripted import Call, runner

from vigil.clusterconf import conf_tree
from vigil.clusterconf.quorum_device import read_device
from vigil.commands import quorum
from vigil.commands.runner import NOT_FOUND, LocalRunner
from vigil.model.reports import ReportError

STATUS = ("corosync-quorumtool", "-s")
WAIT_STATUS = ("corosync-cmapctl", "-g", "runtime.votequorum.wait_for_all_status")
CANCEL = ("corosync-cmapctl", "-s", "quorum.cancel_wait_for_all", "u8", "1")


def raised(action: object) -> list[str]:
    with pytest.raises(ReportError) as exc:
        action()  # type: ignore[operator]
    return codes(exc.value.reports)


def test_status_parses_corosync_quorumtool() -> None:
    tools = runner(Call(STATUS, 0, out.QUORATE))
    state = quorum.status(tools)
    tools.check_done()
    assert state.quorate and state.two_node and state.wait_for_all
    assert (state.expected_votes, state.total_votes, state.quorum, state.node_id) == (2, 2, 1, 1)
    assert state.ring_id == "1.9" and state.provider == "corosync_votequorum"
    assert [(m.nodeid, m.votes, m.name, m.local) for m in state.members] == [
        (1, 1, "n1", True), (2, 1, "n2", False)]
    assert not state.activity_blocked and state.text == out.QUORATE


def test_status_of_a_node_waiting_for_all() -> None:
    tools = runner(Call(STATUS, 2, out.WAITING))  # exit status 2: not quorate
    state = quorum.status(tools)
    assert not state.quorate and state.activity_blocked and state.wait_for_all
    assert [m.name for m in state.members] == ["n1"]


def test_membership_with_a_quorum_device() -> None:
    state = quorum.parse_status("Quorate: Yes\n" + out.WITH_QDEVICE_TABLE)
    assert state is not None
    assert [(m.name, m.qdevice) for m in state.members] == [("n1", "A,V,NMW"), ("n2", "A,V,NMW")]
    assert state.device_votes == 1


@pytest.mark.parametrize(("result", "code"), [
    (Call(STATUS, 1, "", out.NOT_RUNNING), "COROSYNC_NOT_RUNNING"),
    (Call(STATUS, NOT_FOUND, "", "corosync-quorumtool: command not found"),
     "COROSYNC_TOOL_MISSING"),
    (Call(STATUS, 1, "", "something else\n"), "COROSYNC_TOOL_FAILED"),
])
def test_status_failures_are_reports(result: Call, code: str) -> None:
    assert raised(lambda: quorum.status(runner(result))) == [code]


def test_expected_votes() -> None:
    tools = runner(Call(("corosync-quorumtool", "-e", "3")))
    assert codes(quorum.set_expected_votes(tools, "3")) == ["EXPECTED_VOTES_SET"]
    tools.check_done()
    refused = runner(Call(("corosync-quorumtool", "-e", "1"), 1, "", out.EXPECTED_REFUSED))
    assert raised(lambda: quorum.set_expected_votes(refused, "1")) == ["EXPECTED_VOTES_REFUSED"]
    stopped = runner(Call(("corosync-quorumtool", "-e", "2"), 1, "", out.NOT_RUNNING))
    assert raised(lambda: quorum.set_expected_votes(stopped, "2")) == ["COROSYNC_NOT_RUNNING"]


@pytest.mark.parametrize("votes", ["0", "-1", "two", ""])
def test_bad_expected_votes_run_nothing(votes: str) -> None:
    tools = runner()
    assert raised(lambda: quorum.set_expected_votes(tools, votes)) == ["EXPECTED_VOTES_INVALID"]
    assert tools.made == []


def test_unblock_when_waiting(tmp_path: Path) -> None:
    conf = tmp_path / "corosync.conf"
    conf.write_text(out.TWO_NODE_CONF)
    tools = runner(Call(WAIT_STATUS, 0, out.WAIT_FOR_ALL_1), Call(STATUS, 2, out.WAITING),
                   Call(CANCEL))
    assert quorum.blocked(tools, str(conf)).missing_nodes == ("n2",)
    assert codes(quorum.unblock(tools)) == ["QUORUM_UNBLOCKED"]
    tools.check_done()


def test_unblock_when_not_waiting_or_not_running() -> None:
    assert raised(lambda: quorum.blocked(runner(Call(WAIT_STATUS, 0, out.WAIT_FOR_ALL_0)))) == [
        "QUORUM_NOT_BLOCKED"]
    missing_key = Call(WAIT_STATUS, 1, "", "Can't get key runtime... Error CS_ERR_NOT_EXIST\n")
    assert raised(lambda: quorum.blocked(runner(missing_key))) == ["QUORUM_NOT_BLOCKED"]
    stopped = Call(WAIT_STATUS, 1, "", out.CMAP_NOT_RUNNING)
    assert raised(lambda: quorum.blocked(runner(stopped))) == ["COROSYNC_NOT_RUNNING"]
    assert raised(lambda: quorum.unblock(runner(Call(CANCEL, 1, "", out.CMAP_NOT_RUNNING)))) == [
        "COROSYNC_NOT_RUNNING"]


def test_conf_path_is_overridable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(quorum.CONF_ENV, raising=False)
    assert quorum.conf_path() == "/etc/corosync/corosync.conf"
    monkeypatch.setenv(quorum.CONF_ENV, "/tmp/x.conf")
    assert quorum.conf_path() == "/tmp/x.conf"
    assert quorum.conf_path("/given.conf") == "/given.conf"


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    path = tmp_path / "corosync.conf"
    path.write_text(out.TWO_NODE_CONF)
    return path


def test_device_add_and_remove(conf: Path) -> None:
    done = quorum.add_device(str(conf), model="net",
                             model_options=(("host", "qnetd.example"), ("algorithm", "lms")))
    assert codes(done.reports) == ["QDEVICE_ADDED", "COROSYNC_TWO_NODE_REMOVED",
                                   "QDEVICE_NEXT_STEPS"]
    root = conf_tree.parse(conf.read_text())
    device = read_device(root)
    assert device is not None and (device.host, device.algorithm) == ("qnetd.example", "lms")
    quorum_section = root.section("quorum")
    assert quorum_section is not None and quorum_section.get("two_node") is None
    assert "\tdevice {\n\t\tmodel: net\n\t\tnet {\n\t\t\thost: qnetd.example\n" in conf.read_text()
    assert stat.S_IMODE(conf.stat().st_mode) == 0o644
    config = quorum.quorum_config(str(conf))
    assert config.device == device and ("provider", "corosync_votequorum") in config.options
    removed = quorum.remove_device(str(conf))
    assert codes(removed.reports) == ["QDEVICE_REMOVED", "COROSYNC_TWO_NODE_RESTORED",
                                      "QDEVICE_REMOVE_NEXT_STEPS"]
    assert conf.read_text() == out.TWO_NODE_CONF  # back to the very same file


def test_device_default_algorithm_and_generic_options(conf: Path) -> None:
    quorum.add_device(str(conf), model="net", model_options=(("host", "10.0.0.9"),
                                                             ("port", "5403")),
                      generic_options=(("votes", "1"), ("timeout", "10000")))
    device = read_device(conf_tree.parse(conf.read_text()))
    assert device is not None and device.algorithm == "ffsplit"
    assert device.model_options == (("port", "5403"),)
    assert device.generic_options == (("votes", "1"), ("timeout", "10000"))


def test_ffsplit_gets_one_vote_written(conf: Path) -> None:
    # corosync-qdevice refuses ffsplit unless quorum.device.votes is 1 in the file (seen in the lab)
    quorum.add_device(str(conf), model="net", model_options=(("host", "10.0.0.9"),))
    device = read_device(conf_tree.parse(conf.read_text()))
    assert device is not None and device.generic_options == (("votes", "1"),)


def test_ffsplit_with_other_votes_is_an_error_unless_forced(conf: Path) -> None:
    before = conf.read_text()
    options = (("host", "10.0.0.9"), ("algorithm", "ffsplit"))
    assert raised(lambda: quorum.add_device(str(conf), model="net", model_options=options,
                                            generic_options=(("votes", "2"),))) == [
        "QDEVICE_FFSPLIT_VOTES"]
    assert conf.read_text() == before
    forced = quorum.add_device(str(conf), model="net", model_options=options,
                               generic_options=(("votes", "2"),), force=True)
    assert codes(forced.reports)[0] == "QDEVICE_FFSPLIT_VOTES"


@pytest.mark.parametrize(("model", "options", "code"), [
    ("net", (), "QDEVICE_OPTION_MISSING"),
    ("net", (("host", "qnetd"), ("algorithm", "majority")), "QDEVICE_OPTION_INVALID"),
    ("net", (("host", "qnetd"), ("port", "99999")), "QDEVICE_OPTION_INVALID"),
    ("net", (("host", "bad host"),), "QDEVICE_OPTION_INVALID"),
    ("net", (("host", "qnetd"), ("colour", "blue")), "QDEVICE_OPTION_UNKNOWN"),
    ("net", (("host", "qnetd}\nx {"),), "QDEVICE_OPTION_UNSAFE"),
    ("disk", (("host", "qnetd"),), "QDEVICE_MODEL_UNKNOWN"),
])
def test_bad_device_changes_nothing(conf: Path, model: str, options: tuple[tuple[str, str], ...],
                                    code: str) -> None:
    before = conf.read_bytes()
    assert code in raised(lambda: quorum.add_device(str(conf), model=model,
                                                    model_options=options))
    assert conf.read_bytes() == before


def test_forced_unknown_option_is_written_with_a_warning(conf: Path) -> None:
    done = quorum.add_device(str(conf), model="net", force=True,
                             model_options=(("host", "qnetd"), ("colour", "blue")))
    assert codes(done.reports)[0] == "QDEVICE_OPTION_UNKNOWN"
    assert "colour: blue" in conf.read_text()


def test_second_device_and_removing_none_are_errors(conf: Path) -> None:
    assert raised(lambda: quorum.remove_device(str(conf))) == ["QDEVICE_NOT_DEFINED"]
    quorum.add_device(str(conf), model="net", model_options=(("host", "q1"),))
    before = conf.read_bytes()
    assert raised(lambda: quorum.add_device(str(conf), model="net", force=True,
                                            model_options=(("host", "q2"),))) == [
        "QDEVICE_ALREADY_DEFINED"]
    assert conf.read_bytes() == before


def test_ffsplit_with_an_odd_number_of_nodes_warns(tmp_path: Path) -> None:
    conf = tmp_path / "corosync.conf"
    three = out.TWO_NODE_CONF.replace("\ttwo_node: 1\n", "").replace(
        "\t}\n}\n\nquorum", "\t}\n\tnode {\n\t\tnodeid: 3\n\t\tname: n3\n\t\tring0_addr: "
        "10.213.0.13\n\t}\n}\n\nquorum")
    conf.write_text(three)
    done = quorum.add_device(str(conf), model="net", model_options=(("host", "q"),))
    assert codes(done.reports)[:2] == ["QDEVICE_FFSPLIT_ODD_NODES", "QDEVICE_ADDED"]
    assert "COROSYNC_TWO_NODE_REMOVED" not in codes(done.reports)


def test_missing_or_broken_corosync_conf(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.conf")
    assert raised(lambda: quorum.add_device(missing, model="net",
                                            model_options=(("host", "q"),))) == [
        "COROSYNC_CONF_NOT_FOUND"]
    broken = tmp_path / "broken.conf"
    broken.write_text("quorum {\n\tprovider corosync_votequorum\n}\n")
    assert raised(lambda: quorum.remove_device(str(broken))) == ["COROSYNC_CONF_UNREADABLE"]


def test_device_status_runs_corosync_qdevice_tool() -> None:
    tools = runner(Call(("corosync-qdevice-tool", "-s", "-v"), 0, "Qdevice information\n"))
    assert quorum.device_status(tools, full=True) == "Qdevice information\n"
    stopped = runner(Call(("corosync-qdevice-tool", "-s"), 1, "",
                          "Can't connect to QDevice socket (is QDevice running?): No such file "
                          "or directory\n"))
    assert raised(lambda: quorum.device_status(stopped)) == ["QDEVICE_NOT_RUNNING"]


def test_device_status_parses_the_tool() -> None:
    parsed = quorum.parse_device_status(out.QDEVICE_CONNECTED)
    assert parsed == quorum.DeviceStatus(
        model="Net", node_id=2, cluster_name="vlqa1", qnetd_host="10.213.0.50:5403",
        algorithm="Fifty-Fifty split", tie_breaker="Node with lowest node ID", state="Connected")
    assert parsed.connected
    failed = quorum.parse_device_status(out.QDEVICE_CONNECTED.replace("Connected", "Connect failed"))
    assert not failed.connected
    assert quorum.parse_device_status("") == quorum.DeviceStatus(*[None] * 7)


def test_local_runner_reports_a_missing_program() -> None:
    result = LocalRunner().run(["vigil-no-such-tool-xyz"])
    assert result.returncode == NOT_FOUND and "not found" in result.message
    assert LocalRunner().run(["true"]).returncode == 0
