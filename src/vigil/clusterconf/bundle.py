"""The files every node of a cluster needs, all the same on every node, and writing them under a root.

`node_files(conf, key, created)` is pure: corosync.conf (rendered from `conf`), the authkey (`key`)
and vigil's own description of the cluster, /etc/vigil/cluster.json. `write_files(root, files)`
writes them below `root` ("/" for this machine, a node's directory of a bundle, a lab node's disk),
each one atomically with its mode. `vigil cluster setup` and the lab both use these two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vigil.clusterconf.corosync_conf import ClusterConf, render_corosync_conf
from vigil.clusterconf.files import AUTHKEY_BYTES
from vigil.host.atomic import write_atomic

COROSYNC_CONF = "etc/corosync/corosync.conf"
AUTHKEY = "etc/corosync/authkey"
CLUSTER_JSON = "etc/vigil/cluster.json"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class NodeFile:
    path: str  # relative to the root it is written under ("etc/corosync/authkey")
    data: bytes
    mode: int

    @property
    def absolute(self) -> str:
        return "/" + self.path


def cluster_json(conf: ClusterConf, created: str) -> str:
    """/etc/vigil/cluster.json: the cluster's name and nodes as `vigil cluster setup` made them."""
    data = {
        "format": FORMAT_VERSION,
        "cluster_name": conf.cluster_name,
        "created": created,
        "transport": "knet",
        "token_ms": conf.token_ms,
        "nodes": [{"name": n.name, "nodeid": n.nodeid, "addrs": list(n.addrs)}
                  for n in sorted(conf.nodes, key=lambda n: n.nodeid)],
    }
    return json.dumps(data, indent=1) + "\n"


def node_files(conf: ClusterConf, key: bytes, created: str) -> tuple[NodeFile, ...]:
    """The three files of every node; raises ReportError when `conf` does not validate."""
    if len(key) < AUTHKEY_BYTES:
        raise ValueError(f"authkey too short: {len(key)} bytes, at least {AUTHKEY_BYTES} needed")
    return (
        NodeFile(COROSYNC_CONF, render_corosync_conf(conf).encode(), 0o644),
        NodeFile(AUTHKEY, key, 0o400),
        NodeFile(CLUSTER_JSON, cluster_json(conf, created).encode(), 0o644),
    )


def write_files(root: Path, files: Iterable[NodeFile]) -> list[Path]:
    """Write each file below `root` (directories made as needed); return the paths written."""
    out = []
    for f in files:
        path = root / f.path
        write_atomic(path, f.data, f.mode)
        out.append(path)
    return out
