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
from typing import Protocol

from vigil.cib.io import (
    FindingKey,
    empty_cib,
    finding,
    load_cib_file,
    read_cib_file,
    save_cib_file,
)
from vigil.daemon import control as c
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError
from vigil.model.status import TicketChange
from vigil.model.version import CibVersion

FENCE_TIMEOUT = 120  # seconds vigild may take to fence a node (devices, delays, retries)


class ControlCaller(Protocol):
    """What sends a control request and returns its reply: the local socket's client
    (vigil.daemon.ipc.ControlClient) or another node's endpoint (commands.remote)."""

    timeout: float

    def call(self, request: c.RequestOf[c.B]) -> c.Answer[c.B] | c.Refused: ...


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
    """A CIB in a file, edited in place with an atomic rename (Pacemaker's CIB_file / pcs -f).

    A file that does not exist is an empty CIB (`io.empty_cib`, as pcs starts one), which the
    first change writes; reading it creates nothing, so a mistyped name leaves no file behind.
    With `force`, a CIB with errors (Pacemaker's schema, validation) is read all the same, its
    errors kept in `forced`, and a push may leave those errors in (but add none), so that a
    broken file can be shown and repaired."""

    def __init__(self, path: str, clock: float | None = None, *, force: bool = False) -> None:
        self.path = path
        self._clock = clock
        self._force = force
        self._warnings: tuple[Report, ...] = ()
        self._tolerated: frozenset[FindingKey] = frozenset()
        self.forced: tuple[Report, ...] = ()  # the errors of the last read `force` let through

    def get_cib(self) -> Cib:
        if not os.path.exists(self.path):  # a link to no file too: the first write makes it
            self._warnings = (reports.info("CIB_FILE_NEW", path=self.path),)
            self.forced = ()
            return empty_cib()
        loaded = read_cib_file(self.path, force=self._force)
        self._warnings, self.forced = loaded.forced + loaded.warnings, loaded.forced
        self._tolerated = frozenset(finding(r) for r in loaded.forced)
        return loaded.cib

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        new = bump(cib)
        if os.path.exists(self.path):
            current, _ = load_cib_file(self.path, force=self._force)
            if current.version != read_version:
                raise ReportError([reports.error(
                    "CIB_CHANGED_UNDERNEATH", path=self.path,
                    read=read_version.dotted(), now=current.version.dotted())])
            if current.configuration == cib.configuration:
                v = cib.version
                new = dataclasses.replace(cib, version=CibVersion(v.admin_epoch, v.epoch,
                                                                  v.num_updates + 1))
        self._warnings = save_cib_file(self.path, new, tolerated=self._tolerated)
        return new

    def now(self) -> int:
        return int(self._clock if self._clock is not None else time.time())

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self._warnings


class LiveEnvironment:
    """The running cluster, through this node's vigild control socket.

    Requests and replies are vigil.daemon.control's typed messages; the daemon's reports arrive
    whole. Its warnings on a successful request are kept in `warnings` (with those of the last
    read), its errors raised as they are."""

    def __init__(self, socket_path: str | None = None, timeout: float = 60.0, *,
                 corosync_conf: str | None = None) -> None:
        from vigil.daemon.ipc import DEFAULT_SOCKET, ControlClient

        self.socket_path = socket_path or os.environ.get("VIGIL_SOCKET", DEFAULT_SOCKET)
        self.client: ControlCaller = ControlClient(self.socket_path, timeout)
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

    def _exchange(self, request: c.RequestOf[c.B], client: ControlCaller | None = None
                  ) -> c.Answer[c.B] | c.Refused:
        """The daemon's reply, whether or not it says ok. Raises DAEMON_* when there is none."""
        try:
            return (client or self.client).call(request)
        except (FileNotFoundError, ConnectionRefusedError):
            raise ReportError([reports.error("DAEMON_NOT_RUNNING", socket=self.socket_path)]
                              ) from None
        except PermissionError:
            raise ReportError([reports.error("DAEMON_ACCESS_DENIED", socket=self.socket_path)]
                              ) from None
        except c.BadMessage as exc:
            raise ReportError([reports.error("DAEMON_ERROR", detail=f"unreadable reply: {exc}")]
                              ) from None
        except (TimeoutError, OSError, ValueError) as exc:
            raise ReportError([reports.error("DAEMON_UNREACHABLE", socket=self.socket_path,
                                             detail=str(exc))]) from None

    def _ask(self, request: c.RequestOf[c.B], client: ControlCaller | None = None) -> c.B:
        """What the daemon answered; its refusal raised as its reports (NOT_SUPPORTED_YET from
        a daemon that does not know the request)."""
        reply = self._exchange(request, client)
        if isinstance(reply, c.Refused):
            if any(r.code == c.IPC_UNKNOWN_OP for r in reply.reports):
                raise ReportError([reports.error("NOT_SUPPORTED_YET", command=request.OP)])
            raise ReportError(reply.reports)
        self._warnings += c.warnings_of(reply.reports)
        return reply.body

    def get_cib(self) -> Cib:
        from vigil.cib.read import parse_cib

        cib, self._warnings = parse_cib(self._ask(c.GetCib()).xml)
        return cib

    def status(self) -> c.DaemonStatus:
        return self._ask(c.GetStatus())

    def quorum(self) -> c.QuorumState:
        return self._ask(c.GetQuorum())

    def push_cib(self, cib: Cib, *, read_version: CibVersion) -> Cib:
        from vigil.cib.write import write_cib

        # The configuration only: the status is the cluster's (see control.ReplaceConfig).
        config = write_cib(dataclasses.replace(cib, status=(), tickets=()))
        done = self._ask(c.ReplaceConfig(config, read_version))
        return dataclasses.replace(cib, version=done.version)

    def cleanup(self, resource: str, node: str | None) -> None:
        self._ask(c.Cleanup(resource, node))

    def set_ticket(self, ticket: str, change: TicketChange) -> Cib:
        """Change this site's state of `ticket` on every replica; the CIB after it."""
        self._ask(c.SetTicket(ticket, change.value))
        return self.get_cib()

    def forget_node(self, node: str) -> None:
        """Drop `node` (no member) from the CIB and the cluster's memory."""
        self._ask(c.ForgetNode(node))

    def set_attribute(self, node_id: str, uname: str, name: str, value: str | None) -> None:
        self._ask(c.SetAttribute(node_id, uname, name, value))

    def fence(self, node: str, action: str) -> c.FenceOutcome:
        """Fence `node` ("reboot" or "off") and wait for the fencer's outcome (ok or not)."""
        try:
            kind = c.FenceAction(action)
        except ValueError:
            raise ReportError([reports.error("FENCE_BAD_ACTION", action=action)]) from None
        client = self.client_with_timeout(max(self.client.timeout, FENCE_TIMEOUT + 30))
        return self._ask(c.Fence(node, kind, FENCE_TIMEOUT), client)

    def client_with_timeout(self, timeout: float) -> ControlCaller:
        """A client to the same daemon that waits `timeout` seconds for a reply."""
        from vigil.daemon.ipc import ControlClient

        return ControlClient(self.socket_path, timeout)

    def confirm(self, node: str) -> None:
        """Tell the cluster `node` is down (it was fenced by hand)."""
        self._ask(c.ConfirmFenced(node))

    def fence_history(self) -> tuple[c.FenceOutcome, ...]:
        """Every fencing operation the cluster remembers."""
        return self._ask(c.GetFenceHistory()).entries

    def now(self) -> int:
        return int(time.time())

    @property
    def warnings(self) -> tuple[Report, ...]:
        return self._warnings

