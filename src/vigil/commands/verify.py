"""`vigil verify`, like crm_verify: what is wrong with a configuration, and what is risky in it.

Errors are what the CIB codec refuses (not XML, a constraint naming a resource that does not
exist, duplicate ids, bad scores...) and what the fencer refuses (`vigil.fencer.devices.
config_reports`: host maps, delays, levels naming devices that are not fence devices...).
Warnings and infos are the policy checks of `check`: settings that Pacemaker accepts but that
lose data or availability when something goes wrong (fencing off, no-quorum-policy=ignore, a
two-node fence race, resources nobody monitors...). Every finding is a report (a code and
fields); the CLI says what each means and what to do instead.

The checks read the CIB and, when present, corosync.conf (for `two_node: 1` and a quorum device).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

from vigil.cib import document, read, schema, validate
from vigil.cib import io as cib_io
from vigil.clusterconf import conf_tree
from vigil.clusterconf.quorum_device import node_names, read_device
from vigil.commands import agents, edit, fencing_topology, options, verify_pacemaker
from vigil.commands.env import CibEnvironment
from vigil.commands.meta import meta_value, own_meta
from vigil.fencer import devices as fencer_devices
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.constraints import Location
from vigil.model.durations import parse_interval_ms
from vigil.model.reports import Report, ReportError, Severity
from vigil.model.resources import Group, Primitive, walk
from vigil.model.score import format_score, parse_score
from vigil.scheduler.options import read_options


@dataclass(frozen=True)
class CorosyncFacts:
    """What the checks need from corosync.conf."""

    path: str
    nodes: int
    two_node: bool
    quorum_device: bool


@dataclass(frozen=True)
class Verification:
    source: str  # the file, or "the running cluster"
    corosync_conf: str | None  # the corosync.conf that was read, if any
    reports: tuple[Report, ...]

    def _count(self, severity: Severity) -> int:
        return sum(1 for r in self.reports if r.severity is severity)

    @property
    def errors(self) -> int:
        return self._count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        return self._count(Severity.WARNING)

    @property
    def valid(self) -> bool:
        """No errors, and none of the warnings crm_verify counts against a configuration
        (verify_pacemaker): with those it says "config may not be valid" and exits 78."""
        return self.errors == 0 and not any(
            r.code in verify_pacemaker.PACEMAKER_REJECTS for r in self.reports)


# -- inputs ------------------------------------------------------------------------------------
def corosync_facts(path: str) -> tuple[CorosyncFacts | None, list[Report]]:
    """The facts of corosync.conf at `path`; None (and no report) when there is no such file,
    None and a warning when it cannot be read or parsed."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [reports.warning("COROSYNC_CONF_IGNORED", path=path, detail=detail)]
    try:
        root = conf_tree.parse(text)
    except ReportError as exc:
        r = exc.reports[0]
        return None, [reports.warning("COROSYNC_CONF_IGNORED", path=path,
                                      detail=f"line {r.field('line')}: {r.field('reason')}")]
    quorum = root.section("quorum")
    two_node = quorum is not None and quorum.get("two_node") in ("1", "on", "yes")
    return CorosyncFacts(path, len(node_names(root)), two_node,
                         read_device(root) is not None), []


def parse_for_verify(data: bytes) -> tuple[Cib | None, list[Report]]:
    """The CIB in `data` and every finding of Pacemaker's schema and of the codec: unlike
    loading a CIB to act on it, validation errors (the schema's, unknown resources, duplicate
    ids) still give the CIB, so the policy checks can run on it too. None when the document
    cannot be read at all."""
    try:
        root = document.parse(data)  # one parse: the tree the schema checks is read
    except ReportError as exc:
        return None, list(exc.reports)
    by_schema = schema.check_tree(root)
    scores = validate.validate_xml_scores(root)
    try:
        cib, warnings = read.parse_element(root)
    except ReportError as exc:
        return None, list(exc.reports) + list(by_schema + scores)
    validated = validate.validate(cib)
    return cib, (list(cib_io.said_better(by_schema, scores + validated)) + list(scores)
                 + list(warnings) + list(validated))


