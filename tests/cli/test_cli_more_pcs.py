"""More of pcs's subcommands (issue 14): resource and node utilization, resource refresh,
resource debug-start|stop|monitor, constraint colocation|order set. Each against a CIB file,
with what it refuses and that a refusal leaves the file as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cibs import Run

from vigil.cib.io import load_cib_file
from vigil.model.constraints import Colocation, Order
from vigil.model.nvset import NvSet
from vigil.model.resources import Primitive, walk


def _pairs(sets: tuple[NvSet, ...]) -> dict[str, str]:
    return {p.name: p.value or "" for s in sets for p in s.pairs}


def test_resource_and_node_utilization(vigil: Run, cib: Path) -> None:
    assert vigil("-f", str(cib), "resource", "utilization", "WebIP", "cpu=1", "memory=100")[0] == 0
    assert vigil("-f", str(cib), "node", "utilization", "node1", "cpu=4", "memory=2048")[0] == 0
    loaded, _ = load_cib_file(str(cib))
    web_ip = next(r for r in walk(loaded.configuration.resources) if r.id == "WebIP")
    assert isinstance(web_ip, Primitive) and _pairs(web_ip.utilization) == {"cpu": "1",
                                                                             "memory": "100"}
    node1 = next(n for n in loaded.configuration.nodes if n.uname == "node1")
    assert _pairs(node1.utilization) == {"cpu": "4", "memory": "2048"}
    code, out, _ = vigil("-f", str(cib), "resource", "utilization")
    assert code == 0 and out.splitlines() == ["Resource Utilization:", " WebIP: cpu=1 memory=100"]
    code, out, _ = vigil("-f", str(cib), "node", "utilization")
    assert code == 0 and " node1: cpu=4 memory=2048" in out
    assert vigil("-f", str(cib), "resource", "utilization", "WebIP", "cpu=")[0] == 0
    code, out, _ = vigil("-f", str(cib), "resource", "utilization", "WebIP")
    assert " WebIP: memory=100" in out
    before = cib.read_bytes()
    for argv, words in ((("resource", "utilization", "WebIP", "cpu=lots"), "must be an integer"),
                        (("resource", "utilization", "ghost", "cpu=1"), "'ghost' does not exist"),
                        (("node", "utilization", "nodeX", "cpu=1"), "'nodeX'")):
        code, _, err = vigil("-f", str(cib), *argv)
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1, err
    assert cib.read_bytes() == before


def test_refresh_forgets_the_whole_history(vigil: Run, cib: Path) -> None:
    loaded, _ = load_cib_file(str(cib))
    assert any(h.id == "WebIP" for s in loaded.status for h in s.history)
    code, out, err = vigil("-f", str(cib), "resource", "refresh", "WebIP")
    assert code == 0 and "forgot the history of WebIP" in err + out
    loaded, _ = load_cib_file(str(cib))
    assert not any(h.id == "WebIP" for s in loaded.status for h in s.history)
    assert any(h.id == "WebSite" for s in loaded.status for h in s.history)
    code, out, err = vigil("-f", str(cib), "resource", "refresh", "WebIP")
    assert code == 0 and "no history recorded for WebIP" in err + out
    code, _, err = vigil("-f", str(cib), "resource", "refresh", "ghost")
    assert code == 2 and "'ghost' does not exist" in err


DUMMY = Path("/usr/lib/ocf/resource.d/pacemaker/Dummy")


@pytest.mark.skipif(not DUMMY.exists() or shutil.which("bash") is None,
                    reason="needs ocf:pacemaker:Dummy (pacemaker-resource-agents)")
def test_debug_actions_run_the_agent_here(vigil: Run, tmp_path: Path) -> None:
    state = tmp_path / "d1.state"
    cib = tmp_path / "cib.xml"
    cib.write_text(f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration><crm_config/><nodes/><resources>
    <primitive id="d1" class="ocf" provider="pacemaker" type="Dummy">
      <instance_attributes id="d1-ia"><nvpair id="d1-s" name="state" value="{state}"/>
      </instance_attributes>
    </primitive></resources><constraints/></configuration><status/></cib>
""")
    before = cib.read_bytes()
    code, out, _ = vigil("-f", str(cib), "resource", "debug-monitor", "d1")
    assert code == 7 and "returned: 'not_running' (7)" in out
    code, out, err = vigil("-f", str(cib), "resource", "debug-start", "d1")
    assert code == 0 and "Operation force-start for d1 (ocf:pacemaker:Dummy)" in out
    assert "the cluster does not learn of this start" in err
    assert state.exists()  # the agent ran with the resource's parameter
    assert vigil("-f", str(cib), "resource", "debug-monitor", "d1")[0] == 0
    assert vigil("-f", str(cib), "resource", "debug-stop", "d1")[0] == 0
    assert not state.exists()
    assert cib.read_bytes() == before  # nothing recorded
    code, _, err = vigil("-f", str(cib), "resource", "debug-start", "ghost")
    assert code == 2 and "'ghost' does not exist" in err


