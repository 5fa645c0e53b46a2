"""The agents' tools as processes against real vigild instances (simulated network): what they
print and the exit codes, compared with Pacemaker's own tools (installed in /usr/sbin, run
offline on the same CIB with CIB_file) where those can answer offline."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from attrs_live import PROMOTABLE, Live, live

from vigil.cib import status_edit
from vigil.cib.read import parse_cib
from vigil.controller import attributes
from vigil.model.cib import Cib


def transient(c: Live, node: int, of: int, name: str) -> str | None:
    return status_edit.transient_value(c.daemons[node].cib, str(of), name)


@live(2)
async def test_promotion_score_set_read_and_deleted(c: Live) -> None:
    r = await c.tool("crm_attribute", "--promotion", "st", "-v", "5")
    assert (r.rc, r.out, r.err) == (0, "", "")
    assert transient(c, 1, 1, "master-st") == transient(c, 2, 1, "master-st") == "5"
    r = await c.tool("crm_attribute", "-p", "st", "-G", "-q", node=2, OCF_RESOURCE_INSTANCE="x")
    assert (r.rc, r.err) == (105, "crm_attribute: Error performing operation: No such device or "
                                  "address\n")  # node 2 has none: -p is about the local node
    r = await c.tool("crm_attribute", "-p", "-G", "-q", OCF_RESOURCE_INSTANCE="st")
    assert (r.rc, r.out) == (0, "5\n")
    r = await c.tool("crm_attribute", "-N", "node1", "-p", "st", "-G", node=2)
    assert (r.rc, r.out) == (0, "scope=status  name=master-st value=5\n")
    r = await c.tool("crm_attribute", "--promotion", "-D", OCF_RESOURCE_INSTANCE="st")
    assert (r.rc, r.out) == (0, "")
    assert transient(c, 1, 1, "master-st") is None and transient(c, 2, 1, "master-st") is None
    r = await c.tool("crm_attribute", "-p", "st", "-G", "-q")
    assert (r.rc, r.out) == (105, "")


@live(2)
async def test_queries_print_what_pacemakers_crm_attribute_prints(c: Live) -> None:
    await c.configure(PROMOTABLE)
    for argv in (["crm_attribute", "-N", "node1", "-n", "master-st", "-l", "reboot", "-v", "10"],
                 ["crm_attribute", "-N", "node2", "-n", "site", "-v", "b"],
                 ["crm_attribute", "-N", "node2", "-n", "rack", "-l", "forever", "-v", "r2"]):
        assert (await c.tool(*argv)).rc == 0
    cib_file = c.cib_file(2)
    queries = [
        ["-N", "node1", "-n", "master-st", "-l", "reboot", "-G"],
        ["-N", "node1", "-n", "master-st", "-l", "reboot", "-G", "-q"],
        ["-N", "node1", "-n", "master-st", "-t", "status", "--query", "--quiet"],
        ["-N", "node2", "-n", "master-st", "-l", "reboot", "-G", "-q"],
        ["-N", "node2", "-n", "master-st", "-l", "reboot", "-G", "-d", "5"],
        ["-N", "node2", "-n", "site", "-G"],
        ["-N", "node2", "-n", "site", "-l", "forever", "-G", "-q"],
        ["-N", "node2", "-G"],
        ["-N", "node1", "-n", "site", "-G"],
        ["-n", "stonith-enabled", "-G"],
        ["-t", "crm_config", "-n", "stonith-enabled", "-G", "-q"],
        ["-t", "crm_config", "-n", "nope", "-G", "-q"],
        ["-t", "crm_config", "-n", "nope", "-G", "-q", "-d", "dflt"],
        ["--type", "crm_config", "--name=stonith-enabled", "--get-value"],
        ["-N", "node9", "-n", "x", "-G"],
        ["-N", "node1", "-p", "st", "-G"],
        ["-U", "node1", "-n", "master-st", "-l", "reboot", "-G", "-Q"],
        ["--bogus"],
        ["-x", "-G"],
        ["-N", "node1", "-n", "x", "-l", "reboot", "-G", "-d"],
    ]
    for q in queries:
        ours = await c.tool("crm_attribute", *q, node=2)
        theirs = await c.run(["/usr/sbin/crm_attribute", *q],
                             env={"PATH": "/usr/sbin:/usr/bin:/bin", "CIB_file": cib_file})
        assert (ours.rc, ours.out, ours.err) == (theirs.rc, theirs.out, theirs.err), q


@live(2)
async def test_configuration_changes_as_pacemakers_crm_attribute_makes_them(c: Live) -> None:
    """The same updates and deletes by vigil's tool (through vigild) and by Pacemaker's (on a
    copy of the CIB as a file): the same output, exit code and configuration."""
    await c.configure(PROMOTABLE)
    theirs_file = c.cib_file(1)
    changes = [
        ["-N", "node2", "-n", "site", "-v", "b"],
        ["-N", "node2", "-n", "site", "-v", "c"],
        ["-N", "node1", "-n", "rack", "-l", "forever", "-v", "r1"],
        ["-z", "-N", "node1", "-n", "cpu", "-v", "4"],
        ["-z", "-N", "node1", "-n", "cpu", "-G"],
        ["-n", "no-quorum-policy", "-v", "freeze"],
        ["-t", "crm_config", "-n", "st_REPL_INFO", "-s", "redis_replication", "-v", "node1"],
        ["-N", "node2", "-n", "site", "-D"],
        ["-N", "node2", "-n", "site", "-D"],
        ["-z", "-N", "node1", "-n", "cpu", "-D"],
        ["-n", "no-quorum-policy", "-D", "-q"],
        ["-n", "stonith-enabled", "-D"],
        ["-N", "node1", "-n", "rack", "-l", "forever", "-D"],
        ["-N", "node1", "-n", "never-set", "-D"],
    ]
    for argv in changes:
        ours = await c.tool("crm_attribute", *argv)
        theirs = await c.run(["/usr/sbin/crm_attribute", *argv],
                             env={"PATH": "/usr/sbin:/usr/bin:/bin", "CIB_file": theirs_file})
        assert (ours.rc, ours.out, ours.err) == (theirs.rc, theirs.out, theirs.err), argv
    theirs_cib, _ = parse_cib(Path(theirs_file).read_text())
    for d in c.daemons.values():
        # the same values in the same ids (vigil drops a set its deletes emptied)
        assert settings(d.cib) == settings(theirs_cib)
        assert d.cib.configuration.properties == tuple(
            s for s in theirs_cib.configuration.properties if s.pairs)


def settings(cib: Cib) -> list[tuple[str, str, str, str | None]]:
    out = [(n.id, s.id, p.id, p.value) for n in cib.configuration.nodes
           for s in (*n.instance_attributes, *n.utilization) for p in s.pairs]
    return out + [("", s.id, p.id, p.value) for s in cib.configuration.properties
                  for p in s.pairs]


@live(2)
async def test_updates_reach_the_right_section(c: Live) -> None:
    await c.configure(PROMOTABLE)
    assert (await c.tool("crm_attribute", "-N", "node2", "-n", "site", "-v", "b")).rc == 0
    assert attributes.permanent_values(c.daemons[1].cib, "2") == {"site": "b"}
    epoch = c.daemons[1].cib.version.epoch
    r = await c.tool("crm_attribute", "-N", "node2", "-n", "site", "-D")
    assert (r.rc, r.out) == (0, "Deleted nodes attribute: id=nodes-2-site name=site\n")
    assert attributes.permanent_values(c.daemons[2].cib, "2") == {}
    assert c.daemons[2].cib.version.epoch == epoch + 1
    # redis keeps its last primary as a cluster option in its own set
    r = await c.tool("crm_attribute", "--type", "crm_config", "--name", "st_REPL_INFO",
                     "-s", "redis_replication", "-v", "node1", "-q")
    assert (r.rc, r.out) == (0, "")
    r = await c.tool("crm_attribute", "--type", "crm_config", "--name", "st_REPL_INFO",
                     "-s", "redis_replication", "--query", "-q", node=2)
    assert (r.rc, r.out) == (0, "node1\n")
    props = c.daemons[2].cib.configuration.properties
    assert [s.id for s in props] == ["cib-bootstrap-options", "redis_replication"]
    # bad input: one line, the exit code Pacemaker's tool gives, nothing changed
    before = c.daemons[1].cib
    for argv, rc, err in (
            (["-N", "node1", "-n", "x", "-l", "sometimes", "-v", "1"], 76,
             "crm_attribute: Error performing operation: unknown --lifetime 'sometimes' (use "
             "reboot or forever)\n"),
            (["-v", "1", "--frobnicate"], 64, "crm_attribute: Unknown option --frobnicate\n"),
            (["-D"], 64, "crm_attribute: Error: must specify attribute name or pattern to "
                         "delete\n"),
            (["-p", "-v", "1"], 64, "crm_attribute: -p/--promotion must be called from an OCF "
                                    "resource agent or with a resource ID specified\n"),
            (["-N", "node7", "-n", "x", "-v", "1"], 105,
             "crm_attribute: Could not map name=node7 to a UUID\n")):
        r = await c.tool("crm_attribute", *argv)
        assert (r.rc, r.out, r.err) == (rc, "", err), argv
    assert c.daemons[1].cib == before


@live(2)
async def test_crm_master_is_crm_attribute_on_the_promotion_score(c: Live) -> None:
    r = await c.tool("crm_master", "-N", "node2", "-l", "reboot", "-v", "7",
                     OCF_RESOURCE_INSTANCE="db")
    assert r.rc == 0 and transient(c, 1, 2, "master-db") == "7"
    r = await c.tool("crm_master", "-r", "db", "-N", "node2", "-l", "reboot", "-G", "--quiet")
    assert (r.rc, r.out) == (0, "7\n")
    # without -l, crm_master's lifetime is forever (PAF's pgsqlms says so too)
    r = await c.tool("crm_master", "--lifetime", "forever", "--quiet", "--update", "3",
                     "--node", "node1", OCF_RESOURCE_INSTANCE="db")
    assert r.rc == 0 and attributes.permanent_values(c.daemons[2].cib, "1") == {"master-db": "3"}
    r = await c.tool("crm_master", "--quiet", "--get-value", "--node", "node1",
                     OCF_RESOURCE_INSTANCE="db")
    assert (r.rc, r.out) == (0, "3\n")
    r = await c.tool("crm_master", "-D", "-N", "node1", OCF_RESOURCE_INSTANCE="db")
    assert r.rc == 0 and attributes.permanent_values(c.daemons[2].cib, "1") == {}
    r = await c.tool("crm_master", "-G")
    assert (r.rc, r.err) == (1, "error: No resource specified\n")
    r = await c.tool("crm_master", "--bogus", OCF_RESOURCE_INSTANCE="db")
    assert (r.rc, r.err) == (1, "crm_master: Unknown option --bogus\n")


@live(2)
async def test_attrd_updater_private_dampened_and_its_query_format(c: Live) -> None:
    r = await c.tool("attrd_updater", "--private", "--lifetime", "reboot", "--name",
                     "lsn_location-pgsqld", "--update", "0/3000060")
    assert (r.rc, r.out) == (0, "")
    r = await c.tool("attrd_updater", "--private", "--lifetime", "reboot", "--name",
                     "lsn_location-pgsqld", "--query", node=2)
    assert (r.rc, r.err) == (105, "attrd_updater: Could not query value of lsn_location-pgsqld: "
                                  "attribute does not exist\n")  # node 2's own: none
    r = await c.tool("attrd_updater", "-p", "-n", "lsn_location-pgsqld", "-Q", "-N", "node1",
                     node=2)
    assert (r.rc, r.out) == (0, 'name="lsn_location-pgsqld" host="node1" value="0/3000060"\n')
    assert "lsn_location" not in Path(c.cib_file(1)).read_text()
    r = await c.tool("attrd_updater", "-n", "pingd", "-U", "100", "-d", "1h", node=2)
    r = await c.tool("attrd_updater", "-n", "pingd", "-v", "200", node=2)  # held for an hour
    r = await c.tool("attrd_updater", "-n", "pingd", "-Q", "-A")
    assert (r.rc, r.out) == (0, 'name="pingd" host="node2" value="200"\n')
    r = await c.tool("crm_attribute", "-N", "node2", "-n", "pingd", "-l", "reboot", "-G", "-q")
    assert (r.rc, r.out) == (0, "100\n")  # what the CIB has until the delay is over
    r = await c.tool("attrd_updater", "-n", "pingd", "-D", "-d", "0", node=2)
    r = await c.tool("attrd_updater", "-n", "pingd", "-Q", "-A")
    assert r.rc == 105 and transient(c, 1, 2, "pingd") is None
    for argv, rc, err in ((["-Q"], 64, "attrd_updater: Command requires --name argument\n"),
                          (["-n", "x", "-Z"], 64, "attrd_updater: Unknown option -Z\n"),
                          (["-n", "x", "-B", "1"], 64,
                           "attrd_updater: 'B' command given without required --delay\n"),
                          (["-n", "x", "-U", "1", "-d", "soon"], 64,
                           "attrd_updater: invalid --delay 'soon' (seconds, or a duration such "
                           "as 5s or 500ms)\n")):
        r = await c.tool("attrd_updater", *argv)
        assert (r.rc, r.err) == (rc, err), argv


@live(2)
async def test_crm_node(c: Live) -> None:
    assert (await c.tool("crm_node", "-n", node=2)).out == "node2\n"
    assert (await c.tool("crm_node", "--cluster-id", node=2)).out == "2\n"
    assert (await c.tool("crm_node", "-p")).out == "node1 node2\n"
    assert (await c.tool("crm_node", "--list")).out == "1 node1 member\n2 node2 member\n"
    r = await c.tool("crm_node", "-q")
    assert (r.rc, r.out) == (0 if c.daemons[1].quorum and c.daemons[1].quorum.quorate else 106,
                             "1\n" if r.rc == 0 else "0\n")
    r = await c.tool("crm_node", "-N", "2")
    assert (r.rc, r.out) == (0, "node2\n")
    r = await c.tool("crm_node")
    assert r.rc == 64 and "Usage" in r.out


@live(1)
async def test_cibadmin_crm_resource_and_crm_mon_on_vigilds_cib(c: Live) -> None:
    await c.configure(PROMOTABLE)
    r = await c.tool("cibadmin", "-Q")
    root = ET.fromstring(r.out)
    assert r.rc == 0 and root.tag == "cib" and root.find("status") is not None
    r = await c.tool("cibadmin", "--query", "--scope", "nodes")
    assert ET.fromstring(r.out).tag == "nodes"
    r = await c.tool("cibadmin", "-E")
    assert (r.rc, r.err) == (3, "cibadmin: only -Q/--query is provided by vigil's cibadmin "
                                "(change the configuration with vigil)\n")
    cib_file = c.cib_file()
    for argv in (["--resource", "st", "--meta", "--get-parameter", "notify"],
                 ["-r", "st", "--meta", "-g", "target-role"],
                 ["-r", "st:0", "--meta", "-g", "promotable"],
                 ["-r", "st", "--meta", "-g", "nosuch"],
                 ["-r", "st", "-g", "notify_delay"],
                 ["-r", "st-clone", "--meta", "-g", "notify"]):
        ours = await c.tool("crm_resource", *argv)
        theirs = await c.run(["/usr/sbin/crm_resource", *argv],
                             env={"PATH": "/usr/sbin:/usr/bin:/bin", "CIB_file": cib_file})
        assert (ours.rc, ours.out, ours.err) == (theirs.rc, theirs.out, theirs.err), argv
    r = await c.tool("crm_resource", "-r", "nosuch", "--meta", "-g", "notify")
    assert r.rc == 105
    # Pacemaker's crm_mon reads vigild's CIB (pgsql and redis grep its XML)
    r = await c.tool("crm_mon", "-1", "--output-as=xml")
    assert r.rc == 0, r.err
    mon = ET.fromstring(r.out)
    assert [(n.get("name"), n.get("online")) for n in mon.iter("node")
            if n.get("online")] == [("node1", "true")]


SHELLFUNCS = ". /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs; "


@live(2)
async def test_ocf_shellfuncs_helpers_agents_use(c: Live) -> None:
    """ocf_promotion_score (crm_master -l reboot, or crm_attribute -p with feature set 3.10 or
    later), PAF's ocf_local_nodename (crm_node -n through PATH) and crm_mon_no_validation (cibadmin -Q
    piped into crm_mon on CIB_file, as redis calls it), from resource-agents' own library."""
    await c.configure(PROMOTABLE)
    for feature_set, score in (("3.9.0", "7"), ("3.16.1", "8")):
        r = await c.run(["bash", "-c", SHELLFUNCS + f"ocf_promotion_score -v {score}"],
                        node=2, env=c.env(2, OCF_ROOT="/usr/lib/ocf", OCF_RESOURCE_INSTANCE="st",
                                          OCF_RESKEY_crm_feature_set=feature_set))
        assert r.rc == 0, r.err
        assert transient(c, 1, 2, "master-st") == score
    r = await c.run(["bash", "-c", SHELLFUNCS + "ocf_promotion_score -G -q"], node=2,
                    env=c.env(2, OCF_ROOT="/usr/lib/ocf", OCF_RESOURCE_INSTANCE="st",
                              OCF_RESKEY_crm_feature_set="3.16.1"))
    assert (r.rc, r.out) == (0, "8\n")
    # PAF's library (Perl) asks crm_node -n, found through PATH (the shell library's version
    # check misreads pacemakerd -$ of 2.1.5 and falls back to uname -n, with Pacemaker too)
    r = await c.run(["perl", "-e", 'use lib "/usr/lib/ocf/lib/heartbeat"; use OCF_Functions; '
                     'print ocf_local_nodename(), "\\n"'], node=2,
                    env=c.env(2, OCF_ROOT="/usr/lib/ocf"))
    assert (r.rc, r.out) == (0, "node2\n"), r.err
    r = await c.run(["bash", "-c", SHELLFUNCS + "crm_mon_no_validation -1 --output-as=xml"],
                    env=c.env(1, OCF_ROOT="/usr/lib/ocf", SHELL="/bin/bash"))
    assert r.rc == 0, r.err
    mon = ET.fromstring(r.out)
    assert sorted(n.get("name") or "" for n in mon.iter("node") if n.get("online") == "true") == [
        "node1", "node2"]
    assert [r.get("id") for r in mon.iter("clone")] == ["st-clone"]


@live(2)
async def test_crm_resource_ban_as_the_pgsql_agent_calls_it(c: Live) -> None:
    await c.configure(PROMOTABLE)
    r = await c.tool("crm_resource", "-B", "-r", "st", "-N", "node2", "-Q")
    assert (r.rc, r.out, r.err) == (0, "", "")
    for d in c.daemons.values():
        bans = [x for x in d.cib.configuration.constraints if x.id == "cli-ban-st-on-node2"]
        assert len(bans) == 1
    r = await c.tool("crm_resource", "-B", "-r", "nosuch", "-N", "node2", "-Q")
    assert r.rc == 1 and r.err.count("\n") == 1 and r.err.startswith("crm_resource: ")
