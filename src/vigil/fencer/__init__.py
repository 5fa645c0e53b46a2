"""The fencer: fence devices and levels from the CIB, fence agents run with Pacemaker's stdin
protocol, device selection, delays, retries and timeouts.

    devices = fencer.devices_from_cib(cib)
    levels = fencer.levels_from_cib(cib)
    outcome = await fencer.fence("n3", "reboot", devices=devices, levels=levels,
                                 stonith_timeout_ms=60_000)
    if outcome.ok: ...                      # record the node as fenced

`validate(cib)` gives the configuration's problems as reports; `run_fence_agent` runs one action
of one device; `monitor_device` is the device's recurring check. The caller (the daemon) decides
which node executes and keeps a `FenceCache` across requests.
"""

from __future__ import annotations

from pathlib import Path

from vigil.fencer.agent import (
    DEFAULT_AGENT_DIR,
    AgentRun,
    RunStatus,
    agent_arguments,
    agent_info,
    agent_path,
    parse_agent_metadata,
    run_fence_agent,
)
from vigil.fencer.devices import (
    AgentInfo,
    FenceDevice,
    HostCheck,
    config_reports,
    devices_from_cib,
    levels_for,
    levels_from_cib,
    parse_host_map,
    parse_targets,
    with_agent_info,
)
from vigil.fencer.fence import (
    FenceCache,
    can_fence,
    device_delay_ms,
    fence,
    monitor_device,
    total_timeout_ms,
)
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.fencing import FenceOutcome, FenceStatus, FencingLevel
from vigil.model.reports import Report


def validate(cib: Cib, *, agent_dir: Path = DEFAULT_AGENT_DIR) -> tuple[Report, ...]:
    """`config_reports`, plus FENCE_AGENT_NOT_FOUND for every device whose agent is not in
    `agent_dir` (names that cannot be agents are FENCE_AGENT_INVALID already)."""
    out = list(config_reports(cib))
    invalid = {r.field("device") for r in out if r.code == "FENCE_AGENT_INVALID"}
    for dev in devices_from_cib(cib):
        if dev.id not in invalid and agent_path(dev.agent, agent_dir) is None:
            out.append(reports.error("FENCE_AGENT_NOT_FOUND", device=dev.id, agent=dev.agent,
                                     searched=str(agent_dir)))
    return tuple(out)


__all__ = [
    "DEFAULT_AGENT_DIR", "AgentInfo", "AgentRun", "FenceCache", "FenceDevice", "FencingLevel", "FenceOutcome",
    "FenceStatus", "HostCheck", "RunStatus", "agent_arguments", "agent_info", "agent_path", "can_fence",
    "config_reports", "device_delay_ms", "devices_from_cib", "fence", "levels_for", "levels_from_cib",
    "monitor_device", "parse_agent_metadata", "parse_host_map", "parse_targets", "run_fence_agent",
    "total_timeout_ms", "validate", "with_agent_info",
]
