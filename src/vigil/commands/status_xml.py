"""`vigil status xml`: crm_mon's XML (`crm_mon --one-shot --inactive --output-as xml`), so that
the tools that read it (monitoring checks, scripts, agents) read vigil's cluster unchanged.

It is Pacemaker's own crm_mon run on a copy of the CIB (CIB_file): the format is crm_mon's by
construction, not an imitation. Pacemaker's crm_mon (pacemaker-cli-utils, which vigil's install
brings) is found at $VIGIL_CRM_MON or /usr/sbin/crm_mon.
"""

from __future__ import annotations

import os
import subprocess
import tempfile

from vigil.cib.write import write_cib
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.reports import ReportError

REAL_ENV = "VIGIL_CRM_MON"
REAL_DEFAULT = "/usr/sbin/crm_mon"
TIMEOUT_S = 60


def real_crm_mon() -> str | None:
    """Pacemaker's crm_mon, or None when it is not installed here."""
    path = os.environ.get(REAL_ENV) or REAL_DEFAULT
    return path if os.access(path, os.X_OK) else None


def crm_mon_xml(env: CibEnvironment) -> str:
    real = real_crm_mon()
    if real is None:
        raise ReportError([reports.error("CRM_MON_MISSING",
                                         path=os.environ.get(REAL_ENV) or REAL_DEFAULT)])
    xml = write_cib(env.get_cib())
    with tempfile.TemporaryDirectory(prefix="vigil-status-xml-") as tmp:
        path = os.path.join(tmp, "cib.xml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(xml)
        proc = subprocess.run([real, "--one-shot", "--inactive", "--output-as", "xml"],
                              env={**os.environ, "CIB_file": path}, capture_output=True,
                              text=True, timeout=TIMEOUT_S, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise ReportError([reports.error("CRM_MON_FAILED", rc=proc.returncode,
                                         detail=(proc.stderr.strip() or proc.stdout.strip())[-300:])])
    return proc.stdout
