"""`vigil resource failcount show|reset` on a CIB file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cibs import DUMMY, Run, running_on_node1, write_cib


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return write_cib(tmp_path / "cib.xml", DUMMY.format(id="A") + DUMMY.format(id="B"),
                     status1=running_on_node1("A", failed_monitor=True))


def test_show_and_reset(vigil: Run, path: Path) -> None:
    code, out, _ = vigil("-f", str(path), "resource", "failcount", "show")
    assert (code, out) == (0, "Failcounts for resource 'A'\n"
                              "  node1: 1 (last failure 2025-11-24 16:00:00Z)\n")
    code, out, _ = vigil("-f", str(path), "resource", "failcount", "show", "A", "--full")
    assert out.splitlines()[-1] == "    monitor 10s: 1"
    assert vigil("-f", str(path), "resource", "failcount", "B")[1] == (
        "No failcounts for resource 'B'\n")
    assert vigil("-f", str(path), "resource", "failcount", "show", "A", "--node", "node2")[1] == (
        "No failcounts for resource 'A'\n")
    data = json.loads(vigil("-f", str(path), "resource", "failcount", "--output", "json")[1])
    assert data[0]["resource"] == "A" and data[0]["count"] == 1 and data[0]["expired"] is False
    code, _, err = vigil("-f", str(path), "resource", "failcount", "reset", "A", "node1")
    assert (code, err) == (0, "info: cleaned up A on node1\n")
    assert vigil("-f", str(path), "resource", "failcount")[1] == "No failcounts\n"
    # the failed monitor record went with the counts, as with cleanup
    assert "Failed Resource Actions" not in vigil("-f", str(path), "status")[1]


def test_expired_counts_say_so(vigil: Run, path: Path) -> None:
    assert vigil("-f", str(path), "resource", "meta", "A", "failure-timeout=60s")[0] == 0
    out = vigil("-f", str(path), "resource", "failcount", "show", "A")[1]
    assert "expired: failure-timeout 1min has passed, no longer counted" in out


@pytest.mark.parametrize("argv", [
    ["resource", "failcount", "reset"],
    ["resource", "failcount", "reset", "ghost"],
    ["resource", "failcount", "show", "ghost"],
    ["resource", "failcount", "show", "A", "node9"],
    ["resource", "failcount", "show", "A", "node1", "--node", "node1"],
    ["resource", "failcount", "show", "A", "node1", "extra"],
    ["resource", "failcount", "reset", "A", "--full"],
])
def test_bad_failcount_commands_change_nothing(vigil: Run, path: Path, argv: list[str]) -> None:
    before = path.read_bytes()
    code, _, err = vigil("-f", str(path), *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert path.read_bytes() == before
