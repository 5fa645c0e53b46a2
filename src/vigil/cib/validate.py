"""Checks of a parsed CIB that the reader alone does not make, returned as reports.

`validate` works on the model: ids defined twice in the configuration, constraints that name
resources or nodes that do not exist. `validate_xml_scores` works on the raw XML, because the
reader turns scores into integers and so cannot tell "INFINITY" from "infinty" afterwards.

Each check is only as strict as Pacemaker: what Pacemaker accepts without a configuration error
is not an error here. Ids may repeat in the status section and in id-ref elements; a location
constraint naming an unknown node is ignored by Pacemaker, so it is only a warning.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator

from vigil.model import reports
from vigil.model.bundles import Bundle
from vigil.model.cib import Cib, Configuration
from vigil.model.constraints import (
    Colocation,
    Location,
    Order,
    ResourceSet,
    TicketConstraint,
    UnknownConstraint,
)
from vigil.model.nvset import NvSet
from vigil.model.reports import Report
from vigil.model.resources import Group, Operation, Primitive, Resource, Template, walk
from vigil.model.rules import AttrExpression, DateExpression, Expression, ResourceExpression, Rule
from vigil.model.score import is_valid_score
from vigil.model.xmlextra import Extra

_RESOURCES_PREFIX = "resources:"
_TAGS_PREFIX = "tags:"
# Elements of kept resources XML (bundles) whose ids constraints may name.
_RESOURCE_TAGS = frozenset({"primitive", "group", "clone", "master", "bundle", "template"})
_SCORED_TAGS = ("rsc_location", "rsc_colocation", "rsc_order", "rule", "resource_set")
# Elements whose "id" names another element (tags' obj_ref, ACL role references) or a user or
# group of the system (ACL targets), not an id of the CIB's id space.
_NOT_DEFINING = frozenset({"resource_ref", "obj_ref", "role_ref", "role", "acl_target",
                           "acl_group", "acl_user"})
_BUNDLE_CONTAINERS = ("docker", "podman", "rkt")

_Defined = tuple[str, str]  # (id, element tag)


def validate(cib: Cib) -> tuple[Report, ...]:
    """Errors (and warnings) about the CIB's configuration, in document order."""
    config = cib.configuration
    out: list[Report] = []
    out.extend(_duplicate_ids(_config_ids(config)))
    out.extend(_duplicate_ids((node.id, "node") for node in config.nodes))
    out.extend(_constraint_references(cib))
    return tuple(out)


def validate_xml_scores(root: ET.Element) -> tuple[Report, ...]:
    """CIB_BAD_SCORE for every constraint, rule or resource set score Pacemaker would reject."""
    out: list[Report] = []
    # lxml (a CIB file, see cib.document) picks the tags in C, in document order as well
    found = root.iter() if isinstance(root, ET.Element) else root.iter(*_SCORED_TAGS)
    for el in found:
        if el.tag not in _SCORED_TAGS:
            continue
        value = el.get("score")
        if value is not None and not is_valid_score(value):
            out.append(reports.error("CIB_BAD_SCORE", element=el.tag, id=el.get("id", ""),
                                     value=value))
    return tuple(out)


# -- duplicate ids -----------------------------------------------------------------------------
def _duplicate_ids(defined: Iterable[_Defined]) -> list[Report]:
    tags: dict[str, list[str]] = {}
    for el_id, tag in defined:
        if el_id:
            tags.setdefault(el_id, []).append(tag)
    return [reports.error("CIB_DUPLICATE_ID", id=el_id, elements=",".join(found))
            for el_id, found in tags.items() if len(found) > 1]