def verify_file(path: str, *, corosync_conf: str | None) -> Verification:
    """Check the CIB in a file (and corosync.conf at `corosync_conf`, if it exists)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return Verification(path, None, (reports.error("CIB_FILE_NOT_FOUND", path=path),))
    except OSError as exc:
        return Verification(path, None, (reports.error(
            "CIB_FILE_UNREADABLE", path=path, detail=exc.strerror or str(exc)),))
    cib, found = parse_for_verify(data)
    return _finish(path, cib, found, corosync_conf)


def verify_env(env: CibEnvironment, *, corosync_conf: str | None,
               source: str = "the running cluster") -> Verification:
    """Check the CIB of an environment (the running cluster). Raises what reading it raises
    (DAEMON_NOT_RUNNING...)."""
    cib = env.get_cib()
    return _finish(source, cib, list(env.warnings) + list(validate.validate(cib)), corosync_conf)


def _finish(source: str, cib: Cib | None, found: list[Report],
            corosync_conf: str | None) -> Verification:
    facts = None
    if corosync_conf is not None:
        facts, notes = corosync_facts(corosync_conf)
        found += notes
    if cib is not None:
        found += check(cib, facts)
        # a CIB the scheduler refuses: its errors are said by the checks above
        with contextlib.suppress(ReportError):
            found += verify_pacemaker.findings(cib, int(time.time()))
    unique = list(dict.fromkeys(found))
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    unique.sort(key=lambda r: order[r.severity])
    return Verification(source, facts.path if facts else None, tuple(unique))


# -- the policy checks -------------------------------------------------------------------------
def _fence_devices(cib: Cib) -> list[Primitive]:
    return [p for p in edit.primitives(cib) if p.standard == "stonith"]


def _instance(p: Primitive, name: str) -> str | None:
    for nvset in p.instance_attributes:
        value = nvset.get(name)
        if value is not None:
            return value
    return None


def _has_delay(cib: Cib, devices: list[Primitive]) -> bool:
    priority = parse_interval_ms(cib.cluster_option("priority-fencing-delay"))
    if priority:
        return True
    for device in devices:
        for name in ("pcmk_delay_max", "pcmk_delay_base"):
            value = _instance(device, name)
            if value and (parse_interval_ms(value) or ":" in value):  # base may be a node map
                return True
    return False


def check(cib: Cib, corosync: CorosyncFacts | None = None) -> list[Report]:
    """The policy findings for a CIB that loads (warnings and infos, and errors for fencing
    levels that cannot work)."""
    out: list[Report] = []
    out += _property_values(cib)
    out += _fencing_and_quorum(cib, corosync)
    out += _fencing(cib)
    out += _resources(cib)
    out += _groups(cib)
    out += _stickiness(cib)
    return out


def _property_values(cib: Cib) -> list[Report]:
    known = options.by_name(options.CLUSTER_OPTIONS)
    out = []
    for nvset in cib.configuration.properties:
        for pair in nvset.pairs:
            spec = known.get(pair.name)
            if spec is None or pair.value is None:
                continue
            expected = options.value_problem(spec, pair.value)
            if expected:
                out.append(reports.warning("PROPERTY_VALUE_IGNORED", name=pair.name,
                                           value=pair.value, expected=expected,
                                           default=spec.default or ""))
    return out


def _fencing_and_quorum(cib: Cib, corosync: CorosyncFacts | None) -> list[Report]:
    opts = read_options(cib)
    devices = _fence_devices(cib)
    nodes = len(cib.configuration.nodes) or (corosync.nodes if corosync else 0)
    qdevice = corosync is not None and corosync.quorum_device
    two_node = (nodes == 2 or (corosync is not None and corosync.two_node)) and not qdevice
    out: list[Report] = []
    if not opts.stonith_enabled:
        out.append(reports.warning("FENCING_DISABLED"))
    elif not devices:
        out.append(reports.warning("FENCING_WITHOUT_DEVICE"))
    elif two_node and not _has_delay(cib, devices):
        out.append(reports.warning("TWO_NODE_WITHOUT_FENCING_DELAY",
                                   devices=", ".join(d.id for d in devices)))
    if opts.no_quorum_policy == "ignore":
        fencing = "enabled" if opts.stonith_enabled and devices else "disabled"
        if nodes >= 3:
            out.append(reports.warning("NO_QUORUM_POLICY_IGNORE_MANY_NODES", nodes=nodes,
                                       fencing=fencing))
        else:
            out.append(reports.warning("NO_QUORUM_POLICY_IGNORE", nodes=nodes or "?",
                                       fencing=fencing))
    return out


def _fencing(cib: Cib) -> list[Report]:
    """The fencer's own findings (host maps, delays, levels naming unknown devices...), and
    levels for nodes that do not exist."""
    # An agent name vigil's fencer cannot run (stonith:ssh, external/sbd: cluster-glue's
    # plugins) is valid configuration for Pacemaker, whose crm_verify accepts it: a warning
    # here, so that both agree on whether the configuration is valid.
    out = [dataclasses.replace(r, severity=Severity.WARNING) if r.code == "FENCE_AGENT_INVALID"
           else r for r in fencer_devices.config_reports(cib)]
    nodes = set(edit.node_names(cib)) | {n.id for n in cib.configuration.nodes}
    for level in fencing_topology.levels(cib.configuration):
        if level.target is not None and level.target not in nodes:
            out.append(reports.warning("FENCING_LEVEL_UNKNOWN_TARGET", level=level.index,
                                       target=level.target))
    return out


def _recurring_monitors(p: Primitive) -> list[str | None]:
    """The on-fail of each enabled recurring monitor."""
    return [op.on_fail for op in p.operations
            if op.name == "monitor" and op.interval_ms > 0 and op.enabled]


def _duplicate_operations(p: Primitive) -> list[Report]:
    """Recurring operations with the name and interval of an earlier one: Pacemaker runs only
    one of them and calls the configuration invalid (its is_op_dup), whatever their roles."""
    seen: dict[tuple[str, int], str] = {}
    out: list[Report] = []
    for op in p.operations:
        if op.ref is not None or op.interval_ms <= 0:
            continue
        first = seen.setdefault((op.name, op.interval_ms), op.id)
        if first != op.id:
            out.append(reports.error("OPERATION_DUPLICATE", resource=p.id, operation=op.id,
                                     first=first, name=op.name, interval=op.interval))
    return out


def _resources(cib: Cib) -> list[Report]:
    out: list[Report] = []
    for p in edit.primitives(cib):
        out += _duplicate_operations(p)
        for op in p.operations:
            if op.ref is None and op.name not in agents.KNOWN_ACTIONS:
                out.append(reports.warning("OPERATION_NEVER_RUNS", resource=p.id,
                                           operation=op.name,
                                           suggestion=agents.action_suggestion(op.name)))
        monitors = _recurring_monitors(p)
        if not monitors:
            out.append(reports.warning("RESOURCE_WITHOUT_MONITOR", resource=p.id))
            continue
        if p.standard == "stonith":
            continue
        restarts = any((on_fail or "restart") == "restart" for on_fail in monitors)
        if restarts and meta_value(cib, p.id, "migration-threshold") is None:
            out.append(reports.info("RESTART_WITHOUT_MIGRATION_THRESHOLD", resource=p.id))
    return out


def _role(value: str | None) -> str:
    return (value or "Started").strip().capitalize()


def _groups(cib: Cib) -> list[Report]:
    out: list[Report] = []
    for rsc in walk(cib.configuration.resources):
        if not isinstance(rsc, Group):
            continue
        group_role = _role(meta_value(cib, rsc.id, "target-role"))
        for i, member in enumerate(rsc.members):
            own = own_meta(cib, member.id, "target-role")
            if own is None or _role(own) == group_role:
                continue
            if _role(own) == "Stopped":
                after = [m.id for m in rsc.members[i + 1:]]
                out.append(reports.warning("GROUP_MEMBER_STOPPED", group=rsc.id,
                                           member=member.id, after=", ".join(after)))
            elif group_role == "Stopped":
                out.append(reports.warning("GROUP_STOPPED_MEMBER_STARTED", group=rsc.id,
                                           member=member.id, role=_role(own)))
            else:
                out.append(reports.warning("GROUP_MEMBER_ROLE_DIFFERS", group=rsc.id,
                                           member=member.id, role=_role(own),
                                           group_role=group_role))
    return out


def _stickiness(cib: Cib) -> list[Report]:
    out: list[Report] = []
    for c in cib.configuration.constraints:
        if not isinstance(c, Location) or c.rsc is None or c.rsc_pattern is not None:
            continue
        if c.node is None or c.score is None or c.score <= 0 or c.rules:
            continue
        if edit.find_resource(cib, c.rsc) is None:
            continue
        stickiness = parse_score(meta_value(cib, c.rsc, "resource-stickiness"), 0)
        if stickiness < c.score:
            out.append(reports.info("RESOURCE_RETURNS_TO_PREFERRED_NODE", resource=c.rsc,
                                    node=c.node, score=format_score(c.score),
                                    stickiness=format_score(stickiness), constraint=c.id))
    return out
