"""Write vigil's frozen model back as Pacemaker CIB XML.

The inverse of `vigil.cib.read`: for any CIB the reader accepts, reading what this module writes
gives the same model (`parse(write(parse(x))) == parse(x)`). What the reader kept without
understanding it (`Extra` attributes and child elements as XML text) is written back as it was.
An object the reader resolved through an `id-ref` (its `ref` field is set) is written back as an
`id-ref` element, never as a second copy of its target: a copy would repeat the target's ids.

Elements are written in Pacemaker's canonical order, which may differ from the input's order;
the CIB's meaning does not depend on it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import assert_never

from vigil.model.acls import AclRole, Acls
from vigil.model.alerts import Alert
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib, Configuration, NodeConfig
from vigil.model.constraints import (
    Colocation,
    Constraint,
    Location,
    Order,
    ResourceSet,
    TicketConstraint,
    UnknownConstraint,
)
from vigil.model.fencing import FencingLevel, FencingTopology
from vigil.model.nvset import NvPair, NvSet
from vigil.model.resources import Clone, Group, Operation, Primitive, Resource, Template
from vigil.model.rules import (
    AttrExpression,
    DateExpression,
    Expression,
    OpExpression,
    ResourceExpression,
    Rule,
)
from vigil.model.score import format_score
from vigil.model.status import NodeState, OperationRecord, ResourceHistory, TicketState
from vigil.model.tags import Tag
from vigil.model.xmlextra import Extra

_RESOURCES_PREFIX = "resources:"
_TAGS_PREFIX = "tags:"


def write_cib(cib: Cib) -> str:
    """The CIB as indented XML text (no XML declaration), ending with a newline."""
    root = cib_element(cib)
    _indent(root, 0)
    return ET.tostring(root, encoding="unicode") + "\n"


def cib_element(cib: Cib) -> ET.Element:
    """The CIB as an ElementTree element, for callers that want to edit or hash the tree."""
    root = ET.Element("cib")
    _set(root, "crm_feature_set", cib.crm_feature_set)
    _set(root, "validate-with", cib.validate_with)
    _set(root, "admin_epoch", str(cib.version.admin_epoch))
    _set(root, "epoch", str(cib.version.epoch))
    _set(root, "num_updates", str(cib.version.num_updates))
    _set(root, "have-quorum", "1" if cib.have_quorum else "0")
    _set(root, "dc-uuid", cib.dc_uuid)
    _extra_attrs(root, cib.extra)
    root.append(_configuration(cib.configuration))
    status = ET.SubElement(root, "status")
    for state in cib.status:
        status.append(_node_state(state))
    if cib.tickets:
        tickets = ET.SubElement(status, "tickets")
        for ticket in cib.tickets:
            tickets.append(_ticket_state(ticket))
    _extra_children(status, cib.status_extra.children)
    _extra_children(root, cib.extra.children)
    return root


# -- helpers -----------------------------------------------------------------------------------
class _Kept(ET.Element):
    """An element the model kept as XML text: written back byte for byte, never re-indented."""


def _parse_kept(text: str) -> ET.Element:
    parser = ET.XMLParser(target=ET.TreeBuilder(element_factory=_Kept))
    parser.feed(text)
    root: ET.Element = parser.close()
    return root


def _indent(el: ET.Element, level: int) -> None:
    """Like ET.indent, but leaves the inside of kept elements as the reader found it."""
    if isinstance(el, _Kept) or not len(el):
        return
    inner = "\n" + "  " * (level + 1)
    el.text = inner
    for child in el:
        _indent(child, level + 1)
        child.tail = inner
    el[-1].tail = "\n" + "  " * level


def _set(el: ET.Element, name: str, value: str | None) -> None:
    if value is not None:
        el.set(name, value)


def _bool(el: ET.Element, name: str, value: bool | None) -> None:
    if value is not None:
        el.set(name, "true" if value else "false")


def _score(el: ET.Element, name: str, value: int | None) -> None:
    if value is not None:
        el.set(name, format_score(value))


def _extra_attrs(el: ET.Element, extra: Extra) -> None:
    for name, value in extra.attrs:
        el.set(name, value)


def _extra_children(el: ET.Element, children: tuple[str, ...]) -> None:
    for text in children:
        el.append(_parse_kept(text))


def _with_extra(el: ET.Element, extra: Extra) -> ET.Element:
    _extra_attrs(el, extra)
    _extra_children(el, extra.children)
    return el


def _id_ref(tag: str, ref: str) -> ET.Element:
    return ET.Element(tag, {"id-ref": ref})


# -- attribute sets and rules ------------------------------------------------------------------
def _nvpair(pair: NvPair) -> ET.Element:
    if pair.ref is not None:
        return _id_ref("nvpair", pair.ref)
    el = ET.Element("nvpair", {"id": pair.id, "name": pair.name})
    _set(el, "value", pair.value)
    return el


def _nvset(tag: str, nvset: NvSet) -> ET.Element:
    if nvset.ref is not None:
        return _id_ref(tag, nvset.ref)
    el = ET.Element(tag, {"id": nvset.id})
    if nvset.score != 0:
        el.set("score", format_score(nvset.score))
    _extra_attrs(el, nvset.extra)
    if nvset.rule is not None:
        el.append(_rule(nvset.rule))
    for pair in nvset.pairs:
        el.append(_nvpair(pair))
    _extra_children(el, nvset.extra.children)
    return el


def _nvsets(parent: ET.Element, tag: str, sets: tuple[NvSet, ...]) -> None:
    for nvset in sets:
        parent.append(_nvset(tag, nvset))


def _rule(rule: Rule) -> ET.Element:
    if rule.ref is not None:
        return _id_ref("rule", rule.ref)
    el = ET.Element("rule", {"id": rule.id})
    _score(el, "score", rule.score)
    _set(el, "score-attribute", rule.score_attribute)
    if rule.boolean_op != "and":
        el.set("boolean-op", rule.boolean_op)
    _set(el, "role", rule.role)
    _extra_attrs(el, rule.extra)
    for expr in rule.expressions:
        el.append(_expression(expr))
    _extra_children(el, rule.extra.children)
    return el


def _expression(expr: Expression) -> ET.Element:
    if isinstance(expr, Rule):
        return _rule(expr)
    if isinstance(expr, AttrExpression):
        el = ET.Element("expression", {"id": expr.id, "attribute": expr.attribute,
                                       "operation": expr.operation})
        _set(el, "value", expr.value)
        _set(el, "type", expr.type)
        _set(el, "value-source", expr.value_source)
        return _with_extra(el, expr.extra)
    if isinstance(expr, DateExpression):
        el = ET.Element("date_expression", {"id": expr.id, "operation": expr.operation})
        _set(el, "start", expr.start)
        _set(el, "end", expr.end)
        _extra_attrs(el, expr.extra)
        if expr.duration is not None:
            # The model does not keep the duration's own id; the schema requires one.
            ET.SubElement(el, "duration", {"id": f"{expr.id}-duration", **dict(expr.duration)})
        if expr.date_spec is not None:
            ET.SubElement(el, "date_spec", {"id": expr.date_spec.id, **dict(expr.date_spec.fields)})
        _extra_children(el, expr.extra.children)
        return el
    if isinstance(expr, ResourceExpression):
        el = ET.Element("rsc_expression", {"id": expr.id})
        _set(el, "class", expr.standard)
        _set(el, "provider", expr.provider)
        _set(el, "type", expr.agent_type)
        return el
    if isinstance(expr, OpExpression):
        el = ET.Element("op_expression", {"id": expr.id, "name": expr.name})
        _set(el, "interval", expr.interval)
        return el
    assert_never(expr)


# -- resources ---------------------------------------------------------------------------------
def _operation(op: Operation) -> ET.Element:
    if op.ref is not None:
        return _id_ref("op", op.ref)
    el = ET.Element("op", {"id": op.id, "name": op.name, "interval": op.interval})
    _set(el, "role", op.role)
    _set(el, "timeout", op.timeout)
    _set(el, "on-fail", op.on_fail)
    if not op.enabled:
        el.set("enabled", "false")
    _extra_attrs(el, op.extra)
    _nvsets(el, "instance_attributes", op.instance_attributes)
    _nvsets(el, "meta_attributes", op.meta_attributes)
    _extra_children(el, op.extra.children)
    return el


def _agent_parts(el: ET.Element, rsc: Primitive | Template) -> ET.Element:
    _nvsets(el, "instance_attributes", rsc.instance_attributes)
    _nvsets(el, "meta_attributes", rsc.meta_attributes)
    _nvsets(el, "utilization", rsc.utilization)
    if rsc.operations:
        ops = ET.SubElement(el, "operations")
        for op in rsc.operations:
            ops.append(_operation(op))
    _extra_children(el, rsc.extra.children)
    return el


def _primitive(rsc: Primitive) -> ET.Element:
    el = ET.Element("primitive", {"id": rsc.id})
    # A primitive made from a template may leave its class and type to the template.
    if rsc.standard or rsc.template is None:
        el.set("class", rsc.standard)
    _set(el, "provider", rsc.provider)
    if rsc.agent_type or rsc.template is None:
        el.set("type", rsc.agent_type)
    _set(el, "template", rsc.template)
    _extra_attrs(el, rsc.extra)
    return _agent_parts(el, rsc)


def _template(tmpl: Template) -> ET.Element:
    el = ET.Element("template", {"id": tmpl.id, "class": tmpl.standard})
    _set(el, "provider", tmpl.provider)
    el.set("type", tmpl.agent_type)
    _extra_attrs(el, tmpl.extra)
    return _agent_parts(el, tmpl)


def _group(rsc: Group) -> ET.Element:
    el = ET.Element("group", {"id": rsc.id})
    _extra_attrs(el, rsc.extra)
    _nvsets(el, "meta_attributes", rsc.meta_attributes)
    _nvsets(el, "instance_attributes", rsc.instance_attributes)
    for member in rsc.members:
        el.append(_primitive(member))
    _extra_children(el, rsc.extra.children)
    return el


def _clone(rsc: Clone) -> ET.Element:
    el = ET.Element("master" if rsc.legacy_master else "clone", {"id": rsc.id})
    _extra_attrs(el, rsc.extra)
    _nvsets(el, "meta_attributes", rsc.meta_attributes)
    _nvsets(el, "instance_attributes", rsc.instance_attributes)
    el.append(_primitive(rsc.child) if isinstance(rsc.child, Primitive) else _group(rsc.child))
    _extra_children(el, rsc.extra.children)
    return el


def _bundle(rsc: Bundle) -> ET.Element:
    el = ET.Element("bundle", {"id": rsc.id})
    _extra_attrs(el, rsc.extra)
    c = rsc.container
    runtime = ET.SubElement(el, c.runtime, {"image": c.image})
    for name, value in (("replicas", c.replicas), ("replicas-per-host", c.replicas_per_host),
                        ("promoted-max", c.promoted_max), ("masters", c.legacy_masters),
                        ("network", c.network), ("run-command", c.run_command),
                        ("options", c.options)):
        _set(runtime, name, value)
    _with_extra(runtime, c.extra)
    if rsc.network is not None:
        net = rsc.network
        nel = ET.SubElement(el, "network")
        for name, value in (("ip-range-start", net.ip_range_start),
                            ("host-interface", net.host_interface),
                            ("host-netmask", net.host_netmask),
                            ("control-port", net.control_port), ("add-host", net.add_host)):
            _set(nel, name, value)
        _extra_attrs(nel, net.extra)
        for pm in net.port_mappings:
            pel = ET.SubElement(nel, "port-mapping", {"id": pm.id})
            _set(pel, "port", pm.port)
            _set(pel, "internal-port", pm.internal_port)
            _set(pel, "range", pm.range)
            _with_extra(pel, pm.extra)
        _extra_children(nel, net.extra.children)
    if rsc.storage is not None:
        sel = ET.SubElement(el, "storage")
        for sm in rsc.storage:
            mel = ET.SubElement(sel, "storage-mapping", {"id": sm.id})
            _set(mel, "source-dir", sm.source_dir)
            _set(mel, "source-dir-root", sm.source_dir_root)
            mel.set("target-dir", sm.target_dir)
            _set(mel, "options", sm.options)
            _with_extra(mel, sm.extra)
    if rsc.primitive is not None:
        el.append(_primitive(rsc.primitive))
    _nvsets(el, "meta_attributes", rsc.meta_attributes)
    _nvsets(el, "utilization", rsc.utilization)
    _extra_children(el, rsc.extra.children)
    return el


def resource_element(rsc: Resource) -> ET.Element:
    if isinstance(rsc, Primitive):
        return _primitive(rsc)
    if isinstance(rsc, Group):
        return _group(rsc)
    if isinstance(rsc, Clone):
        return _clone(rsc)
    if isinstance(rsc, Bundle):
        return _bundle(rsc)
    assert_never(rsc)


# -- constraints -------------------------------------------------------------------------------
def _resource_set(rs: ResourceSet) -> ET.Element:
    if rs.ref is not None:
        return _id_ref("resource_set", rs.ref)
    el = ET.Element("resource_set", {"id": rs.id})
    if not rs.sequential:
        el.set("sequential", "false")
    if not rs.require_all:
        el.set("require-all", "false")
    _set(el, "role", rs.role)
    _set(el, "action", rs.action)
    _score(el, "score", rs.score)
    _set(el, "ordering", rs.ordering)
    _extra_attrs(el, rs.extra)
    for rsc_id in rs.resources:
        ET.SubElement(el, "resource_ref", {"id": rsc_id})
    _extra_children(el, rs.extra.children)
    return el


def _location(c: Location) -> ET.Element:
    el = ET.Element("rsc_location", {"id": c.id})
    _set(el, "rsc", c.rsc)
    _set(el, "rsc-pattern", c.rsc_pattern)
    _set(el, "role", c.role)
    _set(el, "node", c.node)
    _score(el, "score", c.score)
    _set(el, "resource-discovery", c.resource_discovery)
    _extra_attrs(el, c.extra)
    for rs in c.sets:
        el.append(_resource_set(rs))
    for rule in c.rules:
        el.append(_rule(rule))
    _extra_children(el, c.extra.children)
    return el


def _colocation(c: Colocation) -> ET.Element:
    el = ET.Element("rsc_colocation", {"id": c.id})
    _set(el, "rsc", c.rsc)
    _set(el, "rsc-role", c.rsc_role)
    _set(el, "with-rsc", c.with_rsc)
    _set(el, "with-rsc-role", c.with_rsc_role)
    _set(el, "score", format_score(c.score))
    _set(el, "node-attribute", c.node_attribute)
    _bool(el, "influence", c.influence)
    _extra_attrs(el, c.extra)
    for rs in c.sets:
        el.append(_resource_set(rs))
    _extra_children(el, c.extra.children)
    return el


def _order(c: Order) -> ET.Element:
    el = ET.Element("rsc_order", {"id": c.id})
    _set(el, "first", c.first)
    _set(el, "first-action", c.first_action)
    _set(el, "then", c.then)
    _set(el, "then-action", c.then_action)
    _set(el, "kind", c.kind)
    _score(el, "score", c.score)
    _bool(el, "symmetrical", c.symmetrical)
    if not c.require_all:
        el.set("require-all", "false")
    _extra_attrs(el, c.extra)
    for rs in c.sets:
        el.append(_resource_set(rs))
    _extra_children(el, c.extra.children)
    return el


def _ticket(c: TicketConstraint) -> ET.Element:
    el = ET.Element("rsc_ticket", {"id": c.id})
    _set(el, "rsc", c.rsc)
    _set(el, "rsc-role", c.rsc_role)
    _set(el, "ticket", c.ticket)
    _set(el, "loss-policy", c.loss_policy)
    _extra_attrs(el, c.extra)
    for rs in c.sets:
        el.append(_resource_set(rs))
    _extra_children(el, c.extra.children)
    return el


def constraint_element(c: Constraint) -> ET.Element:
    if isinstance(c, Location):
        return _location(c)
    if isinstance(c, Colocation):
        return _colocation(c)
    if isinstance(c, Order):
        return _order(c)
    if isinstance(c, TicketConstraint):
        return _ticket(c)
    if isinstance(c, UnknownConstraint):
        return _parse_kept(c.xml)
    assert_never(c)


# -- configuration -----------------------------------------------------------------------------
def _node(node: NodeConfig) -> ET.Element:
    el = ET.Element("node", {"id": node.id, "uname": node.uname})
    _set(el, "type", node.type)
    _set(el, "score", node.score)
    _extra_attrs(el, node.extra)
    _nvsets(el, "instance_attributes", node.instance_attributes)
    _nvsets(el, "utilization", node.utilization)
    _extra_children(el, node.extra.children)
    return el


def _fencing_level(level: FencingLevel) -> ET.Element:
    el = ET.Element("fencing-level", {"id": level.id})
    _set(el, "index", None if level.index is None else str(level.index))
    for name, value in (("target", level.target), ("target-pattern", level.target_pattern),
                        ("target-attribute", level.target_attribute),
                        ("target-value", level.target_value)):
        _set(el, name, value)
    el.set("devices", ",".join(level.devices))
    return _with_extra(el, level.extra)


def _fencing_topology(topology: FencingTopology) -> ET.Element:
    el = ET.Element("fencing-topology")
    _extra_attrs(el, topology.extra)
    for level in topology.levels:
        el.append(_fencing_level(level))
    _extra_children(el, topology.extra.children)
    return el


def _alert(alert: Alert) -> ET.Element:
    el = ET.Element("alert", {"id": alert.id})
    _set(el, "description", alert.description)
    el.set("path", alert.path)
    _extra_attrs(el, alert.extra)
    _nvsets(el, "meta_attributes", alert.meta_attributes)
    _nvsets(el, "instance_attributes", alert.instance_attributes)
    if alert.select is not None:
        sel = ET.SubElement(el, "select")
        if alert.select.attributes is not None:
            attrs = ET.SubElement(sel, "select_attributes")
            for aid, name in alert.select.attributes:
                ET.SubElement(attrs, "attribute", {"id": aid, "name": name})
        for flag, tag in ((alert.select.fencing, "select_fencing"),
                          (alert.select.nodes, "select_nodes"),
                          (alert.select.resources, "select_resources")):
            if flag:
                ET.SubElement(sel, tag)
    for r in alert.recipients:
        rel = ET.SubElement(el, "recipient", {"id": r.id})
        _set(rel, "description", r.description)
        rel.set("value", r.value)
        _extra_attrs(rel, r.extra)
        _nvsets(rel, "meta_attributes", r.meta_attributes)
        _nvsets(rel, "instance_attributes", r.instance_attributes)
    return el


def _acl_role(role: AclRole) -> ET.Element:
    el = ET.Element("acl_role", {"id": role.id})
    _set(el, "description", role.description)
    _extra_attrs(el, role.extra)
    for p in role.permissions:
        pel = ET.SubElement(el, "acl_permission", {"id": p.id, "kind": p.kind})
        for name, value in (("xpath", p.xpath), ("reference", p.reference),
                            ("object-type", p.object_type), ("attribute", p.attribute),
                            ("description", p.description)):
            _set(pel, name, value)
        _extra_attrs(pel, p.extra)
    _extra_children(el, role.extra.children)
    return el


def _acls(acls: Acls) -> ET.Element:
    el = ET.Element("acls")
    _extra_attrs(el, acls.extra)
    for role in acls.roles:
        el.append(_acl_role(role))
    for tag, holders in (("acl_target", acls.targets), ("acl_group", acls.groups)):
        for holder in holders:
            hel = ET.SubElement(el, tag, {"id": holder.id})
            _set(hel, "name", holder.name)
            _extra_attrs(hel, holder.extra)
            for ref in holder.roles:
                ET.SubElement(hel, "role", {"id": ref})
            _extra_children(hel, holder.extra.children)
    _extra_children(el, acls.extra.children)
    return el


def _tag(tag: Tag) -> ET.Element:
    el = ET.Element("tag", {"id": tag.id})
    _extra_attrs(el, tag.extra)
    for ref in tag.refs:
        ET.SubElement(el, "obj_ref", {"id": ref})
    _extra_children(el, tag.extra.children)
    return el


def _configuration(config: Configuration) -> ET.Element:
    el = ET.Element("configuration")
    _extra_attrs(el, config.extra)
    crm_config = ET.SubElement(el, "crm_config")
    _nvsets(crm_config, "cluster_property_set", config.properties)
    nodes = ET.SubElement(el, "nodes")
    for node in config.nodes:
        nodes.append(_node(node))
    resources = ET.SubElement(el, "resources")
    for tmpl in config.templates:
        resources.append(_template(tmpl))
    for rsc in config.resources:
        resources.append(resource_element(rsc))
    sections: list[str] = []
    kept_tags: list[str] = []
    for text in config.extra.children:
        if text.startswith(_RESOURCES_PREFIX):
            resources.append(_parse_kept(text[len(_RESOURCES_PREFIX):]))
        elif text.startswith(_TAGS_PREFIX):
            kept_tags.append(text[len(_TAGS_PREFIX):])
        else:
            sections.append(text)
    constraints = ET.SubElement(el, "constraints")
    for c in config.constraints:
        constraints.append(constraint_element(c))
    if config.rsc_defaults:
        _nvsets(ET.SubElement(el, "rsc_defaults"), "meta_attributes", config.rsc_defaults)
    if config.op_defaults:
        _nvsets(ET.SubElement(el, "op_defaults"), "meta_attributes", config.op_defaults)
    if config.fencing_topology is not None:
        el.append(_fencing_topology(config.fencing_topology))
    if config.alerts is not None:
        alerts = ET.SubElement(el, "alerts")
        for alert in config.alerts:
            alerts.append(_alert(alert))
    if config.acls is not None:
        el.append(_acls(config.acls))
    if config.tags or kept_tags:
        tags = ET.SubElement(el, "tags")
        for tag in config.tags:
            tags.append(_tag(tag))
        _extra_children(tags, tuple(kept_tags))
    _extra_children(el, tuple(sections))
    return el


# -- status ------------------------------------------------------------------------------------
def _op_record(rec: OperationRecord) -> ET.Element:
    el = ET.Element("lrm_rsc_op", {"id": rec.id, "operation": rec.operation})
    _set(el, "operation_key", rec.operation_key)
    _set(el, "transition-key", rec.transition_key)
    _set(el, "transition-magic", rec.transition_magic)
    _set(el, "exit-reason", rec.exit_reason)
    _set(el, "on_node", rec.on_node)
    el.set("call-id", str(rec.call_id))
    el.set("rc-code", str(rec.rc_code))
    el.set("op-status", str(rec.op_status))
    el.set("interval", str(rec.interval_ms))
    _set(el, "last-rc-change", None if rec.last_rc_change is None else str(rec.last_rc_change))
    _set(el, "op-digest", rec.op_digest)
    _set(el, "op-restart-digest", rec.op_restart_digest)
    _set(el, "op-force-restart", rec.op_force_restart)
    _set(el, "op-secure-params", rec.op_secure_params)
    _set(el, "op-secure-digest", rec.op_secure_digest)
    return _with_extra(el, rec.extra)


def _resource_history(hist: ResourceHistory) -> ET.Element:
    el = ET.Element("lrm_resource", {"id": hist.id})
    _set(el, "class", hist.standard)
    _set(el, "provider", hist.provider)
    _set(el, "type", hist.agent_type)
    _set(el, "container", hist.container)
    _extra_attrs(el, hist.extra)
    for rec in hist.operations:
        el.append(_op_record(rec))
    _extra_children(el, hist.extra.children)
    return el


def _ticket_state(ticket: TicketState) -> ET.Element:
    el = ET.Element("ticket_state", {"id": ticket.id, "granted": "true" if ticket.granted else "false"})
    if ticket.standby:
        el.set("standby", "true")
    _set(el, "last-granted", ticket.last_granted)
    _extra_attrs(el, ticket.extra)
    _extra_children(el, ticket.extra.children)
    return el


def _node_state(state: NodeState) -> ET.Element:
    el = ET.Element("node_state", {"id": state.id})
    _set(el, "uname", state.uname)
    _set(el, "in_ccm", state.in_ccm)
    _set(el, "crmd", state.crmd)
    _set(el, "join", state.join)
    _set(el, "expected", state.expected)
    _extra_attrs(el, state.extra)
    if state.transient_id is not None or state.transient_attributes:
        transient = ET.SubElement(el, "transient_attributes")
        _set(transient, "id", state.transient_id)
        _nvsets(transient, "instance_attributes", state.transient_attributes)
    if state.has_lrm or state.history:
        lrm = ET.SubElement(el, "lrm")
        _set(lrm, "id", state.lrm_id)
        lrm_resources = ET.SubElement(lrm, "lrm_resources")
        for hist in state.history:
            lrm_resources.append(_resource_history(hist))
    _extra_children(el, state.extra.children)
    return el
