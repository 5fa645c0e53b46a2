"""`vigil resource safe-disable RSC... [--no-strict] [--force]` (pcs): disable resources only
when that affects nothing else. The scheduler decides on the CIB with them disabled; any other
resource it would stop, demote (or, strictly, move, restart or start) that it would not have
touched anyway is named and the change refused. --no-strict allows others to move; --force
disables whatever it affects.
"""

from __future__ import annotations

from collections.abc import Sequence

from vigil.commands import edit, resource
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report
from vigil.model.resources import walk
from vigil.scheduler.engine import schedule

_HARMFUL = frozenset({"Stop", "Demote"})  # what --no-strict still refuses


def _actions(cib: Cib, now: int) -> set[tuple[str, str, str]]:
    return {(i.verb, i.resource, i.details) for i in schedule(cib, now).summary}


def _own_ids(cib: Cib, resource_ids: Sequence[str]) -> set[str]:
    """The disabled resources, everything inside them, and their instances (db:0...)."""
    own: set[str] = set()
    for rsc_id in resource_ids:
        own |= {r.id for r in walk((edit.require_resource(cib, rsc_id),))}
    return own


def safe_disable(env: CibEnvironment, resource_ids: Sequence[str], *, strict: bool = True,
                 force: bool = False) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        new = resource.disabled(cib, resource_ids)
        own = _own_ids(cib, resource_ids)
        before = _actions(cib, env.now())
        after = _actions(new, env.now())
        others = sorted(a for a in after - before
                        if a[1].split(":")[0] not in own and a[0] != "Fence"
                        and (strict or a[0] in _HARMFUL))
        fenced = sorted(a for a in after - before if a[0] == "Fence")
        out: list[Report] = []
        if others or fenced:
            what = "; ".join(f"{verb} {rsc} ({details})" for verb, rsc, details in others + fenced)
            out.append(reports.unless_forced(force, "DISABLE_AFFECTS_OTHERS",
                                             resources=", ".join(resource_ids), actions=what))
        return new, out

    return edit.apply(env, change)
