"""crm_simulate (Pacemaker 2.1.5) as the oracle of the scheduler's unit tests: its Transition
Summary for a hand-written CIB, as words per line, for each test to compare its own way."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needed = pytest.mark.skipif(shutil.which("crm_simulate") is None, reason="needs crm_simulate")


def summary_words(xml_text: str, where: Path) -> list[list[str]]:
    """Each Transition Summary line of `crm_simulate -R` on the CIB, as its words (the
    bullet and brackets dropped): ["Start", "rsc1", "node2"], ["Fence", "reboot", "node2", ...]."""
    where.write_text(xml_text)
    proc = subprocess.run(["crm_simulate", "-x", str(where), "-R"], capture_output=True,
                          text=True, check=True, timeout=60)
    section = proc.stdout.split("Transition Summary:")[1].split("Executing")[0]
    out = []
    for line in section.splitlines():
        words = line.replace("*", " ").replace("(", " ").replace(")", " ").split()
        if words:
            out.append(words)
    return out


def verbs(xml_text: str, where: Path) -> set[str]:
    """`Verb resource` of each line; `Fence node` for a fencing."""
    return {f"Fence {w[2]}" if w[0] == "Fence" else f"{w[0]} {w[1]}"
            for w in summary_words(xml_text, where)}


def summary_lines(xml_text: str, where: Path) -> list[str]:
    """The Transition Summary lines of `crm_simulate -S` on the CIB, whitespace folded and any
    "due to" reason dropped, sorted: what a test compares its own decisions' lines with."""
    where.write_text(xml_text)
    out = subprocess.run(["crm_simulate", "-x", str(where), "-S"], capture_output=True,
                         text=True, timeout=60, check=False).stdout
    section = out.split("Transition Summary:")[1].split("Executing Cluster Transition")[0]
    return sorted(" ".join(line.split()).split(" due to ")[0]
                  for line in section.splitlines() if line.strip())
