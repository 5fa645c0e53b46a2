"""Render a Transition's cluster state the way crm_simulate and crm_mon print it."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from vigil.commands.clone_shape import CloneShape
from vigil.commands.resource_state import collective_role, instance_role
from vigil.scheduler.transition import Allocation, NodeStatus, Transition

if TYPE_CHECKING:
    # a type only: the status command's module brings the editing commands, which
    # `vigil simulate` (through simulate_view) does without
    from vigil.commands.status import NodeAttributes


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


_LIST_PREFIX = {"remote": "Remote", "guest": "Guest"}  # crm_mon's RemoteOnline, GuestOnline...


def node_lines(transition: Transition) -> list[str]:
    lines = ["  * Node List:"]
    lists: dict[str, list[str]] = {}
    for node in transition.nodes:
        state = _node_state(node)
        prefix = _LIST_PREFIX.get(node.kind, "")
        if state is not None:
            lines.append(f"    * {prefix}Node {node.name}: {state}")
        else:
            lists.setdefault(prefix + ("Online" if node.online else "OFFLINE"), []).append(node.name)
    for name in ("Online", "OFFLINE", "RemoteOnline", "RemoteOFFLINE", "GuestOnline",
                 "GuestOFFLINE"):
        if lists.get(name):
            lines.append(f"    * {name}: [ {' '.join(lists[name])} ]")
    return lines


def _primitive_state(a: Allocation, promotable: bool = False,
                     unclean: frozenset[str] = frozenset()) -> str:
    orphan = "ORPHANED " if a.orphan else ""
    return orphan + _primitive_role(a, promotable, unclean)


def _primitive_role(a: Allocation, promotable: bool, unclean: frozenset[str]) -> str:
    flags = []
    if not a.managed:
        flags.append("unmanaged")
    if (a.target_role or "").lower() == "stopped":
        flags.append("disabled")
    suffix = f" ({', '.join(flags)})" if flags else ""
    if not a.current_nodes:
        return f"Stopped{suffix}"
    role = instance_role(a, promotable)
    word = role
    if a.failed:
        word = "FAILED Promoted" if role == "Promoted" else "FAILED"
    if len(a.current_nodes) == 1:
        node = a.current_nodes[0]
        where = f"{node} (UNCLEAN)" if node in unclean else node
        return f"{word} {where}{suffix}"
    return f"{word} [ {' '.join(a.current_nodes)} ]{suffix}"


def _guess_promotable(a: Allocation, by_parent: dict[str | None, list[Allocation]]) -> bool:
    """Without the configuration (crm_simulate's view of a Transition): a clone is promotable
    when one of its instances has a promotion score or a promotable role."""
    roles = {"Promoted", "Unpromoted", "Master", "Slave"}
    todo = list(by_parent.get(a.resource, []))
    while todo:
        c = todo.pop()
        if c.promotion or c.current_role in roles or c.next_role in roles:
            return True
        todo += by_parent.get(c.resource, [])
    return False


def _base(instance: str) -> str:
    return instance.rsplit(":", 1)[0]


def _instance_number(a: Allocation) -> tuple[int, str]:
    """Instances in their numbers' order (db:2 before db:10); orphans after."""
    _, colon, number = a.resource.rpartition(":")
    return (int(number) if colon and number.isdigit() and not a.orphan else 1 << 30,
            a.resource)


def resource_lines(transition: Transition, *,
                   clones: Mapping[str, CloneShape] | None = None,
                   only: Collection[str] | None = None) -> list[str]:
    """The resources as crm_mon prints them. `clones` says which clones are promotable or
    unique (the status command reads it from the configuration); without it a clone is taken
    as promotable when its instances show promotion, and as anonymous. `only`: just these
    resources, each with what is inside it (a clone's primitive stands for its clone, as
    `pcs resource status ID` shows it)."""
    lines = ["  * Full List of Resources:"]
    by_parent: dict[str | None, list[Allocation]] = {}
    for a in transition.allocations:
        by_parent.setdefault(a.parent, []).append(a)
    # crm_mon marks a resource on a node that is unclean and no longer in the membership
    unclean = frozenset(n.name for n in transition.nodes if n.unclean and not n.online)

    def emit(a: Allocation, indent: int, promotable: bool = False, anonymous: bool = False
             ) -> None:
        pad = " " * indent
        if a.kind == "primitive":
            # an anonymous clone's instance is shown by its resource's name, a unique one's
            # with its number
            name = _base(a.resource) if anonymous else a.resource
            state = _primitive_state(a, promotable, unclean)
            lines.append(f"{pad}* {name}\t({a.agent}):\t {state}")
        elif a.kind == "group":
            members = _members(a, by_parent)
            flag = " (unmanaged)" if members and not any(m.managed for m in members) else ""
            lines.append(f"{pad}* Resource Group: {a.resource}{flag}:")
            for child in by_parent.get(a.resource, []):
                emit(child, indent + 2, promotable, anonymous)
        else:
            emit_clone(a, indent)

    def emit_clone(a: Allocation, indent: int) -> None:
        pad = " " * indent
        shape = (clones or {}).get(a.resource)
        if shape is None:
            shape = CloneShape(promotable=_guess_promotable(a, by_parent))
        children = sorted(by_parent.get(a.resource, []), key=_instance_number)
        flags = [w for w, on in (("promotable", shape.promotable), ("unique", shape.unique)) if on]
        if not a.managed:
            flags.append("unmanaged")
        disabled = (a.target_role or "").lower() == "stopped"
        if disabled:
            flags.append("disabled")
        child = f" [{_base(children[0].resource)}]" if children else ""
        more = f" ({', '.join(flags)})" if flags else ""
        lines.append(f"{pad}* Clone Set: {a.resource}{child}{more}:")
        by_role: dict[str, list[str]] = {}
        active: set[str] = set()
        for c in children:
            nodes = _leaf_nodes(c, by_parent)
            active |= nodes
            plain = _plain_instance(c, by_parent, shape.promotable)
            if shape.unique or not plain:
                if nodes or (shape.unique and not c.orphan):
                    emit(c, indent + 2, shape.promotable, anonymous=not shape.unique)
                continue
            if nodes:
                role = _instance_role(c, by_parent, shape.promotable)
                by_role.setdefault(role, []).extend(sorted(nodes))
        for role in ("Promoted", "Unpromoted", "Started"):
            if by_role.get(role):
                lines.append(f"{pad}  * {role}: [ {' '.join(sorted(by_role[role]))} ]")
        if shape.unique:
            return
        # the nodes without an instance are listed while some instance is not active
        # (clone-max not reached)
        instances = [c for c in children if not c.orphan]
        idle = any(not _leaf_nodes(c, by_parent) for c in instances)
        stopped = [n.name for n in transition.nodes if n.name not in active]
        if stopped and (idle or not instances):
            word = "Stopped (disabled)" if disabled else "Stopped"
            lines.append(f"{pad}  * {word}: [ {' '.join(stopped)} ]")

    def visit(a: Allocation) -> None:
        children = by_parent.get(a.resource, [])
        asked = only is None or a.resource in only or (
            a.kind == "clone" and any(_base(c.resource) in only for c in children))
        if asked:
            emit(a, 4)
            return
        for child in children:
            visit(child)

    for a in by_parent.get(None, []):
        visit(a)
    return lines


def _members(a: Allocation, by_parent: dict[str | None, list[Allocation]]) -> list[Allocation]:
    if a.kind == "primitive":
        return [a]
    return [m for c in by_parent.get(a.resource, []) for m in _members(c, by_parent)]


def _instance_role(a: Allocation, by_parent: dict[str | None, list[Allocation]],
                   promotable: bool) -> str:
    return collective_role([instance_role(m, promotable) for m in _members(a, by_parent)
                            if m.current_nodes])


def _plain_instance(a: Allocation, by_parent: dict[str | None, list[Allocation]],
                    promotable: bool) -> bool:
    """An instance crm_mon folds into a `Role: [ nodes ]` list: managed, not failed, and (a
    group) with every member active on the same node in the same role, or all stopped."""
    members = _members(a, by_parent)
    if any(m.failed or m.orphan or not m.managed or len(m.current_nodes) > 1
           for m in members):
        return False
    places = {m.current_nodes for m in members}
    roles = {instance_role(m, promotable) for m in members}
    return len(places) == 1 and len(roles) == 1


def _leaf_nodes(a: Allocation, by_parent: dict[str | None, list[Allocation]]) -> set[str]:
    if a.kind == "primitive":
        return set(a.current_nodes)
    out: set[str] = set()
    for child in by_parent.get(a.resource, []):
        out |= _leaf_nodes(child, by_parent)
    return out


def node_attribute_lines(found: Iterable[NodeAttributes]) -> list[str]:
    """`crm_mon -A`'s Node Attributes section (name padded to 32, value to 10)."""
    lines = ["  * Node Attributes:"]
    for node in found:
        lines.append(f"    * Node: {node.node}:")
        lines += [f"      * {name:<32}\t: {value:<10}" for name, value in node.attributes]
    return lines
