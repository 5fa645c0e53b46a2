"""What the status is as data (`vigil status --output json`, the API's GET /api/v1/status, the
web UI): one shape for every caller, plain JSON values only (dicts, lists, strings, numbers,
booleans, None), so each edge serialises it without knowing the dataclasses behind it."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from vigil.commands.resource_state import ResourceTree
from vigil.commands.status import ClusterStatus
from vigil.daemon.control import encode_report
from vigil.model.reports import Report


def plain(value: Any) -> Any:
    """`value` as plain JSON values: dataclasses as dicts of their fields, tuples as lists,
    enums as their values, reports in their transfer form (control.encode_report: their words
    are the edge's)."""
    if isinstance(value, Report):
        return encode_report(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def resource_data(state: ClusterStatus) -> list[dict[str, Any]]:
    """Every resource, instance and collective, with its role now and where it runs. An
    instance of a promotable clone is Promoted or Unpromoted; a group's or clone's role is the
    highest of its members' (a clone with a promoted instance is Promoted); a clone lists its
    instances (id, node, role)."""
    tree = ResourceTree.of(state)
    out = []
    for a in tree.allocations:
        item: dict[str, Any] = {
            "id": a.resource, "kind": a.kind, "parent": a.parent, "agent": a.agent,
            "role": tree.role(a), "nodes": list(a.current_nodes),
            "node": a.current_nodes[0] if len(a.current_nodes) == 1 else None,
            "failed": a.failed, "managed": a.managed, "orphan": a.orphan,
            "target_role": a.target_role, "fail_counts": dict(a.fail_counts)}
        if a.kind == "clone":
            shape = tree.shape(a)
            instances = tree.children.get(a.resource, ())
            item["nodes"] = sorted(tree.nodes_below(a))
            item["promotable"] = shape.promotable
            item["unique"] = shape.unique
            item["instances"] = [
                {"id": c.resource, "role": tree.role(c),
                 "node": next(iter(sorted(tree.nodes_below(c))), None)}
                for c in instances]
        out.append(item)
    return out


def status_document(state: ClusterStatus) -> dict[str, Any]:
    t = state.transition
    document: dict[str, Any] = plain({
        "cluster_name": state.cluster_name, "dc": state.dc, "have_quorum": state.have_quorum,
        "maintenance_mode": t.maintenance_mode, "stonith_enabled": t.stonith_enabled,
        "nodes": list(t.nodes),
        "resources": resource_data(state),
        "node_attributes": {n.node: dict(n.attributes) for n in state.node_attributes},
        "failed_actions": list(state.failed_actions),
        "fencing": list(state.fencing),
        "operations": list(state.operations),
    })
    return document
