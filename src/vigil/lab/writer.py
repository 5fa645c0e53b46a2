"""A database client loop in the lab's client namespace and what it was told: each write it was
told is saved ("ack"), each it was not ("err": in doubt, never counted as saved).

    loop = ClientLoop(lab, "vigil.lab.sql_client", [dsn, "0.02", "1"]).start()
    ...                                        # break something
    record = loop.stop()                       # WriteRecord: acked ids, their times, errors

The loop is a module run as `python3 -m MODULE ARGS...` inside the client's network namespace
that prints one line per write: "ack <id> <time>" or "err <id> <time> <reason>" (vigil.lab.
sql_client for PostgreSQL, vigil.lab.redis_client for Redis). Only the lab's addresses
(10.213.0.0/16) may be written to: `check_lab_host`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from vigil.lab import hostops
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

LAB_NETWORK = ipaddress.ip_network("10.213.0.0/16")


@dataclass
class WriteRecord:
    acked: dict[int, float] = field(default_factory=dict)  # id -> time the write was answered
    errors: list[tuple[int, float, str]] = field(default_factory=list)

    def gaps(self, since: float) -> float:
        """The longest time without an acknowledged write after `since` (from the last ack
        before it): the write downtime a client saw around a fault at `since`."""
        times = sorted(self.acked.values())
        before = [t for t in times if t <= since]
        after = [t for t in times if t > since]
        if not after:
            return float("inf")
        prev = before[-1] if before else since
        worst = after[0] - prev
        for a, b in zip(after, after[1:], strict=False):
            worst = max(worst, b - a)
        return worst

    def acked_after(self, ts: float) -> bool:
        return any(t > ts for t in self.acked.values())


def check_lab_host(host: str) -> None:
    """LabError unless `host` is an address of the lab's network, or a comma-separated list of
    them (libpq's multi-host form, `host=A1,A2,A3`: a stack without a write address, Patroni's,
    lets the client find the read-write one)."""
    for one in host.split(","):
        try:
            ok = ipaddress.ip_address(one.strip()) in LAB_NETWORK
        except ValueError:
            ok = False
        if not ok:
            raise LabError(f"the lab's client writes only to the lab's addresses (10.213.0.0/16), "
                           f"not to {host!r}")


class ClientLoop:
    """`python3 -m module args...` started in the lab's client namespace; its lines read as
    they come into a WriteRecord."""

    def __init__(self, lab: Lab, module: str, args: Sequence[str]) -> None:
        self.lab, self.module, self.args = lab, module, list(args)
        self.record = WriteRecord()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def start(self) -> ClientLoop:
        if self._proc is not None:
            raise LabError("the writer is running already")
        argv = self.lab.exec_argv("client", [sys.executable, "-m", self.module, *self.args])
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True,
                                      env=hostops.command_env(), cwd="/", start_new_session=True)
        self._reader = threading.Thread(target=self._read, name=f"{self.module}-reader",
                                        daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            kind, _, rest = line.rstrip("\n").partition(" ")
            parts = rest.split(" ", 2)
            try:
                row, ts = int(parts[0]), float(parts[1])
            except (ValueError, IndexError):
                continue
            with self._lock:
                if kind == "ack":
                    self.record.acked[row] = ts
                elif kind == "err":
                    self.record.errors.append((row, ts, parts[2] if len(parts) > 2 else ""))

    def snapshot(self) -> WriteRecord:
        with self._lock:
            return WriteRecord(dict(self.record.acked), list(self.record.errors))

    def acked_after(self, ts: float) -> bool:
        with self._lock:
            return self.record.acked_after(ts)

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def failure(self) -> str:
        """Why the loop exited (its stderr's last line), "" while it runs."""
        if self._proc is None or self._proc.poll() is None:
            return ""
        err = self._proc.stderr.read() if self._proc.stderr is not None else ""
        lines = [ln for ln in err.splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit status {self._proc.returncode}"

    def stop(self) -> WriteRecord:
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # only the group this loop started
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            if self._reader is not None:
                self._reader.join(timeout=5)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
            self._proc = None
        return self.snapshot()


def write_numbered(write: Callable[[int], str | None], errors: tuple[type[Exception], ...],
                   reset: Callable[[], None], interval: float, first_id: int) -> int:
    """The loop a client module runs in the client's namespace: rows first_id, first_id + 1,
    ... one at a time until SIGTERM, each reported on stdout. `write(row)` returns None when
    the server acknowledged the row, else why it was not (the row is in doubt); an exception of
    `errors` is a failed write: `reset()` drops the connection, the next row opens a new one."""
    row = first_id - 1
    stop = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    while not stop:
        row += 1
        try:
            why = write(row)
        except errors as exc:
            why = " ".join(str(exc).split())[:160]
            reset()
            time.sleep(0.1)
        if why is None:
            print(f"ack {row} {time.time():.3f}", flush=True)
        else:
            print(f"err {row} {time.time():.3f} {why}", flush=True)
        time.sleep(interval)
    return 0
