"""vigil.daemon.control: the control socket's typed messages.

Round trips of every request and reply through their JSON form (hypothesis); bad requests get
one clear refusal and no traceback; every report code the daemon side can send has words in
the CLI.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigil.cluster.layer import QuorumChange
from vigil.controller import messages as m
from vigil.controller.state import View as ViewState
from vigil.controller.state import empty_cib
from vigil.daemon import control as c
from vigil.daemon.ipc import ControlServer
from vigil.host import jsonlines
from vigil.model import reports
from vigil.model.cib import Cib
from vigil.model.reports import Report, ReportError, Severity
from vigil.model.version import CibVersion
from vigil.words import messages

SRC = Path(__file__).resolve().parents[2] / "src" / "vigil"

text = st.text(max_size=20)
names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
counts = st.integers(min_value=0, max_value=2**40)
versions = st.builds(CibVersion, counts, counts, counts)
report_st = st.builds(Report, code=st.from_regex(r"[A-Z][A-Z_]{0,30}", fullmatch=True),
                      severity=st.sampled_from(Severity),
                      fields=st.lists(st.tuples(names, text), max_size=4).map(tuple),
                      forceable=st.booleans())
seconds = st.floats(min_value=0.001, max_value=1e6, allow_nan=False)

requests = st.one_of(
    st.just(c.GetCib()), st.just(c.GetStatus()), st.just(c.GetFenceHistory()),
    st.just(c.GetQuorum()),
    st.builds(c.ReplaceConfig, text, versions, seconds),
    st.builds(c.Cleanup, names, st.none() | names),
    st.builds(c.SetAttribute, names, names, names, st.none() | text),
    st.builds(c.Fence, names, st.sampled_from(c.FenceAction), seconds),
    st.builds(c.ConfirmFenced, names),
)
outcomes = st.builds(c.FenceOutcome, target=names, action=st.sampled_from(["reboot", "off"]),
                     ok=st.booleans(), time=st.none() | counts,
                     executioner=st.none() | names, device=st.none() | names,
                     detail=st.none() | text, duration_ms=st.none() | counts,
                     manual=st.booleans())
# (a request, a body that answers it)
answered = st.one_of(
    st.tuples(st.just(c.GetCib()), st.builds(c.CibXml, text)),
    st.tuples(st.just(c.GetStatus()), st.builds(
        c.DaemonStatus, node=names, node_id=counts, dc=st.none() | names,
        members=st.lists(names, max_size=4).map(tuple), synced=st.booleans(),
        quorate=st.booleans(), votes=counts, expected_votes=counts, xml=text)),
    st.tuples(st.builds(c.ReplaceConfig, text, versions), st.builds(c.NewVersion, versions)),
    st.tuples(st.builds(c.Cleanup, names), st.builds(c.NewVersion, versions)),
    st.tuples(st.builds(c.SetAttribute, names, names, names, st.none()), st.just(c.Done())),
    st.tuples(st.builds(c.Fence, names), outcomes),
    st.tuples(st.builds(c.ConfirmFenced, names), outcomes),
    st.tuples(st.just(c.GetFenceHistory()),
              st.lists(outcomes, max_size=3).map(lambda o: c.FenceHistory(tuple(o)))),
    st.tuples(st.just(c.GetQuorum()), st.builds(
        c.QuorumState, quorate=st.booleans(), votes=counts, expected_votes=counts,
        quorum=counts, members=st.lists(names, max_size=4).map(tuple),
        two_node=st.booleans(), wait_for_all=st.booleans())),
)


def over_the_wire(obj: jsonlines.JsonObject) -> jsonlines.JsonObject:
    """As the other end gets it: one line of bytes, decoded."""
    return jsonlines.decode(jsonlines.encode(obj))


@given(requests)
def test_requests_round_trip(request: c.Request) -> None:
    assert c.decode_request(over_the_wire(c.encode_request(request))) == request


@given(answered, st.lists(report_st, max_size=3).map(tuple))
def test_answers_round_trip_with_their_reports(pair: tuple[c.RequestOf[c.B], c.B],
                                               found: tuple[Report, ...]) -> None:
    request, body = pair
    reply = c.Answer(body, found)
    assert c.decode_reply(request, over_the_wire(c.encode_reply(reply))) == reply


@given(requests, st.lists(report_st, min_size=1, max_size=3).map(tuple))
def test_refusals_round_trip_whole(request: c.Request, found: tuple[Report, ...]) -> None:
    found += (reports.error("SOME_ERROR", why="x"),)  # a refusal holds at least one error
    reply = c.Refused(found)
    back = c.decode_reply(request, over_the_wire(c.encode_reply(reply)))
    assert back == reply  # warnings and forceable flags included, fields in order


def test_a_refusal_without_an_error_still_says_it_is_one() -> None:
    back = c.decode_reply(c.GetCib(), {"ok": False, "reports": []})
    assert isinstance(back, c.Refused) and [r.code for r in back.reports] == ["DAEMON_ERROR"]


# -- bad requests: one clear refusal, nothing changed, no traceback ----------------------------
class StillDaemon:
    """A daemon that must not be asked anything: every bad request stops before it."""

    def __init__(self) -> None:
        self.cib: Cib = empty_cib()
        self.me = 1
        self.dc: int | None = 1
        self.view = ViewState(members=(1,), synced=True)
        self.quorum: QuorumChange | None = None
        self.fence_history: Sequence[m.FenceResult] = ()
        self.asked: list[str] = []

    def name_of(self, node: int) -> str:
        return f"node{node}"

    async def send(self, msg: m.Message) -> None:
        self.asked.append(f"send {msg}")

    async def request_config(self, cib_xml: str, read_version: CibVersion
                             ) -> tuple[bool, object]:
        self.asked.append("config")
        return True, (0, 2, 0)

    async def request_cleanup(self, resource: str, node: str | None) -> tuple[bool, object]:
        self.asked.append("cleanup")
        return True, (0, 1, 1)

    async def request_fence(self, target: str, action: str, manual: bool = False
                            ) -> m.FenceResult:
        self.asked.append("fence")
        raise ReportError([reports.error("NODE_NOT_FOUND", node=target)])


BAD = [
    (b"not json\n", "IPC_BAD_REQUEST", "not JSON"),
    (b"\xff\xfe\n", "IPC_BAD_REQUEST", "not JSON"),
    (b"[1, 2]\n", "IPC_BAD_REQUEST", "not an object"),
    (b"{}\n", "IPC_BAD_REQUEST", "'op'"),
    (b'{"op": 7}\n', "IPC_BAD_REQUEST", "'op'"),
    (b'{"op": "explode"}\n', "IPC_UNKNOWN_OP", ""),
    (b'{"op": "fence", "node": 3}\n', "IPC_BAD_REQUEST", "'node' must be a string, not an integer"),
    (b'{"op": "fence", "node": "n1", "action": "on"}\n', "IPC_BAD_REQUEST", "'action'"),
    (b'{"op": "fence", "node": "n1", "timeout_s": "soon"}\n', "IPC_BAD_REQUEST", "'timeout_s'"),
    (b'{"op": "fence", "node": "n1", "timeout_s": -1}\n', "IPC_BAD_REQUEST", "'timeout_s'"),
    (b'{"op": "fence", "node": "n1", "timeout_s": NaN}\n', "IPC_BAD_REQUEST", "'timeout_s'"),
    (b'{"op": "replace", "xml": "<cib/>", "read_version": [0, 1, 0], "timeout_s": Infinity}\n',
     "IPC_BAD_REQUEST", "'timeout_s'"),
    (b'{"op": "cleanup"}\n', "IPC_BAD_REQUEST", "'resource' is missing"),
    (b'{"op": "replace", "xml": "<cib/>", "read_version": [0, 1]}\n', "IPC_BAD_REQUEST",
     "'read_version'"),
    (b'{"op": "replace", "xml": "<cib/>", "read_version": [0, true, 1]}\n', "IPC_BAD_REQUEST",
     "'read_version'"),
    (b'{"op": "attribute", "node_id": "1", "uname": "n1", "name": "x", "value": 1}\n',
     "IPC_BAD_REQUEST", "'value'"),
    (b'{"op": "replace", "xml": "<cib", "read_version": [0, 1, 0]}\n', "CIB_NOT_XML", ""),
]


@pytest.mark.parametrize(("line", "code", "says"), BAD)
def test_a_bad_request_gets_one_clear_refusal(line: bytes, code: str, says: str) -> None:
    daemon = StillDaemon()
    reply = asyncio.run(ControlServer(daemon, "/nonexistent/sock").answer(line))
    assert isinstance(reply, c.Refused) and [r.code for r in reply.reports] == [code]
    assert says in reply.reports[0].field("detail")
    assert daemon.asked == []
    text = messages.render_report(reply.reports[0])
    assert text.startswith("error: ") and "\n" not in text and code not in text


def test_refusals_of_the_daemon_come_back_whole() -> None:
    daemon = StillDaemon()
    server = ControlServer(daemon, "/nonexistent/sock")
    reply = asyncio.run(server.answer(jsonlines.encode(c.encode_request(c.ConfirmFenced("n9")))))
    assert reply == c.Refused((reports.error("NODE_NOT_FOUND", node="n9"),))


# -- every code the daemon sends has words in the CLI ----------------------------------------
_REPORTED = re.compile(r"reports\.(?:error|warning|info|unless_forced)\(\s*(?:force,\s*)?\"([A-Z_]+)\"")
_ANSWERED = re.compile(r"(?:_answer\([^)]*?(?:True|False),\s*|code=)\"([A-Z_]+)\"")


def test_the_daemon_sends_only_registered_codes() -> None:
    """A new code in the daemon (or its controller) must be registered in DAEMON_CODES, which
    the next test holds to having a message."""
    found = set()
    for package in ("daemon", "controller"):
        for path in (SRC / package).rglob("*.py"):
            source = path.read_text()
            found |= set(_REPORTED.findall(source)) | set(_ANSWERED.findall(source))
    assert {"CIB_NOT_READY", "CIB_CHANGED_UNDERNEATH", "NODE_NOT_FOUND"} <= found
    assert found - c.DAEMON_CODES == set()


@pytest.mark.parametrize("code", sorted(c.DAEMON_CODES))
def test_every_daemon_code_has_a_message(code: str) -> None:
    text = messages.render_report(reports.error(code))
    assert not text.startswith(f"error: {code}"), f"{code} has no message in vigil.cli"
