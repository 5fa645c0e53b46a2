"""`vigil constraint ...`: pcs's grammar for location, colocation, order and ticket
constraints."""

from __future__ import annotations

from vigil.cli import args, config_view, set_words, ticket_cli
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import constraint, constraint_rules, constraint_sets
from vigil.model.constraints import Location

USAGE = """\
usage: vigil [-f FILE] constraint [list|show] [--full]
  location RSC prefers NODE[=SCORE]...     location RSC avoids NODE[=SCORE]...
  location add ID RSC NODE SCORE [resource-discovery=always|never|exclusive]
  location RSC rule [id=ID] [constraint-id=ID] [role=ROLE] [resource-discovery=...]
        [score=S | score-attribute=ATTR] EXPRESSION
        EXPRESSION: defined|not_defined ATTR | ATTR lt|gt|lte|gte|eq|ne [string|integer|
        number|version] VALUE | date gt|lt DATE | date in_range [DATE] to DATE | date in_range
        DATE to duration k=v... | date-spec k=v... | (EXPRESSION) | EXPRESSION and|or EXPRESSION
  rule add CONSTRAINT_ID [id=ID] [role=ROLE] [score=S|score-attribute=A] EXPRESSION
  rule remove RULE_ID...                   ref RSC...   (the constraints naming each)
  colocation add [ROLE] SRC with [ROLE] TGT [SCORE] [score=S] [id=ID] [node-attribute=A]
        ROLE: Promoted, Unpromoted or Started (Master and Slave are accepted)
  order [ACTION] FIRST then [ACTION] THEN [kind=Mandatory|Optional|Serialize]
        ACTION: start, stop, promote or demote
        [symmetrical=true|false] [require-all=true|false] [id=ID]
  colocation set RSC... [OPTIONS] [set RSC... [OPTIONS]]... [setoptions score=S id=ID]
  order set RSC... [OPTIONS] [set RSC... [OPTIONS]]... [setoptions kind=K symmetrical=B id=ID]
        a set's OPTIONS: sequential=B require-all=B role=ROLE action=ACTION
  remove ID...
  colocation delete SOURCE TARGET          order delete RESOURCE...   (or constraint ids)
  ticket add TICKET [ROLE] RSC [loss-policy=...] [id=ID]   ticket set ... setoptions ticket=T
  ticket remove TICKET RSC                 (vigil constraint ticket --help for more)
  location | colocation | order | ticket   (alone: list that kind)
  location config [resources [RSC...] | nodes [NODE...]]   the locations of those"""


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help:
        print(USAGE)
        return EXIT_OK
    if not words or words[0] in ("list", "show", "config"):
        args.no_more(words[1:], words[0] if words else "constraint")
        return _list(inv, None)
    sub, rest = words[0], words[1:]
    if sub in ("remove", "delete"):
        inv.only()
        args.need(rest, 1, "constraint id")
        return args.finish(inv, constraint.remove(inv.env(), rest))
    if sub == "location":
        return _location(inv, rest)
    if sub == "colocation":
        return _colocation(inv, rest)
    if sub == "order":
        return _order(inv, rest)
    if sub == "ticket":
        return ticket_cli.run_constraint(inv, rest)
    if sub == "rule":
        return _rule(inv, rest)
    if sub == "ref":
        inv.only()
        args.need(rest, 1, "resource id")
        found = constraint.referencing(inv.env(), rest)
        if inv.json:
            args.print_json({rsc: list(ids) for rsc, ids in found})
            return EXIT_OK
        args.print_lines(line for rsc, ids in found
                         for line in (f"Resource: {rsc}", *(f"  {i}" for i in ids)))
        return EXIT_OK
    raise UsageError(f"unknown constraint command '{sub}'")


