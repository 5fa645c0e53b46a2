"""`vigil quorum ...` with Corosync's tools scripted and corosync.conf in a temporary file."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import corosync_samples as out
import pytest
from cibs import Run
from scripted import Call, ScriptedRunner, runner

from vigil.cli import quorum_cli

STATUS = ("corosync-quorumtool", "-s")
WAIT_STATUS = ("corosync-cmapctl", "-g", "runtime.votequorum.wait_for_all_status")
CANCEL = ("corosync-cmapctl", "-s", "quorum.cancel_wait_for_all", "u8", "1")

Script = Callable[..., ScriptedRunner]


@pytest.fixture
def conf(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    path = tmp_path / "corosync.conf"
    path.write_text(out.TWO_NODE_CONF)
    monkeypatch.setenv("VIGIL_COROSYNC_CONF", str(path))
    return path


@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch) -> Iterator[Script]:
    """Install a scripted runner for the command about to run; checked when the test ends."""
    made: list[ScriptedRunner] = []

    def script(*calls: Call) -> ScriptedRunner:
        fake = runner(*calls)
        made.append(fake)
        monkeypatch.setattr(quorum_cli, "runner", lambda: fake)
        return fake

    yield script
    for fake in made:
        fake.check_done()


def test_status_prints_the_tool_and_json_has_the_fields(vigil: Run, tools: Script) -> None:
    tools(Call(STATUS, 0, out.QUORATE))
    code, text, err = vigil("quorum", "status")
    assert (code, text, err) == (0, out.QUORATE, "")
    tools(Call(STATUS, 0, out.QUORATE))
    code, text, _ = vigil("quorum", "--output", "json")
    data = json.loads(text)
    assert data["quorate"] is True and data["two_node"] is True and "text" not in data
    assert [m["name"] for m in data["members"]] == ["n1", "n2"]


def test_not_running_is_one_line_exit_1(vigil: Run, tools: Script) -> None:
    tools(Call(STATUS, 1, "", out.NOT_RUNNING))
    code, text, err = vigil("quorum", "status")
    assert code == 1 and text == ""
    assert err == ("error: Corosync is not running on this node (corosync-quorumtool: Cannot "
                   "initialize CMAP service): start the cluster on this node (vigil cluster "
                   "start, or systemctl start corosync)\n")


def test_expected_votes(vigil: Run, tools: Script) -> None:
    tools(Call(("corosync-quorumtool", "-e", "3")))
    code, _, err = vigil("quorum", "expected-votes", "3")
    assert code == 0 and err.startswith("info: expected votes set to 3")
    tools()
    code, _, err = vigil("quorum", "expected-votes", "none")
    assert code == 2 and err.startswith("error: 'none' is not a number of votes")
    tools(Call(("corosync-quorumtool", "-e", "1"), 1, "", out.EXPECTED_REFUSED))
    code, _, err = vigil("quorum", "expected-votes", "1")
    assert code == 2 and "cannot be lower than the votes present" in err


def test_unblock_needs_force_without_a_terminal(vigil: Run, tools: Script, conf: Path) -> None:
    tools(Call(WAIT_STATUS, 0, out.WAIT_FOR_ALL_1), Call(STATUS, 2, out.WAITING))
    code, _, err = vigil("quorum", "unblock")
    assert code == 2
    assert err.splitlines()[0].startswith("WARNING: if the nodes n2 are not powered off")
    assert err.splitlines()[1].endswith("(use --force to override)")
    tools(Call(WAIT_STATUS, 0, out.WAIT_FOR_ALL_1), Call(STATUS, 2, out.WAITING), Call(CANCEL))
    code, _, err = vigil("quorum", "unblock", "--force")
    assert code == 0 and err.startswith("info: wait_for_all cancelled")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "calls", "status"), [
    ("yes\n", [Call(CANCEL)], 0),
    ("n\n", [], 1),
])
def test_unblock_asks_on_a_terminal(vigil: Run, tools: Script, conf: Path,
                                    monkeypatch: pytest.MonkeyPatch, answer: str,
                                    calls: list[Call], status: int) -> None:
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    tools(Call(WAIT_STATUS, 0, out.WAIT_FOR_ALL_1), Call(STATUS, 2, out.WAITING), *calls)
    code, _, err = vigil("quorum", "unblock")
    assert code == status
    assert "Are you sure you want to continue? [y/N]" in err


def test_unblock_when_nothing_waits(vigil: Run, tools: Script) -> None:
    tools(Call(WAIT_STATUS, 0, out.WAIT_FOR_ALL_0))
    code, _, err = vigil("quorum", "unblock", "--force")
    assert code == 1 and err.startswith("error: the cluster is not waiting")


def test_device_add_config_remove(vigil: Run, tools: Script, conf: Path) -> None:
    tools()
    code, _, err = vigil("quorum", "device", "add", "model", "net", "host=qnetd.example",
                         "algorithm=lms")
    assert code == 0, err
    assert "corosync-qdevice is installed on every node" in err
    assert f"{conf} is copied to every node" in err
    assert "two_node removed" in err
    code, text, _ = vigil("quorum", "config")
    assert text == ("Options:\n  provider: corosync_votequorum\nDevice:\n  Model: net\n"
                    "    host: qnetd.example\n    algorithm: lms\n")
    code, _, err = vigil("quorum", "device", "add", "model", "net", "host=other")
    assert code == 2 and "already configured" in err
    code, _, err = vigil("quorum", "device", "remove")
    assert code == 0 and conf.read_text() == out.TWO_NODE_CONF


@pytest.mark.parametrize("argv", [
    ["quorum", "device", "add", "host=q"],  # no model
    ["quorum", "device", "add", "model"],
    ["quorum", "device", "add", "model", "net", "host=q", "algorithm=coin"],
    ["quorum", "device", "add", "model", "net", "host=q", "colour=blue"],
    ["quorum", "device", "add", "model", "net", "algorithm=lms"],
    ["quorum", "device", "add", "votes=x", "model", "net", "host=q"],
    ["quorum", "device", "add", "model", "net", "host"],
    ["quorum", "device", "frobnicate"],
    ["quorum", "frobnicate"],
    ["quorum", "expected-votes"],
    ["-f", "cib.xml", "quorum", "status"],
])
def test_bad_quorum_commands_change_nothing(vigil: Run, tools: Script, conf: Path,
                                            argv: list[str]) -> None:
    tools()
    before = conf.read_bytes()
    code, _, err = vigil(*argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert conf.read_bytes() == before


def test_device_commands_on_a_missing_file(vigil: Run, tools: Script, tmp_path: Path) -> None:
    tools()
    code, _, err = vigil("quorum", "device", "remove", "--corosync_conf",
                         str(tmp_path / "none.conf"))
    assert code == 1 and "does not exist" in err


def test_device_status(vigil: Run, tools: Script) -> None:
    tools(Call(("corosync-qdevice-tool", "-s"), 0, "Qdevice information\n"))
    assert vigil("quorum", "device", "status") == (0, "Qdevice information\n", "")
    tools(Call(("corosync-qdevice-tool", "-s"), 127, "", "not found"))
    code, _, err = vigil("quorum", "device", "status")
    assert code == 1 and "install the corosync-qdevice package" in err


MEMBERSHIP = """
Membership information
----------------------
    Nodeid      Votes Name
         1          1 n1 (local)
         2          1 n2
