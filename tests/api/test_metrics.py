"""/metrics: the collector run through a prometheus-client registry, its text parsed back with
the client's own parser, samples asserted on (names, labels, values)."""

from __future__ import annotations

import dataclasses
import math
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from clusters import (
    blocked_failure,
    env_of,
    failed_a,
    ignored_failure,
    promotable,
    running_a,
    standby_failure,
    status_of,
    without_quorum,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from vigil.api.metrics import ClusterCollector, Snapshot, exposition
from vigil.commands import node, property
from vigil.commands.env import FileEnvironment
from vigil.commands.fencing import FenceEvent
from vigil.commands.status import cluster_status
from vigil.model.reports import ReportError

# Every series but these two is cluster-wide: only the DC exports it
PER_NODE = {"ha_cluster_vigil_node_is_dc", "ha_cluster_vigil_scrape_success"}


def scrape(snapshot: Snapshot, local: str) -> list[Sample]:
    text = exposition(snapshot, local_node=local).decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


# positional-only, so that labels called name or value can be asked for
def where(samples: list[Sample], metric: str, /, **labels: str) -> list[Sample]:
    return [s for s in samples
            if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items())]


def value(samples: list[Sample], metric: str, /, **labels: str) -> float:
    """The value of the one sample of `metric` with these labels (and maybe others)."""
    found = where(samples, metric, **labels)
    assert len(found) == 1, f"{metric}{labels}: {found}"
    return found[0].value


def names(samples: list[Sample]) -> set[str]:
    return {s.name for s in samples}


# -- who exports what --------------------------------------------------------------------------
def test_the_dc_exports_the_cluster_and_the_other_node_only_itself(tmp_path: Path) -> None:
    status = status_of(promotable(tmp_path))
    assert status.dc == "node1"
    on_dc, on_other = scrape(status, "node1"), scrape(status, "node2")
    assert names(on_other) == PER_NODE
    assert value(on_other, "ha_cluster_vigil_node_is_dc", node="node2") == 0
    assert value(on_other, "ha_cluster_vigil_scrape_success") == 1
    assert value(on_dc, "ha_cluster_vigil_node_is_dc", node="node1") == 1
    assert value(on_dc, "ha_cluster_vigil_scrape_success") == 1
    for name in ("ha_cluster_pacemaker_nodes", "ha_cluster_pacemaker_resources",
                 "ha_cluster_pacemaker_stonith_enabled", "ha_cluster_corosync_quorate",
                 "ha_cluster_pacemaker_node_attributes", "ha_cluster_vigil_promotion_score"):
        assert where(on_dc, name), name
    # each node speaks only for itself in node_is_dc: one line per endpoint, never the other's
    assert where(on_dc, "ha_cluster_vigil_node_is_dc", node="node2") == []


def test_summed_over_every_node_each_fact_is_counted_once(tmp_path: Path) -> None:
    status = status_of(promotable(tmp_path))
    everything = scrape(status, "node1") + scrape(status, "node2")
    assert sum(s.value for s in where(everything, "ha_cluster_corosync_quorate")) == 1
    assert sum(s.value for s in where(everything, "ha_cluster_pacemaker_nodes",
                                      status="online")) == 2
    assert sum(s.value for s in where(everything, "ha_cluster_vigil_node_is_dc")) == 1


def test_without_a_dc_no_node_exports_the_cluster(tmp_path: Path) -> None:
    path = promotable(tmp_path)
    path.write_text(path.read_text().replace(' dc-uuid="1"', ""))
    status = status_of(path)
    assert status.dc is None
    for local in ("node1", "node2"):
        assert names(scrape(status, local)) == PER_NODE


