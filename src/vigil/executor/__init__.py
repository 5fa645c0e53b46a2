"""The executor: runs resource agents (OCF, LSB, systemd) and records what they said.

- `agents`: agent names, where their executables are, listing them;
- `metadata`: what an agent declares (parameters, actions), cached; validation of parameters;
- `run`: one operation in its own process group, with timeout and kill; typed results;
- `monitors`: recurring monitors, reported on change;
- `history`: results turned into the CIB status records the scheduler reads.
"""
