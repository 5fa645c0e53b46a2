"""corosync.conf rendering and the authkey writer (no root, no Corosync needed)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from vigil import clusterconf
from vigil.clusterconf import ClusterConf as Conf
from vigil.clusterconf import ClusterNode as Node
from vigil.model.reports import ReportError

render = clusterconf.render_corosync_conf


def _nodes(count: int, links: int = 2) -> tuple[Node, ...]:
    return tuple(
        Node(nodeid=i, name=f"n{i}", addrs=tuple(f"10.213.{2 * k}.{10 + i}" for k in range(links)))
        for i in range(1, count + 1)
    )


def _section(text: str, name: str) -> str:
    start = text.index(f"\n{name} {{\n")
    return text[start: text.index("\n}\n", start) + 3]


def test_renders_totem_nodelist_quorum_logging() -> None:
    text = render(
        Conf(cluster_name="web", nodes=_nodes(3), token_ms=1000, token_coefficient_ms=0))
    totem = _section(text, "totem")
    for line in ("version: 2", "cluster_name: web", "transport: knet", "crypto_cipher: aes256",
                 "crypto_hash: sha256", "keyfile: /etc/corosync/authkey", "token: 1000",
                 "token_coefficient: 0"):
        assert f"\t{line}\n" in totem
    nodelist = _section(text, "nodelist")
    assert nodelist.count("\tnode {") == 3
    n2 = "\t\tnodeid: 2\n\t\tname: n2\n\t\tring0_addr: 10.213.0.12\n\t\tring1_addr: 10.213.2.12\n"
    assert n2 in nodelist
    quorum = _section(text, "quorum")
    assert "provider: corosync_votequorum" in quorum and "two_node" not in quorum
    logging = _section(text, "logging")
    assert "to_logfile: yes" in logging and "logfile: /var/log/corosync/corosync.log" in logging
    assert "to_syslog: no" in logging


def test_two_nodes_get_two_node_and_defaults_stay_unset() -> None:
    text = render(Conf(cluster_name="c", nodes=_nodes(2, links=1)))
    assert "\ttwo_node: 1\n" in _section(text, "quorum")
    totem = _section(text, "totem")
    assert "token" not in totem.replace("keyfile", "")  # Corosync's defaults
    assert "ring1_addr" not in text


def test_render_is_deterministic_and_orders_nodes_by_id() -> None:
    nodes = _nodes(3)
    a = render(Conf(cluster_name="c", nodes=nodes))
    b = render(Conf(cluster_name="c", nodes=tuple(reversed(nodes))))
    assert a == b


@pytest.mark.parametrize(
    ("conf", "code"),
    [
        (Conf(cluster_name="bad name", nodes=_nodes(2)), "COROSYNC_CLUSTER_NAME_INVALID"),
        (Conf(cluster_name="c", nodes=()), "COROSYNC_NO_NODES"),
        (Conf(cluster_name="c", nodes=_nodes(1) + _nodes(1)), "COROSYNC_NODE_NAME_DUPLICATE"),
        (Conf(cluster_name="c", nodes=(Node(0, "a", ("10.0.0.1",)),)),
         "COROSYNC_NODEID_INVALID"),
        (Conf(cluster_name="c", nodes=(Node(1, "a", ("1", "2", "3")),)),
         "COROSYNC_LINK_COUNT_INVALID"),
        (Conf(cluster_name="c", nodes=_nodes(1) + _nodes(2, links=1)[1:]),
         "COROSYNC_LINK_COUNT_MISMATCH"),
        (Conf(cluster_name="c", nodes=(Node(1, "a", ("10.0.0.300",)),)),
         "COROSYNC_ADDRESS_INVALID"),
        (Conf(cluster_name="c", nodes=(Node(1, "a", ("10.0.0.1",)),
                                                          Node(2, "b", ("10.0.0.1",)))),
         "COROSYNC_ADDRESS_DUPLICATE"),
        (Conf(cluster_name="c", nodes=_nodes(2), token_ms=0), "COROSYNC_TOKEN_INVALID"),
        (Conf(cluster_name="c", nodes=_nodes(2), logfile="relative.log"),
         "COROSYNC_PATH_INVALID"),
    ],
)
def test_bad_input_raises_reports(conf: Conf, code: str) -> None:
    assert code in [r.code for r in clusterconf.validate(conf)]
    with pytest.raises(ReportError) as info:
        render(conf)
    assert code in [r.code for r in info.value.reports]


def test_hostnames_are_accepted_as_addresses() -> None:
    conf = Conf(cluster_name="c", nodes=(Node(1, "a", ("node-a.example",)),))
    assert "ring0_addr: node-a.example" in render(conf)


def test_writer_modes_and_atomic_replace(tmp_path: Path) -> None:
    conf_path = tmp_path / "etc" / "corosync.conf"
    clusterconf.write_corosync_conf(conf_path, "old\n")
    clusterconf.write_corosync_conf(conf_path, "new\n")
    assert conf_path.read_text() == "new\n"
    assert stat.S_IMODE(conf_path.stat().st_mode) == 0o644
    key = clusterconf.new_authkey()
    assert len(key) == clusterconf.AUTHKEY_BYTES and key != clusterconf.new_authkey()
    key_path = tmp_path / "etc" / "authkey"
    clusterconf.write_authkey(key_path, key)
    clusterconf.write_authkey(key_path, key)  # replacing a 0400 file works (rename, not open for write)
    assert key_path.read_bytes() == key
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o400
    assert sorted(p.name for p in key_path.parent.iterdir()) == ["authkey", "corosync.conf"]
    with pytest.raises(ValueError):
        clusterconf.write_authkey(key_path, b"short")


@pytest.mark.skipif(shutil.which("corosync", path="/usr/sbin:/usr/bin") is None,
                    reason="corosync not installed")
@pytest.mark.skipif(os.geteuid() != 0, reason="corosync -t reads the keyfile, which needs root here")
def test_corosync_accepts_the_rendered_file(tmp_path: Path) -> None:
    key_path = tmp_path / "authkey"
    clusterconf.write_authkey(key_path, clusterconf.new_authkey())
    conf_path = tmp_path / "corosync.conf"
    # `corosync -t` insists that one node is this host: node 1 on loopback (nothing is started)
    nodes = (Node(1, "n1", ("127.0.0.1",)), *_nodes(3, links=1)[1:])
    text = render(Conf(cluster_name="c", nodes=nodes, token_ms=1000, keyfile=str(key_path),
                       logfile=str(tmp_path / "c.log")))
    clusterconf.write_corosync_conf(conf_path, text)
    r = subprocess.run(["/usr/sbin/corosync", "-t", "-c", str(conf_path)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_cluster_name_of_a_rendered_file() -> None:
    from vigil.clusterconf import cluster_name_of

    assert cluster_name_of(render(Conf(cluster_name="web", nodes=_nodes(2)))) == "web"
    assert cluster_name_of("logging {\n\tto_syslog: no\n}\n") is None
    assert cluster_name_of("totem {\n\tcluster_name:\n}\n") is None


def test_knet_ping_timers_are_rendered_for_every_link() -> None:
    text = render(Conf(cluster_name="c", nodes=_nodes(3), token_ms=1000, token_coefficient_ms=0,
                       knet_ping=(200, 500)))
    totem = text[text.index("totem {"):text.index("nodelist {")]
    assert totem.count("interface {") == 2
    assert "\t\tlinknumber: 1\n\t\tknet_ping_interval: 200\n\t\tknet_ping_timeout: 500\n" in totem
    assert "knet_ping" not in render(Conf(cluster_name="c", nodes=_nodes(3)))  # Corosync derives them
    for bad in ((500, 500), (0, 500), (200, 700_000)):
        with pytest.raises(ReportError) as err:
            render(Conf(cluster_name="c", nodes=_nodes(2), knet_ping=bad))
        assert [r.code for r in err.value.reports] == ["COROSYNC_KNET_PING_INVALID"]