def test_colocation_and_order_sets(vigil: Run, cib: Path) -> None:
    code, _, err = vigil("-f", str(cib), "constraint", "colocation", "set", "WebIP", "WebSite",
                         "sequential=false", "setoptions", "score=500")
    assert code == 0, err
    code, _, err = vigil("-f", str(cib), "constraint", "order", "set", "WebIP", "set", "WebSite",
                         "require-all=false", "action=start", "setoptions", "kind=Optional",
                         "id=web-order")
    assert code == 0, err
    loaded, _ = load_cib_file(str(cib))
    col = next(c for c in loaded.configuration.constraints
               if isinstance(c, Colocation) and c.sets)
    assert col.score == 500 and col.sets[0].resources == ("WebIP", "WebSite")
    assert not col.sets[0].sequential
    order = next(c for c in loaded.configuration.constraints if c.id == "web-order")
    assert isinstance(order, Order) and order.kind == "Optional"
    assert [s.resources for s in order.sets] == [("WebIP",), ("WebSite",)]
    assert not order.sets[1].require_all and order.sets[1].action == "start"
    before = cib.read_bytes()
    for argv, words in (
        (("colocation", "set", "WebIP", "WebIP"), "named twice"),
        (("colocation", "set", "WebIP", "bogus=1"), "'bogus' is not an option"),
        (("order", "set", "WebIP", "setoptions", "kind=Sometimes"), "Sometimes"),
        (("order", "set", "ghost"), "'ghost' does not exist"),
        (("colocation", "set", "WebIP", "setoptions", "score=lots"), "not a score"),
    ):
        code, _, err = vigil("-f", str(cib), "constraint", *argv)
        assert code == 2 and words in err, (argv, err)
    assert cib.read_bytes() == before


@pytest.mark.skipif(shutil.which("crm_mon") is None, reason="needs Pacemaker's crm_mon")
def test_status_xml_is_crm_mons(vigil: Run, cib: Path) -> None:
    import xml.etree.ElementTree as ET

    code, out, err = vigil("-f", str(cib), "status", "xml")
    assert code == 0, err
    root = ET.fromstring(out)
    assert root.tag == "pacemaker-result"
    assert {n.get("name") for n in root.iter("node") if n.get("type") == "member"} == {
        "node1", "node2", "node3"}
    assert {"WebIP", "WebSite", "fence-lab"} <= {r.get("id") for r in root.iter("resource")}
    code, _, err = vigil("-f", str(cib), "status", "xml", "extra")
    assert code == 2 and "extra" in err


def test_stonith_level_verify(vigil: Run, cib: Path) -> None:
    assert vigil("-f", str(cib), "stonith", "level", "add", "1", "node1", "fence-lab")[0] == 0
    assert vigil("-f", str(cib), "stonith", "level", "verify") == (0, "", "")
    assert vigil("-f", str(cib), "stonith", "level", "add", "2", "node9", "ghost",
                 "--force")[0] == 0
    code, _, err = vigil("-f", str(cib), "stonith", "level", "verify")
    assert code == 2
    assert "names 'ghost', which is not a fence device" in err
    assert "for node 'node9', which is not in the cluster" in err


def test_property_describe_and_cluster_verify(vigil: Run, cib: Path, tmp_path: Path) -> None:
    from vigil.commands import property_help

    helps = property_help.describe(["no-quorum-policy"], daemon_dir=tmp_path)  # no Pacemaker
    assert helps[0].kind == "select" and helps[0].default == "stop"
    assert "freeze" in helps[0].values and helps[0].shortdesc is None
    code, out, _ = vigil("property", "describe", "no-quorum-policy")
    assert code == 0 and out.startswith("no-quorum-policy\n") and "Default: stop" in out
    code, _, err = vigil("property", "describe", "nonsense")
    assert code == 2 and "'nonsense' is not a cluster property" in err
    assert vigil("-f", str(cib), "cluster", "verify")[0] == vigil("-f", str(cib), "verify")[0]


def test_cib_upgrade_moves_to_the_newest_schema(vigil: Run, cib: Path) -> None:
    from vigil.cib import schema

    newest = schema.newest()
    assert newest is not None
    code, _, err = vigil("-f", str(cib), "cluster", "cib-upgrade")
    assert code == 0 and f"now uses {newest}" in err
    assert load_cib_file(str(cib))[0].validate_with == newest
    code, _, err = vigil("-f", str(cib), "cluster", "cib-upgrade")
    assert code == 0 and "already uses" in err


