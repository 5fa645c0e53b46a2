"""pcs's forms of commands vigil answered wrongly (issue 14's list): `resource status ID`
shows that resource, `constraint colocation delete SOURCE TARGET` and `constraint order delete
RESOURCE...` take resources (constraint ids still work), `cluster cib FILE [scope=SECTION]`
saves the CIB to FILE. Each against a CIB file, with what it must refuse."""

from __future__ import annotations

from pathlib import Path

from cibs import Run


def test_resource_status_of_one_resource(vigil: Run, cib: Path) -> None:
    code, out, _ = vigil("-f", str(cib), "resource", "status", "WebIP")
    assert code == 0
    assert [ln.split("\t")[0].strip() for ln in out.splitlines()[1:]] == ["* WebIP"]
    code, out, _ = vigil("-f", str(cib), "resource", "status")
    assert "WebSite" in out and "fence-lab" in out
    code, out, err = vigil("-f", str(cib), "resource", "status", "WebIP", "ghost")
    assert code == 2 and not out and "'ghost' does not exist" in err


def test_colocation_delete_takes_the_two_resources(vigil: Run, cib: Path) -> None:
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "constraint", "colocation", "delete", "WebIP", "WebSite")
    assert code == 2 and "no colocation of WebIP with WebSite" in err  # the other way round
    assert cib.read_bytes() == before
    code, out, err = vigil("-f", str(cib), "constraint", "colocation", "delete", "WebSite", "WebIP")
    assert code == 0, err
    _, listed, _ = vigil("-f", str(cib), "constraint", "colocation")
    assert "WebSite with WebIP" not in listed


def test_order_delete_takes_resources_and_ids_still_work(vigil: Run, cib: Path) -> None:
    code, _, err = vigil("-f", str(cib), "constraint", "order", "delete", "nope")
    assert code == 2 and "nope" in err
    code, _, err = vigil("-f", str(cib), "constraint", "order", "delete", "WebSite")
    assert code == 0, err
    _, listed, _ = vigil("-f", str(cib), "constraint", "order")
    assert "WebIP then" not in listed
    code, _, err = vigil("-f", str(cib), "constraint", "order", "delete", "WebSite")
    assert code == 2 and "no order constraint names WebSite" in err
    # a constraint id, as before
    _, listed, _ = vigil("-f", str(cib), "constraint", "--full")
    cid = next(w.strip("(id:)") for ln in listed.splitlines() if "WebSite with WebIP" in ln
               for w in ln.split() if w.startswith("(id:"))
    code, _, err = vigil("-f", str(cib), "constraint", "colocation", "remove", cid)
    assert code == 0, err


def test_cluster_cib_saves_to_a_file(vigil: Run, cib: Path, tmp_path: Path) -> None:
    whole, part = tmp_path / "whole.xml", tmp_path / "part.xml"
    code, out, _ = vigil("-f", str(cib), "cluster", "cib", str(whole))
    assert code == 0 and "wrote the whole CIB" in out
    assert whole.read_text().startswith("<cib ")
    code, _, _ = vigil("-f", str(cib), "cluster", "cib", str(part), "scope=constraints")
    assert code == 0 and part.read_text().startswith("<constraints")
    # Clusters from Scratch's `pcs cluster cib drbd_cfg`: a name without a dot is a file too
    code, _, _ = vigil("-f", str(cib), "cluster", "cib", str(tmp_path / "drbd_cfg"))
    assert code == 0 and (tmp_path / "drbd_cfg").read_text().startswith("<cib ")
    code, out, _ = vigil("-f", str(cib), "cluster", "cib", "resources")  # a section's name
    assert code == 0 and out.startswith("<resources")
    for argv, says in (((str(tmp_path / "no" / "dir.xml"),), "no directory"),
                       ((str(tmp_path),), "it is a directory"),
                       ((str(whole), "scope=bogus"), "'bogus' is not a CIB section"),
                       ((str(whole), str(part)), "unexpected")):
        before = whole.read_bytes()
        code, out, err = vigil("-f", str(cib), "cluster", "cib", *argv)
        assert code in (1, 2) and not out and says in err, err
        assert whole.read_bytes() == before
    assert not (tmp_path / "no").exists()


