"""What each CTS scenario does to the lab (catalog says what it is for). A scenario acts through
the operator's commands and the lab's faults, checks what only it can check (a resource not
recovered in maintenance, resources still running after the stack stopped under them), and
returns its steps and those findings; the runner then waits for the cluster to settle and runs
the common audits.

The nodes' state carries from one scenario to the next, as in CTS: Flip may leave a node
stopped, SimulStop leaves every node stopped; a scenario that needs nodes up starts them first
(`all_up`), with every step written down.
"""

from __future__ import annotations

import random
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from vigil.lab.cts.audits import Finding
from vigil.lab.cts.world import RUN_DIR, World
from vigil.lab.errors import LabError

RECOVER_TIMEOUT_S = 90.0
MONITOR_WAIT_S = 12.0  # more than two monitor intervals of the CTS resources (5 s)
FENCE_TIMEOUT_S = 120.0


@dataclass
class Outcome:
    """What a scenario did and found (filled as it goes; the runner reads it)."""

    steps: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # log lines the scenario explains (a vigild killed on purpose logs nothing, but its
    # peers may log the lost connection as an error)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def step(self, text: str) -> None:
        self.steps.append(text)

    def find(self, subject: str, detail: str) -> None:
        self.findings.append(Finding("scenario", subject, detail))


Scenario = Callable[[World, random.Random, Outcome], None]


def _each(nodes: Sequence[str], action: Callable[[str], None]) -> None:
    """`action` on every node at once; the first failure raised after all ended."""
    if not nodes:
        return
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        for f in [pool.submit(action, n) for n in nodes]:
            f.result()


def all_up(w: World, o: Outcome) -> None:
    """Every node powered and its stack running (what a scenario starts from when it needs the
    whole cluster)."""
    for n in w.nodes:
        if not w.powered(n):
            o.step(f"power on {n}")
            w.power_up(n)
    down = [n for n in w.nodes if not w.stack_up(n)]
    if down:
        o.step(f"start {', '.join(down)} (to begin with the whole cluster)")
        _each(down, w.start_stack)
        w.lab.wait_members(list(w.nodes), timeout=RECOVER_TIMEOUT_S)


def _stop(w: World, o: Outcome, nodes: Sequence[str], how: str = "") -> None:
    if nodes:
        o.step(f"stop {', '.join(nodes)}{how}")
        notes: dict[str, str] = {}
        _each(nodes, lambda n: notes.__setitem__(n, w.stop_stack(n)))
        for n, note in sorted(notes.items()):
            if note:
                o.step(f"  {n}{note}")


def _start(w: World, o: Outcome, nodes: Sequence[str], how: str = "") -> None:
    if nodes:
        o.step(f"start {', '.join(nodes)}{how}")
        _each(nodes, w.start_stack)


def flip(w: World, rng: random.Random, o: Outcome) -> None:
    n = rng.choice(w.nodes)
    if w.stack_up(n):
        _stop(w, o, [n])
    else:
        w.power_up(n)
        _start(w, o, [n])


def restart(w: World, rng: random.Random, o: Outcome) -> None:
    up = w.up_nodes()
    if not up:
        all_up(w, o)
        up = list(w.nodes)
    n = rng.choice(up)
    _stop(w, o, [n])
    _start(w, o, [n])


def start_one_by_one(w: World, rng: random.Random, o: Outcome) -> None:
    _stop(w, o, w.up_nodes(), " (all of them)")
    for n in w.nodes:
        w.power_up(n)
        _start(w, o, [n])


def simul_start(w: World, rng: random.Random, o: Outcome) -> None:
    _stop(w, o, w.up_nodes(), " (all of them)")
    for n in w.nodes:
        w.power_up(n)
    _start(w, o, list(w.nodes), " at once")
    w.lab.wait_members(list(w.nodes), timeout=RECOVER_TIMEOUT_S)


