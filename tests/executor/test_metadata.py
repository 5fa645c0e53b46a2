"""Agent metadata: parsing the real agents' XML, synthesized LSB/systemd metadata, the cache,
validation of instance attributes and the validate-all runner."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from executor_support import AgentFactory, real_agent, write_script

from vigil.executor.agents import AgentPaths, resolve_agent
from vigil.executor.metadata import (
    ActionSpec,
    AgentMetadata,
    MetadataCache,
    ParameterSpec,
    fetch_metadata,
    lsb_metadata,
    parse_metadata,
    run_validate_all,
    systemd_metadata,
    validate_instance_attributes,
)
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.reports import ReportError, Severity


def fetch(name: str) -> AgentMetadata:
    return asyncio.run(fetch_metadata(real_agent(name)))


def test_ipaddr2() -> None:
    md = fetch("ocf:heartbeat:IPaddr2")
    assert (md.agent, md.name, md.ocf_version) == ("ocf:heartbeat:IPaddr2", "IPaddr2", "1.0")
    assert "IP" in md.shortdesc
    ip = md.parameter("ip")
    assert ip is not None
    assert (ip.required, ip.unique, ip.type, ip.shortdesc) == (True, True, "string", "IPv4 or IPv6 address")
    assert "192.168.1.1" in ip.longdesc
    nic = md.parameter("nic")
    assert nic is not None and (nic.required, nic.unique, nic.default) == (False, False, None)
    assert {"cidr_netmask", "broadcast", "iflabel", "lvs_support"} <= {p.name for p in md.parameters}
    monitor = md.action("monitor")
    assert monitor == ActionSpec("monitor", timeout_ms=20000, interval_ms=10000, depth=0)
    start = md.action("start")
    assert start is not None and start.timeout_ms == 20000 and start.interval_ms is None
    assert md.action("validate-all") is not None
    # No reload of either kind: a changed parameter means a restart, and no restart list.
    assert not md.supports_reload_agent and not md.supports_legacy_reload
    assert md.restart_parameters is None


def test_apache() -> None:
    md = fetch("ocf:heartbeat:apache")
    assert md.name == "apache"
    configfile = md.parameter("configfile")
    assert configfile is not None
    assert (configfile.required, configfile.unique) == (False, True)
    # The agent computes its defaults when asked, from what is installed: without apache2 the
    # Debian path is not there and it falls back to the Red Hat one.
    assert configfile.default in ("/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf")
    assert md.parameter("statusurl") is not None
    assert [a.name for a in md.actions] == ["start", "stop", "status", "monitor", "meta-data", "validate-all"]
    stop = md.action("stop")
    assert stop is not None and stop.timeout_ms == 60000
    assert validate_instance_attributes(md, {"configfile": "/etc/apache2/apache2.conf"}) == ()
    assert md.ocf_version == "1.0" and not md.supports_legacy_reload


def test_heartbeat_dummy_has_legacy_reload() -> None:
    """OCF 1.0 with a "reload" action: unique parameters force a restart."""
    md = fetch("ocf:heartbeat:Dummy")
    assert md.supports_legacy_reload and not md.supports_reload_agent
    assert md.restart_parameters == ("state",)


def test_pacemaker_dummy_has_reload_agent() -> None:
    """OCF 1.1 with reload-agent: every parameter not marked reloadable forces a restart."""
    md = fetch("ocf:pacemaker:Dummy")
    assert md.ocf_version == "1.1"
    assert md.supports_reload_agent and not md.supports_legacy_reload
    assert md.restart_parameters == ("state",)
    fake = md.parameter("fake")
    assert fake is not None and fake.reloadable and fake.default == "dummy"
    state = md.parameter("state")
    assert state is not None and state.unique_group == "state"


def test_fence_agent_metadata() -> None:
    md = fetch("stonith:fence_dummy")
    assert md.name == "fence_dummy"
    assert md.shortdesc == "Dummy fence agent"  # an attribute there, not an element
    action = md.parameter("action")
    # Required by the agent, supplied by the fencer: not required of the configuration.
    assert action is not None and not action.required and action.default == "reboot"
    assert md.action("start") is not None and md.action("stop") is not None
    assert validate_instance_attributes(md, {"pcmk_host_list": "n1 n2"}) == ()


SYNTHETIC = """<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Thing" version="2.0">
  <version>1.1</version>
  <longdesc lang="de">Ein Ding</longdesc>
  <longdesc lang="en">A thing.</longdesc>
  <shortdesc lang="en">Thing</shortdesc>
  <parameters>
    <parameter name="a" required="1" unique-group="g"><content type="string"/></parameter>
    <parameter name="b" reloadable="true"><content type="integer" default="3"/></parameter>
    <parameter name="c"><content type="string"/></parameter>
    <parameter name="mode"><content type="select" default="x"><option value="x"/><option value="y"/></content>
    </parameter>
    <parameter name="old"><deprecated/><content type="string"/></parameter>
    <parameter name="pw" private="yes" reloadable="1"><content type="string"/></parameter>
    <parameter><content type="string"/></parameter>
  </parameters>
  <actions>
    <action name="start" timeout="1min"/>
    <action name="monitor" timeout="20s" interval="10s" depth="0"/>
    <action name="monitor" timeout="30s" interval="11s" depth="10" role="Promoted"/>
    <action name="reload-agent" timeout="20s"/>
  </actions>
