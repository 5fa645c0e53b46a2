"""vigil.host.jsonlines: one JSON object a line each way; a broken exchange says so."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.host import jsonlines

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_encode_decode_round_trip(obj: dict[str, object]) -> None:
    line = jsonlines.encode(obj)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert jsonlines.decode(line) == obj


@pytest.mark.parametrize("line", [b"", b"\n", b"{", b"[1]\n", b"null\n", b"\xff\n", b'"x"\n'])
def test_decode_refuses_what_is_not_one_object(line: bytes) -> None:
    with pytest.raises(ValueError):
        jsonlines.decode(line)


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[Callable[[bytes], str]]:
    """A socket that answers every connection with the given bytes, then hangs up."""
    servers: list[socket.socket] = []

    def start(answer: bytes) -> str:
        path = str(tmp_path / f"s{len(servers)}.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        servers.append(srv)

        def serve() -> None:
            conn, _ = srv.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(answer)

        threading.Thread(target=serve, daemon=True).start()
        return path

    yield start
    for srv in servers:
        srv.close()


@pytest.mark.parametrize("answer", [b'{"ok": true}\n', b'{"ok": true}'])
def test_exchange(peer: Callable[[bytes], str], answer: bytes) -> None:
    assert jsonlines.exchange(peer(answer), {"a": 1}, timeout=5) == {"ok": True}


@pytest.mark.parametrize("answer", [b"", b'{"ok": tr', b"[]\n", b"\n"])
def test_a_broken_exchange_is_an_error_not_an_empty_answer(
        peer: Callable[[bytes], str], answer: bytes) -> None:
    with pytest.raises(ValueError):
        jsonlines.exchange(peer(answer), {"a": 1}, timeout=5)


def test_no_peer(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        jsonlines.exchange(tmp_path / "none.sock", {}, timeout=1)


@pytest.mark.parametrize("answer", [b'{"ok": true, "power": "on"}\n', b"", b'{"ok": true}',
                                    b'{"ok": tr', b"[]\n", b"not json\n"])
def test_the_lab_fence_agent_agrees_with_its_copy(peer: Callable[[bytes], str],
                                                  answer: bytes) -> None:
    """fence_vigil_lab keeps its own copy of the exchange (it must run without vigil): the
    two accept and refuse the same replies."""
    from vigil.lab import fence_vigil_lab

    def outcome(ask: Callable[[str], object]) -> object:
        try:
            return ask(peer(answer))
        except ValueError:
            return ValueError

    assert outcome(lambda p: jsonlines.exchange(p, {"action": "list"}, timeout=5)) == \
        outcome(lambda p: fence_vigil_lab.ask(p, {"action": "list"}, 5))
