"""Why a resource is where it is: findings (codes + fields) derived from a Transition.

Pure: it reads the scores and their sources that the scheduler recorded, the planned actions
and the node states, and says which of them decided. The CLI turns findings into sentences.
"""

from __future__ import annotations

from dataclasses import dataclass

from vigil.model.score import INFINITY
from vigil.scheduler.transition import (
    Allocation,
    NodeStatus,
    ScoreContribution,
    SummaryItem,
    Transition,
)


@dataclass(frozen=True)
class Finding:
    code: str
    fields: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str:
        for key, value in self.fields:
            if key == name:
                return value
        return ""


@dataclass(frozen=True)
class NodeVerdict:
    node: str
    score: int
    available: bool
    unavailable_because: str | None
    contributions: tuple[ScoreContribution, ...]
    chosen: bool
    current: bool


@dataclass(frozen=True)
class PromotionVerdict:
    """One instance of a promotable clone: its promotion score where it is placed, with the
    parts of that score, whether it is promoted now and next, and (when it is not promoted
    next) why, as a code: NOT_PLACED (it will not run), NEGATIVE (its score is below 0),
    OUTRANKED (others scored higher and promoted-max is reached), HELD (some other limit:
    promoted-node-max, an ordering, a blocked action)."""

    instance: str
    node: str | None  # where it runs next (None: it will not run)
    score: int
    contributions: tuple[ScoreContribution, ...]
    promoted_now: bool
    promoted_next: bool
    why_not: str | None = None
    current_node: str | None = None  # where it runs now


@dataclass(frozen=True)
class AgentAttribute:
    """A node attribute a resource's agent keeps about it beyond its promotion score (named
    NAME-<primitive id>, such as ocf:vigil:pgsqlms's vigil-old-primary-pgsqld): read from the
    CIB's status by the command, shown with the agent's meaning of it."""

    node: str
    name: str
    value: str


@dataclass(frozen=True)
class Explanation:
    resource: str
    kind: str
    agent: str | None
    current_nodes: tuple[str, ...]
    current_role: str
    next_node: str | None
    next_role: str
    findings: tuple[Finding, ...]
    ranking: tuple[NodeVerdict, ...]
    summary: tuple[SummaryItem, ...]
    members: tuple[Explanation, ...] = ()
    # a promotable clone: its instances by promotion, best first, and promoted-max
    promotion: tuple[PromotionVerdict, ...] = ()
    promoted_max: int | None = None
    agent_attributes: tuple[AgentAttribute, ...] = ()


class UnknownResource(Exception):
    def __init__(self, resource: str, known: tuple[str, ...]) -> None:
        super().__init__(resource)
        self.resource = resource
        self.known = known


def _f(code: str, **fields: object) -> Finding:
    return Finding(code, tuple((k, str(v)) for k, v in fields.items()))


def _why_unavailable(node: NodeStatus) -> str | None:
    if node.unclean:
        return "unclean" + (f" ({node.fence_reason})" if node.fence_reason else "")
    if not node.online:
        return "offline"
    if node.pending:
        return "pending (still joining)"
    if node.shutdown:
        return "shutting down"
    if node.maintenance:
        return "in maintenance"
    if node.standby:
        return "in standby"
    return None


def _ranking(t: Transition, a: Allocation) -> tuple[NodeVerdict, ...]:
    nodes = {n.name: n for n in t.nodes}
    verdicts = []
    for s in a.scores:
        status = nodes.get(s.node)
        why = _why_unavailable(status) if status is not None else "unknown node"
        verdicts.append(NodeVerdict(
            node=s.node, score=s.score, available=why is None, unavailable_because=why,
            contributions=tuple(c for c in s.contributions if c.value != 0),
            chosen=s.node == a.next_node, current=s.node in a.current_nodes))
    verdicts.sort(key=lambda v: (not v.chosen, not v.available, -v.score, v.node))
    return tuple(verdicts)


