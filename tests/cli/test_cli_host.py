"""`vigil host ...` and `--host`: what is refused before anything is sent (one line, exit 2 for
a command line, 1 for the machine), the password file `vigil host password` writes, and the
known hosts listed. The exchange with a real endpoint is tests/api/test_remote.py's; the whole
thing on lab nodes, tests/lab/test_remote_endpoint.py's."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cibs import Run

from vigil.commands import remote
from vigil.host import passwords


@pytest.fixture(autouse=True)
def own_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIGIL_KNOWN_HOSTS", str(tmp_path / "known-hosts"))
    monkeypatch.setenv("VIGIL_REMOTE_DIR", str(tmp_path))


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("argv, says", [
    (["host", "auth"], "needs at least one node"),
    (["host", "auth", "addr=10.213.0.11", "n1"], "addr= must follow"),
    (["host", "auth", "n1", "addr=a", "addr=b"], "two addresses"),
    (["host", "auth", "n1", "x=y"], "takes node names"),
    (["host", "auth", "n1", "-p"], "-p needs a value"),
    (["host", "frobnicate"], "unknown host command"),
    (["host", "list", "--force"], "--force is not supported"),
    (["--host", "n1", "cluster", "stop"], "--host is not supported by 'cluster'"),
    (["--host", "n1", "quorum", "status"], "--host is not supported by 'quorum'"),
    (["--host", "n1", "-f", "cib.xml", "status"], "-f and --host exclude each other"),
    (["--host", "n1", "status", "--watch"], "--watch"),
])
def test_bad_command_lines_are_one_line(vigil: Run, argv: list[str], says: str) -> None:
    code, out, err = vigil(*argv)
    assert code == 2 and says in one_line(err), err


def test_a_host_never_authenticated_is_named(vigil: Run) -> None:
    code, _, err = vigil("--host", "n7", "status")
    assert code == 1 and "no token for n7: run 'vigil host auth n7'" in one_line(err)


def test_an_unreachable_host_is_named_and_nothing_kept(vigil: Run, tmp_path: Path) -> None:
    code, out, err = vigil("host", "auth", "n9", "addr=127.0.0.1:1", "-p", "pw")
    assert code == 1 and "n9 (127.0.0.1:1) cannot be reached" in one_line(err)
    assert not (tmp_path / "known-hosts").exists()


def test_a_bad_address_is_refused_before_the_password_is_asked(vigil: Run) -> None:
    code, _, err = vigil("host", "auth", "n1", "addr=10.213.0.11:99999")
    assert code == 2 and "is not an address" in one_line(err)


def test_no_terminal_and_no_password_is_a_usage_error(vigil: Run) -> None:
    code, _, err = vigil("host", "auth", "n1")  # pytest's stdin is not a terminal
    assert code == 2 and "give it with -p" in one_line(err)


def test_host_password_writes_a_private_scrypt_hash(vigil: Run, tmp_path: Path) -> None:
    code, out, err = vigil("host", "password", "root", "-p", "correct horse")
    assert code == 0, err
    written = tmp_path / "passwords"
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
    text = written.read_text()
    assert text.startswith("root:scrypt$") and "correct horse" not in text
    store = passwords.PasswordFile(written)
    assert store.check("root", "correct horse") and not store.check("root", "wrong")
    assert passwords.NodePasswords(store).check("root", "correct horse")
    # a user outside haclient is refused whatever the password, and nothing is written
    code, _, err = vigil("host", "password", "nobody", "-p", "x")
    assert code == 2 and "not in the haclient group" in one_line(err)
    assert written.read_text() == text


def test_host_list_shows_what_is_pinned(vigil: Run, tmp_path: Path) -> None:
    remote.KnownHosts(tmp_path / "known-hosts").write(
        {"n1": remote.KnownHost("n1", "10.213.0.11", 2224, "AB:CD", "tok")})
    code, out, _ = vigil("host", "list")
    assert code == 0 and out.split() == ["n1", "10.213.0.11:2224", "SHA-256", "AB:CD"]
    code, out, _ = vigil("host", "list", "--output", "json")
    assert json.loads(out) == [{"host": "n1", "address": "10.213.0.11:2224",
                                "fingerprint": "AB:CD"}]
    assert "tok" not in out  # tokens are never printed


def test_a_damaged_known_hosts_file_is_one_line(vigil: Run, tmp_path: Path) -> None:
    (tmp_path / "known-hosts").write_text("{not json")
    code, _, err = vigil("--host", "n1", "status")
    assert code == 1 and "cannot read the known hosts" in one_line(err)