def test_status_full_adds_the_operation_history(vigil: Run, cib: Path) -> None:
    code, plain, _ = vigil("-f", str(cib), "status")
    assert code == 0 and "Operations:" not in plain
    code, full, _ = vigil("-f", str(cib), "status", "--full")
    assert code == 0 and full.startswith(plain.rstrip("\n"))  # the same, then more
    ops = full[full.index("Operations:"):].splitlines()
    assert ops[1] == "  * Node: node1:" and ops[2] == "    * WebIP:"
    assert ops[3].startswith("      * (10) start last-rc-change=") and ops[3].endswith("rc=0 (ok)")
    assert ops[4].startswith('      * (11) monitor: interval="10000ms"')


def _meta(cib: Path, rid: str) -> dict[str, str]:
    from vigil.cib.io import load_cib_file
    from vigil.commands import edit

    found = edit.find_resource(load_cib_file(cib)[0], rid)
    assert found is not None
    return {p.name: p.value or "" for s in found.meta_attributes for p in s.pairs}


def test_manage_unmanage_and_stonith_enable_disable(vigil: Run, cib: Path) -> None:
    code, _, err = vigil("-f", str(cib), "resource", "unmanage", "WebIP", "WebSite")
    assert code == 0, err
    assert _meta(cib, "WebIP")["is-managed"] == "false" == _meta(cib, "WebSite")["is-managed"]
    _, out, _ = vigil("-f", str(cib), "resource", "status", "WebIP")
    assert out.rstrip().endswith("(unmanaged)")
    code, _, err = vigil("-f", str(cib), "resource", "manage", "WebIP", "WebSite")
    assert code == 0 and "is-managed" not in _meta(cib, "WebIP"), err
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "resource", "unmanage", "WebIP", "ghost")
    assert code == 2 and "'ghost' does not exist" in err and cib.read_bytes() == before
    code, _, err = vigil("-f", str(cib), "stonith", "disable", "fence-lab")
    assert code == 0 and _meta(cib, "fence-lab")["target-role"] == "Stopped", err
    code, _, err = vigil("-f", str(cib), "stonith", "enable", "fence-lab")
    assert code == 0 and "target-role" not in _meta(cib, "fence-lab"), err
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "stonith", "disable", "WebIP")
    assert code == 2 and "'WebIP' is not a fence device" in err and cib.read_bytes() == before


def test_ungroup_and_cluster_standby_and_property_defaults(vigil: Run, cib: Path) -> None:
    assert vigil("-f", str(cib), "resource", "group", "add", "web", "WebIP", "WebSite")[0] == 0
    code, _, err = vigil("-f", str(cib), "resource", "ungroup", "web", "WebSite")
    assert code == 0, err
    _, out, _ = vigil("-f", str(cib), "resource", "config", "web")
    assert "WebIP" in out and "WebSite" not in out
    code, _, err = vigil("-f", str(cib), "resource", "ungroup", "web")
    assert code == 0, err
    code, _, err = vigil("-f", str(cib), "resource", "config", "web")
    assert code == 2 and "'web' does not exist" in err
    # pcs 0.9's cluster standby (seed 004 types it)
    code, _, err = vigil("-f", str(cib), "cluster", "standby", "node2")
    assert code == 0, err
    assert "Node node2: standby" in vigil("-f", str(cib), "status")[1]
    assert vigil("-f", str(cib), "cluster", "unstandby", "node2")[0] == 0
    assert "standby" not in vigil("-f", str(cib), "status")[1]
    code, out, _ = vigil("-f", str(cib), "property", "defaults", "no-quorum-policy",
                         "stonith-enabled")
    assert code == 0 and out.splitlines() == ["no-quorum-policy=stop", "stonith-enabled=true"]
    code, out, _ = vigil("-f", str(cib), "property", "defaults")
    assert code == 0 and "batch-limit=0" in out.splitlines()
    code, out, err = vigil("-f", str(cib), "property", "defaults", "bogus")
    assert code == 2 and not out and "'bogus' is not a cluster property" in err


