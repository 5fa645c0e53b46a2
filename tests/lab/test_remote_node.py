"""Issue 14 in the lab: a remote node (Pacemaker Remote's role) runs resources for the cluster.

Three vigild nodes on Corosync; vigil-remoted in the lab's client namespace (10.213.0.50, no
Corosync there), with the key every member has in /etc/vigil/remote-authkey. `vigil cluster
node add-remote 10.213.0.50 r1` makes the connection resource; a member connects; a Dummy
placed on r1 runs there (its agent run by vigil-remoted). Then, each with a deadline: the
member holding the connection is powered off and the connection moves to another member
without stopping what runs on r1; the resource dies on r1 and its monitor (running on r1) says
so, so it is recovered there; it is banned from r1 and moves to a member, then comes back;
vigil-remoted stops: the loss is seen at once and, without fencing, the resource is not started
on a member (it may still run on r1), as Pacemaker decides.

Needs root and the lab's tools; skipped with the reason otherwise. vigil-remoted is started
and killed by its PID here; the lab is always torn down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import vigil
from vigil.lab import Lab
from vigil.lab.topology import CLIENT_ADDR

from .service_support import placement, requirements, status, three_vigil_nodes, wait
from .service_support import vigil as run

NODES = ("n1", "n2", "n3")
REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    yield from three_vigil_nodes(f"r{os.getpid()}")


@pytest.fixture
def remoted(lab: Lab, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    key = os.urandom(256)
    (tmp_path / "authkey").write_bytes(key)
    for node in NODES:
        (lab.node_dir(node) / "etc/vigil/remote-authkey").write_bytes(key)
    src = str(Path(vigil.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src}
    with open(tmp_path / "remoted.log", "wb") as log:
        proc = subprocess.Popen(lab.exec_argv("client", [
            sys.executable, "-m", "vigil.daemon.remoted", "--listen", CLIENT_ADDR,
            "--authkey", str(tmp_path / "authkey"), "--cert-dir", str(tmp_path / "cert")]),
            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        # what happened, for a failure's report (pytest shows it only then)
        print((tmp_path / "remoted.log").read_text(errors="replace")[-3000:])
        for node in NODES:
            events = lab.node_dir(node) / "var/log/vigil/events.jsonl"
            if events.exists():
                lines = [ln for ln in events.read_text().splitlines()
                         if '"r1"' in ln or '"d1"' in ln]
                print(node, *lines[-25:], sep="\n  ")


@pytest.fixture
def state() -> Iterator[Path]:
    """The Dummy's state file: in the host's /run, which the remote node (the client's network
    namespace) shares and each member has a private one of: where it runs, it exists."""
    path = Path(f"/run/vigil-test-{os.getpid()}-d1.state")
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def remote_online(lab: Lab, node: str) -> bool:
    return any(n["name"] == "r1" and n["online"] for n in status(lab, node)["nodes"])


def test_a_remote_node_runs_what_the_cluster_places_there(
        lab: Lab, remoted: subprocess.Popen[bytes], state: Path) -> None:
    run(lab, "n1", "property", "set", "stonith-enabled=false")
    run(lab, "n1", "cluster", "node", "add-remote", CLIENT_ADDR, "r1")
    wait("r1 is online", lambda: remote_online(lab, "n2"), timeout=60)
    run(lab, "n1", "resource", "create", "d1", "ocf:heartbeat:Dummy", f"state={state}",
        "op", "monitor", "interval=2s")
    run(lab, "n1", "constraint", "location", "d1", "prefers", "r1")
    wait("d1 runs on r1", lambda: placement(lab, "n3").get("d1") == ("r1",) and state.exists())
    started = state.stat().st_mtime_ns
    assert "r1" in run(lab, "n2", "status")  # the operator sees the remote node

    # the member holding the connection is lost: the connection moves, d1 is not restarted
    [host] = placement(lab, "n1")["r1"]
    lab.power_off(host)
    alive = [n for n in NODES if n != host]
    wait("the connection runs on another member", lambda: (
        placement(lab, alive[0]).get("r1", ("?",))[0] in alive
        and remote_online(lab, alive[0])), timeout=60)
    assert placement(lab, alive[0]).get("d1") == ("r1",)
    assert state.stat().st_mtime_ns == started  # still the first start: it never stopped

    # d1 dies on r1: its monitor runs there, says so, and the cluster recovers it there
    state.unlink()
    wait("d1 is recovered on r1", lambda: state.exists()
         and placement(lab, alive[0]).get("d1") == ("r1",), timeout=60)
    failures = run(lab, alive[1], "resource", "failcount", "show", "d1")
    assert "r1" in failures, failures

    # moved off r1 and back: the stop runs on r1 too (through the connection)
    run(lab, alive[0], "resource", "ban", "d1", "r1")
    wait("d1 runs on a member, stopped on r1", lambda: not state.exists()
         and placement(lab, alive[0]).get("d1", ("?",))[0] in alive, timeout=60)
    run(lab, alive[0], "resource", "clear", "d1")
    wait("d1 is back on r1", lambda: state.exists()
         and placement(lab, alive[0]).get("d1") == ("r1",), timeout=60)

    # vigil-remoted stops: the cluster learns it at once, and, with no fencing to prove d1
    # stopped there, never starts it on a member (as Pacemaker does): it may still run on r1
    remoted.send_signal(signal.SIGTERM)
    remoted.wait(10)
    wait("the connection's loss is seen", lambda: "RemoteOFFLINE: [ r1 ]" in run(
        lab, alive[1], "status") and not remote_online(lab, alive[1]), timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert placement(lab, alive[0]).get("d1", ("r1",))[0] not in alive
        time.sleep(1)
