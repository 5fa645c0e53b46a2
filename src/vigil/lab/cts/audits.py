"""The audits run after every scenario, as CTS runs its own: pure functions of what the runner
gathered from the lab (world.Snapshot), each returning its findings (nothing found: passed).

- cib: every running replica holds the same CIB (version and content);
- settled: the scheduler, given that CIB, plans nothing more (no transition summary, no probe);
- placement: each resource is active (its agent's state on the node says so) exactly where the
  cluster's status says, and a primitive that is not a clone instance on one node at most;
- promoted: no more promoted instances (the agent's own state) than promoted-max, and where the
  status says;
- logs: no traceback, and no ERROR or CRITICAL line that the scenario does not explain, in any
  vigild's log since the scenario began.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

AUDITS = ("scenario", "cib", "settled", "placement", "promoted", "logs")  # "scenario": its own checks

_VERSION = re.compile(r"<cib\b[^>]*>")
_ATTR = re.compile(r'\b(admin_epoch|epoch|num_updates)="(\d+)"')
_BAD_LINE = re.compile(r"Traceback \(most recent call last\)| vigild (ERROR|CRITICAL) ")


@dataclass(frozen=True)
class Finding:
    audit: str  # one of AUDITS
    subject: str  # the node or resource it is about ("" for the cluster)
    detail: str


@dataclass(frozen=True)
class Snapshot:
    """What the runner read from the lab once it settled (or gave up waiting)."""

    up_nodes: tuple[str, ...]  # nodes whose vigild runs (none: every stack is stopped)
    cib_copies: tuple[tuple[str, str], ...]  # (node, CIB XML) per node whose vigild answered
    planned: tuple[str, ...]  # the scheduler's transition summary lines on that CIB, probes too
    status_nodes: tuple[tuple[str, frozenset[str]], ...]  # (resource, nodes) per the status
    agent_nodes: tuple[tuple[str, frozenset[str]], ...]  # (resource, nodes) per agent state
    single: frozenset[str]  # resources that may run on one node at most
    promoted_status: frozenset[str]  # nodes the status says run the promoted instance
    promoted_agent: frozenset[str]  # nodes whose agent state says promoted
    promoted_max: int
    new_log_lines: tuple[tuple[str, tuple[str, ...]], ...]  # (node, lines since the start)


def cib_version(xml: str) -> tuple[int, int, int] | None:
    """(admin_epoch, epoch, num_updates) of a CIB's root element, None when unreadable."""
    root = _VERSION.search(xml)
    if root is None:
        return None
    found = dict(_ATTR.findall(root.group(0)))
    try:
        return (int(found.get("admin_epoch", "0")), int(found["epoch"]),
                int(found.get("num_updates", "0")))
    except KeyError:
        return None


def audit_cib(up_nodes: Sequence[str], copies: Sequence[tuple[str, str]]) -> list[Finding]:
    if not up_nodes:
        return []  # every stack stopped: no replica to compare
    if not copies:
        return [Finding("cib", "", "no node's vigild answered with its CIB")]
    answered = {n for n, _ in copies}
    out = [Finding("cib", n, "its vigild runs but did not answer with its CIB")
           for n in up_nodes if n not in answered]
    first_node, first = copies[0]
    for node, xml in copies[1:]:
        if xml != first:
            out.append(Finding("cib", node, f"its CIB (version {_dotted(cib_version(xml))}) "
                               f"differs from {first_node}'s (version "
                               f"{_dotted(cib_version(first))})"))
    return out


def _dotted(v: tuple[int, int, int] | None) -> str:
    return ".".join(map(str, v)) if v else "unreadable"


def audit_settled(planned: Sequence[str]) -> list[Finding]:
    return [Finding("settled", "", f"the scheduler still plans: {line}") for line in planned]


def audit_placement(status_nodes: Sequence[tuple[str, frozenset[str]]],
                    agent_nodes: Sequence[tuple[str, frozenset[str]]],
                    single: frozenset[str]) -> list[Finding]:
    said = dict(status_nodes)
    real = dict(agent_nodes)
    out = []
    for rsc in sorted(set(said) | set(real)):
        where_said, where_real = said.get(rsc, frozenset()), real.get(rsc, frozenset())
        if where_said != where_real:
            out.append(Finding("placement", rsc, f"the status says {_nodes(where_said)}, its "
                               f"agent's state says {_nodes(where_real)}"))
        if rsc in single and len(where_real) > 1:
            out.append(Finding("placement", rsc, f"active on {len(where_real)} nodes at once: "
                               f"{_nodes(where_real)}"))
    return out


def _nodes(nodes: frozenset[str]) -> str:
    return ", ".join(sorted(nodes)) or "nowhere"


def audit_promoted(status: frozenset[str], agent: frozenset[str],
                   promoted_max: int) -> list[Finding]:
    out = []
    if len(agent) > promoted_max:
        out.append(Finding("promoted", "", f"{len(agent)} promoted instances ({_nodes(agent)}), "
                           f"promoted-max {promoted_max}"))
    if status != agent:
        out.append(Finding("promoted", "", f"the status says promoted on {_nodes(status)}, the "
                           f"agent's state on {_nodes(agent)}"))
    return out


def audit_logs(new_lines: Sequence[tuple[str, Sequence[str]]],
               allowed: Sequence[re.Pattern[str]] = ()) -> list[Finding]:
    out = []
    for node, lines in new_lines:
        for line in lines:
            if _BAD_LINE.search(line) and not any(a.search(line) for a in allowed):
                out.append(Finding("logs", node, line.strip()[:300]))
    return out


def audit(snapshot: Snapshot, allowed_log_lines: Sequence[re.Pattern[str]] = ()) -> list[Finding]:
    """Every audit on one snapshot, in AUDITS order."""
    return [*audit_cib(snapshot.up_nodes, snapshot.cib_copies),
            *audit_settled(snapshot.planned),
            *audit_placement(snapshot.status_nodes, snapshot.agent_nodes, snapshot.single),
            *audit_promoted(snapshot.promoted_status, snapshot.promoted_agent,
                            snapshot.promoted_max),
            *audit_logs(snapshot.new_log_lines, allowed_log_lines)]


def by_audit(findings: Sequence[Finding]) -> Mapping[str, int]:
    """How many findings each audit had (every audit named, 0 when it passed)."""
    counts = dict.fromkeys(AUDITS, 0)
    for f in findings:
        counts[f.audit] += 1
    return counts
