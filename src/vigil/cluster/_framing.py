"""vigil's frames inside CPG messages: whole, compressed, or split in fragments. Pure, no I/O.

A broadcast payload becomes one or more CPG messages ("frames"), each at most the engine's atomic
size (libcpg's `cpg_max_atomic_msgsize`: above it libcpg splits by itself with a blocking retry
loop). Frame layout (network byte order), first byte the kind:

    0x01 payload                         whole, as is
    0x02 zlib(payload)                   whole, compressed
    0x03 nonce:u64 id:u64 index:u32 count:u32 chunk    fragment of the payload
    0x04 nonce:u64 id:u64 index:u32 count:u32 chunk    fragment of zlib(payload)

A payload that fits is sent whole; otherwise it is compressed, and if that still does not fit, the
smaller of the two is split. `nonce` names the sending layer instance and `id` the attempt.

Reassembly relies on agreed order: one sender's fragments arrive in order, interleaved with
other senders' messages, at the same position on every member. At a view with joined members
every member aborts every partial message (a joiner saw only its tail): all members drop the
same messages, and their senders (who see their own partial aborted) send them again.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

WHOLE = 0x01
WHOLE_ZLIB = 0x02
FRAGMENT = 0x03
FRAGMENT_ZLIB = 0x04
_FRAG = struct.Struct("!BQQII")
FRAGMENT_HEADER = _FRAG.size
COMPRESS_LEVEL = 6
_SAMPLE = 64 * 1024  # compressing this much first tells incompressible payloads cheaply


class FrameError(ValueError):
    """A frame that this version cannot read (corrupt, or from a newer peer)."""


@dataclass(frozen=True)
class Prepared:
    """A payload ready to send: either one frame, or data to split (`fragment_kind` set)."""

    whole: bytes | None
    data: bytes = b""
    fragment_kind: int = 0


def prepare(payload: bytes, *, atomic: int) -> Prepared:
    """Compress only when needed, and not when a sample shows the payload does not compress
    (random or already compressed data). CPU-heavy for big payloads: run it off the event loop."""
    if 1 + len(payload) <= atomic:
        return Prepared(bytes([WHOLE]) + payload)
    if len(payload) > 2 * _SAMPLE and len(zlib.compress(payload[:_SAMPLE], 1)) > 0.9 * _SAMPLE:
        return Prepared(None, payload, FRAGMENT)
    packed = zlib.compress(payload, COMPRESS_LEVEL)
    if 1 + len(packed) <= atomic:
        return Prepared(bytes([WHOLE_ZLIB]) + packed)
    if len(packed) < len(payload):
        return Prepared(None, packed, FRAGMENT_ZLIB)
    return Prepared(None, payload, FRAGMENT)


def fragments(prepared: Prepared, *, atomic: int, nonce: int, msg_id: int) -> list[bytes]:
    """The frames of one send attempt."""
    if prepared.whole is not None:
        return [prepared.whole]
    chunk = atomic - FRAGMENT_HEADER
    if chunk <= 0:
        raise ValueError(f"atomic size {atomic} leaves no room for fragments")
    data = memoryview(prepared.data)
    count = (len(data) + chunk - 1) // chunk
    return [
        _FRAG.pack(prepared.fragment_kind, nonce, msg_id, i, count) + data[i * chunk : (i + 1) * chunk]
        for i in range(count)
    ]


def _inflate(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as err:
        raise FrameError(f"bad zlib data: {err}") from err
    if len(out) > limit or inflater.unconsumed_tail or not inflater.eof:
        raise FrameError(f"compressed payload above {limit} bytes, or truncated")
    return out


@dataclass(frozen=True)
class FragmentId:
    nonce: int
    msg_id: int


@dataclass
class _Partial:
    fid: FragmentId
    kind: int
    count: int
    parts: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class Aborted:
    """A partial message dropped at a view change (see the module docstring)."""

    sender: tuple[int, int]  # (nodeid, pid) as CPG reports it
    fid: FragmentId


@dataclass(frozen=True)
class Complete:
    payload: bytes
    fid: FragmentId | None  # None for a whole frame


class Reassembler:
    """Turns the frames delivered by CPG back into payloads, one partial message per sender."""

    def __init__(self, *, limit: int) -> None:
        self._limit = limit
        self._partials: dict[tuple[int, int], _Partial] = {}

    def feed(self, sender: tuple[int, int], frame: bytes) -> Complete | None:
        """The payload completed by `frame`, or None. Raises FrameError for unreadable frames
        (the caller drops them); a fragment without its start (joined mid-message) is skipped."""
        if not frame:
            raise FrameError("empty frame")
        kind = frame[0]
        if kind == WHOLE:
            return Complete(frame[1:], None)
        if kind == WHOLE_ZLIB:
            return Complete(_inflate(frame[1:], self._limit), None)
        if kind not in (FRAGMENT, FRAGMENT_ZLIB) or len(frame) < FRAGMENT_HEADER:
            raise FrameError(f"unknown frame kind {kind:#x} ({len(frame)} bytes)")
        _, nonce, msg_id, index, count = _FRAG.unpack_from(frame)
        fid = FragmentId(nonce, msg_id)
        chunk = frame[FRAGMENT_HEADER:]
        if index == 0:
            if count < 1 or count * len(chunk) > 2 * self._limit + len(chunk):
                raise FrameError(f"implausible fragment count {count}")
            partial = self._partials[sender] = _Partial(fid, kind, count)
        else:
            current = self._partials.get(sender)
            if current is None or current.fid != fid or len(current.parts) != index or current.kind != kind:
                return None  # its start was aborted or never seen: every member skips it alike
            partial = current
        partial.parts.append(chunk)
        if len(partial.parts) < partial.count:
            return None
        del self._partials[sender]
        data = b"".join(partial.parts)
        if kind == FRAGMENT_ZLIB:
            return Complete(_inflate(data, self._limit), fid)
        if len(data) > self._limit:
            raise FrameError(f"payload of {len(data)} bytes above {self._limit}")
        return Complete(data, fid)

    def drop_sender(self, sender: tuple[int, int]) -> Aborted | None:
        partial = self._partials.pop(sender, None)
        return None if partial is None else Aborted(sender, partial.fid)

    def abort_all(self) -> list[Aborted]:
        aborted = [Aborted(sender, p.fid) for sender, p in self._partials.items()]
        self._partials.clear()
        return aborted
