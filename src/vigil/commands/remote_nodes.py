"""`vigil cluster node add-remote|remove-remote|add-guest|remove-guest` (pcs's): Pacemaker
Remote nodes and guest nodes as configuration. A remote node is an `ocf:pacemaker:remote`
resource named after the node (its `server` the node's address); a guest node is a resource
(a VM, a container) with the `remote-node` meta-attribute. vigil's scheduler places resources
on both as Pacemaker does; a member connects to the node's vigil-remoted (vigil.daemon.remoted,
inside the guest for a guest node), which runs them; on a running cluster the reports say so."""

from __future__ import annotations

from vigil.commands import edit, resource
from vigil.commands.agents import AgentCatalog
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment, FileEnvironment
from vigil.commands.resource import OpSpec, ResourceSpec
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.nvset import first_value
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Primitive

REMOTE_AGENT = "ocf:pacemaker:remote"
GUEST_OPTIONS = ("remote-addr", "remote-port", "remote-connect-timeout")
Pairs = tuple[tuple[str, str], ...]


def _node_names(cib: Cib) -> set[str]:
    """Every node name in use: cluster nodes, remote nodes (their resources), guest nodes."""
    return set(edit.all_node_names(cib))


def _needs_remoted(env: CibEnvironment, node: str) -> list[Report]:
    # a CIB file is configuration only; on a running cluster, say what the node needs
    return [] if isinstance(env, FileEnvironment) else [
        reports.info("REMOTE_NODE_NEEDS_REMOTED", node=node)]


def add_remote(env: CibEnvironment, name: str, address: str | None, spec: ResourceSpec, *,
               force: bool = False, catalog: AgentCatalog | None = None) -> Applied:
    cib = env.get_cib()
    if name in _node_names(cib) or edit.find_resource(cib, name) is not None:
        raise ReportError([reports.error("REMOTE_NODE_NAME_TAKEN", node=name)])
    given = dict(spec.instance)
    if "server" in given and address is not None:
        raise ReportError([reports.error("REMOTE_NODE_ADDRESS_TWICE", node=name)])
    instance = spec.instance if address is None else (("server", address), *spec.instance)
    defaults = tuple(OpSpec(a, o) for a, o in (
        ("monitor", (("interval", "60s"), ("timeout", "30s"))),) if a not in {
            op.action for op in spec.operations})
    done = resource.create(env, name, REMOTE_AGENT, ResourceSpec(
        instance, (*spec.operations, *defaults), spec.meta), force=force, catalog=catalog)
    return Applied(done.cib, done.changed, (*done.reports, *_needs_remoted(env, name)))


def remove_remote(env: CibEnvironment, name: str) -> Applied:
    cib = env.get_cib()
    found = [p for p in edit.primitives(cib) if p.agent == REMOTE_AGENT and (
        p.id == name or first_value(p.instance_attributes, "server") == name)]
    if not found:
        raise ReportError([reports.error("REMOTE_NODE_NOT_FOUND", node=name)])
    return resource.delete(env, found[0].id)


def add_guest(env: CibEnvironment, name: str, resource_id: str, options: Pairs, *,
              force: bool = False, catalog: AgentCatalog | None = None) -> Applied:
    cib = env.get_cib()
    rsc = edit.find_resource(cib, resource_id)
    if not isinstance(rsc, Primitive):
        raise ReportError([edit.not_found(cib, resource_id)] if rsc is None else [
            reports.error("GUEST_NODE_NOT_PRIMITIVE", rsc=resource_id)])
    if first_value(rsc.meta_attributes, "remote-node"):
        raise ReportError([reports.error("GUEST_NODE_ALREADY", rsc=resource_id,
                                         node=first_value(rsc.meta_attributes, "remote-node"))])
    if name in _node_names(cib) or edit.find_resource(cib, name) is not None:
        raise ReportError([reports.error("REMOTE_NODE_NAME_TAKEN", node=name)])
    unknown = [k for k, _ in options if k not in GUEST_OPTIONS]
    if unknown:
        raise ReportError([reports.error("GUEST_NODE_OPTION_UNKNOWN", option=unknown[0],
                                         allowed=", ".join(GUEST_OPTIONS))])
    done = resource.set_meta(env, resource_id, (("remote-node", name), *options), force=force,
                             catalog=catalog)
    return Applied(done.cib, done.changed, (*done.reports, *_needs_remoted(env, name)))


def remove_guest(env: CibEnvironment, name: str) -> Applied:
    cib = env.get_cib()
    found = [p for p in edit.primitives(cib)
             if first_value(p.meta_attributes, "remote-node") == name or (
                 p.id == name and first_value(p.meta_attributes, "remote-node"))]
    if not found:
        raise ReportError([reports.error("GUEST_NODE_NOT_FOUND", node=name)])
    drop = tuple((k, "") for k in ("remote-node", *GUEST_OPTIONS)
                 if first_value(found[0].meta_attributes, k) is not None)
    return resource.set_meta(env, found[0].id, drop, force=True)