</resource-agent>
"""


def test_parse_ocf_1_1_features() -> None:
    md = parse_metadata(SYNTHETIC, agent="ocf:x:Thing")
    assert (md.version, md.ocf_version, md.longdesc, md.shortdesc) == ("2.0", "1.1", "A thing.", "Thing")
    assert [p.name for p in md.parameters] == ["a", "b", "c", "mode", "old", "pw"]  # nameless dropped
    assert md.parameter("a") == ParameterSpec("a", required=True, unique_group="g")
    b = md.parameter("b")
    assert b is not None and (b.type, b.default, b.reloadable) == ("integer", "3", True)
    mode = md.parameter("mode")
    assert mode is not None and mode.choices == ("x", "y")
    old = md.parameter("old")
    assert old is not None and old.deprecated
    pw = md.parameter("pw")
    assert pw is not None and pw.private
    assert md.action("start") == ActionSpec("start", timeout_ms=60000)
    promoted = md.action("monitor", 11000)
    assert promoted == ActionSpec("monitor", timeout_ms=30000, interval_ms=11000, depth=10, role="Promoted")
    # Pacemaker lists them in reverse metadata order (the controller prepends while parsing).
    assert md.restart_parameters == ("old", "mode", "c", "a")


def test_reload_agent_needs_ocf_1_1() -> None:
    md = parse_metadata(SYNTHETIC.replace("<version>1.1</version>", "<version>1.0</version>"), agent="x")
    assert not md.supports_reload_agent and not md.supports_legacy_reload
    assert md.restart_parameters is None


@pytest.mark.parametrize("text", ["", "<resource-agent", "<other/>", "not xml at all"])
def test_bad_metadata_is_a_report(text: str) -> None:
    with pytest.raises(ReportError) as exc:
        parse_metadata(text, agent="ocf:x:Bad")
    assert [r.code for r in exc.value.reports] == ["AGENT_METADATA_INVALID"]
    assert exc.value.reports[0].field("agent") == "ocf:x:Bad"


def test_failing_meta_data_is_a_report(ocf_agent: AgentFactory) -> None:
    spec = ocf_agent("broken", 'echo "ocf-exit-reason:cannot describe myself" >&2\nexit 1\n')
    with pytest.raises(ReportError) as exc:
        asyncio.run(fetch_metadata(spec))
    (report,) = exc.value.reports
    assert (report.code, report.field("rc"), report.field("reason")) == (
        "AGENT_METADATA_UNAVAILABLE", "ERR_GENERIC", "cannot describe myself")


def test_lsb_metadata_from_the_init_header(paths: AgentPaths) -> None:
    write_script(paths.init_dir / "svc", """#!/bin/sh
