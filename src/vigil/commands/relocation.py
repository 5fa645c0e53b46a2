"""`resource move`, `ban` and `clear`: the location constraints crm_resource would write.

`move RSC NODE` writes `cli-prefer-RSC` (INFINITY for NODE); `ban RSC NODE` writes
`cli-ban-RSC-on-NODE` (-INFINITY); with a lifetime, the constraint holds a rule that ends then.
Without a node, `move` and `ban` act on the node the resource runs on now, as the scheduler sees
it. With `promoted` (`--promoted`, for a promotable clone only) the constraints have
role="Promoted": they place the promoted instance, not the clone, and without a node they act
on the node where an instance is promoted now. `clear` removes them. The ids and the XML are
crm_resource's, so either tool can clear what the other wrote.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from vigil.commands import clone as clone_lib
from vigil.commands import edit
from vigil.commands.edit import Applied
from vigil.commands.env import CibEnvironment
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.constraints import Location
from vigil.model.reports import Report, ReportError
from vigil.model.resources import Clone
from vigil.model.rules import AttrExpression, DateExpression, Rule
from vigil.model.score import INFINITY, format_score
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Allocation

_ISO_PART = re.compile(r"(\d+)([YMWDHS])")
_PLAIN = re.compile(r"^(\d+)\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days|w)?$", re.IGNORECASE)
_PLAIN_SECONDS = {"s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600,
                  "hr": 3600, "hrs": 3600, "d": 86400, "day": 86400, "days": 86400, "w": 604800}


def lifetime_end(text: str, now: int) -> int:
    """When a lifetime given from `now` ends: an ISO 8601 duration (P1D, PT30M, P1H as
    Pacemaker also reads it) or a plain one (30s, 10min, 2h, 1d). Raises INVALID_LIFETIME."""
    s = text.strip()
    plain = _PLAIN.match(s)
    if plain:
        seconds = int(plain.group(1)) * _PLAIN_SECONDS[(plain.group(2) or "s").lower()]
        if seconds > 0:
            return now + seconds
    elif s[:1].upper() == "P":
        body = s[1:].upper()
        date_part, _, time_part = body.partition("T")
        fields: dict[str, int] = {}
        ok = bool(body) and body != "T"
        for part, time_units in ((date_part, False), (time_part, True)):
            pos = 0
            for m in _ISO_PART.finditer(part):
                if m.start() != pos:
                    ok = False
                pos = m.end()
                unit = m.group(2)
                key = "minutes" if unit == "M" and time_units else {
                    "Y": "years", "M": "months", "W": "weeks", "D": "days", "H": "hours",
                    "S": "seconds"}[unit]
                fields[key] = fields.get(key, 0) + int(m.group(1))
            ok = ok and pos == len(part)
        if ok and any(fields.values()):
            return _add(now, fields)
    raise ReportError([reports.error("INVALID_LIFETIME", lifetime=text)])


def _add(now: int, fields: dict[str, int]) -> int:
    moment = dt.datetime.fromtimestamp(now, dt.UTC)
    months = moment.month - 1 + fields.get("months", 0) + 12 * fields.get("years", 0)
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    moved = moment.replace(year=year, month=month, day=day) + dt.timedelta(
        weeks=fields.get("weeks", 0), days=fields.get("days", 0), hours=fields.get("hours", 0),
        minutes=fields.get("minutes", 0), seconds=fields.get("seconds", 0))
    return int(moved.timestamp())


def _stamp(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")


def _location(constraint_id: str, rule_prefix: str, resource: str, node: str, score: int,
              end: int | None, role: str = "Started") -> Location:
    if end is None:
        return Location(id=constraint_id, rsc=resource, node=node, score=score, role=role)
    rule_id, expr_id, date_id = (f"{rule_prefix}-rule", f"{rule_prefix}-expr",
                                 f"{rule_prefix}-lifetime")
    if rule_prefix.startswith("cli-prefer-"):
        rsc_id = rule_prefix[len("cli-prefer-"):]
        rule_id, expr_id, date_id = (f"cli-prefer-rule-{rsc_id}", f"cli-prefer-expr-{rsc_id}",
                                     f"cli-prefer-lifetime-end-{rsc_id}")
    rule = Rule(id=rule_id, score=score, boolean_op="and", expressions=(
        AttrExpression(id=expr_id, attribute="#uname", operation="eq", value=node,
                       type="string"),
        DateExpression(id=date_id, operation="lt", end=_stamp(end))))
    return Location(id=constraint_id, rsc=resource, role=role, rules=(rule,))


def _current_nodes(cib: Cib, resource: str, now: int, *, promoted: bool = False
                   ) -> tuple[str, ...]:
    """Where the resource runs now; with `promoted`, where its instances are promoted now."""
    if promoted:
        found: list[str] = []
        for a in _instances(cib, resource, now):
            if a.current_role == "Promoted":
                found += [n for n in a.current_nodes if n not in found]
        return tuple(sorted(found))
    allocations = schedule(cib, now).allocations
    for allocation in allocations:
        if allocation.resource == resource:
            return allocation.current_nodes
    return ()


def _why_not_promoted(cib: Cib, moved: Cib, clone: str, node: str, now: int) -> str | None:
    """Why a switchover of `clone` to `node` would not happen or must not: no instance runs
    there, the agent declared that instance unfit (a negative promotion attribute: PAF and
    ocf:vigil:redis set one on a standby that does not stream or lags; the move's INFINITY
    would override it and promote a replica without the data), or the scheduler, given
    `moved` (the CIB with the move's constraint), would still not promote it. None: go."""
    here = [a for a in _instances(cib, clone, now) if node in a.current_nodes]
    if not here:
        return "no instance of it runs there"
    for a in here:
        for ns in a.promotion:
            unfit = [c for c in ns.contributions if c.kind == "promotion-attribute" and c.value < 0]
            if ns.node == node and unfit:
                return (f"its agent declared the instance there unfit for promotion "
                        f"({unfit[0].detail} is {format_score(unfit[0].value)})")
    after = _instances(moved, clone, now)
    if any(a.next_node == node and a.next_role == "Promoted" for a in after):
        return None
    roles = sorted({a.next_role for a in after if a.next_node == node}) or ["Stopped"]
    return f"the scheduler would leave its instance there {'/'.join(roles)}"


def _instances(cib: Cib, clone: str, now: int) -> list[Allocation]:
    """The allocations of every resource inside `clone` (instances and their members)."""
    children: dict[str | None, list[Allocation]] = {}
    for a in schedule(cib, now).allocations:
        children.setdefault(a.parent, []).append(a)
    out: list[Allocation] = []
    todo = list(children.get(clone, []))
    while todo:
        a = todo.pop(0)
        out.append(a)
        todo += children.get(a.resource, [])
    return out


def _movable(cib: Cib, resource: str, *, promoted: bool = False) -> None:
    rsc = edit.require_resource(cib, resource)
    if promoted:
        if clone_lib.is_promotable(rsc):
            return
        around = clone_lib.promotable_clone_of(cib, resource)
        if around is not None:
            raise ReportError([reports.error("PROMOTED_NEEDS_CLONE_ID", resource=resource,
                                             clone=around.id)])
        raise ReportError([reports.error("NOT_PROMOTABLE", resource=resource)])
    if isinstance(rsc, Clone) or edit.enclosing_clone(cib, resource) is not None:
        around = clone_lib.promotable_clone_of(cib, resource)
        raise ReportError([reports.error("CANNOT_MOVE_CLONE", resource=resource,
                                         promotable=around.id if around else "")])


def _cli_constraints(cib: Cib, resource: str, node: str | None) -> list[Location]:
    """The cli-prefer and cli-ban constraints of a resource (only those for `node`, if given)."""
    found = []
    for c in cib.configuration.constraints:
        if not isinstance(c, Location) or c.rsc != resource:
            continue
        prefer = c.id == f"cli-prefer-{resource}" and (node is None or _target(c) == node)
        banned = c.id.startswith(f"cli-ban-{resource}-on-") and (
            node is None or c.id == f"cli-ban-{resource}-on-{node}")
        if prefer or banned:
            found.append(c)
    return found


def _target(c: Location) -> str | None:
    if c.node is not None:
        return c.node
    for rule in c.rules:
        for expr in rule.expressions:
            if isinstance(expr, AttrExpression) and expr.attribute == "#uname":
                return expr.value
    return None


def move(env: CibEnvironment, resource: str, node: str | None = None, *,
         lifetime: str | None = None, force: bool = False, promoted: bool = False) -> Applied:
    """Make a resource run on NODE (cli-prefer-RSC); without a node, away from where it runs
    now (cli-ban-RSC-on-CURRENT). With `promoted`: a promotable clone's promoted instance."""
    now = env.now()
    end = lifetime_end(lifetime, now) if lifetime else None

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        _movable(cib, resource, promoted=promoted)
        if node is None:
            return _ban(cib, resource, None, end, now, moving=True, promoted=promoted)
        edit.require_placement_node(cib, node)
        out: list[Report] = []
        if _current_nodes(cib, resource, now, promoted=promoted) == (node,):
            out.append(reports.unless_forced(
                force, "RESOURCE_ALREADY_PROMOTED_ON_NODE" if promoted else
                "RESOURCE_ALREADY_ON_NODE", resource=resource, node=node))
        stale = {c.id for c in _cli_constraints(cib, resource, node)
                 if c.id.startswith("cli-ban-")} | {f"cli-prefer-{resource}"}
        new = edit.without_constraints(cib, stale)
        constraint_id = f"cli-prefer-{resource}"
        if constraint_id in edit.used_ids(new):
            raise ReportError([reports.error("ID_ALREADY_EXISTS", id=constraint_id)])
        location = _location(constraint_id, constraint_id, resource, node, INFINITY, end,
                             _role(promoted))
        new = edit.with_config(new, constraints=(*new.configuration.constraints, location))
        if promoted:
            why = _why_not_promoted(cib, new, resource, node, now)
            if why is not None:
                out.append(reports.unless_forced(force, "RESOURCE_NOT_PROMOTED_ON_NODE",
                                                 resource=resource, node=node, why=why))
        out.append(reports.info("MOVE_CONSTRAINT_CREATED", id=constraint_id, resource=resource,
                                node=node, until=_stamp(end) if end else "",
                                promoted="yes" if promoted else ""))
        return new, out

    return edit.apply(env, change)


def ban(env: CibEnvironment, resource: str, node: str | None = None, *,
        lifetime: str | None = None, promoted: bool = False) -> Applied:
    """Keep a resource off NODE (cli-ban-RSC-on-NODE); without a node, off the node where it
    runs now. With `promoted`: keep a promotable clone's instance on NODE from being
    promoted."""
    now = env.now()
    end = lifetime_end(lifetime, now) if lifetime else None

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        _movable(cib, resource, promoted=promoted)
        return _ban(cib, resource, node, end, now, moving=False, promoted=promoted)

    return edit.apply(env, change)


def _role(promoted: bool) -> str:
    return "Promoted" if promoted else "Started"


def _ban(cib: Cib, resource: str, node: str | None, end: int | None, now: int, *,
         moving: bool, promoted: bool = False) -> tuple[Cib, list[Report]]:
    if node is None:
        current = _current_nodes(cib, resource, now, promoted=promoted)
        if len(current) != 1:
            raise ReportError([reports.error(
                "RESOURCE_PROMOTED_NODE_NEEDED" if promoted else "RESOURCE_NODE_NEEDED",
                resource=resource, running=len(current))])
        node = current[0]
    else:
        edit.require_placement_node(cib, node)
    constraint_id = f"cli-ban-{resource}-on-{node}"
    new = edit.without_constraints(cib, {constraint_id})
    if constraint_id in edit.used_ids(new):
        raise ReportError([reports.error("ID_ALREADY_EXISTS", id=constraint_id)])
    location = _location(constraint_id, constraint_id, resource, node, -INFINITY, end,
                         _role(promoted))
    new = edit.with_config(new, constraints=(*new.configuration.constraints, location))
    code = "MOVE_AWAY_CONSTRAINT_CREATED" if moving else "BAN_CONSTRAINT_CREATED"
    return new, [reports.info(code, id=constraint_id, resource=resource, node=node,
                              until=_stamp(end) if end else "",
                              promoted="yes" if promoted else "")]


def clear(env: CibEnvironment, resource: str, node: str | None = None) -> Applied:
    """Remove the constraints `move` and `ban` created for a resource (for one node, if
    given)."""

    def change(cib: Cib) -> tuple[Cib, list[Report]]:
        edit.require_resource(cib, resource)
        if node is not None:
            edit.require_placement_node(cib, node)  # a typo must not pass for "nothing to do"
        found = _cli_constraints(cib, resource, node)
        if not found:
            return cib, [reports.info("NOTHING_TO_CLEAR", resource=resource)]
        return edit.without_constraints(cib, {c.id for c in found}), [
            reports.info("CONSTRAINT_REMOVED", id=c.id) for c in found]

    return edit.apply(env, change)
