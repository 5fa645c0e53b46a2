"""`vigil demo` and `vigil lab fail`: a failover told from the client's and the cluster's side.

    report = run_demo(out=print)     # builds lab "demo", fails the service's node, tears down
    report.downtime_s, report.moved_to, report.fenced

The demo: a 3-node lab with fencing (the lab's power switch), the seeds' web service as one
group (VIP + http.server) with resource-stickiness, an HttpProbe from the client, a power cut of
the node running the service, the client-observed downtime, the surviving nodes' events between
the fault and the recovery, the node powered on again (stickiness keeps the service where it
is), and the lab torn down whatever happens (unless keep=True).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vigil.lab import hostops
from vigil.lab.errors import LabError, LabTimeout
from vigil.lab.lab import Lab, fence_agent_problem
from vigil.lab.probe_http import HttpProbe, Outage, wait_http

DEMO_NAME = "demo"
VIP = "10.213.0.100"
URL = f"http://{VIP}/"
GROUP = "web"
IPADDR2 = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2"
ANYTHING = "/usr/lib/ocf/resource.d/heartbeat/anything"
SUPPORTED_AGENTS = ("ocf:heartbeat:anything", "ocf:heartbeat:IPaddr2")

Out = Callable[[str], None]


# ---------------------------------------------------------------------------------- helpers
def cluster_status(lab: Lab, node: str, timeout: float = 20.0) -> dict[str, Any]:
    """`vigil status --output json` inside `node`; LabError when vigild does not answer."""
    try:
        proc = lab.vigil(node, ["status", "--output", "json"], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"vigil status in {node} did not answer within {timeout:g} s") from None
    if proc.returncode != 0:
        raise LabError(f"vigil status in {node}: {(proc.stderr or proc.stdout).strip()}")
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def powered_on_nodes(lab: Lab) -> list[str]:
    """The lab's nodes that are powered on, in order."""
    return [n for n in lab.topology.node_names() if lab.pids(n)]


def resource_nodes(lab: Lab, resource: str, via: str | None = None) -> tuple[str, ...]:
    """The nodes where `resource` runs, as a powered-on node's vigild says."""
    nodes = [via] if via else powered_on_nodes(lab)
    for node in nodes:
        try:
            data = cluster_status(lab, node)
        except (LabError, ValueError):
            continue
        for r in data["resources"]:
            if r["id"] == resource:
                return tuple(r["nodes"])
        raise LabError(f"no resource {resource!r} in the cluster")
    raise LabError("no node's vigild answers")


# what the CLI says when the configuration changed between its read and its write (an agent's
# permanent attribute at its first start, PAF's promotion score for one): nothing was written,
# and the message itself says to run the command again
CIB_CHANGED = "the CIB changed while this command ran"


def vigil_ok(lab: Lab, node: str, args: list[str], *, attempts: int = 3) -> str:
    for _ in range(attempts):
        proc = lab.vigil(node, args)
        if proc.returncode == 0:
            return proc.stdout
        if CIB_CHANGED not in (proc.stderr or ""):
            break
    raise LabError(f"vigil {shlex.join(args)} in {node}: {(proc.stderr or proc.stdout).strip()}")


def _primitive(lab: Lab, node: str, resource: str) -> tuple[str, dict[str, str]]:
    """(class:provider:type, instance attributes) of a primitive, from the node's CIB."""
    root = ET.fromstring(vigil_ok(lab, node, ["cib", "configuration"]))
    for prim in root.iter("primitive"):
        if prim.get("id") == resource:
            agent = ":".join(p for p in (prim.get("class"), prim.get("provider"), prim.get("type")) if p)
            params = {nv.get("name", ""): nv.get("value", "")
                      for ia in prim.findall("instance_attributes") for nv in ia.findall("nvpair")}
            return agent, params
    raise LabError(f"{resource!r} is not a primitive resource of the cluster (a group or clone: "
                   f"name one of its primitives)")


@dataclass(frozen=True)
class Failed:
    resource: str
    node: str
    agent: str
    how: str


