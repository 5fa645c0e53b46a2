"""The agents installed on this machine, through the executor: the catalog `-f FILE` uses."""

from __future__ import annotations

import asyncio

from vigil.commands.agents import AgentAction, AgentMetadata, AgentName, AgentParameter
from vigil.executor import agents as installed
from vigil.executor import metadata as agent_metadata
from vigil.model.reports import ReportError


def _seconds(ms: int | None) -> str | None:
    if ms is None:
        return None
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


class ExecutorCatalog:
    """`AgentCatalog` over `vigil.executor`: what is installed here and what agents say."""

    def __init__(self, paths: installed.AgentPaths = installed.DEFAULT_PATHS) -> None:
        self.paths = paths

    def standards(self) -> tuple[str, ...]:
        return tuple(s.value for s in installed.list_standards(paths=self.paths))

    def providers(self) -> tuple[str, ...]:
        return installed.list_ocf_providers(paths=self.paths)

    def agents(self, standard: str, provider: str | None) -> tuple[AgentName, ...]:
        query = f"{standard}:{provider}" if provider else standard
        return tuple(AgentName(r.standard.value, r.provider, r.type)
                     for r in installed.list_agents(query, paths=self.paths))

    def metadata(self, agent: AgentName) -> AgentMetadata | None:
        try:
            spec = installed.resolve_agent(str(agent), paths=self.paths)
        except ReportError as exc:
            if any(r.code == "AGENT_NOT_FOUND" for r in exc.reports):
                return None
            raise
        md = asyncio.run(agent_metadata.fetch_metadata(spec))
        return AgentMetadata(
            agent=agent, shortdesc=md.shortdesc, longdesc=md.longdesc,
            parameters=tuple(AgentParameter(p.name, p.shortdesc, p.longdesc, p.type, p.default,
                                            p.required, p.unique, p.deprecated)
                             for p in md.parameters),
            actions=tuple(AgentAction(a.name, _seconds(a.interval_ms), _seconds(a.timeout_ms),
                                      a.role, None if a.depth is None else str(a.depth))
                          for a in md.actions))
