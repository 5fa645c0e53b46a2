"""ocf:vigil:pgsqlms (src/vigil/agents/pgsqlms): a notification PAF does nothing with succeeds
without running PAF; every notification PAF acts on still reaches it, unchanged; the promoted
node records the received WAL positions PAF compared (for `vigil explain`), and drops the record
when it is demoted.

The wrapper runs for real (sh, ocf-shellfuncs); PAF (OCF_ROOT/resource.d/heartbeat/pgsqlms) is
a script that records its arguments and the notification it was given, and exits 0. The kinds
PAF acts on are those its `pgsql_notify` dispatches: pre-promote, post-promote, a pre-demote
naming this node and a pre-stop naming this node. attrd_updater (HA_SBIN_DIR) answers PAF's
private attributes from files named NODE/NAME; crm_attribute records its calls.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parents[2] / "src/vigil/agents/pgsqlms"
SHELLFUNCS = Path("/usr/lib/ocf/lib/heartbeat")
pytestmark = pytest.mark.skipif(not (SHELLFUNCS / "ocf-shellfuncs").exists(),
                                reason="resource-agents is not installed")


def _tools(tmp_path: Path, private: dict[tuple[str, str], str]) -> Path:
    """HA_SBIN_DIR with attrd_updater answering `private` ((node, name) -> value; this node is
    n2) and crm_attribute writing its arguments to tmp_path/crm_attribute."""
    sbin = tmp_path / "sbin"
    store = tmp_path / "private"
    for (node, name), value in private.items():
        (store / node).mkdir(parents=True, exist_ok=True)
        (store / node / name).write_text(value)
    sbin.mkdir(parents=True, exist_ok=True)
    updater = sbin / "attrd_updater"
    updater.write_text(f"""#!/bin/sh
node=n2; name=""; query=""; update=""
while [ $# -gt 0 ]; do
    case "$1" in
        --node) node=$2; shift ;;
        --name) name=$2; shift ;;
        --query) query=1 ;;
        --update) update=$2; shift ;;
    esac
    shift
done
if [ -n "$update" ]; then
    mkdir -p "{store}/$node" && printf '%s' "$update" > "{store}/$node/$name"
    echo "$name=$update" >> "{store}/updates"
    exit 0
fi
[ -n "$query" ] && [ -f "{store}/$node/$name" ] || exit 0
printf 'name="%s" host="%s" value="%s"\\n' "$name" "$node" "$(cat "{store}/$node/$name")"
""")
    attribute = sbin / "crm_attribute"
    attribute.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/crm_attribute\n')
    for tool in (updater, attribute):
        tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return sbin


def _psql(tmp_path: Path, answer: str) -> Path:
    """A bin directory whose psql prints `answer` (what the standby's position query returns)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    psql = bindir / "psql"
    psql.write_text(f"#!/bin/sh\necho '{answer}'\n")
    psql.chmod(psql.stat().st_mode | stat.S_IXUSR)
    return bindir


def _run(tmp_path: Path, action: str, sbin: Path | None = None, bindir: Path | None = None,
         **meta: str) -> tuple[int, list[str]]:
    """Exit code of the wrapper, and what PAF was asked (one line per call)."""
    root = tmp_path / "ocf"
    paf = root / "resource.d/heartbeat/pgsqlms"
    paf.parent.mkdir(parents=True, exist_ok=True)
    calls = tmp_path / "calls"
    paf.write_text("#!/bin/sh\n"
                   f'echo "$1 $OCF_RESKEY_CRM_meta_notify_type-'
                   f'$OCF_RESKEY_CRM_meta_notify_operation" >> {calls}\n'
                   "exit 0\n")
    paf.chmod(paf.stat().st_mode | stat.S_IXUSR)
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OCF_ROOT": str(root),
           "OCF_FUNCTIONS_DIR": str(SHELLFUNCS), "OCF_RESKEY_pgdata": str(data),
           "OCF_RESOURCE_INSTANCE": "pgsqld", "HA_LOGFACILITY": "none", "HA_LOGFILE": "",
           "HA_DEBUGLOG": "", "HA_SBIN_DIR": str(sbin or _tools(tmp_path, {})),
           # psql runs as this user (runuser): root, whose files the test's are
           "OCF_RESKEY_system_user": "root"}
    if bindir is not None:
        env["OCF_RESKEY_bindir"] = str(bindir)
    env.update({f"OCF_RESKEY_CRM_meta_{k}": v for k, v in meta.items()})
    done = subprocess.run(["sh", str(AGENT), action], env=env, capture_output=True, text=True,
                          timeout=30, check=False)
    return done.returncode, calls.read_text().splitlines() if calls.exists() else []


