"""Promotable clones on the command line, with a CIB file (-f) as pcs takes one: create, clone,
promotable, unclone, role constraints, move/ban --promoted, status (checked against crm_mon
run on the same file), explain; and every bad input: one line, exit status 2, file unchanged.
Each CIB written is checked with Pacemaker's crm_verify (RelaxNG) and crm_simulate."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cibs import DUMMY, Run, load, pacemaker_accepts, running_promotable, write_cib

from vigil.model.constraints import Colocation, Location, Order
from vigil.model.nvset import flatten
from vigil.model.resources import Clone, Primitive


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


def crm_mon(path: Path, *options: str) -> list[str]:
    """crm_mon's own one-shot output for a CIB file."""
    done = subprocess.run(["crm_mon", "-1", *options], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "CIB_file": str(path)})
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def section(lines: list[str], title: str) -> list[str]:
    """The lines of a section (`Full List of Resources:`, `Node Attributes:`), stripped of
    their indentation's first level (crm_mon starts at 0, vigil status at 2)."""
    start = next(i for i, line in enumerate(lines) if line.strip().endswith(title))
    out = []
    for line in lines[start + 1:]:
        if not line.strip() or not line.startswith(" "):
            break
        out.append(line.strip())
    return out


@pytest.fixture
def running(tmp_path: Path) -> Path:
    """db-clone (Stateful) promoted on node1, unpromoted on node2, and vip (Dummy)."""
    path = running_promotable(tmp_path / "cib.xml")
    path.write_text(path.read_text().replace("</resources>",
                                             DUMMY.format(id="vip") + "</resources>"))
    return path


