"""Reading a node's view of the cluster: parsers of corosync-quorumtool output. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuorumView:
    """What one node's Corosync says: the members of its current ring, and votequorum's verdict."""

    members: tuple[int, ...]  # node ids, ascending
    quorate: bool
    ring_id: str
    expected_votes: int | None
    total_votes: int | None


def parse_quorumtool(text: str) -> QuorumView | None:
    """Parse `corosync-quorumtool -s -p` (machine-parsable status + membership list).

    The output has `Key: value` lines (Quorate, Ring ID, Expected votes, Total votes...) followed by
    a "Membership information" table whose rows start with the node id (a quorum device is the
    row of node id 0, "Qdevice": not a member). None when no "Quorate:" line is found (Corosync
    not answering).
    """
    quorate: bool | None = None
    ring_id = ""
    expected: int | None = None
    total: int | None = None
    members: list[int] = []
    in_table = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if in_table:
            first = line.split()[0]
            nodeid = (int(first) if first.isdigit()
                      else int(first, 16) if first.startswith("0x") and _is_hex(first[2:]) else None)
            if nodeid:  # None: not a row; 0: the quorum device
                members.append(nodeid)
            continue
        if line.startswith("Nodeid") and "Votes" in line:
            in_table = True
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "Quorate":
            quorate = value.lower().startswith("yes")
        elif key == "Ring ID":
            ring_id = value
        elif key == "Expected votes" and value.split()[0].isdigit():
            expected = int(value.split()[0])
        elif key == "Total votes" and value.split()[0].isdigit():
            total = int(value.split()[0])
    if quorate is None:
        return None
    return QuorumView(members=tuple(sorted(members)), quorate=quorate, ring_id=ring_id,
                      expected_votes=expected, total_votes=total)


def _is_hex(s: str) -> bool:
    return bool(s) and all(c in "0123456789abcdefABCDEF" for c in s)
