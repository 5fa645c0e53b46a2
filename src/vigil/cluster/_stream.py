"""The event stream both backends hand out: an asyncio queue read by one consumer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from vigil.cluster.layer import ClusterEvent, ClusterUnavailable


@dataclass(frozen=True)
class _End:
    error: ClusterUnavailable | None


class EventStream(AsyncIterator[ClusterEvent]):
    """Events in the order they were put; after `end()`, the queued events, then the end.

    `on_drained` (optional) is called after an item is taken while the queue is at or below
    `low_water`: the corosync backend pauses reading its fd above `high_water` and resumes there.
    """

    def __init__(self, *, high_water: int = 0, low_water: int = 0) -> None:
        self._queue: asyncio.Queue[ClusterEvent | _End] = asyncio.Queue()
        self._ended = False
        self._finished: _End | None = None
        self.high_water = high_water
        self.low_water = low_water
        self.on_drained: Callable[[], None] | None = None

    @property
    def ended(self) -> bool:
        return self._ended

    def put(self, event: ClusterEvent) -> None:
        if not self._ended:
            self._queue.put_nowait(event)

    def end(self, error: ClusterUnavailable | None = None) -> None:
        """Close the stream: it ends cleanly, or raises `error` once the queued events are read."""
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(_End(error))

    def backlog(self) -> int:
        return self._queue.qsize()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> ClusterEvent:
        if self._finished is not None:
            raise self._stop(self._finished)
        item = await self._queue.get()
        if self.on_drained is not None and self._queue.qsize() <= self.low_water:
            self.on_drained()
        if isinstance(item, _End):
            self._finished = item
            raise self._stop(item)
        return item

    @staticmethod
    def _stop(end: _End) -> BaseException:
        return end.error if end.error is not None else StopAsyncIteration()
