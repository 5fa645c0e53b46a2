"""Run one scheduler candidate for the conformance harness, and hold it to the rules of the run.

Usage: candidate.py --deadline UNIX_TIME -- COMMAND [ARG...]

The harness (shared/conformance/harness/conform.py) runs this for every case instead of the bare
candidate. It passes the candidate's stdout, stderr and exit code through, with two additions:

- The candidate must print a "Transition Summary:" section. The harness alone would read any
  "* ..." lines of an output without one, so a candidate that prints nothing and exits 0 would pass
  every case whose expected summary is empty (14 of tier 1, 4 of tier 2). Here it fails.
- The whole run has a deadline: a case that starts after it, or is still running at it, fails
  with exit code 124. The run then ends soon after the deadline with every remaining case counted
  as failed, never skipped, and no candidate is left running.

The candidate runs in this process's process group, so the harness's own per-case timeout, which
kills that group, reaches it too.
"""

from __future__ import annotations

import subprocess
import sys
import time

HEADER = "Transition Summary:"
EXIT_TIMEOUT = 124
EXIT_NO_SUMMARY = 65


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[0] != "--deadline" or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    deadline, command = float(argv[1]), argv[3:]
    left = deadline - time.time()
    if left <= 0:
        print("candidate.py: the run's time budget was spent before this case started", file=sys.stderr)
        return EXIT_TIMEOUT
    try:
        proc = subprocess.run(command, capture_output=True, timeout=left, check=False)
    except subprocess.TimeoutExpired as exc:
        sys.stderr.buffer.write(exc.stderr or b"")
        print(f"candidate.py: still running when the run's time budget ran out ({left:.0f} s left at start)",
              file=sys.stderr)
        return EXIT_TIMEOUT
    except OSError as exc:
        print(f"candidate.py: cannot run {command[0]!r}: {exc}", file=sys.stderr)
        return 127
    sys.stdout.buffer.write(proc.stdout)
    sys.stdout.flush()
    sys.stderr.buffer.write(proc.stderr)
    if proc.returncode == 0 and not any(
        line.strip() == HEADER for line in proc.stdout.decode(errors="replace").splitlines()
    ):
        print(f"candidate.py: exit 0 but no {HEADER!r} section in the output", file=sys.stderr)
        return EXIT_NO_SUMMARY
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
