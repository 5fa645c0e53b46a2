"""`config backup|restore` on a node that is a directory: the tarball made and read back, the
files restored with their modes and the CIB through vigild's store (the one it replaces kept as
a checkpoint); refusals (not a backup, a path a backup never holds, a link, a running cluster)
change nothing."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from vigil.commands import backup, cluster
from vigil.commands.localnode import LocalNode
from vigil.model.reports import ReportError

CIB = b"""<cib validate-with="pacemaker-3.7" epoch="%d" num_updates="0" admin_epoch="0">
<configuration><crm_config/><nodes/><resources/><constraints/></configuration><status/></cib>"""


def node(tmp_path: Path, name: str) -> LocalNode:
    root = tmp_path / name
    for rel, data in (("etc/corosync/corosync.conf", b"totem {\n}\n"),
                      ("etc/corosync/authkey", b"k" * 128),
                      ("etc/vigil/cluster.json", b"{}\n"),
                      ("etc/corosync/uidgid.d/vigil-uidgid-a-", b"uidgid {\n uid: a\n}\n")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return LocalNode(root=root)


def codes(exc: pytest.ExceptionInfo[ReportError]) -> list[str]:
    return [r.code for r in exc.value.reports]


def test_made_read_and_restored(tmp_path: Path) -> None:
    saved = backup.read(backup.tarball(backup.collect(node(tmp_path, "a"), CIB % 7)), "t")
    target = LocalNode(root=tmp_path / "b")
    store = tmp_path / "b/var/lib/vigil"
    store.mkdir(parents=True)
    (store / "cib.xml").write_bytes(CIB % 3)
    (tmp_path / "b/etc/corosync/uidgid.d").mkdir(parents=True)
    (tmp_path / "b/etc/corosync/uidgid.d/stale").write_text("uidgid {\n uid: old\n}\n")
    done = backup.restore_local(target, saved)
    assert done.cib and "/etc/corosync/authkey" in done.written
    assert (tmp_path / "b/etc/corosync/authkey").read_bytes() == b"k" * 128
    assert stat.S_IMODE(os.stat(tmp_path / "b/etc/corosync/authkey").st_mode) == 0o400
    assert not (tmp_path / "b/etc/corosync/uidgid.d/stale").exists()  # as it was backed up
    assert b'epoch="7"' in (store / "cib.xml").read_bytes()
    assert (store / "cib-0.3.0.xml").exists()  # the replaced configuration: a checkpoint


def _tar(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:bz2") as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tar.addfile(info, io.BytesIO(m[1]))
    return out.getvalue()


MANIFEST = ("vigil-backup.json", b'{"format": 1}')


@pytest.mark.parametrize(("data", "said"), [
    (b"not a tarball", "not a tar archive"),
    (_tar([("etc/corosync/corosync.conf", b"x")]), "no vigil-backup.json"),
    (_tar([MANIFEST, ("etc/passwd", b"root::0:0")]), "etc/passwd is not a file"),
    (_tar([MANIFEST, ("etc/corosync/uidgid.d/../../shadow", b"x")]), "is not a file"),
])
def test_what_is_not_a_backup_is_refused(data: bytes, said: str) -> None:
    with pytest.raises(ReportError) as exc:
        backup.read(data, "x.tar.bz2")
    assert codes(exc) == ["BACKUP_UNREADABLE"] and said in exc.value.reports[0].field("detail")


def test_a_backup_whose_cib_does_not_read_is_refused() -> None:
    with pytest.raises(ReportError) as exc:
        backup.read(_tar([MANIFEST, ("cib.xml", b"<notacib/>")]), "x")
    assert codes(exc) == ["CIB_WRONG_ROOT"]


def test_a_link_in_the_tarball_is_refused() -> None:
    link = tarfile.TarInfo("etc/corosync/corosync.conf")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
    with pytest.raises(ReportError) as exc:
        backup.read(_tar([MANIFEST, link]), "x")
    assert "not a regular file" in exc.value.reports[0].field("detail")


def test_a_node_whose_cluster_runs_is_not_restored(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    saved = backup.read(backup.tarball(backup.collect(node(tmp_path, "a"), None)), "t")
    target = node(tmp_path, "b")
    (tmp_path / "b/etc/corosync/authkey").write_bytes(b"mine")
    monkeypatch.setattr(cluster, "running_daemons", lambda host: ["corosync", "vigild"])
    with pytest.raises(ReportError) as exc:
        backup.restore_local(target, saved)
    assert codes(exc) == ["RESTORE_CLUSTER_RUNNING"]
    assert (tmp_path / "b/etc/corosync/authkey").read_bytes() == b"mine"
