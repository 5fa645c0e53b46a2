"""Constraints, moves and bans on a CIB file: generated ids, values, reports, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from cibs import DUMMY, codes, fails, running_on_node1, write_cib

from vigil.cib.io import load_cib_file
from vigil.commands import constraint, relocation
from vigil.commands.env import FileEnvironment
from vigil.model.constraints import Colocation, Constraint, Location, Order
from vigil.model.rules import AttrExpression, DateExpression
from vigil.model.score import INFINITY
from vigil.scheduler.engine import schedule

NOW = 1_764_000_100



def constraints_of(path: Path) -> dict[str, Constraint]:
    return {c.id: c for c in load_cib_file(path)[0].configuration.constraints}



def test_location_prefers_avoids_with_pcs_ids(env: FileEnvironment, cib_path: Path) -> None:
    done = constraint.location_prefers(env, "A", [("node1", ""), ("node2", "50")])
    assert codes(done.reports) == ["CONSTRAINT_CREATED", "CONSTRAINT_CREATED"]
    constraint.location_prefers(env, "B", [("node2", "")], avoids=True)
    found = constraints_of(cib_path)
    assert set(found) == {"location-A-node1-INFINITY", "location-A-node2-50",
                          "location-B-node2--INFINITY"}
    loc = found["location-B-node2--INFINITY"]
    assert isinstance(loc, Location) and (loc.rsc, loc.node, loc.score) == ("B", "node2",
                                                                            -INFINITY)
    # The same resource and node again: the old constraint is replaced, not doubled.
    done = constraint.location_prefers(env, "A", [("node2", "200")])
    assert codes(done.reports) == ["CONSTRAINT_REPLACED", "CONSTRAINT_CREATED"]
    assert "location-A-node2-50" not in constraints_of(cib_path)
    assert "location-A-node2-200" in constraints_of(cib_path)


def test_location_add_and_bad_input(env: FileEnvironment, cib_path: Path) -> None:
    constraint.location_add(env, "web_on_1", "A", "node1", "1000",
                            options=(("resource-discovery", "exclusive"),))
    loc = constraints_of(cib_path)["web_on_1"]
    assert isinstance(loc, Location)
    assert (loc.score, loc.resource_discovery) == (1000, "exclusive")
    assert fails(cib_path, lambda: constraint.location_add(env, "x", "A", "node1", "lots")) == [
        "INVALID_SCORE"]
    assert fails(cib_path, lambda: constraint.location_add(env, "x", "ghost", "node1", "1")) == [
        "RESOURCE_NOT_FOUND"]
    assert fails(cib_path, lambda: constraint.location_add(env, "x", "A", "node9", "1")) == [
        "NODE_NOT_FOUND"]
    assert fails(cib_path, lambda: constraint.location_add(env, "B", "A", "node2", "1")) == [
        "ID_ALREADY_EXISTS"]
    done = constraint.location_add(env, "x", "A", "node9", "1", force=True)
    assert codes(done.reports) == ["NODE_NOT_FOUND", "CONSTRAINT_CREATED"]


def test_colocation_forms(env: FileEnvironment, cib_path: Path) -> None:
    constraint.colocation_add(env, "B", "A")
    constraint.colocation_add(env, "A", "B", score="-100", source_role="Started",
                              options=(("id", "apart"),))
    found = constraints_of(cib_path)
    col = found["colocation-B-A-INFINITY"]
    assert isinstance(col, Colocation) and (col.rsc, col.with_rsc, col.score) == (
        "B", "A", INFINITY)
    apart = found["apart"]
    assert isinstance(apart, Colocation) and (apart.score, apart.rsc_role) == (-100, "Started")
    assert fails(cib_path, lambda: constraint.colocation_add(env, "B", "A")) == [
        "CONSTRAINT_DUPLICATE"]
    assert fails(cib_path, lambda: constraint.colocation_add(env, "A", "A")) == [
        "CONSTRAINT_SAME_RESOURCE"]
    assert fails(cib_path, lambda: constraint.colocation_add(
        env, "A", "B", options=(("bogus", "1"),))) == ["INVALID_OPTION"]
    assert fails(cib_path, lambda: constraint.colocation_add(env, "A", "B", score="x")) == [
        "INVALID_SCORE"]


def test_order_forms(env: FileEnvironment, cib_path: Path) -> None:
    done = constraint.order_add(env, "A", "B")
    assert codes(done.reports) == ["CONSTRAINT_CREATED"]
    constraint.order_add(env, "B", "A", first_action="stop", then_action="stop",
                         options=(("kind", "optional"), ("symmetrical", "false")))
    found = constraints_of(cib_path)
    order = found["order-A-B-mandatory"]
    assert isinstance(order, Order)
    assert (order.first, order.then, order.first_action, order.then_action, order.kind) == (
        "A", "B", "start", "start", None)
    other = found["order-B-A-optional"]
    assert isinstance(other, Order) and (other.kind, other.symmetrical) == ("Optional", False)
    assert fails(cib_path, lambda: constraint.order_add(env, "A", "B")) == [
        "CONSTRAINT_DUPLICATE"]
    assert fails(cib_path, lambda: constraint.order_add(
        env, "A", "B", options=(("kind", "sometimes"),), force=True)) == ["INVALID_OPTION_VALUE"]
    assert fails(cib_path, lambda: constraint.order_add(env, "A", "B",
                                                        first_action="jump")) == [
        "INVALID_OPTION_VALUE"]


def test_remove(env: FileEnvironment, cib_path: Path) -> None:
    constraint.order_add(env, "A", "B")
    assert fails(cib_path, lambda: constraint.remove(env, ["order-A-B-mandatory", "nope"])) == [
        "CONSTRAINT_NOT_FOUND"]
    done = constraint.remove(env, ["order-A-B-mandatory"])
    assert codes(done.reports) == ["CONSTRAINT_REMOVED"]
    assert constraints_of(cib_path) == {}


def test_move_ban_clear(env: FileEnvironment, cib_path: Path) -> None:
    done = relocation.move(env, "A", "node2")
    assert codes(done.reports) == ["MOVE_CONSTRAINT_CREATED"]
    assert done.reports[0].field("id") == "cli-prefer-A"
    prefer = constraints_of(cib_path)["cli-prefer-A"]
    assert isinstance(prefer, Location)
    assert (prefer.node, prefer.score, prefer.role) == ("node2", INFINITY, "Started")
    done = relocation.ban(env, "B", "node1", lifetime="PT1H")
    assert done.reports[0].field("id") == "cli-ban-B-on-node1"
    ban = constraints_of(cib_path)["cli-ban-B-on-node1"]
    assert isinstance(ban, Location) and ban.node is None
    rule = ban.rules[0]
    assert rule.score == -INFINITY
    uname, date = rule.expressions
    assert isinstance(uname, AttrExpression) and uname.value == "node1"
    assert isinstance(date, DateExpression) and date.operation == "lt"
    assert date.end == "2025-11-24 17:01:40 +00:00"  # NOW + 1 hour
    # The scheduler honours both until the ban's lifetime ends.
    cib = load_cib_file(cib_path)[0]
    where = {a.resource: a.next_node for a in schedule(cib, NOW).allocations}
    assert where == {"A": "node2", "B": "node2"}
    later = {a.resource: a.next_node for a in schedule(cib, NOW + 7200).allocations}
    assert later["B"] == "node1"
    done = relocation.clear(env, "A")
    assert codes(done.reports) == ["CONSTRAINT_REMOVED"]
    done = relocation.clear(env, "A")
    assert codes(done.reports) == ["NOTHING_TO_CLEAR"] and not done.changed
    relocation.clear(env, "B", "node1")
    assert constraints_of(cib_path) == {}


def test_move_without_node_bans_the_current_one(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "c.xml", DUMMY.format(id="A") + DUMMY.format(id="B"),
                     status1=running_on_node1("A"))
    env = FileEnvironment(str(path), clock=NOW)
    done = relocation.move(env, "A")
    assert codes(done.reports) == ["MOVE_AWAY_CONSTRAINT_CREATED"]
    assert "cli-ban-A-on-node1" in constraints_of(path)
    assert fails(path, lambda: relocation.move(env, "B")) == ["RESOURCE_NODE_NEEDED"]
    relocation.clear(env, "A")
    assert fails(path, lambda: relocation.move(env, "A", "node1")) == [
        "RESOURCE_ALREADY_ON_NODE"]
    relocation.move(env, "A", "node1", force=True)
    assert "cli-prefer-A" in constraints_of(path)


@pytest.mark.parametrize("lifetime", ["soon", "P", "PT", "P1X", "0"])
def test_bad_lifetime_changes_nothing(env: FileEnvironment, cib_path: Path,
                                      lifetime: str) -> None:
    assert fails(cib_path, lambda: relocation.move(env, "A", "node2", lifetime=lifetime)) == [
        "INVALID_LIFETIME"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("PT30M", 1800), ("P1D", 86400), ("P1H", 3600), ("30min", 1800), ("2h", 7200),
    ("45s", 45), ("P1W", 604800)])
def test_lifetimes(text: str, seconds: int) -> None:
    assert relocation.lifetime_end(text, NOW) == NOW + seconds


def test_move_refuses_clones_and_unknown_nodes(tmp_path: Path) -> None:
    path = write_cib(tmp_path / "c.xml", "<clone id='C'>" + DUMMY.format(id="c") + "</clone>")
    env = FileEnvironment(str(path), clock=NOW)
    assert fails(path, lambda: relocation.move(env, "C", "node1")) == ["CANNOT_MOVE_CLONE"]
    assert fails(path, lambda: relocation.ban(env, "c", "node1")) == ["CANNOT_MOVE_CLONE"]
    path2 = write_cib(tmp_path / "d.xml", DUMMY.format(id="A"))
    env2 = FileEnvironment(str(path2), clock=NOW)
    assert fails(path2, lambda: relocation.move(env2, "A", "node7")) == ["NODE_NOT_FOUND"]
