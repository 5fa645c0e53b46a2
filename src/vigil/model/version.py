"""The CIB's version triple, on its own: the control protocol and the tools agents call carry it
without importing the whole configuration model (each tool is a short-lived process)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CibVersion:
    admin_epoch: int
    epoch: int
    num_updates: int

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.admin_epoch, self.epoch, self.num_updates)

    def dotted(self) -> str:
        """"ADMIN_EPOCH.EPOCH.NUM_UPDATES", as reports and the API write it."""
        return ".".join(map(str, self.as_tuple()))
