"""Where a library command finds the CIB: a file (offline, `-f FILE`) or the live cluster.

Commands read one snapshot, compute a whole new CIB, and push it back in one step. The push is
conditional on the version they read (compare-and-swap), so two concurrent edits never silently
overwrite each other, and a command either applies fully or not at all.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vigil.cib.io import load_cib_file, save_cib_file
from vigil.model import reports
from vigil.model.cib import Cib, CibVersion
from vigil.model.reports import Report, ReportError

if TYPE_CHECKING:
    from vigil.commands.fencing import FenceEvent
    from vigil.daemon.ipc import ControlClient

FENCE_TIMEOUT = 120  # seconds vigild may take to fence a node (devices, delays, retries)


class CibEnvironment(Protocol):
    def get_cib(self) -> Cib:
        """The current CIB (configuration and status)."""
        ...

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        """Replace the configuration atomically if the CIB is still at `read_version`.

        Bumps epoch (and resets num_updates), or only num_updates when just the status changed
        (as Pacemaker counts); returns what was stored. Raises ReportError
        (CIB_CHANGED_UNDERNEATH) if someone else changed it meanwhile."""
        ...

    def now(self) -> int:
        """Seconds since the epoch, for rules, lifetimes and failure timeouts."""
        ...

    @property
    def warnings(self) -> tuple[Report, ...]:
        """Non-fatal findings of the last read (unknown elements kept as they were...)."""
        ...


def bump(cib: Cib) -> Cib:
    v = cib.version
    return dataclasses.replace(cib, version=CibVersion(v.admin_epoch, v.epoch + 1, 0))


class FileEnvironment:
    """A CIB in a file, edited in place with an atomic rename (Pacemaker's CIB_file / pcs -f)."""

    def __init__(self, path: str, clock: float | None = None) -> None:
        self.path = path
        self._clock = clock
        self._warnings: tuple[Report, ...] = ()

    def get_cib(self) -> Cib:
        cib, self._warnings = load_cib_file(self.path)
        return cib

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        new = bump(cib)
        if os.path.exists(self.path):
            current, _ = load_cib_file(self.path)
            if current.version != read_version:
                raise ReportError([reports.error(
                    "CIB_CHANGED_UNDERNEATH", path=self.path,
                    read=".".join(map(str, read_version.as_tuple())),
                    now=".".join(map(str, current.version.as_tuple())))])
            if current.configuration == cib.configuration:
                v = cib.version
                new = dataclasses.replace(cib, version=CibVersion(v.admin_epoch, v.epoch,
                                                                  v.num_updates + 1))
        save_cib_file(self.path, new)
        return new

    def now(self) -> int:
        return int(self._clock if self._clock is not None else time.time())

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self._warnings


class LiveEnvironment:
    """The running cluster, through this node's vigild control socket."""

    def __init__(self, socket_path: str | None = None, timeout: float = 60.0, *,
                 corosync_conf: str | None = None) -> None:
        from vigil.daemon.ipc import DEFAULT_SOCKET, ControlClient

        self.socket_path = socket_path or os.environ.get("VIGIL_SOCKET", DEFAULT_SOCKET)
        self.client = ControlClient(self.socket_path, timeout)
        self.corosync_conf = corosync_conf  # None: $VIGIL_COROSYNC_CONF or /etc/corosync/corosync.conf
        self._warnings: tuple[Report, ...] = ()

    def corosync_cluster_name(self) -> str | None:
        """totem.cluster_name of this node's corosync.conf, the name Corosync runs the cluster
        under; None when the file is missing or unreadable (the status then shows no name)."""
        from vigil.clusterconf import cluster_name_of
        from vigil.commands.quorum import conf_path

        try:
            return cluster_name_of(Path(conf_path(self.corosync_conf)).read_text())
        except (OSError, UnicodeDecodeError, ReportError):
            return None

    def _request(self, request: dict[str, object], client: ControlClient | None = None
                 ) -> dict[str, object]:
        """The daemon's reply, whether or not it says ok. Raises DAEMON_* when there is none."""
        try:
            return (client or self.client).call(**request)
        except (FileNotFoundError, ConnectionRefusedError):
            raise ReportError([reports.error("DAEMON_NOT_RUNNING", socket=self.socket_path)]
                              ) from None
        except PermissionError:
            raise ReportError([reports.error("DAEMON_ACCESS_DENIED", socket=self.socket_path)]
                              ) from None
        except (TimeoutError, OSError, ValueError) as exc:
            raise ReportError([reports.error("DAEMON_UNREACHABLE", socket=self.socket_path,
                                             detail=str(exc))]) from None

    def _refused(self, request: dict[str, object], reply: dict[str, object]) -> ReportError:
        """The error in a reply that is not ok: the daemon's own reports when it sent them,
        NOT_SUPPORTED_YET from a daemon that does not know the operation."""
        code = str(reply.get("code") or "DAEMON_ERROR")
        if code == "IPC_UNKNOWN_OP":
            return ReportError([reports.error("NOT_SUPPORTED_YET", command=request.get("op"))])
        found = []
        sent = reply.get("reports")
        for item in sent if isinstance(sent, list) else []:
            if isinstance(item, list) and len(item) == 3 and isinstance(item[2], list):
                fields = dict(pair for pair in item[2] if isinstance(pair, list) and len(pair) == 2)
                found.append(reports.error(str(item[0]), **{str(k): v for k, v in fields.items()}))
        return ReportError(found or [reports.error(code, detail=str(reply.get("detail") or ""))])

    def _call(self, **request: object) -> dict[str, object]:
        reply = self._request(request)
        if not reply.get("ok"):
            raise self._refused(request, reply)
        return reply

    def get_cib(self) -> Cib:
        from vigil.cib.read import parse_cib

        reply = self._call(op="cib")
        cib, self._warnings = parse_cib(str(reply["xml"]))
        return cib

    def status(self) -> dict[str, object]:
        return self._call(op="status")

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        from vigil.cib.write import write_cib

        reply = self._call(op="replace", xml=write_cib(cib),
                           read_version=list(read_version.as_tuple()))
        version = reply.get("version")
        if isinstance(version, list) and len(version) == 3:
            return dataclasses.replace(cib, version=CibVersion(*[int(x) for x in version]))
        return bump(cib)

    def cleanup(self, resource: str, node: str | None) -> None:
        self._call(op="cleanup", resource=resource, node=node)

    def set_attribute(self, node_id: str, uname: str, name: str, value: str | None) -> None:
        self._call(op="attribute", node_id=node_id, uname=uname, name=name, value=value)

    def fence(self, node: str, action: str) -> FenceEvent:
        """Fence `node` ("reboot" or "off") and wait for the fencer's outcome (ok or not)."""
        from vigil.commands.fencing import FenceEvent
        from vigil.daemon.ipc import ControlClient

        request: dict[str, object] = {"op": "fence", "node": node, "action": action,
                                      "timeout": FENCE_TIMEOUT}
        client = ControlClient(self.socket_path, max(self.client.timeout, FENCE_TIMEOUT + 30))
        reply = self._request(request, client)
        outcome = reply.get("outcome")
        if isinstance(outcome, dict):
            return FenceEvent.from_reply(outcome)
        if not reply.get("ok"):
            raise self._refused(request, reply)
        return FenceEvent(target=node, action=action, ok=True)

    def confirm(self, node: str) -> None:
        """Tell the cluster `node` is down (it was fenced by hand)."""
        self._call(op="confirm", node=node)

    def fence_history(self) -> tuple[FenceEvent, ...]:
        """Every fencing operation the cluster remembers."""
        from vigil.commands.fencing import FenceEvent

        entries = self._call(op="fence-history").get("history")
        if not isinstance(entries, list):
            return ()
        return tuple(FenceEvent.from_reply(e) for e in entries if isinstance(e, dict))

    def now(self) -> int:
        return int(time.time())

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self._warnings
