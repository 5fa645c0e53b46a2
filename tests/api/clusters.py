"""CIB files for the api tests, made with tests/commands/cibs.py and vigil's own commands, and
their status as the remote endpoint will be handed it (`cluster_status`)."""

from __future__ import annotations

from pathlib import Path

from cibs import DUMMY, op_record, running_on_node1, running_promotable, write_cib

from vigil.commands.env import FileEnvironment
from vigil.commands.status import ClusterStatus, cluster_status

NOW = 1_764_000_100


def status_of(path: Path) -> ClusterStatus:
    return cluster_status(FileEnvironment(str(path), clock=NOW))


def env_of(path: Path) -> FileEnvironment:
    return FileEnvironment(str(path), clock=NOW)


def promotable(tmp_path: Path, constraints: str = "") -> Path:
    """db-clone (ocf:pacemaker:Stateful) promoted on node1, unpromoted on node2; node1 is
    the DC; master-db is 10 on node1 and 5 on node2."""
    return running_promotable(tmp_path / "promotable.xml", constraints=constraints)


def failed_a(tmp_path: Path, constraints: str = "") -> Path:
    """A (Dummy) started on node1, its monitor failed there once (fail count 1)."""
    return write_cib(tmp_path / "failed.xml", DUMMY.format(id="A"), constraints,
                     running_on_node1("A", failed_monitor=True))


def running_a(tmp_path: Path, constraints: str = "") -> Path:
    """A (Dummy) started on node1 and healthy; B configured, never started."""
    return write_cib(tmp_path / "running.xml", DUMMY.format(id="A") + DUMMY.format(id="B"),
                     constraints, running_on_node1("A"))


def failed_with(tmp_path: Path, on_fail: str) -> Path:
    """A's monitor has `on_fail` (ignore, block, standby...) and failed on node1 once."""
    primitive = DUMMY.format(id="A").replace(
        'interval="10s"/>', f'interval="10s" on-fail="{on_fail}"/>')
    return write_cib(tmp_path / f"on-fail-{on_fail}.xml", primitive, "",
                     running_on_node1("A", failed_monitor=True))


def ignored_failure(tmp_path: Path) -> Path:
    """A's monitor has on-fail=ignore and failed on node1: A carries on, failure ignored."""
    return failed_with(tmp_path, "ignore")


def blocked_failure(tmp_path: Path) -> Path:
    """A's monitor has on-fail=block and failed on node1: A is left alone there, blocked."""
    return failed_with(tmp_path, "block")


def standby_failure(tmp_path: Path) -> Path:
    """A's monitor has on-fail=standby and failed on node1: node1 goes in standby."""
    return failed_with(tmp_path, "standby")


def _started(*resources: str) -> str:
    """node1's history: each of `resources` (Dummy) started there, its monitor running."""
    records = []
    for number, rsc in enumerate(resources):
        call = 10 + 2 * number
        records.append(f'<lrm_resource id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">'
                       + op_record(rsc, f"{rsc}_last_0", "start", 0, 0, call)
                       + op_record(rsc, f"{rsc}_monitor_10000", "monitor", 10000, 0, call + 1)
                       + "</lrm_resource>")
    return '<lrm id="1"><lrm_resources>' + "".join(records) + "</lrm_resources></lrm>"


WEB_GROUP = '<group id="web">' + DUMMY.format(id="A") + DUMMY.format(id="B") + "</group>"


def whole_group(tmp_path: Path) -> Path:
    """Group web (A then B), both started on node1."""
    return write_cib(tmp_path / "group.xml", WEB_GROUP, "", _started("A", "B"))


def half_group(tmp_path: Path) -> Path:
    """Group web (A then B): A started on node1, B not started yet."""
    return write_cib(tmp_path / "group.xml", WEB_GROUP, "", _started("A"))


def without_quorum(path: Path) -> Path:
    text = path.read_text()
    assert text.count('have-quorum="1"') == 1
    path.write_text(text.replace('have-quorum="1"', 'have-quorum="0"'))
    return path