def _notify(tmp_path: Path, kind: str, op: str, **lists: str) -> tuple[int, list[str]]:
    meta = {"on_node": "n2", "notify_type": kind, "notify_operation": op}
    meta.update({f"notify_{k}_uname": v for k, v in lists.items()})
    return _run(tmp_path, "notify", **meta)


@pytest.mark.parametrize("kind,op", [("post", "demote"), ("post", "stop"), ("pre", "start"),
                                     ("post", "start")])
def test_notifications_paf_ignores_succeed_without_it(tmp_path: Path, kind: str, op: str) -> None:
    rc, calls = _notify(tmp_path, kind, op, demote="n2 ", stop="n2 ", start="n2 ")
    assert (rc, calls) == (0, [])


@pytest.mark.parametrize("op", ["demote", "stop"])
def test_pre_demote_or_stop_of_another_node_skips_paf(tmp_path: Path, op: str) -> None:
    # the power cut's case: the dead primary n1 is demoted and stopped; n2 is a standby
    rc, calls = _notify(tmp_path, "pre", op, **{op: "n1 "})
    assert (rc, calls) == (0, [])


@pytest.mark.parametrize("op", ["demote", "stop"])
def test_pre_demote_or_stop_of_this_node_runs_paf(tmp_path: Path, op: str) -> None:
    # a node name that another contains (n2 in n22) is not this node's
    rc, calls = _notify(tmp_path, "pre", op, **{op: "n22 n2 n3"})
    assert (rc, calls) == (0, [f"notify pre-{op}"])
    rc, calls = _notify(tmp_path / "other", "pre", op, **{op: "n22 n3"})
    assert (rc, calls) == (0, [])


@pytest.mark.parametrize("kind", ["pre", "post"])
def test_promote_notifications_always_run_paf(tmp_path: Path, kind: str) -> None:
    rc, calls = _notify(tmp_path, kind, "promote", promote="n3 ")
    assert (rc, calls) == (0, [f"notify {kind}-promote"])


def test_without_the_node_name_paf_decides(tmp_path: Path) -> None:
    rc, calls = _run(tmp_path, "notify", notify_type="pre", notify_operation="stop",
                     notify_stop_uname="n1 ")
    assert (rc, calls) == (0, ["notify pre-stop"])


def test_a_notification_without_its_type_goes_to_paf(tmp_path: Path) -> None:
    rc, calls = _run(tmp_path, "notify", on_node="n2")
    assert (rc, calls) == (0, ["notify -"])


def test_other_actions_reach_paf(tmp_path: Path) -> None:
    rc, calls = _run(tmp_path, "reload", on_node="n2", notify_type="post",
                     notify_operation="stop")
    assert (rc, calls) == (0, ["reload post-stop"])


def _recorded(tmp_path: Path) -> list[str]:
    path = tmp_path / "crm_attribute"
    return path.read_text().splitlines() if path.exists() else []


