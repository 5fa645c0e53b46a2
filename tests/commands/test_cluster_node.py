"""`cluster setup|start|stop|destroy` on a machine of the test's making: a temporary root
directory, a scripted systemctl, stand-in daemons (processes this test starts, recognised as
corosync and vigild the way the commands recognise them) and a scripted vigild control socket.
Nothing here touches the real /etc, /run or systemd, and no root is needed."""

from __future__ import annotations

import json
import os
import shutil
import socketserver
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cibs import DUMMY, cib_text, codes, running_on_node1

from vigil import clusterconf
from vigil.commands import cluster
from vigil.commands.cluster import NodeSpec
from vigil.commands.localnode import COROSYNC_PIDFILE, VIGILD_PIDFILE, VIGILD_SOCKET, LocalNode
from vigil.daemon import control as c
from vigil.host import jsonlines
from vigil.model.reports import ReportError, Severity

NODES = [NodeSpec("n1", ("10.213.0.11", "10.213.2.11")), NodeSpec("n2", ("10.213.0.12", "10.213.2.12")),
         NodeSpec("n3", ("10.213.0.13", "10.213.2.13"))]
FILES = ("etc/corosync/corosync.conf", "etc/corosync/authkey", "etc/vigil/cluster.json")


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds
        time.sleep(0.005)  # a moment for the real stand-in processes to act on their signals


@dataclass
class Machine(LocalNode):
    """A LocalNode whose systemctl is scripted and whose host name is chosen."""

    host: str = "n1"
    systemctl_calls: list[tuple[str, ...]] = field(default_factory=list)
    active: set[str] = field(default_factory=set)  # units systemctl says are active

    def hostname(self) -> str:
        return self.host

    def systemctl(self, *args: str) -> tuple[int, str]:
        self.systemctl_calls.append(args)
        if args[:2] == ("is-active", "--quiet"):
            return (0 if args[2] in self.active else 3), ""
        if args[0] == "start":
            self.active.add(args[1])
        if args[0] == "stop":
            self.active.discard(args[1])
        return 0, ""


def machine(tmp_path: Path, *, euid: int = 0, systemd: bool = False, host: str = "n1") -> Machine:
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    if systemd:
        (root / "run/systemd/system").mkdir(parents=True)
    clock = FakeClock()
    return Machine(root=root, euid=euid, clock=clock.now, sleep=clock.sleep, host=host)


def raised(action: Callable[[], object]) -> list[str]:
    with pytest.raises(ReportError) as exc:
        action()
    return codes(exc.value.reports)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# -- setup -------------------------------------------------------------------------------------
def test_setup_writes_the_three_files_here(tmp_path: Path) -> None:
    host = machine(tmp_path)
    result = cluster.setup(host, "web", NODES, totem=cluster.Totem(token_ms=1000), now=1_764_000_000)
    root = host.root
    assert sorted(tree(root)) == sorted(FILES)
    modes = {f: stat.S_IMODE((root / f).stat().st_mode) for f in FILES}
    assert modes == {FILES[0]: 0o644, FILES[1]: 0o400, FILES[2]: 0o644}
    conf = (root / FILES[0]).read_text()
    for line in ("cluster_name: web", "transport: knet", "crypto_cipher: aes256",
                 "crypto_hash: sha256", "token: 1000", "ring1_addr: 10.213.2.13",
                 "provider: corosync_votequorum"):
        assert f"\t{line}\n" in conf
    assert "two_node" not in conf
    assert len((root / FILES[1]).read_bytes()) == clusterconf.AUTHKEY_BYTES
    described = json.loads((root / FILES[2]).read_text())
    assert described["cluster_name"] == "web" and described["created"] == "2025-11-24T16:00:00Z"
    assert [(n["name"], n["nodeid"], n["addrs"]) for n in described["nodes"]] == [
        ("n1", 1, ["10.213.0.11", "10.213.2.11"]), ("n2", 2, ["10.213.0.12", "10.213.2.12"]),
        ("n3", 3, ["10.213.0.13", "10.213.2.13"])]
    assert result.this_node == "n1" and result.copy_to == ("n2", "n3")
    assert result.needed == ("/etc/corosync/corosync.conf", "/etc/corosync/authkey",
                             "/etc/vigil/cluster.json")
    assert result.unit is None and host.systemctl_calls == []  # no systemd here
    assert result.reports == ()


