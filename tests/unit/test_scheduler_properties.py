"""Properties of the scheduler on random small clusters (hypothesis).

Whatever the configuration and history: the decision is deterministic, nothing is placed on a
node that cannot run it (offline, unclean, standby) or that scores -INFINITY for it, a
primitive is never planned on two nodes, a mandatory colocation is honoured, and a cluster
without quorum (policy stop) starts nothing.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.model.cib import Cib, Configuration, NodeConfig
from vigil.model.constraints import Colocation, Location
from vigil.model.nvset import NvPair, NvSet
from vigil.model.resources import Primitive
from vigil.model.score import INFINITY
from vigil.model.status import NodeState, OperationRecord, ResourceHistory
from vigil.model.version import CibVersion
from vigil.scheduler.engine import schedule

DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"  # no parameters
SCORES = [-INFINITY, -100, 0, 50, 100, INFINITY]


@st.composite
def clusters(draw: st.DrawFn) -> Cib:
    n_nodes = draw(st.integers(1, 4))
    n_rscs = draw(st.integers(1, 5))
    nodes = [f"n{i}" for i in range(1, n_nodes + 1)]
    rscs = [f"r{i}" for i in range(1, n_rscs + 1)]
    node_kind = {n: draw(st.sampled_from(["online", "online", "offline", "standby"]))
                 for n in nodes}
    configs = []
    for i, n in enumerate(nodes, 1):
        attrs: tuple[NvSet, ...] = ()
        if node_kind[n] == "standby":
            attrs = (NvSet(f"na-{n}", (NvPair(f"na-{n}-s", "standby", "on"),)),)
        configs.append(NodeConfig(id=str(i), uname=n, instance_attributes=attrs))
    resources = tuple(Primitive(id=r, standard="ocf", provider="pacemaker", agent_type="Dummy")
                      for r in rscs)
    constraints: list[Location | Colocation] = []
    for r in rscs:
        for n in nodes:
            if draw(st.booleans()) and draw(st.booleans()):
                constraints.append(Location(id=f"l-{r}-{n}", rsc=r, node=n,
                                            score=draw(st.sampled_from(SCORES))))
    for i in range(1, len(rscs)):
        if draw(st.booleans()):
            constraints.append(Colocation(id=f"c-{i}", rsc=rscs[i], with_rsc=rscs[i - 1],
                                          score=draw(st.sampled_from(SCORES))))
    stickiness = draw(st.sampled_from(["0", "100", "INFINITY"]))
    props = (NvSet("cib-bootstrap-options", (
        NvPair("o1", "stonith-enabled", "false"),
        NvPair("o2", "no-quorum-policy", draw(st.sampled_from(["stop", "ignore", "freeze"]))),
        NvPair("o3", "symmetric-cluster", draw(st.sampled_from(["true", "false"]))),
    )),)
    states = []
    call = 1
    for i, n in enumerate(nodes, 1):
        up = node_kind[n] != "offline"
        history = []
        if up:
            for r in rscs:
                if draw(st.integers(0, 3)) == 0:
                    rc = draw(st.sampled_from([0, 0, 0, 1]))  # running, or a failed start
                    op = OperationRecord(id=f"{r}_last_0", operation="start", call_id=call,
                                         rc_code=rc, op_status=0, interval_ms=0,
                                         transition_key=f"{call}:1:0:test", op_digest=DIGEST)
                    call += 1
                    history.append(ResourceHistory(id=r, standard="ocf", provider="pacemaker",
                                                   agent_type="Dummy", operations=(op,)))
        states.append(NodeState(id=str(i), uname=n, in_ccm="true" if up else "false",
                                crmd="online" if up else "offline",
                                join="member" if up else "down",
                                expected="member" if up else "down",
                                history=tuple(history), has_lrm=True))
    return Cib(
        version=CibVersion(0, 1, 0),
        configuration=Configuration(
            properties=props, nodes=tuple(configs), resources=resources,
            constraints=tuple(constraints),
            rsc_defaults=(NvSet("rd", (NvPair("rd-s", "resource-stickiness", stickiness),)),)),
        status=tuple(states),
        have_quorum=draw(st.booleans()),
        crm_feature_set="3.16.1")


@settings(max_examples=150, deadline=None)
@given(clusters())
def test_decisions_are_safe_and_deterministic(cib: Cib) -> None:
    t = schedule(cib, 1_700_000_000)
    assert schedule(cib, 1_700_000_000) == t  # same input, same output
    nodes = {n.name: n for n in t.nodes}
    usable = {n for n, s in nodes.items() if s.online and not s.unclean and not s.standby}
    by_id = {a.resource: a for a in t.allocations}
    for a in t.allocations:
        if a.kind != "primitive" or a.next_node is None or not a.managed:
            continue
        assert a.next_node in usable, f"{a.resource} placed on unusable {a.next_node}"
        score = next((s.score for s in a.scores if s.node == a.next_node), None)
        assert score is not None and score > -INFINITY
    # a primitive is started on at most one node
    starts: dict[str, set[str | None]] = {}
    for act in t.actions:
        if act.task == "start" and not act.optional and act.runnable and act.resource:
            starts.setdefault(act.resource, set()).add(act.node)
    assert all(len(v) <= 1 for v in starts.values()), starts
    # mandatory colocations hold wherever both are placed
    for c in cib.configuration.constraints:
        if isinstance(c, Colocation) and c.score >= INFINITY:
            dep, pri = by_id[c.rsc or ""], by_id[c.with_rsc or ""]
            if dep.next_node is not None and dep.managed:
                assert pri.next_node == dep.next_node
    # without quorum and with policy stop, nothing new is started
    policy = next(p.value for p in cib.configuration.properties[0].pairs
                  if p.name == "no-quorum-policy")
    if not cib.have_quorum and policy == "stop":
        assert not [a for a in t.actions if a.task == "start" and not a.optional
                    and a.runnable and not a.pseudo]


@settings(max_examples=60, deadline=None)
@given(clusters())
def test_something_is_decided_somewhere(cib: Cib) -> None:
    """Guard against a vacuous property: with quorum, an online node and a resource allowed
    everywhere at score 0, the scheduler does place it."""
    online = [s for s in cib.status if s.crmd == "online"]
    free = [r for r in cib.configuration.resources
            if not any(isinstance(c, (Location, Colocation)) and (c.rsc == r.id)
                       for c in cib.configuration.constraints)]
    props = {p.name: p.value for p in cib.configuration.properties[0].pairs}
    standby = {n.uname for n in cib.configuration.nodes if n.instance_attributes}
    usable = [s for s in online if s.uname not in standby]
    t = schedule(cib, 1_700_000_000)
    if usable and free and cib.have_quorum and props["symmetric-cluster"] == "true":
        placed = {a.resource: a.next_node for a in t.allocations}
        assert placed[free[0].id] is not None
