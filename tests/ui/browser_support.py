"""Helpers for the web UI in a real browser: Debian's chromium, headless, driven by Playwright (which is
pointed at the system browser: it cannot download its own here). Screenshots of each page go to
$VIGIL_UI_ARTIFACTS (default build/ui-artifacts in the checkout), kept as the run's artifacts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM = os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("VIGIL_UI_ARTIFACTS",
                                Path(__file__).resolve().parents[2] / "build" / "ui-artifacts"))
# root cannot run chromium's sandbox; the page is vigil's own, served by the test
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def chromium_path() -> str:
    found = shutil.which(CHROMIUM)
    if found is None:
        raise RuntimeError(f"{CHROMIUM} is not installed: the README's install command "
                           "installs Debian's chromium")
    return found


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name
