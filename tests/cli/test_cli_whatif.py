"""`vigil whatif`: the scheduler's answer to a node's failure, a standby or a move, on a copy
of the CIB (a file here; the running cluster's without -f), with the constraint a move would
leave; nothing applied, and a bad question is one line, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import Run


def test_a_failed_node_a_standby_and_a_move_change_nothing(vigil: Run, cib: Path) -> None:
    before = cib.read_bytes()
    code, out, err = vigil("whatif", "-f", str(cib), "--standby", "node3")
    assert code == 0, err
    assert out.splitlines()[0] == "What the cluster would do:"
    assert out.rstrip().endswith("Nothing was applied.")
    code, out, err = vigil("whatif", "-f", str(cib), "--move", "WebSite=node2")
    assert code == 0, err
    assert "Move       WebSite     ( node1 -> node2 )" in out
    assert "WebSite  node1 (Started) -> node2 (Started)" in out
    assert "created constraint cli-prefer-WebSite" in out
    code, out, err = vigil("whatif", "-f", str(cib), "--fail", "node1", "--standby", "node3")
    assert code == 0, err
    assert "WebSite  node1 (Started) -> node2 (Started)" in out  # node3 in standby, node1 off
    assert cib.read_bytes() == before


def test_json_output(vigil: Run, cib: Path) -> None:
    import json

    code, out, _ = vigil("whatif", "-f", str(cib), "--move", "WebSite=node2", "--output", "json")
    assert code == 0
    data = json.loads(out)
    assert {p["resource"]: p["nodes"] for p in data["after"]}["WebSite"] == ["node2"]
    assert data["reports"] and "cli-prefer-WebSite" in data["reports"][0]


@pytest.mark.parametrize("argv, says", [
    ((), "a what-if needs a question"),
    (("--fail", "ghost"), "node 'ghost' is not in the cluster"),
    (("--move", "WebSite"), "'WebSite' is not RESOURCE=NODE"),
    (("--move", "nope=node2"), "nope"),
])
def test_a_bad_question_is_one_line(vigil: Run, cib: Path, argv: tuple[str, ...],
                                    says: str) -> None:
    before = cib.read_bytes()
    code, out, err = vigil("whatif", "-f", str(cib), *argv)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and says in err, err
    assert cib.read_bytes() == before
