"""crm_master: the legacy promotion-score command, as Pacemaker 2.1.5's script is: crm_attribute
on `master-$OCF_RESOURCE_INSTANCE` (or `-r RSC`), lifetime forever unless `-l` says otherwise
(agents pass `-l reboot`: ocf_promotion_score, redis). Its options are passed on as they are.

Errors as the script gives them: an unknown option or no resource, one line on stderr, exit 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from vigil.attrs import crm_attribute
from vigil.attrs.common import Arg, Exit, Opt, ToolError, main, parse

PROG = "crm_master"

OPTS = (
    Opt("-V", "V", ("verbose",)), Opt("-q", "q", ("quiet",)), Opt("-G", "G", ("query",)),
    Opt("-D", "D", ("delete",)),
    Opt("-v", "v", ("update",), Arg.REQUIRED), Opt("-N", "N", ("node",), Arg.REQUIRED),
    Opt("-l", "l", ("lifetime",), Arg.REQUIRED), Opt("-i", "i", ("id",), Arg.REQUIRED),
    Opt("resource", "r", ("resource",), Arg.REQUIRED),
    Opt("help", None, ("help",)), Opt("version", None, ("version",)),
    # deprecated, passed on to crm_attribute as they are
    Opt("-Q", "Q"), Opt("--get-value", None, ("get-value",)),
    Opt("--delete-attr", None, ("delete-attr",)),
    Opt("-U", "U", ("uname",), Arg.REQUIRED), Opt("--attr-value", None, ("attr-value",),
                                                  Arg.REQUIRED),
    Opt("--attr-id", None, ("attr-id",), Arg.REQUIRED),
)

USAGE = """Usage: crm_master <command> [<options>]

This command is deprecated. Use crm_attribute with the --promotion option
instead."""


def translate(argv: Sequence[str], environ: Mapping[str, str]) -> list[str] | str:
    """crm_attribute's arguments for this crm_master call, or text to print (--help)."""
    try:
        found, words = parse(PROG, argv, OPTS)
    except ToolError as exc:
        raise ToolError(f"{PROG}: {exc.message.split(': ', 1)[1]}", Exit.ERROR) from None
    if words:
        raise ToolError(f"{PROG}: unexpected argument '{words[0]}'", Exit.ERROR)
    rsc = environ.get("OCF_RESOURCE_INSTANCE", "")
    out = ["--lifetime", "forever"]
    for key, value in found:
        if key == "help":
            return f"crm_master - Query, update, or delete a resource's promotion score\n\n{USAGE}"
        if key == "version":
            return crm_attribute.VERSION
        if key == "resource":
            rsc = value or ""
        else:
            out.append(key)
            if value is not None:
                out.append(value)
    if not rsc:
        raise ToolError("error: No resource specified", Exit.ERROR)
    return ["-n", f"master-{rsc}", *out]


def run(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    args = translate(argv, env)
    if isinstance(args, str):
        print(args)
        return int(Exit.OK)
    return crm_attribute.run(args, env)


if __name__ == "__main__":
    sys.exit(main(PROG, run))
