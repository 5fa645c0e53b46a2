"""FileStore: the durable state of one vigild (CIB versions, fencing history)."""

from __future__ import annotations

from pathlib import Path

from vigil.cib import status_edit
from vigil.controller.messages import FenceResult
from vigil.controller.state import empty_cib
from vigil.daemon.store import FENCE_HISTORY_KEEP, FileStore
from vigil.model.status import TicketChange


def result(i: int) -> FenceResult:
    return FenceResult(target_id="2", target="n2", action="off", ok=i % 2 == 0, device="fence-lab",
                       detail=f"attempt {i}", when=1_700_000_000 + i, executioner="n1",
                       duration_ms=40 + i)


def test_fencing_history_survives_a_new_store_and_is_bounded(tmp_path: Path) -> None:
    store = FileStore(str(tmp_path))
    assert store.load_fence_history() == ()
    history = [result(i) for i in range(FENCE_HISTORY_KEEP + 5)]
    store.save_fence_history(history)
    again = FileStore(str(tmp_path)).load_fence_history()
    assert again == tuple(history[-FENCE_HISTORY_KEEP:])
    assert not list(tmp_path.glob(".fence-history.*"))  # no temporary file left behind


def test_a_damaged_history_file_is_ignored_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "fence-history.json").write_text('[{"target": "n2"')
    assert FileStore(str(tmp_path)).load_fence_history() == ()
    (tmp_path / "fence-history.json").write_text('[{"unknown_field": 1}]')
    assert FileStore(str(tmp_path)).load_fence_history() == ()


def test_the_store_keeps_the_configuration_not_the_status_or_tickets(tmp_path: Path) -> None:
    """A ticket is held only while the cluster runs: a node fenced for a revoked ticket must
    not come back with the grant its last configuration write happened to carry."""
    cib = status_edit.change_ticket(empty_cib(), "T", TicketChange.GRANT, 1700000000)
    cib = status_edit.set_node_state(cib, "1", "n1", in_ccm=True, crmd=True, join="member",
                                     expected="member")
    assert cib.tickets and cib.status
    FileStore(str(tmp_path)).save(cib)
    loaded = FileStore(str(tmp_path)).load()
    assert loaded is not None
    assert loaded.tickets == () and loaded.status == ()
    assert loaded.configuration == cib.configuration
    assert "ticket" not in (tmp_path / "cib.xml").read_text()