def _rule(inv: Invocation, rest: list[str]) -> int:
    if not rest or rest[0] not in ("add", "remove", "delete"):
        raise UsageError("constraint rule add CONSTRAINT_ID [options] EXPRESSION | "
                         "constraint rule remove RULE_ID...")
    inv.only()
    if rest[0] == "add":
        args.need(rest, 3, "constraint id and expression")
        return args.finish(inv, constraint_rules.rule_add(inv.env(), rest[1], rest[2:]))
    args.need(rest, 2, "rule id")
    return args.finish(inv, constraint_rules.rule_remove(inv.env(), rest[1:]))


def _list(inv: Invocation, kind: str | None, words: list[str] | None = None) -> int:
    """The constraints (of one kind); `words`: pcs's `location config resources [RSC...]` or
    `nodes [NODE...]`, which keep the location constraints of those resources or nodes."""
    inv.only("full", "all")
    found = constraint.constraints(inv.env())
    if words:
        if kind != "location" or words[0] not in ("resources", "nodes"):
            raise UsageError(f"unexpected '{words[0]}' after the listing: only 'constraint "
                             "location config' takes resources [RSC...] or nodes [NODE...]")
        names = set(words[1:])
        if words[0] == "resources":
            found = tuple(c for c in found if isinstance(c, Location) and (
                not names or c.rsc in names or any(r in names for s in c.sets
                                                   for r in s.resources)))
        else:
            found = tuple(c for c in found if isinstance(c, Location) and c.node is not None
                          and (not names or c.node in names))
    if inv.json:
        types = {"location": "Location", "order": "Order", "colocation": "Colocation",
                 "ticket": "TicketConstraint"}
        args.print_json([c for c in found if kind is None or type(c).__name__ == types[kind]])
        return EXIT_OK
    args.print_lines(config_view.constraint_lines(found, inv.full, kind))
    return EXIT_OK


def _list_or_remove(inv: Invocation, rest: list[str], kind: str) -> int | None:
    """`constraint KIND [show|list|config]` and `constraint KIND remove ID...`, or None."""
    if not rest or rest[0] in ("show", "list", "config"):
        return _list(inv, kind, rest[1:])
    if rest[0] in ("remove", "delete"):
        inv.only()
        if kind == "colocation":  # pcs: colocation delete SOURCE TARGET
            args.need(rest, 2, "source and target resources (or constraint ids)")
            return args.finish(inv, constraint.remove_colocations(inv.env(), rest[1:]))
        if kind == "order":  # pcs: order delete RESOURCE...
            args.need(rest, 2, "resources (or constraint ids)")
            return args.finish(inv, constraint.remove_orders(inv.env(), rest[1:]))
        args.need(rest, 2, "constraint id")
        return args.finish(inv, constraint.remove(inv.env(), rest[1:]))
    return None


def _location(inv: Invocation, rest: list[str]) -> int:
    listed = _list_or_remove(inv, rest, "location")
    if listed is not None:
        return listed
    if rest[0] == "add":
        inv.only("force")
        args.need(rest, 5, "id, resource, node and score (location add ID RSC NODE SCORE)")
        return args.finish(inv, constraint.location_add(
            inv.env(), rest[1], rest[2], rest[3], rest[4], options=args.pairs(rest[5:]),
            force=inv.force))
    if len(rest) >= 2 and rest[1] == "rule":
        inv.only("force")
        return args.finish(inv, constraint_rules.location_rule(inv.env(), rest[0], rest[2:],
                                                               force=inv.force))
    args.need(rest, 3, "nodes (location RSC prefers|avoids NODE[=SCORE]...)")
    rsc, verb, nodes = rest[0], rest[1], rest[2:]
    if verb not in ("prefers", "avoids"):
        raise UsageError(f"location {rsc} takes prefers or avoids, not '{verb}'")
    inv.only("force")
    parsed = []
    for word in nodes:
        node, _, score = word.partition("=")
        if not node:
            raise UsageError(f"'{word}' is not NODE or NODE=SCORE")
        parsed.append((node, score))
    return args.finish(inv, constraint.location_prefers(inv.env(), rsc, parsed,
                                                        avoids=verb == "avoids",
                                                        force=inv.force))


