"""Clones and promotable clones through the library commands: create, clone, promotable,
unclone, their options, move/ban of the promoted instance, role constraints; each bad input
refused with its code and the file left byte-identical. Every CIB written is checked with
Pacemaker's own crm_verify (its RelaxNG schema) and crm_simulate."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import (
    DUMMY,
    FakeCatalog,
    codes,
    fails,
    load,
    pacemaker_accepts,
    running_promotable,
    write_cib,
)

from vigil.commands import clone as clone_cmd
from vigil.commands import constraint, edit, relocation, resource
from vigil.commands.clone import CloneSpec
from vigil.commands.env import FileEnvironment
from vigil.commands.resource import ResourceSpec
from vigil.model.constraints import Colocation, Location, Order
from vigil.model.nvset import flatten
from vigil.model.resources import Clone, Group, Primitive

NOW = 1_764_000_100


def env_of(path: Path) -> FileEnvironment:
    return FileEnvironment(str(path), clock=NOW)


def the_clone(path: Path, clone_id: str) -> Clone:
    found = [r for r in load(path).configuration.resources if r.id == clone_id]
    assert len(found) == 1
    rsc = found[0]
    assert isinstance(rsc, Clone)
    return rsc


def test_create_promotable_writes_a_clone_with_promotable_true(cib_path: Path) -> None:
    applied = resource.create(env_of(cib_path), "db", "ocf:pacemaker:Stateful", ResourceSpec(),
                              catalog=FakeCatalog(),
                              clone=CloneSpec(promotable=True, meta=(("promoted-max", "1"),
                                                                     ("notify", "true"))))
    assert "CLONE_AND_GROUP" not in codes(applied.reports)
    clone = the_clone(cib_path, "db-clone")
    assert not clone.legacy_master
    assert flatten(clone.meta_attributes) == {"promotable": "true", "promoted-max": "1",
                                              "notify": "true"}
    assert clone.meta_attributes[0].id == "db-clone-meta_attributes"
    child = clone.child
    assert isinstance(child, Primitive) and child.id == "db"
    # the agent's monitors, one per role, as its metadata gives them
    monitors = {(op.role, op.interval) for op in child.operations if op.name == "monitor"}
    assert monitors == {("Promoted", "10s"), ("Unpromoted", "11s")}
    assert clone_cmd.is_promotable(clone)
    assert pacemaker_accepts(cib_path) == ""


def test_legacy_role_names_in_metadata_are_written_as_promoted_and_unpromoted(
        cib_path: Path) -> None:
    resource.create(env_of(cib_path), "r0", "ocf:linbit:drbd",
                    ResourceSpec(instance=(("drbd_resource", "r0"),)), catalog=FakeCatalog(),
                    clone=CloneSpec(promotable=True, clone_id="ms-r0"))
    child = the_clone(cib_path, "ms-r0").child
    assert isinstance(child, Primitive)
    assert {op.role for op in child.operations} == {"Promoted", "Unpromoted"}
    assert pacemaker_accepts(cib_path) == ""


def test_create_clone_and_clone_id(cib_path: Path) -> None:
    resource.create(env_of(cib_path), "web", "ocf:heartbeat:apache", ResourceSpec(),
                    catalog=FakeCatalog(), clone=CloneSpec(clone_id="web-everywhere",
                                                           meta=(("clone-max", "2"),)))
    clone = the_clone(cib_path, "web-everywhere")
    assert flatten(clone.meta_attributes) == {"clone-max": "2"}
    assert not clone_cmd.is_promotable(clone)
    assert pacemaker_accepts(cib_path) == ""


def test_clone_promotable_and_unclone_an_existing_resource(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A") + DUMMY.format(id="B"),
                     '<rsc_location id="loc-A" rsc="A" node="node1" score="10"/>')
    env = env_of(path)
    applied = clone_cmd.clone(env, "A", CloneSpec(meta=(("interleave", "true"),)),
                              catalog=FakeCatalog())
    # Pacemaker ignores a constraint naming a cloned resource: it names the clone now
    assert codes(applied.reports) == ["CLONE_CREATED", "CONSTRAINT_RETARGETED"]
    config = load(path).configuration
    assert [r.id for r in config.resources] == ["A-clone", "B"]  # in the resource's place
    assert [(c.id, c.rsc) for c in config.constraints if isinstance(c, Location)] == [
        ("loc-A", "A-clone")]
    assert pacemaker_accepts(path) == ""
    constraint.location_prefers(env, "A-clone", [("node2", "50")])
    constraint.colocation_add(env, "B", "A-clone")
    applied = clone_cmd.unclone(env, "A")  # by the cloned resource's id
    assert codes(applied.reports) == ["CLONE_REMOVED"] + ["CONSTRAINT_RETARGETED"] * 3
    config = load(path).configuration
    assert [r.id for r in config.resources] == ["A", "B"]
    assert [(c.id, sorted(edit.constraint_resources(c))) for c in config.constraints] == [
        ("loc-A", ["A"]), ("location-A-clone-node2-50", ["A"]),
        ("colocation-B-A-clone-INFINITY", ["A", "B"])]
    assert pacemaker_accepts(path) == ""


def test_unclone_drops_the_constraints_of_the_promoted_role(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml", constraints=(
        '<rsc_location id="prefer-1" rsc="db-clone" node="node1" score="5"/>'
        '<rsc_location id="promote-2" rsc="db-clone" node="node2" score="5" role="Promoted"/>'))
    applied = clone_cmd.unclone(env_of(path), "db-clone")
    assert codes(applied.reports) == ["CLONE_REMOVED", "CONSTRAINT_REMOVED",
                                      "CONSTRAINT_RETARGETED"]
    assert [(c.id, c.rsc) for c in _locations(path)] == [("prefer-1", "db")]
    assert pacemaker_accepts(path) == ""


def test_promotable_of_a_group_checks_every_member(tmp_path: Path) -> None:
    group = ('<group id="g">'
             '<primitive id="s1" class="ocf" provider="pacemaker" type="Stateful"/>'
             '<primitive id="s2" class="ocf" provider="pacemaker" type="Stateful"/></group>')
    path = write_cib(tmp_path / "cib.xml", group + DUMMY.format(id="A"))
    clone_cmd.clone(env_of(path), "g", CloneSpec(promotable=True), catalog=FakeCatalog())
    clone = the_clone(path, "g-clone")
    assert isinstance(clone.child, Group) and clone_cmd.is_promotable(clone)
    assert pacemaker_accepts(path) == ""
    mixed = write_cib(tmp_path / "mixed.xml", group.replace(
        'id="s2" class="ocf" provider="pacemaker" type="Stateful"',
        'id="s2" class="ocf" provider="heartbeat" type="Dummy"'))
    assert fails(mixed, lambda: clone_cmd.clone(env_of(mixed), "g", CloneSpec(promotable=True),
                                                catalog=FakeCatalog())) == [
        "AGENT_NOT_PROMOTABLE"]


def test_meta_promotable_and_promoted_max_are_checked_on_an_existing_clone(
        tmp_path: Path) -> None:
    path = write_cib(tmp_path / "cib.xml", DUMMY.format(id="A"))
    env = env_of(path)
    clone_cmd.clone(env, "A", CloneSpec(), catalog=FakeCatalog())
    assert fails(path, lambda: resource.set_meta(env, "A-clone", (("promotable", "true"),),
                                                 catalog=FakeCatalog())) == [
        "AGENT_NOT_PROMOTABLE"]
    running = running_promotable(tmp_path / "db.xml")
    assert fails(running, lambda: resource.set_meta(env_of(running), "db-clone", (
        ("promoted-max", "0"),), catalog=FakeCatalog())) == ["PROMOTED_MAX_TOO_LOW"]
    assert fails(running, lambda: resource.set_meta(env_of(running), "db-clone", (
        ("clone-max", "1"), ("promoted-max", "2")))) == ["PROMOTED_MAX_TOO_HIGH"]
    resource.set_meta(env_of(running), "db-clone", (("promoted-max", "2"),))
    assert flatten(the_clone(running, "db-clone").meta_attributes)["promoted-max"] == "2"


@pytest.mark.parametrize(("agent", "clone", "code"), [
    ("ocf:heartbeat:Dummy", CloneSpec(promotable=True), "AGENT_NOT_PROMOTABLE"),
    ("ocf:pacemaker:Stateful", CloneSpec(promotable=True, meta=(("promoted-max", "0"),)),
     "PROMOTED_MAX_TOO_LOW"),
    # two nodes: clone-max is 2 by default
    ("ocf:pacemaker:Stateful", CloneSpec(promotable=True, meta=(("promoted-max", "3"),)),
     "PROMOTED_MAX_TOO_HIGH"),
    ("ocf:pacemaker:Stateful", CloneSpec(promotable=True, meta=(
        ("clone-max", "1"), ("master-max", "2"))), "PROMOTED_MAX_TOO_HIGH"),
    ("ocf:pacemaker:Stateful", CloneSpec(promotable=True, meta=(
        ("promoted-node-max", "0"),)), "PROMOTED_MAX_TOO_LOW"),
    ("ocf:pacemaker:Stateful", CloneSpec(promotable=True, meta=(("promoted-max", "one"),)),
     "INVALID_OPTION_VALUE"),
    ("ocf:pacemaker:Stateful", CloneSpec(promotable=True, clone_id="A"), "ID_ALREADY_EXISTS"),
    ("ocf:pacemaker:Stateful", CloneSpec(promotable=True, clone_id="9x"), "INVALID_ID"),
])
def test_create_refuses(cib_path: Path, agent: str, clone: CloneSpec, code: str) -> None:
    assert fails(cib_path, lambda: resource.create(
        env_of(cib_path), "db", agent, ResourceSpec(), catalog=FakeCatalog(),
        clone=clone)) == [code]


def test_forced_agent_without_promote_is_a_warning(cib_path: Path) -> None:
    applied = resource.create(env_of(cib_path), "d", "ocf:heartbeat:Dummy", ResourceSpec(),
                              catalog=FakeCatalog(), clone=CloneSpec(promotable=True),
                              force=True)
    assert codes(applied.reports) == ["AGENT_NOT_PROMOTABLE"]
    assert applied.reports[0].severity.value == "warning"
    assert clone_cmd.is_promotable(the_clone(cib_path, "d-clone"))


def test_clone_in_a_group_or_of_a_fence_device_is_refused(cib_path: Path) -> None:
    env = env_of(cib_path)
    assert fails(cib_path, lambda: resource.create(
        env, "x", "ocf:heartbeat:Dummy", ResourceSpec(), group="g", catalog=FakeCatalog(),
        clone=CloneSpec())) == ["CLONE_AND_GROUP"]
    resource.group_add(env, "g", ["A"])
    assert fails(cib_path, lambda: clone_cmd.clone(env, "A", CloneSpec())) == [
        "CANNOT_CLONE_GROUP_MEMBER"]
    resource.create(env, "fence1", "stonith:fence_ipmilan", ResourceSpec(
        instance=(("action", "reboot"),)), catalog=FakeCatalog(), stonith=True)
    assert fails(cib_path, lambda: clone_cmd.clone(env, "fence1", CloneSpec())) == [
        "CANNOT_CLONE_STONITH"]


def test_clone_of_a_clone_and_unclone_of_a_plain_resource_are_refused(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml")
    with_b = path.read_text().replace("</resources>", DUMMY.format(id="B") + "</resources>")
    path.write_text(with_b)
    env = env_of(path)
    assert fails(path, lambda: clone_cmd.clone(env, "db-clone", CloneSpec())) == [
        "CLONE_OF_CLONE"]
    assert fails(path, lambda: clone_cmd.clone(env, "db", CloneSpec(promotable=True))) == [
        "RESOURCE_ALREADY_CLONED"]
    assert fails(path, lambda: clone_cmd.unclone(env, "B")) == ["NOT_A_CLONE"]
    assert fails(path, lambda: clone_cmd.unclone(env, "nope")) == ["RESOURCE_NOT_FOUND"]


# -- move, ban and clear of the promoted instance ------------------------------------------------
def _locations(path: Path) -> list[Location]:
    return [c for c in load(path).configuration.constraints if isinstance(c, Location)]


def test_move_promoted_to_a_node_as_crm_resource_writes_it(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml")
    applied = relocation.move(env_of(path), "db-clone", "node2", promoted=True)
    assert codes(applied.reports) == ["MOVE_CONSTRAINT_CREATED"]
    [loc] = _locations(path)
    assert (loc.id, loc.rsc, loc.role, loc.node, loc.score) == (
        "cli-prefer-db-clone", "db-clone", "Promoted", "node2", 1_000_000)
    assert pacemaker_accepts(path) == ""


def test_move_promoted_without_a_node_bans_where_it_is_promoted_now(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml", promoted="node2")
    relocation.move(env_of(path), "db-clone", promoted=True)
    [loc] = _locations(path)
    assert (loc.id, loc.role, loc.node, loc.score) == (
        "cli-ban-db-clone-on-node2", "Promoted", "node2", -1_000_000)
    assert pacemaker_accepts(path) == ""


def test_ban_promoted_with_a_lifetime_and_clear(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml")
    env = env_of(path)
    relocation.ban(env, "db-clone", "node1", promoted=True, lifetime="PT1H")
    [loc] = _locations(path)
    assert (loc.id, loc.role, loc.node) == ("cli-ban-db-clone-on-node1", "Promoted", None)
    assert loc.rules and loc.rules[0].score == -1_000_000
    assert pacemaker_accepts(path) == ""
    applied = relocation.clear(env, "db-clone")
    assert codes(applied.reports) == ["CONSTRAINT_REMOVED"]
    assert _locations(path) == []


def test_move_promoted_where_it_is_promoted_already_needs_force(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml")
    assert fails(path, lambda: relocation.move(env_of(path), "db-clone", "node1",
                                               promoted=True)) == [
        "RESOURCE_ALREADY_PROMOTED_ON_NODE"]


def test_move_promoted_to_a_node_the_agent_declared_unfit_is_refused(tmp_path: Path) -> None:
    # a switchover to a standby that is not streaming: PAF and the redis agent set a negative
    # promotion score there; the scheduler would not promote it, so nothing is written
    path = running_promotable(tmp_path / "cib.xml", scores=(10, -1))
    assert fails(path, lambda: relocation.move(env_of(path), "db-clone", "node2",
                                               promoted=True)) == ["RESOURCE_NOT_PROMOTED_ON_NODE"]
    with pytest.raises(Exception) as exc:
        relocation.move(env_of(path), "db-clone", "node2", promoted=True)
    report = exc.value.reports[0]  # type: ignore[attr-defined]
    assert report.field("why") == ("its agent declared the instance there unfit for promotion "
                                   "(node attribute master-db on node2 is -1)"), report
    # --force writes the constraint all the same, with the reason as a warning
    applied = relocation.move(env_of(path), "db-clone", "node2", promoted=True, force=True)
    assert codes(applied.reports) == ["RESOURCE_NOT_PROMOTED_ON_NODE", "MOVE_CONSTRAINT_CREATED"]
    assert [loc.id for loc in _locations(path)] == ["cli-prefer-db-clone"]


def test_promoted_needs_a_promotable_clone_and_its_id(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml")
    path.write_text(path.read_text().replace("</resources>",
                                             DUMMY.format(id="B") + "</resources>"))
    env = env_of(path)
    assert fails(path, lambda: relocation.move(env, "B", "node2", promoted=True)) == [
        "NOT_PROMOTABLE"]
    assert fails(path, lambda: relocation.ban(env, "B", "node2", promoted=True)) == [
        "NOT_PROMOTABLE"]
    assert fails(path, lambda: relocation.move(env, "db", "node2", promoted=True)) == [
        "PROMOTED_NEEDS_CLONE_ID"]
    # without --promoted a clone is not moved, and the report knows the way
    with pytest.raises(Exception) as exc:
        relocation.move(env, "db-clone", "node2")
    report = exc.value.reports[0]  # type: ignore[attr-defined]
    assert (report.code, report.field("promotable")) == ("CANNOT_MOVE_CLONE", "db-clone")


def test_ban_promoted_without_a_node_when_nothing_is_promoted(tmp_path: Path) -> None:
    path = running_promotable(tmp_path / "cib.xml", promoted="none")
    assert fails(path, lambda: relocation.ban(env_of(path), "db-clone", promoted=True)) == [
        "RESOURCE_PROMOTED_NODE_NEEDED"]


# -- role constraints --------------------------------------------------------------------------
def _with_vip(tmp_path: Path) -> Path:
    path = running_promotable(tmp_path / "cib.xml")
    path.write_text(path.read_text().replace("</resources>",
                                             DUMMY.format(id="vip") + "</resources>"))
    return path


def test_colocation_with_the_promoted_role_legacy_names_written_new(tmp_path: Path) -> None:
    path = _with_vip(tmp_path)
    constraint.colocation_add(env_of(path), "vip", "db-clone", target_role="Master")
    constraint.colocation_add(env_of(path), "db-clone", "vip", source_role="slave",
                              score="-100")
    found = [c for c in load(path).configuration.constraints if isinstance(c, Colocation)]
    assert [(c.rsc, c.with_rsc, c.rsc_role, c.with_rsc_role, c.score) for c in found] == [
        ("vip", "db-clone", None, "Promoted", 1_000_000),
        ("db-clone", "vip", "Unpromoted", None, -100)]
    assert pacemaker_accepts(path) == ""


def test_order_promote_then_start(tmp_path: Path) -> None:
    path = _with_vip(tmp_path)
    constraint.order_add(env_of(path), "db-clone", "vip", first_action="promote")
    constraint.order_add(env_of(path), "vip", "db-clone", first_action="stop",
                         then_action="demote")
    found = [c for c in load(path).configuration.constraints if isinstance(c, Order)]
    assert [(c.first, c.first_action, c.then, c.then_action) for c in found] == [
        ("db-clone", "promote", "vip", "start"), ("vip", "stop", "db-clone", "demote")]
    assert pacemaker_accepts(path) == ""


def test_roles_and_actions_of_promotion_on_a_plain_resource_are_refused(
        tmp_path: Path) -> None:
    path = _with_vip(tmp_path)
    env = env_of(path)
    assert fails(path, lambda: constraint.colocation_add(
        env, "db-clone", "vip", target_role="Promoted")) == ["ROLE_NEEDS_PROMOTABLE"]
    assert fails(path, lambda: constraint.order_add(
        env, "vip", "db-clone", first_action="promote")) == ["ACTION_NEEDS_PROMOTABLE"]
    assert fails(path, lambda: constraint.colocation_add(
        env, "vip", "db-clone", target_role="Leader")) == ["INVALID_OPTION_VALUE"]
