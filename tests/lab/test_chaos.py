"""A seeded chaos run in the lab: random faults against three vigild nodes with fencing.

Faults: hard kill (power off), reboot, partition, heal, link loss (one of the two knet links),
resource failure (the web process killed), a failed promoted instance (the promotable clone of
ocf:pacemaker:Stateful answers its monitor with rc 9). After every fault the invariants are sampled
for a while: never two powered-on nodes with the VIP or the web process, never two promoted
instances (promoted-max 1; read from the agent's own state file on each node), and a partition
without quorum never serves nor keeps a promoted instance. Every few faults the lab is made
healthy again (heal, links up, power on) and the time until the page answers and the clone is
settled again is the recovery time, which must stay under RECOVERY_BOUND_S.
The run prints every fault, the checks and the worst recovery time.

Needs root; skipped with the reason otherwise. Seed and length: VIGIL_CHAOS_SEED (default 7),
VIGIL_CHAOS_FAULTS (default 50).
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Iterator

import pytest

from vigil.lab import Lab
from vigil.lab.errors import LabError

from .service_support import (
    STATEFUL_STATE,
    agent_roles,
    configure_fencing,
    create_stateful,
    create_web_service,
    page_ok,
    promoted_holders,
    requirements,
    status,
    vip_holders,
    wait,
)

NODES = ("n1", "n2", "n3")
SEED = int(os.environ.get("VIGIL_CHAOS_SEED", "7"))
FAULTS = int(os.environ.get("VIGIL_CHAOS_FAULTS", "50"))
RECOVERY_BOUND_S = 60.0
SAMPLE_S = 3.0
REASON = requirements()
# In CI with the fixed seed. It found three recovery bugs before it could be (a DC waiting for
# Hellos its synced peers never resent; a node rebooted faster than the token timeout that its
# peers never saw leave, left alone in its own view; a new DC starting again a resource whose
# start was still running at the join). A node that was unclean while quorum was
# lost is fenced again as it boots once quorum returns (so does Pacemaker): restore() powers it
# on again, as an operator would.
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""), pytest.mark.slow]


@pytest.fixture
def lab() -> Iterator[Lab]:
    the_lab = Lab.up(nodes=3, token_ms=1000, name=f"c{os.getpid()}", timeout=60)
    try:
        yield the_lab
    finally:
        the_lab.down(purge=True)


def web_holders(lab: Lab) -> list[str]:
    out = []
    for n in lab.status().nodes:
        if n.power != "on":
            continue
        try:
            proc = lab.exec(n.name, ["pgrep", "-f", "http.server 80"], timeout=10)
        except LabError:
            continue
        if proc.returncode == 0:
            out.append(n.name)
    return out


def quorate_side(lab: Lab) -> set[str] | None:
    """The nodes of the partition that has quorum (None when nobody has it)."""
    for n in lab.status().nodes:
        if n.power == "on" and n.quorate and n.members:
            return set(n.members)
    return None


def check(lab: Lab, seconds: float, log: list[str]) -> int:
    samples = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        vip, web, promoted = vip_holders(lab), web_holders(lab), promoted_holders(lab)
        assert len(vip) <= 1, f"VIP held by {vip}"
        assert len(web) <= 1, f"web server running on {web}"
        assert len(promoted) <= 1, f"two promoted instances: {promoted}"
        samples += 1
    log.append(f"    checked {samples} samples: at most one VIP, one web server, one promoted")
    if lab.status().partition:
        # The side without quorum must give the service up (stop, or be fenced) within the
        # time Corosync needs to notice plus a stop: it never keeps serving.
        def minority_quiet() -> bool:
            side = quorate_side(lab)
            holders = vip_holders(lab) + web_holders(lab) + promoted_holders(lab)
            return all(side is not None and h in side for h in holders)

        wait("the side without quorum stops serving", minority_quiet, timeout=20)
        log.append("    checked: only the quorate side serves")
    return samples


def restore(lab: Lab) -> float:
    """Make the lab healthy; returns the seconds until it is (every node a member, the page
    answering, the promotable clone settled)."""
    t0 = time.monotonic()
    lab.heal()
    for n in lab.status().nodes:
        for k in n.links_cut:
            lab.link(n.name, k, "up")

    def power_on_all() -> list[str]:
        # The operator powers every node on, again if need be: a node that was unclean when
        # the cluster lost quorum is fenced (off) once quorum returns, even after it has
        # booted and joined (a fencing already requested is carried out, as in Pacemaker).
        nodes = lab.status().nodes
        for n in nodes:
            if n.power != "on":
                lab.power_on(n.name)
        return [n.name for n in nodes if n.power == "on" and n.members is not None
                and len(n.members) == 3]

    def healthy() -> bool:
        # all at once: a late fencing can take a node away after the others looked healthy
        return (len(power_on_all()) == 3 and page_ok(lab)
                and sorted(agent_roles(lab).values()) == ["Promoted", "Unpromoted", "Unpromoted"])

    wait("every node is back, the page answers, one instance is promoted and the others "
         "unpromoted", healthy, timeout=RECOVERY_BOUND_S)
    return time.monotonic() - t0


class Log(list[str]):
    """The run's story, printed as it happens (so a failure shows what led to it)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        super().__init__()
        self.capsys = capsys

    def append(self, line: str) -> None:
        super().append(line)
        with self.capsys.disabled():
            print(line, flush=True)


