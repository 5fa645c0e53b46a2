"""The real Fencer for vigild: the devices and levels of the CIB through vigil.fencer."""

from __future__ import annotations

from vigil import fencer
from vigil.daemon.ports import FenceOutcome
from vigil.model.cib import Cib
from vigil.model.durations import parse_interval_ms

DEFAULT_STONITH_TIMEOUT_MS = 60_000


class AgentFencer:
    def __init__(self) -> None:
        self.cache = fencer.FenceCache()

    async def fence(self, cib: Cib, target: str, action: str) -> FenceOutcome:
        devices = fencer.devices_from_cib(cib)
        if not devices:
            return FenceOutcome(False, "", "no fence device is configured")
        raw = cib.cluster_option("stonith-timeout")
        timeout = (parse_interval_ms(raw) if raw else None) or DEFAULT_STONITH_TIMEOUT_MS
        out = await fencer.fence(target, action, devices=devices,
                                 levels=fencer.levels_from_cib(cib), stonith_timeout_ms=timeout,
                                 cache=self.cache)
        return FenceOutcome(out.ok, ",".join(out.devices), out.detail, out.duration_ms)
