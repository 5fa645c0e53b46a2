"""What if: the scheduler's answer to a change on a copy of the running cluster's CIB, nothing
applied. The web UI's "what if" page and `POST /api/v1/whatif` ask it; an operator sees what a
node's failure, a standby or a move would do (and the constraint a move leaves behind) before
doing it.

The changes are made by the same commands that make them for real (node.standby,
relocation.move), run on a CibCopy instead of the cluster; a node's failure is written into the
copy's status the way crm_simulate's --node-fail does (out of the membership, expected up), so
the scheduler fences it when fencing is on and recovers its resources elsewhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.commands import edit, node, relocation
from vigil.commands.env import CibEnvironment, bump
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError
from vigil.model.version import CibVersion
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import SummaryItem, Transition


class CibCopy:
    """A CibEnvironment over a CIB held in memory: the commands' changes stay here."""

    def __init__(self, cib: Cib, now: int) -> None:
        self.cib = cib
        self._now = now

    def get_cib(self) -> Cib:
        return self.cib

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        if read_version != self.cib.version:  # only this module writes here: a slip of ours
            raise ReportError([reports.error("CIB_CHANGED_UNDERNEATH", path="(copy)",
                                             read=read_version.dotted(),
                                             now=self.cib.version.dotted())])
        self.cib = bump(cib)
        return self.cib

    def now(self) -> int:
        return self._now

    @property
    def warnings(self) -> tuple[Report, ...]:
        return ()


@dataclass(frozen=True)
class Move:
    resource: str
    node: str
    promoted: bool = False  # a promotable clone's promoted instance


@dataclass(frozen=True)
class WhatIf:
    fail: tuple[str, ...] = ()  # nodes that lose power
    standby: tuple[str, ...] = ()
    moves: tuple[Move, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.fail or self.standby or self.moves)


@dataclass(frozen=True)
class Placement:
    resource: str
    nodes: tuple[str, ...]  # where it runs (before) or will run (after); () stopped
    role: str


@dataclass(frozen=True)
class WhatIfAnswer:
    question: WhatIf
    summary: tuple[SummaryItem, ...]  # what the cluster would do, crm_simulate's summary
    before: tuple[Placement, ...]
    after: tuple[Placement, ...]
    reports: tuple[Report, ...]  # what the commands said (the constraint a move would create)
    transition: Transition


def what_if(env: CibEnvironment, question: WhatIf) -> WhatIfAnswer:
    """The scheduler's answer for `question` on a copy of env's CIB; ReportError (unknown
    node or resource, a move the CLI would refuse) when it cannot be asked."""
    if question.empty:
        raise ReportError([reports.error("WHATIF_NOTHING_ASKED")])
    now = env.now()
    cib = env.get_cib()
    copy = CibCopy(cib, now)
    said: list[Report] = []
    for name in (*question.fail, *question.standby):
        edit.require_node(cib, name)
    if question.standby:
        said += node.standby(copy, question.standby).reports
    for move in question.moves:
        said += relocation.move(copy, move.resource, move.node, promoted=move.promoted,
                                force=True).reports
    changed = _failed(copy.get_cib(), question.fail)
    transition = schedule(changed, now)
    # where things run before is read from the unchanged CIB: a failed node's resources are
    # no longer counted as running in the changed one when fencing is off (a node that left
    # cleanly runs nothing, for Pacemaker as for vigil)
    return WhatIfAnswer(question, transition.summary, placements(schedule(cib, now)),
                        placements(transition, after=True), tuple(said), transition)


def _failed(cib: Cib, names: Sequence[str]) -> Cib:
    """The CIB with `names` out of the membership while the cluster expects them up: what a
    power cut looks like to the DC (crm_simulate --node-fail)."""
    if not names:
        return cib
    ids = {n.id for n in cib.configuration.nodes if n.uname in names}
    status = tuple(
        dataclasses.replace(s, in_ccm="false", crmd="offline", join="down", expected="member")
        if s.id in ids or s.uname in names else s for s in cib.status)
    return dataclasses.replace(cib, status=status)


def placements(transition: Transition, *, after: bool = False) -> tuple[Placement, ...]:
    """Where each primitive (and clone instance) runs, before the transition or after it."""
    out = []
    for a in transition.allocations:
        if a.kind != "primitive":
            continue
        if after:
            nodes: tuple[str, ...] = (a.next_node,) if a.next_node else ()
            role = a.next_role
        else:
            nodes, role = a.current_nodes, a.current_role
        out.append(Placement(a.resource, nodes, role))
    return tuple(out)
