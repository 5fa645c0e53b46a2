"""ACLs in the lab: a real vigild holds a user the ACLs restrict to what its role allows, with the
user told by the kernel (SO_PEERCRED), as Pacemaker's based does.

Three vigil nodes; resources web and db (ocf:pacemaker:Dummy); role webop reads the whole CIB
and writes web only, given to the user `nobody`; ACLs enabled. Then, as uid 65534 (nobody) with
the haclient group (what lets a process on the control socket at all), on n2's socket:
- the CIB is read, and web is disabled: allowed, replicated to every node, web stops;
- db disabled: refused with ACL_DENIED, nothing changed anywhere, db keeps running;
- a cluster property set: refused, nothing changed;
- the ACLs disabled by root again: the same user, with no role binding, may do it (the ACLs
  bind only while enabled).

The restricted requests are made by a child process that connects after dropping to nobody,
through the node's socket reached from the host (its /run is the node's own): the parent keeps
a descriptor of the socket's directory, the child resolves the socket through /proc/self/fd.
Needs root and the lab's tools; skipped with the reason otherwise. The lab is always torn down.
"""

from __future__ import annotations

import grp
import os
import pickle
from collections.abc import Callable, Iterator

import pytest

from vigil.commands import property as prop
from vigil.commands import resource
from vigil.commands.env import LiveEnvironment
from vigil.lab import Lab
from vigil.model.reports import ReportError

from .service_support import placement, requirements, three_vigil_nodes, vigil, wait

REASON = requirements()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

NOBODY = 65534


@pytest.fixture
def lab() -> Iterator[Lab]:
    yield from three_vigil_nodes(f"acl{os.getpid()}")


def as_nobody(lab: Lab, node: str, act: Callable[[LiveEnvironment], object]) -> object:
    """`act` on `node`'s vigild, from a process that is uid nobody and gid haclient; what it
    returned, or the ReportError it raised (as the error's codes)."""
    pid = lab.node_status(node).init_pid  # the node's PID 1, seen from the host
    assert pid is not None
    directory = os.open(f"/proc/{pid}/root/run/vigil", os.O_PATH | os.O_DIRECTORY)
    haclient = grp.getgrnam("haclient").gr_gid
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's result travels through the pipe)
        os.close(reader)
        try:
            os.setgroups([])
            os.setgid(haclient)
            os.setuid(NOBODY)
            env = LiveEnvironment(f"/proc/self/fd/{directory}/vigild.sock", timeout=30)
            try:
                out: object = ("ok", act(env))
            except ReportError as exc:
                out = ("refused", [r.code for r in exc.reports])
        except BaseException as exc:  # noqa: BLE001 (said to the parent, whatever it is)
            out = ("crashed", repr(exc))
        os.write(writer, pickle.dumps(out))
        os._exit(0)
    os.close(writer)
    os.close(directory)
    with os.fdopen(reader, "rb") as f:
        data = f.read()
    os.waitpid(child, 0)
    result = pickle.loads(data)
    assert result[0] != "crashed", result
    return result


def test_a_restricted_user_writes_only_what_its_role_allows(lab: Lab) -> None:
    for rsc in ("web", "db"):
        vigil(lab, "n1", "resource", "create", rsc, "ocf:pacemaker:Dummy", "op", "monitor",
              "interval=5s")
    vigil(lab, "n1", "property", "set", "stonith-enabled=false")
    wait("web and db run", lambda: all(placement(lab, "n1").get(r) for r in ("web", "db")),
         timeout=60)
    vigil(lab, "n1", "acl", "role", "create", "webop", "read", "xpath", "/cib", "write", "id",
          "web")
    vigil(lab, "n1", "acl", "user", "create", "nobody", "webop")
    vigil(lab, "n1", "acl", "enable")

    # reads the CIB; disables web (its role writes web)
    read = as_nobody(lab, "n2", lambda env: env.get_cib().version.dotted())
    assert read[0] == "ok", read  # type: ignore[index]
    done = as_nobody(lab, "n2", lambda env: resource.disable(env, ["web"]).changed)
    assert done == ("ok", True), done
    wait("web stopped everywhere", lambda: all(
        not placement(lab, n).get("web") for n in ("n1", "n2", "n3")), timeout=60)

    # db and a property are not its to write: refused, nothing changed on any node
    before = {n: vigil(lab, n, "cib", "configuration") for n in ("n1", "n2", "n3")}
    refused = as_nobody(lab, "n2", lambda env: resource.disable(env, ["db"]))
    assert refused == ("refused", ["ACL_DENIED"]), refused
    refused = as_nobody(lab, "n2", lambda env: prop.set_properties(
        env, (("cluster-recheck-interval", "2min"),)))
    assert refused[0] == "refused" and "ACL_DENIED" in refused[1], refused  # type: ignore[index]
    assert {n: vigil(lab, n, "cib", "configuration") for n in ("n1", "n2", "n3")} == before
    assert placement(lab, "n3").get("db")

    # the ACLs bind only while enabled
    vigil(lab, "n1", "acl", "disable")
    done = as_nobody(lab, "n2", lambda env: resource.disable(env, ["db"]).changed)
    assert done == ("ok", True), done
    wait("db stopped", lambda: not placement(lab, "n1").get("db"), timeout=60)
