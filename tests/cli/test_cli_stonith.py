"""`vigil stonith level|fence|confirm|history|update` and the fencer's pcmk_* parameters."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cibs import DUMMY, Run, cib_text, load, write_cib
from scripted import Exchange, FakeDaemon

from vigil.commands import edit
from vigil.daemon import control as c

FENCES = "".join(f'<primitive id="{d}" class="stonith" type="fence_ipmilan"/>'
                 for d in ("f1", "f2"))
Daemon = Callable[..., FakeDaemon]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return write_cib(tmp_path / "cib.xml", FENCES + DUMMY.format(id="A"))


@pytest.fixture
def daemon(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Daemon]:
    made: list[FakeDaemon] = []

    def start(*script: Exchange) -> FakeDaemon:
        fake = FakeDaemon(tmp_path / f"d{len(made)}.sock", list(script))
        made.append(fake)
        monkeypatch.setenv("VIGIL_SOCKET", fake.path)
        return fake

    yield start
    for fake in made:
        fake.check_done()


CIB: Exchange = (c.GetCib(), c.Answer(c.CibXml(cib_text(FENCES))))


def test_levels_round_trip(vigil: Run, path: Path) -> None:
    assert vigil("-f", str(path), "stonith", "level", "add", "1", "node1", "f1")[0] == 0
    assert vigil("-f", str(path), "stonith", "level", "add", "2", "node1", "f1,f2")[0] == 0
    assert vigil("-f", str(path), "stonith", "level", "add", "1", "node2", "f2", "f1")[0] == 0
    code, out, _ = vigil("-f", str(path), "stonith", "level")
    assert out == ("Target: node1\n  Level 1 - f1\n  Level 2 - f1,f2\n"
                   "Target: node2\n  Level 1 - f2,f1\n")
    assert vigil("-f", str(path), "stonith", "level", "config")[1] == out
    code, text, _ = vigil("-f", str(path), "config")
    assert "Fencing Levels:\n  Target: node1\n    Level 1 - f1\n" in text
    data = json.loads(vigil("-f", str(path), "stonith", "level", "--output", "json")[1])
    assert [d["id"] for d in data] == ["fl-node1-1", "fl-node1-2", "fl-node2-1"]
    code, _, err = vigil("-f", str(path), "stonith", "level", "remove", "1", "node2")
    assert code == 0 and err == "info: removed level 1 of node2 (f2,f1)\n"
    code, _, err = vigil("-f", str(path), "stonith", "level", "clear")
    assert code == 0 and vigil("-f", str(path), "stonith", "level")[1] == ""


@pytest.mark.parametrize("argv", [
    ["stonith", "level", "add", "1", "node1"],
    ["stonith", "level", "add", "x", "node1", "f1"],
    ["stonith", "level", "add", "1", "node1", "A"],
    ["stonith", "level", "add", "1", "node1", "ghost"],
    ["stonith", "level", "add", "1", "nodeX", "f1"],
    ["stonith", "level", "remove", "4", "node1"],
    ["stonith", "level", "remove"],
    ["stonith", "level", "frob"],
    ["stonith", "fence", "node1"],  # -f: needs a running cluster... exit 1, see below
])
def test_bad_stonith_commands_change_nothing(vigil: Run, path: Path, argv: list[str]) -> None:
    before = path.read_bytes()
    code, _, err = vigil("-f", str(path), *argv)
    assert code == (1 if argv[1] == "fence" else 2)
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert path.read_bytes() == before


def test_fencer_acts_offline_say_they_need_a_running_cluster(vigil: Run, path: Path) -> None:
    for argv in (["fence", "node1"], ["confirm", "node1", "--force"], ["history"]):
        code, _, err = vigil("-f", str(path), "stonith", *argv)
        assert code == 1
        assert err.endswith("needs a running cluster: it asks the cluster's fencer, which a CIB "
                            "file (-f) does not have\n")


def test_fence(vigil: Run, daemon: Daemon) -> None:
    daemon(CIB, (c.Fence("node2", c.FenceAction.OFF),
                 c.Answer(c.FenceOutcome(target="node2", action="off", ok=True,
                                         device="f2", duration_ms=2000))))
    assert vigil("stonith", "fence", "node2", "--off") == (
        0, "Node: node2 powered off by f2 in 2.0 s\n", "")
    daemon(CIB, (c.Fence("node2", c.FenceAction.REBOOT),
                 c.Answer(c.FenceOutcome(target="node2", action="reboot", ok=False,
                                         detail="no device can fence node2"))))
    code, out, err = vigil("stonith", "fence", "node2")
    assert code == 1 and out == ""
    assert err.startswith("error: fencing node2 (reboot) failed: no device can fence node2;")


CONFIRM: Exchange = (c.ConfirmFenced("node1"), c.Answer(c.FenceOutcome(
    target="node1", action="off", ok=True, manual=True)))


def test_confirm_needs_force_or_a_yes(vigil: Run, daemon: Daemon,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    daemon()
    code, _, err = vigil("stonith", "confirm", "node1")
    assert code == 2
    warning, error = err.splitlines()
    assert warning.startswith("WARNING: if node node1 is not powered off") and "data " \
        "corruption" in warning
    assert error.endswith("(use --force to override)")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    assert vigil("stonith", "confirm", "node1")[0] == 1
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    daemon(CIB, CONFIRM)
    code, out, _ = vigil("stonith", "confirm", "node1")
    assert (code, out) == (0, "Node: node1 confirmed fenced\n")
    daemon(CIB, CONFIRM)
    assert vigil("stonith", "confirm", "node1", "--force")[0] == 0


def test_history(vigil: Run, daemon: Daemon) -> None:
    history = c.FenceHistory((
        c.FenceOutcome(target="node2", action="reboot", ok=True, time=1764000000,
                       executioner="node1", device="f2"),
        c.FenceOutcome(target="node1", action="off", ok=False, time=1764000300,
                       executioner="node2", device="f1", detail="timed out")))
    daemon((c.GetFenceHistory(), c.Answer(history)))
    code, out, _ = vigil("stonith", "history")
    assert out.splitlines() == [
        "reboot of node2 successful: device=f2, executioner=node1, completed "
        "2025-11-24 16:00:00Z",
        "off of node1 failed: device=f1, executioner=node2, completed 2025-11-24 16:05:00Z "
        "(timed out)"]
    daemon((c.GetFenceHistory(), c.Answer(history)))
    data = json.loads(vigil("stonith", "history", "show", "node1", "--output", "json")[1])
    assert [e["target"] for e in data] == ["node1"]
    daemon((c.GetFenceHistory(), c.Answer(c.FenceHistory(()))))
    assert vigil("stonith", "history", "node3")[1] == "No fencing history for node3\n"


def test_fence_device_parameters_of_the_fencer(vigil: Run, path: Path) -> None:
    code, _, err = vigil("-f", str(path), "stonith", "create", "f3", "fence_ipmilan",
                         "ip=10.0.0.3", "username=admin", "password=secret",
                         "pcmk_host_list=node1", "pcmk_host_map=node1:3;node2:4",
                         "pcmk_delay_base=2s", "pcmk_delay_max=10s", "op", "monitor",
                         "interval=60s")
    assert code == 0, err
    rsc = edit.find_resource(load(path), "f3")
    assert rsc is not None
    code, _, err = vigil("-f", str(path), "stonith", "update", "f3", "pcmk_delay_max=20s")
    assert code == 0, err
    before = path.read_bytes()
    code, _, err = vigil("-f", str(path), "stonith", "update", "f3", "pcmk_dealy_max=20s")
    assert code == 2 and "did you mean: pcmk_delay_max" in err
    code, _, err = vigil("-f", str(path), "stonith", "update", "f3", "pcmk_delay_max=later")
    assert code == 2 and "it must be a time" in err
    assert path.read_bytes() == before
