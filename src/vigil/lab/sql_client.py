"""A database client in the lab's client namespace that commits numbered rows and records each
acknowledged commit: what an application would have been told was saved.

    writer = SqlWriter(lab, "host=10.213.0.101 dbname=postgres user=app").start()
    ...                                        # break something
    record = writer.stop()                     # WriteRecord: acked ids, their times, errors
    lost = record.acked - ids_found_on_the_new_primary

The loop (`python3 -m vigil.lab.sql_client DSN INTERVAL [FIRST_ID]`, run inside the client's network
namespace) inserts row 1, 2, 3, ... one at a time in autocommit, as an application does, and
prints "ack <id> <time>" once the server has answered the COMMIT, "err <id> <time> <reason>"
when it did not (the row is then in doubt: it may or may not have been saved, and is never
counted as acknowledged). A lost connection is opened again at once. tcp_user_timeout bounds
how long a write waits on a server that lost its power (no RST ever comes back from it).
Only the lab's addresses (10.213.0.0/16) may be written to.
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
from dataclasses import dataclass, field

from vigil.lab import hostops
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

LAB_NETWORK = ipaddress.ip_network("10.213.0.0/16")
DEFAULT_INTERVAL_S = 0.02
TABLE = "writes"  # vigil.lab.postgres.APP_TABLE (not imported: this module runs in the client)


@dataclass
class WriteRecord:
    acked: dict[int, float] = field(default_factory=dict)  # id -> time the COMMIT was answered
    errors: list[tuple[int, float, str]] = field(default_factory=list)

    def gaps(self, since: float) -> float:
        """The longest time without an acknowledged commit after `since` (from the last ack
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


def _check_dsn(dsn: str) -> None:
    host = next((w.split("=", 1)[1] for w in dsn.split() if w.startswith("host=")), "")
    try:
        ok = ipaddress.ip_address(host) in LAB_NETWORK
    except ValueError:
        ok = False
    if not ok:
        raise LabError(f"the lab's client writes only to the lab's addresses (10.213.0.0/16), "
                       f"not to {host!r}")


class SqlWriter:
    """The client loop, started in the lab's client namespace; its output read as it comes."""

    def __init__(self, lab: Lab, dsn: str, *, interval: float = DEFAULT_INTERVAL_S,
                 first_id: int = 1) -> None:
        _check_dsn(dsn)
        self.lab, self.dsn, self.interval, self.first_id = lab, dsn, interval, first_id
        self.record = WriteRecord()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._stderr: list[str] = []

    def start(self) -> SqlWriter:
        if self._proc is not None:
            raise LabError("the writer is running already")
        argv = self.lab.exec_argv("client", [sys.executable, "-m", "vigil.lab.sql_client",
                                             self.dsn, str(self.interval), str(self.first_id)])
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True,
                                      env=hostops.command_env(), cwd="/", start_new_session=True)
        self._reader = threading.Thread(target=self._read, name="sql-writer", daemon=True)
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
                os.killpg(proc.pid, signal.SIGTERM)  # only the group this writer started
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


def _loop(dsn: str, interval: float, first_id: int) -> int:
    import psycopg

    # tcp_user_timeout: a write to a powered-off server fails after 1 s instead of TCP's minutes
    conninfo = f"{dsn} connect_timeout=2 tcp_user_timeout=1000 keepalives=1"
    conn: psycopg.Connection[tuple[object, ...]] | None = None
    row = first_id - 1
    stop = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    while not stop:
        row += 1
        try:
            if conn is None:
                conn = psycopg.connect(conninfo, autocommit=True)
            conn.execute(f"INSERT INTO {TABLE} (id) VALUES (%s)", (row,))
            print(f"ack {row} {time.time():.3f}", flush=True)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())[:160]
            print(f"err {row} {time.time():.3f} {reason}", flush=True)
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
                conn = None
            time.sleep(0.1)
        time.sleep(interval)
    return 0


if __name__ == "__main__":
    sys.exit(_loop(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1))
