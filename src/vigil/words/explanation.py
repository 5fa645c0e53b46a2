"""Turn an Explanation into sentences an operator would show a colleague."""

from __future__ import annotations

from collections.abc import Callable

from vigil.model.score import INFINITY
from vigil.scheduler.explain import Explanation, Finding, NodeVerdict, PromotionVerdict
from vigil.words.agent_scores import attribute_meaning, promotion_meaning


def _score(value: int) -> str:
    if value >= INFINITY:
        return "+INFINITY"
    if value <= -INFINITY:
        return "-INFINITY"
    return f"{value:+d}"


def _where(e: Explanation) -> str:
    if e.promotion:
        promoted = [v.current_node for v in e.promotion if v.promoted_now and v.current_node]
        if not e.current_nodes:
            return "is stopped"
        runs = f"runs on {_and(list(e.current_nodes))}"
        if not promoted:
            return f"{runs}, promoted nowhere"
        return f"{runs}, promoted on {_and(promoted)}"
    if not e.current_nodes:
        return "is stopped"
    nodes = " and ".join(e.current_nodes)
    role = e.current_role.lower()
    word = "running" if role in ("started", "stopped") else role
    return f"is {word} on {nodes}"


_ACTION_WORDS = {
    "Start": "will be started ({details})",
    "Stop": "will be stopped ({details})",
    "Move": "will move ({details})",
    "Recover": "will be recovered: stopped and started again ({details})",
    "Restart": "will be restarted ({details})",
    "Promote": "will be promoted ({details})",
    "Demote": "will be demoted ({details})",
    "Re-promote": "will be demoted and promoted again ({details})",
    "Reload": "will reload its parameters ({details})",
    "Migrate": "will live-migrate ({details})",
}


def _finding(f: Finding, e: Explanation) -> str | None:
    c = f.code
    if c == "ACTION":
        text = _ACTION_WORDS.get(f.get("verb"), f.get("verb") + " ({details})")
        line = f"It {text.format(details=f.get('details'))}"
        reason = f.get("reason")
        if f.get("blocked"):
            line += ", but that cannot happen now"
            if reason:
                line += f": it waits on {reason}"
            line += ". Fix the cause and the cluster will act on its own."
            return line
        if reason:
            line += f", because of {reason}"
        return line + "."
    if c == "STAYS":
        return f"It stays on {f.get('node')}: no node scores better there and nothing forces a change."
    if c == "STAYS_STOPPED":
        return "It stays stopped."
    if c == "UNMANAGED":
        return ("It is unmanaged (is-managed=false, maintenance, or a blocked failure): the cluster "
                "will neither start, stop nor recover it until you manage it again.")
    if c == "ORPHAN":
        return "It is no longer in the configuration but still has history: it is stopped and forgotten."
    if c == "TARGET_ROLE_STOPPED":
        return ("It is disabled (target-role=Stopped): run `vigil resource enable "
                f"{e.resource}` to let it run.")
    if c == "MULTIPLY_ACTIVE":
        return (f"It was found active on several nodes ({f.get('nodes')}); the cluster stops "
                "the extra copies (multiple-active policy).")
    if c == "FAILED":
        return f"It has failed on {f.get('node')}."
    if c == "FAIL_LIMIT":
        return (f"It failed {f.get('count')} time(s) on {f.get('node')}, reaching its "
                f"migration-threshold of {f.get('threshold')}, so it is banned from that node until "
                f"`vigil resource cleanup {e.resource}` or the failures expire (failure-timeout).")
    if c == "FAIL_COUNT":
        thr = f.get("threshold")
        more = "" if thr == "never" else f" (migration-threshold {thr}: it moves away once reached)"
        return f"It has failed {f.get('count')} time(s) on {f.get('node')}{more}."
    if c == "NO_QUORUM":
        return (f"This partition has no quorum and no-quorum-policy={f.get('policy')}: "
                "resources that need quorum are not started.")
    if c == "NO_USABLE_NODE":
        return ("No node can run it: every node is unavailable or scores below zero "
                "(see the ranking).")
    if c == "NEEDS_TICKET":
        return (f"It needs a ticket this site does not hold: {f.get('detail')}; "
                f"'vigil ticket grant {f.get('ticket')}' (or 'activate') lets it run.")
    if c == "STICKINESS_HOLDS":
        return (f"Another node is also acceptable, but resource-stickiness "
                f"({f.get('stickiness')}) keeps it on {f.get('node')} to avoid a needless move.")
    if c == "LEAVES_UNAVAILABLE":
        return f"It must leave {f.get('node')}: that node is {f.get('why')}."
    if c == "LEAVES_FOR_BETTER":
        return (f"{f.get('target')} scores higher than {f.get('node')} "
                f"({f.get('score')} there), so it moves.")
    if c == "FENCED_FIRST":
        return (f"{f.get('node')} will be fenced ({f.get('action')}) first: the resource starts "
                "elsewhere only once that node is confirmed down, so it never runs twice.")
    if c == "TIE":
        return (f"{f.get('node')} ties with {f.get('others')} at score {f.get('score')}; ties go "
                "to the node with fewer resources placed in this decision, then to the node it "
                "already runs on, then by node name.")
    if c == "CAUSE_DISABLED":
        return f"{f.get('other')} is disabled (target-role=Stopped); enable it to unblock this."
    if c == "CAUSE_UNMANAGED":
        return f"{f.get('other')} is unmanaged, so the cluster will not act on it."
    if c == "CAUSE_NO_NODE":
        return (f"{f.get('other')} cannot run on any node; run `vigil explain {f.get('other')}` "
                "to see why.")
    if c == "CAUSE_ACTS":
        return f"{f.get('other')} is being acted on first (on {f.get('node')})."
    if c in _PROMOTION:
        return _PROMOTION[c](f)
    if c == "GROUP_FOLLOWS_FIRST":
        return (f"A group runs where its first member {f.get('first')} can run, with the other "
                f"members' preferences added in; members start in order: {f.get('members')}.")
    return None


