"""Resource agents as the commands see them: names, the catalog of installed agents, metadata.

Parsing an agent name is pure. What is installed, and what an agent's parameters are, comes
from an `AgentCatalog`: the executor of this machine for a CIB file, vigild for the running
cluster, a fixed list in tests. Without a catalog, names are checked for syntax only.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Protocol

from vigil.commands import fencer_params
from vigil.model import reports
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Primitive

# Standards (the CIB's "class" attribute); only ocf agents have a provider.
STANDARDS = ("ocf", "lsb", "service", "systemd", "stonith")
# Actions any agent may be given an operation for (OCF 1.1 and Pacemaker's own).
KNOWN_ACTIONS = ("start", "stop", "monitor", "status", "promote", "demote", "notify",
                 "reload", "reload-agent", "migrate_to", "migrate_from", "meta-data",
                 "validate-all")

# Fence agent parameters the fencer fills in itself (the action, the target's port or name).
_FENCER_SUPPLIED = frozenset({"action", "port", "plug", "nodename"})


@dataclass(frozen=True)
class AgentName:
    standard: str
    provider: str | None
    type: str

    def __str__(self) -> str:
        if self.provider:
            return f"{self.standard}:{self.provider}:{self.type}"
        return f"{self.standard}:{self.type}"


@dataclass(frozen=True)
class AgentParameter:
    name: str
    shortdesc: str = ""
    longdesc: str = ""
    type: str = "string"
    default: str | None = None
    required: bool = False
    unique: bool = False
    deprecated: bool = False


@dataclass(frozen=True)
class AgentAction:
    name: str
    interval: str | None = None
    timeout: str | None = None
    role: str | None = None
    depth: str | None = None


@dataclass(frozen=True)
class AgentMetadata:
    agent: AgentName
    shortdesc: str
    longdesc: str
    parameters: tuple[AgentParameter, ...]
    actions: tuple[AgentAction, ...]


class AgentCatalog(Protocol):
    """The agents installed where resources run. Backed by the executor (this machine) or by
    vigild (the running cluster)."""

    def standards(self) -> tuple[str, ...]:
        """The standards with at least one agent installed."""
        ...

    def providers(self) -> tuple[str, ...]:
        """The OCF providers installed."""
        ...

    def agents(self, standard: str, provider: str | None) -> tuple[AgentName, ...]:
        """Installed agents of a standard (and OCF provider, if given), sorted."""
        ...

    def metadata(self, agent: AgentName) -> AgentMetadata | None:
        """The agent's metadata, or None if the agent is not installed."""
        ...


def installed_catalog() -> AgentCatalog | None:
    """The agents installed on this machine, when vigil's executor can list them: what the
    CLI and the endpoint's REST API check a resource's agent and parameters against."""
    try:
        from vigil.commands.local_agents import ExecutorCatalog
    except ImportError:
        return None
    return ExecutorCatalog()


def metadata_of(catalog: AgentCatalog | None, prim: Primitive) -> AgentMetadata | None:
    """The metadata of a configured primitive's agent; None without a catalog or the agent."""
    if catalog is None:
        return None
    return catalog.metadata(AgentName(prim.standard, prim.provider, prim.agent_type))


