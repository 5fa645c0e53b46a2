"""The lab runs whatever the install location: vigil in a venv under /tmp (which every node hides
behind a private tmpfs), and a clear, early error when vigild cannot start in the nodes.

Each test builds a small venv under /tmp (`venv --without-pip --system-site-packages`, well under
a second: the dependencies are the system's) whose site-packages points at a copy of this
checkout's src (as an editable install's .pth does), runs
the lab from that venv in a subprocess, and removes both whatever happens. One node per lab: what
is tested is the node's filesystem and the daemon's start, not membership.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import vigil
from vigil.lab import Lab, hostops, state

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or bool(hostops.missing_tools()),
    reason="the lab needs root and its tools (bash scripts/install.sh installs them)")

SRC = Path(vigil.__file__).resolve().parent


@pytest.fixture
def tmp_venv() -> Iterator[Path]:
    root = Path(f"/tmp/vigil-test-venv-{os.getpid()}")
    shutil.rmtree(root, ignore_errors=True)
    try:
        # the system's site-packages seen too: vigil's dependencies (aiohttp for the nodes'
        # endpoints, which set the lab's cluster up), as a venv with them installed would have
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                        str(root)], check=True, timeout=60)
        shutil.copytree(SRC, root / "src" / "vigil", ignore=shutil.ignore_patterns("__pycache__"))
        site = subprocess.run([str(root / "bin" / "python"), "-c",
                               "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        (Path(site) / "vigil-src.pth").write_text(f"{root / 'src'}\n")
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _venv_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = hostops.tool_path()
    return env


UP_AND_CHECK = """
import json, sys, time
import vigil
from vigil.lab import Lab
name = sys.argv[1]
lab = Lab.up(nodes=1, token_ms=1000, name=name, timeout=60)
try:
    lab.wait_for(lambda: lab.node_status("n1").daemon == "running", timeout=30, what="vigild runs")
    status = lab.vigil("n1", ["status", "--output", "json"], timeout=30)
    deadline = time.monotonic() + 30
    while status.returncode != 0 and time.monotonic() < deadline:
        time.sleep(0.5)
        status = lab.vigil("n1", ["status", "--output", "json"], timeout=30)
    venv = sys.prefix
    write = lab.exec("n1", ["touch", f"{venv}/x"])
    tmp = lab.exec("n1", ["sh", "-c", "touch /tmp/mine && ls -A /tmp"])
    print(json.dumps({"vigil": vigil.__file__, "status_rc": status.returncode,
                      "status_err": status.stderr[-300:], "write_err": write.stderr,
                      "tmp": tmp.stdout.split()}))
finally:
    lab.down()
"""


def test_lab_from_a_venv_under_tmp(tmp_venv: Path) -> None:
    name = f"i{os.getpid()}a"
    proc = subprocess.run([str(tmp_venv / "bin" / "python"), "-c", UP_AND_CHECK, name], capture_output=True,
                          text=True, env=_venv_env(), cwd="/", timeout=240)
    try:
        assert proc.returncode == 0, proc.stderr[-2000:]
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        assert out["vigil"].startswith(str(tmp_venv))  # the venv's vigil ran, not this checkout's
        assert out["status_rc"] == 0, out["status_err"]  # vigild answers in the node
        # the venv is visible, read-only; the node's /tmp is its own: nothing else of the host's
        assert "Read-only file system" in out["write_err"]
        assert sorted(out["tmp"]) == sorted(["mine", tmp_venv.name])
        assert not (tmp_venv / "x").exists()
    finally:
        Lab.down_by_name(name, graceful=False, purge=True)


def test_lab_up_says_why_vigild_cannot_start(tmp_venv: Path) -> None:
    (tmp_venv / "src" / "vigil" / "daemon" / "vigild.py").unlink()  # a broken install
    name = f"i{os.getpid()}b"
    t0 = time.monotonic()
    proc = subprocess.run([str(tmp_venv / "bin" / "python"), "-m", "vigil.cli.main", "lab", "up",
                           "--nodes", "2", "--name", name], capture_output=True, text=True,
                          env=_venv_env(), cwd="/", timeout=240)
    took = time.monotonic() - t0
    try:
        assert proc.returncode == 1
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith("error: n1: ") or lines[0].startswith("error: n2: ")
        assert "No module named 'vigil.daemon.vigild'" in lines[0] and "fix that install" in lines[0]
        assert took < 20, f"took {took:.1f} s"  # not the membership wait's 90 s
        # torn down: no record, no namespaces
        assert state.load(name) is None and hostops.lab_netns(f"vl-{name}-") == []
    finally:
        Lab.down_by_name(name, graceful=False, purge=True)
