"""Fence devices and fencing levels from the CIB, as frozen values; what each can fence. Pure.

Pacemaker's rules (pacemaker-fenced 2.1.5), kept here:
- a device is an enabled `stonith` primitive; its `pcmk_*` parameters steer the fencer and are
  never passed to the agent; a legacy `action` parameter becomes `pcmk_off_action` and/or
  `pcmk_reboot_action` (never plain "reboot");
- `pcmk_host_check` defaults, first match wins: static-list when `pcmk_host_list` or
  `pcmk_host_map` is set, else dynamic-list if the agent has a `list` action, else status if it
  has `status`, else none. The last two need the agent's metadata, so a device built without
  it has `host_check` None until `with_agent_info` fills it in;
- `pcmk_host_map` is `node:port;node2:port2` (`=` for `:`, spaces and tabs separate too, `\\`
  escapes a character); `pcmk_host_list` and a `list` action's output are split on whitespace,
  `,` and `;`, entries are the leading `[a-zA-Z0-9_.-]` characters, "on"/"off" are dropped,
  lines saying "invalid" or "variable" are skipped (agents' complaints about parameters);
- node names compare case-insensitively;
- `pcmk_delay_base` is a duration or a per-node map `n1:5s;n2:0`; the random delay is drawn
  from [base, max) (only max: [0, max); only base: base);
- fencing-topology: levels of one kind per target (exact name first, then the first matching
  `target-pattern`, then `target-attribute`/`target-value`), tried by ascending index 1..9.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.constraints import Location
from vigil.model.durations import parse_interval_ms
from vigil.model.fencing import MAX_LEVEL_INDEX, FencingLevel
from vigil.model.nvset import flatten
from vigil.model.reports import Report
from vigil.model.resources import Primitive, walk
from vigil.model.score import INFINITY

V = TypeVar("V")
HostCheck = Literal["static-list", "dynamic-list", "status", "none"]
HOST_CHECKS: tuple[HostCheck, ...] = ("static-list", "dynamic-list", "status", "none")
FENCING_ACTIONS = frozenset({"off", "reboot", "poweroff"})  # those that get pcmk_delay_*
_STEERING = frozenset({"pcmk_action_limit", "pcmk_delay_base", "pcmk_delay_max", "pcmk_host_argument",
                       "pcmk_host_check", "pcmk_host_list", "pcmk_host_map"})
_PER_ACTION = re.compile(r"^pcmk_([a-z-]+)_(action|timeout|retries)$")
_ENTRY = re.compile(r"[a-zA-Z0-9_.-]+")
AGENT_NAME = re.compile(r"^fence_[A-Za-z0-9_.+-]+$")  # a file name in the agent directory, no path


@dataclass(frozen=True)
class AgentInfo:
    """What the fencer needs of an agent's metadata: its action and parameter names."""

    agent: str
    actions: frozenset[str]
    parameters: frozenset[str]


@dataclass(frozen=True)
class FenceDevice:
    """One fence device (an enabled stonith primitive). Dict fields make it unhashable: key
    devices by `id`."""

    id: str
    agent: str  # the agent's file name, e.g. "fence_vigil_lab"
    params: dict[str, str]  # passed to the agent: every parameter but pcmk_*, action, CRM_meta*
    host_list: tuple[str, ...] = ()
    host_map: dict[str, str] = field(default_factory=dict)  # node -> port (plug) of this device
    host_check: HostCheck | None = None  # effective; None: configured value invalid, or agent unknown
    host_check_configured: str | None = None  # pcmk_host_check as written
    host_argument: str | None = None  # pcmk_host_argument; None: "port" or "plug" per the metadata
    delay_base_ms: int = 0
    delay_base_map: dict[str, int] = field(default_factory=dict)  # pcmk_delay_base as a node map
    delay_max_ms: int = 0
    action_overrides: dict[str, str] = field(default_factory=dict)  # pcmk_<action>_action
    action_timeouts_ms: dict[str, int] = field(default_factory=dict)  # pcmk_<action>_timeout
    action_retries: dict[str, int] = field(default_factory=dict)  # pcmk_<action>_retries
    agent_info: AgentInfo | None = None

    @property
    def reboot_action(self) -> str:
        return self.action_overrides.get("reboot", "reboot")

    @property
    def off_action(self) -> str:
        return self.action_overrides.get("off", "off")

    def supports(self, action: str) -> bool | None:
        """Whether the agent declares `action`; None while its metadata is unknown."""
        if self.agent_info is None:
            return None
        return action in self.agent_info.actions

    def port_for(self, target: str) -> str:
        """The target's name for this device: its host_map alias, else the node name."""
        alias = lookup(self.host_map, target)
        return alias if alias is not None else target

    def delay_base_for(self, target: str | None) -> int:
        """pcmk_delay_base for `target`: its entry of a per-node map (none: 0), or the plain value.
        Pacemaker matches map keys as prefixes of the name (n1 would match n10); vigil matches
        whole names."""
        if self.delay_base_map:
            return (lookup(self.delay_base_map, target) or 0) if target is not None else 0
        return self.delay_base_ms


