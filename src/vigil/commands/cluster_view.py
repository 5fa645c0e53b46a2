"""What this node's corosync.conf says of its cluster (`vigil cluster config`, pcs's `cluster
config show`), and the state of every node's remote endpoint (`vigil status pcsd`, pcs's name
for its daemon's): data, turned into text at the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vigil.clusterconf import conf_tree, membership, quorum_device
from vigil.commands import quorum, remote
from vigil.model import reports
from vigil.model.reports import ReportError

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class NodeEntry:
    name: str
    nodeid: int
    addresses: tuple[str, ...]  # link 0, link 1 ...


@dataclass(frozen=True)
class ClusterConfig:
    path: str
    cluster_name: str
    transport: str
    nodes: tuple[NodeEntry, ...]
    totem: Pairs  # totem's options but cluster_name, transport and its interfaces
    links: tuple[Pairs, ...]  # each interface section's options (knet's link options)
    quorum: Pairs  # the quorum section's options
    device: quorum_device.QuorumDevice | None


def cluster_config(conf: str | None = None) -> ClusterConfig:
    path = quorum.conf_path(conf)
    try:
        root = conf_tree.parse(Path(path).read_text())
    except FileNotFoundError:
        raise ReportError([reports.error("COROSYNC_CONF_NOT_FOUND", path=path)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE", path=path,
                                         detail=str(exc))]) from None
    totem = root.section("totem")
    q = root.section("quorum")
    return ClusterConfig(
        path=path,
        cluster_name=(totem.get("cluster_name") if totem else None) or "",
        transport=(totem.get("transport") if totem else None) or "knet",
        nodes=tuple(NodeEntry(n.name, n.nodeid, n.addrs) for n in membership.nodes_of(root)),
        totem=tuple((k, v) for k, v in (totem.options() if totem else ())
                    if k not in ("cluster_name", "transport", "version")),
        links=tuple(i.options() for i in (totem.sections("interface") if totem else ())),
        quorum=q.options() if q else (),
        device=quorum_device.read_device(root))


@dataclass(frozen=True)
class EndpointState:
    node: str
    state: str  # online | offline | unauthorized (the token refused) | not-authenticated (none here)
    detail: str = ""


def endpoint_states(names: Sequence[str], store: remote.KnownHosts | None = None
                    ) -> tuple[EndpointState, ...]:
    """Each node's endpoint asked with this machine's token (GET /api/v1/status), at once."""
    hosts = (store or remote.KnownHosts()).read()

    def ask(name: str) -> EndpointState:
        host = hosts.get(name)
        if host is None:
            return EndpointState(name, "not-authenticated")
        try:
            remote.get_json(host, "/api/v1/status", timeout=10)
        except ReportError as exc:
            codes = {r.code for r in exc.reports}
            first = exc.reports[0].field("detail") if exc.reports else ""
            if codes & {"REMOTE_UNREACHABLE", "REMOTE_CERTIFICATE_CHANGED", "REMOTE_BAD_REPLY"}:
                return EndpointState(name, "offline", first or next(iter(codes)))
            if codes & {"REMOTE_TOKEN_REJECTED", "REMOTE_AUTH_FAILED"}:
                return EndpointState(name, "unauthorized")
            # the endpoint answered (it runs) but has no cluster status to give
            return EndpointState(name, "online", ", ".join(sorted(codes)))
        return EndpointState(name, "online")

    if not names:
        return ()
    with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        return tuple(pool.map(ask, names))
