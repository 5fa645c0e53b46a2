"""`vigil demo` end to end, the HTTP probe against the lab's web service with one injected fault
(`vigil lab fail`), and `vigil status --watch`; plus the probe's pure parts (no root needed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from tests.lab import service_support as svc

from vigil.lab import Lab, LabError, hostops, state
from vigil.lab.demo import fail_resource, run_demo
from vigil.lab.probe_http import HttpProbe, Sample, check_url, outages

needs_lab = pytest.mark.skipif(svc.requirements() is not None, reason=svc.requirements() or "")


def test_probe_refuses_addresses_outside_the_lab() -> None:
    assert check_url("http://10.213.0.100/") == "http://10.213.0.100/"
    for url in ("http://10.214.0.1/", "http://127.0.0.1/", "http://example.com/", "https://10.213.0.1/"):
        with pytest.raises(LabError):
            check_url(url)


def test_outages_run_from_last_good_to_first_good() -> None:
    s = [Sample(1.0, True, ""), Sample(1.05, False, "x"), Sample(1.1, False, "y"), Sample(1.15, True, ""),
         Sample(2.0, True, ""), Sample(2.05, False, "z")]
    found = outages(list(reversed(s)))
    got = [(o.start, o.end, o.failures, o.detail) for o in found]
    assert got == [(1.0, 1.15, 2, "x"), (2.0, None, 1, "z")]
    assert found[0].length == pytest.approx(0.15)
    assert outages([Sample(1.0, True, "")]) == []


@needs_lab
def test_demo_end_to_end() -> None:
    name = "tdemo"
    Lab.down_by_name(name, graceful=False)
    lines: list[str] = []
    t0 = time.monotonic()
    report = run_demo(name=name, out=lines.append)
    took = time.monotonic() - t0
    text = "\n".join(lines)
    assert took < 120, text
    assert report.downtime_s is not None and report.downtime_s > 0, text
    assert report.victim and report.moved_to and report.moved_to != report.victim, text
    assert report.fenced, text
    assert any("fencing off " + report.victim in phrase for _t, _n, phrase in report.timeline), text
    assert report.stayed, text
    assert report.torn_down and state.load(name) is None
    assert not hostops.lab_netns(f"vl-{name}-")
    assert "Report (lab tdemo" in text and "downtime:" in text
    assert "Cluster name: vltdemo" in text  # the status it prints names the cluster (corosync.conf's)


@needs_lab
def test_probe_sees_one_injected_outage_and_status_watch_prints_it() -> None:
    with Lab.up(nodes=3, token_ms=1000, name="tprobe", timeout=60) as lab:
        svc.vigil(lab, "n1", "property", "set", "stonith-enabled=false")
        svc.create_web_service(lab, "n1", group="web")
        svc.wait("the page answers", lambda: svc.page_ok(lab))
        node = svc.where(lab, "n1", "WebIP", "WebSite")
        watch = subprocess.Popen(lab.exec_argv("n1", [sys.executable, "-m", "vigil.cli.main", "status",
                                                      "--watch", "--output", "json"]),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=hostops.command_env(), start_new_session=True)
        try:
            probe = HttpProbe(lab, svc.URL, interval=0.05).start()
            svc.wait("the probe sees the page", lambda: probe.good_since(0), timeout=10)
            time.sleep(0.5)
            t_fault = time.time()
            done = fail_resource(lab, "WebSite")
            t_killed = time.time()
            assert done.node == node and "killed" in done.how
            svc.wait("the page answers again", lambda: probe.good_since(t_killed + 0.1), timeout=30)
            time.sleep(0.5)
            found = probe.stop()
        finally:
            time.sleep(0.5)
            os.killpg(watch.pid, signal.SIGINT)  # the watcher this test started
            try:
                out, _err = watch.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(watch.pid, signal.SIGKILL)
                out, _err = watch.communicate()
        assert len(found) == 1, found
        outage = found[0]
        assert outage.end is not None and 0 < outage.length < 30
        assert t_fault <= outage.start <= t_killed <= outage.end
        events = [json.loads(line) for line in out.splitlines() if line.startswith('{"ts"')]
        assert any(e["event"] == "action" and e.get("resource") == "WebSite" and e.get("task") == "start"
                   and e["ts"] > t_fault for e in events), (out[-2000:], _err[-2000:])
