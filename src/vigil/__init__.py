"""vigil: a high-availability cluster manager on Corosync 3, compatible with Pacemaker's CIB."""

__version__ = "0.1.0"
