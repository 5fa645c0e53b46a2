"""`vigil property describe [NAME...]`: what each cluster option means, its kind, default and
allowed values (pcs's `property describe`).

The kinds, defaults and choices are vigil's own table (model.cluster_options); the sentences
are Pacemaker's, read from its daemons' `metadata` when Pacemaker is installed on this machine
(the reference lab's packages; vigil's install brings pacemaker). Without it, an option is
described by its table entry alone, and says so.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil.commands import options
from vigil.model import reports
from vigil.model.reports import ReportError

DAEMONS = ("pacemaker-schedulerd", "pacemaker-controld", "pacemaker-based", "pacemaker-fenced")
DAEMON_DIR = Path("/usr/lib/pacemaker")
TIMEOUT_S = 10


@dataclass(frozen=True)
class OptionHelp:
    name: str
    kind: str
    default: str | None
    values: tuple[str, ...]
    advanced: bool
    readonly: bool
    shortdesc: str | None  # None: no description here (Pacemaker not installed)
    longdesc: str | None


def _descriptions(daemon_dir: Path) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for daemon in DAEMONS:
        path = daemon_dir / daemon
        if not path.exists():
            continue
        try:
            proc = subprocess.run([str(path), "metadata"], capture_output=True, text=True,
                                  timeout=TIMEOUT_S, check=False)
            root = ET.fromstring(proc.stdout)
        except (OSError, subprocess.SubprocessError, ET.ParseError):
            continue
        for p in root.iter("parameter"):
            name = p.get("name")
            if name and name not in found:
                found[name] = (" ".join((p.findtext("shortdesc") or "").split()),
                               " ".join((p.findtext("longdesc") or "").split()))
    return found


def describe(names: Sequence[str] = (), *, daemon_dir: Path = DAEMON_DIR
             ) -> tuple[OptionHelp, ...]:
    known = options.by_name(options.CLUSTER_OPTIONS)
    for name in names:
        if name not in known:
            close = [n for n in known if name.lower().replace("_", "-") in n or n in name.lower()]
            raise ReportError([reports.error("PROPERTY_UNKNOWN", name=name,
                                             suggestions=", ".join(close[:5]))])
    texts = _descriptions(daemon_dir)
    wanted = [known[n] for n in names] if names else list(options.CLUSTER_OPTIONS)
    return tuple(OptionHelp(o.name, o.kind, o.default, o.values, o.advanced, o.readonly,
                            *(texts.get(o.name) or (None, None))) for o in wanted)
