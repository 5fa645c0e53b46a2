"""What an agent declares about itself: parameters and actions, from its `meta-data` output
(OCF, fence agents) or synthesized (LSB, systemd). Parsed at the edge into frozen data.

Also: checking a resource's instance attributes against it, and the `validate-all` runner.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from vigil.executor.agents import AgentSpec, Standard
from vigil.executor.run import OperationResult, run_operation
from vigil.model import reports
from vigil.model.durations import parse_interval_ms
from vigil.model.ocf import ExecStatus, OcfResult
from vigil.model.reports import Report, ReportError
from vigil.model.values import is_true

METADATA_TIMEOUT_MS = 5000  # Pacemaker's for meta-data
VALIDATE_TIMEOUT_MS = 20000
METADATA_MAX_BYTES = 1 << 20  # far above any real agent's (IPaddr2's is 12 KB)
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class ParameterSpec:
    name: str
    type: str = "string"
    default: str | None = None
    required: bool = False
    unique: bool = False
    unique_group: str | None = None  # OCF 1.1
    reloadable: bool = False  # OCF 1.1
    private: bool = False
    deprecated: bool = False
    choices: tuple[str, ...] = ()  # OCF 1.1 type="select"
    shortdesc: str = ""
    longdesc: str = ""


@dataclass(frozen=True)
class ActionSpec:
    name: str
    timeout_ms: int | None = None
    interval_ms: int | None = None
    depth: int | None = None
    role: str | None = None
    start_delay_ms: int | None = None


@dataclass(frozen=True)
class AgentMetadata:
    agent: str  # "ocf:heartbeat:IPaddr2"
    name: str  # the resource-agent element's name
    version: str | None  # the agent's own version
    ocf_version: str | None  # the OCF version it implements (<version>), None if not said
    shortdesc: str = ""
    longdesc: str = ""
    parameters: tuple[ParameterSpec, ...] = ()
    actions: tuple[ActionSpec, ...] = ()
    synthesized: bool = False  # made up by vigil (LSB, systemd), not said by the agent

    def parameter(self, name: str) -> ParameterSpec | None:
        for p in self.parameters:
            if p.name == name:
                return p
        return None

    def action(self, name: str, interval_ms: int | None = None) -> ActionSpec | None:
        for a in self.actions:
            if a.name == name and (interval_ms is None or (a.interval_ms or 0) == interval_ms):
                return a
        return None

    @property
    def ocf_1_1(self) -> bool:
        return _version_at_least(self.ocf_version, (1, 1))

    @property
    def supports_reload_agent(self) -> bool:
        """reload-agent is used only with agents that say they implement OCF 1.1 or later."""
        return self.ocf_1_1 and self.action("reload-agent") is not None

    @property
    def supports_legacy_reload(self) -> bool:
        return not self.ocf_1_1 and self.action("reload") is not None

    @property
    def restart_parameters(self) -> tuple[str, ...] | None:
        """The parameters whose change needs a restart (op-force-restart), in Pacemaker's order
        (reverse metadata order: the controller prepends as it parses), or None if the agent
        cannot reload at all. OCF 1.1: those not reloadable; older agents: the unique ones."""
        if self.supports_reload_agent:
            names = [p.name for p in self.parameters if not p.reloadable]
        elif self.supports_legacy_reload:
            names = [p.name for p in self.parameters if p.unique]
        else:
            return None
        return tuple(reversed(names))


def _version_at_least(text: str | None, want: tuple[int, ...]) -> bool:
    """Pacemaker's compare_version: dot-separated integers, missing parts count as 0."""
    if not text:
        return False
    parts: list[int] = []
    for piece in text.strip().split("."):
        m = re.match(r"\d+", piece)
        parts.append(int(m.group()) if m else 0)
    width = max(len(parts), len(want))
    return (parts + [0] * (width - len(parts))) >= (list(want) + [0] * (width - len(want)))


def _flag(el: ET.Element, attr: str) -> bool:
    return is_true(el.get(attr))


