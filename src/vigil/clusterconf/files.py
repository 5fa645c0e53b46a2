"""Writing what `corosync_conf` rendered: corosync.conf (0644) and the authkey (0400), atomically.

Each file is written to a temporary name in the same directory, fsynced, then renamed over the
target, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
from pathlib import Path

from vigil.host.atomic import write_atomic

AUTHKEY_BYTES = 128  # corosync-keygen's minimum (1024 bits); knet reads the whole file


def new_authkey() -> bytes:
    """A fresh random authkey (what `corosync-keygen -l` makes, without running it)."""
    return os.urandom(AUTHKEY_BYTES)


def write_corosync_conf(path: Path, text: str) -> None:
    write_atomic(path, text.encode(), 0o644)


def write_authkey(path: Path, key: bytes) -> None:
    if len(key) < AUTHKEY_BYTES:
        raise ValueError(f"authkey too short: {len(key)} bytes, at least {AUTHKEY_BYTES} needed")
    write_atomic(path, key, 0o400)