def _findings(t: Transition, a: Allocation, ranking: tuple[NodeVerdict, ...],
              items: tuple[SummaryItem, ...]) -> list[Finding]:
    out: list[Finding] = []
    current = a.current_nodes[0] if a.current_nodes else None
    verb = items[0].verb if items else None
    if not a.managed:
        out.append(_f("UNMANAGED", resource=a.resource))
    if a.orphan:
        out.append(_f("ORPHAN", resource=a.resource))
    if (a.target_role or "").lower() == "stopped":
        out.append(_f("TARGET_ROLE_STOPPED", resource=a.resource))
    if len(a.current_nodes) > 1 and a.kind == "primitive":
        out.append(_f("MULTIPLY_ACTIVE", nodes=", ".join(a.current_nodes)))
    if a.failed:
        out.append(_f("FAILED", node=current or "?"))
    for node, count in a.fail_counts:
        limit = a.migration_threshold
        if 0 < limit <= count:
            out.append(_f("FAIL_LIMIT", node=node, count=_count(count), threshold=_count(limit)))
        else:
            out.append(_f("FAIL_COUNT", node=node, count=_count(count),
                          threshold=_count(limit) if limit > 0 else "never"))
    if not t.have_quorum and t.no_quorum_policy != "ignore":
        out.append(_f("NO_QUORUM", policy=t.no_quorum_policy))
    # the decision itself
    if verb is None:
        if a.next_node and current == a.next_node:
            out.append(_f("STAYS", node=a.next_node, role=a.next_role))
        elif a.next_node is None and current is None:
            out.append(_f("STAYS_STOPPED"))
    else:
        for item in items:
            out.append(_f("ACTION", verb=item.verb, details=item.details,
                          reason=item.reason or "", blocked="yes" if item.blocked else ""))
    for item in items:
        out.extend(_blocking_cause(t, item))
    chosen = next((v for v in ranking if v.chosen), None)
    if chosen is not None:
        ties = [v.node for v in ranking if not v.chosen and v.available and v.score == chosen.score]
        if ties and current != chosen.node:
            out.append(_f("TIE", node=chosen.node, others=", ".join(ties),
                          score=_count(chosen.score)))
    if a.next_node is None and a.managed and (a.target_role or "").lower() != "stopped":
        usable = [v for v in ranking if v.available and v.score >= 0]
        if not usable:
            out.append(_f("NO_USABLE_NODE"))
            tickets = sorted({c.detail for v in ranking for c in v.contributions
                              if c.kind == "ticket"})
            for detail in tickets:  # "ticket T is not granted (rsc_ticket ID)" (tickets.py)
                out.append(_f("NEEDS_TICKET", ticket=detail.split()[1], detail=detail))
    # what held it, or what pulled it away
    if current and a.next_node and current == a.next_node:
        better = [v for v in ranking if v.available and not v.chosen and v.score > 0]
        sticky = [c for v in ranking if v.node == current for c in v.contributions
                  if c.kind == "stickiness"]
        if sticky and better:
            out.append(_f("STICKINESS_HOLDS", node=current, stickiness=_count(sticky[0].value)))
    if current and a.next_node and current != a.next_node:
        here = next((v for v in ranking if v.node == current), None)
        if here is not None and not here.available:
            out.append(_f("LEAVES_UNAVAILABLE", node=current, why=here.unavailable_because or ""))
            fence = next((i for i in t.summary if i.verb == "Fence" and i.resource == current),
                         None)
            if fence is not None:
                out.append(_f("FENCED_FIRST", node=current, action=fence.fence_action or "reboot"))
        elif here is not None:
            out.append(_f("LEAVES_FOR_BETTER", node=current, score=_count(here.score),
                          target=a.next_node))
    return out


def _blocking_cause(t: Transition, item: SummaryItem) -> list[Finding]:
    """For "unrunnable X start" / "colocation with X": say why X itself cannot act."""
    reason = item.reason or ""
    words = reason.split()
    other = None
    if len(words) == 3 and words[0] in ("unrunnable", "required"):
        other = words[1]
    elif reason.startswith("colocation with "):
        other = reason[len("colocation with "):]
    if other is None:
        return []
    by_id = {a.resource: a for a in t.allocations}
    o = by_id.get(other)
    if o is None:
        return []
    if (o.target_role or "").lower() == "stopped":
        return [_f("CAUSE_DISABLED", other=other)]
    if not o.managed:
        return [_f("CAUSE_UNMANAGED", other=other)]
    if o.next_node is None:
        return [_f("CAUSE_NO_NODE", other=other)]
    return [_f("CAUSE_ACTS", other=other, node=o.next_node)]


def _count(value: int) -> str:
    if value >= INFINITY:
        return "INFINITY"
    if value <= -INFINITY:
        return "-INFINITY"
    return str(value)


_PROMOTED = ("Promoted", "Master")
_PROMOTABLE_ROLES = ("Promoted", "Unpromoted", "Master", "Slave")


def _is_promotable(t: Transition, clone: Allocation, promoted_max: int | None) -> bool:
    if clone.kind != "clone":
        return False
    if promoted_max is not None:
        return True
    kids = [c for c in t.allocations if c.parent == clone.resource]
    return any(c.promotion or c.current_role in _PROMOTABLE_ROLES
               or c.next_role in _PROMOTABLE_ROLES for c in kids)


def _promotion_verdicts(t: Transition, clone: Allocation, promoted_max: int | None
                        ) -> tuple[PromotionVerdict, ...]:
    kids = [c for c in t.allocations if c.parent == clone.resource and not c.orphan]
    promoted_next = sum(1 for c in kids if c.next_role in _PROMOTED)
    limit = promoted_max if promoted_max is not None else 1
    verdicts = []
    for c in kids:
        score = c.promotion[0] if c.promotion else None
        value = score.score if score is not None else -INFINITY
        now = c.current_role in _PROMOTED
        nxt = c.next_role in _PROMOTED
        why = None
        if not nxt:
            if c.next_node is None:
                why = "NOT_PLACED"
            elif value < 0:
                why = "NEGATIVE"
            elif promoted_next >= limit:
                why = "OUTRANKED"
            else:
                why = "HELD"
        verdicts.append(PromotionVerdict(
            instance=c.resource, node=c.next_node, score=value,
            contributions=score.contributions if score is not None else (),
            promoted_now=now, promoted_next=nxt, why_not=why,
            current_node=c.current_nodes[0] if c.current_nodes else None))
    verdicts.sort(key=lambda v: (not v.promoted_next, v.node is None, -v.score, v.instance))
    return tuple(verdicts)


