"""The remote endpoint's tokens: what `vigil host auth` gets for a password once, and sends
instead of it on every request after (as pcsd's tokens).

A token is 32 random bytes (urlsafe base64). The node keeps only its SHA-256 with the user it was
given to and when, in /etc/vigil/remote/tokens (0600, one JSON object, replaced whole): a copy
of the file gives nobody a token. A token is valid until revoked (`vigil host deauth`) or the
file is removed; comparing hashes of a fixed length leaks nothing through timing that matters.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from vigil.host.atomic import write_atomic
from vigil.host.passwords import remote_dir


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenHolder:
    user: str
    issued: int  # seconds since the epoch


class TokenStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or remote_dir() / "tokens"

    def _read(self) -> dict[str, TokenHolder]:
        try:
            raw = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError:  # a damaged file lets nobody in (and is rewritten at the next issue)
            return {}
        out: dict[str, TokenHolder] = {}
        if isinstance(raw, dict):
            for digest, entry in raw.items():
                if (isinstance(entry, dict) and isinstance(entry.get("user"), str)
                        and isinstance(entry.get("issued"), int)):
                    out[digest] = TokenHolder(entry["user"], entry["issued"])
        return out

    def _write(self, entries: dict[str, TokenHolder]) -> None:
        data = {d: {"user": h.user, "issued": h.issued} for d, h in entries.items()}
        write_atomic(self.path, json.dumps(data).encode(), 0o600)

    def issue(self, user: str, now: int) -> str:
        token = secrets.token_urlsafe(32)
        entries = self._read()
        entries[_digest(token)] = TokenHolder(user, now)
        self._write(entries)
        return token

    def holder(self, token: str) -> TokenHolder | None:
        """Who the token was given to; None for a token this node never gave (or revoked)."""
        if not token:
            return None
        return self._read().get(_digest(token))

    def revoke(self, token: str) -> bool:
        entries = self._read()
        if entries.pop(_digest(token), None) is None:
            return False
        self._write(entries)
        return True
