"""The bottom layer of the shells: what the daemon, the executor, the fencer, the CLI and the lab
do to the host itself, written once.

- `child`: a child process in its own process group, stdin fed, output kept to a byte cap, a
  timeout that kills the whole group, reaping that does not wait for pipes a descendant holds;
- `pids`: a process recorded by PID and start time, signalled only while it is still that one;
- `jsonlines`: one JSON object a line over a unix socket (framing, and a blocking exchange).

Only the standard library and vigil.model below it (import-linter).
"""
