"""LiveEnvironment, the CLI's side of vigild's control socket, against a scripted daemon."""

from __future__ import annotations

import dataclasses
import socket
import threading
from pathlib import Path

import pytest
from cibs import DUMMY, cib_text, running_on_node1
from scripted import FakeDaemon

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.commands.env import LiveEnvironment
from vigil.daemon import control as c
from vigil.model import reports
from vigil.model.reports import ReportError
from vigil.model.version import CibVersion

CIB = cib_text(DUMMY.format(id="A"), status1=running_on_node1("A"))


def test_a_push_sends_the_configuration_without_the_status(tmp_path: Path) -> None:
    cib, _ = parse_cib(CIB)
    assert cib.status
    sent = c.ReplaceConfig(write_cib(dataclasses.replace(cib, status=())), cib.version)
    unknown = reports.warning("CIB_UNKNOWN_ELEMENT", element="x-vendor", path="/cib")
    fake = FakeDaemon(tmp_path / "d.sock", [
        (sent, c.Answer(c.NewVersion(CibVersion(0, 9, 0)), (unknown,)))])
    env = LiveEnvironment(fake.path, timeout=5)
    stored = env.push_cib(cib, read_version=cib.version)
    fake.check_done()
    [request] = fake.requests
    assert isinstance(request, c.ReplaceConfig)
    assert parse_cib(request.config_xml)[0].status == ()
    assert stored.version == CibVersion(0, 9, 0)
    assert env.warnings == (unknown,)  # the daemon's warning, whole


def test_a_reply_that_is_not_one(tmp_path: Path) -> None:
    path = str(tmp_path / "d.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b'{"ok": true, "xml": 5, "reports": []}\n')

    threading.Thread(target=serve, daemon=True).start()
    with pytest.raises(ReportError) as exc:
        LiveEnvironment(path, timeout=5).get_cib()
    srv.close()
    [report] = exc.value.reports
    assert report.code == "DAEMON_ERROR" and "'xml' must be a string" in report.field("detail")