def test_config_checkpoints(vigil: Run, cib: Path, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """What vigild's store kept before each change: listed, viewed, diffed, restored."""
    import dataclasses

    from vigil.daemon.store import FileStore
    from vigil.model.version import CibVersion

    state = tmp_path / "state"
    monkeypatch.setenv("VIGIL_STATE_DIR", str(state))
    code, out, _ = vigil("config", "checkpoint")
    assert code == 0 and out.startswith("No checkpoints available")
    store = FileStore(str(state))
    first, _ = load_cib_file(str(cib))
    assert vigil("-f", str(cib), "resource", "disable", "WebSite")[0] == 0
    second, _ = load_cib_file(str(cib))
    for epoch, version in enumerate((first, second, second), start=10):
        store.save(dataclasses.replace(version, version=CibVersion(0, epoch, 0)))
    code, out, _ = vigil("config", "checkpoint", "list")
    lines = out.splitlines()
    assert code == 0 and [ln.split(": date ")[0] for ln in lines] == ["checkpoint 1",
                                                                      "checkpoint 2"]
    assert [ln.rsplit(" ", 1)[1] for ln in lines] == ["0.10.0", "0.11.0"]
    code, out, _ = vigil("config", "checkpoint", "view", "1")
    assert code == 0 and "Resources:" in out
    code, out, _ = vigil("config", "checkpoint", "diff", "1", "2")
    assert code == 0 and out.startswith("--- checkpoint 1\n+++ checkpoint 2\n")
    added = [ln for ln in out.splitlines() if ln.startswith("+") and "target-role" in ln]
    assert added and "Stopped" in added[0]
    code, _, err = vigil("-f", str(cib), "config", "checkpoint", "restore", "1")
    assert code == 0 and "restored the configuration of checkpoint 1" in err
    restored, _ = load_cib_file(str(cib))
    assert restored.configuration == first.configuration
    assert restored.version.epoch > second.version.epoch  # a new change, not a rewind
    code, _, err = vigil("config", "checkpoint", "view", "9")
    assert code == 2 and "no checkpoint 9: there are 2" in err
    code, _, err = vigil("config", "checkpoint", "view", "one")
    assert code == 2 and "'one' is not a checkpoint number" in err


def test_safe_disable_refuses_what_affects_others(vigil: Run, cib: Path) -> None:
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "resource", "safe-disable", "WebIP")
    assert code == 2 and "disabling WebIP would also: Stop WebSite" in err
    assert cib.read_bytes() == before
    code, _, err = vigil("-f", str(cib), "resource", "safe-disable", "WebSite")
    assert code == 0, err  # nothing depends on the web server
    assert vigil("-f", str(cib), "resource", "enable", "WebSite")[0] == 0
    code, _, err = vigil("-f", str(cib), "resource", "safe-disable", "WebIP", "--force")
    assert code == 0 and "would also: Stop WebSite" in err  # said, and done
    loaded, _ = load_cib_file(str(cib))
    web_ip = next(r for r in walk(loaded.configuration.resources) if r.id == "WebIP")
    assert _pairs(web_ip.meta_attributes)["target-role"] == "Stopped"


@pytest.mark.skipif(shutil.which("crm_simulate") is None, reason="needs crm_simulate")
def test_relocate_shows_where_stickiness_holds_them(vigil: Run, cib: Path,
                                                    tmp_path: Path) -> None:
    import subprocess

    settled = tmp_path / "settled.xml"  # the example after its transition ran (crm_simulate)
    subprocess.run(["crm_simulate", "-x", str(cib), "-S", "-O", str(settled)], check=True,
                   capture_output=True, timeout=60)
    assert vigil("-f", str(settled), "resource", "defaults", "resource-stickiness=100")[0] == 0
    assert vigil("-f", str(settled), "constraint", "location", "WebSite", "prefers",
                 "node2=50")[0] == 0
    code, out, _ = vigil("-f", str(settled), "resource", "relocate", "show")
    rows = {ln.split("\t")[0]: ln.split("\t")[1:] for ln in out.splitlines()[1:]}
    assert code == 0 and rows["WebSite"] == ["node3", "node2  <- would move"]
    assert rows["WebIP"] == ["node3", "node2  <- would move"]  # colocated with WebSite
    assert rows["fence-lab"] == ["node2", "node2"]
    code, _, err = vigil("-f", str(settled), "resource", "relocate", "run")
    assert code == 1 and "needs a running cluster" in err
    code, _, err = vigil("-f", str(settled), "resource", "relocate", "dry-run", "ghost")
    assert code == 2 and "'ghost' does not exist" in err


def test_pcs_aliases(vigil: Run, cib: Path) -> None:
    """stonith cleanup|defaults (as for resources), status cluster, move-with-constraint."""
    code, _, err = vigil("-f", str(cib), "stonith", "cleanup", "fence-lab")
    assert code == 0, err
    assert vigil("-f", str(cib), "stonith", "defaults")[0] == 0
    assert vigil("-f", str(cib), "status", "cluster")[1] == vigil("-f", str(cib), "status")[1]
    code, _, err = vigil("-f", str(cib), "resource", "move-with-constraint", "WebIP", "node2")
    assert code == 0 and "cli-prefer-WebIP" in err
