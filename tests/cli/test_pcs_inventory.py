"""Issue 14's inventory: every pcs 0.11 subcommand, counted in pcs_0_11_subcommands.tsv (its
header says the counting rule), and a test per subcommand marked working.

Each working row's invocation is run as the TSV gives it (FILE a copy of the README's example
CIB, or of the case's own; DIR a temporary directory; CONF a corosync.conf) and its case checks
what it must do: the file's XML changed as pcs's command changes it, or the output shows what it
must. A command that acts on running nodes is checked as far as a test can without them (a
scripted vigild or Corosync tool, else its one-line refusal), its note naming where the effect
itself is tested. The count test reads the TSV: at least 115 rows working, every working row a
case here and every case a working row, so the count cannot say more than the tests show.
Every missing row typed as pcs types it gets one line, exit 1 or 2, and changes nothing.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
import shutil
import sys
import tarfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import corosync_samples
import pytest
from cibs import DUMMY, Run, running_on_node1, write_cib
from scripted import Call, Exchange, FakeDaemon, ScriptedRunner, runner

from vigil.cli import cluster_cli, quorum_cli
from vigil.commands.localnode import LocalNode
from vigil.daemon import control as c

TSV = Path(__file__).with_name("pcs_0_11_subcommands.tsv")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "web-failover.xml"
STATUSES = ("working", "missing", "not-applicable")
OCF = Path("/usr/lib/ocf/resource.d/pacemaker")


@dataclasses.dataclass(frozen=True)
class Row:
    subcommand: str
    status: str
    text: str  # the invocation (working) or the reason
    note: str


def inventory() -> list[Row]:
    lines = [ln for ln in TSV.read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[0].split("\t") == ["subcommand", "status", "invocation_or_reason", "note"]
    found = []
    for line in lines[1:]:
        fields = line.split("\t")
        assert len(fields) == 4, line
        found.append(Row(*fields))
    return found


ROWS = inventory()
WORKING = [r for r in ROWS if r.status == "working"]
NOT_WORKING = [r for r in ROWS if r.status != "working"]


# -- the context a case runs in ----------------------------------------------------------------
class Machine(LocalNode):
    """This machine below a temporary root, its commands recorded, not run."""

    def __init__(self, root: Path, euid: int) -> None:
        super().__init__(root=root, euid=euid)
        self.ran: list[list[str]] = []

    def run(self, argv: Sequence[str], timeout: float = 60.0) -> tuple[int, str]:
        self.ran.append(list(argv))
        return 0, ""


@dataclasses.dataclass
class Ctx:
    tmp: Path
    file: Path
    conf: Path
    vigil: Run
    monkeypatch: pytest.MonkeyPatch
    code: int = -1
    out: str = ""
    err: str = ""
    before: bytes = b""
    scripts: list[ScriptedRunner] = dataclasses.field(default_factory=list)
    daemons: list[FakeDaemon] = dataclasses.field(default_factory=list)
    machine: Machine | None = None  # this machine below tmp, its commands recorded

    def words(self, text: str) -> list[str]:
        return [w.replace("FILE", str(self.file)).replace("DIR", str(self.tmp))
                .replace("CONF", str(self.conf)) for w in shlex.split(text)]

    def run(self, text: str) -> None:
        """A step of the case's setup: it must succeed."""
        code, out, err = self.vigil(*self.words(text))
        assert code == 0, (text, out, err)

    def xml(self) -> ET.Element:
        return ET.parse(self.file).getroot()

    def one(self, path: str) -> ET.Element:
        found = self.xml().findall(path)
        assert len(found) == 1, (path, len(found))
        return found[0]

    def none(self, path: str) -> None:
        assert self.xml().findall(path) == [], path

    def nvpair(self, path: str, name: str) -> str | None:
        """The value of `name` in the nvpairs under `path` (None: not there)."""
        values = [p.get("value") for p in self.xml().findall(f"{path}//nvpair[@name='{name}']")]
        assert len(values) <= 1, (path, name, values)
        return values[0] if values else None

    @property
    def unchanged(self) -> bool:
        return self.file.read_bytes() == self.before

    def ok(self) -> None:
        assert self.code == 0, (self.out, self.err)

    def refused(self, code: int, says: str) -> None:
        """One line on stderr, the exit status, nothing printed, the file as it was."""
        lines = self.err.strip().splitlines()
        assert self.code == code and len(lines) == 1 and lines[0].startswith("error: "), (
            self.code, self.err)
        assert says in lines[0], lines[0]
        assert self.out == "" and (not self.file.exists() or self.unchanged)

    def tools(self, *calls: Call) -> None:
        """Corosync's tools scripted for the command (quorum_cli.runner is the seam)."""
        fake = runner(*calls)
        self.scripts.append(fake)
        self.monkeypatch.setattr(quorum_cli, "runner", lambda: fake)

    def daemon(self, *script: Exchange) -> None:
        """A vigild that answers the script on its control socket."""
        fake = FakeDaemon(self.tmp / f"d{len(self.daemons)}.sock", list(script))
        self.daemons.append(fake)
        self.monkeypatch.setenv("VIGIL_SOCKET", fake.path)


Check = Callable[[Ctx], None]


@dataclasses.dataclass(frozen=True)
class Case:
    check: Check
    setup: tuple[str, ...] = ()
    base: str = "example"
    prepare: Check | None = None


CASES: dict[str, Case] = {}


def case(subcommand: str, *setup: str, base: str = "example",
         prepare: Check | None = None) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        assert subcommand not in CASES, subcommand
        CASES[subcommand] = Case(check, setup, base, prepare)
        return check

    return register


def _agents_cib(path: Path, tmp: Path) -> None:
    """d1 (ocf:pacemaker:Dummy) and s1 (ocf:pacemaker:Stateful), their state files in tmp."""
    path.write_text(f"""<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration><crm_config/><nodes/><resources>
    <primitive id="d1" class="ocf" provider="pacemaker" type="Dummy">
      <instance_attributes id="d1-ia"><nvpair id="d1-s" name="state" value="{tmp}/d1.state"/>
      </instance_attributes></primitive>
    <primitive id="s1" class="ocf" provider="pacemaker" type="Stateful">
      <instance_attributes id="s1-ia"><nvpair id="s1-s" name="state" value="{tmp}/s1.state"/>
      </instance_attributes></primitive>
  </resources><constraints/></configuration><status/></cib>
""")


def _base(name: str, path: Path, tmp: Path) -> None:
    if name == "example":
        shutil.copy(EXAMPLE, path)
    elif name == "failed":  # A's monitor failed on node1: a fail count, a failed operation
        write_cib(path, DUMMY.format(id="A"), status1=running_on_node1("A", failed_monitor=True))
    elif name == "agents":
        _agents_cib(path, tmp)
    else:
        assert name == "none", name


@pytest.fixture
def ctx(vigil: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Ctx]:
    monkeypatch.setenv("VIGIL_KNOWN_HOSTS", str(tmp_path / "known-hosts"))
    monkeypatch.setenv("VIGIL_REMOTE_DIR", str(tmp_path))
    monkeypatch.setenv("VIGIL_STATE_DIR", str(tmp_path / "state"))
    conf = tmp_path / "corosync.conf"
    conf.write_text(corosync_samples.TWO_NODE_CONF)
    made = Ctx(tmp_path, tmp_path / "cib.xml", conf, vigil, monkeypatch,
               machine=Machine(root=tmp_path / "root", euid=0))
    # what acts on this machine (uidgid, reload) acts below tmp_path, whatever a case forgets
    monkeypatch.setattr(cluster_cli, "local_node", lambda: made.machine)
    yield made
    for fake in made.scripts:
        fake.check_done()
    for daemon in made.daemons:
        daemon.check_done()


