"""What one node's remote endpoint does to its own node for a whole-cluster command given on
another machine (`vigil cluster setup` of authenticated nodes, `cluster start|stop|enable|
disable|destroy --all` or NODE...): the request as data, and running it with the same functions
the CLI runs on the node itself (vigil.commands.cluster), so a command means the same wherever
it is typed.

    NodeRequest  -- encode() -->  POST /api/v1/node/<op>  -- decode() --> run(LocalNode(), req)
    NodeAnswer   <-- decode() --  {"ok", "node", "result", "reports"}  <-- encode() --

A result travels as plain JSON values (status_document.plain) and is revived into its own
frozen dataclass on the caller's side (`revive`), so the CLI renders a node's StartResult the
same whether the node was this machine or another.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, Union

from vigil.clusterconf import NodeFile
from vigil.commands import backup, cluster, qdevice_net, report
from vigil.commands.localnode import LocalNode
from vigil.commands.status_document import plain
from vigil.daemon import control as c
from vigil.model import reports
from vigil.model.reports import Report, ReportError

T = TypeVar("T")


class NodeOp(enum.StrEnum):
    SETUP_CHECK = "setup-check"  # may this node take a new cluster's files?
    RECEIVE = "receive"  # write them
    START = "start"
    STOP = "stop"
    ENABLE = "enable"
    DISABLE = "disable"
    DESTROY = "destroy"
    UPDATE_CONF = "update-conf"  # a new corosync.conf and cluster.json (node add, remove)
    RELOAD = "reload"  # corosync-cfgtool -R
    # the quorum device (vigil.commands.qdevice_net): asked of the qnetd host ...
    QNETD_CA = "qnetd-ca"  # its CA certificate
    QNETD_SIGN = "qnetd-sign"  # a cluster's certificate signed from a node's request
    # ... and of every node
    QDEVICE_TAKE = "qdevice-take"  # its database: qnetd's CA, the cluster's certificate and key
    QDEVICE_START = "qdevice-start"  # corosync-qdevice enabled and started
    QDEVICE_STOP = "qdevice-stop"  # stopped and disabled
    QDEVICE_FORGET = "qdevice-forget"  # its database removed
    # `config restore`: may this node take a backup (its cluster stopped)? then take it
    RESTORE_CHECK = "restore-check"
    RESTORE = "restore"
    REPORT = "report"  # `cluster report`: this node's logs, configuration and views


RESULT_TYPES: dict[NodeOp, type] = {
    NodeOp.SETUP_CHECK: cluster.SetupCheck, NodeOp.RECEIVE: cluster.Received,
    NodeOp.START: cluster.StartResult, NodeOp.STOP: cluster.StopResult,
    NodeOp.ENABLE: cluster.BootResult, NodeOp.DISABLE: cluster.BootResult,
    NodeOp.DESTROY: cluster.DestroyResult, NodeOp.UPDATE_CONF: cluster.Received,
    NodeOp.RELOAD: cluster.Reloaded,
    NodeOp.QNETD_CA: qdevice_net.Certificate, NodeOp.QNETD_SIGN: qdevice_net.Certificate,
    NodeOp.QDEVICE_TAKE: qdevice_net.CertificatesDone,
    NodeOp.QDEVICE_START: qdevice_net.ServiceChange,
    NodeOp.QDEVICE_STOP: qdevice_net.ServiceChange,
    NodeOp.QDEVICE_FORGET: qdevice_net.CertificatesDone,
    NodeOp.RESTORE_CHECK: backup.Restored, NodeOp.RESTORE: backup.Restored,
    NodeOp.REPORT: report.NodePart,
}
# how many certificates each operation takes (qnetd-sign: the request; qdevice-take: qnetd's CA
# and the cluster's PKCS#12 bundle)
CERTIFICATES = {NodeOp.QNETD_SIGN: 1, NodeOp.QDEVICE_TAKE: 2}
DAEMONS = ("vigild", "corosync")


@dataclass(frozen=True)
class NodeRequest:
    op: NodeOp
    force: bool = False
    wait_s: float | None = None  # start: wait until online; stop: the drain's bound
    whole_cluster: bool = False  # stop: every node is being stopped
    daemons: tuple[str, ...] = DAEMONS  # stop: which, in this order
    files: tuple[NodeFile, ...] = ()  # receive, update-conf
    cluster_name: str = ""  # qnetd-sign
    certificates: tuple[qdevice_net.Certificate, ...] = ()  # qnetd-sign, qdevice-take
    since: float | None = None  # report: the events from then (epoch seconds) ...
    until: float | None = None  # ... to then

    def encode(self) -> dict[str, object]:
        return {"force": self.force, "wait_s": self.wait_s, "whole_cluster": self.whole_cluster,
                "daemons": list(self.daemons), "cluster_name": self.cluster_name,
                "certificates": [c.b64 for c in self.certificates],
                "since": self.since, "until": self.until,
                "files": [{"path": f.path, "mode": f.mode,
                           "data": base64.b64encode(f.data).decode()} for f in self.files]}

    @classmethod
    def decode(cls, op: str, obj: Mapping[str, object]) -> NodeRequest:
        """The request in a JSON object; ValueError saying what is wrong."""
        try:
            kind = NodeOp(op)
        except ValueError:
            raise ValueError(f"unknown node operation '{op}' "
                             f"(known: {', '.join(o.value for o in NodeOp)})") from None
        force, whole = obj.get("force", False), obj.get("whole_cluster", False)
        wait = obj.get("wait_s")
        daemons = obj.get("daemons", list(DAEMONS))
        files = obj.get("files", [])
        if not isinstance(force, bool) or not isinstance(whole, bool):
            raise ValueError("force and whole_cluster are booleans")
        if wait is not None and (isinstance(wait, bool) or not isinstance(wait, int | float)
                                 or not 0 < wait < 1e6):
            raise ValueError("wait_s is a number of seconds")
        if not isinstance(daemons, list) or not set(daemons) <= set(DAEMONS) \
                or not all(isinstance(d, str) for d in daemons):
            raise ValueError(f"daemons are some of {', '.join(DAEMONS)}")
        if not isinstance(files, list):
            raise ValueError("files is a list")
        name, certs = obj.get("cluster_name", ""), obj.get("certificates", [])
        if not isinstance(name, str):
            raise ValueError("cluster_name is a string")
        if not isinstance(certs, list) or not all(isinstance(c, str) for c in certs) \
                or len(certs) != CERTIFICATES.get(kind, 0):
            raise ValueError(f"{kind.value} takes {CERTIFICATES.get(kind, 0)} certificates "
                             "(base64 strings)")
        certificates = tuple(qdevice_net.Certificate(c) for c in certs)
        since, until = (_epoch(obj.get("since")), _epoch(obj.get("until")))
        for cert in certificates:
            try:
                cert.data  # noqa: B018 (decoded to check it)
            except ValueError:
                raise ValueError("certificates are base64 strings") from None
        decoded = []
        for f in files:
            if not (isinstance(f, dict) and isinstance(f.get("path"), str)
                    and isinstance(f.get("mode"), int) and isinstance(f.get("data"), str)):
                raise ValueError("each file has a path, a mode and its data (base64)")
            decoded.append(NodeFile(f["path"], base64.b64decode(f["data"], validate=True),
                                    f["mode"]))
        return cls(kind, force, None if wait is None else float(wait), whole, tuple(daemons),
                   tuple(decoded), name, certificates,
                   since, until)


def _epoch(value: object) -> float | None:
    """A report window's end: epoch seconds, or None; ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("since and until are epoch seconds")
    return float(value)


