"""`vigil config export pcs-commands`: the commands that build this configuration again on an
empty CIB (pcs's `config export pcs-commands`), as data: one argv per command, in an order that
works (properties and defaults, fence devices, resources, clones, constraints, levels, alerts,
node attributes). What the CLI grammar cannot say (a rule with a resource or operation
expression, a value-source, elements vigil keeps without modelling) becomes a comment line.

Replaying them with `-f EMPTY.xml` gives the same configuration up to generated ids of nested
elements; tests/cli/test_cli_export.py replays the examples and compares them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from vigil.model.cib import Cib
from vigil.model.constraints import (
    Colocation,
    Constraint,
    Location,
    Order,
    ResourceSet,
    TicketConstraint,
)
from vigil.model.nvset import NvSet
from vigil.model.resources import Clone, Group, Operation, Primitive, Resource
from vigil.model.rules import AttrExpression, DateExpression, Expression, Rule
from vigil.model.score import format_score


@dataclass(frozen=True)
class Line:
    """One command (argv after `vigil`), or a comment when it cannot be said."""

    argv: tuple[str, ...] = ()
    comment: str | None = None


def _pairs(sets: tuple[NvSet, ...]) -> list[str]:
    return [f"{p.name}={p.value or ''}" for s in sets if s.rule is None for p in s.pairs]


def _ruled(sets: tuple[NvSet, ...]) -> list[str]:
    return [s.id for s in sets if s.rule is not None]


def _agent(p: Primitive) -> str:
    if p.standard == "stonith":
        return p.agent_type
    return f"{p.standard}:{p.provider}:{p.agent_type}" if p.provider else \
        f"{p.standard}:{p.agent_type}"


def _op_words(op: Operation) -> list[str]:
    words = [op.name, f"interval={op.interval}", f"id={op.id}"]
    for name, value in (("timeout", op.timeout), ("role", op.role), ("on-fail", op.on_fail)):
        if value is not None:
            words.append(f"{name}={value}")
    if not op.enabled:
        words.append("enabled=false")
    words += _pairs(op.instance_attributes) + _pairs(op.meta_attributes)
    return words


def _primitive(p: Primitive, group: str | None) -> Iterator[Line]:
    stonith = p.standard == "stonith"
    argv = ["stonith" if stonith else "resource", "create", p.id, _agent(p),
            *_pairs(p.instance_attributes)]
    if p.operations:
        argv.append("op")
        for op in p.operations:
            argv += _op_words(op)
    meta = _pairs(p.meta_attributes)
    if meta:
        argv += ["meta", *meta]
    if group is not None:
        argv += ["--group", group]
    if not stonith:
        argv.append("--no-default-ops")
    argv.append("--force")  # the agent may not be installed where this is replayed
    yield Line(tuple(argv))
    for set_id in _ruled(p.instance_attributes) + _ruled(p.meta_attributes):
        yield Line(comment=f"{p.id}: attribute set {set_id} has a rule: not exported")
    util = _pairs(p.utilization)
    if util:
        yield Line(("resource", "utilization", p.id, *util))


def _resource(rsc: Resource) -> Iterator[Line]:
    if isinstance(rsc, Primitive):
        yield from _primitive(rsc, None)
    elif isinstance(rsc, Group):
        for member in rsc.members:
            yield from _primitive(member, rsc.id)
        meta = _pairs(rsc.meta_attributes)
        if meta:
            yield Line(("resource", "meta", rsc.id, *meta))
    elif isinstance(rsc, Clone):
        if isinstance(rsc.child, Primitive):
            yield from _primitive(rsc.child, None)
        else:
            yield from _resource(rsc.child)
        meta = [m for m in _pairs(rsc.meta_attributes) if not m.startswith("promotable=")]
        promotable = rsc.legacy_master or any(
            m.lower() in ("promotable=true", "promotable=1", "promotable=yes")
            for m in _pairs(rsc.meta_attributes))
        yield Line(("resource", "promotable" if promotable else "clone", rsc.child.id, rsc.id,
                    *meta))


def rule_words(rule: Rule) -> list[str] | None:
    """The rule in pcs's rule language, or None when it cannot be said there."""
    parts: list[list[str]] = []
    for expr in rule.expressions:
        words = _expression_words(expr)
        if words is None:
            return None
        parts.append(words)
    out: list[str] = []
    for i, words in enumerate(parts):
        if i:
            out.append(rule.boolean_op)
        out += words
    return out


