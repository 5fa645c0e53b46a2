"""Corosync 3 configuration: a pure renderer of corosync.conf and a small writer (conf + authkey).

`render_corosync_conf(ClusterConf) -> str` decides everything and does no I/O; `files` writes the
result atomically and makes the authkey; `bundle` puts together the three files every node needs
(corosync.conf, authkey, /etc/vigil/cluster.json). `vigil cluster setup` and the lab use them.
"""

from vigil.clusterconf.bundle import AUTHKEY, CLUSTER_JSON, COROSYNC_CONF, NodeFile, node_files, write_files
from vigil.clusterconf.corosync_conf import (
    DEFAULT_LOGFILE,
    KEYFILE,
    ClusterConf,
    ClusterNode,
    cluster_name_of,
    render_corosync_conf,
    validate,
)
from vigil.clusterconf.files import AUTHKEY_BYTES, new_authkey, write_authkey, write_corosync_conf

__all__ = [
    "AUTHKEY",
    "AUTHKEY_BYTES",
    "CLUSTER_JSON",
    "COROSYNC_CONF",
    "DEFAULT_LOGFILE",
    "KEYFILE",
    "NodeFile",
    "ClusterConf",
    "ClusterNode",
    "cluster_name_of",
    "new_authkey",
    "node_files",
    "render_corosync_conf",
    "validate",
    "write_authkey",
    "write_corosync_conf",
    "write_files",
]
