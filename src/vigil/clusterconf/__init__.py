"""Corosync 3 configuration: a pure renderer of corosync.conf and a small writer (conf + authkey).

`render_corosync_conf(ClusterConf) -> str` decides everything and does no I/O; `files` writes the
result atomically and makes the authkey. The lab uses both, and so will `vigil cluster setup`.
"""

from vigil.clusterconf.corosync_conf import (
    DEFAULT_LOGFILE,
    KEYFILE,
    ClusterConf,
    ClusterNode,
    render_corosync_conf,
    validate,
)
from vigil.clusterconf.files import AUTHKEY_BYTES, new_authkey, write_authkey, write_corosync_conf

__all__ = [
    "AUTHKEY_BYTES",
    "DEFAULT_LOGFILE",
    "KEYFILE",
    "ClusterConf",
    "ClusterNode",
    "new_authkey",
    "render_corosync_conf",
    "validate",
    "write_authkey",
    "write_corosync_conf",
]
