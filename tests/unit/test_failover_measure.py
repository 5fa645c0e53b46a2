"""The failover measurements: client downtime from probe samples, phases from vigild events."""

from __future__ import annotations

from vigil.lab.measure import client_downtime, failover_phases
from vigil.lab.probe_http import Sample


def probes(t0: float, pattern: str, step: float = 0.05) -> list[Sample]:
    return [Sample(round(t0 + i * step, 3), c == "+", "" if c == "+" else "timeout")
            for i, c in enumerate(pattern)]


def test_downtime_runs_from_last_good_to_first_good_probe() -> None:
    samples = probes(100.0, "++++" + "-" * 20 + "+++")  # fault at 100.2 (index 4)
    d = client_downtime(samples, t_fault=100.2)
    assert d.failed_probes == 20
    assert d.seconds == 1.05  # 100.15 (last good) -> 101.2 (first good)
    assert d.first_failure_s == 0.0 and d.back_s == 1.0 and not d.still_down


def test_no_failed_probe_is_no_downtime_and_old_failures_do_not_count() -> None:
    samples = probes(90.0, "--++") + probes(100.0, "++++++")
    d = client_downtime(samples, t_fault=100.1)
    assert d.seconds == 0.0 and d.failed_probes == 0 and d.back_s is None


def test_an_outage_that_never_ends_is_reported_as_still_down() -> None:
    d = client_downtime(probes(100.0, "++" + "-" * 10), t_fault=100.1)
    assert d.still_down and d.back_s is None and d.seconds == 0.5


EVENTS = [
    {"ts": 99.0, "event": "membership", "node": "n1", "members": ["n1", "n2", "n3"], "left": []},
    {"ts": 102.2, "event": "membership", "node": "n3", "members": ["n1", "n3"], "left": ["n2"]},
    {"ts": 102.21, "event": "membership", "node": "n1", "members": ["n1", "n3"], "left": ["n2"]},
    {"ts": 102.25, "event": "fencing-requested", "node": "n1", "target": "n2", "action": "off"},
    {"ts": 102.3, "event": "transition-start", "node": "n1", "transition": 4},
    {"ts": 102.4, "event": "fencing", "node": "n1", "target": "n2", "ok": True},
    {"ts": 102.5, "event": "action", "node": "n1", "resource": "WebIP", "task": "start",
     "failed": False},
    {"ts": 102.6, "event": "action", "node": "n1", "resource": "WebSite", "task": "start",
     "failed": False},
    {"ts": "junk", "event": "action"},
]


def test_node_loss_phases_count_vigils_work_from_the_membership_change() -> None:
    t = failover_phases(EVENTS, 100.0, resource="WebSite", victim="n2")
    assert t.trigger == "membership"
    assert [p.name for p in t.phases] == ["membership", "fencing requested", "transition started",
                                          "fenced", "WebSite started"]
    assert t.at("membership") == 2.2 and t.at("fenced") == 2.4
    assert t.vigil_work_s == 0.4


def test_a_killed_process_counts_from_the_failed_monitor() -> None:
    events = [
        {"ts": 100.5, "event": "action", "resource": "WebSite", "task": "start", "failed": False},
        {"ts": 100.9, "event": "action", "resource": "WebSite", "task": "monitor", "failed": True},
        {"ts": 101.0, "event": "transition-start"},
        {"ts": 101.3, "event": "action", "resource": "WebSite", "task": "start", "failed": False},
    ]
    t = failover_phases(events, 100.0, resource="WebSite")
    # the start before the detection is not the recovery
    assert t.trigger == "failure detected" and t.vigil_work_s == 0.4
    assert t.at("WebSite started") == 1.3


def test_missing_steps_give_no_work_figure() -> None:
    t = failover_phases(EVENTS[:2], 100.0, resource="WebSite", victim="n2")
    assert t.vigil_work_s is None and t.at("WebSite started") is None
    none = failover_phases([], 100.0, resource="WebSite", moved=True)
    assert none.trigger is None and none.phases == ()


def test_corosync_churn_counts_survivor_link_flaps_and_memberships() -> None:
    from vigil.lab.measure import corosync_churn

    n2 = """\
Dec 04 10:00:01.100 [3] n2 corosync info    [KNET  ] link: host: 1 link: 0 is down
Dec 04 10:00:01.100 [3] n2 corosync info    [KNET  ] link: host: 1 link: 1 is down
Dec 04 10:00:02.200 [3] n2 corosync notice  [TOTEM ] A new membership (2.2e) was formed. Members left: 1
Dec 04 10:00:02.600 [3] n2 corosync info    [KNET  ] link: host: 3 link: 0 is down
Dec 04 10:00:04.000 [3] n2 corosync notice  [TOTEM ] A new membership (2.32) was formed. Members
"""
    n3 = "Dec 04 10:00:02.200 [3] n3 corosync notice  [TOTEM ] A new membership (2.2e) was formed.\n"
    churn = corosync_churn({2: n2, 3: n3}, lost=[1])
    # the lost node's links going down is expected; n2 losing n3 is not, nor its second membership
    assert (churn.peer_link_downs, churn.memberships) == (1, 2)
    assert churn.lines == (n2.splitlines()[3],)
    clean = corosync_churn({2: n2.splitlines()[2], 3: n3}, lost=[1])
    assert (clean.peer_link_downs, clean.memberships) == (0, 1)
    assert corosync_churn({}, lost=[1]) == corosync_churn({2: ""})
