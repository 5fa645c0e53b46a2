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
counted as acknowledged). A lost connection is opened again at once. tcp_user_timeout bounds
how long a write waits on a server that lost its power (no RST ever comes back from it).
Only the lab's addresses (10.213.0.0/16) may be written to.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time

from vigil.lab.lab import Lab
from vigil.lab.writer import ClientLoop, WriteRecord, check_lab_host

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

    # tcp_user_timeout: a write to a powered-off server fails after 1 s instead of TCP's minutes
    conninfo = f"{dsn} connect_timeout=2 tcp_user_timeout=1000 keepalives=1"
    conn: psycopg.Connection[tuple[object, ...]] | None = None
    row = first_id - 1
    stop = False

    def on_term(_signum: int, _frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    while not stop:
        row += 1
        try:
            if conn is None:
                conn = psycopg.connect(conninfo, autocommit=True)
            conn.execute(f"INSERT INTO {TABLE} (id) VALUES (%s)", (row,))
            print(f"ack {row} {time.time():.3f}", flush=True)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())[:160]
            print(f"err {row} {time.time():.3f} {reason}", flush=True)
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
                conn = None
            time.sleep(0.1)
        time.sleep(interval)
    return 0


__all__ = ["SqlWriter", "WriteRecord"]

if __name__ == "__main__":
    sys.exit(_loop(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1))
