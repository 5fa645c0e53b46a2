"""`vigil tag ...`: pcs's grammar for tags."""

from __future__ import annotations

from vigil.cli import args
from vigil.cli.args import EXIT_OK, Invocation, UsageError
from vigil.commands import tag

USAGE = """\
usage: vigil [-f FILE] tag [config|list [TAG...]]
  create TAG ID...                 delete|remove TAG...
  update TAG [add ID... [--before ID | --after ID]] [remove ID...]
A constraint may name a tag where it names a resource: it then means every tagged resource."""


def run(inv: Invocation) -> int:
    words = inv.words[1:]
    if inv.help:
        print(USAGE)
        return EXIT_OK
    if not words or words[0] in ("config", "list", "show"):
        inv.only()
        found = tag.tags(inv.env(), words[1:])
        if inv.json:
            args.print_json({t.id: list(t.refs) for t in found})
        elif not found:
            print(" No tags defined")
        for t in found:
            print(t.id)
            for ref in t.refs:
                print(f"  {ref}")
        return EXIT_OK
    sub, rest = words[0], words[1:]
    if sub == "create":
        inv.only()
        args.need(rest, 2, "tag id and resources")
        return args.finish(inv, tag.create(inv.env(), rest[0], rest[1:]))
    if sub in ("delete", "remove"):
        inv.only()
        args.need(rest, 1, "tag id")
        return args.finish(inv, tag.delete(inv.env(), rest))
    if sub == "update":
        inv.only("before", "after")
        args.need(rest, 1, "tag id")
        add: list[str] = []
        remove: list[str] = []
        target: list[str] | None = None
        for word in rest[1:]:
            if word == "add":
                target = add
            elif word == "remove":
                target = remove
            elif target is None:
                raise UsageError(f"'{word}': tag update TAG [add ID...] [remove ID...]")
            else:
                target.append(word)
        if not add and not remove:
            raise UsageError("tag update needs add ID... or remove ID...")
        return args.finish(inv, tag.update(inv.env(), rest[0], add, remove,
                                           before=inv.before, after=inv.after))
    raise UsageError(f"unknown tag command '{sub}'")
