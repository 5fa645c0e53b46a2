"""The real Fencer for vigild: the devices and levels of the CIB through vigil.fencer."""

from __future__ import annotations

import time

from vigil import fencer
from vigil.model.cib import Cib
from vigil.model.durations import parse_interval_ms
from vigil.model.fencing import FenceOutcome, FenceStatus
from vigil.scheduler.unpack import node_attributes

DEFAULT_STONITH_TIMEOUT_MS = 60_000


class AgentFencer:
    """Fences from `local_node`: with the devices that node may run (location constraints), and
    the target's node attributes for levels by target-attribute."""

    def __init__(self, local_node: str | None = None) -> None:
        self.cache = fencer.FenceCache()
        self.local_node = local_node

    async def fence(self, cib: Cib, target: str, action: str) -> FenceOutcome:
        devices = fencer.devices_from_cib(cib, local_node=self.local_node)
        if not devices:
            if fencer.devices_from_cib(cib):
                why = f"every fence device is banned from {self.local_node} by a location constraint"
            else:
                why = "no fence device is configured"
            return FenceOutcome(target=target, action=action, status=FenceStatus.NO_DEVICE, detail=why)
        raw = cib.cluster_option("stonith-timeout")
        timeout = (parse_interval_ms(raw) if raw else None) or DEFAULT_STONITH_TIMEOUT_MS
        return await fencer.fence(target, action, devices=devices,
                                  levels=fencer.levels_from_cib(cib), stonith_timeout_ms=timeout,
                                  cache=self.cache,
                                  node_attributes=node_attributes(cib, target, int(time.time())))
