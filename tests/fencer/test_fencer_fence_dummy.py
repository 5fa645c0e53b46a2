"""The fencer against a real agent: Debian's fence_dummy (package fence-agents), the way
pacemaker-fenced drives it. Skipped when it is not installed (scripts/install.sh installs it).

fence_dummy has no port or plug and no `list`: its default host check is `status` (exit 0 "on",
2 "off" both mean it can fence the node), and its power state lives in a status file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fencer_support import cib, stonith

from vigil import fencer
from vigil.fencer import FenceStatus, RunStatus
from vigil.fencer.devices import with_agent_info

SBIN = Path("/usr/sbin")
pytestmark = pytest.mark.skipif(fencer.agent_path("fence_dummy", SBIN) is None,
                                reason="fence_dummy is not installed (apt-get install fence-agents)")


def test_metadata_of_fence_dummy() -> None:
    info = asyncio.run(fencer.agent_info("fence_dummy"))
    assert info is not None
    assert {"on", "off", "reboot", "status", "monitor"} <= info.actions and "list" not in info.actions
    assert "status_file" in info.parameters and "plug" not in info.parameters


def test_fence_dummy_off_on_reboot(tmp_path: Path) -> None:
    status_file = tmp_path / "power"
    status_file.write_text("on")  # without it fence_dummy says "off" already and writes nothing
    c = cib(stonith("dummy", "fence_dummy", {"status_file": str(status_file)}))
    devices = fencer.devices_from_cib(c)
    cache = fencer.FenceCache()

    runs: list[fencer.AgentRun] = []

    def fence(action: str) -> fencer.FenceOutcome:
        runs.clear()
        return asyncio.run(fencer.fence("n2", action, devices=devices, stonith_timeout_ms=30_000,
                                        cache=cache, runs=runs))

    off = fence("off")
    assert off.ok and off.devices == ("dummy",), off.detail
    assert status_file.read_text().strip() == "off"
    (dev,) = (with_agent_info(d, cache.agents["fence_dummy"]) for d in devices)
    assert dev.host_check == "status"
    status = asyncio.run(fencer.run_fence_agent(dev, "status", "n2", timeout_ms=20_000))
    assert (status.status, status.rc) == (RunStatus.DONE, 2)  # "off"
    on = fence("on")
    assert on.ok and status_file.read_text().strip() == "on"
    reboot = fence("reboot")
    assert reboot.ok and [r.sent_action for r in runs if r.action != "status"] == ["reboot"]
    assert asyncio.run(fencer.monitor_device(dev, 20_000)) is True


def test_a_failing_fence_dummy_falls_through_to_the_next_level(tmp_path: Path) -> None:
    c = cib(stonith("broken", "fence_dummy", {"type": "fail", "power_timeout": "1", "pcmk_off_retries": "1"}),
            stonith("good", "fence_dummy", {"status_file": str(tmp_path / "power")}),
            levels=['<fencing-level id="l1" index="1" target="n1" devices="broken"/>',
                    '<fencing-level id="l2" index="2" target="n1" devices="good"/>'])
    runs: list[fencer.AgentRun] = []
    out = asyncio.run(fencer.fence("n1", "off", devices=fencer.devices_from_cib(c),
                                   levels=fencer.levels_from_cib(c), stonith_timeout_ms=30_000,
                                   runs=runs))
    assert out.ok and out.level == 2 and out.devices == ("broken", "good"), out.detail
    assert out.status is FenceStatus.OK
    broken = [r for r in runs if r.device == "broken" and r.action == "off"]
    assert broken and broken[0].rc == 1


def test_the_daemons_fencer_skips_banned_devices_and_knows_node_attributes(tmp_path: Path) -> None:
    """vigild's AgentFencer: a device banned from the fencing node by a location constraint is
    not used there; a level by target-attribute matches the target's node attributes."""
    from vigil.cib import read
    from vigil.daemon.fencing import AgentFencer

    def dev(rid: str) -> str:
        return stonith(rid, "fence_dummy", {"status_file": str(tmp_path / rid)})

    for rid in ("near", "rack"):
        (tmp_path / rid).write_text("on")
    text = ('<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.7">'
            '<configuration><crm_config/><nodes><node id="1" uname="n1"/>'
            '<node id="2" uname="n2"><instance_attributes id="n2-ia">'
            '<nvpair id="n2-rack" name="rack" value="r7"/></instance_attributes></node></nodes>'
            f'<resources>{dev("near")}{dev("rack")}</resources>'
            '<constraints><rsc_location id="ban" rsc="near" node="n1" score="-INFINITY"/>'
            '</constraints><fencing-topology>'
            '<fencing-level id="l1" index="1" target-attribute="rack" target-value="r7" '
            'devices="rack"/></fencing-topology></configuration><status/></cib>')
    c, _ = read.parse_cib(text)
    out = asyncio.run(AgentFencer("n1").fence(c, "n2", "off"))
    assert out.ok and out.device == "rack", out.detail
    assert (tmp_path / "near").read_text().strip() == "on"  # banned from n1: never used
    assert (tmp_path / "rack").read_text().strip() == "off"
    # without the level, n1 has no device it may use
    only_near = text.replace(f"{dev('rack')}", "").replace(
        '<fencing-level id="l1" index="1" target-attribute="rack" target-value="r7" '
        'devices="rack"/>', "")
    c2, _ = read.parse_cib(only_near)
    refused = asyncio.run(AgentFencer("n1").fence(c2, "n2", "off"))
    assert not refused.ok and "banned from n1" in refused.detail
    assert asyncio.run(AgentFencer("n3").fence(c2, "n2", "off")).ok
