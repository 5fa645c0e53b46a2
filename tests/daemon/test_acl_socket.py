"""vigild's control socket holds a user other than root to the CIB's ACLs: the real
ControlServer in front of Vigild on the simulated cluster, asked by a process running as
`nobody` in the haclient group (as root, the test starts it with that uid and gid)."""

from __future__ import annotations

import asyncio
import dataclasses
import grp
import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.daemon import control as c
from vigil.daemon.ipc import ControlServer
from vigil.model.nvset import NvPair, NvSet
from vigil.model.resources import Primitive

from .service_cibs import CONFIG
from .test_vigild_sim import Cluster

NOBODY = 65534


def _haclient() -> int | None:
    try:
        return grp.getgrnam("haclient").gr_gid
    except KeyError:
        return None


pytestmark = pytest.mark.skipif(os.geteuid() != 0 or _haclient() is None,
                                reason="needs root and a haclient group, to act as another user")

ACL_CONFIG = CONFIG.replace(
    '<nvpair id="o1" name="stonith-enabled" value="false"/>',
    '<nvpair id="o1" name="stonith-enabled" value="false"/>'
    '<nvpair id="o2" name="enable-acl" value="true"/>').replace(
    "</configuration>", """<acls>
      <acl_role id="ro"><acl_permission id="ro-r" kind="read" xpath="/cib"/></acl_role>
      <acl_role id="site"><acl_permission id="site-w" kind="write" reference="WebSite"/></acl_role>
      <acl_target id="nobody"><role id="ro"/></acl_target>
      <acl_group id="haclient"><role id="site"/></acl_group>
    </acls></configuration>""")

def _client(path: str, lines: list[str], out: int) -> None:
    """In a forked child: become nobody (group haclient), ask, write the reply lines."""
    gid = _haclient()
    assert gid is not None
    os.setgroups([])
    os.setgid(gid)
    os.setuid(NOBODY)
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(path)
        f = s.makefile("rwb")
        for line in lines:
            f.write(line.encode() + b"\n")
            f.flush()
            os.write(out, f.readline())


async def as_nobody(cluster: Cluster, path: str, requests: list[dict[str, object]]
                    ) -> list[dict[str, object]]:
    lines = [json.dumps(r) for r in requests]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child does only this, and never returns into pytest
        code = 0
        try:
            _client(path, lines, write_end)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write_end)
    status = 0
    while True:  # the cluster runs while the client waits for its answers
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        await cluster.settle()
        await asyncio.sleep(0.005)
    with os.fdopen(read_end, "rb") as f:
        out = f.read()
    assert os.waitstatus_to_exitcode(status) == 0, out
    return [json.loads(line) for line in out.decode().splitlines()]


def test_a_user_in_haclient_is_held_to_the_acls() -> None:
    where = Path(tempfile.mkdtemp(prefix="vigil-acl-"))
    os.chmod(where, 0o755)  # nobody must reach the socket (pytest's tmp_path is 0700)

    async def body() -> None:
        cluster = Cluster(3)
        path = str(where / "vigild.sock")
        server = ControlServer(cluster.node(1), path)
        try:
            await cluster.configure(ACL_CONFIG)
            await server.start()
            assert os.stat(path).st_mode & 0o777 == 0o660
            cib = cluster.node(1).cib
            ip = cib.configuration.resources[0]
            assert isinstance(ip, Primitive)
            stopped = dataclasses.replace(ip, meta_attributes=(NvSet(
                "WebIP-meta", (NvPair("WebIP-meta-t", "target-role", "Stopped"),)),))
            pushed = dataclasses.replace(cib, status=(), configuration=dataclasses.replace(
                cib.configuration, resources=(stopped, *cib.configuration.resources[1:])))
            replies = await as_nobody(cluster, path, [
                c.encode_request(c.GetCib()),
                c.encode_request(c.Cleanup("WebIP")),
                c.encode_request(c.ReplaceConfig(write_cib(pushed), cib.version)),
                c.encode_request(c.Fence("node2")),
                c.encode_request(c.Cleanup("WebSite")),
            ])
            read, cleanup_ip, push, fence, cleanup_site = replies
            assert read["ok"] is True
            assert parse_cib(str(read["xml"]))[0].configuration == cib.configuration
            for refused, denied in ((cleanup_ip, "WebIP"), (push, "WebIP-meta-t"),
                                    (fence, "whole CIB")):
                assert refused["ok"] is False, refused
                [sent] = refused["reports"]  # type: ignore[misc]
                report = c.decode_report(sent)
                assert report.code == c.ACL_DENIED and report.field("user") == "nobody", report
                assert denied in report.field("denied"), report
            # write on WebSite comes with the haclient group's role
            assert cleanup_site["ok"] is True, cleanup_site
            assert cluster.node(1).cib.configuration.resources[0] == ip  # nothing pushed
        finally:
            await server.stop()
            await cluster.stop()

    try:
        asyncio.run(body())
    finally:
        shutil.rmtree(where, ignore_errors=True)
