"""Runs alert agents for vigild (effects.RunAlerts): the agent at the alert's path, with the
CRM_alert_* environment the controller computed, CRM_alert_node_sequence and the timestamps
added here, under the alert's timeout (its process group killed then), its stdin /dev/null."""

from __future__ import annotations

import os
import re
import time

from vigil.controller.effects import AlertCall
from vigil.executor import process

KILL_GRACE_MS = 2000
_FRACTION = re.compile(r"%0?(\d?)N")


def format_timestamp(fmt: str, now: float) -> str:
    """strftime, plus Pacemaker's %N (fractions of a second; %3N: milliseconds, %06N: micro)."""
    micro = f"{int(now * 1_000_000) % 1_000_000:06d}"

    def fraction(m: re.Match[str]) -> str:
        digits = int(m.group(1) or 9)
        return (micro + "000")[:digits]

    return time.strftime(_FRACTION.sub(lambda m: fraction(m).replace("%", "%%"), fmt),
                         time.localtime(now))


class ProcessAlertRunner:
    async def run(self, call: AlertCall, sequence: int) -> str | None:
        now = time.time()
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), **dict(call.env),
               "CRM_alert_node_sequence": str(sequence),
               "CRM_alert_timestamp": format_timestamp(call.timestamp_format, now),
               "CRM_alert_timestamp_epoch": str(int(now)),
               "CRM_alert_timestamp_usec": f"{int(now * 1_000_000) % 1_000_000:06d}"}
        if not (os.path.isfile(call.path) and os.access(call.path, os.X_OK)):
            return f"{call.path} is not an executable file on this node"
        try:
            ex = await process.execute([call.path], env, timeout_ms=call.timeout_ms,
                                       grace_ms=KILL_GRACE_MS, scan_reason=False)
        except ValueError as exc:
            return f"its environment cannot be passed: {exc}"
        if ex.timed_out:
            return f"timed out after {call.timeout_ms} ms"
        if ex.exit_code != 0:
            tail = ex.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            return f"exit code {ex.exit_code}" + (f": {tail[0]}" if tail[0] else "")
        return None
