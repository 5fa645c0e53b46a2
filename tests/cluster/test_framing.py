"""vigil's frames inside CPG messages (vigil.cluster._framing): pure, no corosync needed."""

from __future__ import annotations

import random
import zlib

import pytest

from vigil.cluster import _framing as framing

ATOMIC = 100
A, B = (1, 1001), (2, 2002)  # (nodeid, pid) of two senders


def frames_of(payload: bytes, *, msg_id: int = 1, nonce: int = 7) -> list[bytes]:
    prepared = framing.prepare(payload, atomic=ATOMIC)
    return framing.fragments(prepared, atomic=ATOMIC, nonce=nonce, msg_id=msg_id)


def noise(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def feed_all(r: framing.Reassembler, sender: tuple[int, int], frames: list[bytes]) -> list[bytes]:
    return [done.payload for f in frames if (done := r.feed(sender, f)) is not None]


def test_small_payloads_go_whole_and_big_compressible_ones_go_compressed() -> None:
    assert frames_of(b"hi") == [b"\x01hi"]
    assert frames_of(b"x" * (ATOMIC - 1)) == [b"\x01" + b"x" * (ATOMIC - 1)]
    [frame] = frames_of(b"y" * 5000)
    assert frame[0] == framing.WHOLE_ZLIB and len(frame) <= ATOMIC
    r = framing.Reassembler(limit=10_000)
    assert feed_all(r, A, [frame]) == [b"y" * 5000]


def test_incompressible_payloads_are_split_and_reassembled_in_order() -> None:
    payload = noise(1000)
    frames = frames_of(payload)
    chunk = ATOMIC - framing.FRAGMENT_HEADER
    assert len(frames) == -(-1000 // chunk) and all(len(f) <= ATOMIC for f in frames)
    assert {f[0] for f in frames} == {framing.FRAGMENT}
    r = framing.Reassembler(limit=10_000)
    other = frames_of(b"z" * 3000, msg_id=9, nonce=8)
    out = []
    for mine in frames:  # another sender's messages interleave, as agreed order allows
        out += feed_all(r, A, [mine])
        out += feed_all(r, B, other)
    assert out.count(b"z" * 3000) == len(frames)
    assert out.count(payload) == 1 and out.index(payload) == len(out) - 2  # with my last fragment


def test_a_payload_too_big_even_compressed_is_split_compressed() -> None:
    payload = noise(300) + b"\0" * 5000  # compresses to about 320 bytes: more than one frame
    frames = frames_of(payload)
    assert len(frames) > 1 and {f[0] for f in frames} == {framing.FRAGMENT_ZLIB}
    assert feed_all(framing.Reassembler(limit=10_000), A, frames) == [payload]


def test_big_incompressible_payloads_skip_the_compression_attempt() -> None:
    payload = noise(300_000)
    prepared = framing.prepare(payload, atomic=100_000)
    assert prepared.fragment_kind == framing.FRAGMENT and prepared.data is payload
    xml = b"<primitive id='r1' class='ocf' provider='heartbeat' type='Dummy'/>\n" * 5000
    assert framing.prepare(xml, atomic=100_000).whole is not None  # compresses into one frame


def test_a_joiner_skips_the_tail_of_a_message_it_did_not_see_start() -> None:
    frames = frames_of(noise(500))
    r = framing.Reassembler(limit=10_000)
    assert feed_all(r, A, frames[2:]) == []
    nxt = frames_of(b"next", msg_id=2)
    assert feed_all(r, A, nxt) == [b"next"]


def test_abort_all_drops_partials_the_same_way_everywhere() -> None:
    first = frames_of(noise(500), msg_id=1)
    again = frames_of(noise(500), msg_id=2)
    member, joiner = framing.Reassembler(limit=10_000), framing.Reassembler(limit=10_000)
    assert feed_all(member, A, first[:3]) == []
    aborted = member.abort_all()  # the view where `joiner` joined
    assert aborted == [framing.Aborted(A, framing.FragmentId(7, 1))]
    for r in (member, joiner):  # the rest of the aborted message, then the resent one
        assert feed_all(r, A, first[3:]) == []
        assert feed_all(r, A, again) == [noise(500)]


def test_a_leaving_sender_loses_its_partial() -> None:
    frames = frames_of(noise(500))
    r = framing.Reassembler(limit=10_000)
    feed_all(r, A, frames[:2])
    assert r.drop_sender(A) == framing.Aborted(A, framing.FragmentId(7, 1))
    assert r.drop_sender(A) is None
    assert feed_all(r, A, frames[2:]) == []


def test_bad_frames_are_refused() -> None:
    r = framing.Reassembler(limit=1000)
    with pytest.raises(framing.FrameError):
        r.feed(A, b"")
    with pytest.raises(framing.FrameError):
        r.feed(A, b"\x09whatever")
    with pytest.raises(framing.FrameError):
        r.feed(A, b"\x02not zlib")
    with pytest.raises(framing.FrameError):  # a bomb: inflates above the limit
        r.feed(A, b"\x02" + zlib.compress(b"\0" * 5000))
    with pytest.raises(framing.FrameError):
        r.feed(A, b"\x03short")