# -- parsing ---------------------------------------------------------------------------------
def lookup(mapping: Mapping[str, V], name: str) -> V | None:
    """Case-insensitive lookup of a node name."""
    want = name.lower()
    for key, value in mapping.items():
        if key.lower() == want:
            return value
    return None


def parse_targets(text: str | None) -> tuple[str, ...]:
    """Target names in a host list or in a `list` action's output (Pacemaker's parse rules)."""
    if not text:
        return ()
    out: list[str] = []
    for line in text.replace("\\n", "\n").splitlines():
        if "invalid" in line or "variable" in line:
            continue  # an agent complaining about a parameter it does not know
        for token in re.split(r"[\s,;]+", line):
            m = _ENTRY.match(token)
            if m and m.group(0).lower() not in ("on", "off"):
                out.append(m.group(0))
    return tuple(out)


def parse_host_map(text: str | None) -> tuple[dict[str, str], tuple[str, ...]]:
    """`node:port;node2:port2` -> ({node: port}, fragments that are not `name:value`)."""
    mapping: dict[str, str] = {}
    bad: list[str] = []
    if not text:
        return mapping, ()
    name: str | None = None
    last = i = 0
    n = len(text)
    while i <= n:
        ch = text[i] if i < n else ""
        if ch == "\\":
            i += 2  # the escaped character is part of the name or value
            continue
        if ch in ("=", ":"):
            if i > last:
                name = text[last:i]
            last = i + 1
        elif ch in ("", ";", " ", "\t"):
            if name is not None:
                mapping[name] = re.sub(r"\\(.)", r"\1", text[last:i])
                name = None
            elif i > last:
                bad.append(text[last:i])
            last = i + 1
        i += 1
    return mapping, tuple(bad)


def parse_delay_base(text: str | None) -> tuple[int | None, dict[str, int], tuple[str, ...]]:
    """pcmk_delay_base: (plain delay in ms or None, per-node map, entries that do not parse)."""
    if text is None or not text.strip():
        return 0, {}, ()
    if ":" not in text:
        ms = parse_interval_ms(text)
        return ms, {}, () if ms is not None else (text,)
    mapping: dict[str, int] = {}
    bad: list[str] = []
    for entry in re.split(r"[;\s]+", text.strip()):
        if not entry:
            continue
        node, _, value = entry.partition(":")
        ms = parse_interval_ms(value) if node and value else None
        if ms is None:
            bad.append(entry)
        else:
            mapping[node] = ms
    return 0, mapping, tuple(bad)


def is_steering(name: str) -> bool:
    """A parameter the fencer handles itself and never passes to the agent."""
    if name in ("provides", "stonith-timeout") or name in _STEERING:
        return True
    return _PER_ACTION.match(name) is not None


def _passed(name: str) -> bool:
    return not (is_steering(name) or name.lower() == "action" or "CRM_meta" in name
                or name.lower() == "crm_feature_set")


def _disabled(prim: Primitive) -> bool:
    meta = flatten(prim.meta_attributes)
    return meta.get("target-role", "").lower() == "stopped"


def _stonith_primitives(cib: Cib) -> list[Primitive]:
    return [r for r in walk(cib.configuration.resources)
            if isinstance(r, Primitive) and r.standard == "stonith"]


