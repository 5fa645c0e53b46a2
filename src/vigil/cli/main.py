"""`vigil`: the command line. Parses arguments, calls library commands, renders their results."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import NoReturn

from vigil.cli import demo_cli, lab_cli
from vigil.model.reports import ReportError, Severity
from vigil.words.messages import render_report

EXIT_OK = 0
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit status 2, never a traceback."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def _now(args: argparse.Namespace) -> int:
    from vigil.commands.simulate import parse_now

    if getattr(args, "time", None):
        return parse_now(args.time)
    return int(time.time())


@contextlib.contextmanager
def _cycles_left_alone(process_ends: bool) -> Iterator[None]:
    """Python's cycle collector off while a command reads a CIB and plans on it.

    The model and the scheduler's working set are hundreds of thousands of objects that live
    until the command ends: the collector would walk them again each time a few hundred more
    were made (a third of `vigil simulate`'s time on a large CIB) and find nothing to free.
    When the command is the process's last work (`process_ends`), what it leaves, the working
    set's reference cycles, is frozen rather than collected: the interpreter's exit would walk
    it once more only to free memory the process is about to give back. Called in a process
    that goes on (the tests call `main` with their own arguments), the collector frees it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if process_ends:
            gc.freeze()
        if was_enabled:
            gc.enable()


def _cmd_simulate(args: argparse.Namespace) -> int:
    with _cycles_left_alone(args.process_ends):
        return _simulate(args)


def _simulate(args: argparse.Namespace) -> int:
    from vigil.cli import simulate_view
    from vigil.commands.simulate import simulate

    # without --time, crm_simulate's "now" is the CIB's execution-date when it has one
    sim = simulate(args.xml_file, _now(args) if getattr(args, "time", None) else None)
    t = sim.transition
    for w in sim.warnings:
        if not args.quiet:
            sys.stderr.write(render_report(w) + "\n")
    if args.output == "json":
        json.dump(asdict(t), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    out = simulate_view.simulation_lines(t, show_scores=args.show_scores,
                                         clones=dict(sim.clones))
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    from vigil.commands.env import CibEnvironment, FileEnvironment, LiveEnvironment
    from vigil.commands.explain import explain
    from vigil.words.explanation import render_explanation

    # a file (-f, as pcs takes one) or, without one, the running cluster this node belongs to
    env: CibEnvironment = (FileEnvironment(args.xml_file, _now(args)) if args.xml_file
                           else LiveEnvironment())
    if args.time and not args.xml_file:
        sys.stderr.write("error: -t/--time needs a CIB file (-f FILE): the running cluster is "
                         "explained as it is now\n")
        return EXIT_USAGE
    result = explain(env, args.resource)
    if args.output == "json":
        json.dump(asdict(result), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    sys.stdout.write(render_explanation(result) + "\n")
    return EXIT_OK


def _cmd_whatif(args: argparse.Namespace) -> int:
    from vigil.cli import simulate_view
    from vigil.commands.env import CibEnvironment, FileEnvironment, LiveEnvironment
    from vigil.commands.whatif import Move, WhatIf, what_if

    moves = []
    for text, promoted in [(m, False) for m in args.move] + [(m, True) for m in args.move_promoted]:
        rsc, sep, node = text.partition("=")
        if not (sep and rsc and node):
            sys.stderr.write(f"error: '{text}' is not RESOURCE=NODE (such as web=n2)\n")
            return EXIT_USAGE
        moves.append(Move(rsc, node, promoted))
    env: CibEnvironment = (FileEnvironment(args.xml_file, _now(args)) if args.xml_file
                           else LiveEnvironment())
    answer = what_if(env, WhatIf(tuple(args.fail), tuple(args.standby), tuple(moves)))
    if args.output == "json":
        json.dump({"summary": [asdict(i) for i in answer.summary],
                   "before": [asdict(p) for p in answer.before],
                   "after": [asdict(p) for p in answer.after],
                   "reports": [render_report(r) for r in answer.reports]}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return EXIT_OK
    out = ["What the cluster would do:"]
    out += simulate_view.summary_lines(answer.summary) or ["  nothing: every resource stays"]
    before = {p.resource: p for p in answer.before}

    def where(nodes: tuple[str, ...], role: str) -> str:
        return f"{', '.join(nodes)} ({role})" if nodes else "stopped"

    moved = [(p.resource, where(before[p.resource].nodes, before[p.resource].role)
              if p.resource in before else "-", where(p.nodes, p.role))
             for p in answer.after]
    changed = [m for m in moved if m[1] != m[2]]
    if changed:
        width = max(len(m[0]) for m in changed)
        out += ["Where it would change:"] + [f"  {r:<{width}}  {a} -> {b}" for r, a, b in changed]
    if answer.reports:
        out += ["The change itself would say:"] + [f"  {render_report(r)}" for r in answer.reports]
    out.append("Nothing was applied.")
    sys.stdout.write("\n".join(out) + "\n")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="vigil", description="vigil: high-availability cluster manager")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sim = sub.add_parser("simulate", help="show what the scheduler would do with a CIB")
    sim.add_argument("--xml-file", "-x", required=True, help="the CIB XML file to read")
    sim.add_argument("-t", "--time", help="'now' for the decision (ISO 8601 date or epoch)")
    sim.add_argument("--show-scores", "-s", action="store_true", help="print allocation scores")
    sim.add_argument("--output", choices=("text", "json"), default="text")
    sim.add_argument("-q", "--quiet", action="store_true", help="do not print CIB warnings")
    sim.set_defaults(func=_cmd_simulate)
    exp = sub.add_parser("explain", help="explain in plain words where a resource runs and why")
    exp.add_argument("resource", help="the resource id")
    exp.add_argument("--xml-file", "-x", "-f", "--file", dest="xml_file",
                     help="the CIB XML file to read (default: the running cluster's)")
    exp.add_argument("-t", "--time", help="'now' for the decision (ISO 8601 date or epoch)")
    exp.add_argument("--output", choices=("text", "json"), default="text")
    exp.set_defaults(func=_cmd_explain)
    wif = sub.add_parser("whatif", help="what the cluster would do if nodes failed, went to "
                                        "standby or a resource moved (nothing is applied)")
    wif.add_argument("--fail", action="append", default=[], metavar="NODE",
                     help="a node that loses power")
    wif.add_argument("--standby", action="append", default=[], metavar="NODE",
                     help="a node put in standby")
    wif.add_argument("--move", action="append", default=[], metavar="RESOURCE=NODE",
                     help="a resource moved (the constraint `resource move` would create)")
    wif.add_argument("--move-promoted", action="append", default=[], metavar="CLONE=NODE",
                     help="a promotable clone's promoted instance moved")
    wif.add_argument("--xml-file", "-x", "-f", "--file", dest="xml_file",
                     help="the CIB XML file to read (default: the running cluster's)")
    wif.add_argument("-t", "--time", help="'now' for the decision (ISO 8601 date or epoch)")
    wif.add_argument("--output", choices=("text", "json"), default="text")
    wif.set_defaults(func=_cmd_whatif)
    from vigil.cli import pcs

    pcs.register_help(sub)
    lab_cli.register(sub)
    demo_cli.register(sub)
    return parser


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """The one-line error for a command word vigil does not have, found where pcs's options
    may stand before it (`vigil -f cib.xml bogus`: argparse alone would name the file)."""
    import difflib

    from vigil.cli.args import command_word

    word = command_word(argv)
    commands: set[str] = set()
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        commands.update(getattr(action, "choices", None) or ())
    if word is None and argv and not {"-h", "--help"} & set(argv):
        # options alone (`vigil -f cib.xml`): argparse would take the file for the command
        return "error: give a command after the options (see 'vigil --help')"
    if word is None or word in commands:
        return None
    close = difflib.get_close_matches(word, sorted(commands), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"error: unknown command '{word}'{hint} (see 'vigil --help')"


def main(argv: list[str] | None = None) -> int:
    from vigil.cli import pcs

    if pcs.handles(sys.argv[1:] if argv is None else argv):
        return pcs.run(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    unknown = _unknown_command(parser, sys.argv[1:] if argv is None else argv)
    if unknown is not None:
        sys.stderr.write(unknown + "\n")
        return EXIT_USAGE
    args = parser.parse_args(argv)
    # without arguments of its own, main is the process (`vigil ...`): its command is the
    # process's last work (see _cycles_left_alone)
    args.process_ends = argv is None
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ReportError as exc:
        for report in exc.reports:
            sys.stderr.write(render_report(report) + "\n")
        from vigil.cli.args import EXIT_RUNTIME, RUNTIME_CODES

        errors = [r for r in exc.reports if r.severity == Severity.ERROR]
        if not errors:
            return EXIT_OK
        # the machine or the cluster (no vigild, ...) is 1, as for the pcs-style commands
        return EXIT_RUNTIME if all(r.code in RUNTIME_CODES for r in errors) else EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