def test_resource_op_add_and_delete(vigil: Run, cib: Path) -> None:
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "resource", "op", "add", "WebIP", "monitor",
                         "interval=10s")
    assert code == 2 and "already (WebIP-monitor-interval-10s)" in err
    assert cib.read_bytes() == before
    code, _, err = vigil("-f", str(cib), "resource", "op", "add", "WebIP", "monitor",
                         "interval=30s", "timeout=40s", "OCF_CHECK_LEVEL=10")
    assert code == 0, err
    _, out, _ = vigil("-f", str(cib), "resource", "config", "WebIP")
    assert "monitor interval=30s timeout=40s OCF_CHECK_LEVEL=10 (WebIP-monitor-interval-30s)" in out
    # by action and options (an interval by its length), then by id
    code, out, err = vigil("-f", str(cib), "resource", "op", "delete", "WebIP", "monitor",
                           "interval=30")
    assert code == 0 and "removed operation WebIP-monitor-interval-30s" in err, err
    code, _, err = vigil("-f", str(cib), "resource", "op", "delete", "WebIP-monitor-interval-10s")
    assert code == 0, err
    _, out, _ = vigil("-f", str(cib), "resource", "config", "WebIP")
    assert "Operations:" not in out
    for argv in (("WebIP", "monitor"), ("no-such-op",), ("ghost", "monitor")):
        before = cib.read_bytes()
        code, out, err = vigil("-f", str(cib), "resource", "op", "delete", *argv)
        assert code == 2 and not out and len(err.strip().splitlines()) == 1, err
        assert cib.read_bytes() == before


def test_stonith_list_and_describe(vigil: Run) -> None:
    # the agents the tests install (cibs.FakeCatalog): fence_ipmilan among them
    code, out, _ = vigil("stonith", "list")
    assert code == 0 and "fence_ipmilan" in out.splitlines()
    code, out, _ = vigil("stonith", "list", "ipmi")
    assert code == 0 and out.splitlines() == ["fence_ipmilan"]
    code, out, _ = vigil("stonith", "list", "nothing-like-it")
    assert code == 0 and out == ""
    code, out, _ = vigil("stonith", "describe", "fence_ipmilan")
    assert code == 0 and out.startswith("stonith:fence_ipmilan")
    code, out, err = vigil("stonith", "describe", "fence_nope")
    assert code == 2 and not out and "'stonith:fence_nope' is not installed" in err


def test_status_resources_id_and_status_quorum(vigil: Run, cib: Path) -> None:
    code, out, _ = vigil("-f", str(cib), "status", "resources", "WebSite")
    assert code == 0 and [ln.split("\t")[0].strip() for ln in out.splitlines()[1:]] == [
        "* WebSite"]
    # status quorum is quorum status: Corosync's, not a CIB file's
    code, out, err = vigil("-f", str(cib), "status", "quorum")
    assert code == 2 and not out and "quorum commands work on Corosync" in err


def test_resource_relations_draws_orders_and_hierarchy_once(vigil: Run, tmp_path: Path) -> None:
    cib = tmp_path / "r.xml"
    for words in (("resource", "create", "A", "ocf:pacemaker:Dummy"),
                  ("resource", "create", "B", "ocf:pacemaker:Dummy", "--group", "G"),
                  ("resource", "create", "D", "ocf:pacemaker:Dummy", "clone"),
                  ("constraint", "order", "start", "A", "then", "start", "G"),
                  ("constraint", "order", "start", "D-clone", "then", "A"),
                  ("constraint", "order", "start", "G", "then", "start", "D-clone")):  # a cycle
        code, _, err = vigil("-f", str(cib), *words)
        assert code == 0, (words, err)
    code, out, err = vigil("-f", str(cib), "resource", "relations", "A")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "A"
    assert "|  start A then start G (order-A-G-mandatory)" in [ln.strip() for ln in lines]
    assert any(ln.endswith("`- B") for ln in lines) and any(ln.endswith("`- D") for ln in lines)
    # the cycle A -> G -> D-clone -> A ends: each tie drawn once, a resource's ties where it
    # first appears
    assert sum(1 for ln in lines if ln.strip("|` -") == "D-clone") == 1
    assert len(lines) < 40
    code, out, err = vigil("-f", str(cib), "resource", "relations", "nope")
    assert code == 2 and not out and "'nope' does not exist" in err
    code, _, err = vigil("-f", str(cib), "resource", "relations")
    assert code == 2 and "resource relations RSC" in err


