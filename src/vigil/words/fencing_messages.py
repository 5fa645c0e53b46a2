"""English text for the reports of `vigil stonith level|fence|confirm|history`."""

from __future__ import annotations

from collections.abc import Callable

from vigil.model.reports import Report

_Render = Callable[[Report], str]


def _f(r: Report, name: str) -> str:
    return r.field(name)


MESSAGES: dict[str, _Render] = {
    "FENCING_NEEDS_RUNNING_CLUSTER": lambda r: (
        f"'vigil {_f(r, 'command')}' needs a running cluster: it asks the cluster's fencer, "
        "which a CIB file (-f) does not have"),
    "FENCING_LEVEL_INVALID": lambda r: (
        f"'{_f(r, 'level')}' is not a fencing level: give a number from 1 to {_f(r, 'max')}"),
    "FENCING_LEVEL_NO_DEVICES": lambda r: "name the fence devices of the level: DEVICE[,DEVICE...]",
    "FENCING_LEVEL_DEVICE_TWICE": lambda r: (
        f"a device is named twice in '{_f(r, 'devices')}'"),
    "FENCE_DEVICE_NOT_FOUND": lambda r: (
        f"fence device '{_f(r, 'device')}' does not exist (fence devices: {_f(r, 'known')})"),
    "NOT_A_FENCE_DEVICE": lambda r: (
        f"'{_f(r, 'device')}' is not a fence device: a level names stonith resources only"),
    "FENCING_TARGET_NOT_FOUND": lambda r: (
        f"node '{_f(r, 'node')}' is not in the cluster (nodes: {_f(r, 'known')})"),
    "FENCING_LEVEL_EXISTS": lambda r: (
        f"{_f(r, 'node')} already has level {_f(r, 'level')} (devices {_f(r, 'devices')}): "
        f"remove it first (vigil stonith level remove {_f(r, 'level')} {_f(r, 'node')})"),
    "FENCING_LEVEL_NOT_FOUND": lambda r: (
        f"there is no fencing level {_f(r, 'level')}"
        + (f" for {_f(r, 'node')}" if _f(r, "node") else "")
        + " (see 'vigil stonith level config')"),
    "FENCING_LEVEL_ADDED": lambda r: (
        f"level {_f(r, 'level')} of {_f(r, 'node')}: {_f(r, 'devices')}"),
    "FENCING_LEVEL_REMOVED": lambda r: (
        f"removed level {_f(r, 'level')} of {_f(r, 'node')} ({_f(r, 'devices')})"),
    "FENCING_LEVEL_DEVICES_CHANGED": lambda r: (
        f"level {_f(r, 'level')} of {_f(r, 'node')} now uses {_f(r, 'devices')}"),
    "FENCE_FAILED": lambda r: (
        f"fencing {_f(r, 'node')} ({_f(r, 'action')}) failed: {_f(r, 'detail')}; the node may "
        "still be running: check its fence devices (vigil stonith status) and the fencing "
        "history (vigil stonith history)"),
    "FENCE_CONFIRMED": lambda r: (
        f"the cluster now takes {_f(r, 'node')} as down (confirmed by hand) and recovers its "
        "resources elsewhere"),
    "CONFIRM_NEEDS_FORCE": lambda r: (
        f"confirming that {_f(r, 'node')} is down needs --force (there is no terminal to ask "
        "on)"),
    "CONFIRM_CANCELLED": lambda r: f"not confirmed: {_f(r, 'node')} is unchanged",
}
