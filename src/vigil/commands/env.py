"""Where a library command finds the CIB: a file (offline, `-f FILE`) or the live cluster.

Commands read one snapshot, compute a whole new CIB, and push it back in one step. The push is
conditional on the version they read (compare-and-swap), so two concurrent edits never silently
overwrite each other, and a command either applies fully or not at all.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Protocol

from vigil.cib.io import load_cib_file, save_cib_file
from vigil.model import reports
from vigil.model.cib import Cib, CibVersion
from vigil.model.reports import Report, ReportError


class CibEnvironment(Protocol):
    def get_cib(self) -> Cib:
        """The current CIB (configuration and status)."""
        ...

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        """Replace the configuration atomically if the CIB is still at `read_version`.

        Bumps epoch (and resets num_updates); returns what was stored. Raises ReportError
        (CIB_CHANGED_UNDERNEATH) if someone else changed it meanwhile."""
        ...

    def now(self) -> int:
        """Seconds since the epoch, for rules, lifetimes and failure timeouts."""
        ...

    @property
    def warnings(self) -> tuple[Report, ...]:
        """Non-fatal findings of the last read (unknown elements kept as they were...)."""
        ...


def bump(cib: Cib) -> Cib:
    v = cib.version
    return dataclasses.replace(cib, version=CibVersion(v.admin_epoch, v.epoch + 1, 0))


class FileEnvironment:
    """A CIB in a file, edited in place with an atomic rename (Pacemaker's CIB_file / pcs -f)."""

    def __init__(self, path: str, clock: float | None = None) -> None:
        self.path = path
        self._clock = clock
        self._warnings: tuple[Report, ...] = ()

    def get_cib(self) -> Cib:
        cib, self._warnings = load_cib_file(self.path)
        return cib

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        if os.path.exists(self.path):
            current, _ = load_cib_file(self.path)
            if current.version != read_version:
                raise ReportError([reports.error(
                    "CIB_CHANGED_UNDERNEATH", path=self.path,
                    read=".".join(map(str, read_version.as_tuple())),
                    now=".".join(map(str, current.version.as_tuple())))])
        new = bump(cib)
        save_cib_file(self.path, new)
        return new

    def now(self) -> int:
        return int(self._clock if self._clock is not None else time.time())

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self._warnings