def test_remote_and_guest_nodes_as_configuration(vigil: Run, tmp_path: Path) -> None:
    cib = tmp_path / "rn.xml"
    code, _, err = vigil("-f", str(cib), "cluster", "node", "add-remote", "10.213.0.60", "rn1",
                         "reconnect_interval=60s")
    assert code == 0, err
    code, _, err = vigil("-f", str(cib), "resource", "create", "vm1", "ocf:pacemaker:Dummy")
    code, _, err = vigil("-f", str(cib), "cluster", "node", "add-guest", "g1", "vm1",
                         "remote-addr=10.213.0.61")
    assert code == 0, err
    _, shown, _ = vigil("-f", str(cib), "config")
    assert "Resource: rn1 (class=ocf provider=pacemaker type=remote)" in shown
    assert "server=10.213.0.60 reconnect_interval=60s" in shown
    assert "remote-node=g1 remote-addr=10.213.0.61" in shown
    before = cib.read_bytes()
    for words, said in ((("add-guest", "g2", "vm1"), "holds the guest node g1 already"),
                        (("add-guest", "rn1", "nope"), "'nope' does not exist"),
                        (("add-remote", "vm1"), "names a node or a resource already"),
                        (("add-remote", "10.0.0.1", "r2", "server=10.0.0.2"), "given twice"),
                        (("add-guest", "g3", "rn1", "remote-colour=red"), "not a guest node option"),
                        (("remove-remote", "ghost"), "no remote node 'ghost'"),
                        (("remove-guest", "ghost"), "no guest node 'ghost'")):
        code, _, err = vigil("-f", str(cib), "cluster", "node", *words)
        assert code == 2 and said in err, (words, err)
        assert cib.read_bytes() == before, words
    assert vigil("-f", str(cib), "cluster", "node", "remove-guest", "g1")[0] == 0
    assert vigil("-f", str(cib), "cluster", "node", "remove-remote", "rn1")[0] == 0
    _, shown, _ = vigil("-f", str(cib), "config")
    assert "rn1" not in shown and "remote-node" not in shown and "vm1" in shown


def test_resource_status_on_one_node(vigil: Run, cib: Path) -> None:
    """pcs 0.11's `resource status node=NODE`: what is active there (the example: fence-lab on
    node2, the web service on the unclean node1)."""
    code, out, _ = vigil("-f", str(cib), "resource", "status", "node=node2")
    assert code == 0
    assert [ln.split("\t")[0].strip() for ln in out.splitlines()[1:]] == ["* fence-lab"]
    code, out, _ = vigil("-f", str(cib), "resource", "status", "WebIP", "node=node1")
    assert [ln.split("\t")[0].strip() for ln in out.splitlines()[1:]] == ["* WebIP"]
    code, out, _ = vigil("-f", str(cib), "resource", "status", "node=node3")
    assert (code, out) == (0, "")  # nothing runs there
    code, out, err = vigil("-f", str(cib), "resource", "status", "node=ghost")
    assert code == 2 and not out and "node 'ghost' is not in the cluster" in err


def test_resource_clear_names_an_unknown_node(vigil: Run, cib: Path) -> None:
    """A typo in the node must not pass for "nothing to clear"."""
    before = cib.read_bytes()
    code, _, err = vigil("-f", str(cib), "resource", "clear", "WebIP", "nodee2")
    assert code == 2 and "node 'nodee2' is not in the cluster" in err
    assert cib.read_bytes() == before


def test_output_format_is_pcs_name_for_output(vigil: Run, cib: Path) -> None:
    code, out, _ = vigil("-f", str(cib), "resource", "status", "--output-format", "json")
    assert code == 0 and out.lstrip().startswith("[")
    code, out, _ = vigil("-f", str(cib), "resource", "status", "--output-format=json")
    assert code == 0 and out.lstrip().startswith("[")
