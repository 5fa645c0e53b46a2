"""Agent names ("ocf:heartbeat:IPaddr2", "lsb:apache2", "systemd:nginx", "service:nginx",
"stonith:fence_ipmilan"), where their executables are on this host, and listing them.

Resolution raises `ReportError` with AGENT_NAME_INVALID (a name that cannot name an agent),
AGENT_STANDARD_UNKNOWN or AGENT_NOT_FOUND (naming every place searched); nothing else.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path

from vigil.model import reports
from vigil.model.reports import ReportError


class Standard(enum.StrEnum):
    """The `class` attribute of a primitive."""

    OCF = "ocf"
    LSB = "lsb"
    SYSTEMD = "systemd"
    SERVICE = "service"  # LSB or systemd, decided on the host (see `resolve_agent`)
    STONITH = "stonith"


# systemd unit suffixes a type may already carry; anything else gets ".service".
_UNIT_SUFFIXES = (".service", ".socket", ".mount", ".timer", ".target", ".path", ".slice", ".scope")
# In /etc/init.d but not services (Debian's and others' helper files).
_NOT_LSB = frozenset({"README", "skeleton", "rc", "rcS", "rc.local", "functions", "halt", "reboot"})
# fence-agents ships these next to the agents; they are tools, not agents.
_NOT_FENCE = frozenset({"fence_ack_manual", "fence_kdump_send", "fence_legacy", "fence_tool"})


@dataclass(frozen=True)
class AgentPaths:
    """Where agents live on a host. Tests pass their own (a temporary OCF root, init dir...)."""

    ocf_root: Path = Path("/usr/lib/ocf")
    init_dir: Path = Path("/etc/init.d")
    fence_dir: Path = Path("/usr/sbin")
    # Exists exactly when systemd is PID 1: the same test as sd_booted(3).
    systemd_run_dir: Path = Path("/run/systemd/system")
    unit_dirs: tuple[Path, ...] = (
        Path("/etc/systemd/system"),
        Path("/run/systemd/system"),
        Path("/run/systemd/generator"),
        Path("/usr/lib/systemd/system"),
        Path("/lib/systemd/system"),
        Path("/run/systemd/generator.late"),
    )
    systemctl: str = "systemctl"

    @property
    def ocf_resource_dir(self) -> Path:
        return self.ocf_root / "resource.d"

    @property
    def ocf_functions_dir(self) -> Path:
        return self.ocf_root / "lib" / "heartbeat"

    def systemd_running(self) -> bool:
        return self.systemd_run_dir.is_dir()


DEFAULT_PATHS = AgentPaths()


@dataclass(frozen=True)
class AgentRef:
    """An agent's name, unresolved: what a configuration or a listing names."""

    standard: Standard
    type: str
    provider: str | None = None

    @property
    def name(self) -> str:
        if self.provider is not None:
            return f"{self.standard}:{self.provider}:{self.type}"
        return f"{self.standard}:{self.type}"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class AgentSpec:
    """A resolved agent: what the configuration named, and how it runs on this host.

    `standard` is as configured (it may be SERVICE, which is what the status section records);
    `runs_as` is LSB or SYSTEMD for a service, and equal to `standard` otherwise.
    `path` is the executable (OCF, LSB, stonith); None for systemd, which runs units.
    """

    standard: Standard
    type: str
    provider: str | None
    runs_as: Standard
    path: Path | None
    paths: AgentPaths = field(default=DEFAULT_PATHS, compare=False)

    @property
    def ref(self) -> AgentRef:
        return AgentRef(self.standard, self.type, self.provider)

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def unit(self) -> str:
        """The systemd unit name ("nginx" -> "nginx.service")."""
        if self.type.endswith(_UNIT_SUFFIXES):
            return self.type
        return f"{self.type}.service"

    def __str__(self) -> str:
        return self.name


def _invalid(text: str, reason: str) -> ReportError:
    return ReportError([reports.error("AGENT_NAME_INVALID", agent=text, reason=reason)])


def _check_component(text: str, part: str, what: str) -> None:
    # A component becomes a path component: refuse anything that could leave its directory.
    if not part:
        raise _invalid(text, f"empty {what}")
    if "/" in part or part in (".", "..") or "\0" in part or part.startswith("-"):
        raise _invalid(text, f"{what} '{part}' is not a plain name")


def parse_standard(text: str) -> Standard:
    try:
        return Standard(text.lower())
    except ValueError:
        raise ReportError([reports.error(
            "AGENT_STANDARD_UNKNOWN", standard=text,
            known=", ".join(s.value for s in Standard))]) from None


def parse_agent_name(text: str) -> AgentRef:
    """"ocf:PROVIDER:TYPE" or "STANDARD:TYPE" (lsb, systemd, service, stonith)."""
    parts = text.split(":")
    if len(parts) == 3:
        standard = parse_standard(parts[0])
        if standard is not Standard.OCF:
            raise _invalid(text, f"only ocf agents have a provider, not {standard}")
        _check_component(text, parts[1], "provider")
        _check_component(text, parts[2], "type")
        return AgentRef(standard, parts[2], parts[1])
    if len(parts) == 2:
        standard = parse_standard(parts[0])
        if standard is Standard.OCF:
            raise _invalid(text, "an ocf agent needs a provider: ocf:PROVIDER:TYPE")
        _check_component(text, parts[1], "type")
        return AgentRef(standard, parts[1])
    raise _invalid(text, "expected STANDARD:TYPE or ocf:PROVIDER:TYPE")


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _not_found(ref: AgentRef, searched: list[Path] | list[str]) -> ReportError:
    return ReportError([reports.error(
        "AGENT_NOT_FOUND", agent=ref.name, searched=", ".join(str(p) for p in searched))])