def _raw_params(prim: Primitive) -> dict[str, str]:
    """Instance attributes (rules not evaluated), with a legacy `action` turned into overrides
    as pacemaker-fenced does: off -> pcmk_reboot_action=off; anything but reboot -> both."""
    params = flatten(prim.instance_attributes)
    legacy = params.pop("action", None)
    if legacy and legacy != "reboot":
        targets = ("reboot",) if legacy == "off" else ("off", "reboot")
        for action in targets:
            params.setdefault(f"pcmk_{action}_action", legacy)
    return params


def _ms(value: str | None) -> int:
    ms = parse_interval_ms(value)
    return ms if ms is not None and ms >= 0 else 0


def default_host_check(*, has_static: bool, info: AgentInfo | None) -> HostCheck | None:
    if has_static:
        return "static-list"
    if info is None:
        return None
    if "list" in info.actions:
        return "dynamic-list"
    if "status" in info.actions:
        return "status"
    return "none"


def _effective_host_check(configured: str | None, has_static: bool,
                          info: AgentInfo | None) -> HostCheck | None:
    if configured is not None:
        for check in HOST_CHECKS:
            if configured.lower() == check:
                return check
        return None  # invalid: this device fences nothing (FENCE_HOST_CHECK_INVALID)
    return default_host_check(has_static=has_static, info=info)


def device_from_primitive(prim: Primitive, info: AgentInfo | None = None) -> FenceDevice:
    params = _raw_params(prim)
    host_map, _ = parse_host_map(params.get("pcmk_host_map"))
    host_list = parse_targets(params.get("pcmk_host_list"))
    configured = params.get("pcmk_host_check")
    has_static = "pcmk_host_list" in params or "pcmk_host_map" in params
    base, base_map, _ = parse_delay_base(params.get("pcmk_delay_base"))
    overrides: dict[str, str] = {}
    timeouts: dict[str, int] = {}
    retries: dict[str, int] = {}
    for name, value in params.items():
        m = _PER_ACTION.match(name)
        if not m:
            continue
        action, kind = m.group(1), m.group(2)
        if kind == "action" and value:
            overrides[action] = value
        elif kind == "timeout" and (ms := parse_interval_ms(value)) is not None and ms > 0:
            timeouts[action] = ms
        elif kind == "retries" and value.strip().isdigit():
            retries[action] = int(value)
    return FenceDevice(
        id=prim.id, agent=prim.agent_type, params={k: v for k, v in params.items() if _passed(k)},
        host_list=host_list, host_map=host_map,
        host_check=_effective_host_check(configured, has_static, info), host_check_configured=configured,
        host_argument=params.get("pcmk_host_argument"),
        delay_base_ms=base or 0, delay_base_map=base_map, delay_max_ms=_ms(params.get("pcmk_delay_max")),
        action_overrides=overrides, action_timeouts_ms=timeouts, action_retries=retries, agent_info=info)


def devices_from_cib(cib: Cib, *, agents: Mapping[str, AgentInfo] | None = None,
                     local_node: str | None = None) -> tuple[FenceDevice, ...]:
    """Every enabled stonith primitive, in document order. `agents` (agent name -> its
    metadata, see `vigil.fencer.agent_info`) completes host_check's defaults; without it a device
    with no host list or map has host_check None and `fence` asks the agent. With `local_node`,
    a device that a location constraint bans from that node (score -INFINITY, by node name) is
    left out: like Pacemaker, a node does not use a device it may not run."""
    known = agents or {}
    banned = banned_devices(cib, local_node) if local_node is not None else set()
    return tuple(device_from_primitive(p, known.get(p.agent_type)) for p in _stonith_primitives(cib)
                 if not _disabled(p) and p.id not in banned)


def banned_devices(cib: Cib, node: str) -> set[str]:
    """The ids of resources banned from `node` by a location constraint naming it directly with
    score -INFINITY (rule-based constraints are not evaluated here)."""
    return {c.rsc for c in cib.configuration.constraints
            if isinstance(c, Location) and c.rsc is not None and c.node == node
            and c.score is not None and c.score <= -INFINITY and not c.rules}


