"""`cluster setup` of authenticated nodes and the whole-cluster commands, through real endpoints:
three endpoint applications over TLS on loopback, each acting on its own node's root directory
(vigil.commands.localnode.LocalNode with a root), the client (vigil.commands.cluster_all) in a
thread as the CLI runs it. Starting and stopping real daemons is the lab's test
(tests/lab/test_remote_endpoint.py); here: files written everywhere or nowhere, refusals by
node, boot without systemd said, destroy."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from aiohttp import web

from vigil.api.server import build_app
from vigil.api.snapshots import StatusCache
from vigil.api.tokens import TokenStore
from vigil.commands import cluster, cluster_all, remote
from vigil.commands.localnode import LocalNode
from vigil.host import tls
from vigil.host.passwords import NodePasswords, PasswordFile
from vigil.model.reports import ReportError

T = TypeVar("T")
USER, PASSWORD = "root", "pw-for-tests"
NODES = ("n1", "n2", "n3")
SPECS = [cluster.NodeSpec(n, (f"10.213.0.1{i}",)) for i, n in enumerate(NODES, start=1)]
FILES = ("etc/corosync/corosync.conf", "etc/corosync/authkey", "etc/vigil/cluster.json")


@dataclass
class NamedNode(LocalNode):
    """A node's root directory, answering to the node's name."""

    name: str = "n?"

    def hostname(self) -> str:
        return self.name


def with_endpoints(test: Callable[[Path, remote.KnownHosts], None]) -> Callable[[Path], None]:
    """Serve an endpoint per node (its root tmp/<node>), authenticate them all, run the blocking
    `test` in a thread, tear everything down."""

    def run(tmp_path: Path) -> None:
        async def main() -> None:
            runners = []
            hosts = remote.KnownHosts(tmp_path / "known-hosts")
            try:
                for name in NODES:
                    d = tmp_path / f"{name}-endpoint"
                    d.mkdir()
                    cert, key = d / "c.crt", d / "c.key"
                    tls.ensure_certificate(cert, key, "localhost", ["127.0.0.1"])
                    passwords = PasswordFile(d / "passwords")
                    passwords.set(USER, PASSWORD)
                    (tmp_path / name).mkdir()
                    app = build_app(StatusCache(lambda: None), name,  # type: ignore[arg-type,return-value]
                                    tokens=TokenStore(d / "tokens"),
                                    passwords=NodePasswords(passwords),
                                    host=NamedNode(root=tmp_path / name, name=name),
                                    failed_auth_delay_s=0)
                    runner = web.AppRunner(app)
                    await runner.setup()
                    runners.append(runner)
                    await web.TCPSite(runner, "127.0.0.1", 0,
                                      ssl_context=tls.server_context(cert, key)).start()
                    port = runner.addresses[0][1]
                    await asyncio.to_thread(remote.authenticate, name, f"127.0.0.1:{port}", USER,
                                            PASSWORD, hosts=hosts, timeout=10)
                await asyncio.wait_for(asyncio.to_thread(test, tmp_path, hosts), 60)
            finally:
                for runner in runners:
                    await runner.cleanup()

        asyncio.run(main())

    run.__name__ = test.__name__
    return run


@with_endpoints
def test_setup_writes_the_same_files_on_every_node(tmp: Path, hosts: remote.KnownHosts) -> None:
    done = cluster_all.setup("web", SPECS, totem=cluster.Totem(token_ms=1000), store=hosts)
    assert done.ok and [o.node for o in done.written] == list(NODES)
    keys = {(tmp / n / "etc/corosync/authkey").read_bytes() for n in NODES}
    assert len(keys) == 1  # one authkey, made once
    for n in NODES:
        assert stat.S_IMODE(os.stat(tmp / n / "etc/corosync/authkey").st_mode) == 0o400
        conf = (tmp / n / "etc/corosync/corosync.conf").read_text()
        assert "cluster_name: web" in conf and "10.213.0.13" in conf and "token: 1000" in conf
    # again: every node refuses (its files may describe a cluster in use), by name, and
    # nothing changes anywhere
    with pytest.raises(ReportError) as err:
        cluster_all.setup("other", SPECS, store=hosts)
    assert sorted((r.code, r.field("node")) for r in err.value.reports) == [
        ("CLUSTER_FILE_EXISTS", n) for n in NODES]
    assert {(tmp / n / "etc/corosync/authkey").read_bytes() for n in NODES} == keys
    # --force replaces them
    assert cluster_all.setup("other", SPECS, force=True, store=hosts).ok
    assert "cluster_name: other" in (tmp / "n2/etc/corosync/corosync.conf").read_text()


@with_endpoints
def test_a_node_that_cannot_write_leaves_no_node_with_the_files(tmp: Path,
                                                                hosts: remote.KnownHosts) -> None:
    (tmp / "n3/etc").mkdir()
    (tmp / "n3/etc/vigil").write_text("a file where a directory must be")
    done = cluster_all.setup("web", SPECS, store=hosts)
    assert not done.ok
    assert [(o.node, o.ok) for o in done.written] == [("n1", True), ("n2", True), ("n3", False)]
    assert [o.node for o in done.undone] == ["n1", "n2"] and all(o.ok for o in done.undone)
    for n in ("n1", "n2"):
        assert not any((tmp / n / f).exists() for f in FILES), n


@with_endpoints
def test_boot_without_systemd_is_said_by_each_node(tmp: Path, hosts: remote.KnownHosts) -> None:
    outcomes = cluster_all.boot(list(NODES), enabled=True, store=hosts)
    assert [(o.node, o.ok, [r.code for r in o.reports]) for o in outcomes] == [
        (n, False, ["CLUSTER_BOOT_NOT_MANAGED"]) for n in NODES]


@with_endpoints
def test_destroy_removes_the_files_everywhere(tmp: Path, hosts: remote.KnownHosts) -> None:
    assert cluster_all.setup("web", SPECS, store=hosts).ok
    outcomes = cluster_all.destroy(list(NODES), store=hosts)
    assert all(o.ok for o in outcomes)
    assert outcomes[0].result.removed == tuple("/" + f for f in FILES)
    for n in NODES:
        assert not any((tmp / n / f).exists() for f in FILES)


@with_endpoints
def test_unauthenticated_nodes_are_named_before_anything_is_asked(
        tmp: Path, hosts: remote.KnownHosts) -> None:
    specs = [*SPECS, cluster.NodeSpec("n4", ("10.213.0.14",)), cluster.NodeSpec("n5")]
    with pytest.raises(ReportError) as err:
        cluster_all.setup("web", specs, store=hosts)
    assert [(r.code, r.field("hosts")) for r in err.value.reports] == [
        ("REMOTE_HOSTS_NOT_AUTHENTICATED", "n4, n5")]
    assert not any((tmp / n / FILES[0]).exists() for n in NODES)


@with_endpoints
def test_a_node_takes_only_a_setup_s_three_files(tmp: Path, hosts: remote.KnownHosts) -> None:
    from vigil.clusterconf import NodeFile
    from vigil.commands.node_ops import NodeOp, NodeRequest

    sneaky = NodeRequest(NodeOp.RECEIVE, files=(NodeFile("etc/passwd", b"x::0:0::/:/bin/sh\n",
                                                         0o644),))
    outcome = cluster_all.ask(hosts.get("n1"), sneaky)
    assert not outcome.ok and [r.code for r in outcome.reports] == ["CLUSTER_FILES_INCOMPLETE"]
    assert not (tmp / "n1/etc/passwd").exists()


CIB = b"""<cib validate-with="pacemaker-3.7" epoch="5" num_updates="0" admin_epoch="0">
<configuration><crm_config/><nodes/><resources>
<primitive id="web" class="ocf" provider="pacemaker" type="Dummy"/></resources>
<constraints/></configuration><status/></cib>"""


@with_endpoints
def test_a_backup_restored_on_every_node(tmp: Path, hosts: remote.KnownHosts) -> None:
    from vigil.commands import backup

    assert cluster_all.setup("web", SPECS, store=hosts).ok
    made = backup.tarball(backup.collect(NamedNode(root=tmp / "n1", name="n1"), CIB))
    saved = backup.read(made, "web.tar.bz2")
    assert sorted(f.path for f in saved.files) == sorted(FILES)
    original = {f: (tmp / "n1" / f).read_bytes() for f in FILES}
    (tmp / "n2/etc/corosync/corosync.conf").write_text("damaged\n")
    (tmp / "n3/etc/corosync/authkey").unlink()
    outcomes = cluster_all.restore(saved, store=hosts)
    assert [(o.node, o.ok) for o in outcomes] == [(n, True) for n in NODES]
    for n in NODES:
        assert {f: (tmp / n / f).read_bytes() for f in FILES} == original, n
        assert stat.S_IMODE(os.stat(tmp / n / "etc/corosync/authkey").st_mode) == 0o400
        assert b'id="web"' in (tmp / n / "var/lib/vigil/cib.xml").read_bytes()
    # a backup of a cluster with no node list is refused before any node is asked
    lone = backup.Backup("", "", (), CIB)
    with pytest.raises(ReportError) as err:
        cluster_all.restore(lone, store=hosts)
    assert [r.code for r in err.value.reports] == ["RESTORE_NO_NODES"]


@with_endpoints
def test_cluster_report_gathers_every_node_through_its_endpoint(
        tmp: Path, hosts: remote.KnownHosts) -> None:
    import io
    import json
    import tarfile

    from vigil.commands import report

    assert cluster_all.setup("web", SPECS, store=hosts).ok
    for n in NODES:
        logs = tmp / n / "var/log/vigil"
        logs.mkdir(parents=True)
        (logs / "events.jsonl").write_text(
            json.dumps({"ts": 100.0, "event": "old"}) + "\n"
            + json.dumps({"ts": 200.0, "event": "kept", "node": n}) + "\n")
        (logs / "vigild.log").write_text(f"{n} says hello\n")
    parts, missing = cluster_all.report_parts(list(NODES), since=150.0, until=None,
                                              store=hosts)
    assert [p.node for p in parts] == list(NODES) and missing == ()
    made = report.bundle(parts, (("n9", "not authenticated here"),), since=150.0, until=None)
    with tarfile.open(fileobj=io.BytesIO(made), mode="r:bz2") as tar:
        names = tar.getnames()
        for n in NODES:
            assert f"{n}/etc/corosync/corosync.conf" in names
            assert f"{n}/etc/corosync/authkey" not in names  # never the key
            events = tar.extractfile(f"{n}/var/log/vigil/events.jsonl").read()  # type: ignore[union-attr]
            assert b'"kept"' in events and b'"old"' not in events
        readme = tar.extractfile("README.txt").read().decode()  # type: ignore[union-attr]
    assert "not gathered: n9" in readme
