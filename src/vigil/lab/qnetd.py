"""The lab's quorum device: corosync-qnetd in the client namespace, its certificates, its process.

`vigil lab up --qdevice ffsplit|lms` (`Lab.up(..., qdevice=...)`) gives every node's corosync.conf
a `quorum.device` section (model net, host 10.213.0.50, port 5403: written by vigil's own
renderer, `ClusterConf.quorum_device`), and:

1. makes the TLS certificates with Corosync's own tools, following corosync-qdevice-net-certutil's
   "typical usage" (qnetd `-i`; first node `-i -c CA`, `-r -n CLUSTER`; qnetd `-s`; first node
   `-M`; every other node `-i -c CA`, `-m -c P12`). The tools have fixed paths (/etc/corosync/
   qnetd/nssdb, /etc/corosync/qdevice/net/nssdb) and no option to change them, so each runs in a
   short-lived private mount namespace where the right directory is bind-mounted on
   /etc/corosync: the lab's <data>/qnetd/etc for qnetd's side, a node's disk (<data>/<node>/
   etc/corosync, which the node itself mounts on /etc/corosync) for a node's side. The host's
   /etc/corosync is never written;
2. starts `corosync-qnetd -f` in the client's network namespace, listening on 10.213.0.50:5403
   only, with its NSS database, lock file and IPC socket in <data>/qnetd (advanced settings
   `-S nss_db_dir=...,lock_file=...,local_socket_file=...`, so no mount namespace is needed for
   a process that lives as long as the lab); its PID and start time go into the lab's record,
   and `down` (or `stop`) ends it;
3. each node's init (vigil.lab.nodeinit) starts `corosync-qdevice -f` once Corosync answers,
   restarts it when it fails, and stops it before Corosync; a power-off kills it with the node.

That is the lab written on the disks (`through_endpoint=False`). A lab set up as an operator
would (the default) treats the client namespace as the qnetd host instead: `vigil qdevice setup
model net` makes qnetd's CA there, the host's own remote endpoint runs beside corosync-qnetd
(`start_endpoint`: 10.213.0.50:2224, its files in <data>/qnetd/host), and n1 runs `vigil host
auth` of it and `vigil quorum device add model net host=10.213.0.50 ...`, which fetches the CA,
has the cluster's certificate signed by that endpoint, gives every node its certificates and
corosync.conf and starts corosync-qdevice in every node (the node's init adopts it). Both run
in a private mount namespace where the host's directories are bind-mounted: /etc/corosync (the
same <data>/qnetd/etc as above), /etc/vigil, /var/lib/vigil, /var/log/vigil, /run/vigil.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from vigil.lab import hostops, state
from vigil.lab.errors import LabError

ALGORITHMS = ("ffsplit", "lms")
PORT = 5403
DIR_NAME = "qnetd"
LOG_NAME = "qnetd.log"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0

# what the quorum device needs, and the Debian package that has it
TOOLS = {
    "corosync-qnetd": "corosync-qnetd",
    "corosync-qnetd-certutil": "corosync-qnetd",
    "corosync-qnetd-tool": "corosync-qnetd",
    "corosync-qdevice": "corosync-qdevice",
    "corosync-qdevice-net-certutil": "corosync-qdevice",
    "corosync-qdevice-tool": "corosync-qdevice",
    "certutil": "libnss3-tools",
    "pk12util": "libnss3-tools",
}

# run "$@" with directory $0 bind-mounted on /etc/corosync (inside `unshare --mount`)
_WITH_ETC = 'mount --bind "$0" /etc/corosync && exec "$@"'


def check_algorithm(algorithm: str) -> str | None:
    """None when `algorithm` is one the lab's quorum device takes, else why not."""
    if algorithm not in ALGORITHMS:
        return f"the quorum device's algorithm is ffsplit or lms, not {algorithm!r}"
    return None


def require_tools() -> None:
    missing = hostops.missing_tools(TOOLS)
    if missing:
        pkgs = sorted({TOOLS[m] for m in missing})
        raise LabError(f"the quorum device needs {', '.join(missing)}: install {' '.join(pkgs)} "
                       f"(scripts/install.sh does)")


def qnetd_dir(st: state.LabState) -> Path:
    return Path(st.data_dir) / DIR_NAME


def _etc(st: state.LabState) -> Path:
    """What qnetd's certutil sees as /etc/corosync."""
    return qnetd_dir(st) / "etc"


def nssdb(st: state.LabState) -> Path:
    return _etc(st) / "qnetd" / "nssdb"


def socket_path(st: state.LabState) -> Path:
    """qnetd's IPC socket (corosync-qnetd-tool -p)."""
    return qnetd_dir(st) / "run" / "corosync-qnetd.sock"


def _node_etc(st: state.LabState, node: str) -> Path:
    return Path(st.nodes[node].state_dir) / "etc" / "corosync"


