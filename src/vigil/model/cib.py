"""The whole CIB: versions, configuration and status, as one frozen value."""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.acls import Acls
from vigil.model.alerts import Alert
from vigil.model.constraints import Constraint
from vigil.model.fencing import FencingTopology
from vigil.model.nvset import NvSet, first_value
from vigil.model.resources import Resource, Template
from vigil.model.status import NodeState, TicketState
from vigil.model.tags import Tag
from vigil.model.version import CibVersion
from vigil.model.xmlextra import NO_EXTRA, Extra

# The CRM feature set vigil speaks: Pacemaker 2.1.5's. It goes into the CIB, the operation history,
# and every OCF agent's environment (agents such as PAF refuse to run on an older one).
CRM_FEATURE_SET = "3.16.1"


@dataclass(frozen=True)
class NodeConfig:
    id: str
    uname: str
    type: str | None = None
    score: str | None = None
    instance_attributes: tuple[NvSet, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class Configuration:
    properties: tuple[NvSet, ...] = ()
    nodes: tuple[NodeConfig, ...] = ()
    resources: tuple[Resource, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    rsc_defaults: tuple[NvSet, ...] = ()
    op_defaults: tuple[NvSet, ...] = ()
    fencing_topology: FencingTopology | None = None  # None: no <fencing-topology> element
    alerts: tuple[Alert, ...] | None = None  # None: no <alerts> element
    acls: Acls | None = None  # None: no <acls> element
    extra: Extra = NO_EXTRA  # unknown sections kept as XML
    templates: tuple[Template, ...] = ()  # the <template>s among the resources
    tags: tuple[Tag, ...] = ()  # <tags> (written only when there are some)


@dataclass(frozen=True)
class Cib:
    version: CibVersion
    configuration: Configuration
    status: tuple[NodeState, ...] = ()
    have_quorum: bool = False
    dc_uuid: str | None = None
    crm_feature_set: str | None = None
    validate_with: str | None = None
    extra: Extra = NO_EXTRA  # other root attributes and unknown top-level children
    status_extra: Extra = NO_EXTRA
    tickets: tuple[TicketState, ...] = ()  # the status's <tickets> (written only when there are some)

    def cluster_option(self, name: str) -> str | None:
        return first_value(self.configuration.properties, name)
