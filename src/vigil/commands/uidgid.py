"""`vigil cluster uidgid [add|delete] [uid=UID] [gid=GID]` (pcs's): the users and groups that
Corosync lets use its IPC without being root, one file each in /etc/corosync/uidgid.d, read by
Corosync when it starts or reloads (corosync-cfgtool -R)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vigil.clusterconf import conf_tree
from vigil.commands.localnode import LocalNode
from vigil.host.atomic import write_atomic
from vigil.model import reports
from vigil.model.reports import ReportError

UIDGID_DIR = "/etc/corosync/uidgid.d"
PREFIX = "vigil-uidgid-"  # the files this command writes (pcs writes pcs-uidgid-...)
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


@dataclass(frozen=True)
class UidGid:
    uid: str | None
    gid: str | None
    file: str


def entries(host: LocalNode) -> tuple[UidGid, ...]:
    """Every uidgid section of every file of the directory (ours and others')."""
    out = []
    directory = host.path(UIDGID_DIR)
    for path in sorted(directory.iterdir()) if directory.is_dir() else ():
        try:
            root = conf_tree.parse(path.read_text())
        except (OSError, UnicodeDecodeError, ReportError):
            continue
        for section in root.sections("uidgid"):
            out.append(UidGid(section.get("uid"), section.get("gid"), path.name))
    return tuple(out)


def _checked(uid: str | None, gid: str | None) -> None:
    if uid is None and gid is None:
        raise ReportError([reports.error("UIDGID_NOTHING_GIVEN")])
    for key, value in (("uid", uid), ("gid", gid)):
        if value is not None and not _NAME.fullmatch(value):
            raise ReportError([reports.error("UIDGID_BAD_VALUE", key=key, value=value)])


def add(host: LocalNode, uid: str | None, gid: str | None) -> UidGid:
    _checked(uid, gid)
    if any(e.uid == uid and e.gid == gid for e in entries(host)):
        raise ReportError([reports.error("UIDGID_EXISTS", uid=uid or "-", gid=gid or "-")])
    name = f"{PREFIX}{uid or ''}-{gid or ''}"
    body = "uidgid {\n" + "".join(f"    {k}: {v}\n" for k, v in (("uid", uid), ("gid", gid))
                                  if v is not None) + "}\n"
    write_atomic(host.path(f"{UIDGID_DIR}/{name}"), body.encode(), 0o644)
    return UidGid(uid, gid, name)


def delete(host: LocalNode, uid: str | None, gid: str | None) -> tuple[UidGid, ...]:
    """Remove the files holding exactly this uid and gid (and nothing else)."""
    _checked(uid, gid)
    found = [e for e in entries(host) if e.uid == uid and e.gid == gid]
    if not found:
        raise ReportError([reports.error("UIDGID_NOT_FOUND", uid=uid or "-", gid=gid or "-")])
    for e in found:
        others = [x for x in entries(host) if x.file == e.file and x != e]
        if others:  # a file of several sections is not ours to cut: said, not touched
            raise ReportError([reports.error("UIDGID_SHARED_FILE", file=e.file)])
        host.path(f"{UIDGID_DIR}/{e.file}").unlink()
    return tuple(found)
