"""The lab's one exception: a runtime failure, with a message fit for one line of output."""

from __future__ import annotations


class LabError(Exception):
    """Something the lab could not do (not root, a tool missing, a command failed, a timeout)."""


class LabTimeout(LabError):
    """`Lab.wait_for` gave up: the condition did not hold within the timeout."""
