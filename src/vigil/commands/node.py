"""Library commands on nodes: standby, maintenance, and permanent node attributes.

These are the node's attributes in the configuration (`<node><instance_attributes>`), as
`crm_standby` and `crm_attribute -t nodes` write them: `nodes-ID` sets, `nodes-ID-NAME` pairs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib, NodeConfig
from vigil.model.reports import Report, ReportError


def _targets(cib: Cib, nodes: Sequence[str], all_nodes: bool) -> list[NodeConfig]:
    if all_nodes:
        if nodes:
            raise ReportError([reports.error("NODES_AND_ALL")])
        return list(cib.configuration.nodes)
    if not nodes:
        raise ReportError([reports.error("NODE_NEEDED")])
    return [edit.require_node(cib, n) for n in nodes]


def _set_node_attrs(cib: Cib, node: NodeConfig, pairs: Sequence[tuple[str, str]]) -> Cib:
    sets = edit.set_pairs(node.instance_attributes, pairs, set_id=f"nodes-{node.id}",
                          taken=edit.used_ids(cib))
    new_node = dataclasses.replace(node, instance_attributes=sets)
    nodes = tuple(new_node if n.id == node.id else n for n in cib.configuration.nodes)
    return edit.with_config(cib, nodes=nodes)


def _flag(env: CibEnvironment, name: str, on: bool, nodes: Sequence[str],
          all_nodes: bool) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        new = cib
        for node in _targets(cib, nodes, all_nodes):
            current = next(n for n in new.configuration.nodes if n.id == node.id)
            new = _set_node_attrs(new, current, [(name, "on" if on else "")])
        return new, []

    return edit.apply(env, change)


def standby(env: CibEnvironment, nodes: Sequence[str], *, all_nodes: bool = False,
            on: bool = True) -> Applied:
    """Put nodes in standby (their resources move away), or with `on=False` take them out."""
    return _flag(env, "standby", on, nodes, all_nodes)


def maintenance(env: CibEnvironment, nodes: Sequence[str], *, all_nodes: bool = False,
                on: bool = True) -> Applied:
    """Put nodes in maintenance (the cluster leaves their resources alone), or take them out."""
    return _flag(env, "maintenance", on, nodes, all_nodes)


def set_attributes(env: CibEnvironment, node: str, pairs: Sequence[tuple[str, str]], *,
                   force: bool = False) -> Applied:
    """Set node attributes; an empty value removes one (an error if it is not set, unless
    forced)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        target = edit.require_node(cib, node)
        out: list[Report] = []
        for name, value in pairs:
            if value == "" and edit.plain_value(target.instance_attributes, name) is None:
                out.append(reports.unless_forced(force, "NODE_ATTRIBUTE_NOT_SET", node=node,
                                                 name=name))
        return _set_node_attrs(cib, target, pairs), out

    return edit.apply(env, change)


def attributes(env: CibEnvironment, node: str | None = None
               ) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """Each node (or the one given) with its attributes, as (name, value) pairs."""
    cib = env.get_cib()
    nodes = [edit.require_node(cib, node)] if node else list(cib.configuration.nodes)
    out = []
    for n in nodes:
        pairs = tuple((p.name, p.value or "") for s in n.instance_attributes if s.rule is None
                      for p in s.pairs)
        out.append((n.uname, pairs))
    return tuple(out)
