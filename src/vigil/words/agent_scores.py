"""What an agent means by the promotion scores it sets (the master-<resource> node attribute),
for `vigil explain`: the numbers are the agent's, so is their meaning. Only agents whose scheme
is documented (by their code or manual) are here; for the others explain shows the number alone.

PAF (ocf:heartbeat:pgsqlms, and ocf:vigil:pgsqlms which is PAF's agent): the primary's monitor
sets every score (PAF 2.3's _check_locations): 1001 on the primary itself; on each standby
streaming from it 1000, then 10 less per rank in PAF's order of the standbys by the WAL position
they have written (pg_stat_replication's write_lsn); -1 on a standby still in startup or backup;
-1000 on a node whose standby is not connected to the primary; the rank's score made negative
(below -1) when the standby lags more than `maxlag`; 1 on a cleanly stopped primary at its
start when no node has a score, and on a candidate that gave way. PAF's promote checks again,
from each node's last received LSN gathered at the pre-promote notification, that no other
standby received more, and gives way to it when one did (its score becomes 1, the other's
1000). ocf:vigil:pgsqlms also sets 1 on a standby when no primary answers and no node has a
score of 0 or more (an election, see src/vigil/agents/pgsqlms), and a crashed old primary
waiting for a primary publishes its timeline and the end of its WAL (vigil-old-primary-<rsc>,
"TIMELINE:END[:FORKS]", END a byte position or "unknown") for the standbys' election, and the
promoted node keeps the received WAL positions PAF's promote compared (vigil-promotion-<rsc>,
"at=EPOCH NODE=TIMELINE#LSN ...", the promoted node first) until it is demoted.
"""

from __future__ import annotations

import time

PAF_AGENTS = ("ocf:heartbeat:pgsqlms", "ocf:vigil:pgsqlms")


def promotion_meaning(agent: str | None, value: int) -> str | None:
    """The agent's meaning of the promotion score `value`, None when unknown."""
    if agent not in PAF_AGENTS:
        return None
    if value == 1001:
        return "PAF: this node runs the primary"
    if value == 1000:
        return ("PAF: the first standby in the primary's ranking by written WAL position "
                "(write_lsn)")
    if 0 < value < 1000 and value % 10 == 0:
        return (f"PAF: standby number {(1000 - value) // 10 + 1} in the primary's ranking by "
                "written WAL position (write_lsn)")
    if value == 1:
        if agent == "ocf:vigil:pgsqlms":
            return ("a candidate of an election: no primary answered and no standby had a "
                    "score, or one gave way to a standby that received more (PAF's promote "
                    "elects the most advanced)")
        return ("PAF: a candidate without a ranking: the primary stopped cleanly at its start, "
                "or one that gave way to a standby that received more")
    if value == -1:
        return "PAF: a standby in startup or backup state: not to be promoted"
    if value == -1000:
        return "PAF: its standby is not connected to the primary: not to be promoted"
    if value < -1 and (-value) % 10 == 0:
        return "PAF: its standby lags more than maxlag: not to be promoted"
    return None


OLD_PRIMARY_PREFIX = "vigil-old-primary-"


def lsn_text(position: int) -> str:
    """A WAL byte position as PostgreSQL writes an LSN (16/B374D848)."""
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


PROMOTION_PREFIX = "vigil-promotion-"


def attribute_meaning(agent: str | None, name: str, value: str) -> str | None:
    """The agent's meaning of a node attribute it keeps about a resource (not its promotion
    score), None when unknown."""
    if agent != "ocf:vigil:pgsqlms":
        return None
    if name.startswith(OLD_PRIMARY_PREFIX):
        return _old_primary_meaning(value)
    if name.startswith(PROMOTION_PREFIX):
        return _promotion_record_meaning(value)
    return None


def _old_primary_meaning(value: str) -> str:
    # "TIMELINE:END[:FORKS]", END a byte position or "unknown", FORKS where the timeline's
    # history left earlier ones ("PARENT@POSITION,...")
    timeline, _, rest = value.partition(":")
    end = rest.partition(":")[0]
    where = lsn_text(int(end)) if end.isdigit() else "an unreadable position"
    return (f"a crashed old primary waiting for a primary to rewind from: timeline "
            f"{timeline}, its WAL ends at {where}; a standby on a newer timeline, or one "
            "with all of that WAL, may be elected")


def _position(text: str) -> tuple[int, int] | None:
    """PAF's "TIMELINE#LSN" (the LSN in decimal) as numbers, None when it is not one."""
    tl, _, lsn = text.partition("#")
    return (int(tl), int(lsn)) if tl.isdigit() and lsn.isdigit() else None


def _promotion_record_meaning(value: str) -> str:
    # "at=EPOCH NODE=TL#LSN ...": the promoted node first, then the others PAF compared
    words = value.split()
    at = words[0].removeprefix("at=") if words and words[0].startswith("at=") else ""
    compared = [w.partition("=") for w in words[1:] if "=" in w]
    if not compared:
        return "the promotion record of vigil's pgsqlms, unreadable"
    when = (time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(at))) if at.isdigit()
            else "an unknown time")
    positions = [(node, _position(pos)) for node, _, pos in compared]
    best = max((p for _, p in positions if p is not None), default=None)
    shown = []
    for node, p in positions:
        if p is None:
            shown.append(f"{node} unknown")
            continue
        behind = f" ({_behind(best, p)})" if best is not None and p != best else ""
        shown.append(f"{node} {lsn_text(p[1])} on timeline {p[0]}{behind}")
    promoted, own = positions[0]
    tied = [node for node, p in positions[1:] if p is not None and p == own]
    if own is None or own != best:
        verdict = f"{promoted} was promoted although another had received more"
    elif tied:
        verdict = (f"{promoted} was promoted: it had received as much as {', '.join(tied)} (a "
                   "tie, settled by the promotion scores: the primary's last ranking)")
    else:
        verdict = f"{promoted} was promoted: it had received the most"
    return (f"promoted at {when}: PAF's promote compared the WAL each standby had received "
            f"(at the pre-promote notification) and promotes only one with the most: "
            f"{', '.join(shown)}; {verdict}")


def _behind(best: tuple[int, int], p: tuple[int, int]) -> str:
    if p[0] < best[0]:
        return f"an older timeline, {best[0] - p[0]} behind"
    return f"{best[1] - p[1]} bytes behind"
