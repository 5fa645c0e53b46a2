"""What the pcs-grammar commands share: their options, name=value words, the environment they
work on, and how results, reports and errors reach the terminal.

pcs lets options stand anywhere (`vigil -f cib.xml resource create ...` and `vigil resource
create ... -f cib.xml` are the same). Words that look like negative scores (`-INFINITY`, `-100`)
are words, not options.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vigil.model.reports import Report, ReportError, Severity
from vigil.words.messages import render_report

if TYPE_CHECKING:
    # Imported where used: `vigil` asks this module for the command word of every command
    # line (see command_word), and the environments bring the daemon's client and the CIB's
    # whole codec, which `vigil simulate` does without.
    from vigil.commands.edit import Applied
    from vigil.commands.env import CibEnvironment

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2

# Errors about the machine or the cluster rather than the command line or the configuration.
RUNTIME_CODES = frozenset({
    "CIB_FILE_UNREADABLE", "CIB_FILE_UNWRITABLE", "CIB_FILE_READ_ONLY", "CIB_CHANGED_UNDERNEATH",
    "DAEMON_NOT_RUNNING", "DAEMON_ACCESS_DENIED", "DAEMON_UNREACHABLE", "DAEMON_ERROR",
    "NEEDS_RUNNING_CLUSTER", "NOT_SUPPORTED_YET", "AGENT_METADATA_UNAVAILABLE",
    "RESOURCE_NOT_RUNNING", "RESOURCE_NOT_RUNNING_ON_NODE", "RESTART_TIMEOUT",
    "CLUSTER_NEEDS_ROOT", "CLUSTER_FILE_EXISTS", "CLUSTER_FILE_UNWRITABLE", "CLUSTER_IS_RUNNING",
    "CLUSTER_NOT_SET_UP", "CLUSTER_SERVICE_FAILED", "COROSYNC_NOT_INSTALLED",
    "COROSYNC_START_FAILED", "VIGILD_START_FAILED", "CLUSTER_START_TIMEOUT",
    "VIGILD_NOT_ANSWERING", "VIGILD_NOT_STARTED_BY_VIGIL", "CLUSTER_STOP_LOSES_QUORUM",
    "CLUSTER_DRAIN_TIMEOUT",
    "COROSYNC_NOT_RUNNING", "COROSYNC_TOOL_MISSING", "COROSYNC_TOOL_FAILED", "QDEVICE_NOT_RUNNING",
    "COROSYNC_CONF_NOT_FOUND", "COROSYNC_CONF_UNREADABLE", "COROSYNC_CONF_UNWRITABLE",
    "FENCING_NEEDS_RUNNING_CLUSTER", "FENCE_FAILED", "QUORUM_NOT_BLOCKED",
    "CIB_NOT_READY", "CIB_INVALID", "IPC_ACCESS_DENIED", "IPC_BAD_REQUEST", "IPC_UNKNOWN_OP", "IPC_TIMEOUT",
    "ACL_DENIED",
    "REMOTE_HOST_NOT_AUTHENTICATED", "REMOTE_UNREACHABLE", "REMOTE_CERTIFICATE_CHANGED",
    "REMOTE_BAD_REPLY", "REMOTE_AUTH_FAILED", "REMOTE_TOKEN_REJECTED", "REMOTE_BAD_REQUEST",
    "REMOTE_DAEMON_NOT_RUNNING", "REMOTE_DAEMON_UNREACHABLE", "REMOTE_NO_STATUS",
    "KNOWN_HOSTS_UNREADABLE", "REMOTE_HOSTS_NOT_AUTHENTICATED", "CLUSTER_ALL_NEEDS_A_NODE",
    "CLUSTER_NODE_NEEDS_A_MEMBER",
    "CLUSTER_FILES_INCOMPLETE", "CLUSTER_BOOT_NOT_MANAGED", "REMOTE_NODE_OP_FAILED",
    "CLUSTER_NOT_THIS_CLUSTER",
})

_FLAGS = {"--force": "force", "--full": "full", "--all": "all", "--disabled": "disabled",
          "--config": "config", "--no-default-ops": "no_default_ops", "--defaults": "defaults",
          "-h": "help", "--help": "help", "--off": "off", "-V": "verbose", "--verbose": "verbose",
          "--watch": "watch", "--promoted": "promoted", "--master": "promoted",
          "--start": "start", "--enable": "enable", "--no-strict": "no_strict",
          "--local": "local"}
_VALUED = {"-f": "file", "--file": "file", "--output": "output", "--output-format": "output",
           "--group": "group",
           "--before": "before", "--after": "after", "--node": "node", "--wait": "wait",
           "--token": "token", "--out": "out", "--corosync_conf": "corosync_conf",
           "--corosync-conf": "corosync_conf", "--host": "host", "-u": "user",
           "-p": "password", "--from": "since", "--to": "until"}
_OPTIONAL_VALUE = {"--wait"}


class UsageError(Exception):
    """A command line that does not parse: one line saying what is wrong."""


@dataclass
class Invocation:
    words: list[str]
    file: str | None = None
    output: str = "text"
    force: bool = False
    full: bool = False
    all: bool = False
    disabled: bool = False
    config: bool = False
    local: bool = False
    since: str | None = None  # --from (cluster report)
    until: str | None = None  # --to
    no_default_ops: bool = False
    defaults: bool = False
    help: bool = False
    group: str | None = None
    before: str | None = None
    after: str | None = None
    node: str | None = None
    wait: str | None = None
    token: str | None = None
    out: str | None = None
    off: bool = False
    verbose: bool = False
    watch: bool = False
    promoted: bool = False
    corosync_conf: str | None = None
    start: bool = False
    enable: bool = False
    no_strict: bool = False
    host: str | None = None  # --host NODE: the cluster through that node's remote endpoint
    user: str | None = None
    password: str | None = None
    given: set[str] = field(default_factory=set)

    def only(self, *allowed: str) -> None:
        """Refuse options this command does not take (`-f`, `--output` and `--wait` always
        pass, and `--force` with `-f`)."""
        always = {"file", "output", "wait", "help", "host"}
        if self.file is not None:
            always.add("force")  # reads a -f file with errors, to repair it (FileEnvironment)
        extra = sorted(self.given - set(allowed) - always)
        if extra:
            names = [k for k, v in (_FLAGS | _VALUED).items() if v == extra[0]]
            flag = next((k for k in names if k.startswith("--")), names[0])
            raise UsageError(f"option {flag} is not supported by this command")

    def env(self, *, reading: bool = False) -> CibEnvironment:
        """Where the command works: the -f file, another node (--host) or this node's cluster.
        `reading`: the command only shows the CIB, so a file with errors is read all the same
        (its errors then shown as warnings: see `show_forced`); an edit needs --force."""
        from vigil.commands.env import FileEnvironment, LiveEnvironment

        if self.file is not None:
            return FileEnvironment(self.file, force=self.force or reading)
        if self.host is not None:
            from vigil.commands.remote import RemoteEnvironment

            return RemoteEnvironment(self.host)
        return LiveEnvironment()

    @property
    def json(self) -> bool:
        return self.output == "json"

    def wait_seconds(self, default: float) -> float | None:
        """`--wait=SECONDS` as a number; `default` for a bare `--wait`, None without it."""
        if self.wait is None:
            return None
        if self.wait == "":
            return default
        try:
            seconds = float(self.wait)
        except ValueError:
            seconds = -1.0
        if not 0 < seconds < 1e6:
            raise UsageError(f"--wait takes a number of seconds, not '{self.wait}'")
        return seconds


def _is_number(word: str) -> bool:
    body = word[1:]
    return body.isdigit() or body == "INFINITY"


def parse(argv: Sequence[str]) -> Invocation:
    inv = Invocation(words=[])
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg == "-" or _is_number(arg):
            inv.words.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if name in _FLAGS and not eq:
            setattr(inv, _FLAGS[name], True)
            inv.given.add(_FLAGS[name])
            continue
        if name in _VALUED:
            if not eq:
                if name in _OPTIONAL_VALUE:
                    value = ""
                elif i >= len(args):
                    raise UsageError(f"option {name} needs a value")
                else:
                    value = args[i]
                    i += 1
            setattr(inv, _VALUED[name], value)
            inv.given.add(_VALUED[name])
            continue
        raise UsageError(f"unknown option {arg}")
    if inv.output not in ("text", "json"):
        raise UsageError(f"--output must be text or json, not '{inv.output}'")
    return inv


def command_word(argv: Sequence[str]) -> str | None:
    """The first word of a command line that is not an option or an option's value."""
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or _is_number(arg):
            return arg
        name, eq, _ = arg.partition("=")
        if name in _VALUED and not eq and name not in _OPTIONAL_VALUE:
            i += 1
    return None


