"""The quorum device's node operations as data (what one endpoint asks of another), and the
certificate steps' refusals before any tool runs. The certificates made for real by Corosync's
tools are tested in the lab (tests/lab/test_qdevice.py), where every node has its own
/etc/corosync."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from vigil.commands import node_ops, qdevice_net
from vigil.commands.localnode import LocalNode
from vigil.commands.node_ops import NodeAnswer, NodeOp, NodeRequest
from vigil.commands.status_document import plain
from vigil.model.reports import ReportError


def cert(data: bytes) -> qdevice_net.Certificate:
    return qdevice_net.Certificate.of(data)


def codes(exc: pytest.ExceptionInfo[ReportError]) -> list[str]:
    return [r.code for r in exc.value.reports]


def test_a_signing_request_travels_with_its_certificate_and_cluster_name() -> None:
    sent = NodeRequest(NodeOp.QNETD_SIGN, cluster_name="web", certificates=(cert(b"\x00crq"),))
    got = NodeRequest.decode("qnetd-sign", sent.encode())
    assert got == sent and got.certificates[0].data == b"\x00crq"
    take = NodeRequest(NodeOp.QDEVICE_TAKE, certificates=(cert(b"ca"), cert(b"p12")))
    assert NodeRequest.decode("qdevice-take", take.encode()) == take


@pytest.mark.parametrize(("op", "change", "said"), [
    ("qnetd-sign", {"certificates": []}, "takes 1 certificates"),
    ("qdevice-take", {"certificates": ["YQ=="]}, "takes 2 certificates"),
    ("qnetd-ca", {"certificates": ["YQ=="]}, "takes 0 certificates"),
    ("qnetd-sign", {"certificates": ["not base64!"]}, "are base64"),
    ("qnetd-sign", {"certificates": ["YQ=="], "cluster_name": 7}, "cluster_name is a string"),
])
def test_a_malformed_request_is_refused(op: str, change: dict[str, object], said: str) -> None:
    body = {**NodeRequest(NodeOp(op)).encode(), **change}
    with pytest.raises(ValueError, match=said):
        NodeRequest.decode(op, body)


def test_answers_revive_their_results() -> None:
    signed = cert(b"-----BEGIN CERTIFICATE-----\n")
    answer = NodeAnswer("qnetd", signed, ())
    assert NodeAnswer.decode(NodeOp.QNETD_SIGN, answer.encode()).result == signed
    change = qdevice_net.ServiceChange("n1", "corosync-qdevice", True, True, False)
    assert node_ops.revive(qdevice_net.ServiceChange, plain(change)) == change


def test_the_qnetd_host_refuses_before_running_a_tool(tmp_path: Path) -> None:
    host = LocalNode(root=tmp_path)
    with pytest.raises(ReportError) as exc:
        qdevice_net.qnetd_ca(host)
    assert codes(exc) == ["QNETD_NOT_SET_UP"]
    with pytest.raises(ReportError) as exc:  # a name that would escape the database's directory
        qdevice_net.qnetd_sign(host, cert(b"crq"), "../../etc")
    assert codes(exc) == ["QDEVICE_BAD_CLUSTER_NAME"]
    db = host.path(qdevice_net.QNETD_NSSDB)
    db.mkdir(parents=True)
    (db / qdevice_net.NSS_DB_FILE).write_bytes(b"")
    (db / "qnetd-cacert.crt").write_bytes(b"CA")
    assert qdevice_net.qnetd_ca(host).data == b"CA"
    if host.which(qdevice_net.QNETD_CERTUTIL) is None:
        pytest.skip("corosync-qnetd is not installed (bash scripts/install.sh installs it)")
    with pytest.raises(ReportError) as exc:  # its CA signed clusters' certificates: kept
        qdevice_net.qnetd_setup(host)
    assert codes(exc) == ["QNETD_ALREADY_SET_UP"]


def test_a_node_forgets_its_certificates(tmp_path: Path) -> None:
    host = LocalNode(root=tmp_path)
    db = host.path(qdevice_net.NODE_NSSDB)
    db.mkdir(parents=True)
    (db / "cert9.db").write_bytes(b"")
    assert qdevice_net.node_forget(host).path == qdevice_net.NODE_NSSDB
    assert not db.exists()
    assert base64.b64decode(cert(b"x").b64) == b"x"