def _promoted_on(f: Finding) -> str:
    node, score, limit = f.get("node"), f.get("score"), f.get("max")
    change = f.get("change")
    if change == "stays":
        head = f"It stays promoted on {node}"
    elif change.startswith("from "):
        head = f"It will be promoted on {node} instead of {change[5:]}"
    else:
        head = f"It will be promoted on {node}"
    rival = f.get("rival")
    if not rival:
        why = f"the only instance placed with a promotion score of 0 or more (score {score})"
    elif f.get("tie"):
        why = (f"its promotion score {score} ties with the best of the others; the tie goes to "
               "the instance already promoted, then to the lower instance number")
    else:
        why = f"its promotion score {score} is the highest (the next best is {rival})"
    source = f" Most of its score comes from {f.get('source')}." if f.get("source") else ""
    return f"{head}: {why}; promoted-max is {limit}.{source}"


def _not_promoted(f: Finding) -> str:
    node, score, why = f.get("node"), f.get("score"), f.get("why")
    verb = "is demoted" if f.get("demoted") else "is not promoted"
    if why == "NEGATIVE":
        if not f.get("attribute"):
            return (f"On {node} it {verb}: its promotion score is {score} because the agent has "
                    "not set a promotion score there (it sets the node attribute "
                    "master-<resource> with crm_master when that copy may be promoted), or a "
                    "constraint forbids the Promoted role there.")
        return (f"On {node} it {verb}: its promotion score is {score}, below 0, so it may not "
                "be promoted (see the parts below).")
    if why == "OUTRANKED":
        return (f"On {node} it {verb}: its promotion score {score} is lower than the promoted "
                f"instance's, and promoted-max ({f.get('max')}) instances are promoted already.")
    return (f"On {node} it {verb} (score {score}): it could be, but a limit holds it "
            "(promoted-node-max, an ordering, or an action that cannot run now).")


_PROMOTION: dict[str, Callable[[Finding], str]] = {
    "PROMOTED_ON": _promoted_on,
    "NOT_PROMOTED": _not_promoted,
    "NO_PROMOTION": lambda f: (
        "No instance will be promoted: none runs with a promotion score of 0 or more. The "
        "agent sets it (crm_master, the master-<resource> node attribute); role constraints "
        "(location with role=Promoted) add to it."),
}


def _promotion_lines(e: Explanation) -> list[str]:
    agent = e.agent or next((m.agent for m in e.members if m.agent), None)
    lines = [f"Promotion, best first (promoted-max {e.promoted_max}):"]
    for v in e.promotion:
        lines.append(_promotion_line(v))
        for c in v.contributions:
            meaning = (promotion_meaning(agent, c.value) if c.kind == "promotion-attribute"
                       else None)
            lines.append(f"      {_score(c.value):>10}  {c.kind}: {c.detail}"
                         + (f" ({meaning})" if meaning else ""))
    return lines


def _agent_attribute_lines(e: Explanation) -> list[str]:
    agent = e.agent or next((m.agent for m in e.members if m.agent), None)
    lines = ["What its agent published on the nodes:"]
    for a in e.agent_attributes:
        meaning = attribute_meaning(agent, a.name, a.value)
        lines.append(f"  {a.node:<16} {a.name} = {a.value}" + (f" ({meaning})" if meaning else ""))
    return lines


def _promotion_line(v: PromotionVerdict) -> str:
    tags = []
    if v.promoted_next:
        tags.append("stays promoted" if v.promoted_now else "promoted next")
    elif v.promoted_now:
        tags.append("demoted next")
    elif v.node is not None:
        tags.append("unpromoted")
    else:
        tags.append("not running")
    where = v.node or "-"
    total = _score(v.score) if v.score != 0 else "0"
    score = f"score {total}" if v.node is not None else "no score"
    return f"  {where:<16} {v.instance:<12} {score}  [{', '.join(tags)}]"


def _ranking_lines(ranking: tuple[NodeVerdict, ...]) -> list[str]:
    if not ranking:
        return ["  (no node is allowed: in an opt-in cluster, add a location constraint)"]
    lines = []
    for v in ranking:
        tags = []
        if v.chosen:
            tags.append("chosen")
        if v.current:
            tags.append("current")
        if not v.available:
            tags.append(f"unavailable: {v.unavailable_because}")
        tag = f"  [{', '.join(tags)}]" if tags else ""
        total = _score(v.score) if v.score != 0 else "0"
        lines.append(f"  {v.node:<16} score {total}{tag}")
        for c in v.contributions:
            lines.append(f"      {_score(c.value):>10}  {c.kind}: {c.detail}")
    return lines


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def render_explanation(e: Explanation, indent: str = "") -> str:
    kind = "promotable clone" if e.promotion else e.kind
    head = f"{e.resource}" + (f" ({e.agent})" if e.agent else f" ({kind})")
    lines = [f"{indent}{head} {_where(e)}."]
    for f in e.findings:
        text = _finding(f, e)
        if text:
            lines.append(f"{indent}{text}")
    if e.kind != "clone":
        lines.append(f"{indent}Where it can run, best first:")
        lines.extend(indent + line for line in _ranking_lines(e.ranking))
    if e.promotion:
        lines.extend(indent + line for line in _promotion_lines(e))
    if e.agent_attributes:
        lines.extend(indent + line for line in _agent_attribute_lines(e))
    for member in e.members:
        lines.append("")
        lines.append(render_explanation(member, indent + "  "))
    return "\n".join(lines)
