"""Asking the operator before something that cannot be undone (pcs's "Are you sure?")."""

from __future__ import annotations

import sys


def ask(question: str) -> bool | None:
    """Whether the operator answered yes; None when there is no terminal to ask on (a script,
    a pipe), so the caller can require --force instead."""
    if not sys.stdin.isatty():
        return None
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")
