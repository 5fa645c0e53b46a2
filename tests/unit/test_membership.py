"""clusterconf.membership: a node added to or removed from a corosync.conf in use, the rest of
the file kept; two_node following the node count; cluster.json's node list."""

from __future__ import annotations

import json

from vigil import clusterconf
from vigil.clusterconf import conf_tree, membership
from vigil.clusterconf.corosync_conf import ClusterConf, ClusterNode, render_corosync_conf


def conf(n: int, links: int = 1) -> conf_tree.Section:
    nodes = tuple(ClusterNode(i, f"n{i}", tuple(f"10.213.{k}.1{i}" for k in range(links)))
                  for i in range(1, n + 1))
    return conf_tree.parse(render_corosync_conf(ClusterConf("web", nodes, token_ms=1000)))


def test_adding_a_third_node_ends_two_node_and_keeps_everything_else() -> None:
    before = conf(2)
    assert before.section("quorum").get("two_node") == "1"  # type: ignore[union-attr]
    after, node = membership.with_node(before, "n3", ["10.213.0.13"])
    assert node == ClusterNode(3, "n3", ("10.213.0.13",))
    assert [n.name for n in membership.nodes_of(after)] == ["n1", "n2", "n3"]
    assert after.section("quorum").get("two_node") is None  # type: ignore[union-attr]
    assert after.section("totem") == before.section("totem")
    assert after.section("logging") == before.section("logging")
    # and back: two nodes again, two_node again, the file as setup wrote it
    assert conf_tree.render(membership.without_node(after, "n3")) == conf_tree.render(before)


def test_a_new_node_id_is_above_every_existing_one() -> None:
    three = membership.without_node(conf(3), "n2")
    _, node = membership.with_node(three, "n4", ["10.213.0.14"])
    assert node.nodeid == 4  # never n2's id again while the cluster runs


def test_what_cannot_join_is_said() -> None:
    root = conf(3, links=2)
    codes = [r.code for r in membership.add_problems(root, "n2", ["10.213.0.12"])]
    assert codes == ["CLUSTER_NODE_EXISTS", "CLUSTER_NODE_LINKS", "COROSYNC_ADDRESS_DUPLICATE"]
    assert [r.code for r in membership.add_problems(root, "bad name", ["10.213.0.9", "x y"])] == [
        "COROSYNC_NODE_NAME_INVALID", "COROSYNC_ADDRESS_INVALID"]
    assert membership.add_problems(root, "n4", ["10.213.0.14", "10.213.1.14"]) == []


def test_cluster_json_lists_the_nodes_by_id() -> None:
    files = clusterconf.node_files(ClusterConf("web", (ClusterNode(1, "n1", ("a1",)),)),
                                   clusterconf.new_authkey(), "2026-12-07T00:00:00Z")
    text = next(f for f in files if f.path == clusterconf.CLUSTER_JSON).data.decode()
    new = membership.cluster_json_nodes(text, [ClusterNode(2, "n2", ("a2",)),
                                               ClusterNode(1, "n1", ("a1",))])
    data = json.loads(new)
    assert data["cluster_name"] == "web" and [n["name"] for n in data["nodes"]] == ["n1", "n2"]
