"""Health checks a node answers about itself, for load balancers (HAProxy, keepalived, cloud
load balancers): pure, a status snapshot and a path in, an HTTP status and a small body out.

Paths:
- `/health`: 200 when this node is online in a partition with quorum and takes resources
  (not unclean, pending, shutting down, in standby or in maintenance, and the cluster is not in
  maintenance-mode); else 503 with the reason.
- `/running/RSC`: 200 when RSC (a primitive, group or clone id, or a resource inside a clone)
  runs on this node now: see `ResourceTree.runs_on` (a failed instance does not count, a group
  counts when every member runs here); 503 otherwise.
- `/promoted/RSC`, `/unpromoted/RSC`: 200 when an instance of the promotable clone RSC (its id,
  or the id of the resource it clones) runs on this node as Promoted, resp. Unpromoted; 503
  otherwise; 400 when RSC is not in a promotable clone.
An unknown resource is 404, an unknown path too. Without a status (the snapshot could not be
taken), every known path is 503: this node cannot vouch for anything.

The truths come from one place: where resources run and in which role from
`commands.resource_state` (what `vigil status` shows), the node's state from the scheduler's
`NodeStatus`. The body is a frozen dataclass: a verdict code for scripts and one line for
people (the api is an edge, so its words are made here); the HTTP server turns it into JSON
with `dataclasses.asdict`. Nothing here asks another node or schedules: the server hands in
the snapshot it keeps (ARCHITECTURE.md wants health checks answered in under 10 ms).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from http import HTTPStatus

from vigil.commands.resource_state import ResourceTree
from vigil.commands.status import ClusterStatus
from vigil.scheduler.transition import Allocation, NodeStatus


class Check(enum.StrEnum):
    HEALTH = "health"
    RUNNING = "running"
    PROMOTED = "promoted"
    UNPROMOTED = "unpromoted"
    UNKNOWN = "unknown"  # a path that names no check


class Verdict(enum.StrEnum):
    """Why the answer is what it is, for scripts (the message is for people)."""

    OK = "OK"
    NO_STATUS = "NO_STATUS"
    NODE_UNKNOWN = "NODE_UNKNOWN"
    NODE_OFFLINE = "NODE_OFFLINE"
    NODE_UNCLEAN = "NODE_UNCLEAN"
    NODE_PENDING = "NODE_PENDING"
    NODE_SHUTTING_DOWN = "NODE_SHUTTING_DOWN"
    NO_QUORUM = "NO_QUORUM"
    NODE_STANDBY = "NODE_STANDBY"
    NODE_MAINTENANCE = "NODE_MAINTENANCE"
    CLUSTER_MAINTENANCE = "CLUSTER_MAINTENANCE"
    NOT_RUNNING_HERE = "NOT_RUNNING_HERE"
    NOT_IN_ROLE_HERE = "NOT_IN_ROLE_HERE"
    UNKNOWN_RESOURCE = "UNKNOWN_RESOURCE"
    NOT_PROMOTABLE = "NOT_PROMOTABLE"
    UNKNOWN_PATH = "UNKNOWN_PATH"


@dataclass(frozen=True)
class HealthBody:
    check: Check
    node: str  # the node answering
    resource: str | None  # the resource asked about, if any
    verdict: Verdict
    message: str  # one line


@dataclass(frozen=True)
class HealthAnswer:
    status: HTTPStatus
    body: HealthBody


_ROLE_OF = {Check.PROMOTED: "Promoted", Check.UNPROMOTED: "Unpromoted"}


def health(status: ClusterStatus | None, local_node: str, path: str) -> HealthAnswer:
    """Answer `path` (the URL's path, already decoded, without its query) for `local_node`."""
    check, resource = _parse(path)
    if check == Check.UNKNOWN:
        return _answer(HTTPStatus.NOT_FOUND, check, local_node, None, Verdict.UNKNOWN_PATH,
                       f"no health check at {path!r}: use /health, /running/RSC, "
                       f"/promoted/RSC or /unpromoted/RSC")
    if status is None:
        return _answer(HTTPStatus.SERVICE_UNAVAILABLE, check, local_node, resource,
                       Verdict.NO_STATUS, "the cluster's status could not be read on this node")
    if check == Check.HEALTH:
        return _node_health(status, local_node)
    assert resource is not None  # _parse gives every resource check its resource
    return _resource_health(status, local_node, check, resource)


def _parse(path: str) -> tuple[Check, str | None]:
    if path == "/health":
        return Check.HEALTH, None
    parts = path.split("/")
    # "/running/RSC" splits into ["", "running", "RSC"]; anything longer or empty is unknown
    if len(parts) == 3 and parts[0] == "" and parts[2]:
        try:
            check = Check(parts[1])
        except ValueError:
            return Check.UNKNOWN, None
        if check in (Check.RUNNING, Check.PROMOTED, Check.UNPROMOTED):
            return check, parts[2]
    return Check.UNKNOWN, None


def _answer(code: HTTPStatus, check: Check, node: str, resource: str | None, verdict: Verdict,
            message: str) -> HealthAnswer:
    return HealthAnswer(code, HealthBody(check, node, resource, verdict, message))


def _node_problem(status: ClusterStatus, node: NodeStatus) -> tuple[Verdict, str] | None:
    """Why this node cannot serve, first reason first; None when it can."""
    if node.unclean:
        return Verdict.NODE_UNCLEAN, f"{node.name} is unclean ({node.fence_reason or 'unknown'})"
    if not node.online:
        return Verdict.NODE_OFFLINE, f"{node.name} is offline"
    if node.pending:
        return Verdict.NODE_PENDING, f"{node.name} has not finished joining the cluster"
    if node.shutdown:
        return Verdict.NODE_SHUTTING_DOWN, f"{node.name} is shutting down"
    if not status.have_quorum:
        return Verdict.NO_QUORUM, f"{node.name}'s partition does not have quorum"
    if node.standby:
        return Verdict.NODE_STANDBY, f"{node.name} is in standby"
    if node.maintenance:
        return Verdict.NODE_MAINTENANCE, f"{node.name} is in maintenance"
    if status.transition.maintenance_mode:
        return Verdict.CLUSTER_MAINTENANCE, "the cluster is in maintenance-mode"
    return None


def _node_health(status: ClusterStatus, local_node: str) -> HealthAnswer:
    node = next((n for n in status.transition.nodes if n.name == local_node), None)
    if node is None:
        return _answer(HTTPStatus.SERVICE_UNAVAILABLE, Check.HEALTH, local_node, None,
                       Verdict.NODE_UNKNOWN, f"{local_node} is not a node of this cluster")
    problem = _node_problem(status, node)
    if problem is not None:
        return _answer(HTTPStatus.SERVICE_UNAVAILABLE, Check.HEALTH, local_node, None, *problem)
    return _answer(HTTPStatus.OK, Check.HEALTH, local_node, None, Verdict.OK,
                   f"{local_node} is online, with quorum, and takes resources")


def _resource_health(status: ClusterStatus, local_node: str, check: Check, resource: str
                     ) -> HealthAnswer:
    tree = ResourceTree.of(status)
    found = tree.named(resource)
    if not found:
        return _answer(HTTPStatus.NOT_FOUND, check, local_node, resource,
                       Verdict.UNKNOWN_RESOURCE, f"no resource {resource!r} in this cluster")
    if check == Check.RUNNING:
        if any(tree.runs_on(a, local_node) for a in found):
            return _answer(HTTPStatus.OK, check, local_node, resource, Verdict.OK,
                           f"{resource} runs on {local_node}")
        return _answer(HTTPStatus.SERVICE_UNAVAILABLE, check, local_node, resource,
                       Verdict.NOT_RUNNING_HERE, f"{resource} does not run on {local_node}")
    if not all(_promotable(tree, a) for a in found):
        return _answer(HTTPStatus.BAD_REQUEST, check, local_node, resource,
                       Verdict.NOT_PROMOTABLE, f"{resource} is not a promotable clone")
    role = _ROLE_OF[check]
    # a clone stands for its instances; an id inside the clone already names instances
    instances = [i for a in found
                 for i in (tree.children.get(a.resource, ()) if a.kind == "clone" else (a,))]
    if any(tree.runs_on(i, local_node) and tree.role(i) == role for i in instances):
        return _answer(HTTPStatus.OK, check, local_node, resource, Verdict.OK,
                       f"{resource} is {role} on {local_node}")
    return _answer(HTTPStatus.SERVICE_UNAVAILABLE, check, local_node, resource,
                   Verdict.NOT_IN_ROLE_HERE, f"{resource} is not {role} on {local_node}")


def _promotable(tree: ResourceTree, a: Allocation) -> bool:
    """A promotable clone, or a resource inside one."""
    if a.kind == "clone":
        return tree.shape(a).promotable
    return tree.in_promotable_clone(a)
