"""Quorum: votequorum's state and settings on this node's running Corosync (through Corosync's own
tools, run by a `Runner`), and the quorum device in corosync.conf.

Like pcs, the runtime commands act on the local Corosync only and change no file: `status` is
`corosync-quorumtool -s`, `set_expected_votes` is `corosync-quorumtool -e N`, `unblock` cancels
wait_for_all with `corosync-cmapctl -s quorum.cancel_wait_for_all u8 1`. The device commands edit
corosync.conf on this node (`conf_path()`, overridable for tests and for `--corosync_conf`); the
operator copies the file to the other nodes, as the reports say.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from vigil.clusterconf import conf_tree
from vigil.clusterconf.files import write_corosync_conf
from vigil.clusterconf.quorum_device import (
    QuorumDevice,
    node_names,
    read_device,
    validate_device,
    with_default_votes,
    with_device,
)
from vigil.commands.runner import NOT_FOUND, Runner, RunResult
from vigil.model import reports
from vigil.model.reports import Report, ReportError, Severity

COROSYNC_CONF = "/etc/corosync/corosync.conf"
CONF_ENV = "VIGIL_COROSYNC_CONF"
QUORUMTOOL = "corosync-quorumtool"
CMAPCTL = "corosync-cmapctl"
QDEVICE_TOOL = "corosync-qdevice-tool"
_PACKAGES = {QUORUMTOOL: "corosync", CMAPCTL: "corosync", QDEVICE_TOOL: "corosync-qdevice"}
# What the tools print when the daemon they talk to is not there.
_NOT_RUNNING = ("Cannot initialize", "Failed to initialize", "CS_ERR_LIBRARY",
                "Can't connect to QDevice socket")
NOT_QUORATE = 2  # corosync-quorumtool -s: "not quorate"

Pairs = tuple[tuple[str, str], ...]


def conf_path(given: str | None = None) -> str:
    """corosync.conf: `given`, else $VIGIL_COROSYNC_CONF, else /etc/corosync/corosync.conf."""
    return given or os.environ.get(CONF_ENV) or COROSYNC_CONF


# -- status ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuorumMember:
    nodeid: int
    votes: int
    name: str
    local: bool = False
    qdevice: str | None = None  # the Qdevice column's flags (A,V,NMW...), when shown


@dataclass(frozen=True)
class QuorumStatus:
    """`corosync-quorumtool -s` as data (and as printed, in `text`)."""

    quorate: bool
    provider: str | None
    node_id: int | None
    ring_id: str | None
    nodes: int | None
    expected_votes: int | None
    highest_expected: int | None
    total_votes: int | None
    quorum: int | None
    activity_blocked: bool
    flags: tuple[str, ...]
    members: tuple[QuorumMember, ...]
    device_votes: int | None
    text: str

    @property
    def wait_for_all(self) -> bool:
        return "WaitForAll" in self.flags

    @property
    def two_node(self) -> bool:
        return "2Node" in self.flags


def _int(text: str) -> int | None:
    word = text.split()[0] if text.split() else ""
    try:
        return int(word, 16) if word.startswith("0x") else int(word)
    except ValueError:
        return None


def parse_status(text: str) -> QuorumStatus | None:
    """Parse `corosync-quorumtool -s` (with or without -p); None without a "Quorate:" line."""
    fields: dict[str, str] = {}
    members: list[QuorumMember] = []
    device_votes: int | None = None
    table: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or set(line) == {"-"}:
            continue
        if table is not None:
            words = line.split()
            nodeid, votes = _int(words[0]), _int(words[1]) if len(words) > 1 else None
            if nodeid is None or votes is None:
                continue
            rest = words[2:]
            flags = rest.pop(0) if "Qdevice" in table and len(rest) > 1 else None
            name = " ".join(rest)
            if nodeid == 0 and name == "Qdevice":
                device_votes = votes
                continue
            local = name.endswith("(local)")
            members.append(QuorumMember(nodeid, votes, name.removesuffix("(local)").strip(),
                                        local, flags))
            continue
        if line.startswith("Nodeid") and "Votes" in line:
            table = line.split()
            continue
        key, colon, value = line.partition(":")
        if colon:
            fields[key.strip()] = value.strip()
    if "Quorate" not in fields:
        return None
    quorum = fields.get("Quorum", "")
    return QuorumStatus(
        quorate=fields["Quorate"].lower().startswith("yes"),
        provider=fields.get("Quorum provider"), node_id=_int(fields.get("Node ID", "")),
        ring_id=fields.get("Ring ID"), nodes=_int(fields.get("Nodes", "")),
        expected_votes=_int(fields.get("Expected votes", "")),
        highest_expected=_int(fields.get("Highest expected", "")),
        total_votes=_int(fields.get("Total votes", "")), quorum=_int(quorum),
        activity_blocked="Activity blocked" in quorum,
        flags=tuple(fields.get("Flags", "").split()), members=tuple(members),
        device_votes=device_votes, text=text)


def _failure(tool: str, result: RunResult) -> ReportError:
    if result.returncode == NOT_FOUND:
        return ReportError([reports.error("COROSYNC_TOOL_MISSING", tool=tool,
                                          package=_PACKAGES.get(tool, "corosync"))])
    detail = result.message
    if any(marker in result.stderr + result.stdout for marker in _NOT_RUNNING):
        code = "QDEVICE_NOT_RUNNING" if tool == QDEVICE_TOOL else "COROSYNC_NOT_RUNNING"
        return ReportError([reports.error(code, tool=tool, detail=detail)])
    return ReportError([reports.error("COROSYNC_TOOL_FAILED", tool=tool, detail=detail)])


def status(runner: Runner) -> QuorumStatus:
    """This node's view of quorum. Raises COROSYNC_NOT_RUNNING, COROSYNC_TOOL_MISSING..."""
    result = runner.run([QUORUMTOOL, "-s"])
    parsed = parse_status(result.stdout) if result.returncode in (0, NOT_QUORATE) else None
    if parsed is None:
        raise _failure(QUORUMTOOL, result)
    return parsed