def _config_ids(config: Configuration) -> Iterator[_Defined]:
    """Every id the configuration defines (nodes aside: their ids are cluster-layer ids)."""
    for nvset in config.properties:
        yield from _nvset_ids(nvset, "cluster_property_set")
    for node in config.nodes:
        for nvset in node.instance_attributes:
            yield from _nvset_ids(nvset, "instance_attributes")
        for nvset in node.utilization:
            yield from _nvset_ids(nvset, "utilization")
        yield from _extra_ids(node.extra)
    for tmpl in config.templates:
        yield tmpl.id, "template"
        yield from _agent_ids(tmpl)
    for rsc in config.resources:
        yield from _resource_ids(rsc)
    for tag in config.tags:
        yield tag.id, "tag"
        yield from _extra_ids(tag.extra)
    for c in config.constraints:
        if isinstance(c, UnknownConstraint):
            yield from _xml_ids(c.xml)
            continue
        yield c.id, _constraint_tag(c)
        for rs in c.sets:
            if rs.ref is None:
                yield rs.id, "resource_set"
                yield from _extra_ids(rs.extra)
        if isinstance(c, Location):
            for rule in c.rules:
                yield from _rule_ids(rule)
        yield from _extra_ids(c.extra)
    for nvset in config.rsc_defaults + config.op_defaults:
        yield from _nvset_ids(nvset, "meta_attributes")
    if config.fencing_topology is not None:
        for level in config.fencing_topology.levels:
            yield level.id, "fencing-level"
        yield from _extra_ids(config.fencing_topology.extra)
    for alert in config.alerts or ():
        yield alert.id, "alert"
        for nvset in alert.instance_attributes:
            yield from _nvset_ids(nvset, "instance_attributes")
        for nvset in alert.meta_attributes:
            yield from _nvset_ids(nvset, "meta_attributes")
        for aid, _name in (alert.select.attributes or ()) if alert.select else ():
            yield aid, "attribute"
        for r in alert.recipients:
            yield r.id, "recipient"
            for nvset in r.instance_attributes:
                yield from _nvset_ids(nvset, "instance_attributes")
            for nvset in r.meta_attributes:
                yield from _nvset_ids(nvset, "meta_attributes")
    if config.acls is not None:
        # acl_target ids are user names (no XML ID); roles, permissions and groups are ids
        for role in config.acls.roles:
            yield role.id, "acl_role"
            for perm in role.permissions:
                yield perm.id, "acl_permission"
            yield from _extra_ids(role.extra)
        for group in config.acls.groups:
            yield group.id, "acl_group"
        yield from _extra_ids(config.acls.extra)
    for text in config.extra.children:
        yield from _xml_ids(_kept_xml(text))


def _kept_xml(text: str) -> str:
    """Kept XML text without the prefix saying which section it belongs in."""
    return text.removeprefix(_RESOURCES_PREFIX).removeprefix(_TAGS_PREFIX)


def _constraint_tag(c: Location | Colocation | Order | TicketConstraint) -> str:
    if isinstance(c, Location):
        return "rsc_location"
    if isinstance(c, Colocation):
        return "rsc_colocation"
    if isinstance(c, TicketConstraint):
        return "rsc_ticket"
    return "rsc_order"


def _nvset_ids(nvset: NvSet, tag: str) -> Iterator[_Defined]:
    if nvset.ref is not None:
        return  # the content belongs to the target, counted where the target is defined
    yield nvset.id, tag
    for pair in nvset.pairs:
        if pair.ref is None:
            yield pair.id, "nvpair"
    if nvset.rule is not None:
        yield from _rule_ids(nvset.rule)
    yield from _extra_ids(nvset.extra)


def _nvsets_ids(sets: Iterable[tuple[str, tuple[NvSet, ...]]]) -> Iterator[_Defined]:
    for tag, group in sets:
        for nvset in group:
            yield from _nvset_ids(nvset, tag)


def _rule_ids(rule: Rule) -> Iterator[_Defined]:
    if rule.ref is not None:
        return
    yield rule.id, "rule"
    for expr in rule.expressions:
        yield from _expression_ids(expr)
    yield from _extra_ids(rule.extra)


def _expression_ids(expr: Expression) -> Iterator[_Defined]:
    if isinstance(expr, Rule):
        yield from _rule_ids(expr)
    elif isinstance(expr, AttrExpression):
        yield expr.id, "expression"
        yield from _extra_ids(expr.extra)
    elif isinstance(expr, DateExpression):
        yield expr.id, "date_expression"
        if expr.date_spec is not None:
            yield expr.date_spec.id, "date_spec"
        yield from _extra_ids(expr.extra)
    elif isinstance(expr, ResourceExpression):
        yield expr.id, "rsc_expression"
    else:
        yield expr.id, "op_expression"


