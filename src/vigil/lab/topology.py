"""The lab's names and addresses, derived from (lab name, node count). Pure: no I/O.

    namespace  vl-<lab>-sw       the switch: bridges vl-br0 (link 0) and vl-br1 (link 1)
    namespace  vl-<lab>-n<i>     node i: eth0 10.213.0.(10+i)/24, eth1 10.213.2.(10+i)/24
    namespace  vl-<lab>-client   the client: eth0 10.213.0.50/24 (link 0 only)

The switch ports (in vl-<lab>-sw) are vl-<host>-l<k>, the peers of the hosts' eth<k>. A partition
moves ports into extra bridges vl-p<g>-l<k> of the same switch namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NS_PREFIX = "vl-"
CLIENT = "client"
LINKS = 2
SUBNETS = ("10.213.0", "10.213.2")  # /24 of link 0 and of link 1
PREFIXLEN = 24
CLIENT_ADDR = "10.213.0.50"
MAX_NODES = 32  # 10.213.0.11 .. 10.213.0.42, below the client's .50
NAME_RE = re.compile(r"^[a-z0-9]{1,12}$")
DEFAULT_NAME = "lab"


@dataclass(frozen=True)
class Host:
    """A node or the client: its namespace, interfaces (eth<k>), switch ports and addresses."""

    name: str
    netns: str
    addrs: tuple[str, ...]  # addrs[k] on eth<k>, switch port ports[k]
    ports: tuple[str, ...]
    nodeid: int  # 0 for the client

    @property
    def is_client(self) -> bool:
        return self.nodeid == 0


@dataclass(frozen=True)
class Topology:
    lab: str
    switch_netns: str
    bridges: tuple[str, ...]  # bridges[k] carries link k
    nodes: tuple[Host, ...]
    client: Host

    def host(self, name: str) -> Host:
        for h in (*self.nodes, self.client):
            if h.name == name:
                return h
        raise KeyError(name)

    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    def name_of(self, nodeid: int) -> str:
        for n in self.nodes:
            if n.nodeid == nodeid:
                return n.name
        return f"#{nodeid}"


KNET_TICK_MS = 200  # libknet's heartbeat thread wakes every 200 ms (KNET_THREADS_TIMERES)
COROSYNC_TOKEN_MS = 3000  # Corosync's default token, plus token_coefficient per node above two
COROSYNC_TOKEN_COEFFICIENT_MS = 650


def knet_ping_ms(token_ms: int | None, nodes: int) -> tuple[int, int]:
    """(knet_ping_interval, knet_ping_timeout) for the lab's links, in ms.

    Corosync derives the timeout as token / 2 and the interval as token / 4 (knet_pong_count 2).
    knet sends a ping only on its 200 ms heartbeat ticks, so token / 4 = 250 ms (token 1000)
    means a ping every 400 ms against a 500 ms timeout: a single pong delayed by ~100-300 ms,
    which the lab's nodes sharing two busy CPUs can cause, takes a live link down, and a second
    membership may follow (bench/knet_margin.py measures it). The lab keeps Corosync's timeout
    (so a dead link is found as fast) and rounds the interval down to whole ticks, at least one:
    two or more pings per timeout, as Corosync intends."""
    token = token_ms if token_ms is not None else (
        COROSYNC_TOKEN_MS + COROSYNC_TOKEN_COEFFICIENT_MS * max(0, nodes - 2))
    timeout = max(token // 2, 2 * KNET_TICK_MS)
    interval = max(KNET_TICK_MS, (timeout // 2) // KNET_TICK_MS * KNET_TICK_MS)
    return interval, timeout


def check_lab_name(name: str) -> str | None:
    """None when `name` is a usable lab name, else why not."""
    if not NAME_RE.match(name):
        return f"lab name {name!r} must be 1 to 12 characters among a-z and 0-9"
    return None


def check_node_count(count: int) -> str | None:
    if not 1 <= count <= MAX_NODES:
        return f"the lab has 1 to {MAX_NODES} nodes, not {count}"
    return None


def node_name(i: int) -> str:
    return f"n{i}"


def port_name(host: str, link: int) -> str:
    return f"{NS_PREFIX}{host}-l{link}"


def bridge_name(link: int, group: int = 0) -> str:
    """The main bridge of a link (group 0) or the bridge of partition group `group` >= 1."""
    return f"{NS_PREFIX}br{link}" if group == 0 else f"{NS_PREFIX}p{group}-l{link}"


def build(lab: str, count: int) -> Topology:
    for problem in (check_lab_name(lab), check_node_count(count)):
        if problem:
            raise ValueError(problem)
    pre = f"{NS_PREFIX}{lab}-"
    nodes = tuple(
        Host(
            name=node_name(i),
            netns=pre + node_name(i),
            addrs=tuple(f"{net}.{10 + i}" for net in SUBNETS),
            ports=tuple(port_name(node_name(i), k) for k in range(LINKS)),
            nodeid=i,
        )
        for i in range(1, count + 1)
    )
    client = Host(name=CLIENT, netns=pre + CLIENT, addrs=(CLIENT_ADDR,), ports=(port_name(CLIENT, 0),),
                  nodeid=0)
    return Topology(lab=lab, switch_netns=pre + "sw", bridges=tuple(bridge_name(k) for k in range(LINKS)),
                    nodes=nodes, client=client)


def plan_partition(topo: Topology, groups: list[list[str]]) -> dict[str, int]:
    """Which bridge group every host's ports go to: {host: group}, group 0 being the main bridges.

    The first group stays on the main bridges, each further group gets bridges of its own. Hosts
    named nowhere stay on the main bridges; so does the client unless a group names it (then the
    group that names it is the one on the main bridges). Raises ValueError on unknown or repeated
    names, or on fewer than two groups.
    """
    if len(groups) < 2:
        raise ValueError("a partition needs at least two groups")
    known = {h.name for h in (*topo.nodes, topo.client)}
    seen: set[str] = set()
    for group in groups:
        if not group:
            raise ValueError("a partition group cannot be empty")
        for name in group:
            if name not in known:
                raise ValueError(f"unknown node {name!r}")
            if name in seen:
                raise ValueError(f"node {name!r} is in two groups")
            seen.add(name)
    main = next((i for i, g in enumerate(groups) if CLIENT in g), 0)
    order = [main] + [i for i in range(len(groups)) if i != main]
    plan = {name: 0 for name in known}
    for group_no, index in enumerate(order):
        for name in groups[index]:
            plan[name] = group_no
    return plan