def run(host: LocalNode, request: NodeRequest) -> object:
    """Run `request` on this node; its result (ReportError as the node's refusal)."""
    op = request.op
    if op is NodeOp.SETUP_CHECK:
        return cluster.setup_check(host, request.force)
    if op is NodeOp.RECEIVE:
        return cluster.receive(host, request.files, force=request.force)
    if op is NodeOp.START:
        return cluster.start(host, wait=request.wait_s)
    if op is NodeOp.STOP:
        return cluster.stop(host, timeout=request.wait_s or cluster.DRAIN_TIMEOUT_S,
                            force=request.force, whole_cluster=request.whole_cluster,
                            daemons=request.daemons)
    if op in (NodeOp.ENABLE, NodeOp.DISABLE):
        return cluster.boot(host, enabled=op is NodeOp.ENABLE)
    if op is NodeOp.UPDATE_CONF:
        return cluster.update_conf(host, request.files)
    if op is NodeOp.RELOAD:
        return cluster.reload_conf(host)
    if op is NodeOp.DESTROY:
        return cluster.destroy(host, force=request.force)
    if op in (NodeOp.RESTORE_CHECK, NodeOp.RESTORE):
        return _restore(host, request)
    if op is NodeOp.REPORT:
        return report.gather(host, request.since, request.until)
    return _quorum_device(host, request)


