"""Render a Transition's cluster state the way crm_simulate and crm_mon print it."""

from __future__ import annotations

from vigil.scheduler.transition import Allocation, NodeStatus, Transition


def _node_state(node: NodeStatus) -> str | None:
    if node.unclean:
        return "UNCLEAN (online)" if node.online else "UNCLEAN (offline)"
    if node.pending:
        return "pending"
    if node.standby:
        return "standby" if node.online else "OFFLINE (standby)"
    if node.maintenance:
        return "maintenance" if node.online else "OFFLINE (maintenance)"
    return None


def node_lines(transition: Transition) -> list[str]:
    lines = ["  * Node List:"]
    online, offline = [], []
    for node in transition.nodes:
        state = _node_state(node)
        if state is not None:
            lines.append(f"    * Node {node.name}: {state}")
        elif node.online:
            online.append(node.name)
        else:
            offline.append(node.name)
    if online:
        lines.append(f"    * Online: [ {' '.join(online)} ]")
    if offline:
        lines.append(f"    * OFFLINE: [ {' '.join(offline)} ]")
    return lines


def _primitive_state(a: Allocation) -> str:
    flags = []
    if not a.managed:
        flags.append("unmanaged")
    if (a.target_role or "").lower() == "stopped":
        flags.append("disabled")
    suffix = f" ({', '.join(flags)})" if flags else ""
    if not a.current_nodes:
        return f"Stopped{suffix}"
    word = "FAILED" if a.failed else a.current_role
    if word in ("Unpromoted", "Promoted") and not a.failed:
        word = a.current_role
    return f"{word} {' '.join(a.current_nodes)}{suffix}" if len(a.current_nodes) == 1 else \
        f"{word} [ {' '.join(a.current_nodes)} ]{suffix}"


def resource_lines(transition: Transition) -> list[str]:
    lines = ["  * Full List of Resources:"]
    by_parent: dict[str | None, list[Allocation]] = {}
    for a in transition.allocations:
        by_parent.setdefault(a.parent, []).append(a)

    def emit(a: Allocation, indent: int) -> None:
        pad = " " * indent
        if a.kind == "primitive":
            lines.append(f"{pad}* {a.resource}\t({a.agent}):\t {_primitive_state(a)}")
        elif a.kind == "group":
            lines.append(f"{pad}* Resource Group: {a.resource}:")
            for child in by_parent.get(a.resource, []):
                emit(child, indent + 2)
        else:
            children = by_parent.get(a.resource, [])
            lines.append(f"{pad}* Clone Set: {a.resource}:")
            started = sorted({n for c in children for n in _leaf_nodes(c, by_parent)})
            if started:
                lines.append(f"{pad}  * Started: [ {' '.join(started)} ]")
            stopped = [n.name for n in transition.nodes if n.name not in started]
            if stopped:
                lines.append(f"{pad}  * Stopped: [ {' '.join(stopped)} ]")

    for a in by_parent.get(None, []):
        emit(a, 4)
    return lines


def _leaf_nodes(a: Allocation, by_parent: dict[str | None, list[Allocation]]) -> set[str]:
    if a.kind == "primitive":
        return set(a.current_nodes)
    out: set[str] = set()
    for child in by_parent.get(a.resource, []):
        out |= _leaf_nodes(child, by_parent)
    return out
