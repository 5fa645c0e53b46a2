"""The namespaces lab: Corosync nodes on this machine, for demos, integration tests and benchmarks.

`Lab` (vigil.lab.lab) is the API; `vigil lab ...` (vigil.cli.lab_cli) the command line;
vigil.lab.nodeinit the PID 1 of every node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vigil.lab.errors import LabError, LabTimeout

if TYPE_CHECKING:
    from vigil.lab.lab import Lab, LabStatus, NodeStatus

__all__ = ["Lab", "LabError", "LabStatus", "LabTimeout", "NodeStatus"]
_FROM_LAB = frozenset({"Lab", "LabStatus", "NodeStatus"})


def __getattr__(name: str) -> Any:
    # vigil.lab.lab is loaded when one of its names is first asked for, not with the package:
    # `vigil` registers the lab's commands (vigil.cli.lab_cli, which uses the package's small
    # modules) on every run, and the lab itself brings the fencer's agents and asyncio.
    if name in _FROM_LAB:
        from vigil.lab import lab

        return getattr(lab, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