def test_the_promoted_node_records_the_positions_paf_compared(tmp_path: Path) -> None:
    sbin = _tools(tmp_path, {("n2", "lsn_location-pgsqld"): "3#83886176",
                             ("n2", "nodes-pgsqld"): "n3 n2 n4",
                             ("n3", "lsn_location-pgsqld"): "3#83886000"})
    rc, calls = _run(tmp_path, "notify", sbin, on_node="n2", notify_type="post",
                     notify_operation="promote", notify_promote_uname="n2 ")
    assert (rc, calls) == (0, ["notify post-promote"])
    [line] = _recorded(tmp_path)
    words = line.split()
    assert words[:4] == ["--lifetime", "reboot", "--name", "vigil-promotion-pgsqld"]
    assert words[4] == "--update"
    assert words[5].startswith("at=") and words[5][3:].isdigit()
    # n4 named by the list and without a position: unknown, not left out
    assert words[6:] == ["n2=3#83886176", "n3=3#83886000", "n4=unknown"]


def test_no_record_on_the_other_nodes_or_without_an_election(tmp_path: Path) -> None:
    private = {("n2", "lsn_location-pgsqld"): "3#1", ("n2", "nodes-pgsqld"): "n2 n3"}
    sbin = _tools(tmp_path, private)
    rc, calls = _run(tmp_path, "notify", sbin, on_node="n2", notify_type="post",
                     notify_operation="promote", notify_promote_uname="n3 ")
    assert (rc, calls, _recorded(tmp_path)) == (0, ["notify post-promote"], [])
    # the primary recovered in place: PAF set no position of its own
    other = tmp_path / "recover"
    rc, calls = _run(other, "notify", _tools(other, {}), on_node="n2", notify_type="post",
                     notify_operation="promote", notify_promote_uname="n2 ")
    assert (rc, calls, _recorded(other)) == (0, ["notify post-promote"], [])


def test_a_demote_drops_the_record(tmp_path: Path) -> None:
    rc, calls = _run(tmp_path, "demote", on_node="n2")
    assert (rc, calls) == (0, ["demote -"])
    assert _recorded(tmp_path) == ["--lifetime reboot --name vigil-promotion-pgsqld --delete"]


def _updates(tmp_path: Path) -> list[str]:
    path = tmp_path / "private" / "updates"
    return path.read_text().splitlines() if path.exists() else []


def test_pre_promote_reports_the_wal_a_standby_holds_not_only_what_it_received(
        tmp_path: Path) -> None:
    # PAF reported 0/4000000 (67108864: received since streaming began again); the standby
    # replayed to 0/4096E38 from its own pg_wal
    sbin = _tools(tmp_path, {("n2", "lsn_location-pgsqld"): "6#67108864"})
    rc, calls = _run(tmp_path, "notify", sbin, _psql(tmp_path, "0/4096E38"), on_node="n2",
                     notify_type="pre", notify_operation="promote", notify_promote_uname="n3 ")
    assert (rc, calls) == (0, ["notify pre-promote"])
    assert _updates(tmp_path) == [f"lsn_location-pgsqld=6#{0x4096E38}"]


def test_pre_promote_keeps_pafs_position_when_it_is_all_the_standby_holds(
        tmp_path: Path) -> None:
    for answer in ("0/4000000", "0/3FFFFF0", "", "ERROR"):
        case = tmp_path / (answer.replace("/", "-") or "empty")
        sbin = _tools(case, {("n2", "lsn_location-pgsqld"): "6#67108864"})
        rc, calls = _run(case, "notify", sbin, _psql(case, answer), on_node="n2",
                         notify_type="pre", notify_operation="promote",
                         notify_promote_uname="n2 ")
        assert (rc, calls, _updates(case)) == (0, ["notify pre-promote"], []), answer
    # PAF set no position (a recovery of the primary in place): nothing is added
    sbin = _tools(tmp_path / "none", {})
    rc, _ = _run(tmp_path / "none", "notify", sbin, _psql(tmp_path / "none", "0/5000000"),
                 on_node="n2", notify_type="pre", notify_operation="promote")
    assert (rc, _updates(tmp_path / "none")) == (0, [])
