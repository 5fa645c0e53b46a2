"""`vigil simulate`'s "Current cluster status" block against crm_simulate's, on corpus cases whose
clones only the configuration can describe: a globally-unique clone (its instances listed one by
one, "(unique)") and a promotable clone with no instance promoted ("(promotable)"). The shape comes
from the configuration (commands.clone_shape.clone_shapes), not from what the instances show."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conform_driver import CORPUS


def status_block(text: str) -> list[str]:
    return [line.rstrip() for line in text.split("Transition Summary:")[0].splitlines()]


@pytest.mark.parametrize("case", ["1494", "594", "bug-1822"])
def test_clone_shapes_shown_as_crm_simulate_shows_them(case: str) -> None:
    if shutil.which("crm_simulate") is None:
        pytest.skip("crm_simulate is not on PATH: install pacemaker-cli-utils (scripts/install.sh)")
    path = CORPUS / "xml" / f"{case}.xml"
    if not path.exists():
        pytest.skip(f"the conformance corpus is not at {CORPUS}")
    theirs = subprocess.run(["crm_simulate", "-x", str(path), "-S"], capture_output=True, text=True,
                            timeout=60, check=False).stdout
    ours = subprocess.run([sys.executable, "-m", "vigil.cli.main", "simulate", "--xml-file", str(path)],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    assert any("unique)" in line or "(promotable" in line for line in status_block(ours))
    assert status_block(ours) == status_block(theirs)
