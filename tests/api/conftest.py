from __future__ import annotations

import sys
from pathlib import Path

# The small CIBs (cibs.py) are shared with the command tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "commands"))
