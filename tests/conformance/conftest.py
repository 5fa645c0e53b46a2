"""Fixtures of the conformance tests; the harness is driven by conform_driver.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conform_driver import CORPUS, FLOORS, HARNESS, Harness


@pytest.fixture(scope="session")
def harness() -> Harness:
    if not (HARNESS / "conform.py").is_file():
        pytest.skip(f"no conformance harness at {HARNESS}: shared/ must sit next to the repository's root")
    return Harness(HARNESS)


@pytest.fixture(scope="session")
def corpus(harness: Harness) -> Path:
    if not (CORPUS / "xml").is_dir():
        pytest.skip(f"no conformance corpus at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def floors() -> dict[str, float]:
    """Pass-count floors per tier ("1", "2", "3") and the differential agreement floor ("differential")."""
    data: dict[str, float] = json.loads(FLOORS.read_text(encoding="utf-8"))
    return data
