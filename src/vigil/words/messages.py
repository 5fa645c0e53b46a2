"""English text for the reports of the CIB codec (reading, validating, loading and saving).

Reports are data everywhere else; only the edges (CLI, API, web UI) turn them into words. Each
message says what is wrong and, where there is one, what to do about it. A code without a
message here is rendered as the code and its fields, so a new report is never lost, only plain.
"""

from __future__ import annotations

from collections.abc import Callable

from vigil.model.reports import Report
from vigil.words import fencing_messages, quorum_messages, verify_messages
from vigil.words.command_messages import MESSAGES

_Render = Callable[[Report], str]


def _path(r: Report) -> str:
    path = r.field("path")
    return f" at {path}" if path else ""


def _allowed(text: str) -> str:
    return text if text.startswith("a value of type") else f"one of {text}"


def _did_you_mean(r: Report) -> str:
    suggestion = r.field("suggestion")
    return f" (did you mean '{suggestion}'?)" if suggestion else ""


_CIB: dict[str, _Render] = {
    # reading (vigil.cib.read)
    "CIB_NOT_XML": lambda r: f"the CIB is not well-formed XML ({r.field('detail')})",
    "CIB_WRONG_ROOT": lambda r: (
        f"the document's root element is <{r.field('found')}>, not <cib>: this is not a CIB"),
    "CIB_MISSING_SECTION": lambda r: (
        f"the CIB has no <{r.field('section')}> section: add an empty one"),
    "CIB_BAD_VERSION": lambda r: (
        f"the CIB attribute {r.field('attribute')}='{r.field('value')}' is not an integer"),
    "CIB_MISSING_ATTRIBUTE": lambda r: (
        f"<{r.field('element')}>{_path(r)} has no '{r.field('attribute')}' attribute, "
        "which it requires"),
    "CIB_DANGLING_IDREF": lambda r: (
        f"<{r.field('tag')} id-ref='{r.field('idref')}'> refers to an id that does not exist: "
        "define it or remove the reference"),
    "CIB_BAD_INTERVAL": lambda r: (
        f"operation '{r.field('operation')}'{_path(r)} has interval '{r.field('value')}', "
        "which is not a duration (e.g. 10s, 500ms, 2min, PT10S)"),
    "CIB_EMPTY_GROUP": lambda r: f"group '{r.field('group')}' has no resources: add one or remove it",
    "CIB_MISSING_ELEMENT": lambda r: (
        f"<{r.field('element')}> is required{_path(r)}: add it (the element is ignored)"),
    "CIB_EMPTY_CLONE": lambda r: (
        f"clone '{r.field('clone')}' has no primitive or group to clone: add one or remove it"),
    "CIB_UNKNOWN_ELEMENT": lambda r: (
        f"<{r.field('element')}>{_path(r)} is not understood by vigil; it is kept as is "
        "but ignored"),
    "CIB_UNSUPPORTED_FEATURE": lambda r: (
        f"{r.field('feature')} are not supported by vigil yet{_path(r)}: the configuration is "
        "kept as written, but vigil may not act on it as Pacemaker would"),
    # validation (vigil.cib.validate)
    "CIB_DUPLICATE_ID": lambda r: (
        f"id '{r.field('id')}' is used by more than one element ({r.field('elements')}): "
        "ids must be unique, rename all but one"),
    "CIB_UNKNOWN_RESOURCE": lambda r: (
        f"constraint '{r.field('constraint')}' names resource '{r.field('resource')}', which does "
        "not exist: create it or fix the constraint"),
    "CIB_UNKNOWN_TEMPLATE": lambda r: (
        f"primitive '{r.field('resource')}' is made from template '{r.field('template')}', "
        "which does not exist: define the template or fix the primitive"),
    "CIB_UNKNOWN_TAG_REFERENCE": lambda r: (
        f"tag '{r.field('tag')}' lists '{r.field('id')}', which is not a resource: constraints "
        "naming the tag leave it out"),
    "CIB_UNKNOWN_NODE": lambda r: (
        f"location constraint '{r.field('constraint')}' names node '{r.field('node')}', which is "
        "not in the cluster: the constraint has no effect until such a node joins"),
    "CIB_BAD_SCORE": lambda r: (
        f"<{r.field('element')} id='{r.field('id')}'> has score '{r.field('value')}', which is "
        "not a score: use an integer, INFINITY or -INFINITY"),
    # Pacemaker's schema (vigil.cib.schema)
    "CIB_SCHEMA_UNKNOWN": lambda r: (
        f"validate-with='{r.field('value')}' names no schema installed in "
        f"{r.field('directory')}: set validate-with to a Pacemaker schema such as "
        f"'{r.field('newest')}' (the newest installed)"),
    "CIB_SCHEMA_UNKNOWN_ELEMENT": lambda r: (
        f"<{r.field('element')}>{_path(r)} is not an element {r.field('schema')} allows in "
        f"<{r.field('parent')}>{_did_you_mean(r)}: remove it or correct its name"),
    "CIB_SCHEMA_UNKNOWN_ATTRIBUTE": lambda r: (
        f"<{r.field('element')}>{_path(r)} has attribute '{r.field('attribute')}', which "
        f"{r.field('schema')} does not allow there{_did_you_mean(r)}: remove it or correct "
        "its name"),
    "CIB_SCHEMA_BAD_VALUE": lambda r: (
        f"<{r.field('element')}>{_path(r)} has {r.field('attribute')}='{r.field('value')}', "
        f"which {r.field('schema')} does not accept"
        + (f": use {_allowed(r.field('allowed'))}" if r.field("allowed") else
           " there (a wrong value, or an attribute the element's other content excludes): "
           "correct it")),
    "CIB_SCHEMA_MISSING_ELEMENT": lambda r: (
        f"the element{_path(r)} needs a <{r.field('element')}> (or another element "
        f"{r.field('schema')} requires there): add it"),
    "CIB_SCHEMA_INVALID": lambda r: (
        f"the CIB does not follow Pacemaker's schema {r.field('schema')}{_path(r)} "
        f"(libxml2: {r.field('detail')}): correct the element there"),
    "CIB_SCHEMA_DANGLING_IDREF": lambda r: (
        f"attribute {r.field('attribute')}='{r.field('id')}' refers to an id that no element "
        "of the CIB has: create it or correct the reference"),
    "CIB_SCHEMA_DUPLICATE_ID": lambda r: (
        f"id '{r.field('id')}' is used by more than one element: ids must be unique, rename "
        "all but one"),
    "CIB_SCHEMA_VALIDATION_DISABLED": lambda r: (
        "validate-with='none' turns schema validation off: set it to a Pacemaker schema "
        "(pacemaker-3.x) so that mistakes are caught before the cluster acts on them"),
    "CIB_SCHEMAS_NOT_INSTALLED": lambda r: (
        f"Pacemaker's schemas are not installed in {r.field('directory')} (package "
        "pacemaker-common): the CIB was not checked against them"),
    # files (vigil.cib.io)
    "CIB_FILE_NOT_FOUND": lambda r: f"CIB file '{r.field('path')}' does not exist",
    "CIB_FILE_NEW": lambda r: (
        f"CIB file '{r.field('path')}' does not exist: this is an empty CIB, which the first "
        "change writes there"),
    "CIB_FILE_READ_ONLY": lambda r: (
        f"CIB file '{r.field('path')}' is read-only (mode {r.field('mode')}): the file is "
        "unchanged; make it writable (chmod u+w) or give another file"),
    "CIB_FILE_UNREADABLE": lambda r: (
        f"CIB file '{r.field('path')}' cannot be read: {r.field('detail')}"),
    "CIB_FILE_UNWRITABLE": lambda r: (
        f"CIB file '{r.field('path')}' cannot be written: {r.field('detail')}; "
        "the file is unchanged"),
    "RESOURCE_NOT_FOUND": lambda r: (
        f"resource '{r.field('resource')}' does not exist (known: {r.field('suggestions')})"),
    "BAD_TIME": lambda r: (
        f"'{r.field('value')}' is not a time: give an ISO 8601 date such as 2024-05-07T00:28:00 "
        "or seconds since the epoch"),
}


# The messages of the domains that keep their own files.
_DOMAINS: dict[str, _Render] = {**verify_messages.MESSAGES, **quorum_messages.MESSAGES,
                                **fencing_messages.MESSAGES}


def render_report(report: Report) -> str:
    """One line: the severity, then the message (or the code and fields if it has none)."""
    render = _CIB.get(report.code) or MESSAGES.get(report.code) or _DOMAINS.get(report.code)
    if render is not None:
        text = render(report)
    else:
        fields = ", ".join(f"{k}={v!r}" for k, v in report.fields)
        text = f"{report.code} ({fields})" if fields else report.code
    if report.forceable:
        text += " (use --force to override)"
    return f"{report.severity.value}: {' '.join(text.splitlines())}"
