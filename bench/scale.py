#!/usr/bin/env python3
"""The cluster at scale: labs of N nodes with R Dummy resources, vigil and Pacemaker side by side.

Usage (root; after `bash scripts/install.sh`; a quiet machine: the numbers are wall times):
  python3 bench/scale.py [--nodes 8,16,32] [--resources 500,2000] [--stacks vigil,pacemaker]
                         [--token MS] [--idle-seconds 30] [--json FILE] [--name scale]

For each stack and node count, one lab (fencing through the lab's power switch) and, for each
resource count in turn (the resources section replaced by R ocf:pacemaker:Dummy primitives with
a 60 s monitor, pushed in one change):
  form_s       lab up until every node is online in the cluster with a DC (Pacemaker waits its
               dc-deadtime first: that is part of its number)
  place_s      the push until all R resources run
  replicate_s  a cluster property set on n1 until every node's CIB has it
  idle         over --idle-seconds: CPU % (own, and the agents it ran) and RSS of the resource
               manager per node (vigild; Pacemaker's seven daemons summed) and of Corosync
  failover_s   the node running the most resources (not the DC) powered off, until every
               resource runs again on the others (fencing included); the node is powered on and
               rejoins before the next step
Prints a table per stack with the other stack's row beside it, and writes every number as JSON
(--json). Each lab is torn down at the end, whatever happens. Where this machine stops (memory,
CPU) the lab says so and the remaining sizes are skipped with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vigil.lab import pacemaker
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

HZ = os.sysconf("SC_CLK_TCK")
STACKS = ("vigil", "pacemaker")
MONITOR_S = 60
PLACE_TIMEOUT_S = 1800.0
POLL_S = 0.5
PUSHED = "var/lib/vigil/scale-resources.xml"  # below a node's disk; /PUSHED inside the node


@dataclass(frozen=True)
class Idle:
    manager_cpu_pct: float  # per node, median over the nodes
    manager_agents_cpu_pct: float
    manager_rss_mib: float
    corosync_cpu_pct: float
    corosync_rss_mib: float


@dataclass
class Point:
    stack: str
    nodes: int
    resources: int
    form_s: float | None = None
    place_s: float | None = None
    replicate_s: float | None = None
    failover_s: float | None = None
    idle: Idle | None = None
    note: str = ""


@dataclass
class Run:
    points: list[Point] = field(default_factory=list)


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# -- the two stacks, as the benchmark sees them ---------------------------------------------------
class Stack:
    name = ""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.nodes = lab.topology.node_names()

    def ready(self) -> bool:
        raise NotImplementedError

    def running(self, via: str) -> dict[str, str]:
        """resource -> node, for every resource running (as `via` sees the cluster)."""
        raise NotImplementedError

    def dc(self, via: str) -> str | None:
        raise NotImplementedError

    def push(self, xml: str) -> None:
        raise NotImplementedError

    def set_mark(self, value: str) -> None:
        raise NotImplementedError

    def has_mark(self, node: str, value: str) -> bool:
        raise NotImplementedError

    def fencing(self) -> None:
        raise NotImplementedError

    def manager_pids(self, node: str) -> list[int]:
        raise NotImplementedError


class VigilStack(Stack):
    name = "vigil"

    def _status(self, via: str) -> dict[str, object] | None:
        try:
            proc = self.lab.vigil(via, ["status", "--output", "json"], timeout=60)
        except subprocess.TimeoutExpired:  # a busy node: asked again at the next look
            return None
        if proc.returncode != 0:
            return None
        data: dict[str, object] = json.loads(proc.stdout)
        return data

    def ready(self) -> bool:
        st = self._status(self.nodes[0])
        if st is None or not st.get("dc"):
            return False
        nodes: list[dict[str, object]] = st.get("nodes", [])  # type: ignore[assignment]
        return {n["name"] for n in nodes if n.get("online")} == set(self.nodes)

    def dc(self, via: str) -> str | None:
        st = self._status(via)
        return str(st["dc"]) if st and st.get("dc") else None

    def running(self, via: str) -> dict[str, str]:
        st = self._status(via) or {}
        found: list[dict[str, object]] = st.get("resources", [])  # type: ignore[assignment]
        out = {}
        for r in found:
            where = r.get("nodes")
            if isinstance(where, list) and len(where) == 1 and not r.get("failed"):
                out[str(r["id"])] = str(where[0])
        return out

    def push(self, xml: str) -> None:
        proc = self.lab.vigil(self.nodes[0], ["cib"], timeout=120)
        if proc.returncode != 0:
            raise LabError(f"vigil cib: {proc.stderr.strip()}")
        root = ET.fromstring(proc.stdout)
        config = root.find("configuration")
        assert config is not None
        old = config.find("resources")
        new = ET.fromstring(xml)
        if old is not None:
            # the fence device stays
            for prim in old:
                if prim.get("class") == "stonith":
                    new.insert(0, prim)
            config.remove(old)
        config.insert(1, new)
        path = self.lab.node_dir(self.nodes[0]) / PUSHED
        path.write_text(ET.tostring(root, encoding="unicode"))
        done = self.lab.vigil(self.nodes[0], ["cib-push", f"/{PUSHED}", "--config"], timeout=300)
        if done.returncode != 0:
            raise LabError(f"vigil cib-push: {(done.stderr or done.stdout).strip()}")

    def set_mark(self, value: str) -> None:
        done = self.lab.vigil(self.nodes[0], ["property", "set", f"scale-mark={value}",
                                              "--force"], timeout=60)
        if done.returncode != 0:
            raise LabError(f"vigil property set: {(done.stderr or done.stdout).strip()}")

    def has_mark(self, node: str, value: str) -> bool:
        proc = self.lab.vigil(node, ["cib", "crm_config"], timeout=60)
        return proc.returncode == 0 and f'value="{value}"' in proc.stdout

    def fencing(self) -> None:
        self.lab.configure_fencing(self.nodes[0])

    def manager_pids(self, node: str) -> list[int]:
        return [p for p in self.lab.pids(node) if b"vigil.daemon" in _argv(p)]


class PacemakerStack(Stack):
    name = "pacemaker"

    def ready(self) -> bool:
        try:
            v = pacemaker.view(self.lab, self.nodes[0], timeout=60)
        except LabError:
            return False
        return v.dc is not None and v.online == set(self.nodes)

    def dc(self, via: str) -> str | None:
        return pacemaker.view(self.lab, via, timeout=60).dc

    def running(self, via: str) -> dict[str, str]:
        v = pacemaker.view(self.lab, via, timeout=120)
        return {i.resource: i.node for i in v.instances
                if i.node and i.role == "Started" and not i.failed}

    def push(self, xml: str) -> None:
        path = self.lab.node_dir(self.nodes[0]) / PUSHED
        current = self.lab.exec(self.nodes[0], ["cibadmin", "-Q", "--scope", "resources"],
                                timeout=120)
        new = ET.fromstring(xml)
        if current.returncode == 0:
            for prim in ET.fromstring(current.stdout):
                if prim.get("class") == "stonith":
                    new.insert(0, prim)
        path.write_text(ET.tostring(new, encoding="unicode"))
        done = self.lab.exec(self.nodes[0], ["cibadmin", "--replace", "--scope", "resources",
                                             "--xml-file", f"/{PUSHED}"], timeout=300)
        if done.returncode != 0:
            raise LabError(f"cibadmin --replace: {(done.stderr or done.stdout).strip()}")

    def set_mark(self, value: str) -> None:
        done = self.lab.exec(self.nodes[0], ["crm_attribute", "--type", "crm_config", "--name",
                                             "scale-mark", "--update", value], timeout=60)
        if done.returncode != 0:
            raise LabError(f"crm_attribute: {(done.stderr or done.stdout).strip()}")

    def has_mark(self, node: str, value: str) -> bool:
        proc = self.lab.exec(node, ["cibadmin", "-Q", "-l", "--scope", "crm_config"],
                             timeout=60)
        return proc.returncode == 0 and f'value="{value}"' in proc.stdout

    def fencing(self) -> None:
        from vigil.lab import power
        from vigil.lab.lab import FENCE_AGENT
        hosts = " ".join(self.nodes)
        pacemaker.apply(self.lab, self.nodes[0], [
            ["stonith", "create", "fence-lab", FENCE_AGENT, f"pcmk_host_list={hosts}",
             f"socket={power.socket_path(self.lab.name)}", "op", "monitor", "interval=60s"],
            ["property", "set", "stonith-enabled=true"]])

    def manager_pids(self, node: str) -> list[int]:
        return [p for p in self.lab.pids(node) if _comm(p).startswith("pacemaker")]


def _argv(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


# -- the measurements ------------------------------------------------------------------------------
def resources_xml(count: int) -> str:
    prims = "".join(
        f'<primitive id="s{i}" class="ocf" provider="pacemaker" type="Dummy"><operations>'
        f'<op id="s{i}-monitor-{MONITOR_S}s" name="monitor" interval="{MONITOR_S}s"/>'
        f'</operations></primitive>' for i in range(1, count + 1))
    return f"<resources>{prims}</resources>"


def wait(what: str, ok: Callable[[], bool], timeout: float) -> float:
    t0 = time.monotonic()
    while not ok():
        if time.monotonic() - t0 > timeout:
            raise LabError(f"{what}: not within {timeout:g} s")
        time.sleep(POLL_S)
    return time.monotonic() - t0


def _all_running(stack: Stack, count: int, via: str, away_from: str | None = None) -> bool:
    try:
        where = stack.running(via)
    except LabError:
        return False
    placed = [r for r in where if r.startswith("s") and r[1:].isdigit()]
    return len(placed) == count and (away_from is None or all(
        where[r] != away_from for r in placed))


def _placed(stack: Stack, count: int) -> Callable[[], bool]:
    return lambda: _all_running(stack, count, stack.nodes[0])


def ticks(pid: int) -> tuple[int, int]:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def idle(stack: Stack, seconds: float) -> Idle:
    groups = {n: (stack.manager_pids(n), [p for p in stack.lab.pids(n)
                                          if _comm(p) == "corosync"]) for n in stack.nodes}
    before = {p: ticks(p) for m, c in groups.values() for p in (*m, *c)}
    t0 = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    after = {p: ticks(p) for p in before}

    def pct(pids: Sequence[int], k: int) -> float:
        return 100 * sum(after[p][k] - before[p][k] for p in pids) / HZ / wall

    def median(values: list[float]) -> float:
        values = sorted(values)
        return round(values[len(values) // 2], 2) if values else 0.0

    return Idle(median([pct(m, 0) for m, _ in groups.values()]),
                median([pct(m, 1) for m, _ in groups.values()]),
                median([sum(rss_mib(p) for p in m) for m, _ in groups.values()]),
                median([pct(c, 0) for _, c in groups.values()]),
                median([sum(rss_mib(p) for p in c) for _, c in groups.values()]))


# Each node's watcher: started before the change, it reads its replica in a loop (no tool
# started per look) and prints the monotonic time (one clock for every namespace) it first
# holds the mark. vigil's reads vigild's CIB over the control socket (every 50 ms: each read is
# the whole CIB, a load on vigild when 16 watchers read it), Pacemaker's runs cibadmin.
# Each watcher asks for the one cluster option, as Pacemaker's asks cibadmin for crm_config
# alone (a whole CIB with 500 resources' histories every 50 ms from 8 watchers was load on the
# very daemons being timed, before 2026-12-08)
_VIGIL_WATCH = """
import sys, time
from vigil.attrs.common import ToolError, answer
from vigil.daemon import control as c
want, query = sys.argv[1], c.QueryAttribute(c.AttributeScope.CRM_CONFIG, "scale-mark")
def seen():
    try:
        return any(v.value == want for v in answer("scale-watch", query).values)
    except ToolError:
        return False  # not set yet
