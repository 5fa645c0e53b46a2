"""Agent names, resolution on a host, listing. Assertions are on report codes and fields."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from executor_support import PROVIDER, real_agent, write_script

from vigil.executor import agents
from vigil.executor.agents import AgentPaths, AgentRef, Standard, list_agents, parse_agent_name, resolve_agent
from vigil.model.reports import ReportError


def codes(exc: pytest.ExceptionInfo[ReportError]) -> list[str]:
    return [r.code for r in exc.value.reports]


@pytest.mark.parametrize(("text", "ref"), [
    ("ocf:heartbeat:IPaddr2", AgentRef(Standard.OCF, "IPaddr2", "heartbeat")),
    ("lsb:apache2", AgentRef(Standard.LSB, "apache2")),
    ("systemd:nginx", AgentRef(Standard.SYSTEMD, "nginx")),
    ("service:nginx", AgentRef(Standard.SERVICE, "nginx")),
    ("stonith:fence_ipmilan", AgentRef(Standard.STONITH, "fence_ipmilan")),
    ("OCF:pacemaker:Dummy", AgentRef(Standard.OCF, "Dummy", "pacemaker")),
    ("systemd:getty@tty1", AgentRef(Standard.SYSTEMD, "getty@tty1")),
])
def test_names_parse(text: str, ref: AgentRef) -> None:
    assert parse_agent_name(text) == ref


@pytest.mark.parametrize(("text", "code"), [
    ("ocf:IPaddr2", "AGENT_NAME_INVALID"),  # no provider
    ("lsb:x:apache2", "AGENT_NAME_INVALID"),  # provider where there is none
    ("ocf:heartbeat:../../../bin/sh", "AGENT_NAME_INVALID"),
    ("ocf:..:Dummy", "AGENT_NAME_INVALID"),
    ("lsb:", "AGENT_NAME_INVALID"),
    ("IPaddr2", "AGENT_NAME_INVALID"),
    ("upstart:foo", "AGENT_STANDARD_UNKNOWN"),
])
def test_bad_names_are_reports(text: str, code: str) -> None:
    with pytest.raises(ReportError) as exc:
        parse_agent_name(text)
    assert codes(exc) == [code]


def test_real_ocf_agent_resolves() -> None:
    spec = real_agent("ocf:heartbeat:IPaddr2")
    assert spec.path == Path("/usr/lib/ocf/resource.d/heartbeat/IPaddr2")
    assert spec.runs_as is Standard.OCF
    assert spec.name == "ocf:heartbeat:IPaddr2"


def test_unknown_agent_names_what_was_searched(paths: AgentPaths) -> None:
    with pytest.raises(ReportError) as exc:
        resolve_agent("ocf:heartbeat:NoSuchAgent", paths=paths)
    (report,) = exc.value.reports
    assert report.code == "AGENT_NOT_FOUND"
    assert report.field("agent") == "ocf:heartbeat:NoSuchAgent"
    assert report.field("searched") == str(paths.ocf_resource_dir / "heartbeat" / "NoSuchAgent")


def test_non_executable_agent_is_not_found(paths: AgentPaths) -> None:
    script = paths.ocf_resource_dir / PROVIDER / "plain"
    script.write_text("#!/bin/sh\nexit 0\n")
    with pytest.raises(ReportError) as exc:
        resolve_agent(f"ocf:{PROVIDER}:plain", paths=paths)
    assert codes(exc) == ["AGENT_NOT_FOUND"]


def test_stonith_resolves_to_the_fence_agent_path(paths: AgentPaths) -> None:
    write_script(paths.fence_dir / "fence_x", "#!/bin/sh\nexit 0\n")
    spec = resolve_agent("stonith:fence_x", paths=paths)
    assert spec.path == paths.fence_dir / "fence_x"
    assert spec.runs_as is Standard.STONITH
    with pytest.raises(ReportError) as exc:
        resolve_agent("stonith:fence_y", paths=paths)
    assert exc.value.reports[0].field("searched") == str(paths.fence_dir / "fence_y")


def test_service_is_lsb_without_systemd(paths: AgentPaths) -> None:
    write_script(paths.init_dir / "web", "#!/bin/sh\nexit 0\n")
    (paths.unit_dirs[0]).mkdir(parents=True)
    (paths.unit_dirs[0] / "web.service").write_text("[Service]\nExecStart=/bin/true\n")
    spec = resolve_agent("service:web", paths=paths)
    assert (spec.standard, spec.runs_as) == (Standard.SERVICE, Standard.LSB)
    assert spec.path == paths.init_dir / "web"


def test_service_is_systemd_where_systemd_runs(paths: AgentPaths) -> None:
    paths.systemd_run_dir.mkdir()
    paths.unit_dirs[0].mkdir(parents=True)
    (paths.unit_dirs[0] / "web.service").write_text("[Service]\nExecStart=/bin/true\n")
    write_script(paths.init_dir / "web", "#!/bin/sh\nexit 0\n")
    spec = resolve_agent("service:web", paths=paths)
    assert (spec.standard, spec.runs_as, spec.path, spec.unit) == (
        Standard.SERVICE, Standard.SYSTEMD, None, "web.service")
    # ...but an init script still serves where systemd has no unit of that name.
    write_script(paths.init_dir / "old", "#!/bin/sh\nexit 0\n")
    assert resolve_agent("service:old", paths=paths).runs_as is Standard.LSB


def test_service_not_found_lists_both_places(paths: AgentPaths) -> None:
    paths.systemd_run_dir.mkdir()
    with pytest.raises(ReportError) as exc:
        resolve_agent("service:nothing", paths=paths)
    searched = exc.value.reports[0].field("searched")
    assert str(paths.unit_dirs[0] / "nothing.service") in searched
    assert str(paths.init_dir / "nothing") in searched


def test_systemd_unit_resolves_even_without_systemd(paths: AgentPaths) -> None:
    """The configuration is valid; running it says NOT_INSTALLED (see test_run)."""
    paths.unit_dirs[0].mkdir(parents=True)
    (paths.unit_dirs[0] / "db.service").write_text("[Service]\nExecStart=/bin/true\n")
    spec = resolve_agent("systemd:db", paths=paths)
    assert spec.unit == "db.service" and spec.path is None
    with pytest.raises(ReportError) as exc:
        resolve_agent("systemd:nope", paths=paths)
    assert codes(exc) == ["AGENT_NOT_FOUND"]


def test_listing_by_standard_and_provider(paths: AgentPaths) -> None:
    for name in ("B", "A"):
        write_script(paths.ocf_resource_dir / PROVIDER / name, "#!/bin/sh\n")
    (paths.ocf_resource_dir / PROVIDER / "notes.txt").write_text("not an agent")
    (paths.ocf_resource_dir / PROVIDER / "__pycache__").mkdir()
    write_script(paths.ocf_resource_dir / "other" / "C", "#!/bin/sh\n")
    write_script(paths.init_dir / "web", "#!/bin/sh\n")
    write_script(paths.init_dir / "README", "#!/bin/sh\n")
    write_script(paths.fence_dir / "fence_x", "#!/bin/sh\n")
    write_script(paths.fence_dir / "fence_ack_manual", "#!/bin/sh\n")
    write_script(paths.fence_dir / "sshd", "#!/bin/sh\n")

    assert [a.name for a in list_agents(f"ocf:{PROVIDER}", paths=paths)] == [
        f"ocf:{PROVIDER}:A", f"ocf:{PROVIDER}:B"]
    assert [a.name for a in list_agents("ocf", paths=paths)] == [
        "ocf:other:C", f"ocf:{PROVIDER}:A", f"ocf:{PROVIDER}:B"]
    assert [a.name for a in list_agents("lsb", paths=paths)] == ["lsb:web"]
    assert [a.name for a in list_agents("service", paths=paths)] == ["service:web"]
    assert [a.name for a in list_agents("stonith", paths=paths)] == ["stonith:fence_x"]
    assert list_agents("systemd", paths=paths) == ()  # systemd is not running there
    everything = [a.name for a in list_agents(paths=paths)]
    assert everything[0] == "ocf:other:C" and everything[-1] == "stonith:fence_x"
    assert agents.list_standards(paths=paths) == (Standard.OCF, Standard.LSB, Standard.SERVICE,
                                                  Standard.STONITH)


def test_listing_systemd_units_skips_templates_and_masked(paths: AgentPaths) -> None:
    paths.systemd_run_dir.mkdir()
    units = paths.unit_dirs[0]
    units.mkdir(parents=True)
    for name in ("web.service", "getty@.service", "web.socket"):
        (units / name).write_text("")
    (units / "masked.service").symlink_to("/dev/null")
    assert [a.name for a in list_agents("systemd", paths=paths)] == ["systemd:web"]
    assert Standard.SYSTEMD in agents.list_standards(paths=paths)


def test_listing_rejects_bad_queries(paths: AgentPaths) -> None:
    with pytest.raises(ReportError) as exc:
        list_agents("lsb:heartbeat", paths=paths)
    assert codes(exc) == ["AGENT_NAME_INVALID"]
    with pytest.raises(ReportError) as exc:
        list_agents("nagios", paths=paths)
    assert codes(exc) == ["AGENT_STANDARD_UNKNOWN"]


def test_real_listing_has_the_heartbeat_agents() -> None:
    real_agent("ocf:heartbeat:Dummy")
    names = {a.name for a in list_agents("ocf:heartbeat")}
    assert {"ocf:heartbeat:Dummy", "ocf:heartbeat:IPaddr2", "ocf:heartbeat:apache",
            "ocf:heartbeat:anything"} <= names


def test_specs_are_values(paths: AgentPaths) -> None:
    write_script(paths.ocf_resource_dir / PROVIDER / "A", "#!/bin/sh\n")
    a = resolve_agent(f"ocf:{PROVIDER}:A", paths=paths)
    assert a == resolve_agent(f"ocf:{PROVIDER}:A", paths=paths)
    assert hash(a) == hash(dataclasses.replace(a))
    assert str(a) == f"ocf:{PROVIDER}:A"
