"""Render a Transition as `vigil simulate` prints it: crm_simulate's text, byte for byte where the
conformance corpus compares it (the Transition Summary), and its allocation scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vigil.cli import status_view
from vigil.commands.clone_shape import CloneShape
from vigil.model.score import format_score
from vigil.scheduler.transition import SummaryItem, Transition

_MAINTENANCE_BANNER = ["", "              *** Resource management is DISABLED ***",
                       "  The cluster will not attempt to start, stop or recover services", ""]


def simulation_lines(t: Transition, *, show_scores: bool,
                     clones: Mapping[str, CloneShape] | None = None) -> list[str]:
    """The whole report: cluster status, scores when asked for, and the Transition Summary.
    `clones` (from the configuration) tells promotable and unique clones apart even when no
    instance shows it."""
    out: list[str] = []
    if t.maintenance_mode:
        out += _MAINTENANCE_BANNER
    out += ["Current cluster status:"]
    out += status_view.node_lines(t)
    out += [""]
    out += status_view.resource_lines(t, clones=clones)
    out += [""]
    if show_scores:
        out += ["Allocation scores:"]
        out += score_lines(t)
        out += [""]
    out += ["Transition Summary:"]
    out += summary_lines(t.summary)
    out += [""]
    return out


def score_lines(t: Transition) -> list[str]:
    """crm_simulate --show-scores: every resource's score on every node it may run on; after a
    promotable clone's, its instances' promotion scores, in the order they were ranked (an
    instance not placed anywhere is "on none", as crm_simulate prints it)."""
    promotable = {a.parent for a in t.allocations if a.promotion}
    out: list[str] = []
    pending: list[str] = []
    for a in t.allocations:
        if a.parent is None:
            out += pending
            pending = []
        out += [f"  {a.kind}: {a.resource} allocation score on {s.node}: {format_score(s.score)}"
                for s in a.scores]
        if a.parent in promotable:
            if a.promotion:
                pending += [f"  {a.resource} promotion score on {p.node}: {format_score(p.score)}"
                            for p in a.promotion]
            else:
                pending.append(f"  {a.resource} promotion score on none: 0")
    return out + pending


def summary_lines(items: Sequence[SummaryItem]) -> list[str]:
    """crm_simulate's byte-exact lines: widths grow over all lines, details right-aligned."""
    rsc_width = 5
    detail_width = 5
    for item in items:
        if item.verb == "Fence":
            continue
        if len(item.resource) > rsc_width:
            rsc_width = len(item.resource) + 2
        detail_width = max(detail_width, len(item.details))
    lines = []
    for item in items:
        if item.verb == "Fence":
            host = (f"{item.resource} (resource: {item.fence_container})" if item.fence_container
                    else item.resource)
            lines.append(f"  * Fence ({item.fence_action}) {host} '{item.details}'")
            continue
        if item.reason and item.blocked:
            suffix = f"  due to {item.reason} (blocked)"
        elif item.reason:
            suffix = f"  due to {item.reason}"
        elif item.blocked:
            suffix = "  blocked"
        else:
            suffix = ""
        lines.append(f"  * {item.verb:<8}   {item.resource:<{rsc_width}}   "
                     f"( {item.details:>{detail_width}} ){suffix}")
    return lines
