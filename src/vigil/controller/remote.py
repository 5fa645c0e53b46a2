"""Remote nodes in the controller: which member routes a remote node's operations.

A remote node (Pacemaker Remote's role: a machine that is no Corosync member, running
vigil-remoted) is reached through its connection resource (`ocf:pacemaker:remote`, named after
the node), which runs on one member: the operations the DC plans there are sent to that member
(Pacemaker's router node), whose executor runs them over the connection.
"""

from __future__ import annotations

from vigil.controller.state import State
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.status import NodeState

_ALIVE_AFTER = frozenset({"start", "monitor", "migrate_from"})


def router_of(st: State, remote: str) -> int | None:
    """The member of this view whose replica status says the connection to `remote` runs
    there now (None: no connection is up; the remote node's operations cannot be sent)."""
    members = set(st.view.members)
    for state in st.cib.status:
        if not state.id.isdigit() or int(state.id) not in members:
            continue
        if _connection_up(state, remote):
            return int(state.id)
    return None


def _connection_up(state: NodeState, remote: str) -> bool:
    hist = next((h for h in state.history if h.id == remote), None)
    if hist is None:
        return False
    last = next((r for r in hist.operations if r.id == f"{remote}_last_0"), None)
    return (last is not None and last.operation in _ALIVE_AFTER
            and last.rc_code == OcfResult.OK and last.op_status == ExecStatus.DONE)
