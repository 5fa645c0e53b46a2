"""CIB files on disk: load with every check, save atomically.

`load_cib_file` returns a CIB only if it has no errors (the reader's, bad scores, validation);
otherwise it raises `ReportError` with all of them, so a caller never acts on half a CIB.
`save_cib_file` replaces the file atomically: a reader (or a crash) sees the old file or the new
one, never a mix, and once it returns the new content and its name are on disk.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from vigil.cib import read, validate, write
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError, Severity

StrPath = str | os.PathLike[str]


def load_cib_file(path: StrPath) -> tuple[Cib, tuple[Report, ...]]:
    """The CIB in `path` and the warnings about it.

    Raises ReportError: CIB_FILE_NOT_FOUND, CIB_FILE_UNREADABLE, CIB_NOT_XML, or the errors of
    the reader, of `validate.validate_xml_scores` and of `validate.validate` together.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ReportError([reports.error("CIB_FILE_NOT_FOUND", path=os.fspath(path))]) from None
    except OSError as exc:
        raise ReportError([reports.error("CIB_FILE_UNREADABLE", path=os.fspath(path),
                                         detail=exc.strerror or str(exc))]) from None
    try:
        # Bytes, so that the parser honours the file's own encoding declaration.
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ReportError([reports.error("CIB_NOT_XML", detail=str(exc))]) from None
    score_errors = validate.validate_xml_scores(root)
    try:
        cib, warnings = read.parse_element(root)
    except ReportError as exc:
        raise ReportError(exc.reports + score_errors) from None
    checked = validate.validate(cib)
    errors = score_errors + tuple(r for r in checked if r.severity is Severity.ERROR)
    if errors:
        raise ReportError(errors)
    return cib, warnings + tuple(r for r in checked if r.severity is not Severity.ERROR)


def save_cib_file(path: StrPath, cib: Cib) -> None:
    """Write `cib` to `path` atomically and durably.

    The text goes to a temporary file in the same directory, which is flushed and fsynced, then
    renamed over `path`; the directory is fsynced so the rename survives a crash. A CIB with
    validation errors is refused (ReportError with those errors) and the file is left untouched.
    The new file keeps the mode of the file it replaces (0600 for a new file).
    Raises ReportError CIB_FILE_UNWRITABLE when the file system refuses.
    """
    errors = tuple(r for r in validate.validate(cib) if r.severity is Severity.ERROR)
    if errors:
        raise ReportError(errors)
    target = Path(path)
    data = write.write_cib(cib).encode("utf-8")
    directory = target.parent
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp_name, target.stat().st_mode & 0o7777)
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


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
