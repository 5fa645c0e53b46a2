"""What crm_verify counts against a CIB although Pacemaker only warns of it: its scheduler's
configuration warnings. crm_verify exits 78 ("config may not be valid") for them, so `vigil
verify` says them too and, like it, calls the configuration not valid (exit 2), so that both
tools agree on which files are valid (issue 14; tests/conformance/test_verify_agreement.py).

Each is a warning (the words say what Pacemaker does and what to do), its code in
PACEMAKER_REJECTS: a cluster or remote node that is unclean (the scheduler will fence it, or
would: the status is not a healthy cluster's; a guest node's state is its container's, not
counted), require-all on an ordering constraint (deprecated), a stonith-action Pacemaker
deprecates (poweroff), and a node's recorded state for a node the configuration no longer has.
What Pacemaker only logs (startup-fencing=false's "blind faith", a cluster without quorum) does
not count: crm_verify accepts those files, measured on the corpus.
"""

from __future__ import annotations

from vigil.commands import edit
from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import Order
from vigil.model.nvset import first_value
from vigil.model.reports import Report
from vigil.scheduler.engine import schedule

PACEMAKER_REJECTS = frozenset({
    "VERIFY_NODE_UNCLEAN", "VERIFY_ORDER_REQUIRE_ALL", "VERIFY_STONITH_ACTION_POWEROFF",
    "VERIFY_NODE_STATE_UNKNOWN"})


def findings(cib: Cib, now: int) -> list[Report]:
    return [*_configuration(cib), *_status(cib, now)]


def _configuration(cib: Cib) -> list[Report]:
    out = []
    if (cib.cluster_option("stonith-action") or "").lower() == "poweroff":
        out.append(reports.warning("VERIFY_STONITH_ACTION_POWEROFF"))
    for c in cib.configuration.constraints:
        if isinstance(c, Order) and not c.sets and not c.require_all:
            out.append(reports.warning("VERIFY_ORDER_REQUIRE_ALL", id=c.id))
    return out


def _guests(cib: Cib) -> tuple[set[str], tuple[str, ...]]:
    """The guest nodes' names (a resource's remote-node), and the bundles' ids (their replicas'
    guest nodes are BUNDLE-N): nodes whose state is their container's, not a cluster node's."""
    named = {v for p in edit.primitives(cib)
             if (v := first_value(p.meta_attributes, "remote-node")) is not None}
    bundles = tuple(b.id for b in cib.configuration.resources if isinstance(b, Bundle))
    return named, bundles


def _status(cib: Cib, now: int) -> list[Report]:
    configured = {n.id for n in cib.configuration.nodes}
    named, bundles = _guests(cib)

    def guest(name: str) -> bool:
        return name in named or any(name.startswith(f"{b}-") for b in bundles)

    out = []
    for state in cib.status:
        name = state.uname or state.id
        if state.id not in configured and not dict(state.extra.attrs).get("remote_node") \
                and not guest(name):
            out.append(reports.warning("VERIFY_NODE_STATE_UNKNOWN", node=name))
    if not cib.status:
        return out
    t = schedule(cib, now)
    for n in t.nodes:
        if n.unclean and not guest(n.name):
            out.append(reports.warning("VERIFY_NODE_UNCLEAN", node=n.name,
                                       reason=n.fence_reason or "its state is not known"))
    return out
