"""The agents' tools through vigild's tool host (a fork of a process that has them imported)
answer exactly as the tools started on their own: same output, exit code, environment; and
without a host the wrappers still run them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.attrs import toolclient, toolhost
from vigil.daemon import agent_tools

EXAMPLE_CIB = Path(__file__).resolve().parents[2] / "examples" / "web-failover.xml"
CALLS: list[tuple[list[str], dict[str, str]]] = [
    (["crm_attribute", "--frobnicate"], {}),
    (["crm_attribute", "--name", "x", "--query"], {}),
    (["crm_node", "-n", "-V"], {"OCF_RESKEY_CRM_meta_on_node": "node é2"}),
    (["crm_node", "-p"], {}),
    (["crm_master", "-v", "5"], {}),  # outside an agent: no OCF_RESOURCE_INSTANCE
    (["crm_master", "-l", "reboot", "-v", "5"], {"OCF_RESOURCE_INSTANCE": "db"}),
    (["attrd_updater", "-n", "a", "-U", "1", "-p"], {}),
    (["crm_resource", "--resource", "pgsqld", "--meta", "--get-parameter", "notify"], {}),
    (["cibadmin", "--version"], {}),
    # Pacemaker's crm_mon run on a CIB file (what redis's crm_mon_no_validation does): a
    # process of its own whose exit code is the tool's
    (["crm_mon", "-1", "--output-as=xml"], {"CIB_file": "CIB"}),
    (["crm_mon", "-1", "--as-xml"], {"CIB_file": "CIB"}),
    (["crm_mon", "-1", "--output-as=xml"], {"CIB_file": "/nonexistent.xml"}),
]


@pytest.fixture
def tools(tmp_path: Path) -> Iterator[Path]:
    """Wrappers in tmp_path/sbin and a tool host behind them."""
    sbin = agent_tools.prepare(tmp_path / "sbin")
    host = agent_tools.start_host(sbin)
    try:
        deadline = time.monotonic() + 30
        while not (sbin / agent_tools.HOST_SOCKET).exists():
            assert host.poll() is None, "the tool host ended"
            assert time.monotonic() < deadline, "the tool host did not listen within 30 s"
            time.sleep(0.05)
        yield sbin
    finally:
        agent_tools.stop_host(host)
    assert host.returncode is not None


def environment(tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    if extra.get("CIB_file") == "CIB":
        cib = tmp / "cib.xml"
        cib.write_text(EXAMPLE_CIB.read_text())
        extra = {**extra, "CIB_file": str(cib)}
    return {"PATH": "/usr/bin:/bin", "VIGIL_SOCKET": str(tmp / "no-vigild.sock"),
            "PYTHONPATH": agent_tools.package_root(), **extra}


def direct(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-S", "-m", f"vigil.attrs.{argv[0]}", *argv[1:]],
                          env=env, capture_output=True, text=True, check=False, timeout=60)


def seen(ran: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    """What a tool run showed: exit code, output, errors. The only part that may differ between
    two runs of the same call is the clock: Pacemaker's crm_mon prints the time it ran."""
    when = re.compile(r'<last_update time="[^"]*"/>')
    return (ran.returncode, when.sub('<last_update time="(now)"/>', ran.stdout), ran.stderr)


def wrapped(sbin: Path, argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(sbin / argv[0]), *argv[1:]], env=env, capture_output=True,
                          text=True, check=False, timeout=60)


def test_a_call_through_the_host_is_the_tool_itself(tools: Path, tmp_path: Path) -> None:
    for argv, extra in CALLS:
        env = environment(tmp_path, extra)
        alone, hosted = direct(argv, env), wrapped(tools, argv, env)
        assert seen(hosted) == seen(alone), argv
    # the environment is the caller's, not the host's: two callers, two answers
    for name in ("n1", "n2"):
        ran = wrapped(tools, ["crm_node", "-n", "-V"],
                      environment(tmp_path, {"OCF_RESKEY_CRM_meta_on_node": name}))
        assert (ran.returncode, ran.stdout) == (0, f"{name}\n")


