"""`vigil config export pcs-commands`: replaying the commands on an empty CIB builds the same
configuration (compared as `vigil config` prints it, nodes aside: an empty CIB has none)."""

from __future__ import annotations

import shlex
from pathlib import Path

from cibs import Run

A = "/usr/share/pacemaker/alerts/alert_file.sh.sample"

BUILD = [
    "resource create db ocf:pacemaker:Stateful op monitor interval=10s role=Promoted "
    "monitor interval=11s role=Unpromoted promotable promoted-max=1 notify=true --force",
    "resource create d1 ocf:pacemaker:Dummy --group g1 --force",
    "resource create d2 ocf:pacemaker:Dummy op monitor interval=30s timeout=40s meta "
    "migration-threshold=3 --group g1 --force",
    "resource clone g1 g1-clone interleave=true",
    "resource utilization WebIP cpu=1 memory=64",
    "constraint location WebIP rule score=-INFINITY pingd lt integer 1 or not_defined pingd",
    "constraint rule add location-WebIP score=10 date-spec hours=9-16 weekdays=1-5",
    "constraint location regexp%d.* avoids node3=20",
    "constraint colocation add Promoted db-clone with WebIP 500 id=db-with-ip",
    "constraint order promote db-clone then start WebSite kind=Optional",
    "constraint colocation set WebIP WebSite sequential=false setoptions score=200",
    "constraint order set g1-clone set WebIP require-all=false setoptions kind=Mandatory",
    "constraint ticket add T WebSite loss-policy=fence",
    "constraint ticket set g1-clone role=Started setoptions ticket=U",
    "stonith level add 1 node1 fence-lab",
    f"alert create path={A} id=file options x=1 meta timeout=9s",
    "alert recipient add file value=/var/log/a.log",
    "property set placement-strategy=balanced",
    "resource op defaults timeout=45s",
]


def _config(vigil: Run, cib: Path) -> list[str]:
    code, out, err = vigil("-f", str(cib), "config")
    assert code == 0, err
    lines = out.splitlines()
    # the nodes line: the empty CIB the replay starts from has no nodes
    at = lines.index("Pacemaker Nodes:")
    return lines[:at + 1] + lines[at + 2:]


def test_export_replays_to_the_same_configuration(vigil: Run, cib: Path, tmp_path: Path) -> None:
    for command in BUILD:
        code, _, err = vigil("-f", str(cib), *shlex.split(command))
        assert code == 0, (command, err)
    code, out, err = vigil("-f", str(cib), "config", "export", "pcs-commands")
    assert code == 0, err
    lines = out.splitlines()
    assert all(ln.startswith(("vigil ", "# ")) for ln in lines)
    comments = [ln for ln in lines if ln.startswith("#")]
    assert comments == [], comments  # all of this can be said in commands
    replay = tmp_path / "replay.xml"  # missing: an empty CIB
    for line in lines:
        argv = shlex.split(line)[1:]
        code, _, err = vigil("-f", str(replay), *argv)
        assert code == 0, (line, err)
    assert _config(vigil, replay) == _config(vigil, cib)


def test_export_says_what_it_cannot(vigil: Run, cib: Path) -> None:
    text = cib.read_text().replace(
        "<constraints>",
        '<constraints><rsc_location id="by-rsc" rsc="WebIP"><rule id="by-rsc-r" score="5">'
        '<expression id="by-rsc-e" attribute="x" operation="eq" value="y" '
        'value-source="param"/></rule></rsc_location>')
    cib.write_text(text)
    code, out, _ = vigil("-f", str(cib), "config", "export", "pcs-commands")
    assert code == 0
    assert "# location by-rsc: rule by-rsc-r cannot be said in pcs's rule language" in out
    code, _, err = vigil("-f", str(cib), "config", "export", "json")
    assert code == 2 and "config export pcs-commands" in err