def _node_nssdb(st: state.LabState, node: str) -> Path:
    return _node_etc(st, node) / "qdevice" / "net" / "nssdb"


# the qnetd host's own directories, over the host's, in its private mount namespace
HOST_BINDS = (("etc", "/etc/corosync"), ("host/etc-vigil", "/etc/vigil"),
              ("host/lib-vigil", "/var/lib/vigil"), ("host/log-vigil", "/var/log/vigil"),
              ("host/run-vigil", "/run/vigil"))
ENDPOINT_PORT = 2224
ENDPOINT_LOG = "endpoint.log"


def host_dir(st: state.LabState, target: str) -> Path:
    """The directory the qnetd host sees as `target` (one of HOST_BINDS')."""
    return qnetd_dir(st) / dict((t, s) for s, t in HOST_BINDS)[target]


def _as_host(st: state.LabState, argv: Sequence[str]) -> list[str]:
    """`argv` in a private mount namespace with the qnetd host's directories mounted."""
    binds = " && ".join(f'mount --bind "${k + 1}" {t}' for k, (_, t) in enumerate(HOST_BINDS))
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            f'{binds} && shift {len(HOST_BINDS)} && exec "$@"', "sh",
            *(str(qnetd_dir(st) / s) for s, _ in HOST_BINDS), *argv]


def prepare_host(st: state.LabState, python: str, env: dict[str, str]) -> None:
    """The qnetd host's directories, and qnetd's CA and server certificate made by `vigil
    qdevice setup model net` there, as an operator types it."""
    for sub, target in HOST_BINDS:
        (qnetd_dir(st) / sub).mkdir(mode=0o755, parents=True, exist_ok=True)
        os.makedirs(target, mode=0o755, exist_ok=True)  # the mount points
    log = qnetd_dir(st) / "setup.log"
    argv = _as_host(st, [python, "-m", "vigil.cli.main", "qdevice", "setup", "model", "net"])
    with open(log, "a") as logf:
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                  stderr=subprocess.STDOUT, env=env, cwd="/", timeout=60)
        except subprocess.TimeoutExpired:
            raise LabError(f"vigil qdevice setup: no answer within 60 s (see {log})") from None
    if done.returncode != 0:
        raise LabError(f"vigil qdevice setup model net failed (exit {done.returncode}): see {log}")


def start_endpoint(st: state.LabState, *, netns: str, addr: str, python: str,
                   env: dict[str, str]) -> None:
    """The qnetd host's remote endpoint in the client's network namespace, recorded; returns
    once it accepts connections (LabError if it exits or does not)."""
    argv = ["nsenter", f"--net={hostops.NETNS_DIR / netns}", "--",
            *_as_host(st, [python, "-m", "vigil.api", "--address", addr, "--san", addr])]
    with open(qnetd_dir(st) / ENDPOINT_LOG, "ab") as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, env=env, cwd="/",
                                start_new_session=True)
    # nsenter, unshare and sh each exec the next: the PID is the endpoint's own
    st.qnetd_endpoint_pid, st.qnetd_endpoint_start = proc.pid, hostops.proc_starttime(proc.pid)
    state.save(st)
    deadline = time.monotonic() + 30.0
    probe = ["ip", "netns", "exec", netns, "bash", "-c",
             f"exec 3<>/dev/tcp/{addr}/{ENDPOINT_PORT}"]
    while subprocess.run(probe, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, timeout=10, check=False).returncode != 0:
        if proc.poll() is not None:
            raise LabError(f"the qnetd host's endpoint exited at once (exit {proc.returncode}): "
                           f"see {qnetd_dir(st) / ENDPOINT_LOG}")
        if time.monotonic() > deadline:
            raise LabError("the qnetd host's endpoint did not accept connections within 30 s")
        time.sleep(0.1)


def stop_endpoint(st: state.LabState) -> None:
    hostops.stop_recorded(st.qnetd_endpoint_pid, st.qnetd_endpoint_start,
                          timeout_s=STOP_TIMEOUT_S)
    st.qnetd_endpoint_pid = st.qnetd_endpoint_start = None


def _certutil(etc: Path, argv: Sequence[str], log: Path) -> None:
    """Run one certutil command with `etc` on /etc/corosync, in a private mount namespace."""
    full = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", _WITH_ETC, str(etc), *argv]
    with open(log, "a") as logf:
        logf.write(f"$ {' '.join(argv)}   # /etc/corosync = {etc}\n")
        logf.flush()
        try:
            done = subprocess.run(full, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                  env=hostops.command_env(), cwd="/", timeout=60)
        except subprocess.TimeoutExpired:
            raise LabError(f"{' '.join(argv[:2])}: no answer within 60 s (see {log})") from None
    if done.returncode != 0:
        raise LabError(f"{' '.join(argv[:3])} failed (exit {done.returncode}): see {log}")