print("ready", flush=True)
while not seen():
    time.sleep(0.05)
print(time.monotonic(), flush=True)
"""
_PCMK_WATCH = ('echo ready; until cibadmin -Q --scope crm_config 2>/dev/null | grep -q '
               '"value=\\"$0\\""; do sleep 0.05; done; '
               'python3 -c "import time; print(time.monotonic())"')


def replicate(stack: Stack, mark: str) -> float:
    """From the operator's command (vigil property set, crm_attribute) until every replica
    holds the change."""
    argv = ([sys.executable, "-c", _VIGIL_WATCH, mark] if stack.name == "vigil"
            else ["sh", "-c", _PCMK_WATCH, mark])
    with ThreadPoolExecutor(max_workers=len(stack.nodes)) as pool:
        watching = [pool.submit(stack.lab.exec, n, argv, timeout=180) for n in stack.nodes]
        time.sleep(3.0)  # the watchers started and read once (Python's start included)
        t0 = time.monotonic()
        stack.set_mark(mark)
        seen = []
        for n, f in zip(stack.nodes, watching, strict=True):
            out = f.result().stdout.split()
            if len(out) < 2:
                raise LabError(f"the property did not reach {n}")
            seen.append(float(out[-1]))
    return max(seen) - t0


def failover(stack: Stack, count: int) -> float:
    via = stack.nodes[0]
    dc = stack.dc(via)
    where = stack.running(via)
    load = {n: sum(1 for node in where.values() if node == n) for n in stack.nodes
            if n not in (dc, via)}
    victim = max(load, key=lambda n: load[n])
    log(f"  failover: power off {victim} ({load[victim]} resources), DC {dc}")
    t0 = time.monotonic()
    stack.lab.power_off(victim)
    wait("every resource running on the others",
         lambda: _all_running(stack, count, via, away_from=victim), PLACE_TIMEOUT_S)
    took = time.monotonic() - t0
    stack.lab.power_on(victim)
    wait(f"{victim} back", stack.ready, 600)
    return took


def measure_stack(kind: str, nodes: int, sizes: Sequence[int], token_ms: int | None,
                  idle_s: float, name: str) -> list[Point]:
    points = [Point(kind, nodes, r) for r in sizes]
    t0 = time.monotonic()
    lab = (pacemaker.up(name=name, token_ms=token_ms, nodes=nodes) if kind == "pacemaker"
           else Lab.up(nodes=nodes, token_ms=token_ms, name=name, timeout=300))
    try:
        stack: Stack = PacemakerStack(lab) if kind == "pacemaker" else VigilStack(lab)
        formed = time.monotonic() - t0 + wait("every node online with a DC", stack.ready, 600)
        stack.fencing()
        for p in points:
            p.form_s = round(formed, 2)
            log(f"{kind} {nodes} nodes: {p.resources} resources")
            t_push = time.monotonic()
            stack.push(resources_xml(p.resources))
            wait(f"{p.resources} resources running",
                 _placed(stack, p.resources), PLACE_TIMEOUT_S)
            p.place_s = round(time.monotonic() - t_push, 2)
            # each number said as soon as it is measured: a run stopped early keeps them
            log(f"  form_s {p.form_s}, place_s {p.place_s}")
            p.replicate_s = round(replicate(stack, f"m{p.resources}"), 2)
            log(f"  replicate_s {p.replicate_s}")
            p.idle = idle(stack, idle_s)
            log(f"  idle {asdict(p.idle)}")
            p.failover_s = round(failover(stack, p.resources), 2)
            log(f"  {asdict(p)}")
    except LabError as exc:
        for p in points:
            if p.failover_s is None:
                p.note = f"stopped: {exc}"
        log(f"{kind} {nodes} nodes: {exc}")
    finally:
        lab.down(graceful=False, purge=True)
    return points


def table(points: Sequence[Point]) -> str:
    lines = ["| nodes | resources | stack | form s | place s | replicate s | failover s | "
             "manager CPU % (agents) | manager RSS MiB | Corosync CPU % | Corosync RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:g}"

    for p in sorted(points, key=lambda p: (p.nodes, p.resources, p.stack)):
        i = p.idle
        lines.append(
            f"| {p.nodes} | {p.resources} | {p.stack} | {f(p.form_s)} | {f(p.place_s)} | "
            f"{f(p.replicate_s)} | {f(p.failover_s)} | "
            + (f"{i.manager_cpu_pct:g} ({i.manager_agents_cpu_pct:g}) | {i.manager_rss_mib:g} "
               f"| {i.corosync_cpu_pct:g} | {i.corosync_rss_mib:g} |" if i else "- | - | - | - |")
            + (f" {p.note}" if p.note else ""))
    return "\n".join(lines)


def _ints(text: str) -> list[int]:
    try:
        return [int(x) for x in text.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError(f"a comma-separated list of numbers: {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=_ints, default=[8, 16, 32])
    ap.add_argument("--resources", type=_ints, default=[500, 2000])
    ap.add_argument("--stacks", default="vigil,pacemaker")
    ap.add_argument("--token", type=int, default=None, help="token ms (default: Corosync's)")
    ap.add_argument("--idle-seconds", type=float, default=30.0)
    ap.add_argument("--json", default=None, metavar="FILE")
    ap.add_argument("--name", default="scale")
    args = ap.parse_args(argv)
    stacks = [s for s in args.stacks.split(",") if s]
    unknown = [s for s in stacks if s not in STACKS]
    if unknown:
        ap.error(f"unknown stack {', '.join(unknown)} (vigil, pacemaker)")
    if os.geteuid() != 0:
        sys.stderr.write("bench/scale.py needs root (network namespaces)\n")
        return 1
    problem = pacemaker.requirements() if "pacemaker" in stacks else None
    if problem:
        sys.stderr.write(f"pacemaker: {problem}\n")
        return 1
    run = Run()
    for n in args.nodes:
        for kind in stacks:  # side by side: the same size for both before the next size
            run.points += measure_stack(kind, n, args.resources, args.token,
                                        args.idle_seconds, args.name)
            if args.json:
                Path(args.json).write_text(json.dumps([asdict(p) for p in run.points],
                                                      indent=1) + "\n")
    print(table(run.points))
    return 0


if __name__ == "__main__":
    sys.exit(main())