def test_the_callers_other_descriptors_are_the_tools(tools: Path, tmp_path: Path) -> None:
    """ocf-shellfuncs' crm_mon_no_validation (redis asks it whether a master runs) gives
    crm_mon its CIB as a pipe from a process substitution: /dev/fd/63 of the caller."""
    cib = tmp_path / "cib.xml"
    cib.write_text(EXAMPLE_CIB.read_text())
    env = environment(tmp_path, {})
    script = f'CIB_file=<(cat {cib}) "$0" -1 --output-as=xml'
    hosted = subprocess.run(["bash", "-c", script, str(tools / "crm_mon")], env=env,
                            capture_output=True, text=True, check=False, timeout=60)
    alone = subprocess.run(["bash", "-c", f'CIB_file=<(cat {cib}) "$0" -S -m vigil.attrs.crm_mon '
                            "-1 --output-as=xml", sys.executable], env=env, capture_output=True,
                           text=True, check=False, timeout=60)
    assert alone.returncode == 0 and 'id="WebSite"' in alone.stdout, alone.stderr
    assert seen(hosted) == seen(alone)


def test_closed_streams_and_a_bad_request_do_not_stop_the_host(tools: Path, tmp_path: Path
                                                                ) -> None:
    env = environment(tmp_path, {"OCF_RESKEY_CRM_meta_on_node": "n1"})
    # an agent may run a tool with stdin closed
    ran = subprocess.run(["sh", "-c", f"exec 0<&-; {tools}/crm_node -n -V"], env=env,
                         capture_output=True, text=True, check=False, timeout=60)
    assert (ran.returncode, ran.stdout) == (0, "n1\n")
    # something that is not the client: its call ends with 70, the host goes on
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(str(tools / agent_tools.HOST_SOCKET))
        body = b"\0".join([toolclient.VERSION, b"rm", b"/", b"", b"0"])
        s.sendall(len(body).to_bytes(toolclient.HEADER_BYTES, "big") + body)
        answer = b""
        while chunk := s.recv(64):
            answer += chunk
    assert answer == b"70\n"
    ran = wrapped(tools, ["crm_node", "-n", "-V"], env)
    assert (ran.returncode, ran.stdout) == (0, "n1\n")


def test_without_a_host_the_wrappers_run_the_tool_alone(tmp_path: Path) -> None:
    sbin = agent_tools.prepare(tmp_path / "sbin")
    for argv, extra in CALLS[:4]:
        env = environment(tmp_path, extra)
        alone, fallback = direct(argv, env), wrapped(sbin, argv, env)
        assert seen(fallback) == seen(alone), argv


def test_requests_decode_as_the_client_encodes_them() -> None:
    env = {b"A": b"1=2", b"OCF_RESKEY_x": b"", b"B": b"\xff"}
    wire = toolclient.encode_request("crm_attribute", ["-n", "a b", "", "é"], b"/tmp/x",
                                     [0, 2], env)
    size = int.from_bytes(wire[:toolclient.HEADER_BYTES], "big")
    assert size == len(wire) - toolclient.HEADER_BYTES
    call = toolhost.decode_request(wire[toolclient.HEADER_BYTES:])
    assert call == toolhost.ToolCall("crm_attribute", ("-n", "a b", "", "é"), b"/tmp/x", (0, 2),
                                     tuple(env.items()))
    for bad, why in ((b"9\0crm_node\0/\0\0" + b"0", "another version"),
                     (b"1\0sh\0/\0\0" + b"0", "not one of the agents' tools"),
                     (b"1\0crm_node\0/\0\0" + b"3\0a", "fewer arguments"),
                     (b"1\0crm_node", "another version")):
        with pytest.raises(toolhost.BadCall, match=why):
            toolhost.decode_request(bad)


def test_the_host_ends_when_its_parent_does(tmp_path: Path) -> None:
    """PR_SET_PDEATHSIG: a vigild killed outright does not leave its tool host behind."""
    sock = tmp_path / "h.sock"
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time\n"
         f"p = subprocess.Popen([sys.executable, '-S', '-m', 'vigil.attrs.toolhost', {str(sock)!r}])\n"
         "print(p.pid, flush=True)\n"
         "time.sleep(600)\n"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": agent_tools.package_root()})
    try:
        assert parent.stdout is not None
        host_pid = int(parent.stdout.readline())
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{host_pid}").exists() and Path(f"/proc/{host_pid}/stat").read_text(
            ).split()[2] != "Z":
        assert time.monotonic() < deadline, "the tool host outlived its parent"
        time.sleep(0.05)
