"""CIB files on disk: load with every check, save atomically.

`load_cib_file` returns a CIB only if it has no errors (Pacemaker's schema, the reader's, bad
scores, validation); otherwise it raises `ReportError` with all of them, so a caller never acts
on half a CIB. With `force`, the errors a CIB can be read despite (the schema's, validation's)
come back as warnings instead, so that a broken file can be shown and repaired.
`save_cib_file` checks the text it is about to write against the same schema, then replaces
the file atomically: a reader (or a crash) sees the old file or the new one, never a mix, and
once it returns the new content and its name are on disk. A symbolic link is followed: the
file it points to is replaced, the link stays.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from vigil.cib import document, read, schema, validate, write
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError, Severity

StrPath = str | os.PathLike[str]
# What tells two findings apart regardless of severity: a forced error is the same finding
# as the warning it became.
FindingKey = tuple[str, tuple[tuple[str, str], ...]]


def finding(report: Report) -> FindingKey:
    return report.code, report.fields


def as_warning(report: Report) -> Report:
    return dataclasses.replace(report, severity=Severity.WARNING, forceable=False)


def empty_cib() -> Cib:
    """The CIB `cibadmin --empty` (and so pcs, for a `-f` file that does not exist) starts
    from: empty sections, validate-with the newest schema installed."""
    cib, _ = read.parse_cib(schema.empty_cib_xml(schema.newest()))
    return cib


@dataclasses.dataclass(frozen=True)
class Loaded:
    cib: Cib
    warnings: tuple[Report, ...]
    forced: tuple[Report, ...]  # the errors `force` let through, as warnings


def load_cib_file(path: StrPath, *, force: bool = False) -> tuple[Cib, tuple[Report, ...]]:
    """The CIB in `path` and the warnings about it (see `read_cib_file`)."""
    loaded = read_cib_file(path, force=force)
    return loaded.cib, loaded.forced + loaded.warnings


def read_cib_file(path: StrPath, *, force: bool = False) -> Loaded:
    """The CIB in `path`, the warnings about it and the errors `force` let through.

    Raises ReportError: CIB_FILE_NOT_FOUND, CIB_FILE_UNREADABLE, CIB_NOT_XML, the reader's
    errors, or the errors of `schema.check`, `validate.validate_xml_scores` and
    `validate.validate` together (these forceable: with `force` they are returned as
    warnings, and the CIB with them).
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ReportError([reports.error("CIB_FILE_NOT_FOUND", path=os.fspath(path))]) from None
    except OSError as exc:
        raise ReportError([reports.error("CIB_FILE_UNREADABLE", path=os.fspath(path),
                                         detail=exc.strerror or str(exc))]) from None
    return read_cib_bytes(data, force=force)


def load_cib_bytes(data: bytes, *, force: bool = False) -> tuple[Cib, tuple[Report, ...]]:
    """The CIB in `data` (a CIB sent over the REST API, say), checked as a file's is."""
    loaded = read_cib_bytes(data, force=force)
    return loaded.cib, loaded.forced + loaded.warnings


def read_cib_bytes(data: bytes, *, force: bool = False) -> Loaded:
    """`read_cib_file` of a document already read."""
    root = document.parse(data)  # one parse: the schema checks the tree the model is read from
    by_schema = schema.check_tree(root)
    scores = validate.validate_xml_scores(root)
    try:
        cib, warnings = read.parse_element(root)
    except ReportError as exc:
        raise ReportError(exc.reports + _errors(by_schema + scores)) from None
    validated = validate.validate(cib)
    found = said_better(by_schema, scores + validated) + scores + validated
    errors = _errors(found)
    others = warnings + tuple(r for r in found if r.severity is not Severity.ERROR)
    if errors and not force:
        raise ReportError(tuple(dataclasses.replace(r, forceable=True) for r in errors))
    return Loaded(cib, others, tuple(as_warning(r) for r in errors))


