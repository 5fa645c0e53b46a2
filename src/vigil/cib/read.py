"""Parse Pacemaker CIB XML into vigil's frozen model.

What vigil does not understand is kept (as XML text or as extra attributes) and reported as a
warning with its path, so a read followed by a write loses nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from vigil.model import reports
from vigil.model.acls import AclGroup, AclPermission, AclRole, Acls, AclTarget
from vigil.model.alerts import Alert, AlertSelect, Recipient
from vigil.model.bundles import (
    RUNTIMES,
    Bundle,
    BundleContainer,
    BundleNetwork,
    PortMapping,
    StorageMapping,
)
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
from vigil.model.durations import parse_interval_ms
from vigil.model.fencing import FencingLevel, FencingTopology
from vigil.model.nvset import NvPair, NvSet
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone, Group, Operation, Primitive, Resource, Template
from vigil.model.rules import (
    AttrExpression,
    DateExpression,
    DateSpec,
    Expression,
    OpExpression,
    ResourceExpression,
    Rule,
)
from vigil.model.score import parse_score
from vigil.model.status import NodeState, OperationRecord, ResourceHistory, TicketState
from vigil.model.tags import Tag
from vigil.model.values import is_true, parse_bool
from vigil.model.version import CibVersion
from vigil.model.xmlextra import NO_EXTRA, Extra


def xml_text(el: ET.Element) -> str:
    """An element the reader keeps as text (one it does not understand), as the standard
    library writes it, whichever parser made the element: the standard library's (a CIB
    given as text) or lxml (a CIB file, see cib.document)."""
    if not isinstance(el, ET.Element):
        el = _as_stdlib(el)
    return ET.tostring(el, encoding="unicode").strip()


def _as_stdlib(el: ET.Element) -> ET.Element:
    # an lxml element's copy: what the standard library's parser makes of the same XML (the
    # tree has no comments, processing instructions or entity references; see cib.document)
    copy = ET.Element(el.tag, dict(el.items()))
    copy.text, copy.tail = el.text, el.tail
    copy.extend(_as_stdlib(child) for child in el)
    return copy


# The attributes each element of the status section is read for (the others are kept as
# extra): made once, as the section has an element per operation recorded on every node.
_OP_RECORD_ATTRS = frozenset({
    "id", "operation", "call-id", "rc-code", "op-status", "interval", "transition-key",
    "transition-magic", "last-rc-change", "op-digest", "op-restart-digest", "op-force-restart",
    "op-secure-params", "op-secure-digest", "exit-reason", "operation_key", "on_node"})
_HISTORY_ATTRS = frozenset({"id", "class", "type", "provider", "container"})
_NODE_STATE_ATTRS = frozenset({"id", "uname", "in_ccm", "crmd", "join", "expected"})
_LEVEL_ATTRS = frozenset({"id", "index", "devices", "target", "target-pattern", "target-attribute",
                          "target-value"})


@dataclass
class _Reader:
    """One parse: the id index for id-refs and the warnings collected on the way."""

    root: ET.Element
    warnings: list[Report] = field(default_factory=list)
    errors: list[Report] = field(default_factory=list)
    # every id of the document, made when the first id-ref is met: most CIBs have none, and
    # indexing visits every element of the status section
    _by_id: dict[str, ET.Element] | None = None

    # -- helpers -----------------------------------------------------------------------------
    def resolve(self, el: ET.Element) -> tuple[ET.Element, str | None]:
        ref = el.get("id-ref")
        if ref is None:
            return el, None
        if self._by_id is None:
            self._by_id = _index(self.root)
        target = self._by_id.get(ref)
        if target is None:
            self.errors.append(reports.error("CIB_DANGLING_IDREF", tag=el.tag, idref=ref))
            return el, ref
        return target, ref

    def require(self, el: ET.Element, attr: str, path: str) -> str:
        value = el.get(attr)
        if value is None:
            self.errors.append(
                reports.error("CIB_MISSING_ATTRIBUTE", element=el.tag, attribute=attr, path=path)
            )
            return ""
        return value

    def unknown(self, el: ET.Element, path: str) -> str:
        self.warnings.append(reports.warning("CIB_UNKNOWN_ELEMENT", element=el.tag, path=path))
        return xml_text(el)

    @staticmethod
    def extra_attrs(el: ET.Element, known: set[str] | frozenset[str]) -> tuple[tuple[str, str], ...]:
        # keys() and items(), not attrib: an lxml element makes its attrib a proxy object
        if known.issuperset(el.keys()):  # the usual case, without a Python-level loop
            return ()
        return tuple((k, v) for k, v in el.items() if k not in known)

    # -- attribute sets and rules ------------------------------------------------------------
    def nvset(self, raw: ET.Element, path: str) -> NvSet:
        el, ref = self.resolve(raw)
        set_id = el.get("id", "")
        here = f"{path}/{raw.tag}[@id='{set_id}']"
        pairs: list[NvPair] = []
        rule: Rule | None = None
        children: list[str] = []
        for child in el:
            if child.tag == "nvpair":
                target, pref = self.resolve(child)
                name = target.get("name")
                if name is None:
                    self.errors.append(reports.error(
                        "CIB_MISSING_ATTRIBUTE", element="nvpair", attribute="name", path=here))
                    continue
                pairs.append(NvPair(target.get("id", ""), name, target.get("value"), pref))
            elif child.tag == "rule":
                rule = self.rule(child, here)
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, here))
        return NvSet(
            id=set_id,
            pairs=tuple(pairs),
            rule=rule,
            score=parse_score(el.get("score"), 0),
            ref=ref,
            extra=Extra(self.extra_attrs(el, {"id", "score", "id-ref"}), tuple(children)),
        )

    def nvsets(self, parent: ET.Element, tag: str, path: str) -> tuple[NvSet, ...]:
        return tuple(self.nvset(el, path) for el in _children(parent, tag))

    def rule(self, raw: ET.Element, path: str) -> Rule:
        el, ref = self.resolve(raw)
        rule_id = el.get("id", "")
        here = f"{path}/rule[@id='{rule_id}']"
        exprs: list[Expression] = []
        children: list[str] = []
        for child in el:
            expr = self.expression(child, here)
            if expr is not None:
                exprs.append(expr)
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, here))
        score_text = el.get("score")
        return Rule(
            id=rule_id,
            expressions=tuple(exprs),
            boolean_op=el.get("boolean-op", "and"),
            score=parse_score(score_text) if score_text is not None else None,
            score_attribute=el.get("score-attribute"),
            role=el.get("role"),
            ref=ref,
            extra=Extra(
                self.extra_attrs(el, {"id", "boolean-op", "score", "score-attribute", "role"}),
                tuple(children),
            ),
        )

    def expression(self, el: ET.Element, path: str) -> Expression | None:
        if el.tag == "rule":
            return self.rule(el, path)
        if el.tag == "expression":
            return AttrExpression(
                id=el.get("id", ""),
                attribute=self.require(el, "attribute", path),
                operation=self.require(el, "operation", path),
                value=el.get("value"),
                type=el.get("type"),
                value_source=el.get("value-source"),
                extra=Extra(self.extra_attrs(
                    el, {"id", "attribute", "operation", "value", "type", "value-source"})),
            )
        if el.tag == "date_expression":
            duration = el.find("duration")
            spec = el.find("date_spec")
            return DateExpression(
                id=el.get("id", ""),
                operation=el.get("operation", "in_range"),
                start=el.get("start"),
                end=el.get("end"),
                duration=(tuple((k, v) for k, v in duration.attrib.items() if k != "id")
                          if duration is not None else None),
                date_spec=(DateSpec(spec.get("id", ""),
                                    tuple((k, v) for k, v in spec.attrib.items() if k != "id"))
                           if spec is not None else None),
                extra=Extra(self.extra_attrs(el, {"id", "operation", "start", "end"})),
            )
        if el.tag == "rsc_expression":
            return ResourceExpression(el.get("id", ""), el.get("class"), el.get("provider"),
                                      el.get("type"))
        if el.tag == "op_expression":
            return OpExpression(el.get("id", ""), el.get("name", ""), el.get("interval"))
        return None

    # -- resources ---------------------------------------------------------------------------
    def operation(self, raw: ET.Element, path: str) -> Operation:
        el, ref = self.resolve(raw)
        name = self.require(el, "name", path)
        interval = el.get("interval", "0")
        interval_ms = parse_interval_ms(interval)
        if interval_ms is None:
            self.errors.append(reports.error(
                "CIB_BAD_INTERVAL", operation=el.get("id", ""), value=interval, path=path))
            interval_ms = 0
        known = {"id", "name", "interval", "role", "on-fail", "timeout", "enabled", "id-ref"}
        children = [self.unknown(c, path) for c in el
                    if c.tag not in ("instance_attributes", "meta_attributes")
                    and isinstance(c.tag, str)]
        return Operation(
            id=el.get("id", ""),
            name=name,
            interval=interval,
            interval_ms=interval_ms,
            role=el.get("role"),
            on_fail=el.get("on-fail"),
            timeout=el.get("timeout"),
            enabled=is_true(el.get("enabled"), True),
            instance_attributes=self.nvsets(el, "instance_attributes", path),
            meta_attributes=self.nvsets(el, "meta_attributes", path),
            ref=ref,
            extra=Extra(self.extra_attrs(el, known), tuple(children)),
        )

    def _agent_parts(self, el: ET.Element, here: str
                     ) -> tuple[tuple[Operation, ...], tuple[str, ...]]:
        """The operations and the unknown children of a primitive or template."""
        ops: list[Operation] = []
        children: list[str] = []
        for child in el:
            if child.tag == "operations":
                ops.extend(self.operation(op, here) for op in _children(child, "op"))
            elif child.tag in ("instance_attributes", "meta_attributes", "utilization"):
                continue
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, here))
        return tuple(ops), tuple(children)

    def primitive(self, el: ET.Element, path: str) -> Primitive:
        rsc_id = self.require(el, "id", path)
        here = f"{path}/primitive[@id='{rsc_id}']"
        template = el.get("template")
        # A primitive made from a template may leave its class and type to the template.
        if template is None:
            standard = self.require(el, "class", here)
            agent_type = self.require(el, "type", here)
        else:
            standard = el.get("class", "")
            agent_type = el.get("type", "")
        ops, children = self._agent_parts(el, here)
        return Primitive(
            id=rsc_id,
            standard=standard,
            agent_type=agent_type,
            provider=el.get("provider"),
            instance_attributes=self.nvsets(el, "instance_attributes", here),
            meta_attributes=self.nvsets(el, "meta_attributes", here),
            utilization=self.nvsets(el, "utilization", here),
            operations=ops,
            extra=Extra(self.extra_attrs(el, {"id", "class", "type", "provider", "template"}),
                        children),
            template=template,
        )

    def template(self, el: ET.Element, path: str) -> Template:
        tid = self.require(el, "id", path)
        here = f"{path}/template[@id='{tid}']"
        ops, children = self._agent_parts(el, here)
        return Template(
            id=tid,
            standard=self.require(el, "class", here),
            agent_type=self.require(el, "type", here),
            provider=el.get("provider"),
            instance_attributes=self.nvsets(el, "instance_attributes", here),
            meta_attributes=self.nvsets(el, "meta_attributes", here),
            utilization=self.nvsets(el, "utilization", here),
            operations=ops,
            extra=Extra(self.extra_attrs(el, {"id", "class", "type", "provider"}), children),
        )

    def group(self, el: ET.Element, path: str) -> Group:
        gid = self.require(el, "id", path)
        here = f"{path}/group[@id='{gid}']"
        members: list[Primitive] = []
        children: list[str] = []
        for child in el:
            if child.tag == "primitive":
                members.append(self.primitive(child, here))
            elif child.tag in ("instance_attributes", "meta_attributes"):
                continue
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, here))
        if not members:
            self.errors.append(reports.error("CIB_EMPTY_GROUP", group=gid))
        return Group(
            id=gid,
            members=tuple(members),
            meta_attributes=self.nvsets(el, "meta_attributes", here),
            instance_attributes=self.nvsets(el, "instance_attributes", here),
            extra=Extra(self.extra_attrs(el, {"id"}), tuple(children)),
        )

    def clone(self, el: ET.Element, path: str) -> Clone | None:
        cid = self.require(el, "id", path)
        here = f"{path}/{el.tag}[@id='{cid}']"
        child_rsc: Primitive | Group | None = None
        children: list[str] = []
        for child in el:
            if child.tag == "primitive" and child_rsc is None:
                child_rsc = self.primitive(child, here)
            elif child.tag == "group" and child_rsc is None:
                child_rsc = self.group(child, here)
            elif child.tag in ("instance_attributes", "meta_attributes"):
                continue
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, here))
        if child_rsc is None:
            self.errors.append(reports.error("CIB_EMPTY_CLONE", clone=cid))
            return None
        return Clone(
            id=cid,
            child=child_rsc,
            meta_attributes=self.nvsets(el, "meta_attributes", here),
            instance_attributes=self.nvsets(el, "instance_attributes", here),
            legacy_master=el.tag == "master",
            extra=Extra(self.extra_attrs(el, {"id"}), tuple(children)),
        )

    def bundle(self, el: ET.Element, path: str) -> Bundle | None:
        bid = self.require(el, "id", path)
        here = f"{path}/bundle[@id='{bid}']"
        container: BundleContainer | None = None
        network: BundleNetwork | None = None
        storage: tuple[StorageMapping, ...] | None = None
        primitive: Primitive | None = None
        children: list[str] = []
        for child in el:
            if child.tag in RUNTIMES and container is None:
                container = self.bundle_container(child, here)
            elif child.tag == "network" and network is None:
                network = self.bundle_network(child, here)
            elif child.tag == "storage" and storage is None:
                storage = self.bundle_storage(child, here)
            elif child.tag == "primitive" and primitive is None:
                primitive = self.primitive(child, here)
            elif child.tag in ("meta_attributes", "utilization"):
                continue
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, here))
        if container is None:
            self.errors.append(reports.error(
                "CIB_MISSING_ELEMENT", element="docker|podman|rkt", path=here))
            return None
        return Bundle(
            id=bid, container=container, network=network, storage=storage, primitive=primitive,
            meta_attributes=self.nvsets(el, "meta_attributes", here),
            utilization=self.nvsets(el, "utilization", here),
            extra=Extra(self.extra_attrs(el, {"id"}), tuple(children)))

    def bundle_container(self, el: ET.Element, path: str) -> BundleContainer:
        known = {"image", "replicas", "replicas-per-host", "promoted-max", "masters", "network",
                 "run-command", "options"}
        return BundleContainer(
            runtime=str(el.tag), image=self.require(el, "image", f"{path}/{el.tag}"),
            replicas=el.get("replicas"), replicas_per_host=el.get("replicas-per-host"),
            promoted_max=el.get("promoted-max"), legacy_masters=el.get("masters"),
            network=el.get("network"), run_command=el.get("run-command"),
            options=el.get("options"),
            extra=Extra(self.extra_attrs(el, known),
                        tuple(self.unknown(c, f"{path}/{el.tag}") for c in el
                              if isinstance(c.tag, str))))

    def bundle_network(self, el: ET.Element, path: str) -> BundleNetwork:
        here = f"{path}/network"
        ports: list[PortMapping] = []
        children: list[str] = []
        for child in el:
            if child.tag == "port-mapping":
                ports.append(PortMapping(
                    id=self.require(child, "id", here), port=child.get("port"),
                    internal_port=child.get("internal-port"), range=child.get("range"),
                    extra=Extra(self.extra_attrs(child, {"id", "port", "internal-port", "range"}),
                                tuple(self.unknown(c, here) for c in child
                                      if isinstance(c.tag, str)))))
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, here))
        known = {"ip-range-start", "host-interface", "host-netmask", "control-port", "add-host"}
        return BundleNetwork(
            ip_range_start=el.get("ip-range-start"), host_interface=el.get("host-interface"),
            host_netmask=el.get("host-netmask"), control_port=el.get("control-port"),
            add_host=el.get("add-host"), port_mappings=tuple(ports),
            extra=Extra(self.extra_attrs(el, known), tuple(children)))

    def bundle_storage(self, el: ET.Element, path: str) -> tuple[StorageMapping, ...]:
        here = f"{path}/storage"
        out: list[StorageMapping] = []
        for child in el:
            if child.tag == "storage-mapping":
                known = {"id", "source-dir", "source-dir-root", "target-dir", "options"}
                out.append(StorageMapping(
                    id=self.require(child, "id", here),
                    target_dir=self.require(child, "target-dir", here),
                    source_dir=child.get("source-dir"),
                    source_dir_root=child.get("source-dir-root"), options=child.get("options"),
                    extra=Extra(self.extra_attrs(child, known),
                                tuple(self.unknown(c, here) for c in child
                                      if isinstance(c.tag, str)))))
            elif isinstance(child.tag, str):
                # kept on no model: the schema allows only storage-mapping here
                self.warnings.append(reports.warning(
                    "CIB_UNKNOWN_ELEMENT", element=str(child.tag), path=here))
        return tuple(out)

    def resources(self, section: ET.Element
                  ) -> tuple[tuple[Resource, ...], tuple[Template, ...], tuple[str, ...]]:
        path = "/cib/configuration/resources"
        out: list[Resource] = []
        templates: list[Template] = []
        unknown: list[str] = []
        for el in section:
            if el.tag == "template":
                templates.append(self.template(el, path))
            elif el.tag == "primitive":
                out.append(self.primitive(el, path))
            elif el.tag == "group":
                out.append(self.group(el, path))
            elif el.tag in ("clone", "master"):
                clone = self.clone(el, path)
                if clone is not None:
                    out.append(clone)
            elif el.tag == "bundle":
                bundle = self.bundle(el, path)
                if bundle is not None:
                    out.append(bundle)
            elif isinstance(el.tag, str):
                unknown.append(self.unknown(el, path))
        return tuple(out), tuple(templates), tuple(unknown)

    # -- tags --------------------------------------------------------------------------------
    def tags(self, section: ET.Element) -> tuple[tuple[Tag, ...], tuple[str, ...]]:
        path = "/cib/configuration/tags"
        out: list[Tag] = []
        unknown: list[str] = []
        for el in section:
            if el.tag == "tag":
                tag_id = self.require(el, "id", path)
                here = f"{path}/tag[@id='{tag_id}']"
                refs: list[str] = []
                children: list[str] = []
                for child in el:
                    if child.tag == "obj_ref":
                        refs.append(self.require(child, "id", here))
                    elif isinstance(child.tag, str):
                        children.append(self.unknown(child, here))
                out.append(Tag(tag_id, tuple(refs),
                               Extra(self.extra_attrs(el, {"id"}), tuple(children))))
            elif isinstance(el.tag, str):
                unknown.append(self.unknown(el, path))
        return tuple(out), tuple(unknown)

    # -- constraints -------------------------------------------------------------------------
    def resource_sets(self, el: ET.Element, path: str) -> tuple[ResourceSet, ...]:
        out: list[ResourceSet] = []
        for raw in _children(el, "resource_set"):
            rs, ref = self.resolve(raw)
            score = rs.get("score")
            out.append(ResourceSet(
                id=rs.get("id", ""),
                resources=tuple(r.get("id", "") for r in rs.findall("resource_ref")),
                sequential=is_true(rs.get("sequential"), True),
                require_all=is_true(rs.get("require-all"), True),
                role=rs.get("role"),
                action=rs.get("action"),
                score=parse_score(score) if score is not None else None,
                ordering=rs.get("ordering"),
                ref=ref,
                extra=Extra(self.extra_attrs(rs, {
                    "id", "sequential", "require-all", "role", "action", "score", "ordering"})),
            ))
        return tuple(out)

    def constraint(self, el: ET.Element) -> Constraint | None:
        path = "/cib/configuration/constraints"
        cid = el.get("id", "")
        here = f"{path}/{el.tag}[@id='{cid}']"
        if el.tag == "rsc_location":
            score = el.get("score")
            known = {"id", "rsc", "rsc-pattern", "node", "score", "role", "resource-discovery"}
            return Location(
                id=cid,
                rsc=el.get("rsc"),
                rsc_pattern=el.get("rsc-pattern"),
                node=el.get("node"),
                score=parse_score(score) if score is not None else None,
                rules=tuple(self.rule(r, here) for r in _children(el, "rule")),
                role=el.get("role"),
                resource_discovery=el.get("resource-discovery"),
                sets=self.resource_sets(el, here),
                extra=Extra(self.extra_attrs(el, known)),
            )
        if el.tag == "rsc_colocation":
            text = el.get("influence")
            influence = parse_bool(text) if text is not None else None
            known = {"id", "rsc", "with-rsc", "score", "rsc-role", "with-rsc-role",
                     "node-attribute"}
            if text is None or influence is not None:
                known.add("influence")  # else kept as written (extra), the default applies
            return Colocation(
                id=cid,
                rsc=el.get("rsc"),
                with_rsc=el.get("with-rsc"),
                score=parse_score(el.get("score"), 0),
                rsc_role=el.get("rsc-role"),
                with_rsc_role=el.get("with-rsc-role"),
                node_attribute=el.get("node-attribute"),
                influence=influence,
                sets=self.resource_sets(el, here),
                extra=Extra(self.extra_attrs(el, known)),
            )
        if el.tag == "rsc_order":
            score = el.get("score")
            sym = el.get("symmetrical")
            known = {"id", "first", "then", "first-action", "then-action", "kind",
                     "symmetrical", "score", "require-all"}
            return Order(
                id=cid,
                first=el.get("first"),
                then=el.get("then"),
                first_action=el.get("first-action"),
                then_action=el.get("then-action"),
                kind=el.get("kind"),
                symmetrical=is_true(sym) if sym is not None else None,
                score=parse_score(score) if score is not None else None,
                require_all=is_true(el.get("require-all"), True),
                sets=self.resource_sets(el, here),
                extra=Extra(self.extra_attrs(el, known)),
            )
        if el.tag == "rsc_ticket":
            known = {"id", "rsc", "rsc-role", "ticket", "loss-policy"}
            return TicketConstraint(
                id=cid,
                ticket=el.get("ticket", ""),
                rsc=el.get("rsc"),
                rsc_role=el.get("rsc-role"),
                loss_policy=el.get("loss-policy"),
                sets=self.resource_sets(el, here),
                extra=Extra(self.extra_attrs(el, known)),
            )
        if isinstance(el.tag, str):
            self.warnings.append(reports.warning("CIB_UNKNOWN_ELEMENT", element=el.tag, path=here))
            return UnknownConstraint(cid, el.tag, xml_text(el))
        return None

    # -- nodes and status --------------------------------------------------------------------
    def ticket_state(self, el: ET.Element) -> TicketState:
        return TicketState(
            id=el.get("id", ""),
            granted=is_true(el.get("granted"), False),
            standby=is_true(el.get("standby"), False),
            last_granted=el.get("last-granted"),
            extra=Extra(self.extra_attrs(el, {"id", "granted", "standby", "last-granted"}),
                        tuple(xml_text(c) for c in el
                              if isinstance(c.tag, str))),
        )

    # -- alerts ----------------------------------------------------------------------------------
    def alert(self, el: ET.Element) -> Alert:
        path = "/cib/configuration/alerts"
        aid = el.get("id", "")
        here = f"{path}/alert[@id='{aid}']"
        select: AlertSelect | None = None
        sel = el.find("select")
        if sel is not None:
            attrs = sel.find("select_attributes")
            select = AlertSelect(
                nodes=sel.find("select_nodes") is not None,
                fencing=sel.find("select_fencing") is not None,
                resources=sel.find("select_resources") is not None,
                attributes=None if attrs is None else tuple(
                    (a.get("id", ""), a.get("name", "")) for a in attrs.findall("attribute")))
        recipients = tuple(Recipient(
            id=r.get("id", ""), value=r.get("value", ""), description=r.get("description"),
            instance_attributes=self.nvsets(r, "instance_attributes", here),
            meta_attributes=self.nvsets(r, "meta_attributes", here),
            extra=Extra(self.extra_attrs(r, {"id", "value", "description"})))
            for r in el.findall("recipient"))
        return Alert(
            id=aid, path=el.get("path", ""), description=el.get("description"),
            instance_attributes=self.nvsets(el, "instance_attributes", here),
            meta_attributes=self.nvsets(el, "meta_attributes", here),
            select=select, recipients=recipients,
            extra=Extra(self.extra_attrs(el, {"id", "path", "description"})))

    # -- access control lists --------------------------------------------------------------------
    def acls(self, section: ET.Element) -> Acls:
        path = "/cib/configuration/acls"
        roles: list[AclRole] = []
        targets: list[AclTarget] = []
        groups: list[AclGroup] = []
        unknown: list[str] = []
        for el in section:
            if el.tag == "acl_role":
                roles.append(self.acl_role(el, path))
            elif el.tag in ("acl_target", "acl_group"):
                rid = el.get("id", "")
                here = f"{path}/{el.tag}[@id='{rid}']"
                refs = tuple(r.get("id", "") for r in el.findall("role"))
                other = tuple(self.unknown(c, here) for c in el
                              if c.tag != "role" and isinstance(c.tag, str))
                extra = Extra(self.extra_attrs(el, {"id", "name"}), other)
                if el.tag == "acl_target":
                    targets.append(AclTarget(rid, el.get("name"), refs, extra))
                else:
                    groups.append(AclGroup(rid, el.get("name"), refs, extra))
            elif isinstance(el.tag, str):
                unknown.append(self.unknown(el, path))
        return Acls(tuple(roles), tuple(targets), tuple(groups),
                    Extra(tuple(section.attrib.items()), tuple(unknown)))

    def acl_role(self, el: ET.Element, path: str) -> AclRole:
        rid = el.get("id", "")
        here = f"{path}/acl_role[@id='{rid}']"
        perms: list[AclPermission] = []
        unknown: list[str] = []
        known = {"id", "kind", "xpath", "reference", "object-type", "attribute", "description"}
        for child in el:
            if child.tag == "acl_permission":
                perms.append(AclPermission(
                    id=child.get("id", ""), kind=self.require(child, "kind", here),
                    xpath=child.get("xpath"), reference=child.get("reference"),
                    object_type=child.get("object-type"), attribute=child.get("attribute"),
                    description=child.get("description"),
                    extra=Extra(self.extra_attrs(child, known))))
            elif isinstance(child.tag, str):
                unknown.append(self.unknown(child, here))
        return AclRole(rid, el.get("description"), tuple(perms),
                       Extra(self.extra_attrs(el, {"id", "description"}), tuple(unknown)))

    # -- fencing topology ------------------------------------------------------------------------
    def fencing_level(self, el: ET.Element) -> FencingLevel:
        extra_attrs = self.extra_attrs(el, _LEVEL_ATTRS)
        text = el.get("index")
        try:
            index: int | None = int(text) if text is not None else None
        except ValueError:
            # Not a number: the fencer reports the level and leaves it out; the text is kept.
            index = None
            extra_attrs = (("index", text or ""), *extra_attrs)
        return FencingLevel(
            id=el.get("id", ""),
            index=index,
            devices=tuple(d.strip() for d in el.get("devices", "").split(",") if d.strip()),
            target=el.get("target"),
            target_pattern=el.get("target-pattern"),
            target_attribute=el.get("target-attribute"),
            target_value=el.get("target-value"),
            extra=Extra(extra_attrs),
        )

    def fencing_topology(self, el: ET.Element) -> FencingTopology:
        path = "/cib/configuration/fencing-topology"
        levels = []
        children = []
        for child in el:
            if child.tag == "fencing-level":
                levels.append(self.fencing_level(child))
            elif isinstance(child.tag, str):
                children.append(self.unknown(child, path))
        return FencingTopology(tuple(levels), Extra(tuple(el.attrib.items()), tuple(children)))

    def node(self, el: ET.Element) -> NodeConfig:
        path = "/cib/configuration/nodes"
        node_id = self.require(el, "id", path)
        here = f"{path}/node[@id='{node_id}']"
        children = [self.unknown(c, here) for c in el
                    if c.tag not in ("instance_attributes", "utilization")
                    and isinstance(c.tag, str)]
        return NodeConfig(
            id=node_id,
            uname=el.get("uname") or node_id,
            type=el.get("type"),
            score=el.get("score"),
            instance_attributes=self.nvsets(el, "instance_attributes", here),
            utilization=self.nvsets(el, "utilization", here),
            extra=Extra(self.extra_attrs(el, {"id", "uname", "type", "score"}), tuple(children)),
        )

    @staticmethod
    def op_record(el: ET.Element, node: str) -> OperationRecord:
        # the attributes taken once, as a dict: the status section has an element per
        # operation recorded on every node, and an lxml element looks each attribute up
        # anew (see cib.document)
        attrs = dict(el.items())
        get = attrs.get
        rc_change = get("last-rc-change") or get("last-run")
        try:
            last_rc_change = int(rc_change) if rc_change is not None else None
        except ValueError:
            last_rc_change = None
        extra = _extra(attrs, _OP_RECORD_ATTRS)
        return OperationRecord(
            id=get("id", ""),
            operation=get("operation", ""),
            call_id=_number(get("call-id"), -1),
            rc_code=_number(get("rc-code"), 0),
            op_status=_number(get("op-status"), 0),
            interval_ms=_number(get("interval"), 0),  # the status section records milliseconds
            transition_key=get("transition-key"),
            transition_magic=get("transition-magic"),
            last_rc_change=last_rc_change,
            op_digest=get("op-digest"),
            op_restart_digest=get("op-restart-digest"),
            op_force_restart=get("op-force-restart"),
            op_secure_params=get("op-secure-params"),
            op_secure_digest=get("op-secure-digest"),
            exit_reason=get("exit-reason"),
            operation_key=get("operation_key"),
            on_node=get("on_node") or node,
            extra=extra,
        )

    def history(self, el: ET.Element, node: str) -> ResourceHistory:
        attrs = dict(el.items())  # once, as for an operation record
        get = attrs.get
        return ResourceHistory(
            id=get("id", ""),
            standard=get("class"),
            agent_type=get("type"),
            provider=get("provider"),
            container=get("container"),
            operations=tuple([self.op_record(op, node) for op in el if op.tag == "lrm_rsc_op"]),
            extra=_extra(attrs, _HISTORY_ATTRS),
        )

    def node_state(self, el: ET.Element) -> NodeState:
        node_id = el.get("id", "")
        uname = el.get("uname")
        history: list[ResourceHistory] = []
        transient: tuple[NvSet, ...] = ()
        transient_id = None
        lrm_id = None
        has_lrm = False
        children: list[str] = []
        here = f"/cib/status/node_state[@id='{node_id}']"
        for child in el:
            if child.tag == "transient_attributes":
                transient_id = child.get("id")
                transient = self.nvsets(child, "instance_attributes", here)
            elif child.tag == "lrm":
                has_lrm = True
                lrm_id = child.get("id")
                rscs = child.find("lrm_resources")
                history.extend(self.history(rsc, uname or node_id)
                               for rsc in (rscs if rscs is not None else ())
                               if rsc.tag == "lrm_resource")
            elif isinstance(child.tag, str):
                children.append(xml_text(child))
        return NodeState(
            id=node_id,
            uname=uname,
            in_ccm=el.get("in_ccm"),
            crmd=el.get("crmd"),
            join=el.get("join"),
            expected=el.get("expected"),
            transient_attributes=transient,
            history=tuple(history),
            has_lrm=has_lrm,
            transient_id=transient_id,
            lrm_id=lrm_id,
            extra=Extra(self.extra_attrs(el, _NODE_STATE_ATTRS), tuple(children)),
        )


def _children(parent: ET.Element, tag: str) -> list[ET.Element]:
    """`parent.findall(tag)` for a plain tag: lxml's findall goes through a path parser."""
    return [child for child in parent if child.tag == tag]


