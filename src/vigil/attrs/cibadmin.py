"""cibadmin: only what agents ask of it, `-Q/--query` (with `-o/--scope SECTION`, `-l/--local`):
the CIB as the local vigild holds it, configuration and status (ocf-shellfuncs'
crm_mon_no_validation pipes it into crm_mon). Any other command: one line, exit 3.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from vigil.attrs.common import Arg, Exit, Opt, ToolError, answer, main, parse
from vigil.daemon import control as c

PROG = "cibadmin"

_SCOPES = ("configuration", "nodes", "resources", "constraints", "crm_config", "rsc_defaults",
           "op_defaults", "acls", "fencing-topology", "tags", "alerts", "status")
_OTHER_COMMANDS = "uEBCMPRDd5a6"

OPTS = (
    Opt("query", "Q", ("query",)),
    Opt("scope", "o", ("scope",), Arg.REQUIRED),
    Opt("local", "l", ("local",)),
    Opt("sync", "s", ("sync-call",)),
    Opt("timeout", "t", ("timeout",), Arg.REQUIRED),
    Opt("verbose", "V", ("verbose",)),
    Opt("help", "?", ("help",)),
    Opt("version", "$", ("version",)),
    *(Opt("other", ch) for ch in _OTHER_COMMANDS),
    *(Opt("other", None, (name,)) for name in (
        "upgrade", "erase", "bump", "create", "modify", "patch", "replace", "delete",
        "delete-all", "empty", "md5-sum", "md5-sum-versioned")),
)


def run(argv: Sequence[str]) -> int:
    found, words = parse(PROG, argv, OPTS)
    keys = dict(found)
    if "help" in keys:
        print("cibadmin - query the configuration (vigil's, for resource agents)\n"
              "Usage: cibadmin -Q [-o SECTION]")
        return int(Exit.OK)
    if "version" in keys:
        print("Pacemaker 2.1.5 (vigil)")
        return int(Exit.OK)
    if words:
        raise ToolError(f"{PROG}: unexpected argument '{words[0]}'", Exit.USAGE)
    if "other" in keys or "query" not in keys:
        raise ToolError(f"{PROG}: only -Q/--query is provided by vigil's {PROG} (change the "
                        "configuration with vigil)", Exit.UNIMPLEMENT_FEATURE)
    xml = answer(PROG, c.GetCib()).xml
    scope = keys.get("scope")
    if scope is None:
        print(xml.rstrip("\n"))
        return int(Exit.OK)
    if scope not in _SCOPES:
        raise ToolError(f"{PROG}: invalid --scope '{scope}' (use one of {', '.join(_SCOPES)})",
                        Exit.USAGE)
    root = ET.fromstring(xml)
    section = root.find(scope) if scope in ("configuration", "status") else root.find(
        f"configuration/{scope}")
    if section is None:
        raise ToolError(f"{PROG}: Call cib_query failed (-6): No such device or address",
                        Exit.NOSUCH)
    ET.indent(section)
    print(ET.tostring(section, encoding="unicode").rstrip("\n"))
    return int(Exit.OK)


if __name__ == "__main__":
    sys.exit(main(PROG, run))
