from __future__ import annotations

from pathlib import Path

import pytest
from cibs import DUMMY, write_cib

from vigil.commands.env import FileEnvironment

NOW = 1_764_000_100


@pytest.fixture
def cib_path(tmp_path: Path) -> Path:
    """Two online nodes; A and B (Dummy) configured, nothing running."""
    return write_cib(tmp_path / "cib.xml", DUMMY.format(id="A") + DUMMY.format(id="B"))


@pytest.fixture
def env(cib_path: Path) -> FileEnvironment:
    return FileEnvironment(str(cib_path), clock=NOW)
