"""crm_mon for resource agents (redis, pgsql read roles and nodes from `crm_mon -1 --output-as
xml`): Pacemaker's own crm_mon, run on a CIB file. It works offline on a file (CIB_file), so
the status it shows is the local vigild's CIB, the same one `cibadmin -Q` gives:

- with CIB_file set (ocf-shellfuncs' crm_mon_no_validation), Pacemaker's crm_mon is run on it;
- without, the local vigild's CIB is written to a private temporary file and crm_mon is run
  with CIB_file pointing at it.

Pacemaker's crm_mon is found at $VIGIL_CRM_MON or /usr/sbin/crm_mon; when it is not installed,
one line and exit 69 (CRM_EX_UNAVAILABLE): use `vigil status`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence

from vigil.attrs.common import Exit, ToolError, answer, main
from vigil.commands import status_xml
from vigil.daemon import control as c

PROG = "crm_mon"


def real_crm_mon() -> str:
    path = status_xml.real_crm_mon()
    if path is None:
        where = os.environ.get(status_xml.REAL_ENV) or status_xml.REAL_DEFAULT
        raise ToolError(f"{PROG}: Pacemaker's crm_mon is not installed at {where} (vigil's own "
                        "status is 'vigil status')", Exit.UNAVAILABLE)
    return path


def run(argv: Sequence[str]) -> int:
    real = real_crm_mon()
    # a child, not an exec, in both cases: in vigild's tool host the process that runs a tool
    # reports its exit code to the caller after the tool returns (vigil.attrs.toolhost). It
    # keeps the caller's descriptors: CIB_file may be a pipe, `<(cibadmin -Q | sed ...)`, as
    # ocf-shellfuncs' crm_mon_no_validation gives it
    if os.environ.get("CIB_file"):  # noqa: SIM112 - Pacemaker's name
        return subprocess.run([real, *argv], check=False, close_fds=False).returncode
    xml = answer(PROG, c.GetCib()).xml
    with tempfile.TemporaryDirectory(prefix="vigil-crm_mon-") as tmp:
        path = os.path.join(tmp, "cib.xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        env = {**os.environ, "CIB_file": path}
        return subprocess.run([real, *argv], env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(PROG, run))
