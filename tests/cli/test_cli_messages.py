"""Every report code the library commands raise has words in the CLI (not just its code)."""

from __future__ import annotations

import re
from pathlib import Path

from vigil.model import reports
from vigil.words import messages

SRC = Path(__file__).resolve().parents[2] / "src" / "vigil" / "commands"
_RAISED = re.compile(r"reports\.(?:error|warning|info|unless_forced)\(\s*(?:force,\s*)?\"([A-Z_]+)\"")


def test_every_command_report_has_a_message() -> None:
    found = {code for path in SRC.glob("*.py") for code in _RAISED.findall(path.read_text())}
    assert len(found) > 50
    plain = [code for code in sorted(found)
             if messages.render_report(reports.error(code)).startswith(f"error: {code}")]
    assert plain == []


def test_forceable_errors_tell_how_to_force() -> None:
    text = messages.render_report(reports.unless_forced(False, "PROPERTY_UNKNOWN", name="x",
                                                        suggestions=""))
    assert text.endswith("(use --force to override)")
    forced = messages.render_report(reports.unless_forced(True, "PROPERTY_UNKNOWN", name="x",
                                                          suggestions=""))
    assert forced.startswith("warning: ") and "--force" not in forced
