"""The lab's power switch: a host daemon that powers lab nodes off and on for fence agents.

Fence agents run inside the nodes, which cannot see or signal each other's processes (one PID
namespace each), like real machines. They ask this daemon instead (fence_vigil_lab), over a
pathname unix socket at /var/lib/vigil-lab/<lab>/power.sock. That path, not /run: the nodes
mount a private tmpfs on /run, but see the host's /var/lib/vigil-lab (only their own state
directories are bind-mounted elsewhere), and pathname sockets, unlike abstract ones, work
across network namespaces.

Protocol: one JSON object per line each way.
    {"action": "off", "node": "n3"}     -> {"ok": true, "node": "n3", "power": "off", "was": "on"}
    {"action": "on", "node": "n3"}      -> {"ok": true, "node": "n3", "power": "on", "was": "off"}
    {"action": "reboot", "node": "n3"}  -> off now, on after the boot delay (the request's
                                           "boot_delay_s", else the switch's): "power": "off",
                                           "boot_in_s": 10.0
    {"action": "status", "node": "n3"}  -> {"ok": true, "node": "n3", "power": "on"}
    {"action": "list"}                  -> {"ok": true, "nodes": ["n1", ...], "power": {"n1": "on", ...}}
    anything wrong                      -> {"ok": false, "error": "..."}
`off` is `Lab.power_off` (switch ports down first, then SIGKILL of the node's init; the reply
comes once no process of the node is left), `on` is `Lab.power_on`.

A reboot answers after the power-off and boots the node later, as a real machine does (POST and
boot take a while): a node back within token + consensus would rejoin a membership that never
saw it leave. An off or on for the node cancels a pending boot.

`vigil lab up` starts it after the network (`start_switch`; `wait_switch` once the nodes are
booting), records its PID and start time in the lab's state, and `down` stops it
(`stop_switch`) before anything else.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigil.host import jsonlines
from vigil.lab import hostops, state
from vigil.lab.errors import LabError

if TYPE_CHECKING:
    from vigil.lab.lab import Lab

SOCKET_NAME = "power.sock"
LOG_NAME = "power.log"
DEFAULT_BOOT_DELAY_S = 10.0  # above token + consensus of Corosync's defaults for 3 nodes (~8 s)
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
REQUEST_MAX = 4096
REPLY_MAX = 1 << 20  # a `list` of every node's power state, with room to spare


def socket_path(lab: str) -> Path:
    return state.DATA_DIR / lab / SOCKET_NAME


def request(path: Path | str, payload: dict[str, Any], timeout: float = 30.0) -> dict[str, Any]:
    """Ask the switch once (for tests and tools; fence agents use fence_vigil_lab). OSError when
    it cannot be reached, ValueError when it hangs up without a JSON object line."""
    return jsonlines.exchange(path, payload, timeout=timeout, max_line=REPLY_MAX)


# -- the daemon ------------------------------------------------------------------------------
def _log(msg: str) -> None:
    now = time.time()
    stamp = time.strftime("%H:%M:%S", time.localtime(now))
    print(f"{stamp}.{int(now * 1000) % 1000:03d} {now:.3f} power: {msg}", flush=True)


class Switch:
    """The switch's logic over a Lab; one power operation at a time."""

    def __init__(self, lab: Lab, boot_delay_s: float) -> None:
        self.lab = lab
        self.boot_delay_s = boot_delay_s
        self.lock = threading.Lock()
        self.boots: dict[str, threading.Timer] = {}  # pending boots of rebooted nodes

    def power(self, node: str) -> str:
        return "on" if self.lab.pids(node) else "off"

    def handle(self, req: object) -> dict[str, Any]:
        if not isinstance(req, dict):
            return {"ok": False, "error": "a request is a JSON object"}
        action, node = req.get("action"), req.get("node")
        names = self.lab.topology.node_names()
        if action == "list":
            with self.lock:
                return {"ok": True, "nodes": list(names), "power": {n: self.power(n) for n in names}}
        if action not in ("on", "off", "reboot", "status"):
            return {"ok": False, "error": f"unknown action {action!r} (on, off, reboot, status, list)"}
        if not isinstance(node, str) or node not in names:
            return {"ok": False, "error": f"no node {node!r} in lab {self.lab.name} ({', '.join(names)})"}
        delay = req.get("boot_delay_s", self.boot_delay_s)
        if action == "reboot" and (not isinstance(delay, int | float) or delay < 0):
            return {"ok": False, "error": f"boot_delay_s must be a number of seconds >= 0, not {delay!r}"}
        with self.lock:
            was = self.power(node)
            if action == "status":
                return {"ok": True, "node": node, "power": was}
            self._cancel_boot(node)
            try:
                if action == "on":
                    self.lab.power_on(node)
                else:
                    self.lab.power_off(node)
            except LabError as exc:
                return {"ok": False, "error": str(exc)}
            reply: dict[str, Any] = {"ok": True, "node": node, "power": self.power(node), "was": was}
            if action == "reboot":
                reply["boot_in_s"] = float(delay)
                self._schedule_boot(node, float(delay))
            return reply

    def _cancel_boot(self, node: str) -> None:
        timer = self.boots.pop(node, None)
        if timer is not None:
            timer.cancel()
            _log(f"pending boot of {node} cancelled")

    def _schedule_boot(self, node: str, delay: float) -> None:
        def boot() -> None:
            with self.lock:
                if self.boots.get(node) is not timer:
                    return  # cancelled meanwhile
                del self.boots[node]
                try:
                    self.lab.power_on(node)
                    _log(f"{node} booted after its reboot")
                except LabError as exc:
                    _log(f"boot of {node} failed: {exc}")

        timer = threading.Timer(delay, boot)
        timer.daemon = True
        self.boots[node] = timer
        timer.start()


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(REQUEST_MAX)
            if not line:
                return
            t0 = time.monotonic()
            try:
                req = jsonlines.decode(line)
            except ValueError as exc:
                reply: dict[str, Any] = {"ok": False,
                                         "error": f"a request is one JSON object on a line ({exc})"}
            else:
                reply = self.server.switch.handle(req)
            _log(f"{line.decode(errors='replace').strip()} -> {json.dumps(reply)} "
                 f"in {(time.monotonic() - t0) * 1000:.0f} ms")
            self.wfile.write(jsonlines.encode(reply))


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, switch: Switch) -> None:
        self.switch = switch
        super().__init__(path, _Handler)


