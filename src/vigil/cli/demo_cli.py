"""`vigil demo`: a failover in a 3-node lab, seen by a client and told by the cluster's events.

Exit 0 when the demo ran, 1 with a one-line error otherwise (not root, tools missing, a timeout);
the lab is torn down in every case unless --keep.
"""

from __future__ import annotations

import argparse
import signal
import sys

from vigil.lab.errors import LabError

EXIT_OK = 0
EXIT_FAILURE = 1


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _cmd_demo(args: argparse.Namespace) -> int:
    from vigil.lab import demo, demo_postgres

    def on_term(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)  # teardown on SIGTERM too
    try:
        if args.which == "postgres":
            if args.nodes != 3:
                sys.stderr.write("error: the postgres demo runs on 3 nodes (--nodes is for the "
                                 "web demo)\n")
                return EXIT_FAILURE
            report = demo_postgres.run_postgres_demo(synchronous=not args.asynchronous,
                                                     keep=args.keep, out=_out)
            # the demo's promise: nothing acknowledged is lost in synchronous mode
            if report.synchronous and (report.lost or report.switchover_lost):
                return EXIT_FAILURE
        else:
            if args.asynchronous:
                sys.stderr.write("error: --async is for the postgres demo (vigil demo postgres "
                                 "--async)\n")
                return EXIT_FAILURE
            demo.run_demo(nodes=args.nodes, keep=args.keep, out=_out)
    except LabError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted (the lab was torn down)\n" if not args.keep
                         else "error: interrupted\n")
        return EXIT_FAILURE
    finally:
        signal.signal(signal.SIGTERM, previous)
    return EXIT_OK


def _nodes(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 2 <= n <= 9:
        raise argparse.ArgumentTypeError("the demo takes 2 to 9 nodes")
    return n


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `vigil demo` to the `vigil` parser's subcommands."""
    text = ("build a 3-node lab with fencing and the web service (or, with `postgres`, a "
            "replicated PostgreSQL under PAF's pgsqlms), cut the power of the node running it "
            "(the primary), show the client's downtime, the data it lost and what the cluster "
            "did (root, 1-3 min)")
    p = subparsers.add_parser("demo", help=text, description=text)
    p.add_argument("which", nargs="?", choices=("web", "postgres"), default="web",
                   help="web (default): the seeds' web service; postgres: the database pair")
    p.add_argument("--async", dest="asynchronous", action="store_true",
                   help="postgres: asynchronous replication (default synchronous)")
    p.add_argument("--nodes", type=_nodes, default=3, help="nodes in the lab (default 3)")
    p.add_argument("--keep", action="store_true", help="leave the lab up at the end (lab 'demo')")
    p.set_defaults(func=_cmd_demo)
