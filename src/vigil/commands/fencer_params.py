"""The fencer's own parameters of a fence device (`pcmk_*`), which fence agents' metadata does not
list: which nodes a device can fence, delays against fence races, per-action overrides.

From pacemaker-fenced's metadata (Pacemaker 2.1.5). `check` is used by `stonith create` and
`update`: a misspelt `pcmk_` name or a bad value would otherwise be kept silently and ignored
by the fencer (a `pcmk_dealy_max` leaves a two-node cluster without its delay).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from vigil.model import reports
from vigil.model.durations import parse_interval_ms
from vigil.model.reports import Report

_ACTIONS = ("reboot", "off", "on", "list", "monitor", "status")

# name -> value kind: string, time, integer, host_check, delay_base
PARAMETERS: dict[str, str] = {
    "pcmk_host_argument": "string",
    "pcmk_host_map": "string",
    "pcmk_host_list": "string",
    "pcmk_host_check": "host_check",
    "pcmk_delay_max": "time",
    "pcmk_delay_base": "delay_base",
    "pcmk_action_limit": "integer",
    **{f"pcmk_{a}_action": "string" for a in _ACTIONS},
    **{f"pcmk_{a}_timeout": "time" for a in _ACTIONS},
    **{f"pcmk_{a}_retries": "integer" for a in _ACTIONS},
}

HOST_CHECKS = ("dynamic-list", "static-list", "status", "none")
_NODE_DELAY = re.compile(r"^\s*[^\s:;=]+\s*[:=]\s*([^;]+)$")

_EXPECTED = {
    "time": "a time (such as 10s or 2min)",
    "integer": "an integer",
    "host_check": "one of " + ", ".join(HOST_CHECKS),
    "delay_base": "a time, or per node: node1:5s;node2:0s",
}


def _valid(kind: str, value: str) -> bool:
    v = value.strip()
    if kind == "time":
        return bool(v) and parse_interval_ms(v) is not None
    if kind == "integer":
        return (v[1:] if v[:1] == "-" else v).isdigit()
    if kind == "host_check":
        return v in HOST_CHECKS
    if kind == "delay_base":
        if parse_interval_ms(v) is not None and v:
            return True
        parts = [p for p in v.split(";") if p.strip()]
        return bool(parts) and all(
            (m := _NODE_DELAY.match(p)) is not None and parse_interval_ms(m.group(1).strip())
            is not None for p in parts)
    return True


def is_fencer_parameter(name: str) -> bool:
    return name.startswith("pcmk_")


def check(agent: str, given: Mapping[str, str], *, force: bool) -> list[Report]:
    """Unknown `pcmk_*` names and invalid values, as errors that `force` makes warnings."""
    out: list[Report] = []
    for name, value in given.items():
        if not is_fencer_parameter(name):
            continue
        kind = PARAMETERS.get(name)
        if kind is None:
            close = difflib.get_close_matches(name, list(PARAMETERS), n=3)
            out.append(reports.unless_forced(
                force, "AGENT_PARAMETER_UNKNOWN", agent=agent, parameter=name,
                suggestions=", ".join(close) if close else ", ".join(sorted(PARAMETERS)[:8])))
        elif value != "" and not _valid(kind, value):
            out.append(reports.unless_forced(force, "INVALID_OPTION_VALUE", option=name,
                                             value=value, expected=_EXPECTED[kind]))
    return out
