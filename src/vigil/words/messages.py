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
    # files (vigil.cib.io)
    "CIB_FILE_NOT_FOUND": lambda r: f"CIB file '{r.field('path')}' does not exist",
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
