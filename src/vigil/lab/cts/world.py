"""The lab as CTS's scenarios and audits see it: the vigil CLI inside the nodes, each node's
cluster stack stopped and started the way an operator does it (`vigil cluster stop|start` on
the node), the agents' own state files (the world as it is, not as vigil reports it), vigild's
logs, and the settled snapshot the audits read.

The CTS resources (runner.create_resources) use Pacemaker's test agents: ocf:pacemaker:Dummy
keeps its state in $HA_VARRUN/Dummy-<resource>.state and ocf:pacemaker:Stateful its role in
$HA_VARRUN/Stateful-<resource>.state (the clone suffix cut), in each node's private /run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigil.cib.io import load_cib_file
from vigil.lab.cts.audits import Snapshot, audit
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab
from vigil.model.reports import ReportError
from vigil.scheduler.engine import schedule

RUN_DIR = "/run"
_DUMMY_STATE = re.compile(r"^Dummy-(.+)\.state$")
DAEMON_LOG = "var/log/vigil/daemon.stdio"  # below the node's disk (vigil.lab.nodeinit)
STACK_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Layout:
    """The CTS resources the audits know: which may run on one node at most, the promotable
    clone's resource (its agent's role file) and promoted-max."""

    single: frozenset[str]
    promotable: str  # the primitive of the promotable clone (Stateful)
    promotable_clone: str
    promoted_max: int = 1


class World:
    def __init__(self, lab: Lab, layout: Layout) -> None:
        self.lab = lab
        self.layout = layout
        self.nodes = tuple(lab.topology.node_names())

    # -- the cluster stack of a node ------------------------------------------------------------
    def vigil(self, node: str, args: Sequence[str], timeout: float = 60.0
              ) -> subprocess.CompletedProcess[str]:
        return self.exec(node, [sys.executable, "-m", "vigil.cli.main", *args], timeout)

    def exec(self, node: str, argv: Sequence[str], timeout: float
             ) -> subprocess.CompletedProcess[str]:
        """`argv` in the node; a command that does not finish in time is an answer (exit 124,
        its words on stderr), not the run's end: a busy node is what some scenarios make, and
        the audits say what it left undone."""
        try:
            return self.lab.exec(node, list(argv), timeout=timeout)
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(list(argv), 124, "",
                                               f"{argv[0]} did not finish within {timeout:g} s")

    def vigil_ok(self, node: str, args: Sequence[str], timeout: float = 60.0) -> str:
        proc = self.vigil(node, args, timeout=timeout)
        if proc.returncode != 0:
            why = (proc.stderr or proc.stdout).strip().splitlines()
            raise LabError(f"vigil {' '.join(args)} on {node}: "
                           f"{why[-1] if why else f'exit {proc.returncode}'}")
        return str(proc.stdout)

    def powered(self, node: str) -> bool:
        return self.lab.node_status(node).power == "on"

    def stack_up(self, node: str) -> bool:
        """Its vigild runs (its init says so)."""
        st = self.lab.node_status(node)
        return st.power == "on" and st.daemon == "running"

    def up_nodes(self) -> list[str]:
        return [n for n in self.nodes if self.stack_up(n)]

    def stop_stack(self, node: str) -> str:
        """`vigil cluster stop` on the node: its resources move away first, then vigild and
        Corosync stop; the node stays powered. A stop that would cost the others their quorum
        is refused without --force; CTS means it (StopOnebyOne stops them all), so it is asked
        again with --force, and the return value says so ("" otherwise)."""
        args = ["cluster", "stop", "--wait=120"]
        proc = self.vigil(node, args, timeout=STACK_TIMEOUT_S)
        if proc.returncode != 0 and "for quorum" in proc.stderr:
            self.vigil_ok(node, [*args, "--force"], timeout=STACK_TIMEOUT_S)
            return " (--force: the others lose quorum)"
        if proc.returncode != 0:
            why = (proc.stderr or proc.stdout).strip().splitlines()
            raise LabError(f"vigil {' '.join(args)} on {node}: "
                           f"{why[-1] if why else f'exit {proc.returncode}'}")
        return ""

    def start_stack(self, node: str, *, wait: bool = True) -> None:
        args = ["cluster", "start"] + (["--wait=120"] if wait else [])
        self.vigil_ok(node, args, timeout=STACK_TIMEOUT_S)

    def power_up(self, node: str) -> None:
        """Power on a node a fence left off (its init starts its stack)."""
        if not self.powered(node):
            self.lab.power_on(node)

    # -- what the audits read -------------------------------------------------------------------
    def log_offsets(self) -> dict[str, int]:
        return {n: self._log_path(n).stat().st_size if self._log_path(n).exists() else 0
                for n in self.nodes}

    def _log_path(self, node: str) -> Path:
        return self.lab.node_dir(node) / DAEMON_LOG

    def new_log_lines(self, offsets: dict[str, int]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        out = []
        for n in self.nodes:
            path = self._log_path(n)
            try:
                with path.open("rb") as f:
                    size = path.stat().st_size
                    # a log that shrank was started again (a new disk): read it whole
                    f.seek(offsets.get(n, 0) if size >= offsets.get(n, 0) else 0)
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            out.append((n, tuple(text.splitlines())))
        return tuple(out)

    def status(self, node: str) -> dict[str, Any] | None:
        proc = self.vigil(node, ["status", "--output", "json"], timeout=30)
        if proc.returncode != 0:
            return None
        try:
            data = json.loads(proc.stdout)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def cib(self, node: str) -> str | None:
        proc = self.vigil(node, ["cib"], timeout=30)
        return proc.stdout if proc.returncode == 0 and "<cib" in proc.stdout else None

    @staticmethod
    def _joined(up: Sequence[str], statuses: dict[str, dict[str, Any] | None]) -> bool:
        """Each of `up` sees every one of them online (a vigild that just started may not have
        the others' state yet: its status would show nothing running)."""
        for n in up:
            status = statuses.get(n)
            if status is None:
                return False
            online = {str(x.get("name")) for x in status.get("nodes", [])
                      if x.get("online") and not x.get("pending")}
            if not set(up) <= online:
                return False
        return True

    def vigild_pid(self, node: str) -> int | None:
        """The PID (in the node) of its vigild, as its pid file records it (`vigil cluster
        start`, or the node's init, writes it), if that process is vigild."""
        proc = self.exec(node, ["sh", "-c", "pid=$(head -n 1 /run/vigil/vigild.pid) && "
                                    "tr '\\0' ' ' < /proc/$pid/cmdline && echo && echo $pid"],
                             timeout=15)
        lines = proc.stdout.splitlines()
        if proc.returncode != 0 or len(lines) < 2 or "vigil.daemon" not in lines[0]:
            return None
        return int(lines[1]) if lines[1].strip().isdigit() else None

    def vigild_memory(self, node: str) -> tuple[int, int] | None:
        """(PID in the node, resident KiB) of its vigild, None when none runs."""
        proc = self.exec(node, ["sh", "-c", "pid=$(head -n 1 /run/vigil/vigild.pid) && "
                                    "tr '\\0' ' ' < /proc/$pid/cmdline && echo && echo $pid && "
                                    "grep '^VmRSS:' /proc/$pid/status"], timeout=15)
        lines = proc.stdout.splitlines()
        if proc.returncode != 0 or len(lines) < 3 or "vigil.daemon" not in lines[0]:
            return None
        words = lines[2].split()
        if not lines[1].strip().isdigit() or len(words) < 2 or not words[1].isdigit():
            return None
        return int(lines[1]), int(words[1])

    def agent_state(self) -> tuple[dict[str, set[str]], set[str]]:
        """(resource -> nodes where its Dummy state file is, nodes where the promotable
        resource's Stateful role is Promoted), over the powered nodes."""
        dummies: dict[str, set[str]] = {}
        promoted: set[str] = set()
        role_file = f"Stateful-{self.layout.promotable}.state"
        for n in self.nodes:
            if not self.powered(n):
                continue
            try:
                proc = self.exec(n, ["sh", "-c", f"cd {RUN_DIR} && ls -1; "
                                     f"cat {role_file} 2>/dev/null || true"], timeout=15)
            except LabError:
                continue  # powered off meanwhile
            lines = proc.stdout.splitlines()
            for name in lines:
                m = _DUMMY_STATE.match(name.strip())
                if m:
                    dummies.setdefault(m.group(1), set()).add(n)
            if role_file in (ln.strip() for ln in lines) and lines and \
                    lines[-1].strip() == "Promoted":
                promoted.add(n)
        return dummies, promoted

    def _observe(self, offsets: dict[str, int]) -> tuple[Snapshot, bool]:
        """The snapshot the audits read, and whether every running node sees the others
        online (each node's status asked once for both)."""
        up = self.up_nodes()
        copies = tuple((n, xml) for n in up if (xml := self.cib(n)) is not None)
        statuses = {n: self.status(n) for n in up}
        status = next((s for s in statuses.values() if s is not None), None)
        said: dict[str, frozenset[str]] = {}
        promoted_said: frozenset[str] = frozenset()
        if status is not None:
            for r in status.get("resources", []):
                rid = str(r.get("id"))
                if r.get("kind") == "clone" and rid == self.layout.promotable_clone:
                    promoted_said = frozenset(
                        str(i["node"]) for i in r.get("instances", [])
                        if i.get("role") == "Promoted" and i.get("node"))
                if r.get("agent") in ("ocf:pacemaker:Dummy",) and r.get("nodes"):
                    # a clone's instances share the primitive's state file name
                    name = rid.split(":")[0]
                    said[name] = said.get(name, frozenset()) | frozenset(map(str, r["nodes"]))
        dummies, promoted = self.agent_state()
        snapshot = Snapshot(
            up_nodes=tuple(up), cib_copies=copies, planned=self._planned(copies[0][1]) if copies else (),
            status_nodes=tuple(sorted(said.items())),
            agent_nodes=tuple(sorted((k, frozenset(v)) for k, v in dummies.items())),
            single=self.layout.single, promoted_status=promoted_said,
            promoted_agent=frozenset(promoted), promoted_max=self.layout.promoted_max,
            new_log_lines=self.new_log_lines(offsets))
        return snapshot, self._joined(up, statuses)

    @staticmethod
    def _planned(xml: str) -> tuple[str, ...]:
        """The scheduler's summary lines and probes on this CIB, now."""
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
            f.write(xml)
            path = f.name
        try:
            t = schedule(load_cib_file(path)[0], int(time.time()))
        except ReportError as exc:
            return (f"(the CIB could not be scheduled: {exc})",)
        finally:
            Path(path).unlink(missing_ok=True)
        # (a blocked line is what the cluster cannot do, not work left to do)
        lines = [f"{s.verb} {s.resource} {s.details}".strip() for s in t.summary if not s.blocked]
        lines += [f"probe on {p.node}: {', '.join(o.resource for o in p.operations)}"
                  for p in t.probes]
        return tuple(lines)

    def wait_settled(self, offsets: dict[str, int], timeout: float) -> tuple[Snapshot, float]:
        """The first snapshot in which the cluster has settled, and the seconds it took: every
        running node sees the others online, and the audits of the cluster's state (all but
        the logs') find nothing: the replicas hold one CIB, the scheduler plans nothing more,
        the agents' state is what the status says. A cluster just started may show nothing
        running before it has probed: it settles once it has. The last snapshot when `timeout`
        passes first (the audits then say what was left)."""
        t0 = time.monotonic()
        while True:
            snap, joined = self._observe(offsets)
            state_findings = [f for f in audit(snap) if f.audit != "logs"]
            if not state_findings and (not snap.up_nodes or joined):
                return snap, time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                return snap, time.monotonic() - t0
            time.sleep(1.0)