def membership(runner: Runner) -> str:
    """`corosync-quorumtool -l`: the members, their node ids, votes and names, as Corosync
    prints them (pcs's `status corosync`)."""
    result = runner.run([QUORUMTOOL, "-l"])
    if result.returncode != 0:
        raise _failure(QUORUMTOOL, result)
    return result.stdout


def set_expected_votes(runner: Runner, votes: str) -> tuple[Report, ...]:
    """Set votequorum's expected votes on the running cluster (corosync.conf is not changed)."""
    if not votes.isdigit() or int(votes) < 1:
        raise ReportError([reports.error("EXPECTED_VOTES_INVALID", value=votes)])
    result = runner.run([QUORUMTOOL, "-e", str(int(votes))])
    if result.returncode != 0:
        error = _failure(QUORUMTOOL, result)
        if error.reports[0].code == "COROSYNC_TOOL_FAILED" and "INVALID_PARAM" in result.message:
            raise ReportError([reports.error("EXPECTED_VOTES_REFUSED", votes=int(votes),
                                             detail=result.message)])
        raise error
    return (reports.info("EXPECTED_VOTES_SET", votes=int(votes)),)


# -- unblock -----------------------------------------------------------------------------------
WAIT_FOR_ALL_STATUS = "runtime.votequorum.wait_for_all_status"


@dataclass(frozen=True)
class Blocked:
    """A cluster waiting for all its nodes (wait_for_all) before it becomes quorate."""

    missing_nodes: tuple[str, ...]  # nodes of corosync.conf not seen (empty when unknown)


