"""HTTP probing of a lab service from the client namespace: the outages a client sees.

    probe = HttpProbe(lab, "http://10.213.0.100/", interval=0.05)
    probe.start()
    ...                                   # break something
    outages = probe.stop()                # [Outage(start, end, length, failures), ...]

A small asyncio loop runs inside the lab's client network namespace (`nsenter --net=...`): every
`interval` seconds it starts one HTTP/1.0 GET as a task of its own (so a hanging request never
delays the next probe; the reference Pacemaker lab's probe works the same way) and prints
"<start time> <1|0> <detail>" per finished probe. An outage
runs from the last good probe before the failures to the first good probe after them (its
length is the difference, as a client would measure it); an outage still going on at stop()
has end None and is measured up to the last probe. Only the lab's addresses (10.213.0.0/16)
may be probed.
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
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass

from vigil.lab import hostops
from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

LAB_NETWORK = ipaddress.ip_network("10.213.0.0/16")
DEFAULT_INTERVAL_S = 0.05
DEFAULT_TIMEOUT_S = 1.0

# runs inside the client namespace: argv = url interval timeout. One asyncio task per probe,
# stamped when it really starts (a thread per probe could start late under load and carry an
# early stamp: a late success would then look like a good probe in the middle of an outage).
_PROBE_SCRIPT = r"""
import asyncio, sys, time, urllib.parse
url, interval, timeout = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
parts = urllib.parse.urlsplit(url)
host, port, path = parts.hostname, parts.port or 80, parts.path or "/"
def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
async def get():
    r, w = await asyncio.open_connection(host, port)
    try:
        w.write(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
        await w.drain()
        return await r.read()
    finally:
        w.close()
async def one():
    t0 = time.time()
    try:
        data = await asyncio.wait_for(get(), timeout)
        status = data.split(b"\r\n", 1)[0].split()
        code = int(status[1]) if len(status) > 1 and status[1].isdigit() else 0
        out(f"{t0:.4f} {1 if 200 <= code < 400 else 0} http-{code}")
    except asyncio.TimeoutError:
        out(f"{t0:.4f} 0 timeout")
    except OSError as exc:
        out(f"{t0:.4f} 0 {type(exc).__name__}:{str(exc)[:80]}".replace("\n", " "))
async def main():
    tasks = set()
    start, k = time.monotonic(), 0
    while True:
        if len(tasks) < 256:
            t = asyncio.get_running_loop().create_task(one())
            tasks.add(t)
            t.add_done_callback(tasks.discard)
        k += 1
        await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))
asyncio.run(main())
"""


@dataclass(frozen=True)
class Sample:
    ts: float  # wall-clock time the GET was sent
    ok: bool
    detail: str


@dataclass(frozen=True)
class Outage:
    start: float  # last good probe before the failures (or the first probe, if none was good)
    end: float | None  # first good probe after; None: still down at the end of the probe
    length: float  # end - start (up to the last probe when end is None)
    failures: int  # failed probes in it
    detail: str  # the first failure's error


def check_url(url: str) -> str:
    """`url` if it is http:// to an address of the lab (10.213.0.0/16); LabError otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http":
        raise LabError(f"only http:// URLs can be probed, not {url!r}")
    host = parts.hostname or ""
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise LabError(f"probe only the lab's addresses ({LAB_NETWORK}), given as numbers: "
                       f"{host!r} is not one") from None
    if addr not in LAB_NETWORK:
        raise LabError(f"{addr} is not a lab address: only {LAB_NETWORK} may be probed")
    return url


def outages(samples: list[Sample]) -> list[Outage]:
    """The outages in `samples` (any order): runs of failed probes between good ones."""
    found: list[Outage] = []
    last_good: float | None = None
    run: list[Sample] = []
    ordered = sorted(samples, key=lambda s: s.ts)
    for s in ordered:
        if s.ok:
            if run:
                start = last_good if last_good is not None else run[0].ts
                found.append(Outage(start, s.ts, s.ts - start, len(run), run[0].detail))
                run = []
            last_good = s.ts
        else:
            run.append(s)
    if run:
        start = last_good if last_good is not None else run[0].ts
        found.append(Outage(start, None, ordered[-1].ts - start, len(run), run[0].detail))
    return found


