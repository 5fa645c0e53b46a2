"""One JSON object a line, each way, over a unix stream socket.

The framing is shared by every such socket vigil has (vigild's control socket, the lab's power
switch): a request is one line holding a JSON object, its reply is one line holding a JSON
object. Anything else is a broken exchange, and says so (ValueError): an empty reply is the peer
hanging up without answering, never an empty answer.

Dicts stop here: callers decode a `JsonObject` into their own typed messages.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the tools agents call import this at every run: no pathlib at run time
    from pathlib import Path

JsonObject = dict[str, object]

MAX_LINE = 16 * 1024 * 1024  # a whole CIB travels on one line; far above any real one


def encode(obj: Mapping[str, object]) -> bytes:
    """One line: the object as compact JSON (no newline inside: json escapes them) and '\\n'."""
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> JsonObject:
    """The JSON object on one line; ValueError (with a short reason) for anything else."""
    if not line.strip():
        raise ValueError("empty line, no JSON object")
    try:
        value = json.loads(line)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"a JSON {type(value).__name__}, not an object")
    return value


def exchange(path: Path | str, request: Mapping[str, object], *, timeout: float,
             max_line: int = MAX_LINE) -> JsonObject:
    """Send one request line, read one reply line (blocking).

    Raises OSError when the socket cannot be reached or times out (TimeoutError is one), and
    ValueError when the peer hangs up without answering, or answers with more than `max_line`
    bytes, or with something that is not one JSON object. A last line the peer ends by closing
    the connection instead of '\n' is accepted: a cut JSON object does not parse anyway.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(os.fspath(path))
        sock.sendall(encode(request))
        data = bytearray()
        while not data.endswith(b"\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            data += chunk
            if len(data) > max_line:
                raise ValueError(f"reply longer than {max_line} bytes")
    if not data:
        raise ValueError("no reply (the peer closed the connection)")
    return decode(bytes(data))
