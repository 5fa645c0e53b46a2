"""`vigil qdevice ... model net`: corosync-qnetd on this machine, the quorum device's server that
clusters' `vigil quorum device add model net host=THIS` use (pcs's `qdevice` grammar)."""

from __future__ import annotations

import sys

from vigil.cli import args
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import qdevice_net
from vigil.commands.localnode import LocalNode

USAGE = """\
usage: vigil qdevice COMMAND model net          (on the qnetd host, as root)
  setup model net [--enable] [--start]     make corosync-qnetd's CA and server certificate
  status model net [--full]                corosync-qnetd-tool -s (-v with --full)
  start | stop | enable | disable model net
  destroy model net                        remove its certificates (stop it first)
Then, on a node of each cluster: vigil host auth THIS_HOST; vigil quorum device add model net
host=THIS_HOST algorithm=ffsplit|lms"""

_OPTIONS = {"setup": ("enable", "start"), "status": ("full",)}


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help or not words:
        print(USAGE)
        return EXIT_OK if inv.help else args.EXIT_USAGE
    if inv.file is not None:
        raise UsageError("qdevice commands act on this machine's corosync-qnetd, not on a CIB "
                         "file")
    sub, rest = words[0], words[1:]
    if sub not in ("setup", "status", "start", "stop", "enable", "disable", "destroy"):
        raise UsageError(f"unknown qdevice command '{sub}' (setup, status, start, stop, enable, "
                         "disable, destroy)")
    if rest[:1] != ["model"] or len(rest) < 2:
        raise UsageError(f"give the model: qdevice {sub} model net")
    if rest[1] != "net":
        raise UsageError(f"'{rest[1]}' is not a quorum device model vigil knows (net)")
    args.no_more(rest[2:], f"qdevice {sub} model net")
    inv.only(*_OPTIONS.get(sub, ()))
    host = LocalNode()
    lines: list[str] = []
    if sub == "setup":
        done = qdevice_net.qnetd_setup(host)
        lines.append(f"corosync-qnetd's CA and server certificate made in {done.path}")
        if inv.enable or inv.start:
            change = qdevice_net.start(host, qdevice_net.QNETD, enable=inv.enable) \
                if inv.start else None
            if change is None:
                qdevice_net.enable(host, qdevice_net.QNETD)
                lines.append("corosync-qnetd enabled at boot")
            else:
                lines.append(_service_line(change, inv.enable))
                args.print_reports(change.reports)
    elif sub == "status":
        sys.stdout.write(qdevice_net.qnetd_status(host, full=inv.full))
        return EXIT_OK
    elif sub == "start":
        change = qdevice_net.start(host, qdevice_net.QNETD)
        lines.append(_service_line(change, False))
    elif sub == "stop":
        lines.append(_service_line(qdevice_net.stop(host, qdevice_net.QNETD), False))
    elif sub == "enable":
        qdevice_net.enable(host, qdevice_net.QNETD)
        lines.append("corosync-qnetd enabled at boot")
    elif sub == "disable":
        qdevice_net.disable(host, qdevice_net.QNETD)
        lines.append("corosync-qnetd disabled at boot")
    else:
        done = qdevice_net.qnetd_destroy(host)
        lines.append(f"{done.path} removed: corosync-qnetd's certificates are gone (clusters "
                     "that used them need 'vigil quorum device remove' and 'add' again)")
    if inv.json:
        args.print_json({"lines": lines})
    else:
        args.print_lines(lines)
    return EXIT_OK


def _service_line(change: qdevice_net.ServiceChange, enabled: bool) -> str:
    verb = "started" if change.running else "stopped"
    text = f"{change.service} {verb}" if change.changed else f"{change.service} was {verb} already"
    return text + (" and enabled at boot" if enabled and change.systemd else "")