def _text_of(el: ET.Element | None) -> str:
    if el is None:
        return ""
    return "".join(el.itertext()).strip()


def _desc(el: ET.Element, tag: str) -> str:
    # Prefer English where an agent gives several languages.
    found = el.findall(tag)
    for d in found:
        if d.get("lang", "en") == "en":
            return _text_of(d)
    return _text_of(found[0]) if found else el.get(tag, "").strip()


def _ms(value: str | None) -> int | None:
    return parse_interval_ms(value) if value is not None else None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _parameter(el: ET.Element) -> ParameterSpec:
    content = el.find("content")
    choices: tuple[str, ...] = ()
    ptype = "string"
    default = None
    if content is not None:
        ptype = content.get("type", "string")
        default = content.get("default")
        choices = tuple(o.get("value", "") for o in content.findall("option"))
    return ParameterSpec(
        name=el.get("name", ""), type=ptype, default=default,
        required=_flag(el, "required"), unique=_flag(el, "unique"),
        unique_group=el.get("unique-group"), reloadable=_flag(el, "reloadable"),
        private=_flag(el, "private"),
        deprecated=el.find("deprecated") is not None or _flag(el, "deprecated"),
        choices=choices, shortdesc=_desc(el, "shortdesc"), longdesc=_desc(el, "longdesc"))


def _action(el: ET.Element) -> ActionSpec:
    return ActionSpec(
        name=el.get("name", ""), timeout_ms=_ms(el.get("timeout")), interval_ms=_ms(el.get("interval")),
        depth=_int(el.get("depth")), role=el.get("role"), start_delay_ms=_ms(el.get("start-delay")))


def parse_metadata(text: str, *, agent: str) -> AgentMetadata:
    """Parse an agent's meta-data XML; raises ReportError AGENT_METADATA_INVALID."""
    def invalid(detail: str) -> ReportError:
        return ReportError([reports.error("AGENT_METADATA_INVALID", agent=agent, detail=detail)])

    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as exc:
        raise invalid(f"not well-formed XML: {exc}") from None
    if root.tag != "resource-agent":
        raise invalid(f"root element is <{root.tag}>, not <resource-agent>")
    # A parameter or action without a name is skipped, as Pacemaker does (with a warning).
    parameters = tuple(_parameter(p) for p in root.findall("parameters/parameter") if p.get("name"))
    actions = tuple(_action(a) for a in root.findall("actions/action") if a.get("name"))
    version_el = root.find("version")
    return AgentMetadata(
        agent=agent, name=root.get("name", ""), version=root.get("version"),
        ocf_version=_text_of(version_el) or None,
        shortdesc=_desc(root, "shortdesc"), longdesc=_desc(root, "longdesc"),
        parameters=parameters, actions=actions)


# -- synthesized -------------------------------------------------------------------------------
_LSB_HEADER = re.compile(r"^# ([A-Za-z-]+):\s*(.*)$")


def lsb_metadata(spec: AgentSpec) -> AgentMetadata:
    """What Pacemaker makes for an init script: no parameters, fixed 15 s actions, and the
    descriptions of its LSB header ("### BEGIN INIT INFO")."""
    short = long = ""
    try:
        assert spec.path is not None
        lines = spec.path.read_text(errors="replace").splitlines()
    except (OSError, AssertionError):
        lines = []
    in_header = False
    for i, line in enumerate(lines):
        if line.startswith("### BEGIN INIT INFO"):
            in_header = True
            continue
        if line.startswith("### END INIT INFO"):
            break
        if not in_header:
            continue
        m = _LSB_HEADER.match(line)
        if not m:
            continue
        if m.group(1) == "Short-Description" and not short:
            short = m.group(2).strip()
        elif m.group(1) == "Description" and not long:
            # Continuation lines start with "#" and a tab or more than one space.
            more = []
            for follow in lines[i + 1:]:
                if follow.startswith(("#  ", "#\t")):
                    more.append(follow[1:].strip())
                else:
                    break
            long = " ".join([m.group(2).strip(), *more]).strip()
    actions = tuple(ActionSpec(n, timeout_ms=15000) for n in
                    ("start", "stop", "status", "restart", "force-reload")) + (
        ActionSpec("monitor", timeout_ms=15000, interval_ms=15000), ActionSpec("meta-data", timeout_ms=5000))
    return AgentMetadata(agent=spec.name, name=spec.type, version="0.1", ocf_version="1.0",
                         shortdesc=short or spec.type, longdesc=long, actions=actions, synthesized=True)


