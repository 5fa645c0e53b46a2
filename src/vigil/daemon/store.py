"""Where vigild keeps its durable state: the CIB (atomic writes, the last N versions kept as
backups) and the fencing history (the last FENCE_HISTORY_KEEP results, atomic writes)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from vigil.cib.io import load_cib_file, save_cib_file
from vigil.controller.messages import FenceResult, fence_result_from
from vigil.model.cib import Cib
from vigil.model.reports import ReportError

log = logging.getLogger("vigild.store")

FENCE_HISTORY_KEEP = 100


class FileStore:
    """cib.xml in `directory`; each save first moves the previous file to cib-<version>.xml
    (the last `keep` of them are kept: the checkpoints an operator can view and restore).

    Only the configuration is durable: the status section (tickets included) is rebuilt from the
    nodes at runtime, as Pacemaker does; a ticket is held only until the whole cluster stops."""

    def __init__(self, directory: str, keep: int = 100) -> None:
        self.dir = Path(directory)
        self.keep = keep
        self.path = self.dir / "cib.xml"
        self._on_disk: Cib | None = None  # what cib.xml holds now, to name its backup

    def load(self) -> Cib | None:
        if not self.path.exists():
            return None
        try:
            cib, _ = load_cib_file(self.path)
        except ReportError:
            # A damaged file is moved aside and the newest valid backup is used instead.
            self.path.rename(self.dir / f"cib.damaged.{os.getpid()}.xml")
            for backup in sorted(self.dir.glob("cib-*.xml"), key=_version_key, reverse=True):
                try:
                    cib, _ = load_cib_file(backup)
                    return durable_part(cib)
                except ReportError:
                    continue
            return None
        self._on_disk = cib
        return durable_part(cib)

    def save(self, cib: Cib) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and self._on_disk is not None:
            v = self._on_disk.version
            if v.as_tuple() != cib.version.as_tuple():
                backup = self.dir / f"cib-{v.admin_epoch}.{v.epoch}.{v.num_updates}.xml"
                os.replace(self.path, backup)
                self._prune()
        stored = durable_part(cib)
        save_cib_file(self.path, stored)
        self._on_disk = stored

    def load_fence_history(self) -> tuple[FenceResult, ...]:
        path = self.dir / "fence-history.json"
        try:
            rows = json.loads(path.read_text())
            return tuple(fence_result_from(row) for row in rows)
        except FileNotFoundError:
            return ()
        except (OSError, ValueError, TypeError) as exc:
            # The history is informative (status, stonith history): a damaged file must not
            # stop the daemon; the peers share theirs at the next view change.
            log.warning("ignoring unreadable fencing history %s: %s", path, exc)
            return ()

    def save_fence_history(self, history: Sequence[FenceResult]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        rows = [dataclasses.asdict(r) for r in history[-FENCE_HISTORY_KEEP:]]
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".fence-history.")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(rows, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.dir / "fence-history.json")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _prune(self) -> None:
        for old in backups(self.dir)[:-self.keep]:
            old.unlink(missing_ok=True)


def durable_part(cib: Cib) -> Cib:
    """What a store keeps of `cib`: the configuration, without the status or tickets."""
    return dataclasses.replace(cib, status=(), tickets=())


def backups(directory: Path) -> list[Path]:
    """The configurations kept before each change (`vigil config checkpoint`), oldest first."""
    return sorted((p for p in directory.glob("cib-*.xml") if _version_key(p) != (-1,)),
                  key=_version_key)


def _version_key(path: Path) -> tuple[int, ...]:
    parts = path.stem.removeprefix("cib-").split(".")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        return (-1,)


class MemoryStore:
    """For tests: keeps what was saved, persists nothing."""

    def __init__(self, cib: Cib | None = None) -> None:
        self.cib = cib
        self.saves = 0
        self.fence_history: tuple[FenceResult, ...] = ()

    def load(self) -> Cib | None:
        return self.cib

    def save(self, cib: Cib) -> None:
        self.cib = durable_part(cib)

    def load_fence_history(self) -> tuple[FenceResult, ...]:
        return self.fence_history

    def save_fence_history(self, history: Sequence[FenceResult]) -> None:
        self.fence_history = tuple(history[-FENCE_HISTORY_KEEP:])
        self.saves += 1
