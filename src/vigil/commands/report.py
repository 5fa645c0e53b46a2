"""`vigil cluster report [--from TIME] [--to TIME] DEST` (pcs's, crm_report's job): what a
support request needs from every node, in DEST.tar.bz2: each node's vigild and Corosync logs,
its events log (the part within --from/--to), its corosync.conf and cluster.json (never the
authkey), the CIB, `vigil status --full`, and Corosync's own view (corosync-quorumtool -s,
corosync-cfgtool -s). Each node gathers its part (vigil.commands.node_ops, through the
endpoints); a node that cannot be reached is named in the report's README, the others' parts
are there."""

from __future__ import annotations

import base64
import io
import json
import tarfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vigil import clusterconf
from vigil.commands.localnode import LocalNode
from vigil.model import reports
from vigil.model.reports import ReportError

LOGS = ("/var/log/vigil", "/var/log/corosync")
EVENTS = "/var/log/vigil/events.jsonl"
MAX_FILE = 32 << 20  # the tail of a larger log


@dataclass(frozen=True)
class NodePart:
    node: str
    b64: str  # a tar (uncompressed) of this node's files, in base64 to travel in JSON

    @property
    def data(self) -> bytes:
        return base64.b64decode(self.b64, validate=True)


def parse_time(text: str) -> float:
    """An epoch from "YYYY-MM-DD HH:MM[:SS]" (local time), or ValueError."""
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return time.mktime(time.strptime(text, fmt))
        except ValueError:
            continue
    raise ValueError(text)


def _tail(path: Path) -> bytes:
    size = path.stat().st_size
    with open(path, "rb") as f:
        if size > MAX_FILE:
            f.seek(size - MAX_FILE)
        return f.read()


def _events(path: Path, since: float | None, until: float | None) -> bytes:
    out = []
    for line in _tail(path).splitlines(keepends=True):
        try:
            ts = json.loads(line).get("ts")
        except (ValueError, AttributeError):
            continue
        if isinstance(ts, int | float) and (since is None or ts >= since) and \
                (until is None or ts <= until):
            out.append(line)
    return b"".join(out)


def gather(host: LocalNode, since: float | None = None, until: float | None = None) -> NodePart:
    """This node's part: its files, and what its tools and vigild say now."""
    members: list[tuple[str, bytes]] = []
    for directory in LOGS:
        d = host.path(directory)
        for path in sorted(d.iterdir()) if d.is_dir() else ():
            if not path.is_file():
                continue
            rel = f"{directory.lstrip('/')}/{path.name}"
            if "/" + rel == EVENTS:
                members.append((rel, _events(path, since, until)))
            else:
                members.append((rel, _tail(path)))
    for rel in (clusterconf.COROSYNC_CONF, clusterconf.CLUSTER_JSON):  # never the authkey
        path = host.path("/" + rel)
        if path.is_file():
            members.append((rel, path.read_bytes()))
    for name, argv in (("corosync-quorumtool-s.txt", ["corosync-quorumtool", "-s"]),
                       ("corosync-cfgtool-s.txt", ["corosync-cfgtool", "-s"]),
                       ("vigil-status-full.txt", [host.python, "-m", "vigil.cli.main", "status",
                                                  "--full"]),
                       ("cib.xml", [host.python, "-m", "vigil.cli.main", "cib"])):
        rc, out = host.run(argv, timeout=60)
        members.append((f"commands/{name}", (out + ("" if rc == 0 else f"\n(exit {rc})\n"))
                        .encode()))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for rel, data in members:
            info = tarfile.TarInfo(rel)
            info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return NodePart(host.hostname(), base64.b64encode(buf.getvalue()).decode())


def bundle(parts: Sequence[NodePart], missing: Sequence[tuple[str, str]], *,
           since: float | None, until: float | None) -> bytes:
    """One .tar.bz2: each node's part below its name, and a README saying what is in it."""
    out = io.BytesIO()
    readme = ["vigil cluster report", f"made: {time.strftime('%Y-%m-%d %H:%M:%S')}",
              f"events from {since or 'the start'} to {until or 'now'} (epoch seconds)",
              "nodes: " + ", ".join(p.node for p in parts)]
    readme += [f"not gathered: {node} ({why})" for node, why in missing]
    with tarfile.open(fileobj=out, mode="w:bz2") as tar:
        text = ("\n".join(readme) + "\n").encode()
        info = tarfile.TarInfo("README.txt")
        info.size, info.mode = len(text), 0o600
        tar.addfile(info, io.BytesIO(text))
        for part in parts:
            try:
                with tarfile.open(fileobj=io.BytesIO(part.data), mode="r:") as inner:
                    for member in inner.getmembers():
                        f = inner.extractfile(member)
                        if f is None or not member.isfile():
                            continue
                        member.name = f"{part.node}/{member.name}"
                        tar.addfile(member, f)
            except (tarfile.TarError, ValueError) as exc:
                raise ReportError([reports.error("REPORT_PART_UNREADABLE", node=part.node,
                                                 detail=str(exc))]) from None
    return out.getvalue()