def systemd_metadata(spec: AgentSpec) -> AgentMetadata:
    """What Pacemaker makes for a unit: no parameters, 100 s actions, a 60 s monitor."""
    actions = (ActionSpec("start", timeout_ms=100000), ActionSpec("stop", timeout_ms=100000),
               ActionSpec("status", timeout_ms=100000),
               ActionSpec("monitor", timeout_ms=100000, interval_ms=60000),
               ActionSpec("meta-data", timeout_ms=5000))
    return AgentMetadata(agent=spec.name, name=spec.unit, version="0.1", ocf_version="1.0",
                         shortdesc=f"systemd unit file for {spec.type}",
                         longdesc=f"Cluster Controlled {spec.type}", actions=actions, synthesized=True)


async def fetch_metadata(spec: AgentSpec, *, timeout_ms: int = METADATA_TIMEOUT_MS) -> AgentMetadata:
    """Ask the agent (uncached). Raises ReportError AGENT_METADATA_UNAVAILABLE or _INVALID."""
    if spec.runs_as is Standard.LSB:
        return lsb_metadata(spec)
    if spec.runs_as is Standard.SYSTEMD:
        return systemd_metadata(spec)
    result = await run_operation(spec, "meta-data", {}, timeout_ms=timeout_ms, resource_id="",
                                 stdout_limit=METADATA_MAX_BYTES)
    if result.status is not ExecStatus.DONE or result.rc is not OcfResult.OK or not result.stdout.strip():
        raise ReportError([reports.error(
            "AGENT_METADATA_UNAVAILABLE", agent=spec.name, rc=result.rc.name, status=result.status.name,
            reason=result.exit_reason or result.stderr.strip()[-200:])])
    if len(result.stdout.encode()) >= METADATA_MAX_BYTES:
        raise ReportError([reports.error("AGENT_METADATA_INVALID", agent=spec.name,
                                         detail=f"longer than {METADATA_MAX_BYTES} bytes")])
    md = parse_metadata(result.stdout, agent=spec.name)
    return _as_fence_device(md) if spec.runs_as is Standard.STONITH else md


def _as_fence_device(md: AgentMetadata) -> AgentMetadata:
    """What Pacemaker makes of a fence agent's metadata (stonith__rhcs_get_metadata): the
    fencer supplies action, plug and port itself, so they are not required of the
    configuration; start and stop (the fencer's, not the agent's) are added."""
    params = tuple(dataclasses.replace(p, required=False) if p.name in ("action", "plug", "port") else p
                   for p in md.parameters)
    actions = md.actions
    if md.action("stop") is None:
        actions += (ActionSpec("stop", timeout_ms=20000), ActionSpec("start", timeout_ms=20000))
    return dataclasses.replace(md, parameters=params, actions=actions)


