"""Run the scheduler on a CIB file: what would the cluster do now."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from vigil.cib.io import load_cib_file
from vigil.commands.clone_shape import CloneShape, clone_shapes
from vigil.model import reports
from vigil.model.cib import Cib
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


def recorded_now(cib: Cib) -> int | None:
    """The CIB's execution-date: when the scheduler ran on it (saved scheduler inputs carry it);
    crm_simulate takes it for "now" when given no other."""
    for name, value in cib.extra.attrs:
        if name == "execution-date" and value.strip().isdigit():
            return int(value)
    return None


def simulate(cib_path: str, now: int | None) -> Simulation:
    """`now` None: the CIB's execution-date if it has one, else the clock."""
    cib, warnings = load_cib_file(cib_path)
    if now is None:
        now = recorded_now(cib)
    if now is None:
        now = int(time.time())
    # like crm_simulate, which reads saved inputs whose passwords may be masked
    return Simulation(schedule(cib, now, sanitized=True), warnings, clone_shapes(cib))