def test_two_nodes_get_two_node_and_names_are_addresses(tmp_path: Path) -> None:
    host = machine(tmp_path, host="elsewhere")
    result = cluster.setup(host, "pair", [NodeSpec("alpha"), NodeSpec("beta")])
    conf = (host.root / FILES[0]).read_text()
    assert "\ttwo_node: 1\n" in conf and "ring0_addr: alpha" in conf and "token:" not in conf
    # this machine is not a node: every node needs the files, and the operator is told
    assert result.this_node is None and result.copy_to == ("alpha", "beta")
    assert codes(result.reports) == ["CLUSTER_SETUP_HOST_NOT_A_NODE"]


def test_setup_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    host = machine(tmp_path)
    cluster.setup(host, "web", NODES)
    before = tree(host.root)
    assert raised(lambda: cluster.setup(host, "other", NODES[:2])) == ["CLUSTER_FILE_EXISTS"]
    assert tree(host.root) == before
    cluster.setup(host, "other", NODES[:2], force=True)
    after = tree(host.root)
    assert "cluster_name: other" in after[FILES[0]].decode()
    assert after[FILES[1]] != before[FILES[1]]  # a new authkey


@pytest.mark.parametrize(("name", "nodes", "token", "code"), [
    ("bad name", NODES, None, "COROSYNC_CLUSTER_NAME_INVALID"),
    ("web", [NodeSpec("n1"), NodeSpec("n1")], None, "COROSYNC_NODE_NAME_DUPLICATE"),
    ("web", [NodeSpec("-n1")], None, "COROSYNC_NODE_NAME_INVALID"),
    ("web", [NodeSpec("n1", ("10.0.0.300",))], None, "COROSYNC_ADDRESS_INVALID"),
    ("web", [NodeSpec("n1", ("10.0.0.1",)), NodeSpec("n2", ("10.0.0.1",))], None,
     "COROSYNC_ADDRESS_DUPLICATE"),
    ("web", [NodeSpec("n1", ("10.0.0.1", "10.0.1.1", "10.0.2.1"))], None,
     "COROSYNC_LINK_COUNT_INVALID"),
    ("web", [NodeSpec("n1", ("10.0.0.1", "10.0.1.1")), NodeSpec("n2", ("10.0.0.2",))], None,
     "COROSYNC_LINK_COUNT_MISMATCH"),
    ("web", NODES, 5, "COROSYNC_TOKEN_INVALID"),
    ("web", [], None, "COROSYNC_NO_NODES"),
])
def test_bad_setup_input_writes_nothing(tmp_path: Path, name: str, nodes: list[NodeSpec],
                                        token: int | None, code: str) -> None:
    host = machine(tmp_path)
    assert code in raised(lambda: cluster.setup(host, name, nodes, totem=cluster.Totem(token_ms=token)))
    assert code in raised(lambda: cluster.setup(host, name, nodes, totem=cluster.Totem(token_ms=token),
                                                out=tmp_path / "bundle"))
    assert tree(host.root) == {} and not (tmp_path / "bundle").exists()


def test_out_writes_a_bundle_per_node_without_root(tmp_path: Path) -> None:
    host = machine(tmp_path, euid=1000)
    out = tmp_path / "bundle"
    result = cluster.setup(host, "web", NODES, out=out)
    written = tree(out)
    assert sorted(written) == sorted([f"{n.name}/{f}" for n in NODES for f in FILES]
                                     + ["README.txt"])
    keys = {written[f"{n.name}/{FILES[1]}"] for n in NODES}
    assert len(keys) == 1  # one authkey for the cluster
    assert all(stat.S_IMODE((out / n.name / FILES[1]).stat().st_mode) == 0o400 for n in NODES)
    assert written["n1/" + FILES[0]] == written["n3/" + FILES[0]]
    readme = written["README.txt"].decode()
    assert "vigil host auth" in readme and "vigil cluster start" in readme
    assert result.copy_to == ("n1", "n2", "n3") and result.out == str(out)
    assert tree(host.root) == {}  # nothing on this machine
    assert raised(lambda: cluster.setup(host, "web", NODES, out=out)) == ["CLUSTER_FILE_EXISTS"] * 3
    assert tree(out) == written


def test_setup_here_needs_root(tmp_path: Path) -> None:
    host = machine(tmp_path, euid=1000)
    assert raised(lambda: cluster.setup(host, "web", NODES)) == ["CLUSTER_NEEDS_ROOT"]
    assert tree(host.root) == {}


