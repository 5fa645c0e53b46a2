"""vigil-remoted's protocol: what a member and a remote node say over their connection.

TLS (the remote node's own certificate, made at its first start), then a mutual proof of the
shared key (/etc/vigil/remote-authkey, on every member and remote node, as Pacemaker Remote's
/etc/pacemaker/authkey): each side sends HMAC-SHA256(key, role | server certificate fingerprint
| both nonces), so neither learns the key, a replayed proof is worthless (fresh nonces), and a
relay in the middle cannot pass (it would present another certificate). Then one JSON object
per line, each a frame below.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from vigil.controller import messages as m
from vigil.controller.operations import Operation, Outcome
from vigil.model.status import ResourceHistory

DEFAULT_PORT = 3121  # Pacemaker Remote's, so firewall rules carry over
DEFAULT_AUTHKEY = "/etc/vigil/remote-authkey"
LINE_LIMIT = 32 * 1024 * 1024  # a history of many resources is one line


class WireError(Exception):
    """A frame that is not one of this protocol's, or a failed proof."""


# --- the handshake ----------------------------------------------------------------------------

def nonce() -> str:
    return secrets.token_hex(32)


def proof(key: bytes, role: str, server_cert_der: bytes, first: str, second: str) -> str:
    """`role` is "client" or "server"; `first` the prover's peer's nonce, `second` its own."""
    fingerprint = hashlib.sha256(server_cert_der).hexdigest()
    text = "\n".join(("vigil-remote", role, fingerprint, first, second)).encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


def proof_ok(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected, given)


def read_key(path: str) -> bytes:
    """The shared key's bytes (OSError when it cannot be read; WireError when it is empty)."""
    with open(path, "rb") as f:
        key = f.read()
    if len(key) < 16:
        raise WireError(f"{path} holds {len(key)} bytes: a key needs at least 16 (make one with "
                        f"`dd if=/dev/urandom of={path} bs=4096 count=1`)")
    return key


# --- frames after the handshake ------------------------------------------------------------------

@dataclass(frozen=True)
class Execute:
    """Member -> remote: run one operation; answered by Done with the same id."""

    id: int
    operation: Operation


@dataclass(frozen=True)
class StartMonitor:
    """Member -> remote: run a recurring monitor; its changed results come as Report."""

    operation: Operation


@dataclass(frozen=True)
class CancelMonitors:
    resource: str


@dataclass(frozen=True)
class ReadHistory:
    """Member -> remote: everything the remote node's executor recorded; answered by History."""

    id: int


@dataclass(frozen=True)
class Ping:
    id: int


@dataclass(frozen=True)
class Done:
    id: int
    outcome: Outcome


@dataclass(frozen=True)
class Report:
    outcome: Outcome


@dataclass(frozen=True)
class History:
    id: int
    history: tuple[ResourceHistory, ...]


@dataclass(frozen=True)
class Pong:
    id: int


Frame = Execute | StartMonitor | CancelMonitors | ReadHistory | Ping | Done | Report | History | Pong


def _outcome(o: Outcome) -> dict[str, Any]:
    return {"resource": m.history_to_wire(o.resource), "record": m.record_to_wire(o.record)}


def _outcome_from(d: dict[str, Any]) -> Outcome:
    return Outcome(m.history_from_wire(d["resource"]), m.record_from_wire(d["record"]))


def encode(frame: Frame) -> bytes:
    body: dict[str, Any] = {"t": type(frame).__name__}
    if isinstance(frame, Execute | StartMonitor):
        body["operation"] = m.operation_to_wire(frame.operation)
    if isinstance(frame, Done | Report):
        body["outcome"] = _outcome(frame.outcome)
    if isinstance(frame, History):
        body["history"] = [m.history_to_wire(h) for h in frame.history]
    if isinstance(frame, CancelMonitors):
        body["resource"] = frame.resource
    if isinstance(frame, Execute | ReadHistory | Ping | Done | History | Pong):
        body["id"] = frame.id
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> Frame:
    try:
        body = json.loads(line)
        kind = body["t"]
        if kind == "Execute":
            return Execute(int(body["id"]), m.operation_from_wire(body["operation"]))
        if kind == "StartMonitor":
            return StartMonitor(m.operation_from_wire(body["operation"]))
        if kind == "CancelMonitors":
            return CancelMonitors(str(body["resource"]))
        if kind == "ReadHistory":
            return ReadHistory(int(body["id"]))
        if kind == "Ping":
            return Ping(int(body["id"]))
        if kind == "Done":
            return Done(int(body["id"]), _outcome_from(body["outcome"]))
        if kind == "Report":
            return Report(_outcome_from(body["outcome"]))
        if kind == "History":
            return History(int(body["id"]), tuple(m.history_from_wire(h) for h in body["history"]))
        if kind == "Pong":
            return Pong(int(body["id"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise WireError(f"undecodable frame: {exc}") from exc
    raise WireError(f"unknown frame type {kind!r}")


def hello(fields: dict[str, str]) -> bytes:
    """A handshake line (challenge, auth, welcome)."""
    return json.dumps(fields).encode() + b"\n"


def read_hello(line: bytes, kind: str) -> dict[str, str]:
    try:
        body = json.loads(line)
    except ValueError as exc:
        raise WireError(f"expected the {kind} of the handshake: {exc}") from exc
    if not isinstance(body, dict) or body.get("t") != kind:
        raise WireError(f"expected the {kind} of the handshake, got {str(line[:80])}")
    return {str(k): str(v) for k, v in body.items()}