def _colocation(inv: Invocation, rest: list[str]) -> int:
    listed = _list_or_remove(inv, rest, "colocation")
    if listed is not None:
        return listed
    if rest[0] == "set":
        inv.only("force")
        sets, options = set_words.parse_sets(rest[1:], "constraint colocation set")
        return args.finish(inv, constraint_sets.colocation_set(inv.env(), sets, options,
                                                               force=inv.force))
    if rest[0] != "add":
        raise UsageError(f"unknown colocation command '{rest[0]}'")
    inv.only("force")
    words = rest[1:]
    plain = [w for w in words if "=" not in w]
    opts = args.pairs(w for w in words if "=" in w)
    source_role = target_role = None
    if "with" in plain:
        at = plain.index("with")
        before, after = plain[:at], plain[at + 1:]
        if len(before) == 2:
            source_role = _role(before[0])
            before = before[1:]
        if len(before) != 1:
            raise UsageError("colocation add [ROLE] SRC with [ROLE] TGT [SCORE]")
        if len(after) == 3 or (len(after) == 2 and not _is_score(after[1])):
            target_role = _role(after[0])
            after = after[1:]
        if not after or len(after) > 2:
            raise UsageError("colocation add [ROLE] SRC with [ROLE] TGT [SCORE]")
        source, target = before[0], after[0]
        score = after[1] if len(after) == 2 else None
    else:
        # pcs's older form: colocation add SRC TGT [SCORE]
        if len(plain) not in (2, 3):
            raise UsageError("colocation add [ROLE] SRC with [ROLE] TGT [SCORE]")
        source, target = plain[0], plain[1]
        score = plain[2] if len(plain) == 3 else None
    return args.finish(inv, constraint.colocation_add(
        inv.env(), source, target, score=score, source_role=source_role,
        target_role=target_role, options=opts, force=inv.force))


def _is_score(word: str) -> bool:
    body = word[1:] if word[:1] in "+-" else word
    return body.isdigit() or body == "INFINITY"


def _role(word: str) -> str:
    role = constraint.parse_role(word)
    if role is None:
        raise UsageError(f"'{word}' is not a role: give Promoted, Unpromoted or Started "
                         "(Master and Slave are read as Promoted and Unpromoted)")
    return role


def _action(word: str) -> str:
    if word.lower() not in constraint.ACTIONS:
        raise UsageError(f"'{word}' is not an action an order can name: give "
                         f"{', '.join(constraint.ACTIONS)}")
    return word.lower()


def _order(inv: Invocation, rest: list[str]) -> int:
    listed = _list_or_remove(inv, rest, "order")
    if listed is not None:
        return listed
    inv.only("force")
    if rest[0] == "set":
        sets, options = set_words.parse_sets(rest[1:], "constraint order set")
        return args.finish(inv, constraint_sets.order_set(inv.env(), sets, options,
                                                          force=inv.force))
    plain = [w for w in rest if "=" not in w]
    opts = args.pairs(w for w in rest if "=" in w)
    if "then" not in plain:
        raise UsageError("order [ACTION] FIRST then [ACTION] THEN [options]")
    at = plain.index("then")
    before, after = plain[:at], plain[at + 1:]
    first_action = then_action = "start"
    if len(before) == 2:
        first_action = _action(before[0])
        before = before[1:]
    if len(after) == 2:
        then_action = _action(after[0])
        after = after[1:]
    if len(before) != 1 or len(after) != 1:
        raise UsageError("order [ACTION] FIRST then [ACTION] THEN [options]")
    return args.finish(inv, constraint.order_add(
        inv.env(), before[0], after[0], first_action=first_action, then_action=then_action,
        options=opts, force=inv.force))