def serve(lab_name: str, boot_delay_s: float) -> int:
    from vigil.lab.lab import Lab  # here: vigil.lab.lab imports this module

    lab = Lab.attach(lab_name)
    path = socket_path(lab_name)
    path.unlink(missing_ok=True)
    old = os.umask(0o077)  # root only: the socket powers machines off
    try:
        server = _Server(str(path), Switch(lab, boot_delay_s))
    finally:
        os.umask(old)

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _log(f"lab {lab_name}: listening on {path}, pid {os.getpid()}, boot delay {boot_delay_s:g} s")
    try:
        server.serve_forever()
    finally:
        server.server_close()
        path.unlink(missing_ok=True)
        _log("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vigil.lab.power", description="the lab's power switch")
    parser.add_argument("lab")
    parser.add_argument("--boot-delay", type=float, default=DEFAULT_BOOT_DELAY_S,
                        help="seconds from power off to power on for reboot (default %(default)s)")
    args = parser.parse_args(argv)
    try:
        return serve(args.lab, args.boot_delay)
    except LabError as exc:
        _log(f"error: {exc}")
        return 1


# -- started and stopped by the lab ----------------------------------------------------------
def start_switch(st: state.LabState, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the switch of the lab `st` records and record its PID (`wait_switch` then waits
    until it answers, so that the nodes boot meanwhile)."""
    socket_path(st.name).unlink(missing_ok=True)
    boot_delay = os.environ.get("VIGIL_LAB_BOOT_DELAY_S", str(DEFAULT_BOOT_DELAY_S))
    # -c, not -m: `python3 -m vigil.lab.power` would import this module twice (vigil.lab's
    # __init__ imports it through vigil.lab.lab before runpy runs it as __main__)
    run = "import sys; from vigil.lab import power; sys.exit(power.main(sys.argv[1:]))"
    argv = [sys.executable, "-c", run, st.name, "--boot-delay", boot_delay]
    with open(Path(st.data_dir) / LOG_NAME, "ab") as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                                env=env, cwd="/", start_new_session=True)
    st.power_pid, st.power_start = proc.pid, hostops.proc_starttime(proc.pid)
    state.save(st)
    return proc


def wait_switch(st: state.LabState, proc: subprocess.Popen[bytes]) -> None:
    """Return once the switch started by `start_switch` answers; LabError if it does not."""
    path = socket_path(st.name)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise LabError(f"the power switch exited at once (exit {proc.returncode}): see "
                           f"{st.data_dir}/{LOG_NAME}")
        with contextlib.suppress(OSError, ValueError):
            if request(path, {"action": "list"}, timeout=2).get("ok"):
                return
        if time.monotonic() > deadline:
            raise LabError(f"the power switch did not answer within {START_TIMEOUT_S:g} s")
        time.sleep(0.02)


def stop_switch(st: state.LabState) -> None:
    """Stop the switch `st` records (SIGTERM, then SIGKILL); nothing if it is gone already."""
    hostops.stop_recorded(st.power_pid, st.power_start, timeout_s=STOP_TIMEOUT_S)
    st.power_pid = st.power_start = None
    socket_path(st.name).unlink(missing_ok=True)

if __name__ == "__main__":
    sys.exit(main())