def with_agent_info(device: FenceDevice, info: AgentInfo | None) -> FenceDevice:
    """The device once its agent's metadata is known (or known to be unavailable: None keeps
    Pacemaker's behaviour for an agent without metadata: no list, no status, no reboot)."""
    has_static = bool(device.host_list or device.host_map) or device.host_check == "static-list"
    empty = AgentInfo(device.agent, frozenset(), frozenset())
    info = info or empty
    check = _effective_host_check(device.host_check_configured, has_static, info)
    return dataclasses.replace(device, agent_info=info, host_check=check)


def levels_from_cib(cib: Cib) -> tuple[FencingLevel, ...]:
    """The fencing-topology's levels in document order; ones `config_reports` flags as invalid
    (no index, index outside 1..9, no target, no devices) are left out."""
    topology = cib.configuration.fencing_topology
    if topology is None:
        return ()
    return tuple(level for level in topology.levels if not _level_problems(level))


def levels_for(target: str, levels: Iterable[FencingLevel],
               attributes: Mapping[str, str] | None = None) -> tuple[FencingLevel, ...]:
    """The levels that apply to `target`, by ascending index: those naming it exactly, else those
    of the first target-pattern that matches, else those of the first attribute that matches."""
    attrs = attributes or {}
    levels = tuple(levels)
    exact = [lv for lv in levels if lv.target is not None and lv.matches(target, attrs)]
    if exact:
        return tuple(sorted(exact, key=lambda lv: lv.index or 0))
    for kind in ("pattern", "attribute"):
        first: FencingLevel | None = None
        for lv in levels:
            is_kind = lv.target_pattern is not None if kind == "pattern" else (
                lv.target is None and lv.target_pattern is None and lv.target_attribute is not None)
            if is_kind and lv.matches(target, attrs):
                first = lv
                break
        if first is not None:
            key = (first.target_pattern, first.target_attribute, first.target_value)
            same = [lv for lv in levels
                    if (lv.target_pattern, lv.target_attribute, lv.target_value) == key and lv.target is None]
            return tuple(sorted(same, key=lambda lv: lv.index or 0))
    return ()


# -- capability without running anything ------------------------------------------------------
def static_capability(device: FenceDevice, target: str, action: str) -> bool | None:
    """Whether `device` can fence `target` by its configuration alone; None when only the agent
    can tell (dynamic-list, status) or its metadata is not known yet."""
    if action == "on" and device.supports("on") is False:
        return False
    if device.host_check_configured is not None and device.host_check is None:
        return False  # an invalid pcmk_host_check fences nothing
    check = device.host_check
    if check == "none":
        return True
    if check == "static-list":
        return (any(h.lower() == target.lower() for h in device.host_list)
                or lookup(device.host_map, target) is not None)
    return None


def listed(device: FenceDevice, target: str, targets: Iterable[str]) -> bool:
    """Whether a dynamic list names the target (by its host_map alias when it has one)."""
    want = device.port_for(target).lower()
    return any(t.lower() == want for t in targets)


# -- reports ---------------------------------------------------------------------------------
def _level_problems(level: FencingLevel) -> list[str]:
    problems = []
    if level.index is None:
        # not a number (the text the CIB has is kept among the extra attributes), or missing
        problems.append(f"index {dict(level.extra.attrs).get('index')!r}")
    elif not 1 <= level.index <= MAX_LEVEL_INDEX:
        problems.append(f"index {level.index} is not within 1..{MAX_LEVEL_INDEX}")
    kinds = [level.target is not None, level.target_pattern is not None, level.target_attribute is not None]
    if sum(kinds) != 1:
        problems.append("exactly one of target, target-pattern, target-attribute is needed")
    if level.target_attribute is not None and level.target_value is None:
        problems.append("target-attribute needs target-value")
    if level.target_pattern is not None:
        try:
            re.compile(level.target_pattern)
        except re.error as exc:
            problems.append(f"target-pattern: {exc}")
    if not level.devices:
        problems.append("no devices")
    return problems