def _operation_ids(op: Operation) -> Iterator[_Defined]:
    if op.ref is not None:
        return
    yield op.id, "op"
    yield from _nvsets_ids((("instance_attributes", op.instance_attributes),
                            ("meta_attributes", op.meta_attributes)))
    yield from _extra_ids(op.extra)


def _agent_ids(rsc: Primitive | Template) -> Iterator[_Defined]:
    """The ids inside a primitive or template (its attribute sets and operations)."""
    yield from _nvsets_ids((("instance_attributes", rsc.instance_attributes),
                            ("meta_attributes", rsc.meta_attributes),
                            ("utilization", rsc.utilization)))
    for op in rsc.operations:
        yield from _operation_ids(op)
    yield from _extra_ids(rsc.extra)


def _resource_ids(rsc: Resource) -> Iterator[_Defined]:
    if isinstance(rsc, Primitive):
        yield rsc.id, "primitive"
        yield from _agent_ids(rsc)
        return
    if isinstance(rsc, Group):
        yield rsc.id, "group"
        yield from _nvsets_ids((("meta_attributes", rsc.meta_attributes),
                                ("instance_attributes", rsc.instance_attributes)))
        for member in rsc.members:
            yield from _resource_ids(member)
    elif isinstance(rsc, Bundle):
        yield from _bundle_ids(rsc)
    else:
        yield rsc.id, "master" if rsc.legacy_master else "clone"
        yield from _nvsets_ids((("meta_attributes", rsc.meta_attributes),
                                ("instance_attributes", rsc.instance_attributes)))
        yield from _resource_ids(rsc.child)
    yield from _extra_ids(rsc.extra)


def _bundle_ids(rsc: Bundle) -> Iterator[_Defined]:
    yield rsc.id, "bundle"
    yield from _extra_ids(rsc.container.extra)
    if rsc.network is not None:
        for pm in rsc.network.port_mappings:
            yield pm.id, "port-mapping"
            yield from _extra_ids(pm.extra)
        yield from _extra_ids(rsc.network.extra)
    for sm in rsc.storage or ():
        yield sm.id, "storage-mapping"
        yield from _extra_ids(sm.extra)
    yield from _nvsets_ids((("meta_attributes", rsc.meta_attributes),
                            ("utilization", rsc.utilization)))
    if rsc.primitive is not None:
        yield from _resource_ids(rsc.primitive)


def bundle_guest_names(rsc: Bundle) -> list[str]:
    """The guest nodes of a bundle with a primitive inside: `<bundle id>-<replica>`."""
    if rsc.primitive is None:
        return []
    return [f"{rsc.id}-{i}" for i in range(rsc.container.replicas_value)]


def _extra_ids(extra: Extra) -> Iterator[_Defined]:
    for text in extra.children:
        yield from _xml_ids(text)


def _xml_ids(text: str) -> Iterator[_Defined]:
    """Ids defined in XML the model kept as text; id-ref elements define none."""
    for el in ET.fromstring(text).iter():
        el_id = el.get("id")
        if (el_id is not None and el.get("id-ref") is None and isinstance(el.tag, str)
                and el.tag not in _NOT_DEFINING):
            yield el_id, el.tag


# -- references of constraints -----------------------------------------------------------------
def _kept_resources(config: Configuration) -> Iterator[ET.Element]:
    """The resources the model keeps as XML (bundles)."""
    for text in config.extra.children:
        if text.startswith(_RESOURCES_PREFIX):
            yield ET.fromstring(text.removeprefix(_RESOURCES_PREFIX))


def _resource_names(config: Configuration) -> set[str]:
    """Ids a constraint may name: every primitive, group and clone (never an instance `rsc:0`),
    templates and tags (each meaning the resources made from it or tagged with it), and the
    bundles (with what they contain) the model keeps as XML."""
    names = {rsc.id for rsc in walk(config.resources)}
    names.update(t.id for t in config.templates)
    names.update(t.id for t in config.tags)
    for kept in _kept_resources(config):
        for el in kept.iter():
            el_id = el.get("id")
            if el.tag in _RESOURCE_TAGS and el_id is not None:
                names.add(el_id)
    return names


