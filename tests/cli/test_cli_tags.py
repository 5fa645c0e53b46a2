"""pcs's `tag` commands against a CIB file, and a tag in a constraint."""

from __future__ import annotations

from pathlib import Path

from cibs import Run

from vigil.cib.io import load_cib_file
from vigil.scheduler.engine import schedule


def test_tags_create_update_use_and_delete(vigil: Run, cib: Path) -> None:
    assert vigil("-f", str(cib), "tag", "create", "web", "WebSite")[0] == 0
    assert vigil("-f", str(cib), "tag", "update", "web", "add", "WebIP", "--before",
                 "WebSite")[0] == 0
    code, out, _ = vigil("-f", str(cib), "tag", "list", "web")
    assert code == 0 and out.splitlines() == ["web", "  WebIP", "  WebSite"]
    assert vigil("-f", str(cib), "constraint", "location", "web", "avoids", "node2")[0] == 0
    loaded, _ = load_cib_file(str(cib))
    t = schedule(loaded, 1_700_000_000)
    for a in t.allocations:
        if a.resource in ("WebIP", "WebSite"):  # the tag's location reached both
            assert a.next_node != "node2"
            assert any(c.kind == "location" for s in a.scores if s.node == "node2"
                       for c in s.contributions)
    before = cib.read_bytes()
    for argv, says in ((("delete", "web"), "named by constraints"),
                       (("create", "web2", "ghost"), "'ghost' does not exist"),
                       (("create", "web"), "missing tag id and resources"),
                       (("update", "web", "remove", "fence-lab"), "not in tag web"),
                       (("update", "web", "add", "WebIP"), "each resource once"),
                       (("list", "nope"), "no tag nope")):
        code, _, err = vigil("-f", str(cib), "tag", *argv)
        assert code == 2 and says in err, (argv, err)
    assert cib.read_bytes() == before
    code, out, _ = vigil("-f", str(cib), "constraint", "ref", "WebIP")
    assert code == 0
    assert vigil("-f", str(cib), "constraint", "remove", "location-web-node2--INFINITY")[0] == 0
    assert vigil("-f", str(cib), "tag", "delete", "web")[0] == 0
    assert load_cib_file(str(cib))[0].configuration.tags == ()