# -- nodes -------------------------------------------------------------------------------------
def test_nodes_one_line_per_status(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    node.standby(env_of(path), ["node2"])
    samples = scrape(status_of(path), "node1")
    expected = {("node1", "online"): 1, ("node1", "dc"): 1, ("node1", "expected_up"): 1,
                ("node2", "online"): 1, ("node2", "standby"): 1, ("node2", "expected_up"): 1}
    lines = where(samples, "ha_cluster_pacemaker_nodes")
    assert len(lines) == 2 * 9
    for s in lines:
        assert s.labels["type"] == "member"
        assert s.value == expected.get((s.labels["node"], s.labels["status"]), 0), s


# -- resources, failures -----------------------------------------------------------------------
def test_a_failed_resource_and_its_fail_count(tmp_path: Path) -> None:
    samples = scrape(status_of(failed_a(tmp_path)), "node1")
    labels = {"resource": "A", "node": "node1", "role": "started", "agent": "ocf:heartbeat:Dummy",
              "clone": "", "group": "", "managed": "true"}
    assert value(samples, "ha_cluster_pacemaker_resources", status="failed", **labels) == 1
    assert value(samples, "ha_cluster_pacemaker_resources", status="active", **labels) == 1
    for flag in ("orphaned", "blocked", "failure_ignored"):
        assert value(samples, "ha_cluster_pacemaker_resources", status=flag, **labels) == 0
    assert value(samples, "ha_cluster_pacemaker_fail_count", node="node1", resource="A") == 1
    assert where(samples, "ha_cluster_pacemaker_fail_count", node="node2") == []
    assert value(samples, "ha_cluster_pacemaker_migration_threshold", node="node1",
                 resource="A") == math.inf


def test_a_healthy_resource_has_fail_count_zero_and_a_stopped_one_no_node(tmp_path: Path
                                                                           ) -> None:
    samples = scrape(status_of(running_a(tmp_path)), "node1")
    assert value(samples, "ha_cluster_pacemaker_resources", resource="A", status="failed") == 0
    assert value(samples, "ha_cluster_pacemaker_fail_count", node="node1", resource="A") == 0
    assert value(samples, "ha_cluster_pacemaker_resources", resource="B", status="active",
                 node="", role="stopped") == 0


def test_an_ignored_failure_is_failure_ignored_not_failed(tmp_path: Path) -> None:
    samples = scrape(status_of(ignored_failure(tmp_path)), "node1")
    assert value(samples, "ha_cluster_pacemaker_resources", resource="A",
                 status="failure_ignored") == 1
    assert value(samples, "ha_cluster_pacemaker_resources", resource="A", status="failed") == 0
    assert value(samples, "ha_cluster_pacemaker_resources", resource="A", status="active") == 1


def test_migration_threshold_as_configured(tmp_path: Path) -> None:
    path = failed_a(tmp_path)
    text = path.read_text()
    marker = '<primitive id="A" class="ocf" provider="heartbeat" type="Dummy">'
    path.write_text(text.replace(marker, marker + (
        '<meta_attributes id="A-meta"><nvpair id="A-meta-mt" name="migration-threshold" '
        'value="3"/></meta_attributes>')))
    samples = scrape(status_of(path), "node1")
    assert value(samples, "ha_cluster_pacemaker_migration_threshold", node="node1",
                 resource="A") == 3


def test_a_blocked_resource(tmp_path: Path) -> None:
    samples = scrape(status_of(blocked_failure(tmp_path)), "node1")
    assert value(samples, "ha_cluster_pacemaker_resources", resource="A", status="blocked",
                 managed="false") == 1


def test_a_node_put_in_standby_by_a_failure(tmp_path: Path) -> None:
    samples = scrape(status_of(standby_failure(tmp_path)), "node1")
    assert value(samples, "ha_cluster_pacemaker_nodes", node="node1", status="standby_onfail") == 1
    assert value(samples, "ha_cluster_pacemaker_nodes", node="node1", status="standby") == 1
    assert value(samples, "ha_cluster_pacemaker_nodes", node="node2", status="standby_onfail") == 0


# -- promotable clone --------------------------------------------------------------------------
def test_a_promotable_clone_roles_and_promotion_scores(tmp_path: Path) -> None:
    samples = scrape(status_of(promotable(tmp_path)), "node1")
    common = {"resource": "db", "clone": "db-clone", "group": "", "status": "active",
              "agent": "ocf:pacemaker:Stateful"}
    assert value(samples, "ha_cluster_pacemaker_resources", node="node1", role="master",
                 **common) == 1
    assert value(samples, "ha_cluster_pacemaker_resources", node="node2", role="slave",
                 **common) == 1
    assert value(samples, "ha_cluster_vigil_promotion_score", node="node1", resource="db") == 10
    assert value(samples, "ha_cluster_vigil_promotion_score", node="node2", resource="db") == 5
    # the agent's own value, as ha_cluster_exporter exports it
    assert value(samples, "ha_cluster_pacemaker_node_attributes", node="node1", name="master-db",
                 value="10") == 1
    assert value(samples, "ha_cluster_pacemaker_node_attributes", node="node2", name="master-db",
                 value="5") == 1


def test_promotion_scores_follow_role_constraints(tmp_path: Path) -> None:
    prefer = ('<rsc_location id="db-promote-on-node2" rsc="db-clone" node="node2" '
              'score="100" role="Promoted"/>')
    samples = scrape(status_of(promotable(tmp_path, constraints=prefer)), "node1")
    assert value(samples, "ha_cluster_vigil_promotion_score", node="node2", resource="db") == 105
    assert value(samples, "ha_cluster_pacemaker_location_constraints",
                 constraint="db-promote-on-node2") == 100
    assert value(samples, "ha_cluster_pacemaker_location_constraints",
                 constraint="db-promote-on-node2", node="node2", resource="db-clone",
                 role="promoted") == 100


# -- cluster options, constraints, quorum ------------------------------------------------------
def test_stonith_enabled(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    assert value(scrape(status_of(path), "node1"), "ha_cluster_pacemaker_stonith_enabled") == 0
    property.set_properties(env_of(path), [("stonith-enabled", "true")])
    assert value(scrape(status_of(path), "node1"), "ha_cluster_pacemaker_stonith_enabled") == 1


def test_a_location_constraint_at_minus_infinity(tmp_path: Path) -> None:
    ban = '<rsc_location id="ban-A-node2" rsc="A" node="node2" score="-INFINITY"/>'
    rule = ('<rsc_location id="A-by-rule" rsc="A"><rule id="A-by-rule-r" score="50">'
            '<expression id="A-by-rule-e" attribute="#uname" operation="eq" value="node1"/>'
            '</rule></rsc_location>')
    samples = scrape(status_of(running_a(tmp_path, constraints=ban + rule)), "node1")
    assert value(samples, "ha_cluster_pacemaker_location_constraints", constraint="ban-A-node2",
                 node="node2", resource="A", role="") == -math.inf
    # a rule has no single node or score: not a series
    assert where(samples, "ha_cluster_pacemaker_location_constraints",
                 constraint="A-by-rule") == []


def test_quorate(tmp_path: Path) -> None:
    path = running_a(tmp_path)
    assert value(scrape(status_of(path), "node1"), "ha_cluster_corosync_quorate") == 1
    assert value(scrape(status_of(without_quorum(path)), "node1"),
                 "ha_cluster_corosync_quorate") == 0


# -- fencing -----------------------------------------------------------------------------------
def test_fencing_history_counted_with_the_last_duration(tmp_path: Path) -> None:
    status = dataclasses.replace(status_of(running_a(tmp_path)), fencing=(
        FenceEvent("node2", "reboot", ok=False, time=100, duration_ms=60_000, device="ipmi"),
        FenceEvent("node2", "reboot", ok=True, time=200, duration_ms=4_500, device="ipmi"),
        FenceEvent("node2", "reboot", ok=True, time=300, duration_ms=5_250, device="ipmi"),
        FenceEvent("node1", "off", ok=True, time=400, manual=True)))
    samples = scrape(status, "node1")
    total = "ha_cluster_vigil_fencing_operations_total"
    assert value(samples, total, target="node2", action="reboot", result="success") == 2
    assert value(samples, total, target="node2", action="reboot", result="failure") == 1
    assert value(samples, total, target="node1", action="off", result="manual") == 1
    assert value(samples, "ha_cluster_vigil_fencing_last_duration_seconds",
                 target="node2") == 5.25
    # a confirmation by hand has no duration
    assert where(samples, "ha_cluster_vigil_fencing_last_duration_seconds", target="node1") == []
    # and a node that is not the DC leaves the history to the DC
    assert where(scrape(status, "node2"), total) == []


# -- no snapshot -------------------------------------------------------------------------------
def test_a_snapshot_that_could_not_be_taken(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"  # (a missing file is an empty CIB: a snapshot)
    broken.write_text("<cib><configuration>")
    with pytest.raises(ReportError) as failure:
        cluster_status(FileEnvironment(str(broken), clock=0))
    for snapshot in (failure.value, None):
        samples = scrape(snapshot, "node1")
        assert [(s.name, s.labels, s.value) for s in samples] == [
            ("ha_cluster_vigil_scrape_success", {}, 0.0)]


def test_a_snapshot_the_collector_cannot_read_is_a_failed_scrape(tmp_path: Path) -> None:
    broken = dataclasses.replace(status_of(running_a(tmp_path)), transition=None)
    assert list(ClusterCollector(broken, local_node="node1").collect())[0].samples[0].value == 0
    samples = scrape(broken, "node1")
    assert [(s.name, s.value) for s in samples] == [("ha_cluster_vigil_scrape_success", 0.0)]


# -- against Pacemaker's crm_mon ---------------------------------------------------------------
def _crm_mon(path: Path) -> ET.Element:
    if shutil.which("crm_mon") is None:
        pytest.skip("crm_mon (Pacemaker's pacemaker-cli-utils) is not installed")
    out = subprocess.run(["crm_mon", "-1", "--output-as=xml", "--include=all"],
                         env={"CIB_file": str(path), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                         capture_output=True, text=True, timeout=60, check=True)
    return ET.fromstring(out.stdout)


_EXPORTER_ROLE = {"Promoted": "master", "Unpromoted": "slave", "Started": "started",
                  "Stopped": "stopped"}


@pytest.mark.parametrize("make", [promotable, failed_a, ignored_failure, blocked_failure,
                                  standby_failure, running_a])
def test_nodes_and_resources_agree_with_crm_mon(tmp_path: Path, make: object) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    if make is running_a:
        node.standby(env_of(path), ["node2"])
    mon = _crm_mon(path)
    samples = scrape(status_of(path), "node1")
    for n in mon.iter("node"):
        if n.get("online") is None:  # the <node> inside a resource
            continue
        for flag in ("online", "standby", "standby_onfail", "maintenance", "pending", "unclean",
                     "shutdown", "expected_up"):
            assert value(samples, "ha_cluster_pacemaker_nodes", node=n.get("name", ""),
                         status=flag, type=n.get("type", "")) == (n.get(flag) == "true"), flag
        assert value(samples, "ha_cluster_pacemaker_nodes", node=n.get("name", ""),
                     status="dc") == (n.get("is_dc") == "true")
    for r in mon.iter("resource"):
        on = [n.get("name", "") for n in r.iter("node")] or [""]
        for where_ in on:
            labels = {"resource": r.get("id", ""), "node": where_,
                      "role": _EXPORTER_ROLE[r.get("role", "")],
                      "agent": r.get("resource_agent", ""), "managed": r.get("managed", "")}
            for ours, theirs in (("active", "active"), ("orphaned", "orphaned"),
                                 ("blocked", "blocked"), ("failed", "failed"),
                                 ("failure_ignored", "failure_ignored")):
                assert value(samples, "ha_cluster_pacemaker_resources", status=ours,
                             **labels) == (r.get(theirs) == "true"), (labels, ours)
