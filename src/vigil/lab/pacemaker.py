"""Real Pacemaker 2.1.5 on the lab's nodes, in vigild's place: the anchor the benchmarks measure
vigil against on the same namespaces, the same Corosync, the same fence device and the same
agents (../shared/reference/pacemaker-lab builds such a cluster by hand; this one reuses
vigil.lab.Lab, so both managers see identical nodes).

    lab = pacemaker.up(name="pmbench", token_ms=None)     # pacemakerd in every node
    pacemaker.wait_ready(lab, timeout=120)               # every node online, a DC elected
    pacemaker.apply(lab, "n1", [[...vigil CLI args...]]) # configuration written by `vigil -f`

The configuration is written with vigil's own CLI on a file (`vigil -f FILE ...`, Pacemaker's
CIB XML, the commands an operator types with pcs) and its crm_config, resources and constraints
sections are pushed with cibadmin: one set of commands configures both managers. State comes
from `crm_mon --output-as=xml` inside a node.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from vigil.lab.errors import LabError
from vigil.lab.lab import Lab

DAEMON_ARGV = (sys.executable, "-m", "vigil.lab.pacemaker_node")
TOOLS = ("/usr/sbin/pacemakerd", "/usr/sbin/cibadmin", "/usr/sbin/crm_mon",
         "/usr/sbin/crm_resource")
SECTIONS = ("crm_config", "resources", "constraints")


def requirements() -> str | None:
    missing = [t for t in TOOLS if not os.access(t, os.X_OK)]
    if missing:
        return (f"Pacemaker is missing ({', '.join(missing)}): bash scripts/install.sh installs "
                f"Debian's pacemaker")
    return None


def up(*, name: str, token_ms: int | None, nodes: int = 3) -> Lab:
    """A lab whose nodes run Corosync and pacemakerd (vigil.lab.pacemaker_node)."""
    problem = requirements()
    if problem:
        raise LabError(problem)
    return Lab.up(nodes=nodes, token_ms=token_ms, name=name, daemon_argv=list(DAEMON_ARGV),
                  timeout=90)


@dataclass(frozen=True)
class Instance:
    resource: str  # the primitive's id (a clone's instances share it)
    role: str  # Started, Promoted, Unpromoted, Stopped ...
    node: str | None
    failed: bool


@dataclass(frozen=True)
class ClusterView:
    dc: str | None
    online: frozenset[str]
    instances: tuple[Instance, ...]
    failed_ops: frozenset[tuple[str, str]]  # (operation key such as pgsqld_start_0, node)

    def nodes_of(self, resource: str, role: str | None = None) -> list[str]:
        return sorted(i.node for i in self.instances if i.resource == resource and i.node
                      and (role is None or i.role == role) and not i.failed)


def view(lab: Lab, node: str, timeout: float = 15.0) -> ClusterView:
    """What crm_mon shows in `node`; LabError when Pacemaker does not answer there."""
    try:
        proc = lab.exec(node, ["crm_mon", "-1", "--output-as=xml"], timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError(f"crm_mon in {node} did not answer within {timeout:g} s") from None
    if proc.returncode != 0:
        raise LabError(f"crm_mon in {node}: {(proc.stderr or proc.stdout).strip()}")
    try:
        root = ET.fromstring(proc.stdout)
    except ET.ParseError as exc:
        raise LabError(f"crm_mon in {node}: unreadable XML ({exc})") from None
    dc = root.find("summary/current_dc")
    online = frozenset(n.get("name", "") for n in root.iter("node")
                       if n.get("online") == "true" and n.get("type") == "member")
    instances = []
    for r in root.iter("resource"):
        where = r.find("node")
        instances.append(Instance(resource=r.get("id", ""), role=r.get("role", ""),
                                  node=where.get("name") if where is not None else None,
                                  failed=r.get("failed") == "true"))
    failed = frozenset((f.get("op_key", ""), f.get("node", "")) for f in root.iter("failure"))
    return ClusterView(dc=dc.get("name") if dc is not None and dc.get("present") == "true"
                       else None, online=online, instances=tuple(instances), failed_ops=failed)


def wait_ready(lab: Lab, timeout: float) -> None:
    """Every node online in every node's view, a DC elected (Pacemaker waits dc-deadtime, 20 s,
    before its first election)."""
    names = set(lab.topology.node_names())

    def ready() -> bool:
        try:
            views = [view(lab, n) for n in names]
        except LabError:
            return False
        return all(v.dc is not None and v.online == names for v in views)

    lab.wait_for(ready, timeout, interval=1.0, what="Pacemaker: every node online, a DC")


def configuration(commands: Sequence[Sequence[str]]) -> dict[str, str]:
    """The CIB sections (crm_config, resources, constraints) that vigil's CLI writes for
    `commands` on an empty CIB, as XML text; LabError naming the command that failed."""
    with tempfile.TemporaryDirectory(prefix="vigil-pcmk-") as d:
        path = os.path.join(d, "cib.xml")
        empty = subprocess.run(["cibadmin", "--empty"], capture_output=True, text=True, timeout=30)
        if empty.returncode != 0:
            raise LabError(f"cibadmin --empty: {empty.stderr.strip()}")
        with open(path, "w") as f:
            f.write(empty.stdout)
        for args in commands:
            proc = subprocess.run([sys.executable, "-m", "vigil.cli.main", "-f", path, *args],
                                  capture_output=True, text=True, timeout=60)
            if proc.returncode != 0:
                raise LabError(f"vigil -f {' '.join(args)}: {(proc.stderr or proc.stdout).strip()}")
        root = ET.parse(path).getroot()
    config = root.find("configuration")
    if config is None:
        raise LabError("vigil -f wrote a CIB without a configuration section")
    out = {}
    for name in SECTIONS:
        section = config.find(name)
        out[name] = ET.tostring(section, encoding="unicode") if section is not None else f"<{name}/>"
    return out


def apply(lab: Lab, node: str, commands: Sequence[Sequence[str]]) -> None:
    """Configure the running Pacemaker through `node` with `commands` (vigil CLI arguments)."""
    for name, xml in configuration(commands).items():
        proc = lab.exec(node, ["cibadmin", "--replace", "--scope", name, "--xml-text", xml],
                        timeout=60)
        if proc.returncode != 0:
            raise LabError(f"cibadmin --replace --scope {name} in {node}: "
                           f"{(proc.stderr or proc.stdout).strip()}")


def hold(lab: Lab, node: str, held: bool) -> None:
    """Keep `node`'s pacemakerd from starting at its next boot (held) or let it start now: a
    file on the node's disk (vigil.lab.pacemaker_node.HOLD), written from the host."""
    from vigil.lab.pacemaker_node import HOLD

    path = lab.node_dir(node) / os.path.relpath(HOLD, "/")
    if held:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("held by the benchmark: a repair in progress\n")
    else:
        path.unlink(missing_ok=True)


def cleanup(lab: Lab, node: str) -> None:
    """crm_resource --cleanup: forget every failure (what an operator runs after a repair)."""
    proc = lab.exec(node, ["crm_resource", "--cleanup"], timeout=60)
    if proc.returncode != 0:
        raise LabError(f"crm_resource --cleanup in {node}: {(proc.stderr or proc.stdout).strip()}")
