"""The families of REST routes beside api.rest, each a module that registers its routes
(`add_routes`) and describes them (`PATHS`): one list, read by the server and the OpenAPI
document alike, so a family cannot be served undescribed or described unserved."""

from __future__ import annotations

from types import ModuleType

from vigil.api import (
    rest_acls,
    rest_alerts,
    rest_attributes,
    rest_config,
    rest_fencing,
    rest_resources,
    rest_tags,
    rest_tickets,
)

# the order routes are added in: their fixed paths (/resources/ID/ops, /resources/ID/restart)
# before api.rest's /resources/ID/ACTION, which would take them
FAMILIES: tuple[ModuleType, ...] = (rest_resources, rest_attributes, rest_fencing, rest_tickets,
                                    rest_tags, rest_alerts, rest_acls, rest_config)
