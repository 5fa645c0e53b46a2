"""The remote endpoint's view of the cluster: the latest status snapshot, read from the local
vigild in the background, so that a health check or a scrape answers from memory at once
(health checks in under 10 ms) and a burst of them costs vigild one read.

A read that fails keeps its exception as the snapshot (the health checks then answer 503, the
scrape `ha_cluster_vigil_scrape_success 0`): never an older status passed off as the current
one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from vigil.commands.status import ClusterStatus

Reader = Callable[[], ClusterStatus]


@dataclass(frozen=True)
class Snapshot:
    status: ClusterStatus | None
    error: BaseException | None
    taken_at: float  # monotonic seconds


class StatusCache:
    def __init__(self, read: Reader, *, interval_s: float = 0.5) -> None:
        self._read = read
        self.interval_s = interval_s
        self.latest = Snapshot(None, None, 0.0)

    async def refresh(self) -> Snapshot:
        """One read, in a thread (the control client is synchronous)."""
        try:
            status = await asyncio.to_thread(self._read)
            self.latest = Snapshot(status, None, time.monotonic())
        except Exception as exc:  # every failure is the snapshot's: reported, never raised here
            self.latest = Snapshot(None, exc, time.monotonic())
        return self.latest

    async def run(self) -> None:
        """Refresh every interval until cancelled."""
        while True:
            await self.refresh()
            await asyncio.sleep(self.interval_s)