@pytest.mark.parametrize("row", WORKING, ids=[r.subcommand for r in WORKING])
def test_subcommand(row: Row, ctx: Ctx) -> None:
    """The row's invocation, run as the TSV gives it, does what the row's case checks."""
    found = CASES[row.subcommand]
    if found.base == "agents" and not all((OCF / a).exists() for a in ("Dummy", "Stateful")):
        pytest.skip("needs Pacemaker's ocf:pacemaker:Dummy and Stateful (pacemaker-resource-"
                    "agents)")
    _base(found.base, ctx.file, ctx.tmp)
    if found.prepare is not None:
        found.prepare(ctx)
    for step in found.setup:
        ctx.run(step)
    ctx.before = ctx.file.read_bytes() if ctx.file.exists() else b""
    ctx.code, ctx.out, ctx.err = ctx.vigil(*ctx.words(row.text))
    assert "Traceback" not in ctx.err
    found.check(ctx)


def test_the_count_is_what_the_tests_show() -> None:
    names = [r.subcommand for r in ROWS]
    assert len(names) == len(set(names)) == 255, "a subcommand counted twice, or the count moved"
    assert all(r.status in STATUSES for r in ROWS)
    assert len(WORKING) >= 115, f"only {len(WORKING)} of {len(ROWS)} subcommands work"
    # every working row has its case, and a case exists only for a working row
    assert {r.subcommand for r in WORKING} == set(CASES)
    assert all(r.text for r in ROWS), "a row without an invocation or a reason"
    for row in WORKING:  # the invocation is the row's subcommand, as pcs spells it
        words = [w for w in shlex.split(row.text) if not w.startswith("-") and w != "FILE"]
        wanted = row.subcommand.split()
        sequence = iter(words)
        assert all(any(w == want or want == "RSC" for w in sequence) for want in wanted), row


# -- what a missing subcommand says ----------------------------------------------------------
def _typed(row: Row) -> list[str]:
    """The subcommand as an operator types it (RSC a resource of the example)."""
    return [("WebIP" if w == "RSC" else w) for w in row.subcommand.split()]


@pytest.mark.parametrize("row", NOT_WORKING, ids=[r.subcommand for r in NOT_WORKING])
def test_a_missing_subcommand_is_one_line_and_changes_nothing(row: Row, ctx: Ctx) -> None:
    shutil.copy(EXAMPLE, ctx.file)
    ctx.before = ctx.file.read_bytes()
    ctx.code, ctx.out, ctx.err = ctx.vigil("-f", str(ctx.file), *_typed(row))
    lines = ctx.err.strip().splitlines()
    assert ctx.code in (1, 2) and len(lines) == 1 and lines[0].startswith("error: "), ctx.err
    assert ctx.unchanged


@pytest.mark.parametrize("row", [r for r in WORKING if r.text.startswith("-f FILE")],
                         ids=[r.subcommand for r in WORKING if r.text.startswith("-f FILE")])
def test_an_unknown_option_is_one_line_and_changes_nothing(row: Row, ctx: Ctx) -> None:
    shutil.copy(EXAMPLE, ctx.file)
    ctx.before = ctx.file.read_bytes()
    ctx.code, ctx.out, ctx.err = ctx.vigil(*ctx.words(row.text), "--bogus")
    ctx.refused(2, "unknown option --bogus")


# -- resource ----------------------------------------------------------------------------------
PRIMITIVE = ".//primitive[@id='{}']"
META = ".//primitive[@id='{}']/meta_attributes"


@case("resource status")
def _resource_status(ctx: Ctx) -> None:
    ctx.ok()
    assert [ln.split("\t")[0].strip() for ln in ctx.out.splitlines()[1:]] == ["* WebIP"]


