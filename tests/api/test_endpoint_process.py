"""`python3 -m vigil.api` as a process: it serves over TLS, answers from what it could read of
vigild (here nothing: no vigild runs, so every check is 503 and the scrape says so), stops on
SIGTERM with status 0, and refuses with one line a port that is taken or a certificate that does
not load. Loopback only; the process is the test's own, stopped by its PID."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from vigil.host import tls


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tmp_path: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "VIGIL_SOCKET": str(tmp_path / "no-vigild.sock")}
    return subprocess.Popen([sys.executable, "-m", "vigil.api", "--address", "127.0.0.1",
                             "--port", str(port), *extra], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "r.crt", tmp_path / "r.key"
    tls.ensure_certificate(cert, key, "localhost", ["127.0.0.1"])
    return cert, key


def get(url: str, cert: Path) -> tuple[int, str]:
    ctx = ssl.create_default_context(cafile=str(cert))
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_serves_over_tls_and_stops_on_sigterm(tmp_path: Path,
                                              certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    port = free_port()
    proc = start(tmp_path, port, "--cert", str(cert), "--key", str(key))
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert "vigil remote endpoint on https://127.0.0.1:" in first, first + proc.stderr.read()
        assert tls.fingerprint(cert) in first
        code, body = get(f"https://127.0.0.1:{port}/health", cert)
        assert code == 503 and json.loads(body)["verdict"] == "NO_STATUS", body
        code, text = get(f"https://127.0.0.1:{port}/metrics", cert)
        assert code == 200 and "ha_cluster_vigil_scrape_success 0.0" in text, text
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_taken_port_and_a_bad_certificate_are_one_line(tmp_path: Path,
                                                         certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        proc = start(tmp_path, taken, "--cert", str(cert), "--key", str(key))
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot listen on"), err
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate\n")
    proc = start(tmp_path, free_port(), "--cert", str(garbage), "--key", str(key))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "does not load" in lines[0], err


def test_a_plain_port_serves_health_checks_and_metrics_only(
        tmp_path: Path, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    port, plain = free_port(), free_port()
    proc = start(tmp_path, port, "--cert", str(cert), "--key", str(key),
                 "--plain-port", str(plain), "--protect", "metrics")
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        assert f":{plain} (plain HTTP, no token)" in proc.stdout.readline()

        def plain_get(path: str) -> int:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{plain}{path}", timeout=10) as r:
                    return int(r.status)
            except urllib.error.HTTPError as e:
                return e.code

        assert plain_get("/health") == 503  # answered (no vigild here): a health check
        # what needs a token is never on the plain port: not /metrics once protected, never
        # the API
        for path in ("/metrics", "/api/v1/status", "/api/v1/openapi.json"):
            assert plain_get(path) == 404, path
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
