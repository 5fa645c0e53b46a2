"""Explain one resource's placement in plain terms (the data behind `vigil explain`)."""

from __future__ import annotations

from vigil.cib.io import load_cib_file
from vigil.model import reports
from vigil.model.reports import ReportError
from vigil.scheduler import explain as explainer
from vigil.scheduler.engine import schedule
from vigil.scheduler.explain import Explanation


def explain(cib_path: str, resource: str, now: int) -> Explanation:
    cib, _warnings = load_cib_file(cib_path)
    transition = schedule(cib, now)
    try:
        return explainer.explain(transition, resource)
    except explainer.UnknownResource as exc:
        close = [k for k in exc.known if resource.lower() in k.lower()][:5]
        raise ReportError([reports.error(
            "RESOURCE_NOT_FOUND", resource=resource,
            suggestions=", ".join(close) if close else ", ".join(exc.known[:8]))]) from None