def _bundle_guests(bundle: ET.Element) -> Iterator[str]:
    """The guest nodes of a bundle with a primitive inside: `<bundle id>-<replica>`."""
    if bundle.find("primitive") is None:
        return
    replicas = 1
    for tag in _BUNDLE_CONTAINERS:
        container = bundle.find(tag)
        if container is not None:
            # Pacemaker's default is the number of promoted instances, else 1.
            text = (container.get("replicas") or container.get("promoted-max")
                    or container.get("masters") or "1")
            replicas = int(text) if text.isdigit() else 1
    bundle_id = bundle.get("id", "")
    yield from (f"{bundle_id}-{i}" for i in range(replicas))


def _node_names(cib: Cib) -> set[str]:
    """Names a location may give: configured nodes, nodes seen in the status, remote nodes
    (ocf:pacemaker:remote primitives) and guest nodes (the remote-node meta attribute, bundle
    replicas)."""
    names: set[str] = set()
    for node in cib.configuration.nodes:
        names.update((node.id, node.uname))
    for state in cib.status:
        names.add(state.id)
        if state.uname:
            names.add(state.uname)
    for rsc in walk(cib.configuration.resources):
        if isinstance(rsc, Bundle):
            names.update(bundle_guest_names(rsc))
        if not isinstance(rsc, Primitive):
            continue
        if rsc.standard == "ocf" and rsc.provider == "pacemaker" and rsc.agent_type == "remote":
            names.add(rsc.id)
        for nvset in rsc.meta_attributes:
            guest = nvset.get("remote-node")
            if guest:
                names.add(guest)
    for kept in _kept_resources(cib.configuration):
        if kept.tag == "bundle":
            names.update(_bundle_guests(kept))
    return names


def _set_resources(sets: tuple[ResourceSet, ...]) -> Iterator[str]:
    for rs in sets:
        yield from rs.resources


def _named_resources(c: Location | Colocation | Order | TicketConstraint) -> Iterator[str]:
    if isinstance(c, Location):
        if c.rsc is not None and c.rsc_pattern is None:
            yield c.rsc
    elif isinstance(c, TicketConstraint):
        if c.rsc is not None:
            yield c.rsc
    elif isinstance(c, Colocation):
        yield from (r for r in (c.rsc, c.with_rsc) if r is not None)
    else:
        yield from (r for r in (c.first, c.then) if r is not None)
    yield from _set_resources(c.sets)


def _unknown_constraint_resources(c: UnknownConstraint) -> Iterator[str]:
    """The resources of a constraint vigil does not model: `rsc` and its sets."""
    el = ET.fromstring(c.xml)
    rsc = el.get("rsc")
    if rsc is not None:
        yield rsc
    for ref in el.iter("resource_ref"):
        ref_id = ref.get("id")
        if ref_id is not None:
            yield ref_id


def _template_references(config: Configuration) -> Iterator[Report]:
    """A primitive naming a template that does not exist: Pacemaker leaves it out."""
    templates = {t.id for t in config.templates}
    for rsc in walk(config.resources):
        if isinstance(rsc, Primitive) and rsc.template is not None \
                and rsc.template not in templates:
            yield reports.error("CIB_UNKNOWN_TEMPLATE", resource=rsc.id, template=rsc.template)


def _tag_references(config: Configuration, resources: set[str]) -> Iterator[Report]:
    """A tag naming an id that is no resource: constraints naming the tag skip it."""
    for tag in config.tags:
        for ref in tag.refs:
            if ref not in resources:
                yield reports.warning("CIB_UNKNOWN_TAG_REFERENCE", tag=tag.id, id=ref)


def _constraint_references(cib: Cib) -> list[Report]:
    config = cib.configuration
    resources = _resource_names(config)
    nodes = _node_names(cib)
    out: list[Report] = list(_template_references(config))
    out.extend(_tag_references(config, resources))
    for c in config.constraints:
        named = (_unknown_constraint_resources(c) if isinstance(c, UnknownConstraint)
                 else _named_resources(c))
        seen: set[str] = set()
        for rsc in named:
            if rsc not in resources and rsc not in seen:
                seen.add(rsc)
                out.append(reports.error("CIB_UNKNOWN_RESOURCE", constraint=c.id, resource=rsc))
        if isinstance(c, Location) and c.node is not None and c.node not in nodes:
            out.append(reports.warning("CIB_UNKNOWN_NODE", constraint=c.id, node=c.node))
    return out
