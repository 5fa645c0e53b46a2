"""Library commands on resources, on a CIB file: the model values they leave and their reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import DUMMY, FakeCatalog, codes, fails, load, running_on_node1, write_cib

from vigil.commands import edit, resource
from vigil.commands.env import FileEnvironment
from vigil.commands.resource import OpSpec, ResourceSpec
from vigil.model.cib import Cib
from vigil.model.constraints import Colocation
from vigil.model.nvset import flatten
from vigil.model.resources import Group, Primitive

CATALOG = FakeCatalog()




def prim(cib: Cib, rsc_id: str) -> Primitive:
    found = edit.find_resource(cib, rsc_id)
    assert isinstance(found, Primitive)
    return found



def test_create_writes_pcs_ids_attributes_ops_and_meta(env: FileEnvironment,
                                                       cib_path: Path) -> None:
    spec = ResourceSpec(instance=(("ip", "192.168.1.100"), ("cidr_netmask", "24")),
                        operations=(OpSpec("monitor", (("interval", "10s"),)),),
                        meta=(("resource-stickiness", "100"),))
    done = resource.create(env, "VirtualIP", "ocf:heartbeat:IPaddr2", spec, catalog=CATALOG)
    assert done.changed
    p = prim(load(cib_path), "VirtualIP")
    assert (p.standard, p.provider, p.agent_type) == ("ocf", "heartbeat", "IPaddr2")
    assert p.instance_attributes[0].id == "VirtualIP-instance_attributes"
    assert [(x.id, x.name, x.value) for x in p.instance_attributes[0].pairs] == [
        ("VirtualIP-instance_attributes-ip", "ip", "192.168.1.100"),
        ("VirtualIP-instance_attributes-cidr_netmask", "cidr_netmask", "24")]
    assert [(o.id, o.name, o.interval) for o in p.operations] == [
        ("VirtualIP-monitor-interval-10s", "monitor", "10s")]
    assert flatten(p.meta_attributes) == {"resource-stickiness": "100"}
    assert load(cib_path).version.epoch == 6


def test_create_adds_the_agents_monitor_when_none_is_given(env: FileEnvironment,
                                                           cib_path: Path) -> None:
    resource.create(env, "web", "lsb:httpd", ResourceSpec(), catalog=CATALOG)
    resource.create(env, "x", "ocf:heartbeat:Dummy", ResourceSpec(), catalog=None)
    cib = load(cib_path)
    assert [(o.name, o.interval, o.timeout) for o in prim(cib, "web").operations] == [
        ("monitor", "15s", "20s")]
    assert [(o.name, o.interval) for o in prim(cib, "x").operations] == [("monitor", "60s")]
    resource.create(env, "y", "ocf:heartbeat:Dummy", ResourceSpec(), no_default_ops=True)
    assert prim(load(cib_path), "y").operations == ()


def test_create_resolves_a_bare_type_to_the_single_installed_agent(env: FileEnvironment,
                                                                   cib_path: Path) -> None:
    done = resource.create(env, "ip", "IPaddr2", ResourceSpec(instance=(("ip", "1.2.3.4"),)),
                           catalog=CATALOG)
    assert "AGENT_NAME_DEDUCED" in codes(done.reports)
    assert prim(load(cib_path), "ip").agent == "ocf:heartbeat:IPaddr2"
    assert fails(cib_path, lambda: resource.create(env, "d", "Dummy", ResourceSpec(),
                                                   catalog=CATALOG)) == ["AGENT_NAME_AMBIGUOUS"]
    assert fails(cib_path, lambda: resource.create(env, "d", "Nope", ResourceSpec(),
                                                   catalog=CATALOG)) == ["AGENT_NOT_FOUND"]
    assert fails(cib_path, lambda: resource.create(env, "d", "Dummy", ResourceSpec(),
                                                   catalog=None)) == ["AGENT_NAME_NEEDS_STANDARD"]


def test_create_validates_agent_and_parameters_unless_forced(env: FileEnvironment,
                                                             cib_path: Path) -> None:
    assert fails(cib_path, lambda: resource.create(env, "r", "systemd:nope", ResourceSpec(),
                                                   catalog=CATALOG)) == ["AGENT_NOT_FOUND"]
    bad = ResourceSpec(instance=(("ipp", "1.2.3.4"),))
    assert fails(cib_path, lambda: resource.create(env, "r", "ocf:heartbeat:IPaddr2", bad,
                                                   catalog=CATALOG)) == [
        "AGENT_PARAMETER_UNKNOWN", "AGENT_PARAMETER_MISSING"]
    done = resource.create(env, "r", "ocf:heartbeat:IPaddr2", bad, catalog=CATALOG, force=True)
    assert codes(done.reports) == ["AGENT_PARAMETER_UNKNOWN", "AGENT_PARAMETER_MISSING"]
    assert all(r.severity.value == "warning" for r in done.reports)
    assert prim(load(cib_path), "r").agent == "ocf:heartbeat:IPaddr2"


@pytest.mark.parametrize(("agent", "code"), [
    ("ocf:IPaddr2", "INVALID_AGENT_NAME"), ("lsb:heartbeat:x", "INVALID_AGENT_NAME"),
    ("foo:bar", "INVALID_AGENT_NAME"), ("ocf::x", "INVALID_AGENT_NAME")])
def test_create_refuses_malformed_agent_names(env: FileEnvironment, cib_path: Path, agent: str,
                                              code: str) -> None:
    assert fails(cib_path, lambda: resource.create(env, "r", agent, ResourceSpec())) == [code]


@pytest.mark.parametrize(("rsc_id", "spec", "code"), [
    ("A", ResourceSpec(), "ID_ALREADY_EXISTS"),
    ("1bad", ResourceSpec(), "INVALID_ID"),
    ("r", ResourceSpec(operations=(OpSpec("monitor", (("interval", "soon"),)),)),
     "INVALID_OPTION_VALUE"),
    ("r", ResourceSpec(operations=(OpSpec("monitor", (("bogus", "1"),)),)), "INVALID_OPTION"),
    ("r", ResourceSpec(operations=(OpSpec("monitor", (("interval", "10s"),)),
                                   OpSpec("monitor", (("interval", "10000ms"),)))),
     "OPERATION_DUPLICATE"),
    ("r", ResourceSpec(meta=(("target-role", "Sleeping"),)), "INVALID_OPTION_VALUE"),
    ("r", ResourceSpec(meta=(("resource-stickiness", "lots"),)), "INVALID_OPTION_VALUE"),
])
def test_bad_create_changes_nothing(env: FileEnvironment, cib_path: Path, rsc_id: str,
                                    spec: ResourceSpec, code: str) -> None:
    assert code in fails(cib_path, lambda: resource.create(env, rsc_id, "ocf:heartbeat:Dummy",
                                                           spec))


def test_unknown_operation_name_is_kept_with_a_warning(env: FileEnvironment,
                                                       cib_path: Path) -> None:
    # Seed 002 types "op moniter interval=30s"; pcs of its day kept it and added a monitor.
    spec = ResourceSpec(operations=(OpSpec("moniter", (("interval", "30s"),)),))
    done = resource.create(env, "WebIP", "ocf:heartbeat:IPaddr2", ResourceSpec(
        instance=(("ip", "10.0.0.1"),), operations=spec.operations), catalog=CATALOG)
    assert codes(done.reports) == ["OPERATION_NAME_UNKNOWN"]
    assert done.reports[0].field("suggestion") == "monitor"
    assert [(o.name, o.interval) for o in prim(load(cib_path), "WebIP").operations] == [
        ("moniter", "30s"), ("monitor", "10s")]


def test_create_disabled_into_a_group_before_a_member(env: FileEnvironment,
                                                      cib_path: Path) -> None:
    resource.create(env, "g1", "ocf:heartbeat:Dummy", ResourceSpec(), group="G")
    resource.create(env, "g2", "ocf:heartbeat:Dummy", ResourceSpec(), group="G")
    resource.create(env, "g0", "ocf:heartbeat:Dummy", ResourceSpec(), group="G", before="g1",
                    disabled=True)
    resource.create(env, "g3", "ocf:heartbeat:Dummy", ResourceSpec(), group="G", after="g2")
    cib = load(cib_path)
    group = edit.find_resource(cib, "G")
    assert isinstance(group, Group)
    assert [m.id for m in group.members] == ["g0", "g1", "g2", "g3"]
    assert flatten(prim(cib, "g0").meta_attributes) == {"target-role": "Stopped"}
    assert fails(cib_path, lambda: resource.create(env, "g4", "ocf:heartbeat:Dummy",
                                                   ResourceSpec(), group="G", after="A")) == [
        "RESOURCE_NOT_IN_GROUP"]
    assert fails(cib_path, lambda: resource.create(env, "g4", "ocf:heartbeat:Dummy",
                                                   ResourceSpec(), group="A")) == ["NOT_A_GROUP"]
    assert fails(cib_path, lambda: resource.create(env, "g4", "ocf:heartbeat:Dummy",
                                                   ResourceSpec(), before="A")) == [
        "POSITION_NEEDS_GROUP"]


def test_stonith_create(env: FileEnvironment, cib_path: Path) -> None:
    spec = ResourceSpec(instance=(("ipaddr", "192.168.1.200"), ("login", "admin"),
                                  ("passwd", "pw"), ("pcmk_host_list", "node1")),
                        operations=(OpSpec("monitor", (("interval", "60s"),)),))
    done = resource.create(env, "fence1", "fence_ipmilan", spec, catalog=CATALOG, stonith=True)
    assert set(codes(done.reports)) == {"AGENT_PARAMETER_DEPRECATED"}
    assert prim(load(cib_path), "fence1").agent == "stonith:fence_ipmilan"
    assert fails(cib_path, lambda: resource.create(env, "f2", "ocf:heartbeat:Dummy",
                                                   ResourceSpec(), stonith=True)) == [
        "INVALID_AGENT_NAME"]


def test_update_changes_attributes_ops_and_meta(env: FileEnvironment, cib_path: Path) -> None:
    resource.create(env, "ip", "ocf:heartbeat:IPaddr2", ResourceSpec(
        instance=(("ip", "10.0.0.1"), ("nic", "eth0"))), catalog=CATALOG)
    resource.update(env, "ip", ResourceSpec(
        instance=(("ip", "10.0.0.2"), ("nic", ""), ("cidr_netmask", "24")),
        operations=(OpSpec("monitor", (("interval", "20s"), ("timeout", "30s"))),),
        meta=(("migration-threshold", "3"),)), catalog=CATALOG)
    p = prim(load(cib_path), "ip")
    assert flatten(p.instance_attributes) == {"ip": "10.0.0.2", "cidr_netmask": "24"}
    assert [(o.id, o.interval, o.timeout) for o in p.operations] == [
        ("ip-monitor-interval-20s", "20s", "30s")]
    assert flatten(p.meta_attributes) == {"migration-threshold": "3"}
    assert fails(cib_path, lambda: resource.update(env, "ip", ResourceSpec(
        instance=(("ipp", "1"),)), catalog=CATALOG)) == ["AGENT_PARAMETER_UNKNOWN"]
    assert fails(cib_path, lambda: resource.update(env, "nope", ResourceSpec())) == [
        "RESOURCE_NOT_FOUND"]


def test_meta_enable_disable(env: FileEnvironment, cib_path: Path) -> None:
    resource.disable(env, ["A", "B"])
    cib = load(cib_path)
    assert flatten(prim(cib, "A").meta_attributes) == {"target-role": "Stopped"}
    assert prim(cib, "A").meta_attributes[0].id == "A-meta_attributes"
    before = cib_path.read_bytes()
    assert not resource.disable(env, ["A"]).changed  # already disabled: nothing written
    assert cib_path.read_bytes() == before
    resource.enable(env, ["A"])
    cib = load(cib_path)
    assert prim(cib, "A").meta_attributes == ()
    assert flatten(prim(cib, "B").meta_attributes) == {"target-role": "Stopped"}
    resource.set_meta(env, "B", (("is-managed", "false"),))
    assert flatten(prim(load(cib_path), "B").meta_attributes) == {
        "target-role": "Stopped", "is-managed": "false"}
    assert fails(cib_path, lambda: resource.enable(env, ["A", "ghost"])) == [
        "RESOURCE_NOT_FOUND"]


def test_delete_removes_constraints_and_empty_groups(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "c.xml",
                     DUMMY.format(id="A") + "<group id='G'>" + DUMMY.format(id="g1") +
                     "</group>",
                     '<rsc_colocation id="col" rsc="A" with-rsc="g1" score="INFINITY"/>'
                     '<rsc_order id="ord" first="G" then="A"/>'
                     '<rsc_location id="loc" rsc="A" node="node1" score="10"/>')
    env = FileEnvironment(str(path))
    done = resource.delete(env, "g1")
    assert codes(done.reports) == ["RESOURCE_REMOVED", "RESOURCE_REMOVED",
                                   "CONSTRAINT_REMOVED", "CONSTRAINT_REMOVED"]
    cib = load(path)
    assert edit.resource_ids(cib) == ["A"]
    assert [c.id for c in cib.configuration.constraints] == ["loc"]
    assert fails(path, lambda: resource.delete(env, "g1")) == ["RESOURCE_NOT_FOUND"]


def test_group_add_moves_members_and_group_remove_ungroups(env: FileEnvironment,
                                                           cib_path: Path) -> None:
    done = resource.group_add(env, "G", ["B", "A"])
    assert codes(done.reports) == ["GROUP_CREATED"]
    group = edit.find_resource(load(cib_path), "G")
    assert isinstance(group, Group) and [m.id for m in group.members] == ["B", "A"]
    resource.group_add(env, "G", ["A"], before="B")
    group = edit.find_resource(load(cib_path), "G")
    assert isinstance(group, Group) and [m.id for m in group.members] == ["A", "B"]
    resource.group_add(env, "H", ["A"])
    resource.group_add(env, "H", ["B"])  # G is left empty: it goes
    cib = load(cib_path)
    assert edit.find_resource(cib, "G") is None
    resource.group_remove(env, "H", ["A"])
    cib = load(cib_path)
    assert [r.id for r in cib.configuration.resources] == ["H", "A"]
    resource.group_remove(env, "H", [])
    assert [r.id for r in load(cib_path).configuration.resources] == ["B", "A"]
    assert fails(cib_path, lambda: resource.group_add(env, "A", ["B"])) == ["NOT_A_GROUP"]
    assert fails(cib_path, lambda: resource.group_remove(env, "A", [])) == ["NOT_A_GROUP"]
    assert fails(cib_path, lambda: resource.group_add(env, "G", ["B", "B"])) == [
        "RESOURCE_LISTED_TWICE"]


def test_defaults(env: FileEnvironment, cib_path: Path) -> None:
    resource.set_defaults(env, "rsc", (("resource-stickiness", "100"),))
    resource.set_defaults(env, "op", (("timeout", "30s"),))
    config = load(cib_path).configuration
    assert flatten(config.rsc_defaults) == {"resource-stickiness": "100"}
    assert config.rsc_defaults[0].id == "rsc_defaults-meta_attributes"
    assert flatten(config.op_defaults) == {"timeout": "30s"}
    assert fails(cib_path, lambda: resource.set_defaults(env, "op", (("timeout", "long"),))) == [
        "INVALID_OPTION_VALUE"]
    resource.set_defaults(env, "rsc", (("resource-stickiness", ""),))
    assert load(cib_path).configuration.rsc_defaults == ()


def test_colocation_survives_deleting_an_unrelated_resource(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "c.xml", DUMMY.format(id="A") + DUMMY.format(id="B") +
                     DUMMY.format(id="C"),
                     '<rsc_colocation id="col" score="INFINITY"><resource_set id="s1">'
                     '<resource_ref id="A"/><resource_ref id="C"/></resource_set>'
                     '</rsc_colocation>', running_on_node1("A"))
    done = resource.delete(FileEnvironment(str(path)), "C")
    assert "CONSTRAINT_CHANGED" in codes(done.reports)
    col = load(path).configuration.constraints[0]
    assert isinstance(col, Colocation) and col.sets[0].resources == ("A",)
