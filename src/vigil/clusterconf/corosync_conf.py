"""corosync.conf for a Corosync 3 cluster on knet, rendered from a frozen description. Pure: no I/O.

What is rendered, and why:
- totem: version 2, the cluster name, transport knet, crypto aes256 + sha256 with the authkey
  (invariant 5 of ARCHITECTURE.md: cluster traffic is authenticated and encrypted); `token` and
  `token_coefficient` only when given (Corosync's defaults otherwise: 3000 ms + 650 ms per node
  above two);
- nodelist: one `node` per member with nodeid, name and one `ringK_addr` per knet link (at most two
  links, the same number on every node);
- quorum: votequorum, with `two_node: 1` when there are exactly two nodes (which also turns on
  wait_for_all), unless a quorum device (`quorum_device`, corosync-qdevice) breaks ties instead:
  then its `device` section, and no `two_node` (votequorum refuses both);
- logging: to a file only (no syslog, no stderr), high-resolution timestamps;
- knet's link heartbeat (`knet_ping_interval`, `knet_ping_timeout`, one `interface` section per
  link) only when given (`knet_ping`); Corosync derives both from the token otherwise.

Bad input raises `ReportError` with every problem found, each a report with a code and fields.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.clusterconf import conf_tree
from vigil.clusterconf.quorum_device import QuorumDevice, device_section, validate_device
from vigil.model import reports

KEYFILE = "/etc/corosync/authkey"
DEFAULT_LOGFILE = "/var/log/corosync/corosync.log"
MAX_LINKS = 2

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,252}$")


@dataclass(frozen=True)
class ClusterNode:
    nodeid: int
    name: str
    addrs: tuple[str, ...]  # addrs[k] is the node's address on knet link k (ringK_addr)


@dataclass(frozen=True)
class ClusterConf:
    cluster_name: str
    nodes: tuple[ClusterNode, ...]
    token_ms: int | None = None  # None: Corosync's default
    token_coefficient_ms: int | None = None  # None: Corosync's default (650)
    keyfile: str = KEYFILE
    logfile: str = DEFAULT_LOGFILE
    quorum_device: QuorumDevice | None = None  # None: no corosync-qdevice
    # (knet_ping_interval, knet_ping_timeout) in ms for every link; None: Corosync derives them
    # from the token (token / 4 and token / 2). Corosync wants both or neither.
    knet_ping: tuple[int, int] | None = None


def _valid_addr(addr: str) -> bool:
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        return bool(_HOST_RE.match(addr)) and not addr.replace(".", "").isdigit()
    return True


def node_problems(name: str, addrs: Sequence[str]) -> tuple[reports.Report, ...]:
    """What is wrong with one node's name and addresses, on their own."""
    out = []
    if not _NAME_RE.match(name):
        out.append(reports.error("COROSYNC_NODE_NAME_INVALID", node=name))
    if not 1 <= len(addrs) <= MAX_LINKS:
        out.append(reports.error("COROSYNC_LINK_COUNT_INVALID", node=name, links=len(addrs),
                                 max=MAX_LINKS))
    out += [reports.error("COROSYNC_ADDRESS_INVALID", node=name, address=a)
            for a in addrs if not _valid_addr(a)]
    return tuple(out)


