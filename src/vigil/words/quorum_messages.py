"""English text for the reports of `vigil quorum` (Corosync's tools and corosync.conf)."""

from __future__ import annotations

from collections.abc import Callable

from vigil.model.reports import Report

_Render = Callable[[Report], str]


def _f(r: Report, name: str) -> str:
    return r.field(name)


MESSAGES: dict[str, _Render] = {
    "COROSYNC_NOT_RUNNING": lambda r: (
        f"Corosync is not running on this node ({_f(r, 'tool')}: {_f(r, 'detail')}): start "
        "the cluster on this node (vigil cluster start, or systemctl start corosync)"),
    "COROSYNC_TOOL_MISSING": lambda r: (
        f"{_f(r, 'tool')} is not installed on this node: install the {_f(r, 'package')} "
        f"package (apt-get install {_f(r, 'package')})"),
    "COROSYNC_TOOL_FAILED": lambda r: f"{_f(r, 'tool')} failed: {_f(r, 'detail')}",
    "QDEVICE_NOT_RUNNING": lambda r: (
        f"corosync-qdevice is not running on this node ({_f(r, 'detail')}): start it with "
        "'systemctl start corosync-qdevice' once a quorum device is configured"),
    "EXPECTED_VOTES_INVALID": lambda r: (
        f"'{_f(r, 'value')}' is not a number of votes: give a positive integer"),
    "EXPECTED_VOTES_REFUSED": lambda r: (
        f"Corosync refused expected votes {_f(r, 'votes')} ({_f(r, 'detail')}): it cannot be "
        "lower than the votes present now (see 'vigil quorum status')"),
    "EXPECTED_VOTES_SET": lambda r: (
        f"expected votes set to {_f(r, 'votes')} in the running cluster until Corosync "
        "restarts; corosync.conf is unchanged"),
    "QUORUM_NOT_BLOCKED": lambda r: (
        "the cluster is not waiting for nodes to establish quorum (wait_for_all is not "
        "blocking it): nothing to unblock"),
    "QUORUM_UNBLOCK_NEEDS_FORCE": lambda r: (
        "quorum unblock makes the nodes present quorate without the missing ones: confirm "
        "with --force (no terminal to ask on)"),
    "QUORUM_UNBLOCK_CANCELLED": lambda r: "quorum unblock cancelled: nothing was changed",
    "QUORUM_UNBLOCKED": lambda r: (
        "wait_for_all cancelled: the nodes present are quorate on their own votes"),
    "COROSYNC_CONF_NOT_FOUND": lambda r: (
        f"{_f(r, 'path')} does not exist: set the cluster up first (vigil cluster setup), or "
        "name the file with --corosync_conf"),
    "COROSYNC_CONF_UNREADABLE": lambda r: (
        f"{_f(r, 'path')} cannot be read: {_f(r, 'detail')}; nothing was changed"),
    "COROSYNC_CONF_UNWRITABLE": lambda r: (
        f"{_f(r, 'path')} cannot be written: {_f(r, 'detail')}; the file is unchanged"),
    "COROSYNC_CONF_SYNTAX": lambda r: (
        f"corosync.conf line {_f(r, 'line')}: {_f(r, 'reason')}"),
    "QDEVICE_ALREADY_DEFINED": lambda r: (
        f"a quorum device (host {_f(r, 'host')}) is already configured in {_f(r, 'path')}: "
        "remove it first (vigil quorum device remove)"),
    "QDEVICE_NOT_DEFINED": lambda r: f"no quorum device is configured in {_f(r, 'path')}",
    "QDEVICE_MODEL_UNKNOWN": lambda r: (
        f"'{_f(r, 'model')}' is not a quorum device model (models: {_f(r, 'known')})"),
    "QDEVICE_OPTION_MISSING": lambda r: (
        f"model {_f(r, 'model')} needs {_f(r, 'option')}=VALUE (the corosync-qnetd server)"
        if _f(r, "option") == "host" else
        f"model {_f(r, 'model')} needs {_f(r, 'option')}=VALUE"),
    "QDEVICE_OPTION_UNKNOWN": lambda r: (
        f"'{_f(r, 'option')}' is not an option of the quorum {_f(r, 'where')} (options: "
        f"{_f(r, 'allowed')})"),
    "QDEVICE_OPTION_INVALID": lambda r: (
        f"'{_f(r, 'value')}' is not a valid {_f(r, 'option')}: it must be {_f(r, 'expected')}"),
    "QDEVICE_OPTION_TWICE": lambda r: f"{_f(r, 'option')} is given twice",
    "QDEVICE_OPTION_UNSAFE": lambda r: (
        f"'{_f(r, 'option')}={_f(r, 'value')}' cannot be written to corosync.conf (no braces, "
        "'#', line breaks or surrounding spaces)"),
    "QDEVICE_FFSPLIT_ODD_NODES": lambda r: (
        f"algorithm ffsplit is meant for an even number of nodes and this cluster has "
        f"{_f(r, 'nodes')}: consider algorithm=lms"),
    "QDEVICE_FFSPLIT_VOTES": lambda r: (
        f"algorithm ffsplit works only with votes=1 (corosync-qdevice refuses to start with "
        f"votes={_f(r, 'votes')}): leave votes out or use algorithm=lms"),
    "QDEVICE_ADDED": lambda r: (
        f"quorum device added to {_f(r, 'path')}: model net, host {_f(r, 'host')}, algorithm "
        f"{_f(r, 'algorithm')}"),
    "COROSYNC_TWO_NODE_REMOVED": lambda r: (
        "two_node removed from the quorum section: the quorum device breaks ties now"),
    "QDEVICE_NEXT_STEPS": lambda r: (
        f"the device works once: corosync-qdevice is installed on every node "
        f"(apt-get install corosync-qdevice) and corosync-qnetd runs on {_f(r, 'host')}, the "
        "TLS certificates are set up (corosync-qdevice-net-certutil), "
        f"{_f(r, 'path')} is copied to every node, Corosync reloads it (corosync-cfgtool -R) "
        "and corosync-qdevice is started on every node (systemctl enable --now "
        "corosync-qdevice)"),
    "QDEVICE_REMOVED": lambda r: (
        f"quorum device (host {_f(r, 'host')}) removed from {_f(r, 'path')}"),
    "COROSYNC_TWO_NODE_RESTORED": lambda r: (
        "two_node: 1 is back in the quorum section (two nodes, no device)"),
    "QDEVICE_REMOVE_NEXT_STEPS": lambda r: (
        f"copy {_f(r, 'path')} to every node, stop corosync-qdevice on every node (systemctl "
        "disable --now corosync-qdevice) and reload Corosync (corosync-cfgtool -R)"),
    # the certificates and daemons of model net (vigil.commands.qdevice_net)
    "QDEVICE_TOOL_MISSING": lambda r: (
        f"{_f(r, 'tool')} is not installed here: apt-get install {_f(r, 'package')}"),
    "QDEVICE_CERTUTIL_FAILED": lambda r: (
        f"{_f(r, 'command')} failed: {_f(r, 'detail')}"),
    "QDEVICE_CERTUTIL_NO_OUTPUT": lambda r: (
        f"the certificate tool did not write {_f(r, 'path')}"),
    "QDEVICE_FILE_UNREADABLE": lambda r: f"cannot read {_f(r, 'path')}: {_f(r, 'detail')}",
    "QDEVICE_BAD_CLUSTER_NAME": lambda r: (
        f"'{_f(r, 'name')}' cannot name a cluster's certificate (letters, digits, '_', '.', "
        "'-', at most 64)"),
    "QNETD_NOT_SET_UP": lambda r: (
        f"corosync-qnetd has no certificates here ({_f(r, 'path')}): run 'vigil qdevice setup "
        "model net --start --enable' on the qnetd host first"),
    "QNETD_ALREADY_SET_UP": lambda r: (
        f"corosync-qnetd's certificates exist already ({_f(r, 'path')}); clusters may trust "
        "them: keep them, or 'vigil qdevice destroy model net' first to make new ones"),
    "QNETD_RUNNING": lambda r: (
        f"corosync-qnetd runs: stop it first (vigil qdevice stop model net) to "
        f"{_f(r, 'action')} it"),
    "QDEVICE_DAEMON_START_FAILED": lambda r: (
        f"{_f(r, 'daemon')} did not start ({_f(r, 'detail')}): see {_f(r, 'log')}"),
    "QDEVICE_NOT_ENABLED_NO_SYSTEMD": lambda r: (
        f"{_f(r, 'daemon')} started but not enabled at boot: systemd is not this machine's "
        "init (start it from the machine's own boot scripts)"),
    "QDEVICE_DAEMON_KILLED": lambda r: (
        f"{_f(r, 'daemon')} did not stop on SIGTERM and was killed"),
    "QDEVICE_NOT_STOPPED": lambda r: (
        f"{_f(r, 'node')}: corosync-qdevice could not be stopped there (--force): stop it "
        "there once it is reachable (systemctl disable --now corosync-qdevice)"),
    "QDEVICE_NO_SYSTEMD": lambda r: (
        f"cannot {_f(r, 'action')} {_f(r, 'daemon')} at boot: systemd is not this machine's "
        "init (use the machine's own boot scripts)"),
    "QNETD_NOT_RUNNING": lambda r: (
        f"corosync-qnetd does not answer ({_f(r, 'detail')}): start it (vigil qdevice start "
        "model net)"),
}