def blocked(runner: Runner, conf: str | None = None) -> Blocked:
    """What `unblock` would cancel. Raises QUORUM_NOT_BLOCKED when Corosync waits for nobody."""
    result = runner.run([CMAPCTL, "-g", WAIT_FOR_ALL_STATUS])
    if result.returncode != 0 and "CS_ERR_NOT_EXIST" not in result.message:
        raise _failure(CMAPCTL, result)
    if result.returncode != 0 or not result.stdout.strip().endswith("= 1"):
        raise ReportError([reports.error("QUORUM_NOT_BLOCKED")])
    seen = {m.name for m in status(runner).members}
    try:
        configured = node_names(conf_tree.parse(Path(conf_path(conf)).read_text()))
    except (OSError, UnicodeDecodeError, ReportError):
        configured = ()
    return Blocked(tuple(n for n in configured if n not in seen))


def unblock(runner: Runner) -> tuple[Report, ...]:
    """Cancel wait_for_all: the nodes present become quorate on their own votes."""
    result = runner.run([CMAPCTL, "-s", "quorum.cancel_wait_for_all", "u8", "1"])
    if result.returncode != 0:
        raise _failure(CMAPCTL, result)
    return (reports.info("QUORUM_UNBLOCKED"),)


# -- corosync.conf and the quorum device -------------------------------------------------------
@dataclass(frozen=True)
class QuorumConfig:
    path: str
    options: Pairs  # the quorum section's options (provider, two_node, wait_for_all...)
    device: QuorumDevice | None


@dataclass(frozen=True)
class ConfChange:
    """What a command did to corosync.conf, and what the operator must do next (reports)."""

    path: str
    reports: tuple[Report, ...]


def _read(path: str) -> conf_tree.Section:
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise ReportError([reports.error("COROSYNC_CONF_NOT_FOUND", path=path)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE", path=path,
                                         detail=detail)]) from None
    try:
        return conf_tree.parse(text)
    except ReportError as exc:
        raise ReportError([reports.error("COROSYNC_CONF_UNREADABLE", path=path,
                                         detail=f"line {r.field('line')}: {r.field('reason')}")
                           for r in exc.reports]) from None


def _write(path: str, root: conf_tree.Section) -> None:
    try:
        write_corosync_conf(Path(path), conf_tree.render(root))
    except OSError as exc:
        raise ReportError([reports.error("COROSYNC_CONF_UNWRITABLE", path=path,
                                         detail=exc.strerror or str(exc))]) from None


def quorum_config(conf: str | None = None) -> QuorumConfig:
    path = conf_path(conf)
    root = _read(path)
    quorum = root.section("quorum")
    return QuorumConfig(path, quorum.options() if quorum else (), read_device(root))


def device_added(root: conf_tree.Section, path: str, *, model: str, model_options: Pairs,
                 generic_options: Pairs = (), force: bool = False
                 ) -> tuple[conf_tree.Section, QuorumDevice, tuple[Report, ...]]:
    """corosync.conf `root` with the quorum device (model net: host=, algorithm= (ffsplit by
    default), port=...) added: (the new tree, the device, warnings); ReportError when anything
    is wrong."""
    given = dict(model_options)
    dev = with_default_votes(QuorumDevice(
        host=given.get("host", ""), algorithm=given.get("algorithm", "ffsplit"), model=model,
        generic_options=generic_options,
        model_options=tuple((k, v) for k, v in model_options if k not in ("host", "algorithm"))))
    found = list(validate_device(dev, force=force))
    if len([k for k, _ in model_options if k in ("host", "algorithm")]) > len(
            {k for k, _ in model_options if k in ("host", "algorithm")}):
        found.append(reports.error("QDEVICE_OPTION_TWICE", option="host or algorithm"))
    existing = read_device(root)
    if existing is not None:
        found.append(reports.error("QDEVICE_ALREADY_DEFINED", host=existing.host, path=path))
    nodes = node_names(root)
    if dev.algorithm == "ffsplit" and len(nodes) % 2 == 1:
        found.append(reports.warning("QDEVICE_FFSPLIT_ODD_NODES", nodes=len(nodes)))
    if any(r.severity is Severity.ERROR for r in found):
        raise ReportError(found)
    return with_device(root, dev), dev, tuple(found)