def _expression_words(expr: Expression) -> list[str] | None:
    if isinstance(expr, Rule):
        inner = rule_words(expr)
        return None if inner is None else ["(", *inner, ")"]
    if isinstance(expr, AttrExpression):
        if expr.value_source not in (None, "literal"):
            return None
        if expr.operation in ("defined", "not_defined"):
            return [expr.operation, expr.attribute]
        return [expr.attribute, expr.operation, *([expr.type] if expr.type else []),
                expr.value or ""]
    if isinstance(expr, DateExpression):
        if expr.operation == "gt" and expr.start:
            return ["date", "gt", expr.start]
        if expr.operation == "lt" and expr.end:
            return ["date", "lt", expr.end]
        if expr.operation == "date_spec" and expr.date_spec is not None:
            return ["date-spec", *(f"{k}={v}" for k, v in expr.date_spec.fields)]
        if expr.operation == "in_range":
            start = [expr.start] if expr.start else []
            if expr.duration is not None and expr.start:
                return ["date", "in_range", *start, "to", "duration",
                        *(f"{k}={v}" for k, v in expr.duration)]
            if expr.end:
                return ["date", "in_range", *start, "to", expr.end]
        return None
    return None  # resource and operation expressions: not in a location rule


def _set_words(sets: tuple[ResourceSet, ...], keyword: str) -> list[str]:
    words: list[str] = []
    for i, rs in enumerate(sets):
        if i:
            words.append("set")
        words += list(rs.resources)
        if not rs.sequential:
            words.append("sequential=false")
        if not rs.require_all:
            words.append("require-all=false")
        if rs.role:
            words.append(f"role={rs.role}")
        if rs.action and keyword != "ticket":
            words.append(f"action={rs.action}")
    return words


def _constraint(c: Constraint) -> Iterator[Line]:
    if isinstance(c, Location):
        target = c.rsc or (f"regexp%{c.rsc_pattern}" if c.rsc_pattern else None)
        if target is None or c.sets:
            yield Line(comment=f"location {c.id} names resource sets: not exported")
            return
        if c.node is not None and c.score is not None and not c.rules:
            extra = [f"resource-discovery={c.resource_discovery}"] if c.resource_discovery else []
            if c.role or c.rsc_pattern:
                verb = "prefers" if c.score >= 0 else "avoids"
                yield Line(("constraint", "location", target, verb,
                            f"{c.node}={format_score(abs(c.score))}", "--force"))
                if c.role:
                    yield Line(comment=f"location {c.id}: role {c.role} not exported")
                return
            yield Line(("constraint", "location", "add", c.id, target, c.node,
                        format_score(c.score), *extra, "--force"))
            return
        for i, rule in enumerate(c.rules):
            words = rule_words(rule)
            if words is None:
                yield Line(comment=f"location {c.id}: rule {rule.id} cannot be said in pcs's "
                                   "rule language: not exported")
                continue
            opts = [f"id={rule.id}"]
            opts.append(f"score-attribute={rule.score_attribute}" if rule.score_attribute
                        else f"score={format_score(rule.score or 0)}")
            if rule.role:
                opts.append(f"role={rule.role}")
            if i == 0:
                head = ["constraint", "location", target, "rule", f"constraint-id={c.id}"]
                if c.resource_discovery:
                    head.append(f"resource-discovery={c.resource_discovery}")
            else:
                head = ["constraint", "rule", "add", c.id]
            yield Line((*head, *opts, *words))
    elif isinstance(c, Colocation):
        if c.sets:
            yield Line(("constraint", "colocation", "set", *_set_words(c.sets, "colocation"),
                        "setoptions", f"score={format_score(c.score)}", f"id={c.id}"))
            return
        argv = ["constraint", "colocation", "add"]
        argv += [c.rsc_role] if c.rsc_role else []
        argv += [c.rsc or "", "with"]
        argv += [c.with_rsc_role] if c.with_rsc_role else []
        argv += [c.with_rsc or "", format_score(c.score), f"id={c.id}"]
        if c.node_attribute:
            argv.append(f"node-attribute={c.node_attribute}")
        if c.influence is not None:
            argv.append(f"influence={str(c.influence).lower()}")
        yield Line(tuple(argv))
    elif isinstance(c, Order):
        opts = [f"id={c.id}"]
        kind = c.kind or ("Optional" if c.score == 0 else None)
        if kind:
            opts.append(f"kind={kind}")
        if c.symmetrical is not None:
            opts.append(f"symmetrical={str(c.symmetrical).lower()}")
        if c.sets:
            yield Line(("constraint", "order", "set", *_set_words(c.sets, "order"),
                        "setoptions", *opts))
            return
        if not c.require_all:
            opts.append("require-all=false")
        yield Line(("constraint", "order", c.first_action or "start", c.first or "", "then",
                    c.then_action or "start", c.then or "", *opts))
    elif isinstance(c, TicketConstraint):
        policy = [f"loss-policy={c.loss_policy}"] if c.loss_policy else []
        if c.sets:
            yield Line(("constraint", "ticket", "set", *_set_words(c.sets, "ticket"),
                        "setoptions", f"ticket={c.ticket}", *policy, f"id={c.id}"))
        else:
            yield Line(("constraint", "ticket", "add", c.ticket,
                        *([c.rsc_role] if c.rsc_role else []), c.rsc or "", *policy,
                        f"id={c.id}"))
    else:
        yield Line(comment=f"constraint {c.id} ({c.tag}) is kept as written: not exported")


