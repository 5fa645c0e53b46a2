"""Another node's remote endpoint, from this machine: authenticate once (`vigil host auth`),
then send it the same control requests the CLI sends its local vigild (`vigil --host NODE`).

Trust is pinned, as ssh's known_hosts: the first `host auth` records the SHA-256 fingerprint
of the certificate the node shows (the operator sees it and can compare it with the one the
node prints at start), and every later connection is refused before a byte of the request is
sent if the node shows another one. The token the node gave is kept beside it. The file,
/var/lib/vigil/known-hosts (0600; $VIGIL_KNOWN_HOSTS elsewhere), holds every host this machine
may talk to.

Failures are reports (REMOTE_*), never exceptions of the HTTP library.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vigil.commands.env import LiveEnvironment
from vigil.daemon import control as c
from vigil.host.atomic import write_atomic
from vigil.model import reports
from vigil.model.reports import ReportError

DEFAULT_PORT = 2224
KNOWN_HOSTS = Path("/var/lib/vigil/known-hosts")


def known_hosts_path() -> Path:
    return Path(os.environ.get("VIGIL_KNOWN_HOSTS", KNOWN_HOSTS))


@dataclass(frozen=True)
class KnownHost:
    name: str
    address: str
    port: int
    fingerprint: str  # "AB:CD:..." (SHA-256 of the certificate's DER)
    token: str

    @property
    def where(self) -> str:
        return f"{self.address}:{self.port}"


def parse_address(name: str, value: str | None) -> tuple[str, int]:
    """`addr=HOST[:PORT]` (pcs's form) or the node's own name; the port 2224 unless given."""
    text = value or name
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and host:
        if not 0 < int(port) < 65536:
            raise ReportError([reports.error("REMOTE_BAD_ADDRESS", host=name, address=text)])
        return host, int(port)
    if not text or any(ch.isspace() for ch in text):
        raise ReportError([reports.error("REMOTE_BAD_ADDRESS", host=name, address=text)])
    return text, DEFAULT_PORT


class KnownHosts:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or known_hosts_path()

    def read(self) -> dict[str, KnownHost]:
        try:
            raw = json.loads(self.path.read_text())
            hosts = raw["hosts"]
            return {name: KnownHost(name, str(h["address"]), int(h["port"]),
                                    str(h["fingerprint"]), str(h["token"]))
                    for name, h in hosts.items()}
        except FileNotFoundError:
            return {}
        except PermissionError:
            raise ReportError([reports.error("KNOWN_HOSTS_UNREADABLE", path=str(self.path),
                                             detail="permission denied")]) from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ReportError([reports.error("KNOWN_HOSTS_UNREADABLE", path=str(self.path),
                                             detail=str(exc) or type(exc).__name__)]) from None

    def get(self, name: str) -> KnownHost:
        host = self.read().get(name)
        if host is None:
            raise ReportError([reports.error("REMOTE_HOST_NOT_AUTHENTICATED", host=name)])
        return host

    def write(self, hosts: Mapping[str, KnownHost]) -> None:
        data = {"hosts": {h.name: {"address": h.address, "port": h.port,
                                   "fingerprint": h.fingerprint, "token": h.token}
                          for h in sorted(hosts.values(), key=lambda h: h.name)}}
        write_atomic(self.path, (json.dumps(data, indent=1) + "\n").encode(), 0o600)


def fingerprint_of(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest().upper()


def _colons(hexdigest: str) -> str:
    return ":".join(hexdigest[i:i + 2] for i in range(0, len(hexdigest), 2))


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, object]


def _exchange(name: str, address: str, port: int, method: str, path: str,
              body: Mapping[str, object] | None, *, token: str | None, pinned: str | None,
              timeout: float) -> tuple[str, Reply]:
    """One HTTPS request; (the certificate's fingerprint, the reply). With `pinned`, a peer
    showing another certificate is refused before the request is sent."""
    # The chain is not what is trusted (self-signed certificates): the pinned fingerprint is.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(address, port, context=ctx, timeout=timeout)
    try:
        try:
            conn.connect()
        except (OSError, ssl.SSLError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ReportError([reports.error("REMOTE_UNREACHABLE", host=name,
                                             address=f"{address}:{port}", detail=detail)]) from None
        sock = conn.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        if not der:
            raise ReportError([reports.error("REMOTE_UNREACHABLE", host=name,
                                             address=f"{address}:{port}",
                                             detail="no certificate shown")])
        seen = _colons(fingerprint_of(der))
        if pinned is not None and seen != pinned:
            raise ReportError([reports.error("REMOTE_CERTIFICATE_CHANGED", host=name,
                                             pinned=pinned, now=seen)])
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ReportError([reports.error("REMOTE_UNREACHABLE", host=name,
                                             address=f"{address}:{port}",
                                             detail=str(exc) or type(exc).__name__)]) from None
        try:
            decoded = json.loads(raw)
        except ValueError:
            decoded = None
        if not isinstance(decoded, dict):
            raise ReportError([reports.error("REMOTE_BAD_REPLY", host=name, status=response.status,
                                             detail=raw[:200].decode(errors="replace"))])
        return seen, Reply(response.status, decoded)
    finally:
        conn.close()


def _refusal_reports(name: str, reply: Reply) -> ReportError:
    """The endpoint's refusal as reports (it speaks the control protocol's reply shape)."""
    found = []
    sent = reply.body.get("reports")
    if isinstance(sent, list):
        for item in sent:
            if isinstance(item, dict):
                try:
                    found.append(c.decode_report(item))
                except ValueError:
                    continue
    if not found:
        found.append(reports.error("REMOTE_BAD_REPLY", host=name, status=reply.status,
                                   detail=str(reply.body)[:200]))
    return ReportError([r if "host" in dict(r.fields) or not r.code.startswith("REMOTE_")
                        else reports.error(r.code, host=name, **dict(r.fields)) for r in found])


@dataclass(frozen=True)
class Authenticated:
    host: KnownHost
    node: str  # the name the node gave itself
    new_certificate: bool  # first time this machine saw it (or replaced with --force)


def authenticate(name: str, address: str | None, user: str, password: str, *,
                 force: bool = False, hosts: KnownHosts | None = None,
                 timeout: float = 30.0) -> Authenticated:
    """Log in to `name`'s endpoint with a haclient user's password, pin its certificate and
    keep the token. A host whose certificate differs from the one pinned is refused unless
    `force` (the node was reinstalled and the operator checked the new fingerprint)."""
    store = hosts or KnownHosts()
    known = store.read()
    before = known.get(name)
    addr, port = parse_address(name, address) if address or before is None else (
        before.address, before.port)
    # a pinned certificate is checked before the password is sent: never to an impostor
    pinned = before.fingerprint if before is not None and not force else None
    seen, reply = _exchange(name, addr, port, "POST", "/api/v1/auth",
                            {"username": user, "password": password}, token=None,
                            pinned=pinned, timeout=timeout)
    token = reply.body.get("token")
    if reply.status != 200 or not isinstance(token, str):
        raise _refusal_reports(name, reply)
    host = KnownHost(name, addr, port, seen, token)
    known[name] = host
    store.write(known)
    node = reply.body.get("node")
    return Authenticated(host, node if isinstance(node, str) else name,
                         before is None or before.fingerprint != seen)


def deauthenticate(name: str, *, hosts: KnownHosts | None = None,
                   timeout: float = 10.0) -> bool:
    """Forget `name` here and revoke its token there; True when the node revoked it (False
    when it could not be reached: the token is forgotten here all the same)."""
    store = hosts or KnownHosts()
    known = store.read()
    host = known.pop(name, None)
    if host is None:
        raise ReportError([reports.error("REMOTE_HOST_NOT_AUTHENTICATED", host=name)])
    store.write(known)
    try:
        _, reply = _exchange(name, host.address, host.port, "DELETE", "/api/v1/auth", None,
                             token=host.token, pinned=host.fingerprint, timeout=timeout)
    except ReportError:
        return False
    return reply.status == 200


class RemoteControlClient:
    """A ControlClient's `call`, over HTTPS to a known host's endpoint (which hands it to its
    vigild and returns the reply as vigild gave it)."""

    def __init__(self, host: KnownHost, timeout: float = 60.0) -> None:
        self.host = host
        self.timeout = timeout

    def call(self, request: c.RequestOf[c.B]) -> c.Answer[c.B] | c.Refused:
        h = self.host
        _, reply = _exchange(h.name, h.address, h.port, "POST", "/api/v1/control",
                             c.encode_request(request), token=h.token, pinned=h.fingerprint,
                             timeout=self.timeout)
        if reply.status == 200:
            return c.decode_reply(request, reply.body)
        raise _refusal_reports(h.name, reply)


def post_json(host: KnownHost, path: str, body: Mapping[str, object], *,
              timeout: float = 60.0) -> dict[str, object]:
    """POST a JSON object to one of the endpoint's routes; its JSON reply (a refusal of the
    endpoint itself, a 401 say, raised as its reports)."""
    _, reply = _exchange(host.name, host.address, host.port, "POST", path, body,
                         token=host.token, pinned=host.fingerprint, timeout=timeout)
    if reply.status != 200:
        raise _refusal_reports(host.name, reply)
    return reply.body


def get_json(host: KnownHost, path: str, *, timeout: float = 30.0) -> dict[str, object]:
    """GET one of the endpoint's JSON documents (e.g. /api/v1/status)."""
    _, reply = _exchange(host.name, host.address, host.port, "GET", path, None,
                         token=host.token, pinned=host.fingerprint, timeout=timeout)
    if reply.status != 200:
        raise _refusal_reports(host.name, reply)
    return reply.body



class RemoteEnvironment(LiveEnvironment):
    """The running cluster through another node's endpoint (`vigil --host NODE`): every
    request the CLI would send its local vigild goes to that node's, so a command means what it
    means there, and a machine outside the cluster needs no Corosync and no vigild."""

    def __init__(self, name: str, timeout: float = 60.0, *, hosts: KnownHosts | None = None
                 ) -> None:
        self.host = (hosts or KnownHosts()).get(name)
        super().__init__(f"https://{self.host.where}", timeout)
        self.client = RemoteControlClient(self.host, timeout)

    def client_with_timeout(self, timeout: float) -> RemoteControlClient:
        return RemoteControlClient(self.host, timeout)

    def corosync_cluster_name(self) -> str | None:
        """The name the node's Corosync runs under is in its files, not in a control reply:
        the node's status document (which reads them there) says it; None if it cannot."""
        try:
            name = get_json(self.host, "/api/v1/status", timeout=self.client.timeout).get("cluster_name")
        except ReportError:
            return None
        return name if isinstance(name, str) and name else None