def pair(word: str) -> tuple[str, str]:
    name, eq, value = word.partition("=")
    if not eq or not name:
        raise UsageError(f"'{word}' is not name=value")
    return name, value


def pairs(words: Iterable[str]) -> tuple[tuple[str, str], ...]:
    return tuple(pair(w) for w in words)


def need(words: Sequence[str], count: int, what: str) -> None:
    if len(words) < count:
        raise UsageError(f"missing {what}")


def no_more(words: Sequence[str], after: str) -> None:
    if words:
        raise UsageError(f"unexpected '{words[0]}' after {after}")


# -- output ------------------------------------------------------------------------------------
def to_data(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if isinstance(value, Report):
            return report_data(value)
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


def report_data(report: Report) -> dict[str, Any]:
    return {"code": report.code, "severity": report.severity.value,
            "fields": dict(report.fields), "message": render_report(report)}


def print_json(data: Any) -> None:
    json.dump(to_data(data), sys.stdout, indent=1)
    sys.stdout.write("\n")


def print_reports(found: Iterable[Report]) -> None:
    for report in found:
        sys.stderr.write(render_report(report) + "\n")


def show_forced(env: CibEnvironment) -> None:
    """The errors a file was read despite, and that it does not exist yet, on stderr."""
    from vigil.commands.env import FileEnvironment

    if isinstance(env, FileEnvironment):
        print_reports(r for r in env.warnings
                      if r in env.forced or r.code == "CIB_FILE_NEW")


def print_lines(lines: Iterable[str]) -> None:
    text = "\n".join(lines)
    if text:
        sys.stdout.write(text + "\n")


def finish(inv: Invocation, applied: Applied) -> int:
    """The result of an editing command: its reports (or JSON), exit 0."""
    if inv.json:
        v = applied.cib.version
        print_json({"changed": applied.changed,
                    "version": [v.admin_epoch, v.epoch, v.num_updates],
                    "reports": [report_data(r) for r in applied.reports]})
    else:
        print_reports(applied.reports)
    return EXIT_OK


def failed(inv: Invocation, error: ReportError) -> int:
    """Exit status for a command that raised: 1 for the machine or cluster, 2 otherwise."""
    errors = [r for r in error.reports if r.severity is Severity.ERROR]
    if inv.json:
        print_json({"error": True, "reports": [report_data(r) for r in error.reports]})
    print_reports(error.reports)
    if not errors:
        return EXIT_OK
    return EXIT_RUNTIME if any(r.code in RUNTIME_CODES for r in errors) else EXIT_USAGE
