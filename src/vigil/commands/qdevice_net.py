"""The quorum device's model net on one machine: the TLS certificates and the daemons, as
Corosync's own tools make and run them.

Two sides, one module (they share the certificate chain and its tools):
- the qnetd host (`vigil qdevice setup|status|start|stop|enable|disable|destroy model net`, and
  the CA and signing that `vigil quorum device add` asks of its endpoint): its NSS database with
  the CA and server certificate (`corosync-qnetd-certutil -i`), the cluster certificates it signs
  (`-s`), and corosync-qnetd;
- a cluster node (what `vigil quorum device add|remove` asks of every node's endpoint): its NSS
  database with qnetd's CA and the cluster's certificate and key (`corosync-qdevice-net-certutil
  -i`, `-r`, `-M`, `-m`), and corosync-qdevice.

The certutil tools work on fixed paths (/etc/corosync/qnetd/nssdb, /etc/corosync/qdevice/net/
nssdb) and have no option to change them: what they are given and what they export passes
through a private temporary directory. The daemons are run by systemd where systemd is the
init (enabled and started as pcs does); elsewhere (a lab node, a container) started directly, in
a session of their own, their PID in the lock file the daemon writes itself.
"""

from __future__ import annotations

import base64
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil.commands.localnode import LocalNode, Program
from vigil.model import reports
from vigil.model.reports import Report, ReportError

QNETD_NSSDB = "/etc/corosync/qnetd/nssdb"
QNETD_CA = f"{QNETD_NSSDB}/qnetd-cacert.crt"
NODE_NSSDB = "/etc/corosync/qdevice/net/nssdb"
NODE_CRQ = f"{NODE_NSSDB}/qdevice-net-node.crq"
NODE_P12 = f"{NODE_NSSDB}/qdevice-net-node.p12"
NSS_DB_FILE = "cert9.db"  # what an initialised NSS database has
QNETD_CERTUTIL = "corosync-qnetd-certutil"
NODE_CERTUTIL = "corosync-qdevice-net-certutil"
CERTUTIL_TIMEOUT_S = 60.0
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0

# comm is cut to 15 characters by the kernel
QNETD = Program("corosync-qnetd", "corosync-qnetd.service",
                "/var/run/corosync-qnetd/corosync-qnetd.pid", comm="corosync-qnetd")
QDEVICE = Program("corosync-qdevice", "corosync-qdevice.service",
                  "/var/run/corosync-qdevice/corosync-qdevice.pid", comm="corosync-qdevic")
_PACKAGE = {QNETD_CERTUTIL: "corosync-qnetd", QNETD.name: "corosync-qnetd",
            NODE_CERTUTIL: "corosync-qdevice", QDEVICE.name: "corosync-qdevice"}
_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class Certificate:
    """A certificate (or a request, or a PKCS#12 bundle) as the tools wrote it, in base64 so
    that it travels in JSON between the endpoints unchanged."""

    b64: str

    @classmethod
    def of(cls, data: bytes) -> Certificate:
        return cls(base64.b64encode(data).decode())

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.b64, validate=True)


@dataclass(frozen=True)
class ServiceChange:
    """What a start or stop did: the daemon's name, whether it was running before, and the
    boot setting changed (systemd only)."""

    node: str
    service: str
    running: bool  # what it is now
    changed: bool  # started (or stopped) now; False: it was already so
    systemd: bool
    reports: tuple[Report, ...] = ()


@dataclass(frozen=True)
class CertificatesDone:
    node: str
    path: str  # the NSS database written (or removed)


def _tool(host: LocalNode, name: str) -> str:
    exe = host.which(name)
    if exe is None:
        raise ReportError([reports.error("QDEVICE_TOOL_MISSING", tool=name,
                                         package=_PACKAGE[name])])
    return exe


def _run(host: LocalNode, argv: Sequence[str]) -> None:
    rc, output = host.run(argv, timeout=CERTUTIL_TIMEOUT_S)
    if rc != 0:
        lines = [ln for ln in output.splitlines() if ln.strip()]
        raise ReportError([reports.error("QDEVICE_CERTUTIL_FAILED", command=" ".join(argv[:3]),
                                         detail=lines[-1] if lines else f"exit {rc}")])


def _check_cluster_name(name: str) -> None:
    if not _CLUSTER_NAME.fullmatch(name):
        raise ReportError([reports.error("QDEVICE_BAD_CLUSTER_NAME", name=name)])


def _read(host: LocalNode, absolute: str, missing_code: str) -> bytes:
    try:
        return host.path(absolute).read_bytes()
    except FileNotFoundError:
        raise ReportError([reports.error(missing_code, path=absolute)]) from None
    except OSError as exc:
        raise ReportError([reports.error("QDEVICE_FILE_UNREADABLE", path=absolute,
                                         detail=exc.strerror or str(exc))]) from None


