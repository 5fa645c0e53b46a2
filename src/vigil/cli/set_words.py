"""pcs's resource-set grammar, shared by `constraint colocation|order|ticket set`:
`RSC... [NAME=VALUE...] [set RSC... [NAME=VALUE...]]... [setoptions NAME=VALUE...]`."""

from __future__ import annotations

from collections.abc import Sequence

from vigil.cli import args
from vigil.cli.args import UsageError

SetWords = tuple[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], ...]


def parse_sets(words: Sequence[str], what: str) -> tuple[SetWords, tuple[tuple[str, str], ...]]:
    """The sets (their resources and options) and the setoptions of `what`'s command line."""
    words = list(words)
    tail: list[str] = []
    if "setoptions" in words:
        at = words.index("setoptions")
        words, tail = words[:at], words[at + 1:]
        if any("=" not in w for w in tail):
            raise UsageError("setoptions takes NAME=VALUE words only")
    groups: list[list[str]] = [[]]
    for w in words:
        if w == "set":
            groups.append([])
        else:
            groups[-1].append(w)
    groups = [g for g in groups if g]
    if not groups:
        raise UsageError(f"{what} needs at least one resource")
    sets = []
    for g in groups:
        names = [w for w in g if "=" not in w]
        if not names:
            raise UsageError(f"a set of {what} has options but no resources: {' '.join(g)}")
        first_option = next((i for i, w in enumerate(g) if "=" in w), len(g))
        if any("=" not in w for w in g[first_option:]):
            raise UsageError(f"a set's options come after its resources: {' '.join(g)}")
        sets.append((tuple(names), args.pairs(w for w in g if "=" in w)))
    return tuple(sets), args.pairs(tail)
