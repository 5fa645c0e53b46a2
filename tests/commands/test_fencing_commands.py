"""Fencing levels on a CIB file, and fence / confirm / history through LiveEnvironment against a
scripted vigild control socket."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cibs import DUMMY, cib_text, codes, fails, load, write_cib
from scripted import Exchange, FakeDaemon

from vigil.cib import write
from vigil.cib.io import load_cib_file
from vigil.commands import fencing, fencing_topology
from vigil.commands.env import FileEnvironment, LiveEnvironment
from vigil.daemon import control as c
from vigil.model import reports
from vigil.model.reports import ReportError

FENCES = "".join(f'<primitive id="{d}" class="stonith" type="fence_ipmilan"/>'
                 for d in ("f1", "f2", "f3"))


@pytest.fixture
def fenced(tmp_path: Path) -> Path:
    return write_cib(tmp_path / "cib.xml", FENCES + DUMMY.format(id="A"))


def test_levels_add_list_remove(fenced: Path) -> None:
    env = FileEnvironment(str(fenced))
    done = fencing.level_add(env, "1", "node1", ["f1"])
    assert codes(done.reports) == ["FENCING_LEVEL_ADDED"] and done.changed
    fencing.level_add(env, "2", "node1", ["f2,f3"])
    fencing.level_add(env, "1", "node2", ["f2", "f3"])
    found = fencing.levels(env)
    assert [(lv.target, lv.index, lv.devices, lv.id) for lv in found] == [
        ("node1", 1, ("f1",), "fl-node1-1"), ("node1", 2, ("f2", "f3"), "fl-node1-2"),
        ("node2", 1, ("f2", "f3"), "fl-node2-1")]
    removed = fencing.level_remove(env, "2", "node1")
    assert codes(removed.reports) == ["FENCING_LEVEL_REMOVED"]
    assert [lv.id for lv in fencing.levels(env)] == ["fl-node1-1", "fl-node2-1"]
    assert codes(fencing.level_remove(env, "1").reports) == ["FENCING_LEVEL_REMOVED"] * 2
    assert fencing.levels(env) == ()
    assert "<fencing-topology" in write.write_cib(load(fenced))  # kept, empty


def test_deleting_a_device_takes_it_out_of_the_levels(fenced: Path) -> None:
    from vigil.commands import resource

    env = FileEnvironment(str(fenced))
    fencing.level_add(env, "1", "node1", ["f1"])
    fencing.level_add(env, "2", "node1", ["f1,f2"])
    fencing.level_add(env, "1", "node2", ["f3"])
    done = resource.delete(env, "f1")
    assert codes(done.reports) == ["RESOURCE_REMOVED", "FENCING_LEVEL_DEVICES_CHANGED",
                                   "FENCING_LEVEL_REMOVED"]
    assert [(lv.target, lv.index, lv.devices) for lv in fencing.levels(env)] == [
        ("node1", 2, ("f2",)), ("node2", 1, ("f3",))]
    assert codes(resource.delete(env, "f3").reports)[-1] == "FENCING_LEVEL_REMOVED"
    assert [lv.devices for lv in fencing.levels(env)] == [("f2",)]


@pytest.mark.parametrize(("level", "node", "devices", "code"), [
    ("0", "node1", ["f1"], "FENCING_LEVEL_INVALID"),
    ("10", "node1", ["f1"], "FENCING_LEVEL_INVALID"),
    ("one", "node1", ["f1"], "FENCING_LEVEL_INVALID"),
    ("1", "node1", [","], "FENCING_LEVEL_NO_DEVICES"),
    ("1", "node1", ["f1,f1"], "FENCING_LEVEL_DEVICE_TWICE"),
    ("1", "node1", ["nothere"], "FENCE_DEVICE_NOT_FOUND"),
    ("1", "node1", ["A"], "NOT_A_FENCE_DEVICE"),
    ("1", "node9", ["f1"], "FENCING_TARGET_NOT_FOUND"),
])
def test_bad_levels_change_nothing(fenced: Path, level: str, node: str, devices: list[str],
                                   code: str) -> None:
    env = FileEnvironment(str(fenced))
    assert fails(fenced, lambda: fencing.level_add(env, level, node, devices)) == [code]


def test_forced_unknown_node_and_device(fenced: Path) -> None:
    env = FileEnvironment(str(fenced))
    done = fencing.level_add(env, "1", "node9", ["later"], force=True)
    assert codes(done.reports) == ["FENCE_DEVICE_NOT_FOUND", "FENCING_TARGET_NOT_FOUND",
                                   "FENCING_LEVEL_ADDED"]
    assert fails(fenced, lambda: fencing.level_add(env, "1", "node9", ["f1"], force=True)) == [
        "FENCING_TARGET_NOT_FOUND", "FENCING_LEVEL_EXISTS"]
    assert fails(fenced, lambda: fencing.level_remove(env, "3")) == ["FENCING_LEVEL_NOT_FOUND"]


def test_unknown_topology_content_is_refused_and_kept_with_force(tmp_path: Path) -> None:
    """An attribute Pacemaker's schema does not have (x-vendor) makes the file refused; with
    --force an edit goes through and keeps it, as the file had it (and adds no new error)."""
    path = tmp_path / "cib.xml"
    text = cib_text(FENCES).replace(
        "</configuration>",
        '<fencing-topology><fencing-level id="by-pattern" index="1" target-pattern="node.*" '
        'devices="f3" x-vendor="1"/></fencing-topology></configuration>')
    path.write_text(text)
    assert fails(path, lambda: fencing.level_add(FileEnvironment(str(path)), "2", "node1",
                                                 ["f1"])) == ["CIB_SCHEMA_UNKNOWN_ATTRIBUTE"]
    env = FileEnvironment(str(path), force=True)
    fencing.level_add(env, "2", "node1", ["f1"])
    config = load_cib_file(path, force=True)[0].configuration
    levels = fencing_topology.levels(config)
    assert [(lv.id, lv.target_text) for lv in levels] == [("by-pattern", "regexp%node.*"),
                                                          ("fl-node1-2", "node1")]
    assert 'x-vendor="1"' in path.read_text()
    fencing.level_clear(env, "node1")
    assert [lv.id for lv in fencing.levels(env)] == ["by-pattern"]


def test_acts_of_the_fencer_need_a_running_cluster(fenced: Path) -> None:
    env = FileEnvironment(str(fenced))
    for action in (lambda: fencing.fence(env, "node1"), lambda: fencing.confirm(env, "node1"),
                   lambda: fencing.history(env)):
        assert fails(fenced, action) == ["FENCING_NEEDS_RUNNING_CLUSTER"]


# -- the running cluster, through a scripted control socket ------------------------------------
CIB_REPLY: Exchange = (c.GetCib(), c.Answer(c.CibXml(cib_text(FENCES))))
REBOOT = c.FenceAction.REBOOT


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Callable[..., LiveEnvironment]]:
    made: list[FakeDaemon] = []

    def start(*script: Exchange) -> LiveEnvironment:
        fake = FakeDaemon(tmp_path / f"vigild-{len(made)}.sock", list(script))
        made.append(fake)
        return LiveEnvironment(fake.path, timeout=5)

    yield start
    for fake in made:
        fake.check_done()


Daemon = Callable[..., LiveEnvironment]


def test_fence_reboot_and_off(daemon: Daemon) -> None:
    outcome = c.FenceOutcome(target="node2", action="reboot", ok=True, device="f2",
                             duration_ms=1520, time=1764000000, executioner="node1")
    env = daemon(CIB_REPLY, (c.Fence("node2", REBOOT), c.Answer(outcome)))
    done = fencing.fence(env, "node2")
    assert (done.ok, done.device, done.duration_ms, done.executioner) == (True, "f2", 1520,
                                                                          "node1")
    env = daemon(CIB_REPLY, (c.Fence("node2", c.FenceAction.OFF),
                             c.Answer(dataclasses.replace(outcome, action="off"))))
    assert fencing.fence(env, "node2", off=True).action == "off"


def test_a_failed_fence_is_an_error_with_the_reason(daemon: Daemon) -> None:
    env = daemon(CIB_REPLY, (c.Fence("node2", REBOOT), c.Answer(c.FenceOutcome(
        target="node2", action="reboot", ok=False, device="f2", detail="timed out"))))
    with pytest.raises(ReportError) as exc:
        fencing.fence(env, "node2")
    report = exc.value.reports[0]
    assert (report.code, report.field("detail")) == ("FENCE_FAILED", "timed out")


def test_fence_of_an_unknown_node_asks_nothing(daemon: Daemon) -> None:
    env = daemon(CIB_REPLY)
    with pytest.raises(ReportError) as exc:
        fencing.fence(env, "node9")
    assert codes(exc.value.reports) == ["NODE_NOT_FOUND"]


def test_confirm_and_history(daemon: Daemon) -> None:
    confirmed = c.FenceOutcome(target="node1", action="off", ok=True, manual=True)
    env = daemon(CIB_REPLY, (c.ConfirmFenced("node1"), c.Answer(confirmed)))
    assert codes(fencing.confirm(env, "node1")) == ["FENCE_CONFIRMED"]
    history = c.FenceHistory((
        c.FenceOutcome(target="node2", action="reboot", ok=True, time=20,
                       executioner="node1", device="f2"),
        dataclasses.replace(confirmed, time=10)))
    env = daemon((c.GetFenceHistory(), c.Answer(history)),
                 (c.GetFenceHistory(), c.Answer(history)))
    assert [(e.target, e.time, e.manual) for e in fencing.history(env)] == [
        ("node1", 10, True), ("node2", 20, False)]
    assert [e.target for e in fencing.history(env, "node2")] == ["node2"]


def test_daemon_reports_and_an_older_daemon(daemon: Daemon) -> None:
    not_found = reports.error("NODE_NOT_FOUND", node="node1", known="x")
    env = daemon((c.GetFenceHistory(), c.refused(c.IPC_UNKNOWN_OP, op="fence-history")),
                 (c.ConfirmFenced("node1"), c.Refused((not_found,))))
    with pytest.raises(ReportError) as exc:
        env.fence_history()
    assert (exc.value.reports[0].code, exc.value.reports[0].field("command")) == (
        "NOT_SUPPORTED_YET", "fence-history")
    with pytest.raises(ReportError) as exc:
        env.confirm("node1")
    assert exc.value.reports == (not_found,)


def test_no_daemon(tmp_path: Path) -> None:
    env = LiveEnvironment(str(tmp_path / "none.sock"))
    with pytest.raises(ReportError) as exc:
        fencing.history(env)
    assert codes(exc.value.reports) == ["DAEMON_NOT_RUNNING"]
