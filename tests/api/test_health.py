"""Health checks for load balancers: each path, both outcomes, and the errors, on CIB files
whose status `cluster_status` reads as the remote endpoint will."""

from __future__ import annotations

import dataclasses
import json
from http import HTTPStatus
from pathlib import Path

import pytest
from clusters import (
    env_of,
    failed_a,
    half_group,
    ignored_failure,
    promotable,
    running_a,
    status_of,
    whole_group,
    without_quorum,
)

from vigil.api.health import Check, HealthAnswer, Verdict, health
from vigil.commands import node, property


def ask(path: Path, local: str, url: str) -> HealthAnswer:
    return health(status_of(path), local, url)


def outcome(answer: HealthAnswer) -> tuple[HTTPStatus, Verdict]:
    return answer.status, answer.body.verdict


# -- /health -----------------------------------------------------------------------------------
def test_health_ok_on_an_online_node_with_quorum(tmp_path: Path) -> None:
    answer = ask(running_a(tmp_path), "node2", "/health")
    assert outcome(answer) == (HTTPStatus.OK, Verdict.OK)
    assert answer.body.check == Check.HEALTH and answer.body.node == "node2"


def test_health_503_in_standby_names_the_reason(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    node.standby(env_of(path), ["node2"])
    assert outcome(ask(path, "node2", "/health")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                      Verdict.NODE_STANDBY)
    assert outcome(ask(path, "node1", "/health")) == (HTTPStatus.OK, Verdict.OK)


def test_health_503_in_maintenance(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    node.maintenance(env_of(path), ["node1"])
    assert outcome(ask(path, "node1", "/health")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                      Verdict.NODE_MAINTENANCE)


def test_health_503_when_the_cluster_is_in_maintenance_mode(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    property.set_properties(env_of(path), [("maintenance-mode", "true")])
    assert outcome(ask(path, "node2", "/health")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                      Verdict.CLUSTER_MAINTENANCE)


def test_health_503_without_quorum(tmp_path: Path) -> None:
    path = without_quorum(running_a(tmp_path))
    assert outcome(ask(path, "node1", "/health")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                      Verdict.NO_QUORUM)


def test_health_503_for_a_node_the_cluster_does_not_know(tmp_path: Path) -> None:
    assert outcome(ask(running_a(tmp_path), "node9", "/health")) == (
        HTTPStatus.SERVICE_UNAVAILABLE, Verdict.NODE_UNKNOWN)


def test_health_503_for_an_offline_node(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    text = path.read_text()
    online = '<node_state id="2" uname="node2" in_ccm="true" crmd="online"'
    assert text.count(online) == 1
    path.write_text(text.replace(online, '<node_state id="2" uname="node2" in_ccm="false" '
                                         'crmd="offline"'))
    assert outcome(ask(path, "node2", "/health")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                      Verdict.NODE_OFFLINE)


@pytest.mark.parametrize("url", ["/health", "/running/A", "/promoted/db-clone"])
def test_every_check_is_503_without_a_status(url: str) -> None:
    answer = health(None, "node1", url)
    assert outcome(answer) == (HTTPStatus.SERVICE_UNAVAILABLE, Verdict.NO_STATUS)


# -- /running/RSC ------------------------------------------------------------------------------
def test_running_primitive_200_where_it_runs_503_elsewhere(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    assert outcome(ask(path, "node1", "/running/A")) == (HTTPStatus.OK, Verdict.OK)
    assert outcome(ask(path, "node2", "/running/A")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                         Verdict.NOT_RUNNING_HERE)
    # B is configured and stopped everywhere
    assert outcome(ask(path, "node1", "/running/B")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                         Verdict.NOT_RUNNING_HERE)


def test_a_failed_primitive_does_not_count_as_running(tmp_path: Path) -> None:
    assert outcome(ask(failed_a(tmp_path), "node1", "/running/A")) == (
        HTTPStatus.SERVICE_UNAVAILABLE, Verdict.NOT_RUNNING_HERE)


def test_an_ignored_failure_still_runs(tmp_path: Path) -> None:
    assert outcome(ask(ignored_failure(tmp_path), "node1", "/running/A")) == (
        HTTPStatus.OK, Verdict.OK)


def test_running_group_needs_every_member_here(tmp_path: Path) -> None:
    whole = whole_group(tmp_path)
    assert outcome(ask(whole, "node1", "/running/web")) == (HTTPStatus.OK, Verdict.OK)
    assert outcome(ask(whole, "node2", "/running/web")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                            Verdict.NOT_RUNNING_HERE)
    half = half_group(tmp_path)
    assert outcome(ask(half, "node1", "/running/web")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                           Verdict.NOT_RUNNING_HERE)
    assert outcome(ask(half, "node1", "/running/A")) == (HTTPStatus.OK, Verdict.OK)


@pytest.mark.parametrize("rsc", ["db-clone", "db"])
def test_running_clone_by_its_id_or_its_resource_id(tmp_path: Path, rsc: str) -> None:
    path = promotable(tmp_path)
    assert outcome(ask(path, "node1", f"/running/{rsc}")) == (HTTPStatus.OK, Verdict.OK)
    assert outcome(ask(path, "node2", f"/running/{rsc}")) == (HTTPStatus.OK, Verdict.OK)
    assert outcome(ask(path, "node9", f"/running/{rsc}")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                              Verdict.NOT_RUNNING_HERE)


def test_running_unknown_resource_is_404_in_one_line(tmp_path: Path) -> None:
    answer = ask(running_a(tmp_path), "node1", "/running/nope")
    assert outcome(answer) == (HTTPStatus.NOT_FOUND, Verdict.UNKNOWN_RESOURCE)
    assert answer.body.resource == "nope" and "nope" in answer.body.message
    assert "\n" not in answer.body.message


# -- /promoted/RSC, /unpromoted/RSC ------------------------------------------------------------
@pytest.mark.parametrize("rsc", ["db-clone", "db"])
def test_promoted_and_unpromoted_follow_the_instances_roles(tmp_path: Path, rsc: str) -> None:
    path = promotable(tmp_path)
    assert outcome(ask(path, "node1", f"/promoted/{rsc}")) == (HTTPStatus.OK, Verdict.OK)
    assert outcome(ask(path, "node2", f"/promoted/{rsc}")) == (HTTPStatus.SERVICE_UNAVAILABLE,
                                                               Verdict.NOT_IN_ROLE_HERE)
    assert outcome(ask(path, "node2", f"/unpromoted/{rsc}")) == (HTTPStatus.OK, Verdict.OK)
    assert outcome(ask(path, "node1", f"/unpromoted/{rsc}")) == (
        HTTPStatus.SERVICE_UNAVAILABLE, Verdict.NOT_IN_ROLE_HERE)


def test_promoted_moves_with_the_promotion(tmp_path: Path) -> None:
    from cibs import running_promotable

    path = running_promotable(tmp_path / "other.xml", promoted="node2")
    assert outcome(ask(path, "node2", "/promoted/db-clone")) == (HTTPStatus.OK, Verdict.OK)
    assert outcome(ask(path, "node1", "/unpromoted/db-clone")) == (HTTPStatus.OK, Verdict.OK)


@pytest.mark.parametrize("check", ["promoted", "unpromoted"])
def test_promoted_checks_refuse_a_resource_that_is_not_promotable(tmp_path: Path,
                                                                    check: str) -> None:
    answer = ask(running_a(tmp_path), "node1", f"/{check}/A")
    assert outcome(answer) == (HTTPStatus.BAD_REQUEST, Verdict.NOT_PROMOTABLE)


@pytest.mark.parametrize("check", ["promoted", "unpromoted"])
def test_promoted_checks_404_for_an_unknown_resource(tmp_path: Path, check: str) -> None:
    answer = ask(promotable(tmp_path), "node1", f"/{check}/nope")
    assert outcome(answer) == (HTTPStatus.NOT_FOUND, Verdict.UNKNOWN_RESOURCE)


# -- paths and the body ------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/", "", "/healthz", "/health/", "/running", "/running/",
                                 "/running/A/B", "/promoted", "/status/A", "running/A"])
def test_unknown_paths_are_404(tmp_path: Path, url: str) -> None:
    answer = ask(running_a(tmp_path), "node1", url)
    assert outcome(answer) == (HTTPStatus.NOT_FOUND, Verdict.UNKNOWN_PATH)
    assert answer.body.check == Check.UNKNOWN


def test_unknown_path_is_404_even_without_a_status() -> None:
    assert outcome(health(None, "node1", "/nope")) == (HTTPStatus.NOT_FOUND, Verdict.UNKNOWN_PATH)


def test_the_body_becomes_json_at_the_edge(tmp_path: Path) -> None:
    answer = ask(promotable(tmp_path), "node2", "/promoted/db-clone")
    decoded = json.loads(json.dumps(dataclasses.asdict(answer.body)))
    assert decoded["check"] == "promoted"
    assert decoded["node"] == "node2"
    assert decoded["resource"] == "db-clone"
    assert decoded["verdict"] == "NOT_IN_ROLE_HERE"
    assert decoded["message"]
    assert json.loads(json.dumps(int(answer.status))) == 503