def _given(tmp: str, name: str, cert: Certificate) -> str:
    path = Path(tmp) / name
    path.write_bytes(cert.data)
    return str(path)


# -- the qnetd host ----------------------------------------------------------------------------
def qnetd_is_set_up(host: LocalNode) -> bool:
    return host.path(f"{QNETD_NSSDB}/{NSS_DB_FILE}").exists()


def qnetd_setup(host: LocalNode) -> CertificatesDone:
    """qnetd's CA and server certificate (`corosync-qnetd-certutil -i`); refused where they
    exist (an existing CA has signed clusters' certificates: making a new one would cut every
    cluster it serves off: `destroy` first)."""
    exe = _tool(host, QNETD_CERTUTIL)
    if qnetd_is_set_up(host):
        raise ReportError([reports.error("QNETD_ALREADY_SET_UP", path=QNETD_NSSDB)])
    _run(host, [exe, "-i"])
    return CertificatesDone(host.hostname(), QNETD_NSSDB)


def qnetd_ca(host: LocalNode) -> Certificate:
    """qnetd's CA certificate, which every node's database trusts."""
    return Certificate.of(_read(host, QNETD_CA, "QNETD_NOT_SET_UP"))


def qnetd_sign(host: LocalNode, request: Certificate, cluster_name: str) -> Certificate:
    """The cluster's certificate, signed by qnetd's CA from a node's request."""
    _check_cluster_name(cluster_name)
    exe = _tool(host, QNETD_CERTUTIL)
    if not qnetd_is_set_up(host):
        raise ReportError([reports.error("QNETD_NOT_SET_UP", path=QNETD_NSSDB)])
    with tempfile.TemporaryDirectory(prefix="vigil-qnetd-") as tmp:
        _run(host, [exe, "-s", "-c", _given(tmp, "qdevice-net-node.crq", request),
                    "-n", cluster_name])
    return Certificate.of(_read(host, f"{QNETD_NSSDB}/cluster-{cluster_name}.crt",
                             "QDEVICE_CERTUTIL_NO_OUTPUT"))


def qnetd_destroy(host: LocalNode) -> CertificatesDone:
    """qnetd's database gone (its CA with it: every cluster it signed for must be set up again);
    refused while corosync-qnetd runs."""
    if host.running(QNETD) is not None:
        raise ReportError([reports.error("QNETD_RUNNING", action="destroy")])
    shutil.rmtree(host.path(QNETD_NSSDB), ignore_errors=True)
    return CertificatesDone(host.hostname(), QNETD_NSSDB)


# -- a cluster node ----------------------------------------------------------------------------
def _fresh_node_db(host: LocalNode, exe: str, tmp: str, ca: Certificate) -> None:
    """A new database trusting `ca` (any earlier one removed: certutil -i refuses to overwrite,
    and an earlier cluster certificate must not outlive a new device)."""
    shutil.rmtree(host.path(NODE_NSSDB), ignore_errors=True)
    _run(host, [exe, "-i", "-c", _given(tmp, "qnetd-cacert.crt", ca)])


def node_request(host: LocalNode, ca: Certificate, cluster_name: str) -> Certificate:
    """This node's database made afresh with qnetd's CA, and the cluster's certificate request
    generated in it (its key stays in the database until `node_import_signed` exports both)."""
    _check_cluster_name(cluster_name)
    exe = _tool(host, NODE_CERTUTIL)
    with tempfile.TemporaryDirectory(prefix="vigil-qdevice-") as tmp:
        _fresh_node_db(host, exe, tmp, ca)
        _run(host, [exe, "-r", "-n", cluster_name])
    return Certificate.of(_read(host, NODE_CRQ, "QDEVICE_CERTUTIL_NO_OUTPUT"))


def node_import_signed(host: LocalNode, signed: Certificate) -> Certificate:
    """The signed certificate imported beside its key; both exported (PKCS#12) for every
    other node."""
    exe = _tool(host, NODE_CERTUTIL)
    with tempfile.TemporaryDirectory(prefix="vigil-qdevice-") as tmp:
        _run(host, [exe, "-M", "-c", _given(tmp, "cluster.crt", signed)])
    return Certificate.of(_read(host, NODE_P12, "QDEVICE_CERTUTIL_NO_OUTPUT"))


def node_take(host: LocalNode, ca: Certificate, bundle: Certificate) -> CertificatesDone:
    """This node's database made afresh: qnetd's CA, the cluster's certificate and key."""
    exe = _tool(host, NODE_CERTUTIL)
    with tempfile.TemporaryDirectory(prefix="vigil-qdevice-") as tmp:
        _fresh_node_db(host, exe, tmp, ca)
        _run(host, [exe, "-m", "-c", _given(tmp, "qdevice-net-node.p12", bundle)])
    return CertificatesDone(host.hostname(), NODE_NSSDB)


