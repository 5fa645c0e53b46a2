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


class EventsTail:
    """A log's new JSON lines as they are written: from its start, or from its end when the
    tail is made (the web UI's live feed). A replaced or cut log is read from its start
    again, and the poll says so."""

    def __init__(self, path: Path, *, from_end: bool = False, backlog_bytes: int = 0) -> None:
        """From the log's start; or, `from_end`, from its last `backlog_bytes` (the first
        whole line in them)."""
        self.path = path
        self._inode: int | None = None
        self._offset = 0
        self._skip_partial = False
        if from_end:
            try:
                st = os.stat(path)
                self._inode, self._offset = st.st_ino, max(0, st.st_size - backlog_bytes)
                self._skip_partial = self._offset > 0
            except OSError:
                pass

    def poll(self) -> tuple[list[dict[str, object]], bool]:
        """(the events appended since the last poll, whether the log started over)."""
        restarted = False
        try:
            with open(self.path, "rb") as log:
                st = os.fstat(log.fileno())
                if st.st_ino != self._inode or st.st_size < self._offset:
                    self._inode, self._offset, restarted = st.st_ino, 0, True
                log.seek(self._offset)
                data = log.read(READ_MAX)
        except OSError:
            return [], False
        complete = data[:data.rfind(b"\n") + 1]
        self._offset += len(complete)
        lines = complete.splitlines()
        if self._skip_partial and not restarted:  # the backlog began inside a line
            lines = lines[1:]
        self._skip_partial = False
        out = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                out.append(event)
        return out, restarted


class EventsFollower:
    def __init__(self, path: Path = EVENTS_LOG) -> None:
        self.path = path
        self.tally = Tally()
        self._tail = EventsTail(path)

    def poll(self) -> Tally:
        """The tally with whatever the log gained since the last poll (the same tally when it
        cannot be read: no log yet, no vigild on this node)."""
        events, restarted = self._tail.poll()
        tally = Tally() if restarted else self.tally
        for event in events:
            tally = fold(tally, event)
        self.tally = tally
        return tally