def device_added_reports(old: conf_tree.Section, new: conf_tree.Section, dev: QuorumDevice,
                         path: str) -> list[Report]:
    out = [reports.info("QDEVICE_ADDED", host=dev.host, algorithm=dev.algorithm, path=path)]
    if _two_node(old) and not _two_node(new):
        out.append(reports.info("COROSYNC_TWO_NODE_REMOVED"))
    return out


def add_device(conf: str | None, *, model: str, model_options: Pairs, generic_options: Pairs = (),
               force: bool = False) -> ConfChange:
    """Add a quorum device to corosync.conf on this node only. Nothing is written if anything
    is wrong."""
    path = conf_path(conf)
    root = _read(path)
    new, dev, found = device_added(root, path, model=model, model_options=model_options,
                                   generic_options=generic_options, force=force)
    _write(path, new)
    out = [*found, *device_added_reports(root, new, dev, path),
           reports.info("QDEVICE_NEXT_STEPS", path=path, host=dev.host)]
    return ConfChange(path, tuple(out))


def device_removed(root: conf_tree.Section, path: str
                   ) -> tuple[conf_tree.Section, QuorumDevice, tuple[Report, ...]]:
    """corosync.conf `root` without its quorum device (two_node comes back for two nodes):
    (the new tree, the device removed, what the operator is told)."""
    existing = read_device(root)
    if existing is None:
        raise ReportError([reports.error("QDEVICE_NOT_DEFINED", path=path)])
    new = with_device(root, None)
    out = [reports.info("QDEVICE_REMOVED", host=existing.host, path=path)]
    if _two_node(new) and not _two_node(root):
        out.append(reports.info("COROSYNC_TWO_NODE_RESTORED"))
    return new, existing, tuple(out)


def remove_device(conf: str | None) -> ConfChange:
    """Take the quorum device out of corosync.conf on this node only."""
    path = conf_path(conf)
    root = _read(path)
    new, _, found = device_removed(root, path)
    _write(path, new)
    return ConfChange(path, (*found, reports.info("QDEVICE_REMOVE_NEXT_STEPS", path=path)))


def _two_node(root: conf_tree.Section) -> bool:
    quorum = root.section("quorum")
    return quorum is not None and quorum.get("two_node") == "1"


@dataclass(frozen=True)
class DeviceStatus:
    """The fields of `corosync-qdevice-tool -s` that say whether the device works."""

    model: str | None
    node_id: int | None
    cluster_name: str | None
    qnetd_host: str | None
    algorithm: str | None
    tie_breaker: str | None
    state: str | None  # model net: Connected, Connect failed, Waiting for initial...

    @property
    def connected(self) -> bool:
        return self.state == "Connected"


def parse_device_status(text: str) -> DeviceStatus:
    """Parse `corosync-qdevice-tool -s` (tab-aligned `Key:<tabs>value` lines); absent fields are
    None."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon and key and not key.startswith((" ", "\t")) and value.strip():
            fields.setdefault(key.strip(), value.strip())
    return DeviceStatus(
        model=fields.get("Model"), node_id=_int(fields.get("Node ID", "")),
        cluster_name=fields.get("Cluster name"), qnetd_host=fields.get("QNetd host"),
        algorithm=fields.get("Algorithm"), tie_breaker=fields.get("Tie-breaker"),
        state=fields.get("State"))


def device_status(runner: Runner, *, full: bool = False) -> str:
    """`corosync-qdevice-tool -s` (with `full`, -v) as it prints it."""
    result = runner.run([QDEVICE_TOOL, "-s", *(["-v"] if full else [])])
    if result.returncode != 0:
        raise _failure(QDEVICE_TOOL, result)
    return result.stdout
