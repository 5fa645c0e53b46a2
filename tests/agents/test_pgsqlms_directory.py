"""ocf:vigil:pgsqlms tells a data directory PostgreSQL cannot start from (its latest checkpoint
record unreadable: "PANIC: could not locate a valid checkpoint record") from one it can; a
standby's start then takes a fresh base backup instead of failing at every retry (the 50-fault
database chaos run left a standby so). Checked on a real PostgreSQL 15 directory made by
initdb, then damaged where its checkpoint record is, through the agent's own
`vigil-check-directory` action (the check its start runs).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parents[2] / "src/vigil/agents/pgsqlms"
SHELLFUNCS = Path("/usr/lib/ocf/lib/heartbeat")
BINDIR = Path("/usr/lib/postgresql/15/bin")
WAL_SEGMENT = 16 << 20
pytestmark = pytest.mark.skipif(
    not (SHELLFUNCS / "ocf-shellfuncs").exists() or not (BINDIR / "initdb").exists()
    or os.geteuid() != 0 or shutil.which("runuser") is None,
    reason="needs root, resource-agents and PostgreSQL 15 (bash scripts/install.sh)")


@pytest.fixture
def datadir() -> Iterator[Path]:
    # the postgres user must reach it: not below pytest's root-only tmp_path
    top = Path(tempfile.mkdtemp(prefix="vigil-pgdir-"))
    try:
        shutil.chown(top, "postgres")
        data = top / "data"
        subprocess.run(["runuser", "-u", "postgres", "--", str(BINDIR / "initdb"), "-D",
                        str(data)], check=True, capture_output=True, timeout=120)
        yield data
    finally:
        shutil.rmtree(top, ignore_errors=True)


def check(data: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OCF_ROOT": "/usr/lib/ocf",
           "OCF_FUNCTIONS_DIR": str(SHELLFUNCS), "OCF_RESKEY_pgdata": str(data),
           "OCF_RESKEY_bindir": str(BINDIR), "OCF_RESOURCE_INSTANCE": "pgsqld",
           "HA_LOGFACILITY": "none", "HA_LOGFILE": "", "HA_DEBUGLOG": ""}
    return subprocess.run(["sh", str(AGENT), "vigil-check-directory"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def checkpoint(data: Path) -> tuple[int, int]:
    out = subprocess.run(["runuser", "-u", "postgres", "--", str(BINDIR / "pg_controldata"),
                          str(data)], capture_output=True, text=True, check=True).stdout
    fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    hi, lo = fields["Latest checkpoint location"].strip().split("/")
    return int(fields["Latest checkpoint's TimeLineID"]), (int(hi, 16) << 32) + int(lo, 16)


def test_a_directory_postgres_can_start_from_passes(datadir: Path) -> None:
    assert check(datadir).returncode == 0


def test_an_unreadable_checkpoint_record_is_found(datadir: Path) -> None:
    tl, lsn = checkpoint(datadir)
    segment = datadir / "pg_wal" / f"{tl:08X}{lsn >> 32:08X}{(lsn & 0xFFFFFFFF) // WAL_SEGMENT:08X}"
    with segment.open("r+b") as f:  # the record's header zeroed: no valid record there
        f.seek(lsn % WAL_SEGMENT)
        f.write(b"\0" * 24)
    done = check(datadir)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"timeline {tl}) cannot be read from {datadir}/pg_wal" in done.stdout