def validate(conf: ClusterConf) -> tuple[reports.Report, ...]:
    """Every problem of `conf` as an error report; empty when it can be rendered."""
    out: list[reports.Report] = []
    if not _NAME_RE.match(conf.cluster_name):
        out.append(reports.error("COROSYNC_CLUSTER_NAME_INVALID", name=conf.cluster_name))
    if not conf.nodes:
        out.append(reports.error("COROSYNC_NO_NODES"))
    names: set[str] = set()
    ids: set[int] = set()
    addrs: set[str] = set()
    for node in conf.nodes:
        if not _NAME_RE.match(node.name):
            out.append(reports.error("COROSYNC_NODE_NAME_INVALID", node=node.name))
        elif node.name in names:
            out.append(reports.error("COROSYNC_NODE_NAME_DUPLICATE", node=node.name))
        names.add(node.name)
        if not 1 <= node.nodeid <= 2**31 - 1:
            out.append(reports.error("COROSYNC_NODEID_INVALID", node=node.name, nodeid=node.nodeid))
        elif node.nodeid in ids:
            out.append(reports.error("COROSYNC_NODEID_DUPLICATE", node=node.name, nodeid=node.nodeid))
        ids.add(node.nodeid)
        if not 1 <= len(node.addrs) <= MAX_LINKS:
            out.append(reports.error("COROSYNC_LINK_COUNT_INVALID", node=node.name, links=len(node.addrs),
                                     max=MAX_LINKS))
        for addr in node.addrs:
            if not _valid_addr(addr):
                out.append(reports.error("COROSYNC_ADDRESS_INVALID", node=node.name, address=addr))
            elif addr in addrs:
                out.append(reports.error("COROSYNC_ADDRESS_DUPLICATE", node=node.name, address=addr))
            addrs.add(addr)
    if len({len(n.addrs) for n in conf.nodes}) > 1:
        out.append(reports.error("COROSYNC_LINK_COUNT_MISMATCH",
                                 counts=",".join(f"{n.name}={len(n.addrs)}" for n in conf.nodes)))
    if conf.token_ms is not None and not 10 <= conf.token_ms <= 600_000:
        out.append(reports.error("COROSYNC_TOKEN_INVALID", token_ms=conf.token_ms))
    if conf.token_coefficient_ms is not None and not 0 <= conf.token_coefficient_ms <= 600_000:
        out.append(reports.error("COROSYNC_TOKEN_COEFFICIENT_INVALID",
                                 token_coefficient_ms=conf.token_coefficient_ms))
    if conf.knet_ping is not None:
        interval, timeout = conf.knet_ping
        if not (1 <= interval <= 600_000 and 1 <= timeout <= 600_000 and interval < timeout):
            out.append(reports.error("COROSYNC_KNET_PING_INVALID", interval_ms=interval, timeout_ms=timeout))
    for key, path in (("keyfile", conf.keyfile), ("logfile", conf.logfile)):
        if not path.startswith("/") or any(c.isspace() for c in path) or "{" in path or "}" in path:
            out.append(reports.error("COROSYNC_PATH_INVALID", option=key, path=path))
    if conf.quorum_device is not None:
        out.extend(validate_device(conf.quorum_device))
    return tuple(out)


def cluster_name_of(text: str) -> str | None:
    """totem.cluster_name of a corosync.conf's text, None when it has none; ReportError when the
    text does not parse."""
    totem = conf_tree.parse(text).section("totem")
    name = totem.get("cluster_name") if totem is not None else None
    return name or None


def _section(name: str, body: Sequence[str], depth: int = 0) -> list[str]:
    pad = "\t" * depth
    return [f"{pad}{name} {{", *body, f"{pad}}}"]


def _opts(pairs: Sequence[tuple[str, object]], depth: int) -> list[str]:
    pad = "\t" * depth
    return [f"{pad}{key}: {value}" for key, value in pairs]


def render_corosync_conf(conf: ClusterConf) -> str:
    """The text of corosync.conf for `conf`; raises ReportError when `validate` finds errors."""
    problems = validate(conf)
    if problems:
        raise reports.ReportError(problems)
    totem: list[tuple[str, object]] = [
        ("version", 2),
        ("cluster_name", conf.cluster_name),
        ("transport", "knet"),
        ("crypto_cipher", "aes256"),
        ("crypto_hash", "sha256"),
        ("keyfile", conf.keyfile),
    ]
    if conf.token_ms is not None:
        totem.append(("token", conf.token_ms))
    if conf.token_coefficient_ms is not None:
        totem.append(("token_coefficient", conf.token_coefficient_ms))
    interfaces: list[str] = []
    if conf.knet_ping is not None:
        links = max((len(n.addrs) for n in conf.nodes), default=1)
        for k in range(links):
            interfaces += _section("interface", _opts([("linknumber", k),
                                                       ("knet_ping_interval", conf.knet_ping[0]),
                                                       ("knet_ping_timeout", conf.knet_ping[1])], 2), 1)
    nodes: list[str] = []
    for node in sorted(conf.nodes, key=lambda n: n.nodeid):
        pairs: list[tuple[str, object]] = [("nodeid", node.nodeid), ("name", node.name)]
        pairs += [(f"ring{k}_addr", addr) for k, addr in enumerate(node.addrs)]
        nodes += _section("node", _opts(pairs, 2), 1)
    quorum: list[tuple[str, object]] = [("provider", "corosync_votequorum")]
    if len(conf.nodes) == 2 and conf.quorum_device is None:
        quorum.append(("two_node", 1))
    logging: list[tuple[str, object]] = [
        ("to_logfile", "yes"),
        ("logfile", conf.logfile),
        ("to_stderr", "no"),
        ("to_syslog", "no"),
        ("timestamp", "hires"),
    ]
    lines = ["# corosync.conf written by vigil: edits are overwritten by the next `vigil cluster setup`", ""]
    lines += _section("totem", _opts(totem, 1) + interfaces) + [""]
    lines += _section("nodelist", nodes) + [""]
    device = ([] if conf.quorum_device is None
              else conf_tree.entry_lines([device_section(conf.quorum_device)], 1))
    lines += _section("quorum", _opts(quorum, 1) + device) + [""]
    lines += _section("logging", _opts(logging, 1))
    return "\n".join(lines) + "\n"