def _extra(attrs: dict[str, str], known: frozenset[str]) -> Extra:
    """The attributes of `attrs` not in `known`, kept for the write."""
    if known.issuperset(attrs):
        return NO_EXTRA
    return Extra(tuple([(k, v) for k, v in attrs.items() if k not in known]))


def _number(text: str | None, default: int) -> int:
    """An integer attribute of the status section; `default` when absent or not a number."""
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        return default


def _index(root: ET.Element) -> dict[str, ET.Element]:
    index: dict[str, ET.Element] = {}
    for el in root.iter():
        el_id = el.get("id")
        if el_id is not None and el.get("id-ref") is None and el_id not in index:
            index[el_id] = el
    return index


def _int_attr(root: ET.Element, name: str) -> int:
    try:
        return int(root.get(name, "0"))
    except ValueError:
        raise ReportError([reports.error("CIB_BAD_VERSION", attribute=name,
                                         value=root.get(name, ""))]) from None


def parse_element(root: ET.Element) -> tuple[Cib, tuple[Report, ...]]:
    if root.tag != "cib":
        raise ReportError([reports.error("CIB_WRONG_ROOT", found=root.tag)])
    reader = _Reader(root)
    config_el = root.find("configuration")
    if config_el is None:
        raise ReportError([reports.error("CIB_MISSING_SECTION", section="configuration")])
    properties: tuple[NvSet, ...] = ()
    nodes: list[NodeConfig] = []
    resources: tuple[Resource, ...] = ()
    templates: tuple[Template, ...] = ()
    tags: tuple[Tag, ...] = ()
    constraints: list[Constraint] = []
    rsc_defaults: tuple[NvSet, ...] = ()
    op_defaults: tuple[NvSet, ...] = ()
    topology: FencingTopology | None = None
    alerts: tuple[Alert, ...] | None = None
    acls: Acls | None = None
    config_unknown: list[str] = []
    for section in config_el:
        tag = section.tag
        if tag == "crm_config":
            properties = reader.nvsets(section, "cluster_property_set", "/cib/configuration/crm_config")
        elif tag == "nodes":
            nodes.extend(reader.node(n) for n in section.findall("node"))
        elif tag == "resources":
            resources, templates, unknown_rscs = reader.resources(section)
            if unknown_rscs:
                # Kept whole, in place of the section's unknown children, on write.
                config_unknown.extend(f"resources:{x}" for x in unknown_rscs)
        elif tag == "constraints":
            for el in section:
                c = reader.constraint(el)
                if c is not None:
                    constraints.append(c)
        elif tag == "rsc_defaults":
            rsc_defaults = reader.nvsets(section, "meta_attributes", "/cib/configuration/rsc_defaults")
        elif tag == "op_defaults":
            op_defaults = reader.nvsets(section, "meta_attributes", "/cib/configuration/op_defaults")
        elif tag == "fencing-topology":
            topology = reader.fencing_topology(section)
        elif tag == "alerts":
            alerts = tuple(reader.alert(a) for a in section.findall("alert"))
        elif tag == "acls":
            acls = reader.acls(section)
        elif tag == "tags":
            tags, unknown_tags = reader.tags(section)
            config_unknown.extend(f"tags:{x}" for x in unknown_tags)
        elif isinstance(tag, str):
            reader.warnings.append(reports.warning(
                "CIB_UNKNOWN_ELEMENT", element=tag, path=f"/cib/configuration/{tag}"))
            config_unknown.append(xml_text(section))
    status: list[NodeState] = []
    status_el = root.find("status")
    status_unknown: list[str] = []
    tickets: list[TicketState] = []
    if status_el is not None:
        for el in status_el:
            if el.tag == "node_state":
                status.append(reader.node_state(el))
            elif el.tag == "tickets":
                tickets.extend(reader.ticket_state(t) for t in el.findall("ticket_state"))
            elif isinstance(el.tag, str):
                status_unknown.append(xml_text(el))
    top_unknown = [xml_text(el) for el in root
                   if el.tag not in ("configuration", "status") and isinstance(el.tag, str)]
    if reader.errors:
        raise ReportError(reader.errors)
    known_root = {"admin_epoch", "epoch", "num_updates", "have-quorum", "dc-uuid",
                  "crm_feature_set", "validate-with"}
    cib = Cib(
        version=CibVersion(_int_attr(root, "admin_epoch"), _int_attr(root, "epoch"),
                           _int_attr(root, "num_updates")),
        configuration=Configuration(
            properties=properties,
            nodes=tuple(nodes),
            resources=resources,
            constraints=tuple(constraints),
            rsc_defaults=rsc_defaults,
            op_defaults=op_defaults,
            fencing_topology=topology,
            alerts=alerts,
            acls=acls,
            extra=Extra((), tuple(config_unknown)),
            templates=templates,
            tags=tags,
        ),
        status=tuple(status),
        have_quorum=is_true(root.get("have-quorum"), False),
        dc_uuid=root.get("dc-uuid"),
        crm_feature_set=root.get("crm_feature_set"),
        validate_with=root.get("validate-with"),
        extra=Extra(tuple((k, v) for k, v in root.attrib.items() if k not in known_root),
                    tuple(top_unknown)),
        status_extra=Extra((), tuple(status_unknown)),
        tickets=tuple(tickets),
    )
    return cib, tuple(reader.warnings)


def parse_cib(text: str) -> tuple[Cib, tuple[Report, ...]]:
    """Parse CIB XML text. Raises ReportError (CIB_NOT_XML, CIB_WRONG_ROOT...) on bad input."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ReportError([reports.error("CIB_NOT_XML", detail=str(exc))]) from None
    return parse_element(root)