### BEGIN INIT INFO
# Provides:          svc
# Required-Start:    $network
# Short-Description: A service
# Description:       Does things
#                    over two lines.
# Default-Start:     2 3 4 5
### END INIT INFO
exit 0
""")
    spec = resolve_agent("lsb:svc", paths=paths)
    md = asyncio.run(fetch_metadata(spec))
    assert md == lsb_metadata(spec)
    assert (md.shortdesc, md.longdesc, md.parameters, md.synthesized) == (
        "A service", "Does things over two lines.", (), True)
    assert md.action("monitor") == ActionSpec("monitor", timeout_ms=15000, interval_ms=15000)
    assert validate_instance_attributes(md, {"x": "1"})[0].code == "AGENT_PARAMETER_UNKNOWN"


def test_systemd_metadata(paths: AgentPaths) -> None:
    paths.unit_dirs[0].mkdir(parents=True)
    (paths.unit_dirs[0] / "nginx.service").write_text("")
    spec = resolve_agent("systemd:nginx", paths=paths)
    md = asyncio.run(fetch_metadata(spec))
    assert md == systemd_metadata(spec)
    assert md.action("monitor") == ActionSpec("monitor", timeout_ms=100000, interval_ms=60000)
    assert md.name == "nginx.service"


COUNTING = """
echo x >> "$(dirname "$0")/calls"
sleep 0.2
cat <<END
<resource-agent name="counted"><version>1.1</version><parameters/><actions/></resource-agent>
END
"""


def test_cache_fetches_once(ocf_agent: AgentFactory, paths: AgentPaths) -> None:
    spec = ocf_agent("counted", COUNTING)
    calls = paths.ocf_resource_dir / "vigiltest" / "calls"
    cache = MetadataCache()

    async def scenario() -> list[AgentMetadata]:
        first = await asyncio.gather(*(cache.get(spec) for _ in range(5)))
        return [*first, await cache.get(spec)]

    got = asyncio.run(scenario())
    assert {m.name for m in got} == {"counted"}
    assert calls.read_text().count("x") == 1  # five concurrent askers, one run
    assert cache.cached(spec) is got[0]
    cache.invalidate(spec)
    assert cache.cached(spec) is None
    asyncio.run(cache.get(spec))
    assert calls.read_text().count("x") == 2


def test_cache_does_not_keep_failures(ocf_agent: AgentFactory) -> None:
    spec = ocf_agent("flaky", "exit 1\n")
    cache = MetadataCache()
    with pytest.raises(ReportError):
        asyncio.run(cache.get(spec))
    assert spec.path is not None
    spec.path.write_text("#!/bin/sh\necho '<resource-agent name=\"ok\"/>'\n")
    assert asyncio.run(cache.get(spec)).name == "ok"


def test_validation_reports() -> None:
    md = parse_metadata(SYNTHETIC, agent="ocf:x:Thing")
    reports = validate_instance_attributes(md, {"b": "4", "mode": "z", "old": "1", "typo": "1"})
    assert [(r.code, r.field("parameter"), r.severity) for r in reports] == [
        ("AGENT_PARAMETER_UNKNOWN", "typo", Severity.ERROR),
        ("AGENT_PARAMETER_REQUIRED_MISSING", "a", Severity.ERROR),
        ("AGENT_PARAMETER_INVALID_VALUE", "mode", Severity.ERROR),
        ("AGENT_PARAMETER_DEPRECATED", "old", Severity.WARNING),
    ]
    assert reports[0].field("allowed") == "a, b, c, mode, old, pw"
    assert validate_instance_attributes(md, {"a": ""})[0].code == "AGENT_PARAMETER_REQUIRED_MISSING"
    assert validate_instance_attributes(md, {"a": "1", "mode": "y"}) == ()


def test_validation_of_real_ipaddr2() -> None:
    md = fetch("ocf:heartbeat:IPaddr2")
    assert [r.code for r in validate_instance_attributes(md, {"cidr_netmask": "24", "address": "x"})] == [
        "AGENT_PARAMETER_UNKNOWN", "AGENT_PARAMETER_REQUIRED_MISSING"]
    assert validate_instance_attributes(md, {"ip": "192.0.2.10", "cidr_netmask": "24"}) == ()


def test_validate_all_with_dummy(tmp_path: Path) -> None:
    spec = real_agent("ocf:heartbeat:Dummy")
    params = {"state": str(tmp_path / "d.state")}
    result, reports = asyncio.run(run_validate_all(spec, params, resource_id="d"))
    assert (result.rc, reports) == (OcfResult.OK, ())
    result, reports = asyncio.run(run_validate_all(
        spec, {"state": str(tmp_path / "missing-dir" / "d.state")}, resource_id="d"))
    assert result.rc is OcfResult.ERR_ARGS
    (report,) = reports
    assert (report.code, report.field("rc"), report.severity) == ("AGENT_VALIDATION_FAILED", "ERR_ARGS",
                                                                 Severity.ERROR)
    assert "is not writable" in report.field("reason")


def test_validate_all_unsupported(paths: AgentPaths, ocf_agent: AgentFactory) -> None:
    write_script(paths.init_dir / "svc", "#!/bin/sh\nexit 0\n")
    lsb = resolve_agent("lsb:svc", paths=paths)
    result, reports = asyncio.run(run_validate_all(lsb, {}, resource_id="s"))
    assert result.status is ExecStatus.NOT_SUPPORTED
    assert [r.code for r in reports] == ["AGENT_VALIDATION_UNSUPPORTED"]
    spec = ocf_agent("old", "exit 3\n")
    _, reports = asyncio.run(run_validate_all(spec, {}, resource_id="o"))
    assert [(r.code, r.severity) for r in reports] == [("AGENT_VALIDATION_UNSUPPORTED", Severity.WARNING)]