def fail_resource(lab: Lab, resource: str) -> Failed:
    """Kill what `resource` manages where it runs: the process of ocf:heartbeat:anything (its
    pidfile, else `pkill -f` of its command line), the address of ocf:heartbeat:IPaddr2."""
    on = powered_on_nodes(lab)
    if not on:
        raise LabError("every node of the lab is off")
    via = on[0]
    agent, params = _primitive(lab, via, resource)
    if agent not in SUPPORTED_AGENTS:
        raise LabError(f"{resource} is {agent}: `lab fail` supports {', '.join(SUPPORTED_AGENTS)}")
    nodes = resource_nodes(lab, resource, via)
    if not nodes:
        raise LabError(f"{resource} is not running anywhere")
    node = nodes[0]
    if agent == "ocf:heartbeat:IPaddr2":
        ip, nic = params.get("ip", ""), params.get("nic", "")
        if not ip:
            raise LabError(f"{resource} has no ip parameter")
        listing = lab.exec(node, ["ip", "-o", "-4", "addr", "show"], timeout=10).stdout
        devs = [ln.split()[1] for ln in listing.splitlines() if f" {ip}/" in ln]
        if nic and nic not in devs and devs:
            nic = devs[0]
        dev = nic or (devs[0] if devs else "")
        if not devs:
            raise LabError(f"{ip} is not configured on {node}")
        cidr = next(ln.split()[3] for ln in listing.splitlines() if f" {ip}/" in ln and ln.split()[1] == dev)
        proc = lab.exec(node, ["ip", "addr", "del", cidr, "dev", dev], timeout=10)
        if proc.returncode != 0:
            raise LabError(f"ip addr del {cidr} dev {dev} in {node}: {proc.stderr.strip()}")
        return Failed(resource, node, agent, f"deleted {cidr} from {dev}")
    pidfile = params.get("pidfile")
    if pidfile:
        script = 'pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] && kill -9 "$pid" && echo "$pid"'
        proc = lab.exec(node, ["sh", "-c", script, "sh", pidfile], timeout=10)
        if proc.returncode == 0:
            return Failed(resource, node, agent, f"killed pid {proc.stdout.strip()} (from {pidfile})")
    cmdline = " ".join(p for p in (params.get("binfile", ""), params.get("cmdline_options", "")) if p)
    if not cmdline:
        raise LabError(f"{resource} has neither a pidfile nor a binfile to find its process by")
    # the node's own PID namespace and /proc: pkill sees only that node's processes
    proc = lab.exec(node, ["pkill", "-9", "-e", "-f", "--", cmdline], timeout=10)
    if proc.returncode != 0:
        raise LabError(f"no process matching {cmdline!r} on {node}")
    pids = re.findall(r"pid (\d+)", proc.stdout)
    return Failed(resource, node, agent, f"pkill -9 -f {cmdline!r}: killed {' '.join(pids) or 'it'}")


def read_events(lab: Lab, node: str) -> list[dict[str, Any]]:
    """`node`'s vigild events (its disk's var/log/vigil/events.jsonl)."""
    path = lab.node_dir(node) / "var/log/vigil/events.jsonl"
    out: list[dict[str, Any]] = []
    try:
        text = path.read_text()
    except OSError:
        return out
    for line in text.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and isinstance(ev.get("ts"), int | float):
            out.append(ev)
    return out


def describe_event(ev: dict[str, Any]) -> str:
    """One readable phrase for a vigild event."""
    kind = ev.get("event")
    if kind == "membership":
        left = ev.get("left") or []
        return (f"membership: {','.join(ev.get('members', []))}"
                + (f" ({','.join(left)} left)" if left else ""))
    if kind == "quorum":
        verdict = "quorate" if ev.get("quorate") else "NOT quorate"
        return f"quorum: {verdict} ({ev.get('votes')}/{ev.get('expected')} votes)"
    if kind == "fencing-requested":
        return f"fencing requested: {ev.get('action')} {ev.get('target')}"
    if kind == "fencing":
        ok = "done" if ev.get("ok") else f"FAILED ({ev.get('detail')})"
        return f"fencing {ev.get('action')} {ev.get('target')} by {ev.get('device')}: {ok}"
    if kind == "action":
        res = "ok" if not ev.get("failed") else f"FAILED rc={ev.get('rc')}"
        return f"{ev.get('task')} {ev.get('resource')} on {ev.get('target')}: {res}"
    if kind == "transition-start":
        acts = ev.get("actions") or []
        return f"transition {ev.get('transition')}: {', '.join(acts)}"
    if kind == "transition-end":
        failed = ev.get("failed") or []
        return f"transition {ev.get('transition')} done" + (f", failed {failed}" if failed else "")
    if kind == "transition-abort":
        return f"transition aborted: {ev.get('reason')}"
    rest = {k: v for k, v in ev.items() if k not in ("ts", "event", "node")}
    return f"{kind} " + " ".join(f"{k}={v}" for k, v in rest.items())


