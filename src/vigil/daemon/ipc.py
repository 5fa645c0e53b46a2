"""The local control socket: JSON lines between the `vigil` CLI and this node's vigild.

Only root and members of the `haclient` group may connect (checked with SO_PEERCRED on every
connection, on top of the socket file's mode 0660 root:haclient).
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import os
import socket
import struct
from typing import Any

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.controller import messages as m
from vigil.model.cib import CibVersion
from vigil.model.reports import ReportError

DEFAULT_SOCKET = "/run/vigil/vigild.sock"
CLIENT_GROUP = "haclient"


def _peer_allowed(sock: socket.socket) -> bool:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, gid = struct.unpack("3i", creds)
    if uid == 0:
        return True
    try:
        group = grp.getgrnam(CLIENT_GROUP)
    except KeyError:
        return False
    if gid == group.gr_gid:
        return True
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        return False
    return name in group.gr_mem


class ControlServer:
    def __init__(self, daemon: Any, path: str = DEFAULT_SOCKET) -> None:
        self.daemon = daemon
        self.path = path
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self.server = await asyncio.start_unix_server(self._client, path=self.path)
        os.chmod(self.path, 0o660)
        with contextlib.suppress(KeyError, PermissionError):
            os.chown(self.path, 0, grp.getgrnam(CLIENT_GROUP).gr_gid)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        try:
            if sock is None or not _peer_allowed(sock):
                writer.write(_line({"ok": False, "code": "IPC_ACCESS_DENIED"}))
                await writer.drain()
                return
            while True:
                raw = await reader.readline()
                if not raw:
                    return
                try:
                    request = json.loads(raw)
                    reply = await self._handle(request)
                except (ValueError, KeyError, TypeError) as exc:
                    reply = {"ok": False, "code": "IPC_BAD_REQUEST", "detail": str(exc)}
                except ReportError as exc:
                    reply = {"ok": False, "code": exc.reports[0].code if exc.reports else "ERROR",
                             "reports": [[r.code, r.severity.value, list(map(list, r.fields))]
                                         for r in exc.reports]}
                writer.write(_line(reply))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    async def _handle(self, req: dict[str, Any]) -> dict[str, Any]:
        d = self.daemon
        op = req["op"]
        if op == "cib":
            return {"ok": True, "xml": write_cib(d.cib)}
        if op == "status":
            q = d.quorum
            return {
                "ok": True, "node": d.name_of(d.me), "node_id": d.me,
                "dc": d.name_of(d.dc) if d.dc is not None else None,
                "members": [d.name_of(n) for n in d.view.members],
                "synced": d.view.synced, "quorate": bool(q and q.quorate),
                "votes": q.total_votes if q else 0, "expected_votes": q.expected_votes if q else 0,
                "xml": write_cib(d.cib),
            }
        if op == "replace":
            new, _ = parse_cib(req["xml"])
            read_version = CibVersion(*[int(x) for x in req["read_version"]])
            ok, detail = await asyncio.wait_for(d.request_config(write_cib(new), read_version),
                                                timeout=float(req.get("timeout", 30)))
            if ok:
                return {"ok": True, "version": list(detail)}
            return {"ok": False, "code": str(detail)}
        if op == "cleanup":
            ok, detail = await asyncio.wait_for(
                d.request_cleanup(req["resource"], req.get("node")), timeout=30)
            return {"ok": ok, "version": list(detail) if ok else None}
        if op == "attribute":
            await d.send(m.Attribute(req["node_id"], req["uname"], req["name"], req.get("value")))
            return {"ok": True}
        if op == "fence":
            action = str(req.get("action") or "reboot")
            if action not in ("reboot", "off"):
                return {"ok": False, "code": "FENCE_BAD_ACTION", "detail": action}
            result = await asyncio.wait_for(d.request_fence(str(req["node"]), action),
                                            timeout=float(req.get("timeout", 120)))
            return {"ok": result.ok, "code": None if result.ok else "FENCE_FAILED",
                    "detail": result.detail, "outcome": _fence_dict(result)}
        if op == "confirm":
            result = await d.request_fence(str(req["node"]), "off", manual=True)
            return {"ok": True, "outcome": _fence_dict(result)}
        if op == "fence-history":
            return {"ok": True, "history": [_fence_dict(f) for f in d.fence_history]}
        if op == "quorum":
            q = d.quorum
            return {"ok": True, "quorate": bool(q and q.quorate),
                    "votes": q.total_votes if q else 0,
                    "expected_votes": q.expected_votes if q else 0,
                    "quorum": q.quorum if q else 0,
                    "members": [d.name_of(int(n)) for n in q.members] if q else [],
                    "two_node": bool(q and q.two_node),
                    "wait_for_all": bool(q and q.wait_for_all)}
        return {"ok": False, "code": "IPC_UNKNOWN_OP", "detail": op}


def _fence_dict(f: m.FenceResult) -> dict[str, Any]:
    return {"target": f.target, "action": f.action, "ok": f.ok, "time": f.when,
            "executioner": f.executioner, "device": f.device, "detail": f.detail,
            "duration_ms": f.duration_ms, "manual": f.manual}


def _line(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj) + "\n").encode()


class ControlClient:
    """Blocking client used by the CLI."""

    def __init__(self, path: str = DEFAULT_SOCKET, timeout: float = 60.0) -> None:
        self.path = path
        self.timeout = timeout

    def call(self, **request: Any) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(self.path)
            sock.sendall(_line(request))
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        reply: dict[str, Any] = json.loads(data)
        return reply
