"""`resource restart` against a scripted running cluster: a CIB file for the configuration, and a
status that follows the target-role the way a cluster would, a few polls later (or never)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from cibs import DUMMY, KEY, codes, load, write_cib

from vigil.cib.read import parse_cib
from vigil.commands import edit, status
from vigil.commands.env import FileEnvironment
from vigil.model.cib import Cib
from vigil.model.reports import ReportError
from vigil.model.status import NodeState
from vigil.model.version import CibVersion


def _lrm(ids: list[str]) -> str:
    rows = []
    for call, rsc in enumerate(ids, start=10):
        key = KEY.format(rc=0)
        rows.append(f'<lrm_resource id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">'
                    f'<lrm_rsc_op id="{rsc}_last_0" operation_key="{rsc}_start_0" '
                    f'operation="start" transition-key="{key}" transition-magic="0:0;{key}" '
                    f'call-id="{call}" rc-code="0" op-status="0" interval="0" '
                    f'last-rc-change="1764000000" on_node="node1"/></lrm_resource>')
    return f'<lrm id="1"><lrm_resources>{"".join(rows)}</lrm_resources></lrm>'


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


class ScriptedCluster(FileEnvironment):
    """A running cluster: resources whose target-role is Stopped stop `stop_after` polls after
    the change, the others start `start_after` polls after it (never, with None)."""

    def __init__(self, path: Path, primitives: list[str], *, stop_after: int | None = 2,
                 start_after: int | None = 2) -> None:
        super().__init__(str(path), clock=1_764_000_100)
        self.primitives = primitives
        self.stop_after, self.start_after = stop_after, start_after
        self.polls = 0
        self.roles: list[str | None] = []  # every target-role pushed, in order
        self.running = set(primitives)

    def cleanup(self, resource: str, node: str | None) -> None:  # a RunningCluster
        raise AssertionError("not expected")

    def _wanted(self, cib: Cib) -> set[str]:
        out = set()
        for rsc_id in self.primitives:
            stopped = False
            rsc_id_or_parent: str | None = rsc_id
            while rsc_id_or_parent is not None:
                rsc = edit.find_resource(cib, rsc_id_or_parent)
                assert rsc is not None
                role = edit.plain_value(rsc.meta_attributes, "target-role")
                stopped = stopped or (role or "").lower() == "stopped"
                parent = edit.parent_of(cib, rsc_id_or_parent)
                rsc_id_or_parent = parent.id if parent is not None else None
            if not stopped:
                out.add(rsc_id)
        return out

    def get_cib(self) -> Cib:
        cib = super().get_cib()
        self.polls += 1
        wanted = self._wanted(cib)
        for rsc in self.primitives:
            if rsc in self.running and rsc not in wanted and self.stop_after is not None \
                    and self.polls > self.stop_after:
                self.running.discard(rsc)
            if rsc not in self.running and rsc in wanted and self.start_after is not None \
                    and self.polls > self.start_after:
                self.running.add(rsc)
        ran = [r for r in self.primitives if r in self.running]
        state, _ = parse_cib(
            '<cib epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config/><nodes/>'
            '<resources/><constraints/></configuration><status>'
            '<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" '
            f'expected="member">{_lrm(ran)}</node_state></status></cib>')
        node1: NodeState = state.status[0]
        return dataclasses.replace(cib, status=(node1, *cib.status[1:]))

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        stored = super().push_cib(cib, read_version=read_version)
        rsc = edit.find_resource(cib, self.target)
        assert rsc is not None
        self.roles.append(edit.plain_value(rsc.meta_attributes, "target-role"))
        self.polls = 0
        return stored

    target = "A"


def restart(env: ScriptedCluster, resource: str, node: str | None = None,
            timeout: float = 10) -> list[str]:
    clock = Clock()
    env.target = resource
    done = status.restart(env, resource, node, timeout=timeout, clock=clock.now,
                          sleep=clock.sleep, poll=0.5)
    return codes(done.reports)


def role(path: Path, rsc: str) -> str | None:
    found = edit.find_resource(load(path), rsc)
    assert found is not None
    return edit.plain_value(found.meta_attributes, "target-role")


def test_restart_stops_then_starts_and_restores_the_target_role(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A") + DUMMY.format(id="B"))
    env = ScriptedCluster(path, ["A"])
    assert restart(env, "A") == ["RESOURCE_RESTARTED"]
    assert env.roles == ["Stopped", None]  # set, then removed again: as it was
    assert role(path, "A") is None and env.running == {"A"}


def test_a_previous_target_role_comes_back(tmp_path: Path) -> None:
    meta = ('<meta_attributes id="A-meta_attributes"><nvpair id="A-meta_attributes-target-role" '
            'name="target-role" value="Started"/></meta_attributes>')
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A").replace(
        "<operations>", meta + "<operations>"))
    env = ScriptedCluster(path, ["A"])
    restart(env, "A", "node1")
    assert env.roles == ["Stopped", "Started"] and role(path, "A") == "Started"


def test_restart_of_a_group(tmp_path: Path) -> None:
    group = f'<group id="G">{DUMMY.format(id="A")}{DUMMY.format(id="B")}</group>'
    path = write_cib(tmp_path / "cib.xml", group)
    env = ScriptedCluster(path, ["A", "B"])
    assert restart(env, "G") == ["RESOURCE_RESTARTED"]
    assert env.roles == ["Stopped", None] and env.running == {"A", "B"}


def test_restart_of_a_clone(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml", f'<clone id="C">{DUMMY.format(id="A")}</clone>')
    env = ScriptedCluster(path, ["A"])
    assert restart(env, "C") == ["RESOURCE_RESTARTED"]
    assert env.roles == ["Stopped", None]
    with pytest.raises(ReportError) as exc:
        restart(env, "C", "node1")  # one instance alone: not yet
    assert codes(exc.value.reports) == ["NOT_SUPPORTED_YET"]


@pytest.mark.parametrize(("stop_after", "start_after", "phase"), [(None, 2, "stop"),
                                                                  (2, None, "start")])
def test_a_timeout_leaves_the_target_role_as_it_was(tmp_path: Path, stop_after: int | None,
                                                     start_after: int | None, phase: str) -> None:
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A"))
    env = ScriptedCluster(path, ["A"], stop_after=stop_after, start_after=start_after)
    with pytest.raises(ReportError) as exc:
        restart(env, "A", timeout=5)
    assert codes(exc.value.reports) == ["RESTART_TIMEOUT"]
    assert exc.value.reports[0].field("phase") == phase
    assert env.roles == ["Stopped", None] and role(path, "A") is None


def test_what_cannot_be_restarted(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A") + DUMMY.format(id="B"))
    env = ScriptedCluster(path, ["A"])
    before = path.read_bytes()
    for rsc, node, code in (("B", None, "RESOURCE_NOT_RUNNING"),
                            ("A", "node2", "RESOURCE_NOT_RUNNING_ON_NODE"),
                            ("A", "node9", "NODE_NOT_FOUND"), ("ghost", None, "RESOURCE_NOT_FOUND")):
        with pytest.raises(ReportError) as exc:
            restart(env, rsc, node)
        assert codes(exc.value.reports) == [code]
    assert path.read_bytes() == before and env.roles == []