def _promotion_findings(t: Transition, verdicts: tuple[PromotionVerdict, ...],
                        promoted_max: int | None) -> list[Finding]:
    out: list[Finding] = []
    limit = promoted_max if promoted_max is not None else 1
    chosen = [v for v in verdicts if v.promoted_next]
    placed = [v for v in verdicts if v.node is not None]
    for v in chosen:
        rivals = [o for o in placed if not o.promoted_next]
        best_rival = max((o.score for o in rivals), default=None)
        if v.promoted_now:
            change = "stays"
        else:
            before = [o.node for o in verdicts if o.promoted_now and o.node]
            change = "from " + ", ".join(before) if before else "new"
        top = max(v.contributions, key=lambda c: c.value, default=None)
        out.append(_f("PROMOTED_ON", node=v.node or "", instance=v.instance,
                      source=f"{top.kind}: {top.detail}" if top is not None else "",
                      score=_count(v.score), change=change, max=limit,
                      rival=_count(best_rival) if best_rival is not None else "",
                      tie="yes" if best_rival is not None and best_rival == v.score else ""))
    for v in verdicts:
        if v.promoted_next or v.why_not is None:
            continue
        if v.why_not == "NOT_PLACED":
            continue  # the instance is not running: the placement findings say why
        # the agent set the attribute there, whatever its sign (a negative one is the agent
        # saying "not this copy": PAF's -1000 on a standby that is not connected)
        has_attr = any(c.kind == "promotion-attribute" for c in v.contributions)
        out.append(_f("NOT_PROMOTED", node=v.node or "", instance=v.instance,
                      score=_count(v.score), why=v.why_not, max=limit,
                      attribute="yes" if has_attr else "",
                      demoted="yes" if v.promoted_now else ""))
    if not chosen and placed:
        out.append(_f("NO_PROMOTION", max=limit))
    return out


def _clone_of(t: Transition, resource: str) -> Allocation | None:
    """The clone whose instances are `resource` (`db` for the instances db:0, db:1...)."""
    by_id = {a.resource: a for a in t.allocations}
    for a in t.allocations:
        if a.resource.rsplit(":", 1)[0] == resource and a.parent in by_id \
                and by_id[a.parent].kind == "clone":
            return by_id[a.parent]
    return None


def explain(t: Transition, resource: str, *, promoted_max: int | None = None) -> Explanation:
    """Why `resource` is where it is. A clone's instance's resource id (`db` in `db-clone`)
    explains the clone. For a promotable clone (`promoted_max` given, or instances with
    promotion scores or roles), also which instance is promoted and why the others are not,
    from the promotion scores the scheduler recorded."""
    by_id = {a.resource: a for a in t.allocations}
    a = by_id.get(resource)
    if a is None:
        a = _clone_of(t, resource)
    if a is None:
        raise UnknownResource(resource, tuple(sorted(by_id)))
    children = tuple(c for c in t.allocations if c.parent == a.resource)
    members = tuple(explain(t, c.resource) for c in children)
    items = tuple(i for i in t.summary if i.resource == a.resource and i.verb != "Fence")
    ranking = _ranking(t, a)
    findings = _findings(t, a, ranking, items)
    if a.kind == "clone" and any(c.next_node or c.current_nodes for c in children):
        # the clone itself is never placed: its instances are (explained as its members)
        findings = [f for f in findings if f.code not in ("STAYS_STOPPED", "NO_USABLE_NODE")]
    if a.kind == "group" and children:
        first = by_id[children[0].resource]
        findings.insert(0, _f("GROUP_FOLLOWS_FIRST", first=first.resource,
                              members=", ".join(c.resource for c in children)))
        ranking = _ranking(t, first)
    promotion: tuple[PromotionVerdict, ...] = ()
    if _is_promotable(t, a, promoted_max):
        promotion = _promotion_verdicts(t, a, promoted_max)
        findings += _promotion_findings(t, promotion, promoted_max)
        current = tuple(sorted({n for c in children for n in c.current_nodes}))
        roles = [c.current_role for c in children if c.current_nodes]
        role = ("Promoted" if any(r in _PROMOTED for r in roles) else
                "Unpromoted" if roles else "Stopped")
        return Explanation(
            resource=a.resource, kind=a.kind, agent=a.agent, current_nodes=current,
            current_role=role, next_node=a.next_node, next_role=a.next_role,
            findings=tuple(findings), ranking=ranking, summary=items, members=members,
            promotion=promotion, promoted_max=promoted_max if promoted_max is not None else 1)
    return Explanation(
        resource=a.resource, kind=a.kind, agent=a.agent, current_nodes=a.current_nodes,
        current_role=a.current_role, next_node=a.next_node, next_role=a.next_role,
        findings=tuple(findings), ranking=ranking, summary=items, members=members)
