"""A Redis client in the lab's client namespace that writes numbered keys and records each write
Redis told it was saved on a replica too: what an application using WAIT was told.

    writer = RedisWriter(lab, "10.213.0.102").start()
    ...                                        # break something
    record = writer.stop()                     # WriteRecord (vigil.lab.writer)
    lost = record.acked - ids_found_on_the_new_master

The loop (`python3 -m vigil.lab.redis_client HOST PORT INTERVAL [FIRST_ID]`, run inside the
client's network namespace) sets w:1, w:2, ... one at a time and then asks `WAIT 1 <ms>`: the
write is acknowledged ("ack <id> <time>") only when at least one replica has it. Redis's
replication is asynchronous even so: WAIT says a replica received the write, not that the
replica the cluster promotes next has it, and a write Redis answered but no replica confirmed in
time is in doubt ("err ... WAIT 0"), never counted as acknowledged. A lost connection is opened
again at once; socket timeouts bound how long a write waits on a server that lost its power.
"""

from __future__ import annotations

import sys
from typing import cast

from vigil.lab.lab import Lab
from vigil.lab.writer import ClientLoop, WriteRecord, check_lab_host, write_numbered

DEFAULT_INTERVAL_S = 0.02
KEY_PREFIX = "w:"
WAIT_MS = 500  # how long a write waits for a replica's confirmation


class RedisWriter(ClientLoop):
    """The Redis loop below, run in the lab's client namespace (vigil.lab.writer)."""

    def __init__(self, lab: Lab, host: str, port: int = 6379, *,
                 interval: float = DEFAULT_INTERVAL_S, first_id: int = 1) -> None:
        check_lab_host(host)
        super().__init__(lab, "vigil.lab.redis_client",
                         [host, str(port), str(interval), str(first_id)])

    def start(self) -> RedisWriter:
        super().start()
        return self


def _loop(host: str, port: int, interval: float, first_id: int) -> int:
    import redis

    client = redis.Redis(host=host, port=port, socket_timeout=1.0, socket_connect_timeout=1.0)

    def write(row: int) -> str | None:
        client.set(f"{KEY_PREFIX}{row}", str(row))
        # the synchronous client answers an int (redis-py types it for async clients too)
        if cast(int, client.wait(1, WAIT_MS)) >= 1:
            return None
        return f"WAIT 0: no replica confirmed it in {WAIT_MS} ms"

    return write_numbered(write, (redis.RedisError,), client.connection_pool.disconnect,
                          interval, first_id)


__all__ = ["KEY_PREFIX", "RedisWriter", "WriteRecord"]

if __name__ == "__main__":
    sys.exit(_loop(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]),
                   int(sys.argv[4]) if len(sys.argv) > 4 else 1))
