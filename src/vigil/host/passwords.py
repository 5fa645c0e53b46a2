"""Who may get a token from the remote endpoint: a user of the `haclient` group whose password
checks, as pcsd lets in `hacluster` (`vigil host auth` asks for it).

Two ways to check a password, chosen per node:
- a password file, /etc/vigil/remote/passwords (0600, `user:scrypt$N$r$p$salt$hash` lines,
  written by `vigil host password`): for nodes whose system accounts the cluster should not
  touch, and the lab (its nodes share the machine's /etc/shadow);
- PAM (the `vigil` service, /etc/pam.d/vigil, as pcsd has its own `pcsd` service): the system's
  own account and password, `passwd hacluster` as on a Pacemaker node.
The file wins where it exists: an operator who wrote one meant it. A user who is not in the
`haclient` group is refused whatever the password (the group is what the control socket lets in
too, so a token never gives more than a local login of that user would).
"""

from __future__ import annotations

import base64
import grp
import hashlib
import hmac
import os
import pwd
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from vigil.host.atomic import write_atomic

CLIENT_GROUP = "haclient"
DEFAULT_USER = "hacluster"
REMOTE_DIR = Path("/etc/vigil/remote")  # the endpoint's certificate, tokens and password file


def remote_dir() -> Path:
    """Where this node's endpoint keeps its files ($VIGIL_REMOTE_DIR elsewhere: tests)."""
    return Path(os.environ.get("VIGIL_REMOTE_DIR", REMOTE_DIR))


PAM_SERVICE = "vigil"

# scrypt's cost: 2^15 x 8 x 1 is 32 MiB and ~0.1 s a check here, OWASP's floor for scrypt
_N, _R, _P = 2**15, 8, 1
_MAXMEM = 64 * 1024 * 1024


class PasswordCheck(Protocol):
    def check(self, user: str, password: str) -> bool:
        """True when `password` is `user`'s."""
        ...


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAXMEM)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_hash(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest, validate=True)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt, validate=True),
                             n=int(n), r=int(r), p=int(p), maxmem=_MAXMEM, dklen=len(want))
    except ValueError:  # a damaged line (binascii.Error is a ValueError) checks nothing
        return False
    return hmac.compare_digest(got, want)


@dataclass(frozen=True)
class PasswordFile:
    path: Path = field(default_factory=lambda: remote_dir() / "passwords")

    def entries(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for line in self.path.read_text().splitlines():
            user, sep, stored = line.strip().partition(":")
            if sep and user and not user.startswith("#"):
                out[user] = stored
        return out

    def check(self, user: str, password: str) -> bool:
        stored = self.entries().get(user)
        return stored is not None and verify_hash(password, stored)

    def set(self, user: str, password: str) -> None:
        """Set (or replace) `user`'s password; the file is 0600 from its first byte and
        replaced whole (a reader never sees half a file)."""
        entries = self.entries() if self.path.exists() else {}
        entries[user] = hash_password(password)
        text = "".join(f"{u}:{h}\n" for u, h in sorted(entries.items()))
        write_atomic(self.path, text.encode(), 0o600)


@dataclass(frozen=True)
class PamCheck:
    service: str = PAM_SERVICE

    def check(self, user: str, password: str) -> bool:
        import pam  # python-pam: PAM through ctypes, only where PAM is the check

        return bool(pam.authenticate(user, password, service=self.service))


def in_client_group(user: str) -> bool:
    """Whether `user` may use the cluster: root, or a member of `haclient` (primary or not)."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        return False
    if entry.pw_uid == 0:
        return True
    try:
        group = grp.getgrnam(CLIENT_GROUP)
    except KeyError:
        return False
    return entry.pw_gid == group.gr_gid or user in group.gr_mem


@dataclass(frozen=True)
class NodePasswords:
    """This node's check: the password file where there is one, else PAM; the user in
    `haclient` either way."""

    file: PasswordFile = field(default_factory=PasswordFile)

    def check(self, user: str, password: str) -> bool:
        if not user or not password or not in_client_group(user):
            return False
        if self.file.path.exists():
            return self.file.check(user, password)
        return PamCheck().check(user, password)
