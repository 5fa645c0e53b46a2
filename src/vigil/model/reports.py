"""Reports are data: a code, a severity and fields. Words are made only at the edge."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Report:
    code: str
    severity: Severity
    fields: tuple[tuple[str, str], ...] = ()
    forceable: bool = False  # an error that `--force` turns into a warning

    def field(self, name: str) -> str:
        for key, value in self.fields:
            if key == name:
                return value
        return ""


def error(code: str, **fields: object) -> Report:
    return Report(code, Severity.ERROR, tuple((k, str(v)) for k, v in fields.items()))


def warning(code: str, **fields: object) -> Report:
    return Report(code, Severity.WARNING, tuple((k, str(v)) for k, v in fields.items()))


def info(code: str, **fields: object) -> Report:
    return Report(code, Severity.INFO, tuple((k, str(v)) for k, v in fields.items()))


def unless_forced(force: bool, code: str, **fields: object) -> Report:
    """An error that `--force` overrides: a warning when forced, else a forceable error."""
    items = tuple((k, str(v)) for k, v in fields.items())
    if force:
        return Report(code, Severity.WARNING, items)
    return Report(code, Severity.ERROR, items, forceable=True)


class ReportError(Exception):
    """Raised by a layer that cannot go on; carries the reports that say why."""

    def __init__(self, reports: tuple[Report, ...] | list[Report]) -> None:
        self.reports = tuple(reports)
        super().__init__("; ".join(r.code for r in self.reports))
