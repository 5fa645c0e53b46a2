"""Follow this node's events log (vigild's /var/log/vigil/events.jsonl) for /metrics: read what
was appended since the last scrape and fold it into the tally (api.event_tally). A log that
was replaced (another inode) or cut shorter is read again from its start, with a fresh tally:
Prometheus reads the counters' drop as a reset. A line that is not a JSON object is skipped; a
last line still being written waits for its newline."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vigil.api.event_tally import Tally, fold

EVENTS_LOG = Path("/var/log/vigil/events.jsonl")
READ_MAX = 8 * 1024 * 1024  # per scrape: a long log is caught up over a few scrapes


class EventsFollower:
    def __init__(self, path: Path = EVENTS_LOG) -> None:
        self.path = path
        self.tally = Tally()
        self._inode: int | None = None
        self._offset = 0

    def poll(self) -> Tally:
        """The tally with whatever the log gained since the last poll (the same tally when it
        cannot be read: no log yet, no vigild on this node)."""
        try:
            with open(self.path, "rb") as log:
                st = os.fstat(log.fileno())
                if st.st_ino != self._inode or st.st_size < self._offset:
                    self._inode, self._offset, self.tally = st.st_ino, 0, Tally()
                log.seek(self._offset)
                data = log.read(READ_MAX)
        except OSError:
            return self.tally
        complete = data[:data.rfind(b"\n") + 1]
        self._offset += len(complete)
        tally = self.tally
        for line in complete.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                tally = fold(tally, event)
        self.tally = tally
        return tally