def config_reports(cib: Cib) -> tuple[Report, ...]:
    """What is wrong with the fencing configuration, as reports (no agent is run). Errors: a
    host map, host check, delay or timeout that does not parse, a static-list device with no
    target, an invalid level or one naming an unknown device. Warnings: a static-list device
    naming no node of the configuration, pcmk_delay_base above pcmk_delay_max."""
    out: list[Report] = []
    known_nodes = {n.uname.lower() for n in cib.configuration.nodes}
    prims = _stonith_primitives(cib)
    for prim in prims:
        params = _raw_params(prim)
        if not AGENT_NAME.match(prim.agent_type):
            out.append(reports.error("FENCE_AGENT_INVALID", device=prim.id, agent=prim.agent_type))
        host_map, bad = parse_host_map(params.get("pcmk_host_map"))
        if bad or ("pcmk_host_map" in params and not host_map and params["pcmk_host_map"].strip()):
            out.append(reports.error("FENCE_HOST_MAP_INVALID", device=prim.id, value=params["pcmk_host_map"],
                                     near=", ".join(bad)))
        empty_ports = sorted(k for k, v in host_map.items() if not v)
        if empty_ports:
            out.append(reports.error("FENCE_HOST_MAP_INVALID", device=prim.id, value=params["pcmk_host_map"],
                                     near=", ".join(f"{k}:" for k in empty_ports)))
        configured = params.get("pcmk_host_check")
        if configured is not None and configured.lower() not in HOST_CHECKS:
            out.append(reports.error("FENCE_HOST_CHECK_INVALID", device=prim.id, value=configured,
                                     allowed=", ".join(HOST_CHECKS)))
        if "pcmk_delay_max" in params and parse_interval_ms(params["pcmk_delay_max"]) is None:
            out.append(reports.error("FENCE_PARAMETER_INVALID", device=prim.id, name="pcmk_delay_max",
                                     value=params["pcmk_delay_max"]))
        base, _, bad_base = parse_delay_base(params.get("pcmk_delay_base"))
        if base is None or bad_base:
            out.append(reports.error("FENCE_PARAMETER_INVALID", device=prim.id, name="pcmk_delay_base",
                                     value=params.get("pcmk_delay_base", "")))
        for name, value in params.items():
            m = _PER_ACTION.match(name)
            kind = m.group(2) if m else ""
            bad_timeout = kind == "timeout" and (parse_interval_ms(value) or 0) <= 0
            if bad_timeout or (kind == "retries" and not value.strip().isdigit()):
                out.append(reports.error("FENCE_PARAMETER_INVALID", device=prim.id, name=name, value=value))
        dev = device_from_primitive(prim)
        if dev.delay_max_ms and max([dev.delay_base_ms, *dev.delay_base_map.values()]) > dev.delay_max_ms:
            out.append(reports.warning("FENCE_DELAY_BASE_ABOVE_MAX", device=prim.id,
                                       base=params.get("pcmk_delay_base", ""),
                                       max=params.get("pcmk_delay_max", "")))
        if dev.host_check == "static-list":
            targets = {*(h.lower() for h in dev.host_list), *(h.lower() for h in dev.host_map)}
            if not targets:
                out.append(reports.error("FENCE_DEVICE_NO_TARGET", device=prim.id, host_check="static-list"))
            elif known_nodes and not targets & known_nodes:
                out.append(reports.warning("FENCE_DEVICE_NO_KNOWN_TARGET", device=prim.id,
                                           targets=", ".join(sorted(targets)),
                                           nodes=", ".join(sorted(known_nodes))))
    out.extend(_topology_reports(cib, {p.id for p in prims}))
    return tuple(out)


def _topology_reports(cib: Cib, device_ids: set[str]) -> list[Report]:
    out: list[Report] = []
    seen: dict[tuple[object, ...], str] = {}
    topology = cib.configuration.fencing_topology
    for level in topology.levels if topology is not None else ():
        lid = level.id
        for problem in _level_problems(level):
            out.append(reports.error("FENCE_LEVEL_INVALID", level=lid, detail=problem))
        for dev in level.devices:
            if dev not in device_ids:
                out.append(reports.error("FENCE_LEVEL_DEVICE_UNKNOWN", level=lid, device=dev))
        key = (level.target, level.target_pattern, level.target_attribute, level.target_value, level.index)
        if key in seen:
            out.append(reports.error("FENCE_LEVEL_DUPLICATE", level=lid, other=seen[key], index=level.index))
        else:
            seen[key] = lid
    return out
