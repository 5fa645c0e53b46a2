"""ocf:vigil:redis (src/vigil/agents/redis): before promoting, the replica gives way to another
replica of its partition that received more of the old master's writes.

The agent runs for real (sh, ocf-shellfuncs) with its outside world replaced by small scripts on
its own paths: redis-cli (OCF_RESKEY_client_bin) answers `INFO replication` per server from
files, crm_node -p lists the partition, crm_master records its calls, and the base agent
(OCF_ROOT/resource.d/heartbeat/redis) records that it ran. What is checked is what the cluster
sees: the exit code, the exit reason, the promotion scores set, whether the base agent promoted.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parents[2] / "src/vigil/agents/redis"
SHELLFUNCS = Path("/usr/lib/ocf/lib/heartbeat")
pytestmark = pytest.mark.skipif(not (SHELLFUNCS / "ocf-shellfuncs").exists(),
                                reason="resource-agents is not installed")


def _script(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _replica(offset: int) -> str:
    return f"# Replication\r\nrole:slave\r\nmaster_host:n1\r\nmaster_link_status:down\r\n" \
           f"slave_repl_offset:{offset}\r\n"


@dataclass(frozen=True)
class Outcome:
    rc: int
    scores: str  # crm_master's calls, one per line
    base: str  # what the base agent was asked, one call per line
    err: str  # the agent's stderr (ocf_exit_reason writes there)


def run_agent(tmp_path: Path, me: str, servers: dict[str, str | None],
              action: str = "promote") -> Outcome:
    """`action` on `me` with each node's INFO replication (None: the node does not answer)."""
    info = tmp_path / "info"
    info.mkdir()
    for node, text in servers.items():
        if text is not None:
            (info / node).write_text(text)
    # redis-cli -s SOCKET ... answers as `me`, redis-cli -h NODE ... as NODE
    _script(tmp_path / "bin/redis-cli", f"""
case "$1" in -s) node={me} ;; -h) node=$2 ;; esac
[ -f {info}/$node ] || exit 1
cat {info}/$node
""")
    _script(tmp_path / "sbin/crm_node", f'[ "$1" = -p ] && echo "{" ".join(servers)}"\n')
    _script(tmp_path / "sbin/crm_master", f'echo "$*" >> {tmp_path}/crm_master.calls\n')
    root = tmp_path / "ocf"
    (root / "lib").mkdir(parents=True)
    (root / "lib/heartbeat").symlink_to(SHELLFUNCS)
    _script(root / "resource.d/heartbeat/redis", f'echo "$*" >> {tmp_path}/base.calls\n')
    env = {"PATH": os.environ["PATH"], "OCF_ROOT": str(root),
           "OCF_RESKEY_client_bin": str(tmp_path / "bin/redis-cli"),
           "HA_SBIN_DIR": str(tmp_path / "sbin"), "OCF_RESKEY_CRM_meta_on_node": me,
           "OCF_RESOURCE_INSTANCE": "redis:0", "HA_LOGFILE": str(tmp_path / "log"),
           "HA_debug": "0"}
    proc = subprocess.run(["sh", str(AGENT), action], env=env, capture_output=True,
                          text=True, timeout=30)
    calls = tmp_path / "crm_master.calls"
    base = tmp_path / "base.calls"
    return Outcome(proc.returncode, calls.read_text() if calls.exists() else "",
                   base.read_text() if base.exists() else "", proc.stderr)


def test_gives_way_to_a_replica_that_received_more(tmp_path: Path) -> None:
    out = run_agent(tmp_path, "n2", {"n1": None, "n2": _replica(1000), "n3": _replica(1500)})
    assert out.rc == 1, out.err
    assert out.scores.splitlines() == ["-N n3 -l reboot -v 1000", "-N n2 -l reboot -v 1"]
    assert out.base == ""  # not promoted
    assert "n3 received more" in out.err and "offset 1500, here 1000" in out.err


def test_promotes_when_no_other_replica_is_ahead(tmp_path: Path) -> None:
    out = run_agent(tmp_path, "n2", {"n1": None, "n2": _replica(1500), "n3": _replica(1200)})
    assert (out.rc, out.scores, out.base) == (0, "", "promote\n"), out.err


def test_a_replica_that_does_not_answer_is_not_waited_for(tmp_path: Path) -> None:
    out = run_agent(tmp_path, "n3", {"n1": None, "n2": None, "n3": _replica(10)})
    assert (out.rc, out.scores, out.base) == (0, "", "promote\n"), out.err


def test_other_actions_are_the_base_agents(tmp_path: Path) -> None:
    out = run_agent(tmp_path, "n2", {"n2": _replica(1), "n3": _replica(99)}, action="monitor")
    assert (out.rc, out.scores, out.base) == (0, "", "monitor\n"), out.err