def _unit_file(unit: str, paths: AgentPaths) -> Path | None:
    for d in paths.unit_dirs:
        candidate = d / unit
        if candidate.exists():
            return candidate
    return None


def resolve_agent(agent: str | AgentRef, *, paths: AgentPaths = DEFAULT_PATHS) -> AgentSpec:
    """Find the agent on this host, or raise AGENT_NOT_FOUND naming every place searched.

    A systemd unit resolves when its unit file exists, even where systemd is not running (the
    configuration is valid; running it then gives a NOT_INSTALLED result). "service" is systemd
    where systemd runs and has the unit, LSB otherwise.
    """
    ref = parse_agent_name(agent) if isinstance(agent, str) else agent
    if ref.standard is Standard.OCF:
        assert ref.provider is not None
        path = paths.ocf_resource_dir / ref.provider / ref.type
        if not _executable(path):
            raise _not_found(ref, [path])
        return AgentSpec(ref.standard, ref.type, ref.provider, Standard.OCF, path, paths)
    if ref.standard is Standard.LSB:
        path = paths.init_dir / ref.type
        if not _executable(path):
            raise _not_found(ref, [path])
        return AgentSpec(ref.standard, ref.type, None, Standard.LSB, path, paths)
    if ref.standard is Standard.STONITH:
        # The fencer runs it; the executor only needs to know it is there (and its metadata).
        path = paths.fence_dir / ref.type
        if not _executable(path):
            raise _not_found(ref, [path])
        return AgentSpec(ref.standard, ref.type, None, Standard.STONITH, path, paths)

    probe = AgentSpec(ref.standard, ref.type, None, Standard.SYSTEMD, None, paths)
    unit_dirs = [d / probe.unit for d in paths.unit_dirs]
    if ref.standard is Standard.SYSTEMD:
        if _unit_file(probe.unit, paths) is None:
            raise _not_found(ref, unit_dirs)
        return probe
    # service
    script = paths.init_dir / ref.type
    if paths.systemd_running() and _unit_file(probe.unit, paths) is not None:
        return probe
    if _executable(script):
        return AgentSpec(ref.standard, ref.type, None, Standard.LSB, script, paths)
    raise _not_found(ref, ([*unit_dirs] if paths.systemd_running() else []) + [script])


# -- listing -----------------------------------------------------------------------------------
def list_standards(*, paths: AgentPaths = DEFAULT_PATHS) -> tuple[Standard, ...]:
    """The standards usable on this host, in Pacemaker's order."""
    found = [Standard.OCF, Standard.LSB, Standard.SERVICE]
    if paths.systemd_running():
        found.append(Standard.SYSTEMD)
    found.append(Standard.STONITH)
    return tuple(found)


def list_ocf_providers(*, paths: AgentPaths = DEFAULT_PATHS) -> tuple[str, ...]:
    try:
        entries = sorted(paths.ocf_resource_dir.iterdir())
    except OSError:
        return ()
    return tuple(e.name for e in entries if e.is_dir() and not e.name.startswith("."))


def _executables(directory: Path) -> list[str]:
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    return [e.name for e in entries if not e.name.startswith(".") and _executable(e)]


def _systemd_units(paths: AgentPaths) -> list[str]:
    names: set[str] = set()
    for d in paths.unit_dirs:
        try:
            entries = list(d.iterdir())
        except OSError:
            continue
        for e in entries:
            # Templates ("getty@.service") need an instance; masked units link to /dev/null.
            if not e.name.endswith(".service") or e.name.endswith("@.service"):
                continue
            if e.is_symlink() and os.path.realpath(e) == "/dev/null":
                continue
            names.add(e.name.removesuffix(".service"))
    return sorted(names)


def list_agents(query: str | None = None, *, paths: AgentPaths = DEFAULT_PATHS) -> tuple[AgentRef, ...]:
    """Agents for `vigil resource agents [STANDARD[:PROVIDER]]`, sorted within each standard."""
    if query:
        head, _, provider = query.partition(":")
        standard = parse_standard(head)
        if provider and standard is not Standard.OCF:
            raise _invalid(query, f"only ocf agents have a provider, not {standard}")
        if provider:
            _check_component(query, provider, "provider")
        standards: tuple[Standard, ...] = (standard,)
    else:
        provider = ""
        standards = list_standards(paths=paths)
    found: list[AgentRef] = []
    for standard in standards:
        if standard is Standard.OCF:
            for prov in [provider] if provider else list_ocf_providers(paths=paths):
                found += [AgentRef(standard, t, prov)
                          for t in _executables(paths.ocf_resource_dir / prov)]
        elif standard is Standard.LSB:
            found += [AgentRef(standard, t) for t in _executables(paths.init_dir) if t not in _NOT_LSB]
        elif standard is Standard.SYSTEMD:
            if paths.systemd_running():
                found += [AgentRef(standard, t) for t in _systemd_units(paths)]
        elif standard is Standard.SERVICE:
            names = {t for t in _executables(paths.init_dir) if t not in _NOT_LSB}
            if paths.systemd_running():
                names.update(_systemd_units(paths))
            found += [AgentRef(standard, t) for t in sorted(names)]
        else:
            found += [AgentRef(standard, t) for t in _executables(paths.fence_dir)
                      if t.startswith("fence_") and t not in _NOT_FENCE]
    return tuple(found)
