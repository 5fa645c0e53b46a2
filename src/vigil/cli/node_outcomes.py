"""Each node's outcome of a whole-cluster command, one line per node, the node named first."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from vigil.cli import args
from vigil.commands.cluster_all import NodeOutcome
from vigil.model.reports import Severity
from vigil.words.messages import render_report


def print_each(outcomes: tuple[NodeOutcome, ...], done: Callable[[Any], str]) -> None:
    """What each node did (`done(result)`) and its warnings, or its errors (on stderr)."""
    for o in outcomes:
        if o.ok:
            warnings = [r for r in o.reports if r.severity is Severity.WARNING]
            args.print_lines([f"{o.node}: {done(o.result)}"])
            args.print_reports(warnings)
        else:
            for r in o.reports:
                if r.severity is Severity.ERROR:
                    sys.stderr.write(f"{o.node}: {render_report(r)}\n")
