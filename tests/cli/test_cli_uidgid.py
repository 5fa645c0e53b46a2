"""`vigil cluster uidgid [add|delete] uid= gid=` on a temporary root: Corosync's IPC users, one
file each in /etc/corosync/uidgid.d; refusals change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import Run

from vigil.cli import cluster_cli
from vigil.commands.localnode import LocalNode


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cluster_cli, "local_node", lambda: LocalNode(root=tmp_path))
    return tmp_path


def test_added_listed_and_deleted(vigil: Run, root: Path) -> None:
    assert vigil("cluster", "uidgid")[1] == "No uidgids configured\n"
    code, out, err = vigil("cluster", "uidgid", "add", "uid=monitor", "gid=haclient")
    assert code == 0, err
    written = root / "etc/corosync/uidgid.d/vigil-uidgid-monitor-haclient"
    assert written.read_text() == "uidgid {\n    uid: monitor\n    gid: haclient\n}\n"
    code, out, _ = vigil("cluster", "uidgid")
    assert out == "UID/GID: uid=monitor gid=haclient (vigil-uidgid-monitor-haclient)\n"
    code, _, err = vigil("cluster", "uidgid", "add", "uid=monitor", "gid=haclient")
    assert code == 2 and "configured already" in err
    code, out, _ = vigil("cluster", "uidgid", "delete", "uid=monitor", "gid=haclient")
    assert code == 0 and not written.exists()


@pytest.mark.parametrize(("words", "said"), [
    (("add",), "give uid=UID, gid=GID or both"),
    (("add", "uid=a b"), "is not a uid"),
    (("add", "user=x"), "'user' is not uid or gid"),
    (("delete", "uid=nobody"), "no uidgid entry"),
    (("frob",), "unknown cluster uidgid command"),
])
def test_refusals_change_nothing(vigil: Run, root: Path, words: tuple[str, ...],
                                 said: str) -> None:
    code, out, err = vigil("cluster", "uidgid", *words)
    assert code == 2 and not out and said in err and len(err.splitlines()) == 1, err
    assert not (root / "etc/corosync/uidgid.d").exists()
