"""A database client in the lab's client namespace that commits numbered rows and records each
acknowledged commit: what an application would have been told was saved.

    writer = SqlWriter(lab, "host=10.213.0.101 dbname=postgres user=app").start()
    ...                                        # break something
    record = writer.stop()                     # WriteRecord: acked ids, their times, errors
    lost = record.acked - ids_found_on_the_new_primary

The loop (`python3 -m vigil.lab.sql_client DSN INTERVAL [FIRST_ID]`, run inside the client's network
namespace) inserts row 1, 2, 3, ... one at a time in autocommit, as an application does, and
prints "ack <id> <time>" once the server has answered the COMMIT, "err <id> <time> <reason>"
when it did not (the row is then in doubt: it may or may not have been saved, and is never
counted as acknowledged). A lost connection is opened again at once. tcp_user_timeout and
keepalives bound how long a write waits on a server that lost its power (no RST ever comes back
from it), also when the server had received the COMMIT before.
Only the lab's addresses (10.213.0.0/16) may be written to.
"""

from __future__ import annotations

import contextlib
import sys

from vigil.lab.lab import Lab
from vigil.lab.writer import ClientLoop, WriteRecord, check_lab_host, write_numbered

DEFAULT_INTERVAL_S = 0.02
TABLE = "writes"  # vigil.lab.postgres.APP_TABLE (not imported: this module runs in the client)


class SqlWriter(ClientLoop):
    """The PostgreSQL loop below, run in the lab's client namespace (vigil.lab.writer)."""

    def __init__(self, lab: Lab, dsn: str, *, interval: float = DEFAULT_INTERVAL_S,
                 first_id: int = 1) -> None:
        host = next((w.split("=", 1)[1] for w in dsn.split() if w.startswith("host=")), "")
        check_lab_host(host)
        super().__init__(lab, "vigil.lab.sql_client", [dsn, str(interval), str(first_id)])

    def start(self) -> SqlWriter:
        super().start()
        return self


def _loop(dsn: str, interval: float, first_id: int) -> int:
    import psycopg

    # tcp_user_timeout: a write to a powered-off server fails after 1 s instead of TCP's minutes.
    # It only counts while sent data waits for its TCP ack: a COMMIT the server had received
    # (acked) and was waiting on (a synchronous standby) when its power went waits for an answer
    # that never comes, forever, unless keepalives probe the silent connection: after 1 s idle,
    # every second, dead after 2 unanswered probes (each bounded by tcp_user_timeout too).
    conninfo = (f"{dsn} connect_timeout=2 tcp_user_timeout=1000 keepalives=1 keepalives_idle=1 "
                "keepalives_interval=1 keepalives_count=2")
    conn: psycopg.Connection[tuple[object, ...]] | None = None

    def write(row: int) -> str | None:
        nonlocal conn
        if conn is None:
            conn = psycopg.connect(conninfo, autocommit=True)
        conn.execute(f"INSERT INTO {TABLE} (id) VALUES (%s)", (row,))
        return None

    def reset() -> None:
        nonlocal conn
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()
        conn = None

    return write_numbered(write, (psycopg.Error,), reset, interval, first_id)


__all__ = ["SqlWriter", "WriteRecord"]

if __name__ == "__main__":
    sys.exit(_loop(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1))