class MetadataCache:
    """Metadata per agent, fetched once; concurrent askers share one fetch. Failures are not
    cached (the agent may be installed later)."""

    def __init__(self, *, timeout_ms: int = METADATA_TIMEOUT_MS) -> None:
        self._timeout_ms = timeout_ms
        self._known: dict[tuple[str, str | None, str], AgentMetadata] = {}
        self._inflight: dict[tuple[str, str | None, str], asyncio.Task[AgentMetadata]] = {}

    @staticmethod
    def _key(spec: AgentSpec) -> tuple[str, str | None, str]:
        return (spec.standard.value, spec.provider, spec.type)

    def cached(self, spec: AgentSpec) -> AgentMetadata | None:
        return self._known.get(self._key(spec))

    async def get(self, spec: AgentSpec) -> AgentMetadata:
        key = self._key(spec)
        known = self._known.get(key)
        if known is not None:
            return known
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(fetch_metadata(spec, timeout_ms=self._timeout_ms))
            self._inflight[key] = task
        try:
            md = await asyncio.shield(task)
        finally:
            if task.done():
                self._inflight.pop(key, None)
        self._known[key] = md
        return md

    def invalidate(self, spec: AgentSpec | None = None) -> None:
        if spec is None:
            self._known.clear()
        else:
            self._known.pop(self._key(spec), None)


# -- validation --------------------------------------------------------------------------------
def validate_instance_attributes(metadata: AgentMetadata, params: Mapping[str, str]) -> tuple[Report, ...]:
    """Instance attributes against the agent's parameters: unknown names, missing required
    ones (an empty value counts as missing), values outside a select's choices, and deprecated
    names (a warning)."""
    found: list[Report] = []
    stonith = metadata.agent.startswith("stonith:")
    known = {p.name for p in metadata.parameters}
    for name in sorted(params):
        # pcmk_* are the fencer's own device parameters, not the fence agent's.
        if name in known or (stonith and name.startswith("pcmk_")):
            continue
        found.append(reports.error("AGENT_PARAMETER_UNKNOWN", agent=metadata.agent, parameter=name,
                                   allowed=", ".join(sorted(known))))
    for p in metadata.parameters:
        value = params.get(p.name)
        if p.required and not value:
            found.append(reports.error("AGENT_PARAMETER_REQUIRED_MISSING", agent=metadata.agent,
                                       parameter=p.name))
        elif value is not None and p.choices and value not in p.choices:
            found.append(reports.error("AGENT_PARAMETER_INVALID_VALUE", agent=metadata.agent,
                                       parameter=p.name, value=value, allowed=", ".join(p.choices)))
        if value is not None and p.deprecated:
            found.append(reports.warning("AGENT_PARAMETER_DEPRECATED", agent=metadata.agent,
                                         parameter=p.name))
    return tuple(found)


async def run_validate_all(spec: AgentSpec, params: Mapping[str, str], *, resource_id: str,
                           timeout_ms: int = VALIDATE_TIMEOUT_MS,
                           meta: Mapping[str, str] = _EMPTY) -> tuple[OperationResult, tuple[Report, ...]]:
    """Run the agent's validate-all (OCF only; Pacemaker runs it only from tools) and say what
    it means: no report if valid, AGENT_VALIDATION_FAILED (error) or, for agents that cannot
    validate, AGENT_VALIDATION_UNSUPPORTED (warning)."""
    if spec.runs_as is not Standard.OCF:
        result = OperationResult(resource_id=resource_id, action="validate-all", interval_ms=0,
                                 rc=OcfResult.ERR_UNIMPLEMENTED, status=ExecStatus.NOT_SUPPORTED,
                                 exit_reason=f"{spec.runs_as} agents have no validate-all",
                                 params=tuple(sorted(params.items())))
    else:
        result = await run_operation(spec, "validate-all", params, timeout_ms=timeout_ms,
                                     resource_id=resource_id, meta=meta)
    if result.status is ExecStatus.DONE and result.rc is OcfResult.OK:
        return result, ()
    if result.status is ExecStatus.NOT_SUPPORTED or (
            result.status is ExecStatus.DONE and result.rc is OcfResult.ERR_UNIMPLEMENTED):
        return result, (reports.warning("AGENT_VALIDATION_UNSUPPORTED", agent=spec.name),)
    return result, (reports.error(
        "AGENT_VALIDATION_FAILED", agent=spec.name, resource=resource_id, rc=result.rc.name,
        status=result.status.name, reason=result.exit_reason,
        output=(result.stderr.strip() or result.stdout.strip())[-500:]),)
