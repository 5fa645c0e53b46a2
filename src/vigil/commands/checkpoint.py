"""`vigil config checkpoint [list] | view N | diff N [M] | restore N` (pcs): the configurations
this node's vigild kept before each change (daemon.store: cib-<version>.xml in its state
directory, the last 100), numbered 1 (the oldest) to N (the newest).

A restore pushes that configuration as a new change (a new epoch), through the cluster like
any other edit, so every node gets it and the checkpoint of what it replaced is kept too.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from vigil.cib.io import load_cib_file
from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.daemon import store
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError

STATE_DIR = "/var/lib/vigil"


def state_dir() -> Path:
    return Path(os.environ.get("VIGIL_STATE_DIR") or STATE_DIR)


@dataclass(frozen=True)
class Checkpoint:
    number: int
    version: str  # admin_epoch.epoch.num_updates of that configuration
    saved_at: float  # when it was replaced (the file's time)
    path: str


def checkpoints(directory: Path | None = None) -> tuple[Checkpoint, ...]:
    where = directory or state_dir()
    found = store.backups(where) if where.is_dir() else []
    return tuple(Checkpoint(i, p.stem.removeprefix("cib-"), p.stat().st_mtime, str(p))
                 for i, p in enumerate(found, start=1))


def load(number: int, directory: Path | None = None) -> Cib:
    found = checkpoints(directory)
    if not 1 <= number <= len(found):
        raise ReportError([reports.error("CHECKPOINT_NOT_FOUND", number=number,
                                         count=len(found))])
    cib, _ = load_cib_file(found[number - 1].path)
    return cib


def restore(env: CibEnvironment, number: int, directory: Path | None = None) -> Applied:
    old = load(number, directory)

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        return dataclasses.replace(cib, configuration=old.configuration), [
            reports.info("CHECKPOINT_RESTORED", number=number,
                         version=old.version.dotted())]

    return edit.apply(env, change)