def _restore(host: LocalNode, request: NodeRequest) -> backup.Restored:
    """The backup travels as its files, its CIB as the member backup.CIB_MEMBER."""
    cib = next((f.data for f in request.files if f.path == backup.CIB_MEMBER), None)
    files = tuple(f for f in request.files if f.path != backup.CIB_MEMBER)
    checked = backup.read(backup.tarball(backup.Backup("", "", files, cib)), "the request")
    if request.op is NodeOp.RESTORE_CHECK:
        running = cluster.running_daemons(host)
        if running:
            raise ReportError([reports.error("RESTORE_CLUSTER_RUNNING", node=host.hostname(),
                                             daemons=", ".join(running))])
        return backup.Restored(host.hostname(), (), False)
    return backup.restore_local(host, checked)


def _quorum_device(host: LocalNode, request: NodeRequest) -> object:
    op, certs = request.op, request.certificates
    if op is NodeOp.QNETD_CA:
        return qdevice_net.qnetd_ca(host)
    if op is NodeOp.QNETD_SIGN:
        return qdevice_net.qnetd_sign(host, certs[0], request.cluster_name)
    if op is NodeOp.QDEVICE_TAKE:
        return qdevice_net.node_take(host, certs[0], certs[1])
    if op is NodeOp.QDEVICE_START:
        return qdevice_net.start(host, qdevice_net.QDEVICE, enable=True)
    if op is NodeOp.QDEVICE_STOP:
        return qdevice_net.stop(host, qdevice_net.QDEVICE, disable=True)
    assert op is NodeOp.QDEVICE_FORGET
    return qdevice_net.node_forget(host)


@dataclass(frozen=True)
class NodeAnswer:
    node: str
    result: object | None  # the op's result dataclass; None when the node refused
    reports: tuple[Report, ...]

    def encode(self) -> dict[str, object]:
        return {"ok": self.result is not None, "node": self.node,
                "result": plain(self.result) if self.result is not None else None,
                "reports": [c.encode_report(r) for r in self.reports]}

    @classmethod
    def decode(cls, op: NodeOp, obj: Mapping[str, object]) -> NodeAnswer:
        sent = obj.get("reports", [])
        found = tuple(c.decode_report(r) for r in sent if isinstance(r, dict)) \
            if isinstance(sent, list) else ()
        node = obj.get("node")
        result = obj.get("result") if obj.get("ok") is True else None
        revived = revive(RESULT_TYPES[op], result) if result is not None else None
        return cls(node if isinstance(node, str) else "?", revived, found)


def answer(host: LocalNode, request: NodeRequest) -> NodeAnswer:
    try:
        result = run(host, request)
    except ReportError as exc:
        return NodeAnswer(host.hostname(), None, tuple(exc.reports))
    found = getattr(result, "reports", ())
    return NodeAnswer(host.hostname(), result, tuple(found))


def revive(kind: type[T], data: object) -> T:
    """A frozen dataclass of `kind` from the plain values `plain` made of one (fields of str,
    int, float, bool, None, tuples of those or of reports, nested dataclasses); ValueError when
    `data` does not fit."""
    return typing.cast(T, _revive(kind, data))


def _revive(hint: Any, data: object) -> object:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if data is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _revive(option, data)
            except ValueError:
                continue
        raise ValueError(f"{data!r} fits none of {hint}")
    if origin is tuple:
        if not isinstance(data, list):
            raise ValueError(f"{data!r} is not a list")
        item = typing.get_args(hint)[0]
        return tuple(_revive(item, d) for d in data)
    if hint is Report:
        if not isinstance(data, dict):
            raise ValueError("a report is an object")
        return c.decode_report(data)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(data, dict):
            raise ValueError(f"{hint.__name__} is an object")
        hints = typing.get_type_hints(hint)
        return hint(**{f.name: _revive(hints[f.name], data.get(f.name))
                       for f in dataclasses.fields(hint)})
    if hint is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if hint in (str, int, bool) and type(data) is hint:
        return data
    raise ValueError(f"{data!r} is not a {hint}")


# -- as a process of its own --------------------------------------------------------------------
# The endpoint runs each node operation as `python3 -m vigil.commands.node_ops OP` (the request
# on stdin, the answer on stdout), as pcsd runs pcs: what `cluster start` starts (Corosync,
# vigild) is then the child of a process that exits, so it is reparented to the node's init
# and supervised there, never left the endpoint's child; and a long drain never holds the
# endpoint's own process.
def main(argv: list[str]) -> int:
    import json
    import sys

    if len(argv) != 2:
        sys.stderr.write("usage: python3 -m vigil.commands.node_ops OP < request.json\n")
        return 2
    try:
        obj = json.loads(sys.stdin.read())
        if not isinstance(obj, dict):
            raise ValueError("the request is not a JSON object")
        request = NodeRequest.decode(argv[1], obj)
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(json.dumps(answer(LocalNode(), request).encode()) + "\n")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
