"""vigil.host.child: a child in its own process group, bounded output, kill by group, reap."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest

from vigil.host import child, pids

QUICK = child.KillPolicy(grace_s=0, repeat_s=0.5, give_up_s=2)


def run(argv: list[str], **kw: object) -> child.Outcome:
    args: dict[str, object] = {"env": dict(os.environ), "timeout_ms": 5000, "kill": QUICK,
                               "stdout_limit": 4096, "stderr_limit": 4096, **kw}
    return asyncio.run(child.run(argv, **args))  # type: ignore[arg-type]


def test_stdin_is_fed_and_output_kept() -> None:
    out = run(["sh", "-c", "cat; echo oops >&2; exit 3"], stdin=b"hello\n")
    assert (out.exit_code, out.signal, out.timed_out) == (3, None, False)
    assert (out.stdout, out.stderr) == (b"hello\n", b"oops\n")


def test_without_stdin_it_reads_dev_null() -> None:
    assert run(["cat"]).stdout == b""


def test_output_is_capped_to_its_last_bytes_and_shown_to_the_sink() -> None:
    seen = bytearray()
    out = run([sys.executable, "-c", "import sys; sys.stderr.write('x' * 100000 + 'END')"],
              stderr_limit=10, stderr_sink=seen.extend)
    assert out.stderr == b"xxxxxxxEND" and len(seen) == 100003


def test_a_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    t0 = time.monotonic()
    out = run(["sh", "-c", script], timeout_ms=300)
    assert out.timed_out and out.exit_code is None and out.signal == 9
    assert time.monotonic() - t0 < 3
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 2
    while pids.stat(grandchild) is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert pids.stat(grandchild) is None


def test_a_descendant_holding_the_pipes_does_not_delay_the_result() -> None:
    t0 = time.monotonic()
    out = run(["sh", "-c", "sleep 30 & echo started"])
    assert out.exit_code == 0 and out.stdout == b"started\n" and time.monotonic() - t0 < 3


def test_a_program_that_cannot_start() -> None:
    out = run(["/nonexistent/program"])
    assert out.spawn_errno == 2 and out.spawn_error.startswith("/nonexistent/program: ")
    assert out.exit_code is None and not out.timed_out


def test_cancelling_kills_the_child(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"

    async def scenario() -> int:
        task = asyncio.create_task(child.run(
            ["sh", "-c", f"echo $$ > {pidfile}; exec sleep 60"], env=dict(os.environ),
            timeout_ms=60000, kill=QUICK, stdout_limit=10, stderr_limit=10))
        while not pidfile.exists() or not pidfile.read_text().strip():
            await asyncio.sleep(0.02)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pid = int(pidfile.read_text())
        for _ in range(100):  # reaped in the background
            if pids.stat(pid) is None:
                break
            await asyncio.sleep(0.02)
        return pid

    assert pids.stat(asyncio.run(scenario())) is None
