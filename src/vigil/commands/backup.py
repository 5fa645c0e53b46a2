"""`vigil config backup [FILE]` and `vigil config restore [--local] [FILE]` (pcs's): the cluster's
configuration in one tarball (bzip2), and put back.

A backup holds corosync.conf, Corosync's authkey, cluster.json, /etc/corosync/uidgid.d's files
and the CIB's configuration (the running cluster's, or a CIB file's), and a manifest
(vigil-backup.json: when, where, what). It holds the authkey: the file is written 0600.

A restore checks the whole tarball first (a manifest of this format, only those paths, regular
files, sizes within bounds): one that does not read changes nothing. It is refused on a node
whose cluster runs (stop it first, as pcs requires); the CIB is saved through vigild's own
store, so the configuration it replaces stays as a checkpoint (`vigil config checkpoint`).
"""

from __future__ import annotations

import io
import json
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil import clusterconf
from vigil.cib.io import load_cib_bytes
from vigil.clusterconf import NodeFile
from vigil.commands import cluster
from vigil.commands.localnode import STATE_DIR, LocalNode
from vigil.daemon.store import FileStore
from vigil.model import reports
from vigil.model.reports import ReportError

MANIFEST = "vigil-backup.json"
FORMAT = 1
CIB_MEMBER = "cib.xml"
UIDGID = "etc/corosync/uidgid.d"
FIXED = {clusterconf.COROSYNC_CONF: 0o644, clusterconf.AUTHKEY: 0o400,
         clusterconf.CLUSTER_JSON: 0o644}
MAX_MEMBER = 64 << 20  # a CIB of 10,000 resources is about 10 MB


@dataclass(frozen=True)
class Backup:
    made: str  # ISO time
    node: str
    files: tuple[NodeFile, ...]  # below /, with their modes
    cib: bytes | None  # the CIB's XML (configuration; the status is the cluster's own)


def collect(host: LocalNode, cib_xml: bytes | None) -> Backup:
    files = []
    for rel, mode in FIXED.items():
        path = host.path("/" + rel)
        if path.is_file():
            files.append(NodeFile(rel, path.read_bytes(), mode))
    uidgid = host.path("/" + UIDGID)
    for path in sorted(uidgid.iterdir()) if uidgid.is_dir() else ():
        if path.is_file():
            files.append(NodeFile(f"{UIDGID}/{path.name}", path.read_bytes(), 0o644))
    if not files and cib_xml is None:
        raise ReportError([reports.error("BACKUP_NOTHING", path=str(host.path("/etc/corosync")))])
    return Backup(cluster.iso_time(time.time()), host.hostname(), tuple(files), cib_xml)


def tarball(backup: Backup) -> bytes:
    out = io.BytesIO()
    manifest = {"format": FORMAT, "made": backup.made, "node": backup.node,
                "files": [f.path for f in backup.files],
                "cib": backup.cib is not None}
    with tarfile.open(fileobj=out, mode="w:bz2") as tar:
        members = [(MANIFEST, json.dumps(manifest, indent=1).encode() + b"\n", 0o644),
                   *((f.path, f.data, f.mode) for f in backup.files)]
        if backup.cib is not None:
            members.append((CIB_MEMBER, backup.cib, 0o600))
        for name, data, mode in members:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def read(data: bytes, source: str) -> Backup:
    """The backup in `data`; BACKUP_UNREADABLE (naming `source`) for anything else."""
    def bad(detail: str) -> ReportError:
        return ReportError([reports.error("BACKUP_UNREADABLE", path=source, detail=detail)])

    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            got: dict[str, tuple[bytes, int]] = {}
            for info in tar.getmembers():
                if not info.isfile():
                    raise bad(f"{info.name} is not a regular file")
                if info.size > MAX_MEMBER:
                    raise bad(f"{info.name} is larger than {MAX_MEMBER >> 20} MiB")
                f = tar.extractfile(info)
                assert f is not None
                got[info.name] = (f.read(), info.mode)
    except tarfile.ReadError:
        raise bad("not a tar archive (bzip2, gzip or plain)") from None
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise bad(str(exc) or type(exc).__name__) from None
    if MANIFEST not in got:
        raise bad(f"no {MANIFEST}: not a vigil config backup")
    try:
        manifest = json.loads(got.pop(MANIFEST)[0])
        if manifest.get("format") != FORMAT:
            raise bad(f"backup format {manifest.get('format')!r}, this vigil reads {FORMAT}")
    except ValueError:
        raise bad(f"{MANIFEST} is not JSON") from None
    cib = got.pop(CIB_MEMBER, (None, 0))[0]
    files = []
    for name, (content, _mode) in sorted(got.items()):
        if name in FIXED:
            files.append(NodeFile(name, content, FIXED[name]))
        elif name.startswith(UIDGID + "/") and "/" not in name[len(UIDGID) + 1:] \
                and name[len(UIDGID) + 1:] not in ("", ".", ".."):
            files.append(NodeFile(name, content, 0o644))
        else:
            raise bad(f"{name} is not a file a backup holds")
    if cib is not None:
        load_cib_bytes(cib, force=True)  # a CIB that does not read at all stops the restore
    return Backup(str(manifest.get("made", "")), str(manifest.get("node", "")), tuple(files),
                  cib)


@dataclass(frozen=True)
class Restored:
    node: str
    written: tuple[str, ...]
    cib: bool


def restore_local(host: LocalNode, backup: Backup) -> Restored:
    """Put the backup's files on this machine; refused while its cluster runs."""
    running = cluster.running_daemons(host)
    if running:
        raise ReportError([reports.error("RESTORE_CLUSTER_RUNNING", node=host.hostname(),
                                         daemons=", ".join(running))])
    try:
        uidgid = host.path("/" + UIDGID)
        if any(f.path.startswith(UIDGID + "/") for f in backup.files) and uidgid.is_dir():
            for old in uidgid.iterdir():  # the directory as it was backed up, not a mix
                if old.is_file():
                    old.unlink()
        clusterconf.write_files(host.path("/"), backup.files)
        if backup.cib is not None:
            cib, _ = load_cib_bytes(backup.cib, force=True)
            store = FileStore(str(host.path(STATE_DIR)))
            store.load()  # so the configuration it replaces is kept as a checkpoint
            store.save(cib)
    except OSError as exc:
        raise ReportError([reports.error("CLUSTER_FILE_UNWRITABLE", path=exc.filename or "",
                                         detail=exc.strerror or str(exc))]) from None
    return Restored(host.hostname(), tuple("/" + f.path for f in backup.files),
                    backup.cib is not None)


def write_backup(path: Path, data: bytes) -> None:
    from vigil.host.atomic import write_atomic

    write_atomic(path, data, 0o600)


def members(backup: Backup) -> Sequence[str]:
    return [f.path for f in backup.files] + ([CIB_MEMBER] if backup.cib is not None else [])