def diagnose(lab: Lab) -> str:
    out = []
    for n in lab.status().nodes:
        if n.power != "on":
            out.append(f"{n.name}: off")
            continue
        proc = lab.vigil(n.name, ["status"], timeout=30)
        events = lab.exec(n.name, ["tail", "-n", "15", "/var/log/vigil/events.jsonl"], timeout=10)
        net = lab.exec(n.name, ["sh", "-c", "ip -br addr; ss -ltn; pgrep -af http.server"],
                       timeout=10)
        out.append(f"--- {n.name}: vigil status\n{proc.stdout}{proc.stderr}\n--- events\n"
                   f"{events.stdout}--- network\n{net.stdout}")
    neigh = lab.exec("client", ["ip", "neigh"], timeout=10)
    out.append(f"--- client neighbours\n{neigh.stdout}")
    return "\n".join(out)


def test_seeded_chaos(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    rnd = random.Random(SEED)
    wait("vigild answers", lambda: all(status(lab, n)["dc"] is not None for n in NODES))
    configure_fencing(lab, "n1")
    # Fencing powers nodes off and the run powers them on (restore): with stonith-action=reboot
    # the power switch's own delayed boot would race the run's power management.
    lab.vigil("n1", ["property", "set", "stonith-action=off"])
    create_web_service(lab, "n1", group="web")
    create_stateful(lab, "n1")
    wait("the page answers", lambda: page_ok(lab))
    log = Log(capsys)
    log.append(f"chaos run: seed {SEED}, {FAULTS} faults")
    recoveries: list[float] = []
    kinds = ["kill", "reboot", "partition", "heal", "link", "resource", "promoted"]
    for i in range(1, FAULTS + 1):
        st = lab.status()
        on = [n.name for n in st.nodes if n.power == "on"]
        kind = rnd.choice(kinds)
        if kind in ("kill", "reboot") and len(on) <= 1:
            kind = "resource"
        failed_promoted = None
        if kind == "kill":
            node = rnd.choice(on)
            lab.power_off(node)
            what = f"hard kill {node}"
        elif kind == "reboot":
            node = rnd.choice(on)
            lab.power_off(node)
            lab.power_on(node)
            what = f"reboot {node}"
        elif kind == "partition":
            lone = rnd.choice(NODES)
            lab.partition([[n for n in NODES if n != lone], [lone]])
            what = f"partition {lone} away"
        elif kind == "heal":
            lab.heal()
            what = "heal"
        elif kind == "link":
            node = rnd.choice(on)
            lab.link(node, 0, "down")
            what = f"link 0 of {node} down"
        elif kind == "resource":
            holders = web_holders(lab)
            if holders:
                lab.exec(holders[0], ["pkill", "-f", "http.server 80"], timeout=10)
                what = f"web process killed on {holders[0]}"
            else:
                what = "web process kill (not running anywhere: nothing to kill)"
        elif kind == "promoted":
            holders = promoted_holders(lab)
            if holders:
                # Stateful's test hook: its monitor exits with the code written in <state>.rc
                failed_promoted = holders[0]
                lab.exec(failed_promoted, ["sh", "-c", f"echo 9 > {STATEFUL_STATE}.rc"], timeout=10)
                what = f"promoted instance failed (rc 9) on {failed_promoted}"
            else:
                what = "promoted instance failure (none promoted: nothing to fail)"
        log.append(f"fault {i:2d}: {what}")
        check(lab, SAMPLE_S, log)
        if failed_promoted is not None:
            # The agent recovers once its test hook is gone (else it fails every monitor); a
            # node powered off (fenced) in the meantime lost its /run, the hook with it.
            with contextlib.suppress(LabError):
                lab.exec(failed_promoted, ["rm", "-f", f"{STATEFUL_STATE}.rc"], timeout=10)
        if i % 3 == 0 or i == FAULTS:
            try:
                took = restore(lab)
            except AssertionError:
                log.append(diagnose(lab))
                raise
            recoveries.append(took)
            log.append(f"    healthy again {took:.1f} s after the lab was restored (nodes, page, clone)")
            assert took <= RECOVERY_BOUND_S
    log.append(f"worst recovery: {max(recoveries):.1f} s (bound {RECOVERY_BOUND_S:.0f} s), "
               f"median {sorted(recoveries)[len(recoveries) // 2]:.1f} s over "
               f"{len(recoveries)} restorations")
