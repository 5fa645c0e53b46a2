"""`python3 -m vigil.daemon`: run vigild on this node's Corosync.

Exits with status 1 when Corosync is lost (or cannot be reached at start): its supervisor (the
lab's node init, or systemd) restarts it. Exits 0 when stopped on purpose (SIGTERM, SIGINT):
supervisors leave it stopped then (systemd's Restart=on-failure, the lab's init). Events go to a
JSON-lines file for `vigil status --watch` and the benchmarks.

A `shutdown` request for this node left by an earlier process (its last `vigil cluster stop`) is
withdrawn by the controller at this node's join (vigil.controller.attributes.SHUTDOWN).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from typing import TextIO

from vigil.cluster.layer import ClusterUnavailable
from vigil.daemon import agent_tools
from vigil.daemon.alert_runner import ProcessAlertRunner
from vigil.daemon.control import EXIT_ALREADY_RUNNING
from vigil.daemon.fencing import AgentFencer
from vigil.daemon.ipc import DEFAULT_SOCKET, ControlServer
from vigil.daemon.local_executor import AgentExecutor
from vigil.daemon.remote_links import RoutingExecutor
from vigil.daemon.remote_wire import DEFAULT_AUTHKEY
from vigil.daemon.store import FileStore
from vigil.daemon.vigild import Vigild


class WallClock:
    def now(self) -> int:
        return int(time.time())


class EventLog:
    def __init__(self, path: str | None) -> None:
        self.file: TextIO | None = None
        if path:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            self.file = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115

    def __call__(self, event: dict[str, object]) -> None:
        event = {"ts": round(time.time(), 3), **event}
        logging.getLogger("vigild.events").info("%s", event)
        if self.file is not None:
            self.file.write(json.dumps(event) + "\n")


async def _serve(args: argparse.Namespace) -> int:
    from vigil.cluster.corosync import CorosyncLayer

    layer = CorosyncLayer(args.group)
    node = args.node or socket.gethostname()
    env = agent_env(args.agent_tools_dir, args.socket, args.agent_env)
    tool_host = start_tool_host(args.agent_tools_dir)
    executor = RoutingExecutor(AgentExecutor(node, agent_env=env), args.remote_authkey)
    daemon = Vigild(layer, executor,
                    FileStore(args.state_dir), WallClock(),
                    event_sink=EventLog(args.events), fencer=AgentFencer(node),
                    alerts=ProcessAlertRunner())
    server = ControlServer(daemon, args.socket)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    run = asyncio.ensure_future(daemon.run())
    waiter = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait({run, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if run in done:
            exc = run.exception()
            if isinstance(exc, ClusterUnavailable):
                logging.error("lost the cluster engine: %s", exc)
                return 1
            if exc is not None:
                raise exc
            return 0
        # Asked to stop: say goodbye first, so the others do not fence us for leaving.
        logging.info("asked to stop: telling the others this node leaves")
        await daemon.leave()
        return 0
    finally:
        waiter.cancel()
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError, ClusterUnavailable, Exception):
            await run
        with contextlib.suppress(Exception):
            await layer.stop()
        await server.stop()
        agent_tools.stop_host(tool_host)


def agent_env(tools_dir: str | None, socket_path: str,
              extra: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    """What vigild adds to every agent's environment: its tools for agents (crm_attribute,
    crm_master, attrd_updater, crm_node...: written into `tools_dir` now, found through
    HA_SBIN_DIR and PATH, talking to `socket_path`), then `--agent-env`, which wins. No
    `tools_dir` (or one that cannot be written, logged): the agents get Pacemaker's tools."""
    env: dict[str, str] = {}
    if tools_dir:
        try:
            agent_tools.prepare(tools_dir)
        except OSError as exc:
            logging.error("cannot write the agents' tools into %s (%s): agents will not reach "
                          "vigild through crm_attribute and the like", tools_dir, exc)
        else:
            env.update(agent_tools.agent_environment(tools_dir, os.path.abspath(socket_path)))
    env.update(extra)
    return env


def start_tool_host(tools_dir: str | None) -> subprocess.Popen[bytes] | None:
    """The tool host behind the wrappers in `tools_dir`, when they were written; without one
    (it could not start: logged) the wrappers run each tool in a Python of its own."""
    if not tools_dir or not os.path.exists(os.path.join(tools_dir, agent_tools.TOOLS[0])):
        return None
    try:
        return agent_tools.start_host(tools_dir)
    except OSError as exc:
        logging.error("cannot start the agents' tool host (%s): each tool call starts a Python", exc)
        return None


def agent_env_pair(text: str) -> tuple[str, str]:
    """NAME=VALUE for --agent-env; a name must be a shell variable name."""
    name, sep, value = text.partition("=")
    if not sep or not name.replace("_", "a").isalnum() or name[0].isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME=VALUE with NAME a variable name (e.g. HA_SBIN_DIR=/usr/lib/vigil/sbin)")
    return name, value


def hold_state_dir(directory: str) -> int | None:
    """An exclusive lock on the state directory, held (by the open descriptor) as long as this
    process lives; None when another vigild holds it. Two vigild on one node (a supervisor and
    `vigil cluster start` racing at a boot) would each replace the other's cib.xml under it."""
    os.makedirs(directory, mode=0o755, exist_ok=True)
    fd = os.open(os.path.join(directory, "vigild.lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())  # who holds it (vigil cluster start reads it)
    return fd


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="vigild", description=__doc__)
    p.add_argument("--state-dir", default="/var/lib/vigil")
    p.add_argument("--socket", default=DEFAULT_SOCKET)
    p.add_argument("--events", default="/var/log/vigil/events.jsonl")
    p.add_argument("--group", default="vigil", help="the Corosync CPG group name")
    p.add_argument("--node", help="this node's name (default: the host name)")
    p.add_argument("--agent-env", action="append", default=[], type=agent_env_pair,
                   metavar="NAME=VALUE", help="add to every resource agent's environment "
                   "(repeatable; e.g. HA_SBIN_DIR, PATH)")
    p.add_argument("--agent-tools-dir", default=agent_tools.DEFAULT_DIR, metavar="DIR",
                   help="where vigild writes the crm_attribute, crm_master, attrd_updater, "
                   "crm_node... its agents call (HA_SBIN_DIR); empty: leave them Pacemaker's")
    p.add_argument("--remote-authkey", default=DEFAULT_AUTHKEY, metavar="FILE",
                   help="the key shared with remote nodes' vigil-remoted (read when a "
                   "connection to one starts)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s vigild %(levelname)s %(name)s: %(message)s")
    lock = hold_state_dir(args.state_dir)
    if lock is None:
        logging.error("another vigild runs on this node (it holds %s): this one exits",
                      os.path.join(args.state_dir, "vigild.lock"))
        return EXIT_ALREADY_RUNNING
    try:
        return asyncio.run(_serve(args))
    except ClusterUnavailable as exc:
        logging.error("cannot reach Corosync: %s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
