"""`vigil resource utilization [RSC [NAME=VALUE...]]` and `vigil node utilization [NODE
[NAME=VALUE...]]`, as pcs has them (NAME= removes a name)."""

from __future__ import annotations

from vigil.cli import args
from vigil.cli.args import EXIT_OK, Invocation
from vigil.commands import utilization
from vigil.commands.utilization import Listing


def _print(inv: Invocation, title: str, found: Listing) -> int:
    if inv.json:
        args.print_json({name: dict(pairs) for name, pairs in found})
        return EXIT_OK
    args.print_lines([title] + [f" {name}: {' '.join(f'{k}={v}' for k, v in pairs)}"
                                for name, pairs in found])
    return EXIT_OK


def run_resource(inv: Invocation, rest: list[str]) -> int:
    inv.only()
    if len(rest) <= 1:
        return _print(inv, "Resource Utilization:",
                      utilization.of_resources(inv.env(), rest[0] if rest else None))
    return args.finish(inv, utilization.set_resource(inv.env(), rest[0], args.pairs(rest[1:])))


def run_node(inv: Invocation, rest: list[str]) -> int:
    inv.only()
    if len(rest) <= 1:
        return _print(inv, "Node Utilization:",
                      utilization.of_nodes(inv.env(), rest[0] if rest else None))
    return args.finish(inv, utilization.set_node(inv.env(), rest[0], args.pairs(rest[1:])))
