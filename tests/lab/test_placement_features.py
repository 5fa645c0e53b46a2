"""Issue 14 in the lab: live migration, utilization and relocation on a real cluster.

Three vigild nodes on Corosync with the lab's fence device, real agents (ocf:pacemaker:Dummy,
which can migrate):
- a Dummy with allow-migrate=true moved to another node migrates (migrate_to on the source,
  migrate_from on the target, recorded as such) instead of stopping and starting;
- with placement-strategy=utilization and each node offering cpu=1, three Dummies needing cpu=1
  spread one per node, and a fourth cannot start anywhere;
- `resource relocate run` sends a resource held by stickiness back to its preferred node and
  leaves no constraint behind.

Needs root and the lab's tools; skipped with the reason otherwise. Every wait has a timeout and
the lab is always torn down.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from vigil.lab import Lab

from .service_support import (
    placement,
    requirements,
    three_fenced_nodes,
    vigil,
    wait,
)

NODES = ("n1", "n2", "n3")
REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    yield from three_fenced_nodes(f"p{os.getpid()}")


def _where(lab: Lab, rsc: str) -> tuple[str, ...]:
    return placement(lab, "n1").get(rsc, ())


def _events(lab: Lab, node: str) -> list[dict[str, object]]:
    proc = lab.exec(node, ["cat", "/var/log/vigil/events.jsonl"], timeout=10)
    out = []
    for line in proc.stdout.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_a_resource_that_can_migrate_migrates(lab: Lab) -> None:
    vigil(lab, "n1", "resource", "create", "mig", "ocf:pacemaker:Dummy",
          "op", "monitor", "interval=5s", "meta", "allow-migrate=true")
    wait("mig runs", lambda: len(_where(lab, "mig")) == 1)
    source = _where(lab, "mig")[0]
    target = next(n for n in NODES if n != source)
    vigil(lab, "n1", "resource", "move", "mig", target)
    wait(f"mig runs on {target}", lambda: _where(lab, "mig") == (target,))
    tasks = [(e["task"], e["target"]) for e in _events(lab, "n1")
             if e.get("event") == "action" and e.get("resource") == "mig"]
    assert ("migrate_to", source) in tasks and ("migrate_from", target) in tasks, tasks
    assert ("start", target) not in tasks  # migrated, not restarted
    cib = vigil(lab, "n1", "cib", "status")
    assert 'operation="migrate_from"' in cib
    vigil(lab, "n1", "resource", "clear", "mig")
    vigil(lab, "n1", "resource", "delete", "mig")


def test_utilization_spreads_and_refuses_what_does_not_fit(lab: Lab) -> None:
    vigil(lab, "n1", "property", "set", "placement-strategy=utilization")
    for node in NODES:
        vigil(lab, "n1", "node", "utilization", node, "cpu=1")
    for i in range(1, 5):
        vigil(lab, "n1", "resource", "create", f"u{i}", "ocf:pacemaker:Dummy",
              "op", "monitor", "interval=5s", "--disabled")
        vigil(lab, "n1", "resource", "utilization", f"u{i}", "cpu=1")
    for i in range(1, 5):
        vigil(lab, "n1", "resource", "enable", f"u{i}")
    wait("three of them run", lambda: sum(
        1 for i in range(1, 5) if _where(lab, f"u{i}")) == 3)
    nodes = [_where(lab, f"u{i}")[0] for i in range(1, 5) if _where(lab, f"u{i}")]
    assert sorted(nodes) == sorted(NODES)  # one per node: each offers cpu=1
    left = next(f"u{i}" for i in range(1, 5) if not _where(lab, f"u{i}"))
    why = vigil(lab, "n2", "explain", left)
    assert "No node can run it" in why
    for i in range(1, 5):
        vigil(lab, "n1", "resource", "delete", f"u{i}")
    vigil(lab, "n1", "property", "unset", "placement-strategy")


def test_relocate_run_sends_a_resource_home(lab: Lab) -> None:
    vigil(lab, "n1", "resource", "defaults", "resource-stickiness=100")
    vigil(lab, "n1", "resource", "create", "home", "ocf:pacemaker:Dummy",
          "op", "monitor", "interval=5s")
    wait("home runs", lambda: len(_where(lab, "home")) == 1)
    here = _where(lab, "home")[0]
    preferred = next(n for n in NODES if n != here)
    vigil(lab, "n1", "constraint", "location", "home", "prefers", f"{preferred}=50")
    wait("it stays where it runs (stickiness 100 > 50)",
         lambda: _where(lab, "home") == (here,), timeout=10)
    shown = vigil(lab, "n1", "resource", "relocate", "show")
    assert f"home\t{here}\t{preferred}  <- would move" in shown
    vigil(lab, "n2", "resource", "relocate", "run", "home", "--wait=60")
    assert _where(lab, "home") == (preferred,)
    constraints = vigil(lab, "n1", "constraint", "--full")
    assert "pcs-relocate-" not in constraints
    vigil(lab, "n1", "resource", "delete", "home")