def test_setup_installs_the_unit_when_systemd_runs(tmp_path: Path) -> None:
    host = machine(tmp_path, systemd=True)
    result = cluster.setup(host, "web", NODES)
    unit = host.root / "etc/systemd/system/vigild.service"
    assert result.unit == "/etc/systemd/system/vigild.service"
    text = unit.read_text()
    assert f"ExecStart={sys.executable} -m vigil.daemon\n" in text
    assert "Restart=on-failure" in text and "Requires=corosync.service" in text
    assert host.systemctl_calls == [("daemon-reload",)]


# -- start -------------------------------------------------------------------------------------
def test_start_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    assert raised(lambda: cluster.start(machine(tmp_path, euid=1000))) == ["CLUSTER_NEEDS_ROOT"]
    host = machine(tmp_path)
    assert raised(lambda: cluster.start(host)) == ["CLUSTER_NOT_SET_UP"]
    assert raised(lambda: cluster.stop(machine(tmp_path, euid=1000))) == ["CLUSTER_NEEDS_ROOT"]
    assert raised(lambda: cluster.destroy(machine(tmp_path, euid=1000))) == ["CLUSTER_NEEDS_ROOT"]
    assert tree(host.root) == {}


def test_start_with_systemd_starts_the_units(tmp_path: Path) -> None:
    host = machine(tmp_path, systemd=True)
    cluster.setup(host, "web", NODES)
    (host.root / "etc/systemd/system/vigild.service").unlink()  # a node that got only the files
    host.systemctl_calls.clear()
    result = cluster.start(host)
    assert result.started == ("corosync", "vigild") and result.systemd
    assert host.systemctl_calls == [
        ("daemon-reload",), ("is-active", "--quiet", "corosync.service"),
        ("start", "corosync.service"), ("is-active", "--quiet", "vigild.service"),
        ("start", "vigild.service")]
    assert cluster.start(host).running == ("corosync", "vigild")