def story(lab: Lab, nodes: list[str], since: float, until: float) -> list[tuple[float, str, str]]:
    """(seconds after `since`, node, phrase) of what the surviving nodes logged in the window:
    membership and quorum (per node), transitions, fencing and resource actions (replicated on
    every node: shown once, at the earliest time)."""
    seen: set[str] = set()
    lines: list[tuple[float, str, str]] = []
    events = [ev for n in nodes for ev in read_events(lab, n) if since - 0.05 <= ev["ts"] <= until]
    for ev in sorted(events, key=lambda e: e["ts"]):
        kind = ev.get("event")
        if kind in ("synced", "config"):
            continue
        if kind == "action" and ev.get("task") == "monitor" and not ev.get("failed"):
            continue
        key = json.dumps({k: v for k, v in ev.items() if k not in ("ts", "node")}, sort_keys=True)
        if kind not in ("membership", "quorum"):
            if key in seen:
                continue
            seen.add(key)
        lines.append((ev["ts"] - since, str(ev.get("node", "?")), describe_event(ev)))
    return lines


# ---------------------------------------------------------------------------------- the demo
@dataclass
class DemoReport:
    lab: str
    nodes: int
    victim: str = ""
    moved_to: str = ""
    downtime_s: float | None = None  # the client's outage around the fault
    outages: list[Outage] = field(default_factory=list)
    probes: int = 0
    failed_probes: int = 0
    fenced: bool = False  # fencing of the victim recorded by a survivor
    recovery_s: float | None = None  # fault -> first good probe
    timeline: list[tuple[float, str, str]] = field(default_factory=list)
    stayed: bool | None = None  # after the victim came back, the service stayed (stickiness)
    placement_after_return: str = ""
    torn_down: bool = False
    total_s: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


def requirements() -> str | None:
    """Why the demo cannot run here (one line), None if it can."""
    if os.geteuid() != 0:
        return "the demo needs root (network namespaces, bridges, mounts): run it with sudo"
    missing = hostops.missing_tools()
    if missing:
        return f"the demo needs {', '.join(missing)}: run `bash scripts/install.sh` first"
    for agent in (IPADDR2, ANYTHING):
        if not os.path.exists(agent):
            return f"{agent} is missing (resource-agents): run `bash scripts/install.sh` first"
    return fence_agent_problem()


def end_lab(lab: Lab | None, name: str, *, keep: bool, step: Out) -> bool:
    """The end of a demo, on errors and Ctrl-C too: tear the lab down unless `keep` (then say how
    to remove it); whether it was torn down."""
    if lab is None:
        return False
    if keep:
        step(f"lab {name!r} kept: `vigil lab down --name {name}` removes it")
        return False
    step(f"tearing lab {name!r} down")
    Lab.down_by_name(name, graceful=False)
    return True


def wait_tolerant(lab: Lab, what: str, predicate: Callable[[], object], timeout: float,
                  interval: float = 0.2) -> None:
    """lab.wait_for, with a predicate that may fail while the cluster settles (a vigild not
    answering yet counts as "not yet"); LabTimeout after `timeout` s."""

    def safe() -> object:
        try:
            return predicate()
        except (LabError, ValueError, KeyError, subprocess.TimeoutExpired):
            return False

    lab.wait_for(safe, timeout, interval=interval, what=what)


