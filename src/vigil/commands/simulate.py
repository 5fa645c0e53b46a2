"""Run the scheduler on a CIB file: what would the cluster do now."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vigil.cib.io import load_cib_file
from vigil.commands.status import CloneShape, clone_shapes
from vigil.model import reports
from vigil.model.reports import Report, ReportError
from vigil.scheduler.engine import schedule
from vigil.scheduler.rules_eval import parse_datetime
from vigil.scheduler.transition import Transition


@dataclass(frozen=True)
class Simulation:
    transition: Transition
    warnings: tuple[Report, ...]
    clones: tuple[tuple[str, CloneShape], ...] = ()  # how the configuration shapes each clone


def parse_now(text: str) -> int:
    """An epoch number or an ISO 8601 date ("2005-020", "2014-05-07 00:28:00")."""
    if re.fullmatch(r"\s*\d{9,}\s*", text):
        return int(text)
    stamp = parse_datetime(text)
    if stamp is None:
        raise ReportError([reports.error("BAD_TIME", value=text)])
    return stamp


def simulate(cib_path: str, now: int) -> Simulation:
    cib, warnings = load_cib_file(cib_path)
    return Simulation(schedule(cib, now), warnings, clone_shapes(cib))
