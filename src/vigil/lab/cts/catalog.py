"""The 22 scenarios of Pacemaker's CTS (cts-lab's test list), in its order, with what each does
and, for those vigil cannot run yet, why: the list says what is missing rather than leaving it
out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    what: str
    missing: str | None = None  # why vigil does not run it yet (None: it does)


_REMOTE = ("vigil-remoted runs a remote node's resources (tests/lab/test_remote_node.py), but "
           "the CTS lab has no remote node yet, and vigil does not fence remote nodes yet")

CATALOG: tuple[ScenarioInfo, ...] = (
    ScenarioInfo("Flip", "stop a running node's cluster stack, or start a stopped one"),
    ScenarioInfo("Restart", "stop and start again one node's cluster stack"),
    ScenarioInfo("StartOnebyOne", "stop every node, then start them one after the other"),
    ScenarioInfo("SimulStart", "stop every node, then start them all at once"),
    ScenarioInfo("SimulStop", "stop every node at once"),
    ScenarioInfo("StopOnebyOne", "stop the nodes one after the other"),
    ScenarioInfo("RestartOnebyOne", "restart the nodes one after the other"),
    ScenarioInfo("PartialStart", "start a node's stack and stop it before it has joined"),
    ScenarioInfo("Standby", "put a node in standby: its resources leave; out of standby again"),
    ScenarioInfo("MaintenanceMode", "maintenance-mode on: a resource that dies is not recovered; "
                 "off again: it is"),
    ScenarioInfo("ResourceRecover", "a resource fails where it runs: recovered, its fail count "
                 "counted"),
    ScenarioInfo("ComponentFail", "vigild is killed on a node: restarted by the node's init, the "
                 "cluster carries on"),
    ScenarioInfo("SplitBrain", "the network splits in two: the side without quorum stops or is "
                 "fenced; the split heals"),
    ScenarioInfo("Reattach", "every node's stack stops with the resources unmanaged: they keep "
                 "running, and are found running (not restarted) when the stack starts again"),
    ScenarioInfo("ResyncCIB", "every node stops, one loses its CIB; it takes the cluster's "
                 "again when they start"),
    ScenarioInfo("NearQuorumPoint", "nodes stop and start at once around the quorum point"),
    ScenarioInfo("Stonithd", "a node is fenced on request (reboot) and joins again"),
    ScenarioInfo("Cibsecret", "secret resource parameters kept outside the CIB (cibsecret)",
                 "vigil has no cibsecret: parameters are kept in the CIB"),
    ScenarioInfo("RemoteBasic", "a remote node started and stopped", _REMOTE),
    ScenarioInfo("RemoteStonithd", "a remote node fenced", _REMOTE),
    ScenarioInfo("RemoteMigrate", "a remote node's connection migrated", _REMOTE),
    ScenarioInfo("RemoteRscFailure", "a resource on a remote node fails", _REMOTE),
)

BY_NAME = {s.name.lower(): s for s in CATALOG}
RUNNABLE = tuple(s.name for s in CATALOG if s.missing is None)


def lookup(name: str) -> ScenarioInfo | None:
    """The scenario called `name` (any case), None when CTS has none by that name."""
    return BY_NAME.get(name.lower())