"""


def test_status_corosync_is_the_membership(vigil: Run, tools: Script) -> None:
    tools(Call(("corosync-quorumtool", "-l"), 0, MEMBERSHIP))
    code, text, err = vigil("status", "corosync")
    assert (code, text, err) == (0, MEMBERSHIP, "")
    tools(Call(("corosync-quorumtool", "-l"), 1, "", out.NOT_RUNNING))
    code, text, err = vigil("status", "corosync")
    assert code == 1 and text == "" and "Corosync is not running on this node" in err


@pytest.mark.parametrize(("words", "said"), [
    (("qdevice", "start"), "give the model: qdevice start model net"),
    (("qdevice", "setup", "model", "disk"), "'disk' is not a quorum device model"),
    (("qdevice", "setup", "model", "net", "--full"), "--full"),
    (("qdevice", "status", "model", "net", "extra"), "extra"),
    (("qdevice", "launch", "model", "net"), "unknown qdevice command 'launch'"),
    (("--host", "n1", "qdevice", "status", "model", "net"), "--host is not supported by "
                                                             "'qdevice'"),
])
def test_qdevice_bad_words_are_one_line_and_change_nothing(vigil: Run, words: tuple[str, ...],
                                                           said: str) -> None:
    code, text, err = vigil(*words)
    assert code == 2 and text == "" and said in err and len(err.splitlines()) == 1, err


def test_qdevice_help_names_every_command(vigil: Run) -> None:
    code, text, _ = vigil("qdevice", "--help")
    assert code == 0
    for word in ("setup", "status", "start", "stop", "enable", "disable", "destroy"):
        assert word in text


def test_device_remove_force_is_for_the_whole_cluster(vigil: Run, conf: Path) -> None:
    before = conf.read_text()
    code, _, err = vigil("quorum", "device", "remove", "--force")
    assert code == 2 and "across the cluster" in err
    assert conf.read_text() == before