def export(cib: Cib) -> tuple[Line, ...]:
    config = cib.configuration
    out: list[Line] = []
    props = _pairs(config.properties)
    props = [p for p in props if p.split("=")[0] not in (
        "dc-version", "cluster-infrastructure", "last-lrm-refresh", "have-watchdog")]
    if props:
        out.append(Line(("property", "set", *props, "--force")))
    if _pairs(config.rsc_defaults):
        out.append(Line(("resource", "defaults", *_pairs(config.rsc_defaults), "--force")))
    if _pairs(config.op_defaults):
        out.append(Line(("resource", "op", "defaults", *_pairs(config.op_defaults), "--force")))
    stonith = [r for r in config.resources if isinstance(r, Primitive) and r.standard == "stonith"]
    for rsc in stonith + [r for r in config.resources if r not in stonith]:
        out.extend(_resource(rsc))
    for c in config.constraints:
        out.extend(_constraint(c))
    if config.fencing_topology is not None:
        for level in config.fencing_topology.levels:
            if level.target is not None and level.index is not None:
                out.append(Line(("stonith", "level", "add", str(level.index), level.target,
                                 ",".join(level.devices), "--force")))
            else:
                out.append(Line(comment=f"fencing level {level.id}: its target is not a node "
                                        "name: not exported"))
    for alert in config.alerts or ():
        argv = ["alert", "create", f"path={alert.path}", f"id={alert.id}"]
        if alert.description:
            argv.append(f"description={alert.description}")
        if _pairs(alert.instance_attributes):
            argv += ["options", *_pairs(alert.instance_attributes)]
        if _pairs(alert.meta_attributes):
            argv += ["meta", *_pairs(alert.meta_attributes)]
        out.append(Line(tuple(argv)))
        for r in alert.recipients:
            argv = ["alert", "recipient", "add", alert.id, f"value={r.value}", f"id={r.id}"]
            if _pairs(r.instance_attributes):
                argv += ["options", *_pairs(r.instance_attributes)]
            if _pairs(r.meta_attributes):
                argv += ["meta", *_pairs(r.meta_attributes)]
            out.append(Line(tuple(argv)))
    for node in config.nodes:
        attrs = _pairs(node.instance_attributes)
        if attrs:
            out.append(Line(("node", "attribute", node.uname, *attrs)))
        util = _pairs(node.utilization)
        if util:
            out.append(Line(("node", "utilization", node.uname, *util)))
    for text in config.extra.children:
        tag = text.split(None, 1)[0].lstrip("<").rstrip(">/")
        out.append(Line(comment=f"<{tag}> is kept as written: not exported"))
    return tuple(out)
