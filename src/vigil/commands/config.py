"""The whole configuration: as XML (`cib [SECTION]`), pushed back (`cib-push`), and as data
for the pcs-like `config` text.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from vigil.cib import write
from vigil.cib.io import load_cib_file
from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError

SECTIONS = ("configuration", "crm_config", "nodes", "resources", "constraints", "rsc_defaults",
            "op_defaults", "fencing-topology", "tags", "acls", "alerts", "status")


def cib(env: CibEnvironment) -> Cib:
    return env.get_cib()


def cib_xml(env: CibEnvironment, section: str | None = None) -> str:
    """The CIB as XML, or one section of it (an empty element for a section not present)."""
    if section is not None and section not in SECTIONS:
        raise ReportError([reports.error("CIB_SECTION_UNKNOWN", section=section,
                                         known=", ".join(SECTIONS))])
    root = write.cib_element(env.get_cib())
    element: ET.Element = root
    if section == "configuration" or section == "status":
        found = root.find(section)
        element = found if found is not None else ET.Element(section)
    elif section is not None:
        found = root.find(f"configuration/{section}")
        element = found if found is not None else ET.Element(section)
    text = ET.tostring(_reindented(element), encoding="unicode")
    return text + "\n"


def save_cib_xml(env: CibEnvironment, path: str, section: str | None = None) -> Report:
    """pcs's `cluster cib FILE`: the CIB (or a section) written to FILE, atomically (0644);
    what was done, as a report. A file that cannot be written is an error and stays as it
    was."""
    from vigil.host.atomic import write_atomic

    text = cib_xml(env, section)
    target = Path(path)
    if target.is_dir():
        raise ReportError([reports.error("CIB_FILE_UNWRITABLE", path=path,
                                         detail="it is a directory")])
    if not target.resolve().parent.is_dir():  # pcs makes no directories: neither does vigil
        raise ReportError([reports.error("CIB_FILE_UNWRITABLE", path=path,
                                         detail=f"no directory {target.parent}")])
    try:
        write_atomic(target.resolve(), text.encode(), 0o644)
    except OSError as exc:
        raise ReportError([reports.error("CIB_FILE_UNWRITABLE", path=path,
                                         detail=exc.strerror or str(exc))]) from None
    return reports.info("CIB_FILE_WRITTEN", path=path, section=section or "the whole CIB")


def _reindented(element: ET.Element) -> ET.Element:
    copy = ET.fromstring(ET.tostring(element))
    for el in copy.iter():
        if el.text is not None and not el.text.strip():
            el.text = None
        if el.tail is not None and not el.tail.strip():
            el.tail = None
    ET.indent(copy, "  ")
    return copy


def cib_push(env: CibEnvironment, path: str, *, config_only: bool = False) -> Applied:
    """Replace the CIB (or with `config_only` just its configuration) by the one in a file.

    The file is read and validated like any CIB first: if anything is wrong with it, nothing
    changes. A whole CIB older than the current one (a lower admin_epoch/epoch) is refused, as
    the cluster would refuse it."""
    if not Path(path).exists():
        raise ReportError([reports.error("PUSH_FILE_NOT_FOUND", path=path)])
    pushed, warnings = load_cib_file(path)
    return push(env, pushed, warnings, config_only=config_only)


def push(env: CibEnvironment, pushed: Cib, warnings: Sequence[Report], *,
         config_only: bool = False) -> Applied:
    """Replace the CIB (or its configuration) by `pushed`, already read and checked
    (`cib_push` from a file, the REST API from a request)."""

    def change(current: Cib) -> tuple[Cib, list[Report]]:
        out: list[Report] = list(warnings)
        if config_only:
            return dataclasses.replace(current, configuration=pushed.configuration), out
        old, new = current.version, pushed.version
        if (new.admin_epoch, new.epoch) < (old.admin_epoch, old.epoch):
            raise ReportError([reports.error(
                "CIB_PUSH_OLDER", pushed=new.dotted(), current=old.dotted())])
        return dataclasses.replace(pushed, version=max(old, new, key=lambda v: v.as_tuple())), out

    return edit.apply(env, change)