def test_create_promotable_and_its_config(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    code, out, err = vigil("-f", str(path), "resource", "create", "db",
                           "ocf:pacemaker:Stateful", "promotable", "promoted-max=1",
                           "notify=true")
    assert (code, out, err) == (0, "", "")
    [clone] = load(path).configuration.resources
    assert isinstance(clone, Clone) and clone.id == "db-clone"
    assert flatten(clone.meta_attributes) == {"promotable": "true", "promoted-max": "1",
                                              "notify": "true"}
    assert pacemaker_accepts(path) == ""
    code, out, _ = vigil("-f", str(path), "resource", "config", "db-clone")
    assert code == 0
    assert out.splitlines()[:2] == [" Clone: db-clone",
                                    "  Meta Attrs: promotable=true promoted-max=1 notify=true"]


def test_create_with_a_clone_id_and_the_meta_keyword(vigil: Run, tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml")
    code, _, err = vigil("-f", str(path), "resource", "create", "db", "ocf:pacemaker:Stateful",
                         "op", "monitor", "interval=15s", "role=Master", "promotable",
                         "ms-db", "meta", "promoted-max=1")
    assert code == 0, err
    [clone] = load(path).configuration.resources
    assert isinstance(clone, Clone) and clone.id == "ms-db"
    assert isinstance(clone.child, Primitive)
    assert [(op.interval, op.role) for op in clone.child.operations] == [("15s", "Promoted")]
    assert pacemaker_accepts(path) == ""


def test_clone_promotable_master_and_unclone(vigil: Run, tmp_path: Path) -> None:
    stateful = '<primitive id="{id}" class="ocf" provider="pacemaker" type="Stateful"/>'
    path = write_cib(tmp_path / "cib.xml", stateful.format(id="s1") + stateful.format(id="s2")
                     + DUMMY.format(id="web"))
    f = ("-f", str(path))
    assert vigil(*f, "resource", "promotable", "s1", "promoted-max=1")[0] == 0
    # pcs 0.9's grammar: the clone id first
    assert vigil(*f, "resource", "master", "ms-s2", "s2", "notify=true")[0] == 0
    assert vigil(*f, "resource", "clone", "web", "interleave=true")[0] == 0
    config = load(path).configuration
    shapes = {r.id: (r.child.id, flatten(r.meta_attributes)) for r in config.resources
              if isinstance(r, Clone)}
    assert shapes == {"s1-clone": ("s1", {"promotable": "true", "promoted-max": "1"}),
                      "ms-s2": ("s2", {"promotable": "true", "notify": "true"}),
                      "web-clone": ("web", {"interleave": "true"})}
    assert not any(r.legacy_master for r in config.resources if isinstance(r, Clone))
    assert pacemaker_accepts(path) == ""
    code, _, err = vigil(*f, "resource", "unclone", "ms-s2")
    assert code == 0
    assert "removed clone ms-s2" in err
    assert [r.id for r in load(path).configuration.resources] == ["s1-clone", "s2",
                                                                  "web-clone"]
    assert pacemaker_accepts(path) == ""


def test_status_shows_roles_as_crm_mon_does(vigil: Run, running: Path) -> None:
    code, out, _ = vigil("-f", str(running), "status")
    assert code == 0
    mine = section(out.splitlines(), "Full List of Resources:")
    assert mine == section(crm_mon(running, "-r"), "Full List of Resources:")
    assert "* Promoted: [ node1 ]" in mine and "* Unpromoted: [ node2 ]" in mine


def test_status_full_shows_node_attributes_as_crm_mon_a(vigil: Run, running: Path) -> None:
    text = running.read_text().replace(
        '<node id="2" uname="node2"/>',
        '<node id="2" uname="node2"><instance_attributes id="nodes-2">'
        '<nvpair id="nodes-2-rack" name="rack" value="r2"/>'
        '<nvpair id="nodes-2-standby" name="standby" value="off"/>'
        '</instance_attributes></node>')
    running.write_text(text)
    code, out, _ = vigil("-f", str(running), "status", "--full")
    assert code == 0
    mine = section(out.splitlines(), "Node Attributes:")
    assert mine == section(crm_mon(running, "-A"), "Node Attributes:")
    assert any(line.startswith("* master-db") for line in mine)
    _, plain, _ = vigil("-f", str(running), "status")
    assert "Node Attributes:" not in plain


def test_status_json_gives_each_instance_role_and_node(vigil: Run, running: Path) -> None:
    code, out, _ = vigil("-f", str(running), "status", "--output", "json")
    assert code == 0
    resources = {r["id"]: r for r in json.loads(out)["resources"]}
    clone = resources["db-clone"]
    assert (clone["role"], clone["promotable"], clone["nodes"]) == (
        "Promoted", True, ["node1", "node2"])
    assert sorted((i["node"], i["role"]) for i in clone["instances"]) == [
        ("node1", "Promoted"), ("node2", "Unpromoted")]
    for instance in clone["instances"]:
        assert resources[instance["id"]]["role"] == instance["role"]
        assert resources[instance["id"]]["node"] == instance["node"]
    assert json.loads(out)["node_attributes"] == {"node1": {"master-db": "10"},
                                                  "node2": {"master-db": "5"}}


def test_move_and_ban_promoted_then_clear(vigil: Run, running: Path) -> None:
    f = ("-f", str(running))
    code, _, err = vigil(*f, "resource", "move", "db-clone", "node2", "--promoted")
    assert code == 0 and "prefers to be promoted on node2" in err
    code, _, err = vigil(*f, "resource", "ban", "db-clone", "node1", "--master")
    assert code == 0
    locations = {(c.id, c.node, c.role, c.score) for c in load(running).configuration.constraints
                 if isinstance(c, Location)}
    assert locations == {("cli-prefer-db-clone", "node2", "Promoted", 1_000_000),
                         ("cli-ban-db-clone-on-node1", "node1", "Promoted", -1_000_000)}
    assert pacemaker_accepts(running) == ""
    # the scheduler promotes on node2 now, as crm_simulate does
    _, out, _ = vigil("simulate", "--xml-file", str(running))
    assert any("Promote" in line and "node2" in line for line in out.splitlines())
    assert vigil(*f, "resource", "clear", "db-clone")[0] == 0
    assert not load(running).configuration.constraints


def test_role_colocation_and_promote_order(vigil: Run, running: Path) -> None:
    f = ("-f", str(running))
    assert vigil(*f, "constraint", "colocation", "add", "vip", "with", "Master", "db-clone")[0] == 0
    assert vigil(*f, "constraint", "colocation", "add", "Unpromoted", "db-clone", "with", "vip",
                 "-100")[0] == 0
    assert vigil(*f, "constraint", "order", "promote", "db-clone", "then", "start", "vip")[0] == 0
    assert vigil(*f, "constraint", "order", "stop", "vip", "then", "demote", "db-clone")[0] == 0
    found = load(running).configuration.constraints
    assert [(c.rsc, c.rsc_role, c.with_rsc, c.with_rsc_role, c.score) for c in found
            if isinstance(c, Colocation)] == [
        ("vip", None, "db-clone", "Promoted", 1_000_000),
        ("db-clone", "Unpromoted", "vip", None, -100)]
    assert [(c.first_action, c.first, c.then_action, c.then) for c in found
            if isinstance(c, Order)] == [("promote", "db-clone", "start", "vip"),
                                         ("stop", "vip", "demote", "db-clone")]
    assert pacemaker_accepts(running) == ""
    code, out, _ = vigil(*f, "constraint", "--full")
    assert "vip with db-clone (score:INFINITY) (with-rsc-role:Promoted)" in out


def test_explain_says_why_this_node_is_promoted(vigil: Run, running: Path) -> None:
    code, out, _ = vigil("explain", "db-clone", "-f", str(running), "--output", "json")
    assert code == 0
    data = json.loads(out)
    assert data["promoted_max"] == 1
    verdicts = [(v["node"], v["score"], v["promoted_next"], v["why_not"])
                for v in data["promotion"]]
    assert verdicts == [("node1", 10, True, None), ("node2", 5, False, "OUTRANKED")]
    assert [f["code"] for f in data["findings"]] == ["PROMOTED_ON", "NOT_PROMOTED"]
    # after move --promoted, the location constraint is what decides
    vigil("-f", str(running), "resource", "move", "db-clone", "node2", "--promoted")
    code, out, _ = vigil("explain", "db", "-f", str(running))  # the resource in the clone
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("db-clone (promotable clone) runs on node1 and node2, promoted on "
                        "node1.")
    assert lines[1].startswith("It will be promoted on node2 instead of node1")
    assert "cli-prefer-db-clone" in lines[1]
    assert lines[2].startswith("On node1 it is demoted")


def test_explain_an_instance_without_a_promotion_score(vigil: Run, tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml")
    text = path.read_text().replace('name="master-db" value="5"', 'name="other" value="5"')
    path.write_text(text)
    code, out, _ = vigil("explain", "db-clone", "-f", str(path), "--output", "json")
    assert code == 0
    data = json.loads(out)
    [(node, why)] = [(v["node"], v["why_not"]) for v in data["promotion"]
                     if not v["promoted_next"]]
    assert (node, why) == ("node2", "NEGATIVE")
    _, text_out, _ = vigil("explain", "db-clone", "-f", str(path))
    assert "agent has not set a promotion score there" in text_out


def test_explain_says_what_pafs_promotion_scores_mean(vigil: Run, tmp_path: Path) -> None:
    # the scores PAF's primary sets: 1001 on itself, -1000 on a standby that is not connected
    path = running_promotable(tmp_path / "cib.xml", scores=(1001, -1000))
    path.write_text(path.read_text().replace('provider="pacemaker" type="Stateful"',
                                             'provider="heartbeat" type="pgsqlms"'))
    code, out, _ = vigil("explain", "db-clone", "-f", str(path))
    assert code == 0, out
    assert ("+1001  promotion-attribute: node attribute master-db on node1 (PAF: this node runs "
            "the primary)") in out
    assert ("-1000  promotion-attribute: node attribute master-db on node2 (PAF: its standby "
            "is not connected to the primary: not to be promoted)") in out
    assert "On node2 it is not promoted: its promotion score is -1000, below 0" in out
    # 1 on vigil's wrapper: a standby offered for an election when no primary answered
    path.write_text(path.read_text().replace('value="1001"', 'value="1"')
                    .replace('provider="heartbeat" type="pgsqlms"',
                             'provider="vigil" type="pgsqlms"'))
    _, offered, _ = vigil("explain", "db-clone", "-f", str(path))
    assert ("+1  promotion-attribute: node attribute master-db on node1 (a candidate of an "
            "election: no primary answered and no standby had a score") in offered, offered
    # a crashed old primary's published position, for the election, in words
    path.write_text(path.read_text().replace(
        '<nvpair id="status-2-master-db"',
        '<nvpair id="status-2-old" name="vigil-old-primary-db" value="2:41368461"/>'
        '<nvpair id="status-2-master-db"'))
    _, waiting, _ = vigil("explain", "db-clone", "-f", str(path))
    assert "What its agent published on the nodes:" in waiting, waiting
    assert ("node2            vigil-old-primary-db = 2:41368461 (a crashed old primary waiting "
            "for a primary to rewind from: timeline 2, its WAL ends at 0/2773B8D;") in waiting
    # the agent's published form also names where the timeline left earlier ones
    path.write_text(path.read_text().replace('value="2:41368461"',
                                             'value="2:41368461:1@33554432"'))
    _, forked, _ = vigil("explain", "db-clone", "-f", str(path))
    assert "timeline 2, its WAL ends at 0/2773B8D;" in forked, forked
    # the promoted node's record of the positions PAF compared: why this standby
    path.write_text(path.read_text().replace(
        '<nvpair id="status-2-old" name="vigil-old-primary-db" value="2:41368461:1@33554432"/>',
        '<nvpair id="status-2-why" name="vigil-promotion-db" '
        'value="at=1765130412 node2=3#83886176 node1=3#83886000"/>'))
    _, why, _ = vigil("explain", "db-clone", "-f", str(path))
    assert ("node2            vigil-promotion-db = at=1765130412 node2=3#83886176 "
            "node1=3#83886000 (promoted at 2025-12-07 18:00:12 UTC: PAF's promote compared the "
            "WAL each standby had received (at the pre-promote notification) and promotes only "
            "one with the most: node2 0/5000060 on timeline 3, node1 0/4FFFFB0 on timeline 3 "
            "(176 bytes behind); node2 was promoted: it had received the most)") in why, why
    # a tie is said to be one (the promotion scores chose)
    path.write_text(path.read_text().replace("node1=3#83886000", "node1=3#83886176"))
    _, tie, _ = vigil("explain", "db-clone", "-f", str(path))
    assert ("node2 was promoted: it had received as much as node1 (a tie, settled by the "
            "promotion scores: the primary's last ranking)") in tie, tie
    # another agent's numbers are shown as they are
    _, plain, _ = vigil("explain", "db-clone", "-f", str(running_promotable(
        tmp_path / "stateful.xml", scores=(1001, -1000))))
    assert "(PAF:" not in plain


@pytest.mark.parametrize("argv", [
    # --promoted on what has no promoted instance, or not by the clone's id
    ["resource", "move", "vip", "node2", "--promoted"],
    ["resource", "ban", "vip", "--promoted"],
    ["resource", "move", "db", "node2", "--promoted"],
    ["resource", "move", "db-clone", "node2"],
    # promoted-max below 1 or above clone-max
    ["resource", "create", "d2", "ocf:pacemaker:Stateful", "promotable", "promoted-max=0"],
    ["resource", "create", "d2", "ocf:pacemaker:Stateful", "promotable", "promoted-max=3"],
    ["resource", "meta", "db-clone", "promoted-max=0"],
    ["resource", "meta", "db-clone", "clone-max=1", "promoted-max=2"],
    # an agent without promote and demote made promotable
    ["resource", "create", "d2", "ocf:heartbeat:Dummy", "promotable"],
    ["resource", "promotable", "vip"],
    ["resource", "clone", "vip", "promotable=true"],
    # a role or action that does not exist, or that the resource never has
    ["constraint", "colocation", "add", "Leader", "db-clone", "with", "vip"],
    ["constraint", "colocation", "add", "vip", "with", "Primary", "db-clone", "100"],
    ["constraint", "colocation", "add", "vip", "with", "Promoted", "db-clone", "Master"],
    ["constraint", "colocation", "add", "db-clone", "with", "Promoted", "vip"],
    ["constraint", "order", "elevate", "db-clone", "then", "vip"],
    ["constraint", "order", "promote", "vip", "then", "db-clone"],
    # clone of a clone, unclone of a non-clone, and the like
    ["resource", "clone", "db-clone"],
    ["resource", "clone", "db"],
    ["resource", "promotable", "db"],
    ["resource", "unclone", "vip"],
    ["resource", "unclone", "ghost"],
    ["resource", "clone", "vip", "vip-clone", "extra"],
    ["resource", "create", "d2", "ocf:heartbeat:Dummy", "clone", "--group", "g"],
    ["resource", "create", "d2", "ocf:pacemaker:Stateful", "promotable", "c1", "c2"],
    ["resource", "promotable"],
])
def test_bad_input_one_line_exit_2_nothing_changed(vigil: Run, running: Path,
                                                   argv: list[str]) -> None:
    before = running.read_bytes()
    code, out, err = vigil("-f", str(running), *argv)
    assert code == 2, (out, err)
    one_line_error(err)
    assert "Traceback" not in err
    assert running.read_bytes() == before
