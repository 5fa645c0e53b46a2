"""`vigil cluster cib-upgrade` (pcs; cibadmin --upgrade): move the CIB to the newest schema
installed here, once the CIB is valid against it, so that newer syntax may be used."""

from __future__ import annotations

import dataclasses

from vigil.cib import schema
from vigil.cib.write import write_cib
from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError, Severity


def upgrade(env: CibEnvironment) -> Applied:
    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        newest = schema.newest()
        if newest is None:
            raise ReportError([reports.error("CIB_NO_SCHEMAS", where=str(schema.schema_dir()))])
        if cib.validate_with == newest:
            return cib, [reports.info("CIB_ALREADY_NEWEST", schema=newest)]
        new = dataclasses.replace(cib, validate_with=newest)
        problems = [r for r in schema.check(write_cib(new)) if r.severity is Severity.ERROR]
        if problems:  # the newer schema refuses something the older one took: say what
            raise ReportError(problems)
        return new, [reports.info("CIB_UPGRADED", old=cib.validate_with or "none", new=newest)]

    return edit.apply(env, change)