@case("resource config")
def _resource_config(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.lstrip().startswith("Resource: WebIP (class=ocf provider=heartbeat "
                                       "type=IPaddr2)")
    assert "WebSite" not in ctx.out


@case("resource list")
def _resource_list(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["ocf:heartbeat:Dummy", "ocf:pacemaker:Dummy"]


@case("resource describe")
def _resource_describe(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.startswith("ocf:heartbeat:IPaddr2") and "ip (required)" in ctx.out


@case("resource create")
def _resource_create(ctx: Ctx) -> None:
    ctx.ok()
    d1 = ctx.one(PRIMITIVE.format("D1"))
    assert (d1.get("class"), d1.get("provider"), d1.get("type")) == ("ocf", "pacemaker", "Dummy")
    assert ctx.one(".//primitive[@id='D1']/operations/op[@name='monitor']").get(
        "interval") == "20s"
    assert ctx.nvpair(META.format("D1"), "priority") == "3"


@case("resource delete")
def _resource_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(PRIMITIVE.format("WebSite"))
    ctx.none(".//rsc_colocation")  # the constraints naming it went with it


@case("resource enable", "-f FILE resource disable WebIP")
def _resource_enable(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebIP"), "target-role") is None


@case("resource disable")
def _resource_disable(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebIP"), "target-role") == "Stopped"


@case("resource safe-disable")
def _resource_safe_disable(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebSite"), "target-role") == "Stopped"


@case("resource restart")
def _resource_restart(ctx: Ctx) -> None:
    ctx.refused(1, "needs a running cluster")


def _state(ctx: Ctx, rsc: str) -> str | None:
    path = ctx.tmp / f"{rsc}.state"
    return path.read_text().strip() if path.exists() else None


@case("resource debug-start", base="agents")
def _debug_start(ctx: Ctx) -> None:
    ctx.ok()
    assert "returned: 'ok' (0)" in ctx.out and _state(ctx, "d1") is not None
    assert ctx.unchanged and "the cluster does not learn of this start" in ctx.err


@case("resource debug-stop", "-f FILE resource debug-start d1", base="agents")
def _debug_stop(ctx: Ctx) -> None:
    ctx.ok()
    assert _state(ctx, "d1") is None and ctx.unchanged


@case("resource debug-monitor", base="agents")
def _debug_monitor(ctx: Ctx) -> None:
    assert ctx.code == 7 and "returned: 'not_running' (7)" in ctx.out


@case("resource debug-promote", "-f FILE resource debug-start s1", base="agents")
def _debug_promote(ctx: Ctx) -> None:
    ctx.ok()
    assert _state(ctx, "s1") == "Promoted"


@case("resource debug-demote", "-f FILE resource debug-start s1",
      "-f FILE resource debug-promote s1", base="agents")
def _debug_demote(ctx: Ctx) -> None:
    ctx.ok()
    assert _state(ctx, "s1") == "Unpromoted"


def _prefers(ctx: Ctx) -> None:
    ctx.ok()
    loc = ctx.one(".//rsc_location[@id='cli-prefer-WebIP']")
    assert (loc.get("rsc"), loc.get("node"), loc.get("score")) == ("WebIP", "node2", "INFINITY")


case("resource move")(_prefers)
case("resource move-with-constraint")(_prefers)


@case("resource ban")
def _resource_ban(ctx: Ctx) -> None:
    ctx.ok()
    loc = ctx.one(".//rsc_location[@id='cli-ban-WebIP-on-node2']")
    assert (loc.get("node"), loc.get("score")) == ("node2", "-INFINITY")


@case("resource clear", "-f FILE resource move WebIP node2")
def _resource_clear(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//rsc_location[@id='cli-prefer-WebIP']")


@case("resource standards")
def _resource_standards(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.split() == ["ocf", "lsb", "service", "systemd", "stonith"]


@case("resource providers")
def _resource_providers(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.split() == ["heartbeat", "linbit", "pacemaker"]


@case("resource agents")
def _resource_agents(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.split() == ["Dummy", "remote", "Stateful"]


@case("resource update")
def _resource_update(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//primitive[@id='WebIP']/instance_attributes", "cidr_netmask") == "16"


@case("resource op add")
def _resource_op_add(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//primitive[@id='WebIP']/operations/op[@name='start']").get(
        "timeout") == "60s"


@case("resource op delete")
def _resource_op_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//primitive[@id='WebIP']/operations/op[@name='monitor']")


@case("resource op defaults", "-f FILE resource op defaults update timeout=30s")
def _op_defaults(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["timeout=30s"]


@case("resource op defaults update")
def _op_defaults_update(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//op_defaults", "timeout") == "30s"


def _op_set_created(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//op_defaults/meta_attributes[@id='mon']", "timeout") == "40s"
    assert ctx.one(".//op_defaults/meta_attributes[@id='mon']/rule/op_expression").get(
        "name") == "monitor"


def _op_set_deleted(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//op_defaults/meta_attributes[@id='mon']")


def _op_set_updated(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//op_defaults/meta_attributes[@id='mon']", "timeout") == "50s"
    ctx.one(".//op_defaults/meta_attributes[@id='mon']/rule")  # the rule stays


OP_SET = "-f FILE resource op defaults set create id=mon meta timeout=40s rule op monitor"
case("resource op defaults set create")(_op_set_created)
case("resource op defaults set delete", OP_SET)(_op_set_deleted)
case("resource op defaults set update", OP_SET)(_op_set_updated)
case("stonith op defaults set create")(_op_set_created)
case("stonith op defaults set delete", OP_SET)(_op_set_deleted)
case("stonith op defaults set update", OP_SET)(_op_set_updated)


@case("resource meta")
def _resource_meta(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebIP"), "priority") == "10"


GROUP = "-f FILE resource group add web WebIP WebSite"


@case("resource group list", GROUP)
def _group_list(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["web: WebIP WebSite"]


@case("resource group add")
def _group_add(ctx: Ctx) -> None:
    ctx.ok()
    group = ctx.one(".//group[@id='web']")
    assert [p.get("id") for p in group.findall("primitive")] == ["WebIP", "WebSite"]


@case("resource group delete", GROUP)
def _group_delete(ctx: Ctx) -> None:
    ctx.ok()
    assert [p.get("id") for p in ctx.one(".//group[@id='web']").findall("primitive")] == [
        "WebIP"]
    ctx.one("./configuration/resources/primitive[@id='WebSite']")


@case("resource ungroup", GROUP)
def _ungroup(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//group")
    ctx.one("./configuration/resources/primitive[@id='WebIP']")


@case("resource clone")
def _resource_clone(ctx: Ctx) -> None:
    ctx.ok()
    ctx.one(".//clone[@id='WebSite-clone']/primitive[@id='WebSite']")
    assert ctx.one(".//rsc_colocation").get("rsc") == "WebSite-clone"


@case("resource promotable", "-f FILE resource create S1 ocf:pacemaker:Stateful")
def _resource_promotable(ctx: Ctx) -> None:
    ctx.ok()
    ctx.one(".//clone[@id='S1-clone']/primitive[@id='S1']")
    assert ctx.nvpair(".//clone[@id='S1-clone']/meta_attributes", "promotable") == "true"


@case("resource unclone", "-f FILE resource clone WebSite")
def _resource_unclone(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//clone")
    ctx.one("./configuration/resources/primitive[@id='WebSite']")


@case("resource manage", "-f FILE resource unmanage WebIP")
def _resource_manage(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebIP"), "is-managed") is None


@case("resource unmanage")
def _resource_unmanage(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebIP"), "is-managed") == "false"


def _defaults(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["resource-stickiness=100"]  # the example's


def _defaults_update(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//rsc_defaults", "resource-stickiness") == "200"


RSC_SET = ".//rsc_defaults/meta_attributes[@id='dummies']"


def _rsc_set_created(ctx: Ctx) -> None:
    ctx.ok()
    made = ctx.one(RSC_SET)
    assert made.get("score") == "10" and ctx.nvpair(RSC_SET, "resource-stickiness") == "50"
    expression = ctx.one(f"{RSC_SET}/rule/rsc_expression")
    assert (expression.get("class"), expression.get("provider"), expression.get("type")) == (
        "ocf", "pacemaker", "Dummy")
    # the plain set is still the one `defaults update` edits
    assert ctx.nvpair(".//rsc_defaults/meta_attributes[@id='rsc_defaults-meta_attributes']",
                      "resource-stickiness") == "100"


def _rsc_set_deleted(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(RSC_SET)
    ctx.one(".//rsc_defaults/meta_attributes[@id='rsc_defaults-meta_attributes']")


def _rsc_set_updated(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(RSC_SET, "resource-stickiness") == "60"


RSC_SET_CREATE = ("-f FILE resource defaults set create id=dummies score=10 meta "
                  "resource-stickiness=50 rule resource ocf:pacemaker:Dummy")
for _kind in ("resource", "stonith"):
    case(f"{_kind} defaults")(_defaults)
    case(f"{_kind} defaults update")(_defaults_update)
    case(f"{_kind} defaults set create")(_rsc_set_created)
    case(f"{_kind} defaults set delete", RSC_SET_CREATE)(_rsc_set_deleted)
    case(f"{_kind} defaults set update", RSC_SET_CREATE)(_rsc_set_updated)


@case("resource cleanup", base="failed")
def _resource_cleanup(ctx: Ctx) -> None:
    ctx.ok()
    assert "fail-count-A" not in ctx.file.read_text()
    ctx.none(".//lrm_rsc_op[@id='A_last_failure_0']")
    ctx.one(".//lrm_rsc_op[@id='A_last_0']")  # its start stays: only the failures go


@case("resource refresh")
def _resource_refresh(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//node_state[@uname='node1']//lrm_resource[@id='WebIP']")


@case("resource failcount", base="failed")
def _resource_failcount(ctx: Ctx) -> None:
    ctx.ok()
    lines = ctx.out.splitlines()
    assert lines[0] == "Failcounts for resource 'A'" and lines[1].startswith("  node1: 1 (")


@case("resource relocate dry-run")
def _relocate_dry_run(ctx: Ctx) -> None:
    ctx.ok()
    rows = {ln.split("\t")[0]: ln.split("\t")[1:] for ln in ctx.out.splitlines()[1:]}
    assert set(rows) >= {"WebIP", "WebSite"} and ctx.unchanged


case("resource relocate show")(_relocate_dry_run)


@case("resource relocate run")
def _relocate_run(ctx: Ctx) -> None:
    ctx.refused(1, "needs a running cluster")


@case("resource relocate clear",
      "-f FILE constraint location add pcs-relocate-WebIP WebIP node2 INFINITY")
def _relocate_clear(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//rsc_location[@id='pcs-relocate-WebIP']")


@case("resource utilization")
def _resource_utilization(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//primitive[@id='WebIP']/utilization", "cpu") == "1"
    assert ctx.nvpair(".//primitive[@id='WebIP']/utilization", "memory") == "100"


@case("resource relations")
def _resource_relations(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines()[0] == "WebIP" and "WebSite" in ctx.out


# -- cluster -----------------------------------------------------------------------------------
@case("cluster setup", base="none")
def _cluster_setup(ctx: Ctx) -> None:
    ctx.ok()
    conf = (ctx.tmp / "bundle/n1/etc/corosync/corosync.conf").read_text()
    assert "\t\tname: n1\n\t\tring0_addr: 10.0.0.11\n" in conf
    assert "\t\tname: n2\n\t\tring0_addr: 10.0.0.12\n" in conf
    assert json.loads((ctx.tmp / "bundle/n2/etc/vigil/cluster.json").read_text())[
        "nodes"][0] == {"name": "n1", "nodeid": 1, "addrs": ["10.0.0.11"]}


@case("cluster config", base="none")
def _cluster_config(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.startswith("Cluster Name: ") and "Nodes:" in ctx.out


@case("cluster corosync", base="none")
def _cluster_corosync(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out == ctx.conf.read_text()


def _no_token(ctx: Ctx) -> None:
    ctx.refused(1, "no token for n1, n2: run 'vigil host auth n1 n2' first")


for _command in ("start", "stop", "enable", "disable", "destroy"):
    case(f"cluster {_command}", base="none")(_no_token)


@case("cluster status")
def _cluster_status(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out == ctx.vigil("-f", str(ctx.file), "status")[1]


@case("cluster cib")
def _cluster_cib(ctx: Ctx) -> None:
    ctx.ok()
    saved = ET.parse(ctx.tmp / "saved.xml").getroot()
    assert saved.tag == "constraints" and len(saved) == 3


def _edited_copy(ctx: Ctx) -> None:
    """DIR/new.xml: the CIB with WebSite's stickiness, as an operator edits a saved copy."""
    tree = ET.parse(ctx.file)
    website = tree.getroot().find(".//primitive[@id='WebSite']")
    assert website is not None
    meta = ET.SubElement(website, "meta_attributes", {"id": "WebSite-meta"})
    ET.SubElement(meta, "nvpair", {"id": "WebSite-meta-s", "name": "resource-stickiness",
                                   "value": "7"})
    tree.write(ctx.tmp / "new.xml")


@case("cluster cib-push", prepare=_edited_copy)
def _cluster_cib_push(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebSite"), "resource-stickiness") == "7"


@case("cluster cib-upgrade")
def _cluster_cib_upgrade(ctx: Ctx) -> None:
    ctx.ok()
    newest = max((p.name for p in Path("/usr/share/pacemaker").glob("pacemaker-3.*.rng")),
                 key=lambda n: int(n.split(".")[1]))
    assert ctx.xml().get("validate-with") == newest.removesuffix(".rng")


def _editor(ctx: Ctx) -> None:
    """$EDITOR: a program that sets WebIP's priority in the file it is given."""
    script = ctx.tmp / "editor.py"
    script.write_text("import sys\npath = sys.argv[1]\ntext = open(path).read()\n"
                      "text = text.replace('<primitive id=\"WebIP\" class=\"ocf\" "
                      "provider=\"heartbeat\" type=\"IPaddr2\">', '<primitive id=\"WebIP\" "
                      "class=\"ocf\" provider=\"heartbeat\" type=\"IPaddr2\"><meta_attributes "
                      "id=\"WebIP-m\"><nvpair id=\"WebIP-m-p\" name=\"priority\" value=\"4\"/>"
                      "</meta_attributes>', 1)\nopen(path, 'w').write(text)\n")
    ctx.monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")


@case("cluster edit", prepare=_editor)
def _cluster_edit(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebIP"), "priority") == "4"


def _no_cluster_here(ctx: Ctx) -> None:
    # /etc/corosync/corosync.conf below a root without one: no cluster on this "machine"
    ctx.monkeypatch.setattr("vigil.commands.cluster_all.LocalNode",
                            lambda: LocalNode(root=ctx.tmp / "root"))


@case("cluster node add", base="none", prepare=_no_cluster_here)
def _cluster_node_add(ctx: Ctx) -> None:
    ctx.refused(1, "cluster node add and remove run on a node of the cluster, and "
                f"{ctx.tmp}/root/etc/corosync/corosync.conf is not here")


case("cluster node delete", base="none", prepare=_no_cluster_here)(_cluster_node_add)


@case("cluster node add-remote")
def _node_add_remote(ctx: Ctx) -> None:
    ctx.ok()
    rn1 = ctx.one(PRIMITIVE.format("rn1"))
    assert (rn1.get("provider"), rn1.get("type")) == ("pacemaker", "remote")
    assert ctx.nvpair(".//primitive[@id='rn1']/instance_attributes", "server") == "10.0.0.60"


@case("cluster node delete-remote", "-f FILE cluster node add-remote 10.0.0.60 rn1")
def _node_delete_remote(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(PRIMITIVE.format("rn1"))


@case("cluster node add-guest")
def _node_add_guest(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebSite"), "remote-node") == "g1"
    assert ctx.nvpair(META.format("WebSite"), "remote-addr") == "10.0.0.61"


@case("cluster node delete-guest", "-f FILE cluster node add-guest g1 WebSite")
def _node_delete_guest(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("WebSite"), "remote-node") is None


def _forgets(ctx: Ctx) -> None:
    ctx.daemon((c.ForgetNode("node3"), c.Answer(c.NewVersion(c.CibVersion(0, 9, 0)))))


@case("cluster node clear", base="none", prepare=_forgets)
def _cluster_node_clear(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out == "node3: forgotten (the CIB's nodes and status)\n"


@case("cluster uidgid", "cluster uidgid add uid=alice", base="none")
def _uidgid(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.startswith("UID/GID: uid=alice gid= (")


@case("cluster uidgid add", base="none")
def _uidgid_add(ctx: Ctx) -> None:
    ctx.ok()
    written = list((ctx.tmp / "root/etc/corosync/uidgid.d").iterdir())
    assert len(written) == 1 and "uid: alice" in written[0].read_text()


@case("cluster uidgid delete", "cluster uidgid add uid=alice", base="none")
def _uidgid_delete(ctx: Ctx) -> None:
    ctx.ok()
    assert list((ctx.tmp / "root/etc/corosync/uidgid.d").iterdir()) == []


@case("cluster reload corosync", base="none")
def _reload_corosync(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.machine is not None and ctx.machine.ran == [["corosync-cfgtool", "-R"]]
    assert ctx.out.startswith("Corosync reloaded (corosync-cfgtool -R on ")


@case("cluster verify")
def _cluster_verify(ctx: Ctx) -> None:
    # the example's node1 is unclean: Pacemaker's finding, and vigil's
    assert ctx.code in (0, 2) and ctx.out == ctx.vigil("-f", str(ctx.file), "verify")[1]
    assert ctx.out.strip()


def _report_here(ctx: Ctx) -> None:
    """No cluster on this machine: the report gathers this node alone."""
    from vigil.commands import cluster_all

    ctx.monkeypatch.setattr(cluster_all, "cluster_nodes", lambda: ())


@case("cluster report", base="none", prepare=_report_here)
def _cluster_report(ctx: Ctx) -> None:
    ctx.ok()
    with tarfile.open(ctx.tmp / "report.tar.bz2") as tar:
        names = tar.getnames()
    assert any(n.endswith("README.txt") for n in names) and len(names) > 2


# -- stonith -----------------------------------------------------------------------------------
@case("stonith status")
def _stonith_status(ctx: Ctx) -> None:
    ctx.ok()
    assert [ln.split("\t")[0].strip() for ln in ctx.out.splitlines()[1:]] == ["* fence-lab"]


@case("stonith config")
def _stonith_config(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.lstrip().startswith("Resource: fence-lab (class=stonith "
                                       "type=fence_vigil_lab)")
    assert "WebIP" not in ctx.out


@case("stonith list")
def _stonith_list(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["fence_ipmilan"]


@case("stonith describe")
def _stonith_describe(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.startswith("stonith:fence_ipmilan") and "action (required)" in ctx.out


@case("stonith create")
def _stonith_create(ctx: Ctx) -> None:
    ctx.ok()
    f1 = ctx.one(PRIMITIVE.format("f1"))
    assert (f1.get("class"), f1.get("type")) == ("stonith", "fence_ipmilan")
    assert ctx.nvpair(".//primitive[@id='f1']/instance_attributes", "pcmk_host_list") == "node1"


@case("stonith update")
def _stonith_update(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//primitive[@id='fence-lab']/instance_attributes",
                      "pcmk_delay_max") == "5s"


@case("stonith delete")
def _stonith_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(PRIMITIVE.format("fence-lab"))


@case("stonith op add")
def _stonith_op_add(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//primitive[@id='fence-lab']/operations/op[@interval='120s']").get(
        "name") == "monitor"


@case("stonith op delete")
def _stonith_op_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//primitive[@id='fence-lab']/operations/op[@name='monitor']")


case("stonith op defaults", "-f FILE stonith op defaults update timeout=30s")(_op_defaults)
case("stonith op defaults update")(_op_defaults_update)


@case("stonith meta")
def _stonith_meta(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("fence-lab"), "priority") == "5"


@case("stonith cleanup")
def _stonith_cleanup(ctx: Ctx) -> None:
    ctx.ok()
    assert "no failures recorded for fence-lab" in ctx.err and ctx.unchanged


@case("stonith refresh")
def _stonith_refresh(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//lrm_resource[@id='fence-lab']")


@case("stonith failcount")
def _stonith_failcount(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out == "No failcounts for resource 'fence-lab'\n"


@case("stonith enable", "-f FILE stonith disable fence-lab")
def _stonith_enable(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("fence-lab"), "target-role") is None


@case("stonith disable")
def _stonith_disable(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(META.format("fence-lab"), "target-role") == "Stopped"


LEVEL = "-f FILE stonith level add 1 node1 fence-lab"


@case("stonith level", LEVEL)
def _stonith_level(ctx: Ctx) -> None:
    ctx.ok()
    assert "fence-lab" in ctx.out and "node1" in ctx.out


@case("stonith level add")
def _stonith_level_add(ctx: Ctx) -> None:
    ctx.ok()
    level = ctx.one(".//fencing-level")
    assert (level.get("index"), level.get("target"), level.get("devices")) == (
        "1", "node1", "fence-lab")


@case("stonith level delete", LEVEL, "-f FILE stonith level add 1 node2 fence-lab")
def _stonith_level_delete(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//fencing-level").get("target") == "node2"


case("stonith level clear", LEVEL, "-f FILE stonith level add 1 node2 fence-lab")(
    _stonith_level_delete)


@case("stonith level verify", "-f FILE stonith level add 1 node1 ghost --force")
def _stonith_level_verify(ctx: Ctx) -> None:
    assert ctx.code == 2 and "ghost" in ctx.err and ctx.unchanged


CIB_XML: Exchange = (c.GetCib(), c.Answer(c.CibXml(EXAMPLE.read_text())))


@case("stonith fence", base="none", prepare=lambda ctx: ctx.daemon(CIB_XML, (
    c.Fence("node2", c.FenceAction.OFF),
    c.Answer(c.FenceOutcome(target="node2", action="off", ok=True, device="fence-lab",
                            duration_ms=2000)))))
def _stonith_fence(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out == "Node: node2 powered off by fence-lab in 2.0 s\n"


@case("stonith confirm", base="none", prepare=lambda ctx: ctx.daemon(CIB_XML, (
    c.ConfirmFenced("node1"),
    c.Answer(c.FenceOutcome(target="node1", action="off", ok=True, manual=True)))))
def _stonith_confirm(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out == "Node: node1 confirmed fenced\n"


@case("stonith history", base="none", prepare=lambda ctx: ctx.daemon((
    c.GetFenceHistory(), c.Answer(c.FenceHistory((
        c.FenceOutcome(target="node2", action="reboot", ok=True, time=1764000000,
                       executioner="node1", device="fence-lab"),
        c.FenceOutcome(target="node1", action="off", ok=True, time=1764000300)))))))
def _stonith_history(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out == ("reboot of node2 successful: device=fence-lab, executioner=node1, "
                       "completed 2025-11-24 16:00:00Z\n")


# -- acl ---------------------------------------------------------------------------------------
ROLE = "-f FILE acl role create readonly read xpath /cib"


@case("acl config", ROLE, "-f FILE acl user create alice readonly")
def _acl_config(ctx: Ctx) -> None:
    ctx.ok()
    assert "readonly" in ctx.out and "alice" in ctx.out


@case("acl enable")
def _acl_enable(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//crm_config", "enable-acl") == "true"


@case("acl disable", "-f FILE acl enable")
def _acl_disable(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//crm_config", "enable-acl") in (None, "false")


@case("acl role create")
def _acl_role_create(ctx: Ctx) -> None:
    ctx.ok()
    role = ctx.one(".//acls/acl_role[@id='readonly']")
    assert role.get("description") == "look"
    assert ctx.one(".//acl_role[@id='readonly']/acl_permission").get("xpath") == "/cib"


@case("acl role delete", ROLE)
def _acl_role_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//acl_role")


@case("acl role assign", "-f FILE acl role create webop write id WebIP",
      "-f FILE acl user create alice")
def _acl_role_assign(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//acl_target[@id='alice']/role").get("id") == "webop"


@case("acl role unassign", ROLE, "-f FILE acl user create alice readonly")
def _acl_role_unassign(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//acl_target[@id='alice']/role")


@case("acl user create", ROLE)
def _acl_user_create(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//acl_target[@id='alice']/role").get("id") == "readonly"


@case("acl user delete", ROLE, "-f FILE acl user create alice readonly")
def _acl_user_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//acl_target")
    ctx.one(".//acl_role[@id='readonly']")


@case("acl group create", ROLE)
def _acl_group_create(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//acl_group[@id='ops']/role").get("id") == "readonly"


@case("acl group delete", ROLE, "-f FILE acl group create ops readonly")
def _acl_group_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//acl_group")


@case("acl permission add", ROLE)
def _acl_permission_add(ctx: Ctx) -> None:
    ctx.ok()
    added = ctx.one(".//acl_role[@id='readonly']/acl_permission[@kind='write']")
    assert added.get("reference") == "WebIP"


@case("acl permission delete", ROLE)
def _acl_permission_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//acl_permission")
    ctx.one(".//acl_role[@id='readonly']")


# -- property ----------------------------------------------------------------------------------
@case("property config")
def _property_config(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["Cluster Properties:", " cluster-name: weblab",
                                    " no-quorum-policy: stop", " stonith-enabled: true"]


@case("property set")
def _property_set(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//crm_config", "maintenance-mode") == "true"


@case("property unset")
def _property_unset(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(".//crm_config", "no-quorum-policy") is None


# -- constraint --------------------------------------------------------------------------------
@case("constraint config")
def _constraint_config(ctx: Ctx) -> None:
    ctx.ok()
    for cid in ("location-WebSite-node1-50", "order-WebIP-WebSite-mandatory",
                "colocation-WebSite-WebIP-INFINITY"):
        assert f"(id:{cid})" in ctx.out


@case("constraint location RSC prefers")
def _location_prefers(ctx: Ctx) -> None:
    ctx.ok()
    loc = ctx.one(".//rsc_location[@rsc='WebIP']")
    assert (loc.get("node"), loc.get("score")) == ("node2", "50")


@case("constraint location RSC avoids")
def _location_avoids(ctx: Ctx) -> None:
    ctx.ok()
    loc = ctx.one(".//rsc_location[@rsc='WebIP']")
    assert (loc.get("node"), loc.get("score")) == ("node3", "-INFINITY")


@case("constraint location RSC rule")
def _location_rule(ctx: Ctx) -> None:
    ctx.ok()
    rule = ctx.one(".//rsc_location[@rsc='WebIP']/rule")
    expression = rule.find("expression")
    assert rule.get("score") == "100" and expression is not None
    assert (expression.get("attribute"), expression.get("operation"), expression.get("type"),
            expression.get("value")) == ("pingd", "gt", "integer", "0")


@case("constraint location config", "-f FILE constraint location WebIP prefers node2")
def _location_config(ctx: Ctx) -> None:
    ctx.ok()
    assert "Resource: WebSite" in ctx.out and "WebIP" not in ctx.out


@case("constraint location add")
def _location_add(ctx: Ctx) -> None:
    ctx.ok()
    loc = ctx.one(".//rsc_location[@id='loc1']")
    assert (loc.get("rsc"), loc.get("node"), loc.get("score")) == ("WebIP", "node2", "30")


@case("constraint location delete")
def _location_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//rsc_location")


@case("constraint order config")
def _order_config(ctx: Ctx) -> None:
    ctx.ok()
    assert "start WebIP then start WebSite" in ctx.out and "Colocation" not in ctx.out


@case("constraint order RSC then RSC")
def _order_add(ctx: Ctx) -> None:
    ctx.ok()
    order = ctx.one(".//rsc_order[@first='WebSite']")
    assert (order.get("first-action"), order.get("then"), order.get("then-action"),
            order.get("kind")) == ("stop", "WebIP", "stop", "Optional")


TWO_DUMMIES = ("-f FILE resource create D1 ocf:pacemaker:Dummy",
               "-f FILE resource create D2 ocf:pacemaker:Dummy")


@case("constraint order set", *TWO_DUMMIES)
def _order_set(ctx: Ctx) -> None:
    ctx.ok()
    order = ctx.one(".//rsc_order[resource_set]")
    assert order.get("kind") == "Optional"
    assert [r.get("id") for r in order.findall("resource_set/resource_ref")] == ["D1", "D2"]


@case("constraint order delete")
def _order_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//rsc_order")


@case("constraint colocation config")
def _colocation_config(ctx: Ctx) -> None:
    ctx.ok()
    assert "WebSite with WebIP" in ctx.out and "then" not in ctx.out


@case("constraint colocation add", TWO_DUMMIES[0])
def _colocation_add(ctx: Ctx) -> None:
    ctx.ok()
    colocation = ctx.one(".//rsc_colocation[@rsc='D1']")
    assert (colocation.get("with-rsc"), colocation.get("score")) == ("WebIP", "50")


@case("constraint colocation set", *TWO_DUMMIES)
def _colocation_set(ctx: Ctx) -> None:
    ctx.ok()
    colocation = ctx.one(".//rsc_colocation[resource_set]")
    assert colocation.get("score") == "10"


@case("constraint colocation delete")
def _colocation_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//rsc_colocation")


TICKET = "-f FILE constraint ticket add T1 WebSite loss-policy=stop"


@case("constraint ticket config", TICKET)
def _ticket_config(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["Ticket Constraints:",
                                    "  WebSite (ticket:T1) (loss-policy:stop)"]


@case("constraint ticket add")
def _ticket_add(ctx: Ctx) -> None:
    ctx.ok()
    ticket = ctx.one(".//rsc_ticket")
    assert (ticket.get("ticket"), ticket.get("rsc"), ticket.get("loss-policy")) == (
        "T1", "WebSite", "stop")


@case("constraint ticket set")
def _ticket_set(ctx: Ctx) -> None:
    ctx.ok()
    ticket = ctx.one(".//rsc_ticket")
    assert ticket.get("ticket") == "T1"
    assert [r.get("id") for r in ticket.findall("resource_set/resource_ref")] == [
        "WebIP", "WebSite"]


@case("constraint ticket delete", TICKET)
def _ticket_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//rsc_ticket")


@case("constraint delete")
def _constraint_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//rsc_order")
    ctx.one(".//rsc_colocation")


@case("constraint ref")
def _constraint_ref(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["Resource: WebSite", "  colocation-WebSite-WebIP-INFINITY",
                                    "  order-WebIP-WebSite-mandatory",
                                    "  location-WebSite-node1-50"]


RULED = "-f FILE constraint location WebIP rule constraint-id=loc-r pingd gt 0"


@case("constraint rule add", RULED)
def _rule_add(ctx: Ctx) -> None:
    ctx.ok()
    rules = ctx.xml().findall(".//rsc_location[@id='loc-r']/rule")
    assert len(rules) == 2 and rules[1].get("score") == "10"
    found = rules[1].find("expression")
    assert found is not None and (found.get("attribute"), found.get("operation")) == (
        "pingd", "defined")


@case("constraint rule delete", RULED, "-f FILE constraint rule add loc-r defined pingd")
def _rule_delete(ctx: Ctx) -> None:
    ctx.ok()
    assert [r.get("id") for r in ctx.xml().findall(".//rsc_location[@id='loc-r']/rule")] == [
        "loc-r-rule-1"]


# -- qdevice and quorum ------------------------------------------------------------------------
@case("qdevice status", base="none")
def _qdevice_status(ctx: Ctx) -> None:
    # asks this machine's corosync-qnetd, which does not run here
    assert ctx.code in (1, 2) and "corosync-qnetd" in ctx.err
    assert len(ctx.err.strip().splitlines()) == 1


def _qdevice_on_a_file(ctx: Ctx) -> None:
    ctx.refused(2, "qdevice commands act on this machine's corosync-qnetd, not on a CIB file")


for _command in ("setup", "destroy", "start", "stop", "enable", "disable"):
    case(f"qdevice {_command}")(_qdevice_on_a_file)


@case("quorum config", base="none")
def _quorum_config(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines()[0] == "Options:" and "  two_node: 1" in ctx.out.splitlines()


@case("quorum status", base="none", prepare=lambda ctx: ctx.tools(
    Call(("corosync-quorumtool", "-s"), 0, corosync_samples.QUORATE)))
def _quorum_status(ctx: Ctx) -> None:
    assert (ctx.code, ctx.out) == (0, corosync_samples.QUORATE)


case("status quorum", base="none", prepare=lambda ctx: ctx.tools(
    Call(("corosync-quorumtool", "-s"), 0, corosync_samples.QUORATE)))(_quorum_status)


@case("quorum device add", base="none")
def _quorum_device_add(ctx: Ctx) -> None:
    ctx.ok()
    conf = ctx.conf.read_text()
    assert "device {" in conf and "host: 10.0.0.50" in conf and "algorithm: lms" in conf


@case("quorum device delete", "quorum device add model net host=10.0.0.50 algorithm=lms "
      "--corosync_conf CONF", base="none")
def _quorum_device_delete(ctx: Ctx) -> None:
    ctx.ok()
    assert "device {" not in ctx.conf.read_text()


DEVICE_STATUS = Call(("corosync-qdevice-tool", "-s"), 0, "Qdevice information\n")


@case("quorum device status", base="none", prepare=lambda ctx: ctx.tools(DEVICE_STATUS))
def _quorum_device_status(ctx: Ctx) -> None:
    assert (ctx.code, ctx.out) == (0, "Qdevice information\n")


case("status qdevice", base="none", prepare=lambda ctx: ctx.tools(DEVICE_STATUS))(
    _quorum_device_status)


@case("quorum expected-votes", base="none", prepare=lambda ctx: ctx.tools(
    Call(("corosync-quorumtool", "-e", "3"))))
def _expected_votes(ctx: Ctx) -> None:
    ctx.ok()  # the scripted tool was called with -e 3 (checked when the case ends)


WAIT_STATUS = ("corosync-cmapctl", "-g", "runtime.votequorum.wait_for_all_status")


@case("quorum unblock", base="none", prepare=lambda ctx: (
    ctx.monkeypatch.setenv("VIGIL_COROSYNC_CONF", str(ctx.conf)),
    ctx.tools(Call(WAIT_STATUS, 0, corosync_samples.WAIT_FOR_ALL_1),
              Call(("corosync-quorumtool", "-s"), 2, corosync_samples.WAITING),
              Call(("corosync-cmapctl", "-s", "quorum.cancel_wait_for_all", "u8", "1")))))
def _quorum_unblock(ctx: Ctx) -> None:
    ctx.ok()


# -- status ------------------------------------------------------------------------------------
@case("status")
def _status(ctx: Ctx) -> None:
    ctx.ok()
    assert "Node node1: UNCLEAN (offline)" in ctx.out and "* WebSite" in ctx.out


case("status cluster")(_status)


@case("status resources")
def _status_resources(ctx: Ctx) -> None:
    ctx.ok()
    assert [ln.split("\t")[0].strip() for ln in ctx.out.splitlines()[1:]] == ["* WebSite"]


@case("status corosync", base="none", prepare=lambda ctx: ctx.tools(
    Call(("corosync-quorumtool", "-l"), 0, "Membership information\n")))
def _status_corosync(ctx: Ctx) -> None:
    assert (ctx.code, ctx.out) == (0, "Membership information\n")


@case("status nodes")
def _status_nodes(ctx: Ctx) -> None:
    ctx.ok()
    assert "Node node1: UNCLEAN (offline)" in ctx.out and "Online: [ node2 node3 ]" in ctx.out
    assert "WebSite" not in ctx.out


def _endpoint_unknown(ctx: Ctx) -> None:
    assert ctx.code == 1
    assert ctx.out == ("Endpoint (pcsd) status:\n  n1: Not authenticated here "
                       "(vigil host auth NODE)\n")


case("status pcsd", base="none")(_endpoint_unknown)
case("pcsd status", base="none")(_endpoint_unknown)


@case("status xml")
def _status_xml(ctx: Ctx) -> None:
    ctx.ok()
    root = ET.fromstring(ctx.out)
    assert root.tag == "pacemaker-result"
    assert {n.get("name") for n in root.iter("node") if n.get("name")} >= {"node1", "node2"}


# -- config ------------------------------------------------------------------------------------
@case("config show")
def _config_show(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.startswith("Cluster Name: weblab") and "Resource: WebIP" in ctx.out


@case("config backup")
def _config_backup(ctx: Ctx) -> None:
    ctx.ok()
    with tarfile.open(ctx.tmp / "backup.tar.bz2") as tar:
        names = tar.getnames()
        cib = next(n for n in names if n.endswith("cib.xml"))
        got = tar.extractfile(cib)
        assert got is not None and b"WebSite" in got.read()


def _backup_made(ctx: Ctx) -> None:
    """A backup of the example (this machine's cluster files: none), and a machine below a
    temporary root to restore it on."""
    shutil.copy(EXAMPLE, ctx.tmp / "example.xml")
    ctx.run(f"-f {ctx.tmp / 'example.xml'} config backup DIR/backup")
    ctx.monkeypatch.setattr("vigil.commands.localnode.LocalNode",
                            lambda: LocalNode(root=ctx.tmp / "root", euid=0))


@case("config restore", base="none", prepare=_backup_made)
def _config_restore(ctx: Ctx) -> None:
    ctx.ok()
    restored = list((ctx.tmp / "root").rglob("cib.xml"))
    assert restored and b"WebSite" in restored[0].read_bytes()


def _checkpoints(ctx: Ctx) -> None:
    """vigild's store kept two configurations: the example, then with WebSite disabled."""
    from vigil.cib.io import load_cib_file
    from vigil.daemon.store import FileStore
    from vigil.model.version import CibVersion

    store = FileStore(str(ctx.tmp / "state"))
    shutil.copy(EXAMPLE, ctx.tmp / "one.xml")
    first = load_cib_file(ctx.tmp / "one.xml")[0]
    ctx.run(f"-f {ctx.tmp / 'one.xml'} resource disable WebSite")
    second = load_cib_file(ctx.tmp / "one.xml")[0]
    for epoch, version in enumerate((first, second, second), start=10):
        store.save(dataclasses.replace(version, version=CibVersion(0, epoch, 0)))


@case("config checkpoint", base="none", prepare=_checkpoints)
def _checkpoint_list(ctx: Ctx) -> None:
    ctx.ok()
    assert [ln.split(": date ")[0] for ln in ctx.out.splitlines()] == ["checkpoint 1",
                                                                      "checkpoint 2"]


@case("config checkpoint view", base="none", prepare=_checkpoints)
def _checkpoint_view(ctx: Ctx) -> None:
    ctx.ok()
    assert "Resource: WebSite" in ctx.out and "target-role" not in ctx.out


@case("config checkpoint diff", base="none", prepare=_checkpoints)
def _checkpoint_diff(ctx: Ctx) -> None:
    ctx.ok()
    added = [ln for ln in ctx.out.splitlines() if ln.startswith("+") and "target-role" in ln]
    assert ctx.out.startswith("--- checkpoint 1\n+++ checkpoint 2\n") and added


@case("config checkpoint restore", "-f FILE resource delete WebIP", prepare=_checkpoints)
def _checkpoint_restore(ctx: Ctx) -> None:
    ctx.ok()
    ctx.one(PRIMITIVE.format("WebIP"))


# -- host, node, alert, tag --------------------------------------------------------------------
@case("host auth", base="none")
def _host_auth(ctx: Ctx) -> None:
    ctx.refused(1, "n9 (127.0.0.1:1) cannot be reached")
    assert not (ctx.tmp / "known-hosts").exists()


def _known_host(ctx: Ctx) -> None:
    from vigil.commands import remote

    remote.KnownHosts(ctx.tmp / "known-hosts").write(
        {"n1": remote.KnownHost("n1", "127.0.0.1", 1, "AB:CD", "tok"),
         "n2": remote.KnownHost("n2", "127.0.0.1", 1, "EF:01", "tok2")})


@case("host deauth", base="none", prepare=_known_host)
def _host_deauth(ctx: Ctx) -> None:
    from vigil.commands import remote

    ctx.ok()
    assert set(remote.KnownHosts(ctx.tmp / "known-hosts").read()) == {"n2"}
    assert ctx.out.startswith("n1: forgotten")


NODE2 = ".//node[@uname='node2']"


@case("node attribute")
def _node_attribute(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(NODE2, "rack") == "r1"


@case("node maintenance")
def _node_maintenance(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(NODE2, "maintenance") == "on"


@case("node unmaintenance", "-f FILE node maintenance node2")
def _node_unmaintenance(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(NODE2, "maintenance") in (None, "off")


@case("node standby")
def _node_standby(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(NODE2, "standby") == "on"


@case("node unstandby", "-f FILE node standby node2")
def _node_unstandby(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(NODE2, "standby") in (None, "off")


@case("node utilization")
def _node_utilization(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.nvpair(f"{NODE2}/utilization", "cpu") == "8"


ALERT = "-f FILE alert create path=/usr/share/pacemaker/alerts/alert_file.sh.sample id=file"
RECIPIENT = "-f FILE alert recipient add file value=/var/log/alerts.log id=r1"


@case("alert config", ALERT, RECIPIENT)
def _alert_config(ctx: Ctx) -> None:
    ctx.ok()
    assert "Alert: file" in ctx.out and "/var/log/alerts.log" in ctx.out


@case("alert create")
def _alert_create(ctx: Ctx) -> None:
    ctx.ok()
    assert (ctx.one(".//alerts/alert[@id='file']").get("path") or "").endswith(
        "alert_file.sh.sample")


@case("alert update", ALERT)
def _alert_update(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//alert[@id='file']").get("description") == "logfile"


@case("alert delete", ALERT)
def _alert_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//alert")


@case("alert recipient add", ALERT)
def _recipient_add(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//alert[@id='file']/recipient[@id='r1']").get(
        "value") == "/var/log/alerts.log"


@case("alert recipient update", ALERT, RECIPIENT)
def _recipient_update(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.one(".//recipient[@id='r1']").get("value") == "/var/log/other.log"


@case("alert recipient delete", ALERT, RECIPIENT)
def _recipient_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//recipient")
    ctx.one(".//alert[@id='file']")


TAG = "-f FILE tag create web WebIP WebSite"


@case("tag config", TAG)
def _tag_config(ctx: Ctx) -> None:
    ctx.ok()
    assert ctx.out.splitlines() == ["web", "  WebIP", "  WebSite"]


@case("tag create")
def _tag_create(ctx: Ctx) -> None:
    ctx.ok()
    assert [r.get("id") for r in ctx.one(".//tags/tag[@id='web']").findall("obj_ref")] == [
        "WebIP", "WebSite"]


@case("tag delete", TAG)
def _tag_delete(ctx: Ctx) -> None:
    ctx.ok()
    ctx.none(".//tag")


@case("tag update", TAG)
def _tag_update(ctx: Ctx) -> None:
    ctx.ok()
    assert [r.get("id") for r in ctx.one(".//tag[@id='web']").findall("obj_ref")] == ["WebIP"]


# -- the forms issue 14 found wrong, each right now --------------------------------------------
def test_the_six_forms_once_wrong(vigil: Run, tmp_path: Path) -> None:
    cib = tmp_path / "cib.xml"
    shutil.copy(EXAMPLE, cib)
    f = str(cib)
    code, out, _ = vigil("-f", f, "resource", "status", "WebIP")
    assert code == 0 and [ln.split("\t")[0].strip() for ln in out.splitlines()[1:]] == [
        "* WebIP"]
    code, _, err = vigil("-f", f, "constraint", "colocation", "delete", "WebSite", "WebIP")
    assert code == 0 and not ET.parse(cib).getroot().findall(".//rsc_colocation"), err
    code, _, err = vigil("-f", f, "constraint", "order", "delete", "WebIP")
    assert code == 0 and not ET.parse(cib).getroot().findall(".//rsc_order"), err
    code, _, _ = vigil("-f", f, "cluster", "cib", str(tmp_path / "saved"))
    assert code == 0 and ET.parse(tmp_path / "saved").getroot().tag == "cib"
    code, full, _ = vigil("-f", f, "status", "--full")
    assert code == 0 and "Operations:" in full and "* Node: node1:" in full
    code, _, err = vigil("cluster", "setup", "c", "n1", "addr=10.0.0.11", "--out",
                         str(tmp_path / "D"))
    assert code == 0, err
    nodes = json.loads((tmp_path / "D/n1/etc/vigil/cluster.json").read_text())["nodes"]
    assert nodes == [{"name": "n1", "nodeid": 1, "addrs": ["10.0.0.11"]}]
    conf = (tmp_path / "D/n1/etc/corosync/corosync.conf").read_text()
    assert "\t\tname: n1\n\t\tring0_addr: 10.0.0.11\n" in conf


# -- bad input: one line, nothing changed ------------------------------------------------------
@pytest.mark.parametrize("argv, says", [
    (["resource", "op", "defaults", "set", "create", "meta", "timeout=40s", "rule", "op"],
     "expected an operation's name"),
    (["resource", "defaults", "set", "create", "meta", "a=b", "rule", "op", "monitor"],
     "'op' goes in an operation defaults set's rule"),
    (["resource", "defaults", "set", "create", "colour=red"], "'colour' is not an option"),
    (["resource", "defaults", "set", "create", "score=high"], "'high' is not a valid value"),
    (["resource", "defaults", "set", "create", "id=rsc_defaults-meta_attributes"],
     "already used"),
    (["resource", "defaults", "set", "delete", "nope"], "there is no defaults set 'nope'"),
    (["resource", "defaults", "set", "update", "nope", "meta", "a=1"], "no defaults set"),
    (["resource", "defaults", "set", "update", "rsc_defaults-meta_attributes", "meta"],
     "missing NAME=VALUE after meta"),
    (["resource", "defaults", "set", "create", "meta", "resource-stickiness=lots"],
     "'lots' is not a valid value"),
    (["stonith", "level", "delete", "1", "target"], "missing the node after 'target'"),
    (["stonith", "level", "delete", "1", "target", "node1", "fence-lab"], "give stonith DEVICE"),
    (["stonith", "level", "clear", "target", "node1", "stonith", "fence-lab"], "not both"),
    (["stonith", "level", "delete", "2", "target", "node1"], "no fencing level 2 for node1"),
    (["stonith", "op", "add", "ghost", "monitor"], "'ghost' does not exist"),
    (["stonith", "meta", "fence-lab", "priority"], "'priority' is not name=value"),
    (["resource", "cleanup", "WebIP", "node="], "node= needs the node's name"),
    (["resource", "cleanup", "WebIP", "node=node1", "--node", "node2"], "give the node once"),
    (["resource", "refresh", "WebIP", "operation=monitor"], "not one operation's"),
    (["resource", "list", "a", "b"], "unexpected 'b'"),
    (["constraint", "order", "config", "nodes"], "only 'constraint location config'"),
    (["constraint", "location", "config", "people"], "only 'constraint location config'"),
    (["cluster", "edit", "scope=nodes"], "unexpected 'scope=nodes'"),
    (["cluster", "reload"], "cluster reload corosync"),
    (["cluster", "reload", "corosync"], "not on a CIB file"),
    (["cluster", "corosync"], "not a CIB file"),
    (["pcsd", "certkey", "a", "b"], "'pcsd certkey' is not available in vigil"),
    (["pcsd", "bogus"], "unknown pcsd command"),
    (["stonith", "status", "ghost"], "'ghost' does not exist"),
    (["stonith", "config", "WebIP"], "'WebIP' is not a fence device"),
    (["cluster", "status", "junk"], "unexpected 'junk' after cluster status"),
    (["status", "nodes", "corosync"], "unexpected 'corosync' after status nodes"),
    (["resource", "group", "list", "junk"], "unexpected 'junk' after group list"),
    ([], "give a command after the options"),
])
def test_bad_input_is_one_line_and_changes_nothing(ctx: Ctx, argv: list[str], says: str) -> None:
    shutil.copy(EXAMPLE, ctx.file)
    ctx.run("-f FILE stonith level add 1 node1 fence-lab")
    ctx.before = ctx.file.read_bytes()
    ctx.code, ctx.out, ctx.err = ctx.vigil("-f", str(ctx.file), *argv)
    ctx.refused(ctx.code, says)
    assert ctx.code in (1, 2)


def test_cluster_edit_refuses_an_editor_that_fails_or_a_broken_cib(ctx: Ctx) -> None:
    shutil.copy(EXAMPLE, ctx.file)
    ctx.before = ctx.file.read_bytes()
    for editor, says in (("false", "the editor exited with status 1: nothing was pushed"),
                         (f"{sys.executable} -c pass", "the CIB was not changed"),
                         ("", "$EDITOR is not set"),
                         ("/no/such/editor", "cannot run")):
        ctx.monkeypatch.setenv("EDITOR", editor)
        ctx.code, ctx.out, ctx.err = ctx.vigil("-f", str(ctx.file), "cluster", "edit")
        if "not changed" in says:
            assert ctx.code == 0 and says in ctx.err and ctx.unchanged
        else:
            ctx.refused(2, says)
    script = ctx.tmp / "break.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a').write('<oops')\n")
    ctx.monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    ctx.code, ctx.out, ctx.err = ctx.vigil("-f", str(ctx.file), "cluster", "edit")
    ctx.refused(2, "not well-formed")


def test_a_defaults_set_rule_is_pacemakers(ctx: Ctx) -> None:
    """The sets `defaults set create` writes are what Pacemaker reads: crm_verify takes the
    file (its only finding the example's unclean node), and the rule is listed."""
    shutil.copy(EXAMPLE, ctx.file)
    ctx.run(RSC_SET_CREATE)
    ctx.run("-f FILE resource op defaults set create meta timeout=40s rule op monitor "
            "interval=10s or resource ::Dummy")
    code, out, _ = ctx.vigil("-f", str(ctx.file), "resource", "op", "defaults")
    assert code == 0 and out.splitlines() == [
        "Meta Attrs: op-options", "  timeout=40s", "  Rule: boolean-op=or score=0",
        "    Expression: op monitor interval=10s", "    Expression: resource ::Dummy"]
    if shutil.which("crm_verify"):
        import subprocess

        done = subprocess.run(["crm_verify", "-V", "-x", str(ctx.file)], capture_output=True,
                              text=True, check=False)
        assert "rsc_expression" not in done.stderr and "op_expression" not in done.stderr
        assert "schema" not in done.stderr.lower(), done.stderr