class HttpProbe:
    """GET `url` from the lab's client namespace every `interval` s until stop()."""

    def __init__(self, lab: Lab, url: str, *, interval: float = DEFAULT_INTERVAL_S,
                 timeout: float = DEFAULT_TIMEOUT_S,
                 on_outage: Callable[[Outage], None] | None = None) -> None:
        if not 0.005 <= interval <= 60:
            raise LabError(f"the probe interval must be 0.005 to 60 s, not {interval:g}")
        self.lab, self.url, self.interval, self.timeout = lab, check_url(url), interval, timeout
        self.on_outage = on_outage
        self.samples: list[Sample] = []
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._reported: set[float] = set()  # starts of the outages given to on_outage
        self._stopping = threading.Event()
        self._notifier: threading.Thread | None = None

    def start(self) -> HttpProbe:
        if self._proc is not None:
            raise LabError("the probe is running already")
        argv = self.lab.exec_argv("client", [sys.executable, "-c", _PROBE_SCRIPT, self.url,
                                             str(self.interval), str(self.timeout)])
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True, env=hostops.command_env(),
                                      cwd="/", start_new_session=True)
        self._reader = threading.Thread(target=self._read, name="http-probe", daemon=True)
        self._reader.start()
        if self.on_outage is not None:
            self._stopping.clear()
            self._notifier = threading.Thread(target=self._notify, name="http-probe-outages", daemon=True)
            self._notifier.start()
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            ts, ok, *rest = line.rstrip("\n").split(" ", 2) + [""]
            try:
                sample = Sample(float(ts), ok == "1", rest[0] if rest else "")
            except ValueError:
                continue
            with self._lock:
                self.samples.append(sample)

    def _notify(self, final: bool = False) -> None:
        """Give each ended outage to on_outage once its probes are settled: a probe's result
        arrives up to `timeout` after it was sent, so results come out of order."""
        while True:
            if not final:
                self._stopping.wait(0.2)
            horizon = float("inf") if final or self._stopping.is_set() else time.time() - self.timeout - 0.3
            settled = [s for s in self.snapshot() if s.ts < horizon]
            for o in outages(settled):
                if o.end is not None and o.start not in self._reported and self.on_outage is not None:
                    self._reported.add(o.start)
                    self.on_outage(o)
            if final or self._stopping.is_set():
                return

    def snapshot(self) -> list[Sample]:
        with self._lock:
            return sorted(self.samples, key=lambda s: s.ts)

    def good_since(self, ts: float) -> bool:
        """Whether a probe sent after `ts` succeeded."""
        with self._lock:
            return any(s.ok and s.ts > ts for s in self.samples)

    def stop(self) -> list[Outage]:
        """Stop probing; the outages seen (see `outages`)."""
        proc = self._proc
        if proc is not None:
            # only the process group this probe started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
            if self._reader is not None:
                self._reader.join(timeout=5)
            if proc.stdout is not None:
                proc.stdout.close()
            self._proc = None
            if self._notifier is not None:
                self._stopping.set()
                self._notifier.join(timeout=5)
                self._notifier = None
        return outages(self.snapshot())

    def __enter__(self) -> HttpProbe:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def http_ok(lab: Lab, url: str, timeout: float = 2.0) -> bool:
    """One GET from the client namespace: True on a 2xx/3xx answer."""
    check_url(url)
    code = ("import sys, urllib.request\n"
            "try:\n"
            "    r = urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2]))\n"
            "    sys.exit(0 if 200 <= r.status < 400 else 1)\n"
            "except Exception:\n"
            "    sys.exit(1)\n")
    try:
        proc = lab.exec("client", [sys.executable, "-c", code, url, str(timeout)], timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def wait_http(lab: Lab, url: str, timeout: float) -> float:
    """Wait until `url` answers from the client; the seconds it took. LabTimeout otherwise."""
    t0 = time.monotonic()
    lab.wait_for(lambda: http_ok(lab, url), timeout, interval=0.3, what=f"{url} answers")
    return time.monotonic() - t0
