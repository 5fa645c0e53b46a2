"""Node health: the #health-* node attributes turned into scores by the node-health-strategy.

Each attribute whose name starts with "#health" holds a colour (red, yellow, green) or a score.
The strategy gives the colours their scores:
- none (the default): health is ignored;
- migrate-on-red: red is -INFINITY, yellow and green 0;
- only-green: red and yellow are -INFINITY, green 0;
- progressive and custom: the node-health-red/-yellow/-green options (custom behaves as
  progressive in Pacemaker 2.1.5, checked with crm_simulate); progressive starts the sum from
  node-health-base.
A node's health is the sum of its attributes' scores. A node whose health is not 0 weighs that
much in every resource's score there, like a location constraint, except that a resource with
allow-unhealthy-nodes=true is spared a negative health.
"""

from __future__ import annotations

from vigil.model.score import INFINITY, add, parse_score
from vigil.model.values import is_true
from vigil.scheduler.options import ClusterOptions
from vigil.scheduler.working import Node, Rsc, WorkingSet

_STRATEGIES = frozenset({"migrate-on-red", "only-green", "progressive", "custom"})


def _colours(options: ClusterOptions) -> dict[str, int]:
    strategy = options.node_health_strategy
    if strategy == "migrate-on-red":
        return {"red": -INFINITY, "yellow": 0, "green": 0}
    if strategy == "only-green":
        return {"red": -INFINITY, "yellow": -INFINITY, "green": 0}
    return {"red": options.node_health_red, "yellow": options.node_health_yellow,
            "green": options.node_health_green}


def node_health(options: ClusterOptions, node: Node) -> int:
    """The node's health score under the strategy (0 when the strategy is none)."""
    if options.node_health_strategy not in _STRATEGIES:
        return 0
    colours = _colours(options)
    total = options.node_health_base if options.node_health_strategy == "progressive" else 0
    for name, value in node.attrs.items():
        if name.startswith("#health"):
            text = value.strip()
            score = colours.get(text.lower())
            total = add(total, score if score is not None else parse_score(text, 0))
    return total


def health_locations(ws: WorkingSet) -> list[tuple[Rsc, Node, int]]:
    """(resource, node, score) for each top-level resource on each node whose health is not 0."""
    out: list[tuple[Rsc, Node, int]] = []
    for node in ws.nodes:
        health = node_health(ws.options, node)
        if health == 0:
            continue
        for rsc in ws.resources:
            if health < 0 and is_true(rsc.meta.get("allow-unhealthy-nodes"), False):
                continue
            out.append((rsc, node, health))
    return out
