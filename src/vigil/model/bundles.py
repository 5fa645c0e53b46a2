"""Bundles: a container image run as `replicas` copies, each optionally with its own IP address
and a Pacemaker Remote connection into the container, so that one primitive can run inside.

Attributes are kept as written (strings) so that a write gives back the same document; the
properties give the values the scheduler uses, with the defaults "Pacemaker Explained" states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vigil.model.nvset import NvSet
from vigil.model.xmlextra import NO_EXTRA, Extra

if TYPE_CHECKING:
    from vigil.model.resources import Primitive

RUNTIMES = ("docker", "podman", "rkt")
DEFAULT_CONTROL_PORT = 3121  # Pacemaker Remote's port


def _int(text: str | None, default: int) -> int:
    if text is None:
        return default
    try:
        return int(text.strip())
    except ValueError:
        return default


@dataclass(frozen=True)
class PortMapping:
    """A port of the host forwarded into the container (`port`, or a `range` "A-B")."""

    id: str
    port: str | None = None
    internal_port: str | None = None
    range: str | None = None
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class StorageMapping:
    id: str
    target_dir: str
    source_dir: str | None = None
    source_dir_root: str | None = None  # a per-replica subdirectory of this is mapped
    options: str | None = None
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class BundleNetwork:
    ip_range_start: str | None = None  # one IPaddr2 per replica, from this address up
    host_interface: str | None = None
    host_netmask: str | None = None
    control_port: str | None = None
    add_host: str | None = None
    port_mappings: tuple[PortMapping, ...] = ()
    extra: Extra = NO_EXTRA


@dataclass(frozen=True)
class BundleContainer:
    """The <docker>, <podman> or <rkt> element: which runtime, which image, how many copies."""

    runtime: str  # docker, podman, rkt
    image: str
    replicas: str | None = None
    replicas_per_host: str | None = None
    promoted_max: str | None = None
    legacy_masters: str | None = None  # the deprecated "masters" spelling of promoted-max
    network: str | None = None  # the runtime's --net option
    run_command: str | None = None
    options: str | None = None
    extra: Extra = NO_EXTRA

    @property
    def promoted_max_value(self) -> int:
        if self.promoted_max is not None:
            return max(0, _int(self.promoted_max, 0))
        return max(0, _int(self.legacy_masters, 0))

    @property
    def replicas_value(self) -> int:
        # default: promoted-max if set, else 1
        return max(0, _int(self.replicas, max(1, self.promoted_max_value)))

    @property
    def replicas_per_host_value(self) -> int:
        return max(1, _int(self.replicas_per_host, 1))


@dataclass(frozen=True)
class Bundle:
    id: str
    container: BundleContainer
    network: BundleNetwork | None = None  # None: no <network> element
    storage: tuple[StorageMapping, ...] | None = None  # None: no <storage> element
    primitive: Primitive | None = None  # the resource run inside each replica, if any
    meta_attributes: tuple[NvSet, ...] = ()
    utilization: tuple[NvSet, ...] = ()
    extra: Extra = NO_EXTRA
