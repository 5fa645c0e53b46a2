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

    def field(self, name: str) -> str:
        for key, value in self.fields:
            if key == name:
                return value
        return ""


def error(code: str, **fields: object) -> Report:
    return Report(code, Severity.ERROR, tuple((k, str(v)) for k, v in fields.items()))


def warning(code: str, **fields: object) -> Report:
    return Report(code, Severity.WARNING, tuple((k, str(v)) for k, v in fields.items()))


class ReportError(Exception):
    """Raised by a layer that cannot go on; carries the reports that say why."""

    def __init__(self, reports: tuple[Report, ...] | list[Report]) -> None:
        self.reports = tuple(reports)
        super().__init__("; ".join(r.code for r in self.reports))
