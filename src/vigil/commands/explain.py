"""Explain one resource's placement in plain terms (the data behind `vigil explain`)."""

from __future__ import annotations

import dataclasses

from vigil.commands import clone as clone_lib
from vigil.commands import edit
from vigil.commands.env import CibEnvironment
from vigil.commands.status import node_attributes
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import ReportError
from vigil.model.resources import Primitive, walk
from vigil.scheduler import explain as explainer
from vigil.scheduler.engine import schedule
from vigil.scheduler.explain import AgentAttribute, Explanation


def promoted_max(cib: Cib, resource: str) -> int | None:
    """The promoted-max of the promotable clone `resource` names (the clone, or the resource
    in it), 1 by default; None when it names no promotable clone."""
    clone = clone_lib.promotable_clone_of(cib, resource)
    if clone is None:
        return None
    for name in clone_lib.PROMOTED_MAX:
        text = edit.plain_value(clone.meta_attributes, name)
        if text is not None and text.strip().lstrip("-").isdigit():
            return int(text)
    return 1


def agent_attributes(cib: Cib, resource: str) -> tuple[AgentAttribute, ...]:
    """The node attributes named NAME-<id of a primitive of `resource`> but for the promotion
    score (master-*, shown with the promotion): what the agents publish about their instances."""
    top = edit.find_resource(cib, resource)
    if top is None:
        return ()
    suffixes = tuple(f"-{r.id}" for r in walk((top,)) if isinstance(r, Primitive))
    return tuple(AgentAttribute(n.node, name, value)
                 for n in node_attributes(cib) for name, value in n.attributes
                 if name.endswith(suffixes) and not name.startswith("master-"))


def explain(env: CibEnvironment, resource: str) -> Explanation:
    """Why `resource` runs where it does, in the CIB `env` holds: a file, or the live cluster's
    (configuration and status as the DC schedules them) at `env.now()`."""
    cib = env.get_cib()
    transition = schedule(cib, env.now())
    try:
        found = explainer.explain(transition, resource,
                                  promoted_max=promoted_max(cib, resource))
    except explainer.UnknownResource as exc:
        close = [k for k in exc.known if resource.lower() in k.lower()][:5]
        raise ReportError([reports.error(
            "RESOURCE_NOT_FOUND", resource=resource,
            suggestions=", ".join(close) if close else ", ".join(exc.known[:8]))]) from None
    return dataclasses.replace(found, agent_attributes=agent_attributes(cib, resource))
