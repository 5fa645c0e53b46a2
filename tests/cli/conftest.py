from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

# The small CIB and the scripted agent catalog are shared with the command tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "commands"))

from cibs import FakeCatalog, Run  # noqa: E402

from vigil.cli import main as cli_main  # noqa: E402
from vigil.cli import resource_cli  # noqa: E402


@pytest.fixture(autouse=True)
def installed_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeds' agents, as if installed: the tests do not depend on this machine's."""
    monkeypatch.setattr(resource_cli, "catalog", FakeCatalog)


@pytest.fixture(autouse=True)
def no_daemon(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIGIL_SOCKET", str(tmp_path / "no-vigild.sock"))


@pytest.fixture
def vigil(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*argv: str) -> tuple[int, str, str]:
        code = cli_main.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "web-failover.xml"


@pytest.fixture
def cib(tmp_path: Path) -> Path:
    """A copy of the README's example CIB (three nodes, node1 unclean, the web service)."""
    path = tmp_path / "cib.xml"
    shutil.copy(EXAMPLE, path)
    return path
