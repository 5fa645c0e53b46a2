"""CIB files handled safely (issue 14): a missing -f file, a symbolic link, a read-only file,
Pacemaker's schema on read and before every write, a broken file shown and repaired with
--force, and the command line's own words (an unknown command, --help without a cluster)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cibs import Run

from vigil.cib import schema
from vigil.cib.io import load_cib_file


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


# -- a file that does not exist ----------------------------------------------------------------
def test_a_missing_file_is_an_empty_cib_that_reading_does_not_create(vigil: Run,
                                                                       tmp_path: Path) -> None:
    path = tmp_path / "new.xml"
    code, out, err = vigil("-f", str(path), "config")
    assert code == 0 and "Pacemaker Nodes:" in out
    assert "does not exist: this is an empty CIB" in err
    code, out, _ = vigil("-f", str(path), "cib")
    assert code == 0 and out.startswith("<cib")
    assert not path.exists()


def test_the_first_change_writes_the_empty_cib_with_the_newest_schema(vigil: Run,
                                                                       tmp_path: Path) -> None:
    path = tmp_path / "new.xml"
    code, _, err = vigil("-f", str(path), "property", "set", "stonith-enabled=false")
    assert code == 0, err
    cib, _ = load_cib_file(path)
    assert cib.validate_with == schema.newest() and cib.validate_with is not None
    assert cib.cluster_option("stonith-enabled") == "false"
    assert schema.check(path.read_bytes()) == ()


# -- a symbolic link ---------------------------------------------------------------------------
def test_a_link_is_followed_and_its_target_replaced_keeping_the_mode(vigil: Run, cib: Path,
                                                                     tmp_path: Path) -> None:
    os.chmod(cib, 0o640)
    link = tmp_path / "link.xml"
    link.symlink_to(cib)
    code, _, err = vigil("-f", str(link), "resource", "disable", "WebSite")
    assert code == 0, err
    assert link.is_symlink() and os.readlink(link) == str(cib)
    assert stat.S_IMODE(cib.stat().st_mode) == 0o640
    assert "target-role" in cib.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


# -- a file that cannot be written -------------------------------------------------------------
def test_a_read_only_file_is_one_error_and_stays_as_it_was(vigil: Run, cib: Path) -> None:
    """As root too, where the mode bits do not stop a write: 0444 says the file is not to
    change, as an editor says it to root."""
    os.chmod(cib, 0o444)
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "resource", "disable", "WebSite")
    assert code == 1
    assert "is read-only (mode 0444)" in one_line_error(err)
    assert cib.read_bytes() == before and stat.S_IMODE(cib.stat().st_mode) == 0o444
    assert vigil("-f", str(cib), "config")[0] == 0  # reading it is fine


# -- Pacemaker's schema ------------------------------------------------------------------------
BROKEN = {
    "unknown element": (("<constraints>", "<constraints><rsc_bogus id='b'/>"),
                        "<rsc_bogus> at /cib/configuration/constraints/rsc_bogus[@id='b'] is "
                        "not an element pacemaker-3.8 allows in <constraints>"),
    "unknown attribute": (('<primitive id="WebIP"', '<primitive id="WebIP" colour="red"'),
                          "has attribute 'colour', which pacemaker-3.8 does not allow there"),
    "misspelt attribute": (('rsc="WebSite" node="node1"', 'rsc="WebSite" nod="node1"'),
                           "(did you mean 'node'?)"),
    "bad validate-with": (('validate-with="pacemaker-3.8"', 'validate-with="pacemaker-9.9"'),
                          "validate-with='pacemaker-9.9' names no schema installed"),
    "missing attribute": (('<node id="1" uname="node1"', '<node id="1"'),
                          "<node> at /cib/configuration/nodes/node[@id='1'] has no 'uname' "
                          "attribute, which it requires"),
    "bad value": (('first-action="start"', 'first-action="begin"'),
                  "first-action='begin', which pacemaker-3.8 does not accept: use one of"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_what_the_schema_refuses_is_not_edited_nor_saved(vigil: Run, cib: Path,
                                                         case: str) -> None:
    (old, new), message = BROKEN[case]
    text = cib.read_text()
    assert old in text
    cib.write_text(text.replace(old, new, 1))
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "resource", "disable", "WebSite")
    assert code == 2 and cib.read_bytes() == before
    line = one_line_error(err)
    assert "(use --force to override)" in line and message in line
    code, _, err = vigil("verify", "-f", str(cib))
    assert code == 2 and "Errors found during check: config not valid" in err + _


def test_an_edit_is_checked_against_the_schema_before_it_is_written(vigil: Run,
                                                                     cib: Path) -> None:
    """What vigil writes passes Pacemaker's schema: the file after an edit validates."""
    assert vigil("-f", str(cib), "resource", "create", "extra", "ocf:heartbeat:Dummy",
                 "op", "monitor", "interval=10s")[0] == 0
    assert schema.check(cib.read_bytes()) == ()


