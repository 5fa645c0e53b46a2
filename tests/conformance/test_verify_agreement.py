"""`vigil verify -f FILE` and `crm_verify -x FILE` agree on whether a configuration is valid.

crm_verify exits 0 or 78 (CRM_EX_CONFIG: errors, or the warnings it counts as configuration
warnings); vigil verify exits 0 (warnings allowed) or 2. They agree when both say valid or both
say invalid. The corpus files where they do not yet are listed, with crm_verify's reason, in
verify_disagreements.tsv: those must still disagree (a fixed one is taken off the list) and every
other file must agree. The fast suite runs a seeded sample and hand-made invalid files; the
`slow` test runs the whole corpus.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conform_driver import CORPUS

from vigil.cli import main as cli_main

DISAGREEMENTS = Path(__file__).with_name("verify_disagreements.tsv")
SAMPLE = 30
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "web-failover.xml"


def known_disagreements() -> dict[str, str]:
    rows = (line.split("\t") for line in DISAGREEMENTS.read_text().splitlines()
            if line and not line.startswith("#"))
    return {name: reason for name, reason in rows}


def corpus_files() -> list[Path]:
    if shutil.which("crm_verify") is None:
        pytest.skip("crm_verify is not installed (pacemaker-cli-utils)")
    if not (CORPUS / "xml").is_dir():
        pytest.skip(f"no conformance corpus at {CORPUS}")
    return sorted((CORPUS / "xml").glob("*.xml"))


def crm_valid(path: Path) -> bool:
    rc = subprocess.run(["crm_verify", "-x", str(path)], capture_output=True,
                        timeout=60).returncode
    assert rc in (0, 78), f"crm_verify -x {path}: exit {rc}"
    return rc == 0


def vigil_valid(path: Path, capsys: pytest.CaptureFixture[str]) -> bool:
    rc = cli_main.main(["verify", "-f", str(path), "--corosync_conf", "/nonexistent"])
    capsys.readouterr()
    assert rc in (0, 2), f"vigil verify -f {path}: exit {rc}"
    return rc == 0


def check(files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    known = known_disagreements()
    wrong = []
    for path in files:
        crm, vigil = crm_valid(path), vigil_valid(path, capsys)
        if (crm == vigil) == (path.name in known):
            wrong.append(f"{path.name}: crm_verify {'valid' if crm else 'invalid'}, vigil "
                         f"{'valid' if vigil else 'invalid'}, listed: {known.get(path.name)}")
    assert not wrong, "\n".join(wrong)


def test_verify_agrees_with_crm_verify_on_a_sample(capsys: pytest.CaptureFixture[str]) -> None:
    files = corpus_files()
    known = sorted(f for f in files if f.name in known_disagreements())
    rng = random.Random(14)
    check(rng.sample(files, SAMPLE) + rng.sample(known, min(3, len(known))), capsys)


@pytest.mark.slow
def test_verify_agrees_with_crm_verify_on_the_whole_corpus(
        capsys: pytest.CaptureFixture[str]) -> None:
    check(corpus_files(), capsys)


def clean_example() -> str:
    """The README's example without its status and with startup-fencing off: crm_verify counts
    the fencing it would schedule (node1 lost, or nodes never seen) as configuration warnings."""
    text = re.sub(r"<status>.*</status>", "<status/>", EXAMPLE.read_text(), flags=re.S)
    return text.replace('<cluster_property_set id="cib-bootstrap-options">',
                        '<cluster_property_set id="cib-bootstrap-options"><nvpair id="sf" '
                        'name="startup-fencing" value="false"/>', 1)


HAND_MADE = {
    "unknown element": ("<constraints>", "<constraints><rsc_bogus id='b'/>"),
    "unknown attribute": ('<primitive id="WebIP"', '<primitive id="WebIP" colour="red"'),
    "bad validate-with": ('validate-with="pacemaker-3.8"', 'validate-with="pacemaker-9.9"'),
    "dangling reference": ("<constraints>",
                           '<constraints><rsc_location id="d" rsc="gone" node="node1" '
                           'score="10"/>'),
    "bad value": ('first-action="start"', 'first-action="begin"'),
}


@pytest.mark.parametrize("case", sorted(HAND_MADE))
def test_both_refuse_hand_made_invalid_files(case: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    corpus_files()  # skips without crm_verify
    old, new = HAND_MADE[case]
    path = tmp_path / "cib.xml"
    text = clean_example()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    assert not crm_valid(path) and not vigil_valid(path, capsys)


def test_both_accept_the_example_they_are_made_from(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    corpus_files()
    path = tmp_path / "cib.xml"
    path.write_text(clean_example())
    assert crm_valid(path) and vigil_valid(path, capsys)
