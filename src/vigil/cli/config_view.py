"""The configuration as pcs prints it: resources, constraints, defaults, properties, nodes."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from vigil.cli import status_view
from vigil.commands import fencing_topology
from vigil.commands.agents import AgentMetadata
from vigil.commands.property import Property
from vigil.commands.status import ClusterStatus, FailedAction
from vigil.model.acls import AclPermission, Acls
from vigil.model.alerts import Alert
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib
from vigil.model.constraints import (
    Colocation,
    Constraint,
    Location,
    Order,
    ResourceSet,
    TicketConstraint,
    UnknownConstraint,
)
from vigil.model.fencing import FencingLevel
from vigil.model.nvset import NvSet
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.resources import Group, Operation, Primitive, Resource
from vigil.model.rules import (
    AttrExpression,
    DateExpression,
    Expression,
    OpExpression,
    ResourceExpression,
    Rule,
)
from vigil.model.score import format_score


def is_stonith_resource(rsc: Resource) -> bool:
    return isinstance(rsc, Primitive) and rsc.standard == "stonith"


def _pairs(sets: tuple[NvSet, ...]) -> str:
    return " ".join(f"{p.name}={p.value if p.value is not None else ''}"
                    for s in sets for p in s.pairs)


def _operation(op: Operation) -> str:
    words = [op.name, f"interval={op.interval}"]
    if op.timeout:
        words.append(f"timeout={op.timeout}")
    if op.role:
        words.append(f"role={op.role}")
    if op.on_fail:
        words.append(f"on-fail={op.on_fail}")
    if not op.enabled:
        words.append("enabled=false")
    words += [f"{k}={v}" for k, v in op.extra.attrs]
    level = _pairs(op.instance_attributes)
    if level:
        words.append(level)
    return f"{' '.join(words)} ({op.id})"


def resource_lines(rsc: Resource, depth: int) -> list[str]:
    pad = " " * (depth + 1)
    lines: list[str] = []
    if isinstance(rsc, Primitive):
        provider = f" provider={rsc.provider}" if rsc.provider else ""
        lines.append(f"{pad}Resource: {rsc.id} (class={rsc.standard}{provider} "
                     f"type={rsc.agent_type})")
        attrs = _pairs(rsc.instance_attributes)
        if attrs:
            lines.append(f"{pad} Attributes: {attrs}")
        meta = _pairs(rsc.meta_attributes)
        if meta:
            lines.append(f"{pad} Meta Attrs: {meta}")
        utilization = _pairs(rsc.utilization)
        if utilization:
            lines.append(f"{pad} Utilization: {utilization}")
        for i, op in enumerate(rsc.operations):
            head = " Operations: " if i == 0 else "             "
            lines.append(f"{pad}{head}{_operation(op)}")
        return lines
    if isinstance(rsc, Group):
        lines.append(f"{pad}Group: {rsc.id}")
        meta = _pairs(rsc.meta_attributes)
        if meta:
            lines.append(f"{pad} Meta Attrs: {meta}")
        for member in rsc.members:
            lines += resource_lines(member, depth + 1)
        return lines
    if isinstance(rsc, Bundle):
        lines.append(f"{pad}Bundle: {rsc.id}")
        lines.append(f"{pad} {rsc.container.runtime.capitalize()}: image={rsc.container.image}")
        meta = _pairs(rsc.meta_attributes)
        if meta:
            lines.append(f"{pad} Meta Attrs: {meta}")
        if rsc.primitive is not None:
            lines += resource_lines(rsc.primitive, depth + 1)
        return lines
    kind = "Master" if rsc.legacy_master else "Clone"
    lines.append(f"{pad}{kind}: {rsc.id}")
    meta = _pairs(rsc.meta_attributes)
    if meta:
        lines.append(f"{pad} Meta Attrs: {meta}")
    lines += resource_lines(rsc.child, depth + 1)
    return lines


# -- constraints -------------------------------------------------------------------------------
def _score(value: int | None) -> str:
    return format_score(value) if value is not None else "INFINITY"


def _id(c_id: str, full: bool) -> str:
    return f" (id:{c_id})" if full else ""


def _expression(expr: Expression) -> str:
    if isinstance(expr, AttrExpression):
        kind = f" {expr.type}" if expr.type else ""
        value = f" {expr.value}" if expr.value is not None else ""
        return f"{expr.attribute} {expr.operation}{kind}{value}"
    if isinstance(expr, DateExpression):
        if expr.operation == "in_range":
            return f"date in_range {expr.start or ''} to {expr.end or ''}".strip()
        return f"date {expr.operation} {expr.start or expr.end or ''}".strip()
    if isinstance(expr, Rule):
        return "(rule)"
    if isinstance(expr, ResourceExpression):
        return f"resource {expr.standard or ''}:{expr.provider or ''}:{expr.agent_type or ''}"
    if isinstance(expr, OpExpression):
        return f"op {expr.name}" + (f" interval={expr.interval}" if expr.interval else "")
    return type(expr).__name__


def _rule_lines(rule: Rule, pad: str, full: bool) -> list[str]:
    score = f"score={_score(rule.score)}" if rule.score_attribute is None else \
        f"score-attribute={rule.score_attribute}"
    lines = [f"{pad}Rule: boolean-op={rule.boolean_op} {score}{_id(rule.id, full)}"]
    for expr in rule.expressions:
        if isinstance(expr, Rule):
            lines += _rule_lines(expr, pad + "  ", full)
        else:
            lines.append(f"{pad}  Expression: {_expression(expr)}{_id(expr.id, full)}")
    return lines


def _set(rs: ResourceSet) -> str:
    opts = []
    if not rs.sequential:
        opts.append("sequential=false")
    if not rs.require_all:
        opts.append("require-all=false")
    for name, value in (("role", rs.role), ("action", rs.action), ("ordering", rs.ordering)):
        if value:
            opts.append(f"{name}={value}")
    more = f" ({' '.join(opts)})" if opts else ""
    return f"set {' '.join(rs.resources)}{more}"


def location_lines(constraints: Iterable[Constraint], full: bool) -> list[str]:
    lines = ["Location Constraints:"]
    by_rsc: dict[str, list[Location]] = {}
    for c in constraints:
        if isinstance(c, Location):
            key = c.rsc or (f"pattern {c.rsc_pattern}" if c.rsc_pattern else "(set)")
            by_rsc.setdefault(key, []).append(c)
    for rsc, items in by_rsc.items():
        lines.append(f"  Resource: {rsc}")
        for c in items:
            extra = ""
            if c.role:
                extra += f" (role:{c.role})"
            if c.resource_discovery:
                extra += f" (resource-discovery={c.resource_discovery})"
            if c.node is not None and c.score is not None:
                verb = "Enabled on" if c.score >= 0 else "Disabled on"
                lines.append(f"    {verb}: {c.node} (score:{format_score(c.score)}){extra}"
                             f"{_id(c.id, full)}")
            else:
                lines.append(f"    Constraint{extra}: {c.id}")
                for rs in c.sets:
                    lines.append(f"      {_set(rs)}")
                for rule in c.rules:
                    lines += _rule_lines(rule, "      ", full)
    return lines


def order_lines(constraints: Iterable[Constraint], full: bool) -> list[str]:
    lines = ["Ordering Constraints:"]
    for c in constraints:
        if not isinstance(c, Order):
            continue
        opts = [f"kind:{c.kind or ('Optional' if c.score == 0 else 'Mandatory')}"]
        if c.symmetrical is not None:
            opts.append(f"symmetrical:{str(c.symmetrical).lower()}")
        if not c.require_all:
            opts.append("require-all:false")
        if c.sets:
            lines.append(f"  {' '.join(_set(rs) for rs in c.sets)} ({') ('.join(opts)})"
                         f"{_id(c.id, full)}")
        else:
            lines.append(f"  {c.first_action or 'start'} {c.first} then "
                         f"{c.then_action or 'start'} {c.then} ({') ('.join(opts)})"
                         f"{_id(c.id, full)}")
    return lines


def colocation_lines(constraints: Iterable[Constraint], full: bool) -> list[str]:
    lines = ["Colocation Constraints:"]
    for c in constraints:
        if not isinstance(c, Colocation):
            continue
        opts = [f"score:{format_score(c.score)}"]
        if c.rsc_role:
            opts.append(f"rsc-role:{c.rsc_role}")
        if c.with_rsc_role:
            opts.append(f"with-rsc-role:{c.with_rsc_role}")
        if c.node_attribute:
            opts.append(f"node-attribute:{c.node_attribute}")
        if c.influence is not None:
            opts.append(f"influence:{str(c.influence).lower()}")
        what = " ".join(_set(rs) for rs in c.sets) if c.sets else f"{c.rsc} with {c.with_rsc}"
        lines.append(f"  {what} ({') ('.join(opts)}){_id(c.id, full)}")
    return lines


def _permission_text(p: AclPermission) -> str:
    if p.xpath is not None:
        target = f"xpath {p.xpath}"
    elif p.reference is not None:
        target = f"id {p.reference}"
    else:
        target = f"object-type {p.object_type}" + (f" attribute {p.attribute}"
                                                    if p.attribute else "")
    return f"{p.kind} {target} ({p.id})"


def acl_lines(enabled: bool, acls: Acls) -> list[str]:
    """`acl config`: whether ACLs bind, then users, groups and roles."""
    lines = ["ACLs are enabled" if enabled
             else "ACLs are disabled, run 'vigil acl enable' to enable"]
    for kind, holders in (("User", acls.targets), ("Group", acls.groups)):
        for h in holders:
            lines += ["", f"{kind}: {h.id}", f"  Roles: {' '.join(h.roles)}".rstrip()]
    for role in acls.roles:
        lines += ["", f"Role: {role.id}"]
        if role.description:
            lines.append(f"  Description: {role.description}")
        lines += [f"  Permission: {_permission_text(p)}" for p in role.permissions]
    return lines


def alert_lines(alerts: Iterable[Alert]) -> list[str]:
    items = list(alerts)
    if not items:
        return ["Alerts:", " No alerts defined"]
    lines = ["Alerts:"]
    for a in items:
        lines.append(f" Alert: {a.id} (path={a.path})")
        if a.description:
            lines.append(f"  Description: {a.description}")
        if a.instance_attributes:
            lines.append(f"  Options: {_pairs(a.instance_attributes)}")
        if a.meta_attributes:
            lines.append(f"  Meta options: {_pairs(a.meta_attributes)}")
        if a.select is not None:
            kinds = [k for k, on in (("nodes", a.select.nodes), ("fencing", a.select.fencing),
                                     ("resources", a.select.resources)) if on]
            if a.select.attributes is not None:
                names = [n for _, n in a.select.attributes]
                kinds.append(f"attributes ({', '.join(names)})" if names else "attributes")
            lines.append(f"  Selected events: {', '.join(kinds) or 'none'}")
        if a.recipients:
            lines.append("  Recipients:")
        for r in a.recipients:
            lines.append(f"   Recipient: {r.id} (value={r.value})")
            if r.description:
                lines.append(f"    Description: {r.description}")
            if r.instance_attributes:
                lines.append(f"    Options: {_pairs(r.instance_attributes)}")
            if r.meta_attributes:
                lines.append(f"    Meta options: {_pairs(r.meta_attributes)}")
    return lines


def ticket_lines(constraints: Iterable[Constraint], full: bool) -> list[str]:
    lines = ["Ticket Constraints:"]
    for c in constraints:
        if not isinstance(c, TicketConstraint):
            continue
        opts = [f"ticket:{c.ticket}", f"loss-policy:{c.loss_policy or 'stop'}"]
        if c.sets:
            what = " ".join(_set(rs) for rs in c.sets)
        else:
            what = f"{c.rsc_role + ' ' if c.rsc_role else ''}{c.rsc}"
        lines.append(f"  {what} ({') ('.join(opts)}){_id(c.id, full)}")
    return lines


def constraint_lines(constraints: Iterable[Constraint], full: bool,
                     kind: str | None = None) -> list[str]:
    items = list(constraints)
    lines: list[str] = []
    if kind in (None, "location"):
        lines += location_lines(items, full)
    if kind in (None, "order"):
        lines += order_lines(items, full)
    if kind in (None, "colocation"):
        lines += colocation_lines(items, full)
    if kind in (None, "ticket"):
        lines += ticket_lines(items, full)
    if kind is None:
        others = [c for c in items if isinstance(c, UnknownConstraint)]
        if others:
            lines.append("Other Constraints (kept as written):")
            lines += [f"  {c.tag} {c.id}" for c in others]
    return lines


# -- defaults, properties, config --------------------------------------------------------------
def defaults_lines(sets: tuple[NvSet, ...], indent: str = " ") -> list[str]:
    """The plain sets' values, then each set with a rule (pcs 0.11's `defaults set create`)
    under its id, score and rule."""
    pairs = [(p.name, p.value or "") for s in sets if s.rule is None for p in s.pairs]
    ruled = [s for s in sets if s.rule is not None]
    if not pairs and not ruled:
        return [f"{indent}No defaults set"]
    lines = [f"{indent}{name}={value}" for name, value in pairs]
    for s in ruled:
        score = f" score={format_score(s.score)}" if s.score else ""
        lines.append(f"{indent}Meta Attrs: {s.id}{score}")
        lines += [f"{indent}  {p.name}={p.value or ''}" for p in s.pairs]
        assert s.rule is not None
        lines += _rule_lines(s.rule, f"{indent}  ", False)
    return lines


def property_lines(props: Iterable[Property], *, show_defaults: bool) -> list[str]:
    lines = ["Cluster Properties:"]
    for p in props:
        if p.set:
            lines.append(f" {p.name}: {p.value}")
        elif show_defaults:
            lines.append(f" {p.name}: {p.default if p.default is not None else ''} (default)")
    return lines


def config_lines(cib: Cib, props: Iterable[Property]) -> list[str]:
    config = cib.configuration
    name = cib.cluster_option("cluster-name") or ""
    lines = [f"Cluster Name: {name}", "Pacemaker Nodes:",
             " " + " ".join(n.uname for n in config.nodes), "", "Resources:"]
    for rsc in config.resources:
        if not is_stonith_resource(rsc):
            lines += resource_lines(rsc, 0)
    lines += ["", "Stonith Devices:"]
    for rsc in config.resources:
        if is_stonith_resource(rsc):
            lines += resource_lines(rsc, 0)
    lines += ["Fencing Levels:"]
    lines += ["  " + line for line in level_lines(fencing_topology.sorted_levels(
        fencing_topology.levels(config)))]
    lines += [""]
    lines += constraint_lines(config.constraints, full=True)
    lines += ["", "Resources Defaults:"] + defaults_lines(config.rsc_defaults)
    lines += ["Operations Defaults:"] + defaults_lines(config.op_defaults)
    lines += [""] + property_lines(props, show_defaults=False)
    if config.alerts:
        lines += [""] + alert_lines(config.alerts)
    attrs = [(n.uname, _pairs(n.instance_attributes)) for n in config.nodes]
    attrs = [(n, a) for n, a in attrs if a]
    if attrs:
        lines += ["", "Node Attributes:"] + [f" {n}: {a}" for n, a in attrs]
    return lines


def level_lines(found: Iterable[FencingLevel]) -> list[str]:
    """Fencing levels as pcs lists them: per target, `Level N - DEV1,DEV2`."""
    out: list[str] = []
    target = None
    for level in found:
        if level.target_text != target:
            target = level.target_text
            out.append(f"Target: {target}")
        out.append(f"  Level {level.index} - {','.join(level.devices)}")
    return out


def describe_lines(meta: AgentMetadata) -> list[str]:
    lines = [f"{meta.agent} - {meta.shortdesc}".rstrip(" -"), ""]
    if meta.longdesc:
        lines += [meta.longdesc.strip(), ""]
    lines.append("Resource options:")
    for p in meta.parameters:
        if p.deprecated:
            continue
        flags = " (required)" if p.required else ""
        flags += " (unique)" if p.unique else ""
        default = f" [default: {p.default}]" if p.default not in (None, "") else ""
        lines.append(f"  {p.name}{flags}: {p.shortdesc or p.longdesc}{default}".rstrip())
    lines += ["", "Default operations:"]
    for a in meta.actions:
        words = [f"interval={a.interval or '0s'}"]
        if a.timeout:
            words.append(f"timeout={a.timeout}")
        if a.role:
            words.append(f"role={a.role}")
        lines.append(f"  {a.name}: {' '.join(words)}")
    return lines


# -- status ------------------------------------------------------------------------------------
# crm_mon's words for an rc-code and an op-status
_RC: dict[int, str] = {
    OcfResult.OK: "ok", OcfResult.ERR_GENERIC: "error", OcfResult.ERR_ARGS: "invalid parameter",
    OcfResult.ERR_UNIMPLEMENTED: "unimplemented feature",
    OcfResult.ERR_PERM: "insufficient privileges", OcfResult.ERR_INSTALLED: "not installed",
    OcfResult.ERR_CONFIGURED: "not configured", OcfResult.NOT_RUNNING: "not running",
    OcfResult.RUNNING_PROMOTED: "promoted", OcfResult.FAILED_PROMOTED: "promoted (failed)",
    OcfResult.DEGRADED: "degraded", OcfResult.DEGRADED_PROMOTED: "degraded (promoted)"}
_EXEC: dict[int, str] = {
    ExecStatus.DONE: "complete", ExecStatus.CANCELLED: "Cancelled", ExecStatus.TIMEOUT: "Timed Out",
    ExecStatus.NOT_SUPPORTED: "NOT SUPPORTED", ExecStatus.ERROR: "Error",
    ExecStatus.ERROR_HARD: "Hard error", ExecStatus.ERROR_FATAL: "Fatal error",
    ExecStatus.NOT_INSTALLED: "Not installed"}


def _when(epoch: int | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def failed_action_line(f: FailedAction) -> str:
    return (f"    * {f.resource}_{f.operation}_{f.interval_ms} on {f.node} "
            f"'{_RC.get(f.rc_code, 'unknown')}' ({f.rc_code}): call={f.call_id}, "
            f"status='{_EXEC.get(f.op_status, str(f.op_status))}', "
            f"exitreason='{f.exit_reason or ''}', last-rc-change='{_when(f.last_rc_change)}'")


def status_lines(state: ClusterStatus, source: str, *, full: bool = False) -> list[str]:
    """`vigil status`, as crm_mon prints it; `full` adds the node attributes (crm_mon -A) and
    each node's operation history (crm_mon -o)."""
    t = state.transition
    lines = [f"Cluster name: {state.cluster_name or ''}"]
    if t.maintenance_mode:
        lines += ["", "              *** Resource management is DISABLED ***",
                  "  The cluster will not attempt to start, stop or recover services", ""]
    quorum = "partition with quorum" if state.have_quorum else "partition WITHOUT quorum"
    disabled = f" ({state.disabled} DISABLED)" if state.disabled else ""
    lines += [f"Status of {source}:",
              f"  * Current DC: {state.dc or 'NONE'} - {quorum}",
              f"  * {state.nodes_configured} nodes configured",
              f"  * {state.resource_instances} resource instances configured{disabled}", ""]
    if t.stonith_enabled and state.stonith_devices == 0:
        lines.insert(1, "WARNING: no stonith devices and stonith-enabled is not false")
    lines += status_view.node_lines(t) + [""] + status_view.resource_lines(
        t, clones=dict(state.clones))
    if full and state.node_attributes:
        lines += [""] + status_view.node_attribute_lines(state.node_attributes)
    if full and state.operations:
        lines += ["", "Operations:"]
        for node_ops in state.operations:
            lines.append(f"  * Node: {node_ops.node}:")
            current = None
            for op in node_ops.operations:
                if op.resource != current:
                    current = op.resource
                    lines.append(f"    * {op.resource}:")
                every = f": interval=\"{op.interval_ms}ms\"" if op.interval_ms else ""
                when = (f" last-rc-change='{_when(op.last_rc_change)}'"
                        if op.last_rc_change else "")
                rc = f" rc={op.rc_code} ({_RC.get(op.rc_code, 'unknown')})"
                lines.append(f"      * ({op.call_id}) {op.operation}{every}{when}{rc}")
    counts = []
    shapes = dict(state.clones)
    for a in t.allocations:
        # an anonymous clone's instances share their fail-counts (kept per resource and node)
        anonymous = a.parent in shapes and not shapes[a.parent].unique
        name = a.resource.rsplit(":", 1)[0] if anonymous else a.resource
        for node, count in a.fail_counts:
            if (name, node, count, a.migration_threshold) not in counts:
                counts.append((name, node, count, a.migration_threshold))
    if counts:
        lines += ["", "  * Migration Summary:"]
        for rsc, node, count, threshold in counts:
            lines.append(f"    * {rsc} on {node}: fail-count={format_score(count)} "
                         f"migration-threshold={format_score(threshold)}")
    if state.failed_actions:
        lines += ["", "  * Failed Resource Actions:"]
        lines += [failed_action_line(f) for f in state.failed_actions]
    if state.fencing:
        lines += ["", "  * Fencing History:"]
        for f in sorted(state.fencing, key=lambda e: e.time or 0, reverse=True):
            when = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(f.time)) if f.time else "?"
            result = "successful" if f.ok else "failed"
            how = "confirmed by an operator" if f.manual else (
                f"delegate={f.executioner or '?'}, device={f.device or '?'}")
            lines.append(f"    * {f.action} of {f.target} {result}: {how}, completed='{when}'"
                         + ("" if f.ok or not f.detail else f" ({f.detail})"))
    return lines