def node_forget(host: LocalNode) -> CertificatesDone:
    """The node's database removed (the device is gone: its certificate with it)."""
    shutil.rmtree(host.path(NODE_NSSDB), ignore_errors=True)
    return CertificatesDone(host.hostname(), NODE_NSSDB)


# -- the daemons -------------------------------------------------------------------------------
def _systemctl(host: LocalNode, *words: str) -> None:
    rc, output = host.systemctl(*words)
    if rc != 0:
        raise ReportError([reports.error("CLUSTER_SERVICE_FAILED", action=" ".join(words),
                                         detail=output.splitlines()[-1] if output else
                                         f"exit {rc}")])


def _answers(host: LocalNode, program: Program) -> bool:
    tool = "corosync-qnetd-tool" if program is QNETD else "corosync-qdevice-tool"
    return host.run([tool, "-s"], timeout=5)[0] == 0


def start(host: LocalNode, program: Program, *, enable: bool = False,
          argv: Sequence[str] = ()) -> ServiceChange:
    """Start `program` (and enable it at boot, with systemd); without systemd it runs in the
    foreground mode (-f) in a session of its own, which the machine's init inherits."""
    exe = _tool(host, program.name)
    if host.has_systemd:
        was = host.running(program) is not None
        if enable:
            _systemctl(host, "enable", program.unit)
        _systemctl(host, "start", program.unit)
        return ServiceChange(host.hostname(), program.name, True, not was, True)
    if host.running(program) is not None:
        return ServiceChange(host.hostname(), program.name, True, False, False)
    pid = host.spawn_detached([exe, "-f", *argv], f"/var/log/corosync/{program.name}.log")
    deadline = host.clock() + START_TIMEOUT_S
    while host.running(program) != pid or not _answers(host, program):
        code = host.exited(pid)
        if code is not None:
            if host.running(program) is not None:  # started meanwhile by a supervisor: it runs
                return ServiceChange(host.hostname(), program.name, True, False, False)
            raise ReportError([reports.error(
                "QDEVICE_DAEMON_START_FAILED", daemon=program.name,
                log=f"/var/log/corosync/{program.name}.log", detail=f"exit {code}")])
        if host.clock() >= deadline:
            raise ReportError([reports.error(
                "QDEVICE_DAEMON_START_FAILED", daemon=program.name,
                log=f"/var/log/corosync/{program.name}.log",
                detail=f"it did not answer within {START_TIMEOUT_S:g} s")])
        host.sleep(0.1)
    warn = () if not enable else (reports.warning("QDEVICE_NOT_ENABLED_NO_SYSTEMD",
                                                  daemon=program.name),)
    return ServiceChange(host.hostname(), program.name, True, True, False, warn)


def stop(host: LocalNode, program: Program, *, disable: bool = False) -> ServiceChange:
    """Stop `program` (and disable it at boot, with systemd)."""
    if host.has_systemd:
        was = host.running(program) is not None
        if disable:
            _systemctl(host, "disable", program.unit)
        _systemctl(host, "stop", program.unit)
        return ServiceChange(host.hostname(), program.name, False, was, True)
    pid = host.running(program)
    if pid is None:
        return ServiceChange(host.hostname(), program.name, False, False, False)
    killed = host.terminate(program, pid, STOP_TIMEOUT_S)
    found = (reports.warning("QDEVICE_DAEMON_KILLED", daemon=program.name),) if killed else ()
    return ServiceChange(host.hostname(), program.name, False, True, False, found)


def enable(host: LocalNode, program: Program) -> None:
    """Started at boot: systemd's unit enabled; refused where systemd is not the init."""
    if not host.has_systemd:
        raise ReportError([reports.error("QDEVICE_NO_SYSTEMD", daemon=program.name,
                                         action="enable")])
    _systemctl(host, "enable", program.unit)


def disable(host: LocalNode, program: Program) -> None:
    if not host.has_systemd:
        raise ReportError([reports.error("QDEVICE_NO_SYSTEMD", daemon=program.name,
                                         action="disable")])
    _systemctl(host, "disable", program.unit)


def qnetd_status(host: LocalNode, *, full: bool = False) -> str:
    """corosync-qnetd's own status (`corosync-qnetd-tool -s`, `-v` for every client)."""
    tool = "corosync-qnetd-tool"
    if host.which(tool) is None:
        raise ReportError([reports.error("QDEVICE_TOOL_MISSING", tool=tool,
                                         package="corosync-qnetd")])
    rc, output = host.run([tool, "-s", *(["-v"] if full else [])], timeout=10)
    if rc != 0:
        lines = [ln for ln in output.splitlines() if ln.strip()]
        raise ReportError([reports.error("QNETD_NOT_RUNNING",
                                         detail=lines[-1] if lines else f"exit {rc}")])
    return output + "\n"