def _wait_single(lab: Lab, what: str, via: str | None, not_on: str | None,
                 timeout: float = 30.0) -> str:
    """The one node WebSite runs on (not `not_on`), once vigild says so."""
    found: list[str] = []

    def placed() -> bool:
        nodes = resource_nodes(lab, "WebSite", via)
        if len(nodes) == 1 and nodes[0] != not_on:
            found.append(nodes[0])
            return True
        return False

    wait_tolerant(lab, what, placed, timeout)
    return found[-1]


def create_service(lab: Lab, node: str) -> None:
    """Through `node`: fencing by the lab's power switch (stonith-action=off: a fenced node stays
    off until someone boots it), resource-stickiness=100 and the seeds' web service as group
    `web`: WebIP (IPaddr2 VIP, monitor 5 s) then WebSite (http.server, monitor 1 s), the same
    resources and monitors as the reference Pacemaker lab's."""
    lab.configure_fencing(node, timeout=30)
    vigil_ok(lab, node, ["property", "set", "stonith-action=off"])
    vigil_ok(lab, node, ["resource", "defaults", "update", "resource-stickiness=100"])
    vigil_ok(lab, node, ["resource", "create", "WebIP", "ocf:heartbeat:IPaddr2", f"ip={VIP}",
                          "cidr_netmask=24", "nic=eth0", "op", "monitor", "interval=5s",
                          "--group", GROUP])
    vigil_ok(lab, node, ["resource", "create", "WebSite", "ocf:heartbeat:anything",
                          "binfile=/usr/bin/python3",
                          f"cmdline_options=-m http.server 80 --bind {VIP} --directory /etc",
                          "op", "monitor", "interval=1s", "--group", GROUP])


