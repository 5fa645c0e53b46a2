"""`python3 -m vigil.api`: this node's remote endpoint, beside vigild (a process of its own, as
pcsd beside Pacemaker: the HTTP and TLS work never shares vigild's event loop, and the endpoint
can be restarted alone). It reads the cluster's status from the local vigild's control socket
in the background (vigil.api.snapshots) and serves the health checks and /metrics over HTTPS.

    python3 -m vigil.api [--port 2224] [--address ADDR] [--cert FILE --key FILE] [--san ADDR]...
                         [--protect health,metrics] [--plain-port PORT]

Without --cert, the node's own certificate in /etc/vigil/remote/ (made at the first start,
vigil.host.tls). Tokens and passwords: vigil.api.tokens, vigil.api.passwords. Logs (stdout)
each token issued or refused and each change a remote caller asked for, with who asked. Exits 0
on SIGTERM or SIGINT; 1 with one line when it cannot serve (the port taken, a certificate that
does not load)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import ssl
import sys
from pathlib import Path

from aiohttp import web

from vigil.api.events_follow import EVENTS_LOG, EventsFollower
from vigil.api.server import PROTECTABLE, build_app, build_plain_app
from vigil.api.snapshots import StatusCache
from vigil.commands.env import LiveEnvironment
from vigil.commands.status import ClusterStatus, cluster_status
from vigil.daemon.ipc import DEFAULT_SOCKET
from vigil.host import tls
from vigil.host.passwords import remote_dir

DEFAULT_PORT = 2224  # pcsd's: firewall rules written for it carry over


def _local_addresses(node: str) -> list[str]:
    """The addresses the node's name resolves to, for the certificate (none when it does not)."""
    with contextlib.suppress(OSError):
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(node, None, socket.AF_INET)})
    return []


async def serve(args: argparse.Namespace) -> int:
    env = LiveEnvironment(timeout=10.0)

    def read() -> ClusterStatus:
        return cluster_status(env)

    node = socket.gethostname()
    cert = Path(args.cert) if args.cert else remote_dir() / "remote.crt"
    key = Path(args.key) if args.key else remote_dir() / "remote.key"
    if not args.cert:
        # the addresses given, else those the node's name resolves to
        tls.ensure_certificate(cert, key, node, args.san or _local_addresses(node))
    try:
        ctx = tls.server_context(cert, key)
    except (OSError, ssl.SSLError) as exc:
        sys.stderr.write(f"error: the certificate {cert} or its key {key} does not load ({exc}): "
                         "give a PEM certificate and key with --cert and --key\n")
        return 1
    cache = StatusCache(read)
    refresher = asyncio.create_task(cache.run())
    # one follower for both ports: each scrape reads only what the log gained
    events = EventsFollower(Path(args.events))
    app = build_app(cache, node, control_socket=os.environ.get("VIGIL_SOCKET", DEFAULT_SOCKET),
                    protect=args.protect, events=events, events_log=Path(args.events))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    runners = [runner]
    sites: list[tuple[web.AppRunner, int, ssl.SSLContext | None, str]] = [
        (runner, args.port, ctx, "--port")]
    if args.plain_port is not None:
        plain = web.AppRunner(build_plain_app(cache, node, serve=[
            c for c in PROTECTABLE if c not in args.protect], events=events), access_log=None)
        await plain.setup()
        runners.append(plain)
        sites.append((plain, args.plain_port, None, "--plain-port"))
    for site_runner, port, site_ctx, option in sites:
        try:
            await web.TCPSite(site_runner, args.address, port, ssl_context=site_ctx).start()
        except OSError as exc:
            sys.stderr.write(f"error: cannot listen on {args.address or '*'}:{port} "
                             f"({exc.strerror}): stop what holds the port or choose another "
                             f"with {option}\n")
            refresher.cancel()
            for r in runners:
                await r.cleanup()
            return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"vigil remote endpoint on https://{args.address or '*'}:{args.port} "
          f"(certificate {cert}, SHA-256 {tls.fingerprint(cert)})", flush=True)
    if args.plain_port is not None:
        print(f"health checks and /metrics also on http://{args.address or '*'}:"
              f"{args.plain_port} (plain HTTP, no token)", flush=True)
    await stop.wait()
    refresher.cancel()
    for r in runners:
        await r.cleanup()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m vigil.api", description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=DEFAULT_PORT)
    ap.add_argument("--address", default=None, help="the address to listen on (default: all)")
    ap.add_argument("--cert", help="a PEM certificate (default: the node's own, made once)")
    ap.add_argument("--key", help="its PEM private key")
    ap.add_argument("--san", action="append", default=[], metavar="ADDR",
                    help="an address to name in the certificate made at the first start "
                         "(default: those the node's name resolves to); repeatable")
    ap.add_argument("--plain-port", type=int, default=None, metavar="PORT",
                    help="also serve the health checks and /metrics (those not --protect-ed) "
                         "over plain HTTP on PORT, for load balancers without TLS")
    ap.add_argument("--events", default=str(EVENTS_LOG), metavar="FILE",
                    help=f"vigild's events log, for the transition and recovery metrics "
                         f"(default {EVENTS_LOG})")
    ap.add_argument("--protect", default="", metavar="CHECKS",
                    help="comma-separated, of health,metrics: ask a token for these too "
                         "(default: load balancers and Prometheus need none)")
    args = ap.parse_args(argv)
    if bool(args.cert) != bool(args.key):
        ap.error("--cert and --key go together")
    args.protect = [p for p in args.protect.split(",") if p]
    unknown = sorted(set(args.protect) - set(PROTECTABLE))
    if unknown:
        ap.error(f"--protect takes {' and '.join(PROTECTABLE)}, not {', '.join(unknown)}")
    logging.basicConfig(stream=sys.stdout, level=logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s")
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