# -- stand-in daemons --------------------------------------------------------------------------
@pytest.fixture
def stand_ins(tmp_path: Path) -> Iterator[Callable[[str, Machine], int]]:
    """Start a process recognised as corosync (its comm) or vigild (vigil.daemon in its
    argv), its PID recorded where the real one's is; every one is killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(kind: str, host: Machine) -> int:
        if kind == "corosync":
            exe = tmp_path / "corosync"
            shutil.copy(shutil.which("sleep") or "/bin/sleep", exe)
            argv = [str(exe), "600"]
            pidfile = COROSYNC_PIDFILE
        else:
            argv = [sys.executable, "-c", "import time; time.sleep(600)", "-m", "vigil.daemon"]
            pidfile = VIGILD_PIDFILE
        proc = subprocess.Popen(argv)
        started.append(proc)
        host.write_pid(pidfile, proc.pid)
        return proc.pid

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_stop_with_nothing_running(tmp_path: Path) -> None:
    host = machine(tmp_path)
    host.write_pid(VIGILD_PIDFILE, os.getpid())  # a recycled PID: this test, not vigild
    result = cluster.stop(host)
    assert codes(result.reports) == ["CLUSTER_NOT_RUNNING"] and result.stopped == ()
    assert alive(os.getpid())


def test_stop_without_an_answering_vigild_needs_force(
        tmp_path: Path, stand_ins: Callable[[str, Machine], int]) -> None:
    host = machine(tmp_path)
    vigild, corosync = stand_ins("vigild", host), stand_ins("corosync", host)
    assert raised(lambda: cluster.stop(host)) == ["VIGILD_NOT_ANSWERING"]
    assert alive(vigild) and alive(corosync)
    result = cluster.stop(host, force=True)
    assert result.stopped == ("vigild", "corosync") and result.killed == ()
    assert codes(result.reports) == ["VIGILD_NOT_ANSWERING"]
    assert result.reports[0].severity is Severity.WARNING
    assert not alive(vigild) and not alive(corosync)
    assert not (host.root / VIGILD_PIDFILE.lstrip("/")).exists()


def test_destroy(tmp_path: Path, stand_ins: Callable[[str, Machine], int]) -> None:
    host = machine(tmp_path)
    cluster.setup(host, "web", NODES)
    cib = host.root / "var/lib/vigil/cib.xml"
    cib.parent.mkdir(parents=True)
    cib.write_text("<cib/>")
    pid = stand_ins("corosync", host)
    before = tree(host.root)
    assert raised(lambda: cluster.destroy(host)) == ["CLUSTER_IS_RUNNING"]
    assert tree(host.root) == before and alive(pid)
    host.path(COROSYNC_PIDFILE).unlink()  # as if it had stopped
    result = cluster.destroy(host)
    assert result.removed == tuple("/" + f for f in FILES) and result.kept == ("/var/lib/vigil/cib.xml",)
    assert cib.exists()
    assert cluster.destroy(host, force=True).removed == ("/var/lib/vigil/cib.xml",)
    assert tree(host.root) == {}


def test_destroy_force_stops_a_running_cluster(tmp_path: Path,
                                               stand_ins: Callable[[str, Machine], int]) -> None:
    host = machine(tmp_path)
    cluster.setup(host, "web", NODES)
    pid = stand_ins("corosync", host)
    result = cluster.destroy(host, force=True)
    assert result.stopped is not None and result.stopped.stopped == ("corosync",)
    assert not alive(pid) and tree(host.root) == {}


# -- a scripted vigild -------------------------------------------------------------------------
@dataclass
class ScriptedVigild:
    """Answers the control socket like vigild: `status`, `cib` (resource A running on node1
    until the shutdown request arrives, unless `stuck`) and `attribute` (recorded)."""

    stuck: bool = False
    unmanaged: bool = False  # A is is-managed=false (it stays where it runs)
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    votes: int = 3
    quorate: bool = True
    members: tuple[str, ...] = ("node1", "node2")
    corosync_members: int | None = None  # None: as many as `members`
    unsynced_answers: int = 0  # the first status answers say "not in step yet" (joining)
    status_calls: int = 0
    refuse_attributes: int = 0  # the first attribute requests refused: not in step (a
    #   membership change being synchronised, another node stopping at the same moment)
    # joining (CTS's PartialStart): nothing runs here before the shutdown request; the DC, that
    # placed A here as the node joined, runs its start (`starting` status looks) and stops it
    # again (`late` CIB looks after the request)
    late: int = 0
    starting: int = 0

    def reply(self, request: c.Request) -> c.Reply:
        match request:
            case c.GetStatus():
                self.status_calls += 1
                synced = self.status_calls > self.unsynced_answers
                operations = 0
                if self.attributes and self.starting > 0:
                    self.starting -= 1
                    operations = 1
                return c.Answer(c.DaemonStatus(
                    node="node1", node_id=1, synced=synced, dc="node1", members=self.members,
                    quorate=self.quorate, votes=self.votes, expected_votes=3, xml="",
                    corosync_members=len(self.members) if self.corosync_members is None
                    else self.corosync_members, operations=operations))
            case c.SetAttribute():
                if self.status_calls <= self.unsynced_answers:  # as vigild while joining
                    return c.refused(c.CIB_NOT_READY)
                if self.refuse_attributes > 0:
                    self.refuse_attributes -= 1
                    return c.refused(c.CIB_NOT_READY)
                self.attributes.append((request.name, request.value))
                return c.Answer(c.Done())
            case c.GetCib():
                leaving = (bool(self.attributes and self.attributes[-1][1]) and not self.stuck
                           and not self.unmanaged)
                status = "" if leaving else running_on_node1("A")
                if self.late or self.starting:
                    status = ""
                    if self.attributes and not self.starting and self.late > 0:
                        self.late -= 1
                        status = running_on_node1("A")
                primitive = DUMMY.format(id="A")
                if self.unmanaged:
                    primitive = primitive.replace(
                        "<operations>", '<meta_attributes id="A-meta"><nvpair id="A-meta-m" '
                        'name="is-managed" value="false"/></meta_attributes><operations>')
                return c.Answer(c.CibXml(cib_text(primitive, status1=status)))
        return c.refused(c.IPC_UNKNOWN_OP, op=request.OP)


@pytest.fixture
def scripted_vigild(tmp_path: Path) -> Iterator[tuple[Machine, ScriptedVigild]]:
    host = machine(tmp_path)
    daemon = ScriptedVigild()
    path = host.path(VIGILD_SOCKET)
    path.parent.mkdir(parents=True)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for line in self.rfile:
                request = c.decode_request(jsonlines.decode(line))
                self.wfile.write(jsonlines.encode(c.encode_reply(daemon.reply(request))))

    server = socketserver.ThreadingUnixStreamServer(str(path), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host, daemon
    finally:
        server.shutdown()
        server.server_close()


def test_stop_moves_the_resources_off_first(
        scripted_vigild: tuple[Machine, ScriptedVigild],
        stand_ins: Callable[[str, Machine], int]) -> None:
    host, daemon = scripted_vigild
    vigild = stand_ins("vigild", host)
    result = cluster.stop(host)
    assert result.node == "node1" and result.moved == ("A",)
    assert [name for name, _ in daemon.attributes] == ["shutdown"]
    assert daemon.attributes[0][1] is not None and daemon.attributes[0][1].isdigit()
    assert result.stopped == ("vigild",) and not alive(vigild)


def test_stop_gives_up_when_the_resources_stay(
        scripted_vigild: tuple[Machine, ScriptedVigild],
        stand_ins: Callable[[str, Machine], int]) -> None:
    host, daemon = scripted_vigild
    daemon.stuck = True
    vigild = stand_ins("vigild", host)
    assert raised(lambda: cluster.stop(host, timeout=5)) == ["CLUSTER_DRAIN_TIMEOUT"]
    # the request is withdrawn: the node stays up and takes resources again
    assert [value is None for _, value in daemon.attributes] == [False, True]
    assert alive(vigild)
    result = cluster.stop(host, timeout=5, force=True)
    assert codes(result.reports) == ["CLUSTER_DRAIN_TIMEOUT"] and not alive(vigild)


def test_stop_leaves_an_unmanaged_resource_running_without_waiting(
        scripted_vigild: tuple[Machine, ScriptedVigild],
        stand_ins: Callable[[str, Machine], int]) -> None:
    host, daemon = scripted_vigild
    daemon.unmanaged = True
    vigild = stand_ins("vigild", host)
    result = cluster.stop(host, timeout=5)
    assert result.moved == () and codes(result.reports) == []
    assert result.stopped == ("vigild",) and not alive(vigild)


def test_start_wait_takes_a_lone_node_without_quorum_once_its_view_holds(
        scripted_vigild: tuple[Machine, ScriptedVigild]) -> None:
    # the first node of several started one by one: alone, no quorum, online all the same
    host, daemon = scripted_vigild
    daemon.quorate, daemon.members, daemon.votes = False, ("node1",), 1
    start = host.clock()
    assert cluster._wait_online(host, 60) == ("node1", ["node1"], False)
    assert host.clock() - start >= cluster.ALONE_STABLE_S
    # a quorate view is taken at once
    daemon.quorate, daemon.members, daemon.votes = True, ("node1", "node2"), 2
    start = host.clock()
    assert cluster._wait_online(host, 60) == ("node1", ["node1", "node2"], True)
    assert host.clock() - start < cluster.ALONE_STABLE_S


def test_start_wait_counts_nodes_not_votes(
        scripted_vigild: tuple[Machine, ScriptedVigild]) -> None:
    # two nodes and a quorum device: three votes, two members: online at once
    host, daemon = scripted_vigild
    daemon.quorate, daemon.members, daemon.votes = True, ("node1", "node2"), 3
    start = host.clock()
    assert cluster._wait_online(host, 60) == ("node1", ["node1", "node2"], True)
    assert host.clock() - start < 1
    # vigild's view lacks a node Corosync has as a member: not in step with it yet
    daemon.members, daemon.corosync_members = ("node1",), 2
    with pytest.raises(ReportError) as exc:
        cluster._wait_online(host, 5)
    assert [r.code for r in exc.value.reports] == ["CLUSTER_START_TIMEOUT"]


def test_stop_of_a_node_still_joining_waits_until_it_is_in_step(
        scripted_vigild: tuple[Machine, ScriptedVigild],
        stand_ins: Callable[[str, Machine], int]) -> None:
    host, daemon = scripted_vigild
    daemon.unsynced_answers = 3
    vigild = stand_ins("vigild", host)
    result = cluster.stop(host, timeout=30)
    assert result.moved == ("A",) and [n for n, _ in daemon.attributes] == ["shutdown"]
    assert result.stopped == ("vigild",) and not alive(vigild)


def test_stop_of_a_node_that_takes_resources_as_it_joins_waits_for_them_to_leave(
        scripted_vigild: tuple[Machine, ScriptedVigild],
        stand_ins: Callable[[str, Machine], int]) -> None:
    # nothing ran here at the first look; the DC placed A here before it saw the request: the
    # stop waits for A's start to end and for A to be stopped again, then stops vigild
    host, daemon = scripted_vigild
    daemon.starting, daemon.late = 2, 3
    vigild = stand_ins("vigild", host)
    result = cluster.stop(host, timeout=30)
    assert result.moved == ("A",) and daemon.starting == 0 and daemon.late == 0
    assert result.stopped == ("vigild",) and not alive(vigild)


def test_stop_asks_again_while_a_membership_change_is_synchronised(
        scripted_vigild: tuple[Machine, ScriptedVigild],
        stand_ins: Callable[[str, Machine], int]) -> None:
    host, daemon = scripted_vigild
    daemon.refuse_attributes = 2
    vigild = stand_ins("vigild", host)
    result = cluster.stop(host, timeout=30)
    assert result.moved == ("A",) and [n for n, _ in daemon.attributes] == ["shutdown"]
    assert not alive(vigild)


def test_stop_that_would_lose_quorum_needs_force(
        scripted_vigild: tuple[Machine, ScriptedVigild],
        stand_ins: Callable[[str, Machine], int]) -> None:
    host, daemon = scripted_vigild
    daemon.votes = 2  # of 3: stopping one more leaves 1, quorum needs 2
    vigild = stand_ins("vigild", host)
    assert raised(lambda: cluster.stop(host)) == ["CLUSTER_STOP_LOSES_QUORUM"]
    assert daemon.attributes == [] and alive(vigild)


def test_a_vigild_started_by_someone_else_is_left_alone(
        scripted_vigild: tuple[Machine, ScriptedVigild]) -> None:
    host, daemon = scripted_vigild
    assert raised(lambda: cluster.stop(host)) == ["VIGILD_NOT_STARTED_BY_VIGIL"]
    assert daemon.attributes == []


def test_local_node_recognises_processes_by_recorded_pid(tmp_path: Path) -> None:
    host = machine(tmp_path)
    assert host.running(cluster.VIGILD) is None  # no pid file
    host.write_pid(VIGILD_PIDFILE, os.getpid())
    assert host.running(cluster.VIGILD) is None  # alive, but not vigild
    host.path(VIGILD_PIDFILE).write_text("garbage\n")
    assert host.running(cluster.VIGILD) is None


def test_the_units_run_this_python(tmp_path: Path) -> None:
    """The package's units, as setup (vigild) and the install script (vigil-remote,
    vigil-remoted) write them: each runs its module with the Python given, and systemd's own
    checker accepts them."""
    for unit, module in (("vigild.service", "vigil.daemon"), ("vigil-remote.service", "vigil.api"),
                         ("vigil-remoted.service", "vigil.daemon.remoted")):
        text = cluster.unit_text(sys.executable, unit)
        assert f"ExecStart={sys.executable} -m {module}\n" in text and "@PYTHON@" not in text
        path = tmp_path / unit
        path.write_text(text)
        checker = shutil.which("systemd-analyze")
        if checker is not None:  # Debian's systemd package has it
            done = subprocess.run([checker, "verify", str(path)], capture_output=True, text=True,
                                  timeout=60, check=False)
            assert done.returncode == 0, done.stderr


def test_a_second_vigild_on_a_node_exits_and_start_names_the_first(tmp_path: Path) -> None:
    """A supervisor and `vigil cluster start` starting vigild at the same moment (the endurance
    run saw two on one node, each replacing the other's cib.xml): the state directory's lock
    lets one run; the other exits EXIT_ALREADY_RUNNING, and the start says vigild runs, its pid
    file naming the one that holds the lock."""
    import time

    from vigil.daemon.__main__ import hold_state_dir, main

    root = tmp_path / "root"
    root.mkdir()
    host = Machine(root=root, clock=time.monotonic, sleep=time.sleep)
    held = hold_state_dir(str(root / "var/lib/vigil"))
    assert held is not None
    try:
        assert hold_state_dir(str(root / "var/lib/vigil")) is None
        assert main(["--state-dir", str(root / "var/lib/vigil")]) == c.EXIT_ALREADY_RUNNING
        assert cluster._start_vigild(host) is False
        assert host.read_pid(VIGILD_PIDFILE) == os.getpid()  # the holder's
    finally:
        os.close(held)
    assert hold_state_dir(str(root / "var/lib/vigil")) is not None  # free again
