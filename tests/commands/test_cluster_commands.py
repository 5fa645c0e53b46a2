"""Properties, nodes, status, cleanup, restart and the CIB as a whole, on a CIB file."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import DUMMY, cib_text, codes, fails, load, running_on_node1, write_cib

from vigil.commands import config, edit, node, status
from vigil.commands import property as prop
from vigil.commands.env import FileEnvironment
from vigil.model.cib import Cib
from vigil.model.nvset import flatten
from vigil.model.reports import ReportError

NOW = 1_764_000_100





def test_property_set_unset_list(env: FileEnvironment, cib_path: Path) -> None:
    prop.set_properties(env, [("no-quorum-policy", "ignore"), ("stonith-enabled", "true")])
    cib = load(cib_path)
    assert cib.cluster_option("no-quorum-policy") == "ignore"
    assert cib.cluster_option("stonith-enabled") == "true"
    pair = cib.configuration.properties[0].pairs[1]
    assert (pair.id, pair.name) == ("cib-bootstrap-options-no-quorum-policy", "no-quorum-policy")
    listed = {p.name: p for p in prop.list_properties(env)}
    assert set(listed) == {"no-quorum-policy", "stonith-enabled"}
    every = {p.name: p for p in prop.list_properties(env, all_known=True)}
    assert every["symmetric-cluster"].default == "true" and not every["symmetric-cluster"].set
    prop.unset_properties(env, ["no-quorum-policy"])
    assert load(cib_path).cluster_option("no-quorum-policy") is None


@pytest.mark.parametrize(("pairs", "code"), [
    ([("no-quorum-policy", "sometimes")], "INVALID_OPTION_VALUE"),
    ([("stonith-enabled", "maybe")], "INVALID_OPTION_VALUE"),
    ([("cluster-recheck-interval", "often")], "INVALID_OPTION_VALUE"),
    ([("no-such-option", "1")], "PROPERTY_UNKNOWN"),
    ([("dc-version", "2.1.5")], "PROPERTY_READ_ONLY"),
])
def test_bad_property_changes_nothing_unless_forced(env: FileEnvironment, cib_path: Path,
                                                    pairs: list[tuple[str, str]],
                                                    code: str) -> None:
    found = fails(cib_path, lambda: prop.set_properties(env, pairs))
    assert found == [code]
    done = prop.set_properties(env, pairs, force=True)
    assert codes(done.reports) == [code] and done.changed


def test_property_unset_of_unset_name(env: FileEnvironment, cib_path: Path) -> None:
    assert fails(cib_path, lambda: prop.unset_properties(env, ["maintenance-mode"])) == [
        "PROPERTY_NOT_SET"]
    done = prop.unset_properties(env, ["maintenance-mode"], force=True)
    assert not done.changed


def test_node_standby_maintenance_attributes(env: FileEnvironment, cib_path: Path) -> None:
    node.standby(env, ["node1"])
    node.maintenance(env, [], all_nodes=True)
    cib = load(cib_path)
    n1, n2 = cib.configuration.nodes
    assert flatten(n1.instance_attributes) == {"standby": "on", "maintenance": "on"}
    assert n1.instance_attributes[0].id == "nodes-1"
    assert n1.instance_attributes[0].pairs[0].id == "nodes-1-standby"
    assert flatten(n2.instance_attributes) == {"maintenance": "on"}
    node.standby(env, ["node1"], on=False)
    node.maintenance(env, ["node1", "node2"], on=False)
    node.set_attributes(env, "node2", [("rack", "r1"), ("ssd", "yes")])
    node.set_attributes(env, "node2", [("ssd", "")])
    n1, n2 = load(cib_path).configuration.nodes
    assert n1.instance_attributes == ()
    assert flatten(n2.instance_attributes) == {"rack": "r1"}
    assert node.attributes(env, "node2") == (("node2", (("rack", "r1"),)),)
    assert fails(cib_path, lambda: node.standby(env, ["node7"])) == ["NODE_NOT_FOUND"]
    assert fails(cib_path, lambda: node.standby(env, [])) == ["NODE_NEEDED"]
    assert fails(cib_path, lambda: node.set_attributes(env, "node2", [("nope", "")])) == [
        "NODE_ATTRIBUTE_NOT_SET"]


def test_standby_moves_resources_in_the_scheduler(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "c.xml", DUMMY.format(id="A"), status1=running_on_node1("A"))
    env = FileEnvironment(str(path), clock=NOW)
    node.standby(env, ["node1"])
    state = status.cluster_status(env)
    a = next(x for x in state.transition.allocations if x.resource == "A")
    assert (a.current_nodes, a.next_node) == (("node1",), "node2")
    assert next(n for n in state.transition.nodes if n.name == "node1").standby


def test_status_and_cleanup_of_a_failed_monitor(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "c.xml", DUMMY.format(id="A") + DUMMY.format(id="B"),
                     status1=running_on_node1("A", failed_monitor=True))
    env = FileEnvironment(str(path), clock=NOW)
    state = status.cluster_status(env)
    a = next(x for x in state.transition.allocations if x.resource == "A")
    assert a.current_nodes == ("node1",) and a.failed and a.fail_counts == (("node1", 1),)
    assert [(f.resource, f.node, f.operation, f.interval_ms, f.rc_code)
            for f in state.failed_actions] == [("A", "node1", "monitor", 10000, 7)]
    assert (state.nodes_configured, state.resource_instances) == (2, 2)

    assert fails(path, lambda: status.cleanup(env, "ghost")) == ["RESOURCE_NOT_FOUND"]
    done = status.cleanup(env, "B")
    assert codes(done.reports) == ["NOTHING_TO_CLEAN"] and not done.changed
    before = load(path).version
    done = status.cleanup(env, "A")
    assert codes(done.reports) == ["CLEANED_UP"]
    cib = load(path)
    state1 = cib.status[0]
    assert flatten(state1.transient_attributes) == {}
    assert [r.id for r in state1.history[0].operations] == ["A_last_0"]
    assert cib.version.as_tuple() == (0, before.epoch, before.num_updates + 1)  # status only
    after = status.cluster_status(env)
    a = next(x for x in after.transition.allocations if x.resource == "A")
    assert a.current_nodes == ("node1",) and not a.failed and a.fail_counts == ()
    assert after.failed_actions == ()


def test_cleanup_everything_on_one_node(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "c.xml", DUMMY.format(id="A"),
                     status1=running_on_node1("A", failed_monitor=True))
    env = FileEnvironment(str(path), clock=NOW)
    assert fails(path, lambda: status.cleanup(env, None, "node9")) == ["NODE_NOT_FOUND"]
    assert not status.cleanup(env, None, "node2").changed
    done = status.cleanup(env, None, "node1")
    assert codes(done.reports) == ["CLEANED_UP"]
    assert status.failed_actions(load(path)) == ()


def test_restart_needs_a_running_cluster(env: FileEnvironment, cib_path: Path) -> None:
    assert fails(cib_path, lambda: status.restart(env, "A")) == ["NEEDS_RUNNING_CLUSTER"]
    assert fails(cib_path, lambda: status.restart(env, "ghost")) == ["RESOURCE_NOT_FOUND"]


def test_cib_xml_sections(env: FileEnvironment) -> None:
    whole = config.cib_xml(env)
    assert whole.startswith("<cib ") and "<status>" in whole
    resources = config.cib_xml(env, "resources")
    assert resources.startswith("<resources>") and 'id="A"' in resources
    assert config.cib_xml(env, "op_defaults").strip() == "<op_defaults />"
    with pytest.raises(ReportError) as exc:
        config.cib_xml(env, "bogus")
    assert codes(exc.value.reports) == ["CIB_SECTION_UNKNOWN"]


def test_cib_push(env: FileEnvironment, cib_path: Path, tmp_path: Path) -> None:
    pushed = tmp_path / "new.xml"
    pushed.write_text(cib_text(DUMMY.format(id="Z")).replace('epoch="5"', 'epoch="9"'))
    config.cib_push(env, str(pushed), config_only=True)
    cib = load(cib_path)
    assert edit.resource_ids(cib) == ["Z"] and cib.version.epoch == 6
    config.cib_push(env, str(pushed))  # the same configuration, with the file's newer epoch
    assert load(cib_path).version.as_tuple() == (0, 9, 3)
    old = tmp_path / "old.xml"
    old.write_text(cib_text().replace('epoch="5"', 'epoch="2"'))
    assert fails(cib_path, lambda: config.cib_push(env, str(old))) == ["CIB_PUSH_OLDER"]


@pytest.mark.parametrize(("text", "code"), [
    ("<cib><configuration>", "CIB_NOT_XML"),
    ("<notcib/>", "CIB_WRONG_ROOT"),
    (cib_text(DUMMY.format(id="A"), '<rsc_order id="o" first="A" then="ghost"/>'),
     "CIB_UNKNOWN_RESOURCE"),
    (cib_text(DUMMY.format(id="A") + DUMMY.format(id="A")), "CIB_DUPLICATE_ID"),
])
def test_bad_cib_push_changes_nothing(env: FileEnvironment, cib_path: Path, tmp_path: Path,
                                      text: str, code: str) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(text)
    assert code in fails(cib_path, lambda: config.cib_push(env, str(bad)))
    assert fails(cib_path, lambda: config.cib_push(env, str(tmp_path / "none.xml"))) == [
        "PUSH_FILE_NOT_FOUND"]


def test_a_concurrent_change_is_refused(env: FileEnvironment, cib_path: Path) -> None:
    class Racing(FileEnvironment):
        """Someone else writes the file between our read and our push."""

        def get_cib(self) -> Cib:
            cib = super().get_cib()
            other = FileEnvironment(self.path)
            prop.set_properties(other, [("maintenance-mode", "true")])
            return cib

    racing = Racing(str(cib_path))
    with pytest.raises(ReportError) as exc:
        prop.set_properties(racing, [("no-quorum-policy", "ignore")])
    assert codes(exc.value.reports) == ["CIB_CHANGED_UNDERNEATH"]
    cib = load(cib_path)
    assert cib.cluster_option("maintenance-mode") == "true"
    assert cib.cluster_option("no-quorum-policy") is None


def test_status_names_the_cluster(tmp_path: Path) -> None:
    """crm_mon's "Cluster name" is the cluster-name property; Pacemaker's DC copies Corosync's
    totem.cluster_name into it. Without the property the live status reads the node's
    corosync.conf; a CIB file has only the property."""
    from scripted import FakeDaemon

    from vigil.cli.config_view import status_lines
    from vigil.commands.env import LiveEnvironment

    conf = tmp_path / "corosync.conf"
    conf.write_text("totem {\n\tversion: 2\n\tcluster_name: web\n}\n")
    bare = cib_text(DUMMY.format(id="A"))
    named = bare.replace("</cluster_property_set>", '<nvpair id="cib-bootstrap-options-cluster-name" '
                         'name="cluster-name" value="prop-name"/></cluster_property_set>', 1)
    assert named != bare
    from vigil.daemon import control as c

    no_history = (c.GetFenceHistory(), c.Answer(c.FenceHistory(())))
    answers: list[tuple[c.Request, c.Reply]] = [
        (c.GetCib(), c.Answer(c.CibXml(bare))), no_history,
        (c.GetCib(), c.Answer(c.CibXml(named))), no_history,
        (c.GetCib(), c.Answer(c.CibXml(bare))), no_history]
    fake = FakeDaemon(tmp_path / "vigild.sock", answers)
    try:
        live = LiveEnvironment(fake.path, timeout=10, corosync_conf=str(conf))
        state = status.cluster_status(live)
        assert state.cluster_name == "web"
        assert status_lines(state, "the running cluster")[0] == "Cluster name: web"
        assert status.cluster_status(live).cluster_name == "prop-name"  # the property wins
        gone = LiveEnvironment(fake.path, timeout=10, corosync_conf=str(tmp_path / "missing.conf"))
        assert status.cluster_status(gone).cluster_name is None
    finally:
        fake.check_done()
    path = tmp_path / "c.xml"
    path.write_text(bare)
    assert status.cluster_status(FileEnvironment(str(path), clock=NOW)).cluster_name is None
    path.write_text(named)
    assert status.cluster_status(FileEnvironment(str(path), clock=NOW)).cluster_name == "prop-name"