def run_demo(*, nodes: int = 3, keep: bool = False, out: Out = print, name: str = DEMO_NAME,
             token_ms: int = 1000) -> DemoReport:
    """The whole demo (see the module's docstring); LabError/LabTimeout on failure, after the
    teardown. Needs root."""
    problem = requirements()
    if problem:
        raise LabError(problem)
    if nodes < 2:
        raise LabError("the demo needs at least 2 nodes (a service has to move somewhere)")
    t_start = time.monotonic()
    report = DemoReport(lab=name, nodes=nodes)

    def step(msg: str) -> None:
        out(f"[{time.monotonic() - t_start:5.1f}s] {msg}")

    lab: Lab | None = None
    probe: HttpProbe | None = None
    try:
        step(f"creating lab {name!r}: {nodes} nodes, Corosync token {token_ms} ms")
        lab = Lab.up(nodes=nodes, token_ms=token_ms, name=name, timeout=30)
        report.phases["lab_up_s"] = lab.timings.get("up_s", 0.0)
        step(f"lab up in {lab.timings.get('up_s', 0):.1f} s; every node sees "
             f"{','.join(lab.topology.node_names())}")
        first = lab.topology.node_names()[0]
        create_service(lab, first)
        step("fencing on: fence_vigil_lab (the lab's power switch), stonith-action=off")
        step(f"service group {GROUP!r} created: WebIP (IPaddr2 {VIP}) then WebSite (http.server); "
             "resource-stickiness=100")
        took = wait_http(lab, URL, timeout=30)
        step(f"{URL} answers from the client ({took:.1f} s)")
        victim = report.victim = _wait_single(lab, "the service runs on one node", None, None)
        status_text = lab.vigil(first, ["status"], timeout=20).stdout
        out("\n".join("    " + ln for ln in status_text.rstrip().splitlines()))
        probe = HttpProbe(lab, URL, interval=0.05)
        probe.start()
        wait_tolerant(lab, "the probe sees the page",
                      lambda: probe is not None and probe.good_since(0), timeout=10)
        time.sleep(1.0)
        step(f"probing {URL} from the client every 50 ms; cutting the power of {victim}, "
             "which runs the service")
        t_fault = time.time()
        lab.power_off(victim)
        survivors = [n for n in lab.topology.node_names() if n != victim]
        wait_tolerant(lab, "the page answers again",
                      lambda: probe is not None and probe.good_since(t_fault + 0.2),
                      timeout=60, interval=0.05)
        t_answer = time.time()
        report.recovery_s = round(t_answer - t_fault, 3)
        report.moved_to = _wait_single(lab, "the service runs on a survivor", survivors[0], victim)
        time.sleep(1.0)  # a second of good probes after the recovery
        outs = probe.stop()
        probe_samples = probe.snapshot()
        probe = None
        report.outages = outs
        report.probes = len(probe_samples)
        report.failed_probes = sum(1 for s in probe_samples if not s.ok)
        around = [o for o in outs if (o.end is None or o.end >= t_fault) and o.start <= t_answer]
        if around:
            report.downtime_s = round(sum(o.length for o in around), 3)
        else:
            report.downtime_s = 0.0
        step(f"the page answers from {report.moved_to}: client-observed downtime "
             f"{report.downtime_s:.2f} s ({report.failed_probes} of {report.probes} probes failed)")
        t_until = time.time()
        report.timeline = story(lab, survivors, t_fault, t_until)
        report.fenced = any(ev.get("event") == "fencing" and ev.get("target") == victim and ev.get("ok")
                            for n in survivors for ev in read_events(lab, n) if ev["ts"] >= t_fault)
        out(f"    what happened (seconds after the power cut of {victim}, from "
            f"{', '.join(survivors)}'s events.jsonl):")
        for off, node, phrase in report.timeline:
            out(f"    +{off:6.2f}s  {node:<4} {phrase}")
        for o in around:
            out(f"    client: outage from {o.start - t_fault:+.2f}s to "
                f"{(o.end or o.start + o.length) - t_fault:+.2f}s "
                f"({o.length:.2f} s, {o.failures} failed probes)")
        step(f"powering {victim} on again")
        lab.power_on(victim)
        lab.wait_members(lab.topology.node_names(), timeout=30)
        wait_tolerant(lab, f"{victim}'s vigild answers",
                      lambda: cluster_status(lab, victim, timeout=10), timeout=30)
        time.sleep(3.0)  # time for a (wrong) transition to move the service back
        now = resource_nodes(lab, "WebSite", survivors[0])
        report.placement_after_return = ",".join(now)
        report.stayed = now == (report.moved_to,)
        ok_page = wait_http(lab, URL, timeout=10) >= 0
        step(f"{victim} is back ({nodes} members); the service "
             + (f"stays on {report.moved_to} (stickiness)" if report.stayed else f"is on {','.join(now)}")
             + (", the page answers" if ok_page else ""))
    finally:
        if probe is not None:
            probe.stop()
        report.torn_down = end_lab(lab, name, keep=keep, step=step)
        report.total_s = round(time.monotonic() - t_start, 1)
    out(render_report(report))
    return report


def render_report(r: DemoReport) -> str:
    lines = ["", f"Report (lab {r.lab}, {r.nodes} nodes, {r.total_s:.0f} s):"]
    lines.append(f"  fault:      power cut of {r.victim}, which ran the web group")
    lines.append(f"  downtime:   {r.downtime_s:.2f} s seen by the client (HTTP GET every 50 ms; "
                 f"{r.failed_probes}/{r.probes} probes failed)" if r.downtime_s is not None
                 else "  downtime:   not measured")
    lines.append(f"  recovery:   the service runs on {r.moved_to or '?'}"
                 + (f", the page answered {r.recovery_s:.2f} s after the fault" if r.recovery_s else ""))
    lines.append(f"  fencing:    {r.victim} " + ("fenced (off) before the service moved" if r.fenced
                                                  else "NOT fenced according to the events"))
    if r.stayed is not None:
        lines.append(f"  stickiness: {r.victim} came back; the service "
                     + (f"stayed on {r.moved_to}" if r.stayed else f"moved to {r.placement_after_return}"))
    lines.append("  lab:        " + ("torn down" if r.torn_down else "kept"))
    return "\n".join(lines)


__all__ = ["DemoReport", "Failed", "LabTimeout", "create_service", "end_lab", "fail_resource",
           "run_demo", "story", "powered_on_nodes", "vigil_ok", "wait_tolerant"]
