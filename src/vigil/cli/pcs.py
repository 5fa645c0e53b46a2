"""The commands with pcs's grammar, which edit a CIB file (`-f FILE`) or the running cluster.

`main` sends a command line here when its command word is one of `COMMANDS` (in any case:
`vigil Property set ...` works as the seed blogs type it).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from vigil.cli import (
    acl_cli,
    alert_cli,
    args,
    cluster_cli,
    constraint_cli,
    host_cli,
    quorum_cli,
    resource_cli,
    tag_cli,
    ticket_cli,
    verify_cli,
)
from vigil.cli.args import Invocation, UsageError
from vigil.model.reports import ReportError

Handler = Callable[[Invocation], int]
_P = TypeVar("_P", bound=argparse.ArgumentParser)

COMMANDS: dict[str, tuple[Handler, str]] = {
    "resource": (resource_cli.run, "create, change, move, clean up and list resources"),
    "stonith": (resource_cli.run_stonith, "create and list fence devices"),
    "constraint": (constraint_cli.run, "location, colocation and order constraints"),
    "property": (cluster_cli.run_property, "set, unset and list cluster properties"),
    "node": (cluster_cli.run_node, "standby, maintenance and node attributes"),
    "config": (cluster_cli.run_config, "the whole configuration as pcs prints it"),
    "cib": (lambda inv: cluster_cli.run_cib(inv, inv.words[1:]), "the CIB (or a section) as XML"),
    "cib-push": (lambda inv: cluster_cli.run_cib_push(inv, inv.words[1:]),
                 "replace the CIB (or with --config its configuration) from a file"),
    "status": (cluster_cli.run_status, "nodes, resources and failures, like crm_mon"),
    "quorum": (quorum_cli.run, "quorum status, expected votes, unblock, the quorum device"),
    "verify": (verify_cli.run, "check the configuration, like crm_verify"),
    "cluster": (cluster_cli.run_cluster, "set up, start, stop and destroy this node's cluster; "
                "cib and cib-push"),
    "host": (host_cli.run, "authenticate to other nodes' endpoints (for --host NODE)"),
    "ticket": (ticket_cli.run, "grant, revoke, standby and list tickets (like crm_ticket)"),
    "tag": (tag_cli.run, "name lists of resources, usable in constraints"),
    "alert": (alert_cli.run, "agents run on node, resource and fencing events, and recipients"),
    "acl": (acl_cli.run, "access control lists: roles, permissions, users and groups"),
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
    for name, (_handler, text) in COMMANDS.items():
        sub.add_parser(name, help=f"{text} [-f FILE]", add_help=False)


def run(argv: Sequence[str]) -> int:
    inv = Invocation(words=[])
    try:
        inv = args.parse(argv)
        word = inv.words[0].lower()
        inv.words[0] = word
        handler, _text = COMMANDS[word]
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