def simul_stop(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    _stop(w, o, list(w.nodes), " at once")


def stop_one_by_one(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    for n in w.nodes:
        _stop(w, o, [n])


def restart_one_by_one(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    for n in w.nodes:
        _stop(w, o, [n])
        _start(w, o, [n])


def partial_start(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    n = rng.choice(w.nodes)
    _stop(w, o, [n])
    o.step(f"start {n} and stop it before it has joined")
    w.start_stack(n, wait=False)
    w.stop_stack(n)
    _start(w, o, [n], " again")


def standby(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    n = rng.choice(w.nodes)
    o.step(f"node standby {n}")
    w.vigil_ok(n, ["node", "standby", n])
    deadline = time.monotonic() + RECOVER_TIMEOUT_S
    while True:
        dummies, promoted = w.agent_state()
        left = sorted(r for r, nodes in dummies.items() if n in nodes) + (
            ["the promoted instance"] if n in promoted else [])
        if not left or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    if left:
        o.find(n, f"in standby for {RECOVER_TIMEOUT_S:.0f} s and still running "
               f"{', '.join(left)}")
    o.step(f"node unstandby {n}")
    w.vigil_ok(n, ["node", "unstandby", n])


def _running_dummy(w: World, rng: random.Random, o: Outcome) -> tuple[str, str] | None:
    """A Dummy that runs on exactly one node, and that node."""
    dummies, _ = w.agent_state()
    single = sorted((r, next(iter(nodes))) for r, nodes in dummies.items()
                    if len(nodes) == 1 and r in w.layout.single)
    if not single:
        o.find("", "no resource runs on one node to fail")
        return None
    return rng.choice(single)


def _kill_dummy(w: World, o: Outcome, rsc: str, node: str) -> None:
    o.step(f"{rsc} dies on {node} (its state file removed)")
    w.lab.exec(node, ["rm", "-f", f"{RUN_DIR}/Dummy-{rsc}.state"], timeout=15)


def _active_on(w: World, rsc: str) -> set[str]:
    return w.agent_state()[0].get(rsc, set())


def maintenance_mode(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    picked = _running_dummy(w, rng, o)
    if picked is None:
        return
    rsc, node = picked
    o.step("property set maintenance-mode=true")
    w.vigil_ok(node, ["property", "set", "maintenance-mode=true"])
    _kill_dummy(w, o, rsc, node)
    time.sleep(MONITOR_WAIT_S)
    if _active_on(w, rsc):
        o.find(rsc, f"started again in maintenance mode (on {', '.join(sorted(_active_on(w, rsc)))})")
    o.step("property set maintenance-mode=false")
    w.vigil_ok(node, ["property", "set", "maintenance-mode=false"])
    _wait_running(w, o, rsc)
    _cleanup(w, o, rsc)


def _wait_running(w: World, o: Outcome, rsc: str) -> None:
    deadline = time.monotonic() + RECOVER_TIMEOUT_S
    while not _active_on(w, rsc):
        if time.monotonic() > deadline:
            o.find(rsc, f"not running again {RECOVER_TIMEOUT_S:.0f} s later")
            return
        time.sleep(1.0)
    o.step(f"{rsc} runs again on {', '.join(sorted(_active_on(w, rsc)))}")


def _cleanup(w: World, o: Outcome, rsc: str) -> None:
    via = next(iter(w.up_nodes()), None)
    if via is not None:
        o.step(f"resource cleanup {rsc}")
        w.vigil_ok(via, ["resource", "cleanup", rsc])


def _fail_count(w: World, rsc: str) -> int:
    for n in w.up_nodes():
        status = w.status(n)
        if status is None:
            continue
        for r in status.get("resources", []):
            if r.get("id") == rsc:
                return sum(int(v) for v in (r.get("fail_counts") or {}).values()
                           if str(v).lstrip("-").isdigit())
        return 0
    return 0


def resource_recover(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    picked = _running_dummy(w, rng, o)
    if picked is None:
        return
    rsc, node = picked
    before = _fail_count(w, rsc)
    _kill_dummy(w, o, rsc, node)
    _wait_running(w, o, rsc)
    deadline = time.monotonic() + 30.0
    while _fail_count(w, rsc) <= before and time.monotonic() < deadline:
        time.sleep(1.0)
    after = _fail_count(w, rsc)
    if after <= before:
        o.find(rsc, f"recovered, but its fail count stayed {after}")
    else:
        o.step(f"{rsc}'s fail count {before} -> {after}")
    _cleanup(w, o, rsc)


def component_fail(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    n = rng.choice(w.nodes)
    pid = w.vigild_pid(n)
    if pid is None:
        o.find(n, "no vigild PID recorded in /run/vigil/vigild.pid to kill")
        return
    boot = _boot(w, n)
    o.step(f"SIGKILL to vigild on {n} (PID {pid} in the node)")
    w.lab.exec(n, ["kill", "-KILL", str(pid)], timeout=15)
    # what may follow: the node's supervisor starts vigild again (the lab's init does for the
    # vigild it started, systemd's unit for a real node), or the others fence the node whose
    # resources no vigild answers for; the peers may log the lost process as an error
    o.allowed.append(re.compile(rf"\b{re.escape(n)}\b"))
    deadline = time.monotonic() + RECOVER_TIMEOUT_S
    while time.monotonic() < deadline:
        if _boot(w, n) != boot:
            o.step(f"{n} was fenced")
            break
        again = w.vigild_pid(n)
        if again is not None and again != pid:
            o.step(f"vigild runs again on {n} (PID {again})")
            break
        time.sleep(0.5)
    else:
        o.find(n, f"neither restarted nor fenced {RECOVER_TIMEOUT_S:.0f} s after its vigild "
               "was killed")
        return
    all_up(w, o)


def split_brain(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    nodes = list(w.nodes)
    rng.shuffle(nodes)
    minority = sorted(nodes[: (len(nodes) - 1) // 2 or 1])
    majority = sorted(set(nodes) - set(minority))
    o.step(f"split the network: {', '.join(minority)} | {', '.join(majority)}")
    w.lab.partition([minority, majority])
    boots = {n: _boot(w, n) for n in minority}
    try:
        # the side with quorum fences the other (fence_vigil_lab: a reboot through the lab's
        # power switch, which reaches every node whatever the network)
        if _wait_fenced(w, boots, FENCE_TIMEOUT_S):
            o.step(f"{', '.join(minority)} fenced by {', '.join(majority)}")
        else:
            o.find(", ".join(minority), f"not fenced {FENCE_TIMEOUT_S:.0f} s after the split")
    finally:
        o.step("heal the network")
        w.lab.heal()
    for n in minority:
        w.power_up(n)
    w.lab.wait_members(list(w.nodes), timeout=RECOVER_TIMEOUT_S)


def _boot(w: World, node: str) -> object:
    """When the node's init started (changes at every power cycle), None when it is off."""
    return (w.lab.init_status(node) or {}).get("boot")


def _wait_fenced(w: World, boots: dict[str, object], timeout: float) -> bool:
    """Every node of `boots` powered off or booted again since, within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(_boot(w, n) != before for n, before in boots.items()):
            return True
        time.sleep(0.5)
    return False


def reattach(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    via = w.nodes[0]
    o.step("resource defaults update is-managed=false")
    w.vigil_ok(via, ["resource", "defaults", "update", "is-managed=false"])
    before, promoted = w.agent_state()
    try:
        _stop(w, o, list(w.nodes), " (all, the resources unmanaged)")
        during, promoted_during = w.agent_state()
        if during != before or promoted_during != promoted:
            o.find("", f"the resources changed while no stack ran: {_where(before)} before, "
                   f"{_where(during)} after the stop")
        offsets = w.log_offsets()
        _start(w, o, list(w.nodes), " at once")
        w.lab.wait_members(list(w.nodes), timeout=RECOVER_TIMEOUT_S)
        w.wait_settled(offsets, RECOVER_TIMEOUT_S)
        after, promoted_after = w.agent_state()
        if after != before or promoted_after != promoted:
            o.find("", f"the resources were not found as they ran: {_where(before)} before, "
                   f"{_where(after)} after the stacks started")
    finally:
        o.step("resource defaults update is-managed=true")
        live = next(iter(w.up_nodes()), None)
        if live is not None:
            w.vigil_ok(live, ["resource", "defaults", "update", "is-managed=true"])


def _where(state: dict[str, set[str]]) -> str:
    return "; ".join(f"{r} on {','.join(sorted(n))}" for r, n in sorted(state.items())) or "none"


def resync_cib(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    n = rng.choice(w.nodes)
    _stop(w, o, list(w.nodes), " (all of them)")
    o.step(f"remove {n}'s CIB (/var/lib/vigil/cib.xml)")
    (w.lab.node_dir(n) / "var/lib/vigil/cib.xml").unlink(missing_ok=True)
    others = [x for x in w.nodes if x != n]
    _start(w, o, others, " at once")
    _start(w, o, [n])


def near_quorum_point(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    nodes = list(w.nodes)
    rng.shuffle(nodes)
    k = len(nodes) // 2 + rng.randint(0, 1)  # just below or at the quorum point
    stopping = sorted(nodes[:k])
    _stop(w, o, stopping, " at once")
    _start(w, o, stopping, " at once")


def stonithd(w: World, rng: random.Random, o: Outcome) -> None:
    all_up(w, o)
    n = rng.choice(w.nodes)
    via = next(x for x in w.nodes if x != n)
    o.step(f"stonith fence {n} (reboot), asked on {via}")
    boot = _boot(w, n)
    w.vigil_ok(via, ["stonith", "fence", n], timeout=FENCE_TIMEOUT_S)
    if not _wait_fenced(w, {n: boot}, FENCE_TIMEOUT_S):
        o.find(n, "`stonith fence` returned but the node was not power cycled")
        return
    deadline = time.monotonic() + FENCE_TIMEOUT_S
    while not w.stack_up(n):
        if time.monotonic() > deadline:
            o.find(n, f"not back {FENCE_TIMEOUT_S:.0f} s after its reboot")
            return
        w.power_up(n)
        time.sleep(1.0)
    w.lab.wait_members(list(w.nodes), timeout=RECOVER_TIMEOUT_S)
    o.step(f"{n} rebooted and joined")


SCENARIOS: dict[str, Scenario] = {
    "Flip": flip, "Restart": restart, "StartOnebyOne": start_one_by_one,
    "SimulStart": simul_start, "SimulStop": simul_stop, "StopOnebyOne": stop_one_by_one,
    "RestartOnebyOne": restart_one_by_one, "PartialStart": partial_start, "Standby": standby,
    "MaintenanceMode": maintenance_mode, "ResourceRecover": resource_recover,
    "ComponentFail": component_fail, "SplitBrain": split_brain, "Reattach": reattach,
    "ResyncCIB": resync_cib, "NearQuorumPoint": near_quorum_point, "Stonithd": stonithd,
}


def run_scenario(name: str, w: World, rng: random.Random) -> Outcome:
    """Run one scenario; a lab step that failed is a finding, not an exception."""
    o = Outcome()
    try:
        SCENARIOS[name](w, rng, o)
    except LabError as exc:
        o.find("", f"a step failed: {exc}")
    except subprocess.TimeoutExpired as exc:
        cmd = exc.cmd if isinstance(exc.cmd, str) else " ".join(map(str, exc.cmd))
        o.find("", f"a step did not finish within {exc.timeout:g} s: {cmd}")
    return o