def make_certificates(st: state.LabState, cluster_name: str, nodes: Sequence[str]) -> None:
    """qnetd's CA and server certificate, and the cluster certificate in every node's database
    (before the nodes boot). Fresh each time: the lab's disks are fresh at `up`."""
    if not nodes:
        return
    etc = _etc(st)
    etc.mkdir(mode=0o755, parents=True, exist_ok=True)
    log = qnetd_dir(st) / "certutil.log"
    os.makedirs("/etc/corosync", mode=0o755, exist_ok=True)  # the mount point (corosync's package has it)
    ca = nssdb(st) / "qnetd-cacert.crt"
    first = nodes[0]
    _certutil(etc, ["corosync-qnetd-certutil", "-i", "-G"], log)
    for node in nodes:
        _node_etc(st, node).mkdir(mode=0o755, parents=True, exist_ok=True)
        _certutil(_node_etc(st, node), ["corosync-qdevice-net-certutil", "-i", "-c", str(ca)], log)
    _certutil(_node_etc(st, first), ["corosync-qdevice-net-certutil", "-r", "-n", cluster_name], log)
    crq = _node_nssdb(st, first) / "qdevice-net-node.crq"
    _certutil(etc, ["corosync-qnetd-certutil", "-s", "-c", str(crq), "-n", cluster_name], log)
    crt = nssdb(st) / f"cluster-{cluster_name}.crt"
    _certutil(_node_etc(st, first), ["corosync-qdevice-net-certutil", "-M", "-c", str(crt)], log)
    p12 = _node_nssdb(st, first) / "qdevice-net-node.p12"
    for node in nodes[1:]:
        _certutil(_node_etc(st, node), ["corosync-qdevice-net-certutil", "-m", "-c", str(p12)], log)


def qnetd_argv(st: state.LabState, netns: str, addr: str) -> list[str]:
    run = qnetd_dir(st) / "run"
    settings = ",".join((f"nss_db_dir={nssdb(st)}", f"lock_file={run / 'corosync-qnetd.pid'}",
                         f"local_socket_file={socket_path(st)}"))
    return ["nsenter", f"--net={hostops.NETNS_DIR / netns}", "--",
            "corosync-qnetd", "-f", "-4", "-l", addr, "-p", str(PORT), "-S", settings]


def start(st: state.LabState, *, netns: str, addr: str) -> subprocess.Popen[bytes]:
    """Start corosync-qnetd in the client's namespace, record it, return once its IPC socket
    answers (LabError if it exits or does not answer)."""
    if is_running(st):
        raise LabError("corosync-qnetd of this lab runs already")
    run = qnetd_dir(st) / "run"
    run.mkdir(mode=0o770, parents=True, exist_ok=True)
    socket_path(st).unlink(missing_ok=True)
    with open(qnetd_dir(st) / LOG_NAME, "ab") as logf:
        # nsenter without -p execs: the PID is corosync-qnetd's own
        proc = subprocess.Popen(qnetd_argv(st, netns, addr), stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT, env=hostops.command_env(), cwd="/",
                                start_new_session=True)
    st.qnetd_pid, st.qnetd_start = proc.pid, hostops.proc_starttime(proc.pid)
    state.save(st)
    deadline = time.monotonic() + START_TIMEOUT_S
    while tool(st, ["-s"]).returncode != 0:
        if proc.poll() is not None:
            raise LabError(f"corosync-qnetd exited at once (exit {proc.returncode}): see "
                           f"{qnetd_dir(st) / LOG_NAME}")
        if time.monotonic() > deadline:
            raise LabError(f"corosync-qnetd did not answer within {START_TIMEOUT_S:g} s")
        time.sleep(0.05)
    return proc


def is_running(st: state.LabState) -> bool:
    return hostops.is_alive(st.qnetd_pid, st.qnetd_start)


def stop(st: state.LabState, *, sig: int = signal.SIGTERM) -> bool:
    """Stop the qnetd `st` records (`sig`, then SIGKILL); False if none ran. Only that PID with
    that start time is signalled."""
    ran = hostops.stop_recorded(st.qnetd_pid, st.qnetd_start, first=sig, timeout_s=STOP_TIMEOUT_S)
    st.qnetd_pid = st.qnetd_start = None
    return ran


def tool(st: state.LabState, args: Sequence[str], timeout: float = 10.0) -> subprocess.CompletedProcess[str]:
    """`corosync-qnetd-tool ARGS` against the lab's qnetd (its IPC socket is a host path)."""
    try:
        return hostops.run(["corosync-qnetd-tool", *args, "-p", str(socket_path(st))], timeout=timeout,
                           check=False)
    except LabError as exc:
        return subprocess.CompletedProcess(["corosync-qnetd-tool", *args], 1, "", str(exc))
