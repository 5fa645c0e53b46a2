"""The executor-backed agent catalog, on a private host layout with an agent written here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cibs import DUMMY, write_cib

from vigil.cib.io import load_cib_file
from vigil.commands import resource
from vigil.commands.agents import AgentName
from vigil.commands.env import FileEnvironment
from vigil.commands.local_agents import ExecutorCatalog
from vigil.commands.resource import ResourceSpec
from vigil.executor.agents import AgentPaths
from vigil.model.reports import ReportError
from vigil.model.resources import Primitive

METADATA = """<?xml version="1.0"?>
<resource-agent name="Fake" version="1.0">
  <version>1.1</version>
  <shortdesc lang="en">A fake address</shortdesc>
  <longdesc lang="en">Written by the test.</longdesc>
  <parameters>
    <parameter name="ip" required="1"><shortdesc lang="en">the address</shortdesc>
      <content type="string"/></parameter>
    <parameter name="nic"><shortdesc lang="en">the interface</shortdesc>
      <content type="string" default="eth0"/></parameter>
  </parameters>
  <actions>
    <action name="start" timeout="20s"/>
    <action name="stop" timeout="20s"/>
    <action name="monitor" interval="15s" timeout="25s"/>
    <action name="meta-data" timeout="5s"/>
  </actions>
</resource-agent>
"""


@pytest.fixture
def catalog(tmp_path: Path) -> ExecutorCatalog:
    agent = tmp_path / "ocf" / "resource.d" / "test" / "Fake"
    agent.parent.mkdir(parents=True)
    agent.write_text(f"#!/bin/sh\ncase \"$1\" in\nmeta-data) cat <<'EOF'\n{METADATA}EOF\n"
                     ";;\n*) exit 3;;\nesac\n")
    os.chmod(agent, 0o755)
    return ExecutorCatalog(AgentPaths(
        ocf_root=tmp_path / "ocf", init_dir=tmp_path / "init.d", fence_dir=tmp_path / "sbin",
        systemd_run_dir=tmp_path / "no-systemd", unit_dirs=(tmp_path / "units",),
        systemctl=str(tmp_path / "no-systemctl")))


def test_lists_and_describes_installed_agents(catalog: ExecutorCatalog) -> None:
    assert "ocf" in catalog.standards()
    assert catalog.providers() == ("test",)
    assert catalog.agents("ocf", None) == (AgentName("ocf", "test", "Fake"),)
    meta = catalog.metadata(AgentName("ocf", "test", "Fake"))
    assert meta is not None and meta.shortdesc == "A fake address"
    assert [(p.name, p.required, p.default) for p in meta.parameters] == [
        ("ip", True, None), ("nic", False, "eth0")]
    assert ("monitor", "15s", "25s") in [(a.name, a.interval, a.timeout) for a in meta.actions]
    assert catalog.metadata(AgentName("ocf", "test", "Missing")) is None


def test_create_with_the_installed_agents(catalog: ExecutorCatalog, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A"))
    env = FileEnvironment(str(path))
    done = resource.create(env, "ip", "Fake", ResourceSpec(instance=(("ip", "10.0.0.1"),)),
                           catalog=catalog)
    assert [r.code for r in done.reports] == ["AGENT_NAME_DEDUCED"]
    created = load_cib_file(path)[0].configuration.resources[-1]
    assert isinstance(created, Primitive) and created.agent == "ocf:test:Fake"
    assert [(o.name, o.interval, o.timeout) for o in created.operations] == [
        ("monitor", "15s", "25s")]
    before = path.read_bytes()
    with pytest.raises(ReportError) as exc:
        resource.create(env, "ip2", "ocf:test:Fake", ResourceSpec(), catalog=catalog)
    assert [r.code for r in exc.value.reports] == ["AGENT_PARAMETER_MISSING"]
    with pytest.raises(ReportError) as exc:
        resource.create(env, "x", "ocf:test:Nope", ResourceSpec(), catalog=catalog)
    assert [r.code for r in exc.value.reports] == ["AGENT_NOT_FOUND"]
    assert path.read_bytes() == before
