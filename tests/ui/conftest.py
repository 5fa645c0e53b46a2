"""The web UI's browser tests import the endpoint's test helpers (tests/api, and theirs) and
the lab's (tests/lab)."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1]
for helpers in ("api", "commands", "cli"):
    sys.path.insert(0, str(_TESTS / helpers))
sys.path.insert(0, str(_TESTS))  # the lab's helpers: lab.service_support