def said_better(schema_found: tuple[Report, ...],
                 validated: tuple[Report, ...]) -> tuple[Report, ...]:
    """The schema's findings without those vigil's validation reports with more to say: a
    reference to a missing id that a constraint makes (CIB_UNKNOWN_RESOURCE names the
    constraint), an id used twice (CIB_DUPLICATE_ID names the elements), a score that is not
    one (CIB_BAD_SCORE says what a score is)."""
    missing = {r.field("resource") for r in validated if r.code == "CIB_UNKNOWN_RESOURCE"}
    doubled = {r.field("id") for r in validated if r.code == "CIB_DUPLICATE_ID"}
    scores = {r.field("value") for r in validated if r.code == "CIB_BAD_SCORE"}
    return tuple(r for r in schema_found
                 if not (r.code == "CIB_SCHEMA_DANGLING_IDREF" and r.field("id") in missing)
                 and not (r.code == "CIB_SCHEMA_DUPLICATE_ID" and r.field("id") in doubled)
                 and not (r.code == "CIB_SCHEMA_BAD_VALUE" and r.field("attribute") == "score"
                          and r.field("value") in scores))


def _errors(found: Iterable[Report]) -> tuple[Report, ...]:
    return tuple(r for r in found if r.severity is Severity.ERROR)


def check_for_save(cib: Cib, *, tolerated: frozenset[FindingKey] = frozenset()
                   ) -> tuple[bytes, tuple[Report, ...]]:
    """The bytes to write for `cib` and the tolerated errors still in it (as warnings).

    Raises ReportError with the errors (Pacemaker's schema on the very text, and validation)
    that are not `tolerated`: those a forced load accepted, so that repairing a broken file
    never lets an edit add a new error."""
    data = write.write_cib(cib).encode("utf-8")
    validated = validate.validate(cib)
    found = _errors(said_better(schema.check(data), validated) + validated)
    new = tuple(r for r in found if finding(r) not in tolerated)
    if new:
        raise ReportError(new)
    return data, tuple(as_warning(r) for r in found)


def save_cib_file(path: StrPath, cib: Cib, *,
                  tolerated: frozenset[FindingKey] = frozenset()) -> tuple[Report, ...]:
    """Write `cib` to `path` atomically and durably; returns the tolerated errors the CIB still
    has, as warnings.

    A symbolic link is followed and the file it leads to replaced, keeping its mode (0600 for
    a new file) and, where the process may, its owner. The text goes to a temporary file in
    that file's directory, which is flushed and fsynced, then renamed over it; the directory is
    fsynced so the rename survives a crash. A CIB with errors (see `check_for_save`) is
    refused and the file is left untouched.
    Raises ReportError CIB_FILE_READ_ONLY when the file is not writable (no write permission
    bit at all, even for root, who could write it anyway: the mode says it is not to change),
    CIB_FILE_UNWRITABLE when the file system refuses.
    """
    data, remaining = check_for_save(cib, tolerated=tolerated)
    target = Path(os.path.realpath(path))
    try:
        current: os.stat_result | None = target.stat()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        raise ReportError([reports.error("CIB_FILE_UNWRITABLE", path=os.fspath(path),
                                         detail=exc.strerror or str(exc))]) from None
    if current is not None and (not current.st_mode & 0o222
                                or not os.access(target, os.W_OK)):
        raise ReportError([reports.error("CIB_FILE_READ_ONLY", path=os.fspath(path),
                                         mode=f"{stat.S_IMODE(current.st_mode):04o}")])
    directory = target.parent
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        if current is not None:
            os.chmod(tmp_name, stat.S_IMODE(current.st_mode))
            if (current.st_uid, current.st_gid) != (os.geteuid(), os.getegid()):
                # root editing hacluster's file leaves it hacluster's; anyone else cannot
                with contextlib.suppress(PermissionError):
                    os.chown(tmp_name, current.st_uid, current.st_gid)
        os.replace(tmp_name, target)
        tmp_name = None
        _fsync_directory(directory)
    except OSError as exc:
        raise ReportError([reports.error("CIB_FILE_UNWRITABLE", path=os.fspath(path),
                                         detail=exc.strerror or str(exc))]) from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
    return remaining


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