# -- a broken file, shown and repaired ---------------------------------------------------------
def test_a_dangling_reference_is_shown_and_removed_with_force(vigil: Run, cib: Path) -> None:
    text = cib.read_text().replace(
        "<constraints>",
        '<constraints><rsc_location id="dangling" rsc="gone" node="node1" score="10"/>', 1)
    cib.write_text(text)
    code, out, err = vigil("-f", str(cib), "cib", "constraints")
    assert code == 0 and 'id="dangling"' in out
    assert "warning: constraint 'dangling' names resource 'gone'" in err
    code, out, _ = vigil("-f", str(cib), "config")
    assert code == 0 and "Location Constraints:" in out
    code, _, err = vigil("-f", str(cib), "constraint", "remove", "dangling")
    assert code == 2 and cib.read_text() == text
    assert "(use --force to override)" in err
    code, _, err = vigil("-f", str(cib), "constraint", "remove", "dangling", "--force")
    assert code == 0, err
    cib_now, _ = load_cib_file(cib)  # clean again: loads without --force
    assert "dangling" not in {c.id for c in cib_now.configuration.constraints}


def test_force_keeps_the_errors_a_file_had_but_adds_none(vigil: Run, cib: Path) -> None:
    text = cib.read_text().replace('<primitive id="WebIP"', '<primitive id="WebIP" colour="r"')
    cib.write_text(text)
    code, _, err = vigil("-f", str(cib), "resource", "disable", "WebSite", "--force")
    assert code == 0, err
    assert 'colour="r"' in cib.read_text() and "target-role" in cib.read_text()
    before = cib.read_bytes()
    # a new dangling reference is refused even with --force
    code, _, err = vigil("-f", str(cib), "cib-push", str(_with_dangling(cib)), "--force")
    assert code == 2 and cib.read_bytes() == before


def _with_dangling(cib: Path) -> Path:
    other = cib.with_name("other.xml")
    other.write_text(cib.read_text().replace(
        "<constraints>", '<constraints><rsc_location id="d" rsc="gone" node="node1" score="1"/>'))
    return other


# -- the command line --------------------------------------------------------------------------
def test_an_unknown_command_after_f_is_named(vigil: Run, cib: Path) -> None:
    code, _, err = vigil("-f", str(cib), "bogus")
    assert code == 2
    assert one_line_error(err) == "error: unknown command 'bogus' (see 'vigil --help')"
    code, _, err = vigil("-f", str(cib), "stauts")
    assert "unknown command 'stauts' (did you mean 'status'?)" in one_line_error(err)


@pytest.mark.parametrize("command", ["config", "status", "cib"])
def test_help_needs_no_cluster(vigil: Run, command: str) -> None:
    code, out, err = vigil(command, "--help")
    assert code == 0 and out.startswith(f"usage: vigil {command}") and err == ""
