"""The commands with pcs's grammar, which edit a CIB file (`-f FILE`) or the running cluster.

`main` sends a command line here when its command word is one of `COMMANDS` (in any case:
`vigil Property set ...` works as the seed blogs type it).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from vigil.cli import args
from vigil.cli.args import Invocation, UsageError
from vigil.model.reports import ReportError

Handler = Callable[[Invocation], int]
_P = TypeVar("_P", bound=argparse.ArgumentParser)


@dataclass(frozen=True)
class Command:
    """A pcs-grammar command: the module and function that run it, and its line of help.

    Named rather than imported, so that a command line loads only the module of its own
    command: importing every command's module costs more than `vigil simulate` on a small CIB
    takes (they bring the commands, the daemon's client, the fencer's agents...)."""

    module: str  # under vigil.cli
    function: str
    help: str

    def handler(self) -> Handler:
        handler: Handler = getattr(importlib.import_module(f"vigil.cli.{self.module}"),
                                   self.function)
        return handler


COMMANDS: dict[str, Command] = {
    "resource": Command("resource_cli", "run", "create, change, move, clean up and list resources"),
    "stonith": Command("resource_cli", "run_stonith", "create and list fence devices"),
    "constraint": Command("constraint_cli", "run", "location, colocation and order constraints"),
    "property": Command("cluster_cli", "run_property", "set, unset and list cluster properties"),
    "node": Command("cluster_cli", "run_node", "standby, maintenance and node attributes"),
    "config": Command("cluster_cli", "run_config", "the whole configuration as pcs prints it"),
    "cib": Command("cluster_cli", "run_cib_words", "the CIB (or a section) as XML"),
    "cib-push": Command("cluster_cli", "run_cib_push_words",
                        "replace the CIB (or with --config its configuration) from a file"),
    "status": Command("cluster_cli", "run_status", "nodes, resources and failures, like crm_mon"),
    "quorum": Command("quorum_cli", "run",
                      "quorum status, expected votes, unblock, the quorum device"),
    "qdevice": Command("qdevice_cli", "run",
                       "corosync-qnetd on this machine: the quorum device's server"),
    "verify": Command("verify_cli", "run", "check the configuration, like crm_verify"),
    "cluster": Command("cluster_cli", "run_cluster",
                       "set up, start, stop and destroy this node's cluster; cib and cib-push"),
    "host": Command("host_cli", "run", "authenticate to other nodes' endpoints (for --host NODE)"),
    "pcsd": Command("cluster_cli", "run_pcsd", "pcs's name for the nodes' remote endpoints: "
                    "status"),
    "ticket": Command("ticket_cli", "run", "grant, revoke, standby and list tickets (like crm_ticket)"),
    "tag": Command("tag_cli", "run", "name lists of resources, usable in constraints"),
    "alert": Command("alert_cli", "run",
                     "agents run on node, resource and fencing events, and recipients"),
    "acl": Command("acl_cli", "run", "access control lists: roles, permissions, users and groups"),
}

# What `--host NODE` may run: the commands whose every effect is a control request to vigild
# (the CIB, attributes, cleanup, fencing), which the node's endpoint forwards. The others act on
# this machine's files, daemons or Corosync and are refused rather than run here by mistake.
REMOTE_COMMANDS = frozenset({"resource", "stonith", "constraint", "property", "node", "config",
                             "cib", "cib-push", "status", "verify", "ticket", "alert", "tag",
                             "acl"})


def handles(argv: Sequence[str]) -> bool:
    word = args.command_word(argv)
    return word is not None and word.lower() in COMMANDS


def register_help(sub: argparse._SubParsersAction[_P]) -> None:
    """List the pcs-grammar commands in `vigil --help` (they are parsed here, not there)."""
    for name, command in COMMANDS.items():
        sub.add_parser(name, help=f"{command.help} [-f FILE]", add_help=False)


def run(argv: Sequence[str]) -> int:
    inv = Invocation(words=[])
    try:
        inv = args.parse(argv)
        word = inv.words[0].lower()
        inv.words[0] = word
        handler = COMMANDS[word].handler()
        if inv.host is not None:
            if word not in REMOTE_COMMANDS:
                raise UsageError(f"--host is not supported by '{word}': run it on the node "
                                 f"(--host runs {', '.join(sorted(REMOTE_COMMANDS))})")
            if inv.file is not None:
                raise UsageError("-f and --host exclude each other: a CIB file is edited here")
            if inv.watch:
                raise UsageError("--watch follows this node's events: it does not apply with "
                                 "--host")
        return handler(inv)
    except UsageError as exc:
        word = inv.words[0] if inv.words else ""
        sys.stderr.write(f"error: {exc} (see 'vigil {word} --help')\n".replace("vigil  ",
                                                                            "vigil "))
        return args.EXIT_USAGE
    except ReportError as exc:
        return args.failed(inv, exc)
    except BrokenPipeError:
        return args.EXIT_OK
