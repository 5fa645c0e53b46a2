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
"TIMELINE:END", END a byte position or "unknown") for the standbys' election.
"""

from __future__ import annotations

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


def attribute_meaning(agent: str | None, name: str, value: str) -> str | None:
    """The agent's meaning of a node attribute it keeps about a resource (not its promotion
    score), None when unknown."""
    if agent == "ocf:vigil:pgsqlms" and name.startswith(OLD_PRIMARY_PREFIX):
        timeline, _, end = value.partition(":")
        where = lsn_text(int(end)) if end.isdigit() else "an unreadable position"
        return (f"a crashed old primary waiting for a primary to rewind from: timeline "
                f"{timeline}, its WAL ends at {where}; a standby on a newer timeline, or one "
                "with all of that WAL, may be elected")
    return None
