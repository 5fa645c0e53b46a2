"""The namespaces lab: Corosync nodes on this machine, for demos, integration tests and benchmarks.

`Lab` (vigil.lab.lab) is the API; `vigil lab ...` (vigil.cli.lab_cli) the command line;
vigil.lab.nodeinit the PID 1 of every node.
"""

from vigil.lab.errors import LabError, LabTimeout
from vigil.lab.lab import Lab, LabStatus, NodeStatus

__all__ = ["Lab", "LabError", "LabStatus", "LabTimeout", "NodeStatus"]
