"""corosync.conf as a tree (clusterconf.conf_tree) and the quorum device section
(clusterconf.quorum_device), with the renderer's backward-compatible `quorum_device`."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from vigil import clusterconf
from vigil.clusterconf import conf_tree
from vigil.clusterconf.conf_tree import Comment, Option, Section
from vigil.clusterconf.quorum_device import QuorumDevice, read_device, validate_device, with_device
from vigil.model.reports import ReportError

Conf = clusterconf.ClusterConf
Node = clusterconf.ClusterNode

DEBIAN_STYLE = """\
# Please read the corosync.conf.5 manual page
totem {
    version: 2
    # a comment inside
    cluster_name: debian
    crypto_cipher: none
}

nodelist {
    node {
        name: node1
        nodeid: 1
        ring0_addr: 127.0.0.1
    }
}

quorum {
    provider: corosync_votequorum
}
"""


def _nodes(count: int) -> tuple[Node, ...]:
    return tuple(Node(i, f"n{i}", (f"10.0.0.{i}",)) for i in range(1, count + 1))


def test_parse_keeps_order_comments_and_blank_lines() -> None:
    root = conf_tree.parse(DEBIAN_STYLE)
    assert root.body[0] == Comment("# Please read the corosync.conf.5 manual page")
    totem = root.section("totem")
    assert totem is not None and totem.get("cluster_name") == "debian"
    assert Comment("# a comment inside") in totem.body
    nodelist = root.section("nodelist")
    assert nodelist is not None
    assert [n.get("name") for n in nodelist.sections("node")] == ["node1"]
    # Written back with tabs, everything else the same.
    assert conf_tree.render(root) == DEBIAN_STYLE.replace("    ", "\t")


@pytest.mark.parametrize("nodes", [1, 2, 3])
def test_rendered_files_round_trip_byte_for_byte(nodes: int) -> None:
    text = clusterconf.render_corosync_conf(Conf(cluster_name="c", nodes=_nodes(nodes)))
    assert conf_tree.render(conf_tree.parse(text)) == text


@pytest.mark.parametrize(("text", "line"), [
    ("totem {\n\tversion 2\n}\n", 2),
    ("}\n", 1),
    ("totem {\n\tversion: 2\n", 2),
    ("totem { version: 2 }\n", 1),
])
def test_syntax_errors_name_the_line(text: str, line: int) -> None:
    with pytest.raises(ReportError) as exc:
        conf_tree.parse(text)
    report = exc.value.reports[0]
    assert report.code == "COROSYNC_CONF_SYNTAX" and report.field("line") == str(line)


def test_set_options_and_put_section() -> None:
    quorum = Section("quorum", (Option("provider", "corosync_votequorum"), Comment(""),
                                Section("device", ())))
    changed = conf_tree.set_options(quorum, [("two_node", "1"), ("provider", "x")])
    assert changed.body[:2] == (Option("provider", "x"), Option("two_node", "1"))
    assert conf_tree.set_options(changed, [("two_node", None)]).get("two_node") is None
    assert conf_tree.put_section(quorum, None, name="device").section("device") is None
    replaced = conf_tree.put_section(quorum, Section("device", (Option("model", "net"),)),
                                     name="device")
    device = replaced.section("device")
    assert device is not None and device.get("model") == "net"


def test_with_device_manages_two_node_like_pcs() -> None:
    two = conf_tree.parse(clusterconf.render_corosync_conf(Conf(cluster_name="c",
                                                                nodes=_nodes(2))))
    dev = QuorumDevice("qnetd", "ffsplit")
    added = with_device(two, dev)
    assert read_device(added) == dev
    quorum = added.section("quorum")
    assert quorum is not None and quorum.get("two_node") is None
    removed = with_device(added, None)
    assert conf_tree.render(removed) == conf_tree.render(two)
    three = conf_tree.parse(clusterconf.render_corosync_conf(Conf(cluster_name="c",
                                                                  nodes=_nodes(3))))
    quorum3 = with_device(with_device(three, dev), None).section("quorum")
    assert quorum3 is not None and quorum3.get("two_node") is None


def test_a_file_without_quorum_section_gets_one() -> None:
    root = conf_tree.parse("totem {\n\tversion: 2\n}\n")
    added = with_device(root, QuorumDevice("q"))
    quorum = added.section("quorum")
    assert quorum is not None and quorum.get("provider") == "corosync_votequorum"


def test_device_validation() -> None:
    assert validate_device(QuorumDevice("qnetd.example", "lms",
                                        model_options=(("port", "5403"), ("tls", "on")),
                                        generic_options=(("votes", "1"),))) == ()
    bad = validate_device(QuorumDevice("", "majority", model_options=(("tls", "maybe"),)))
    assert [r.code for r in bad] == ["QDEVICE_OPTION_MISSING", "QDEVICE_OPTION_INVALID",
                                     "QDEVICE_OPTION_INVALID"]
    forced = validate_device(QuorumDevice("q", model_options=(("x", "1"),)), force=True)
    assert [(r.code, r.severity.value) for r in forced] == [("QDEVICE_OPTION_UNKNOWN", "warning")]


def test_renderer_without_device_is_unchanged_and_with_device_drops_two_node() -> None:
    plain = clusterconf.render_corosync_conf(Conf(cluster_name="c", nodes=_nodes(2)))
    assert "\ttwo_node: 1\n" in plain and "device" not in plain
    with_dev = clusterconf.render_corosync_conf(Conf(
        cluster_name="c", nodes=_nodes(2),
        quorum_device=QuorumDevice("qnetd", "lms", generic_options=(("votes", "1"),))))
    assert "two_node" not in with_dev
    assert ("quorum {\n\tprovider: corosync_votequorum\n\tdevice {\n\t\tmodel: net\n"
            "\t\tvotes: 1\n\t\tnet {\n\t\t\thost: qnetd\n\t\t\talgorithm: lms\n\t\t}\n\t}\n}\n"
            in with_dev)
    assert read_device(conf_tree.parse(with_dev)) == QuorumDevice(
        "qnetd", "lms", generic_options=(("votes", "1"),))
    with pytest.raises(ReportError):
        clusterconf.render_corosync_conf(Conf(cluster_name="c", nodes=_nodes(2),
                                              quorum_device=QuorumDevice("")))


@pytest.mark.skipif(shutil.which("corosync", path="/usr/sbin:/usr/bin") is None,
                    reason="corosync not installed")
@pytest.mark.skipif(os.geteuid() != 0, reason="corosync -t reads the keyfile, which needs root here")
def test_corosync_accepts_a_device_section(tmp_path: Path) -> None:
    key = tmp_path / "authkey"
    clusterconf.write_authkey(key, clusterconf.new_authkey())
    nodes = (Node(1, "n1", ("127.0.0.1",)), Node(2, "n2", ("10.0.0.2",)))
    text = clusterconf.render_corosync_conf(Conf(
        cluster_name="c", nodes=nodes, keyfile=str(key), logfile=str(tmp_path / "c.log"),
        quorum_device=QuorumDevice("qnetd.example", "ffsplit")))
    path = tmp_path / "corosync.conf"
    path.write_text(text)
    r = subprocess.run(["/usr/sbin/corosync", "-t", "-c", str(path)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
