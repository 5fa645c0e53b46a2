"""`vigil verify`: check a configuration like crm_verify, and say what to do about each finding.

Exit status: 0 when there are no errors (warnings allowed), 2 when there are errors (the
configuration is not valid), 1 when the cluster or a file cannot be reached at all.
"""

from __future__ import annotations

from vigil.cli import args
from vigil.cli.args import EXIT_OK, EXIT_USAGE, Invocation, UsageError
from vigil.commands import quorum, verify
from vigil.commands.verify import Verification
from vigil.model.reports import Severity
from vigil.words.messages import render_report

USAGE = """\
usage: vigil verify [-f FILE] [--output json] [-V] [--corosync_conf PATH]
Checks the CIB (of FILE, or of the running cluster) like crm_verify: errors (what Pacemaker
rejects) and warnings (what loses data or service when something fails), each with what to do
instead. -V also shows the informational findings. corosync.conf (default
/etc/corosync/corosync.conf) is read, when it exists, for two_node and a quorum device.
Exit status: 0 without errors (warnings allowed), 2 with errors, 1 if nothing could be read."""


def run(inv: Invocation) -> int:
    if inv.help:
        print(USAGE)
        return EXIT_OK
    if inv.force:  # -f lets --force through for the commands that edit: verify changes nothing
        raise UsageError("option --force is not supported by this command")
    inv.only("verbose", "full", "corosync_conf")
    args.no_more(inv.words[1:], "verify")
    corosync_conf = quorum.conf_path(inv.corosync_conf)
    if inv.file is not None:
        result = verify.verify_file(inv.file, corosync_conf=corosync_conf)
    else:
        result = verify.verify_env(inv.env(), corosync_conf=corosync_conf)
    if inv.json:
        args.print_json({"source": result.source, "corosync_conf": result.corosync_conf,
                         "valid": result.valid, "errors": result.errors,
                         "warnings": result.warnings,
                         "reports": [args.report_data(r) for r in result.reports]})
    else:
        args.print_lines(lines(result, verbose=inv.verbose or inv.full))
    return EXIT_OK if result.valid else EXIT_USAGE


def lines(result: Verification, *, verbose: bool) -> list[str]:
    shown = [r for r in result.reports if verbose or r.severity is not Severity.INFO]
    out = [render_report(r) for r in shown]
    hidden = len(result.reports) - len(shown)
    if result.errors:
        out.append("Errors found during check: config not valid")
    elif result.warnings:
        out.append("Warnings found during check: config may not be valid")
    elif verbose:
        out.append(f"{result.source}: no problems found")
    if hidden:
        out.append(f"  ({hidden} informational finding{'s' if hidden > 1 else ''} not shown: "
                   "-V shows them)")
    return out