def parse_agent_name(text: str, *, default_standard: str | None = None) -> AgentName | None:
    """`standard:provider:type`, `standard:type`, or None for a bare type (to be resolved).

    Raises ReportError INVALID_AGENT_NAME for a malformed name or an unknown standard. With
    `default_standard` (stonith for `stonith create`), a bare type belongs to that standard."""
    parts = text.split(":")
    if any(not p for p in parts) or len(parts) > 3:
        raise ReportError([reports.error("INVALID_AGENT_NAME", agent=text,
                                         reason="it must be standard:provider:type, "
                                                "standard:type or type")])
    if len(parts) == 1:
        if default_standard is not None:
            return AgentName(default_standard, None, text)
        return None
    standard = parts[0].lower()
    if standard not in STANDARDS:
        raise ReportError([reports.error("INVALID_AGENT_NAME", agent=text,
                                         reason=f"'{parts[0]}' is not a standard ("
                                                f"{', '.join(STANDARDS)})")])
    if standard == "ocf":
        if len(parts) != 3:
            raise ReportError([reports.error("INVALID_AGENT_NAME", agent=text,
                                             reason="an ocf agent needs a provider: "
                                                    "ocf:provider:type")])
        return AgentName("ocf", parts[1], parts[2])
    if len(parts) == 3:
        raise ReportError([reports.error("INVALID_AGENT_NAME", agent=text,
                                         reason=f"only ocf agents have a provider, not "
                                                f"{standard}")])
    if default_standard == "stonith" and standard != "stonith":
        raise ReportError([reports.error("INVALID_AGENT_NAME", agent=text,
                                         reason="a fence device needs a stonith agent")])
    return AgentName(standard, None, parts[1])


def resolve(text: str, catalog: AgentCatalog | None, *, force: bool,
            default_standard: str | None = None) -> tuple[AgentName, AgentMetadata | None,
                                                           list[Report]]:
    """The agent `text` names, its metadata when a catalog knows it, and the reports.

    A bare type is looked up among the installed agents as pcs does: a single match is taken
    (with an AGENT_NAME_DEDUCED info), several or none are an error. An agent the catalog does
    not have is an error unless forced."""
    found: list[Report] = []
    name = parse_agent_name(text, default_standard=default_standard)
    if name is None:
        if catalog is None:
            raise ReportError([reports.error("AGENT_NAME_NEEDS_STANDARD", agent=text)])
        matches = [a for std in catalog.standards() if std != "stonith"
                   for a in catalog.agents(std, None) if a.type == text]
        if not matches:
            raise ReportError([reports.error("AGENT_NOT_FOUND", agent=text)])
        if len(matches) > 1:
            raise ReportError([reports.error("AGENT_NAME_AMBIGUOUS", agent=text,
                                             matches=", ".join(str(m) for m in matches))])
        name = matches[0]
        found.append(reports.info("AGENT_NAME_DEDUCED", agent=str(name), given=text))
    if catalog is None:
        return name, None, found
    meta = catalog.metadata(name)
    if meta is None:
        found.append(reports.unless_forced(force, "AGENT_NOT_FOUND", agent=str(name)))
    return name, meta, found


def check_parameters(meta: AgentMetadata | None, given: dict[str, str], *, force: bool,
                     creating: bool) -> list[Report]:
    """Unknown parameters, and (when creating) missing required ones, as forceable errors."""
    if meta is None:
        return []
    out: list[Report] = []
    known = {p.name: p for p in meta.parameters}
    fencer_own = meta.agent.standard == "stonith"  # pcmk_* are the fencer's, not the agent's
    for name in given:
        if name in known and known[name].deprecated:
            out.append(reports.warning("AGENT_PARAMETER_DEPRECATED", agent=str(meta.agent),
                                       parameter=name))
        if name not in known and not (fencer_own and fencer_params.is_fencer_parameter(name)):
            close = difflib.get_close_matches(name, list(known), n=3)
            out.append(reports.unless_forced(
                force, "AGENT_PARAMETER_UNKNOWN", agent=str(meta.agent), parameter=name,
                suggestions=", ".join(close) if close else ", ".join(sorted(known)[:12])))
    if fencer_own:
        out += fencer_params.check(str(meta.agent), given, force=force)
    supplied = _FENCER_SUPPLIED if fencer_own else frozenset()
    missing = [p.name for p in meta.parameters if p.required and not p.deprecated
               and p.name not in supplied
               and given.get(p.name, "") == "" and (creating or p.name in given)]
    if missing:
        out.append(reports.unless_forced(force, "AGENT_PARAMETER_MISSING",
                                         agent=str(meta.agent), parameters=", ".join(missing)))
    return out


def action_suggestion(name: str) -> str:
    close = difflib.get_close_matches(name, KNOWN_ACTIONS, n=1)
    return close[0] if close else ""
