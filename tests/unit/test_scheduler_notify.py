"""Notifications of notify=true clones: who is told, when, and with which notify data.

Small CIBs built here; the rules are Pacemaker 2.1.5's as crm_simulate's transition graphs show
them (tests/conformance/test_notify.py compares the corpus)."""

from __future__ import annotations

from vigil.cib.read import parse_cib
from vigil.model.cib import Cib
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import PlannedAction, Task

NOW = 1_700_000_000


def _op(rsc: str, op: str, rc: int = 0, call: int = 1, interval: int = 0) -> str:
    key = f"{rsc}_{op}_{interval}"
    return (f'<lrm_rsc_op id="{rsc}_last_{call}" operation_key="{key}" operation="{op}" '
            f'transition-key="{call}:1:0:00000000-0000-0000-0000-000000000000" '
            f'transition-magic="0:{rc};{call}:1:0:00000000-0000-0000-0000-000000000000" '
            f'call-id="{call}" rc-code="{rc}" op-status="0" interval="{interval}" '
            f'last-rc-change="{NOW - 100}" exec-time="1" queue-time="0" '
            f'crm-feature-set="3.16.2" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def _history(rsc: str, agent: str, ops: str) -> str:
    return (f'<lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="{agent}">'
            f'{ops}</lrm_resource>')


def _cib(resources: str, *, nodes: int = 2, offline: tuple[int, ...] = (),
         unclean: tuple[int, ...] = (),
         histories: dict[int, str] | None = None, node_attrs: dict[int, str] | None = None,
         constraints: str = "", props: str = "", stonith: str = "false",
         quorum: int = 1) -> Cib:
    histories = histories or {}
    node_attrs = node_attrs or {}
    node_xml = "".join(f'<node id="{i}" uname="node{i}">{node_attrs.get(i, "")}</node>'
                       for i in range(1, nodes + 1))
    # an unclean node: expected up, but gone from the membership
    states = "".join(
        f'<node_state id="{i}" uname="node{i}" '
        + ('in_ccm="false" crmd="online" join="down" ' if i in unclean else
           'in_ccm="true" crmd="online" join="member" ')
        + f'expected="member"><lrm id="{i}"><lrm_resources>{histories.get(i, "")}'
        f'</lrm_resources></lrm></node_state>'
        for i in range(1, nodes + 1) if i not in offline)
    head = ('<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0" '
            f'have-quorum="{quorum}">')
    text = f"""{head}
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="{stonith}"/>{props}
    </cluster_property_set></crm_config>
    <nodes>{node_xml}</nodes>
    <resources>{resources}</resources>
    <constraints>{constraints}</constraints>
  </configuration>
  <status>{states}</status>
</cib>"""
    cib, _ = parse_cib(text)
    return cib


def _clone(child: str, *, promotable: bool = False) -> str:
    extra = '<nvpair id="c-m-p" name="promotable" value="true"/>' if promotable else ""
    return (f'<clone id="c"><meta_attributes id="c-m">'
            f'<nvpair id="c-m-n" name="notify" value="true"/>{extra}'
            f'</meta_attributes>{child}</clone>')


def _prim(rid: str, agent: str = "Dummy") -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="{agent}"/>'


def _notifies(cib: Cib) -> dict[tuple[str, str, str, str], dict[str, str]]:
    """(instance, node, notify_type, notify_operation) -> the notify meta of each notify action
    that can run (as the transition graph holds them)."""
    out: dict[tuple[str, str, str, str], dict[str, str]] = {}
    for a in schedule(cib, NOW).actions:
        if a.task != Task.NOTIFY or a.pseudo or a.operation is None or not a.runnable:
            continue
        meta = dict(a.operation.meta)
        out[(a.resource or "", a.node or "", meta["notify_type"],
             meta["notify_operation"])] = meta
    return out


def _actions(cib: Cib, task: Task) -> list[PlannedAction]:
    return [a for a in schedule(cib, NOW).actions
            if a.task == task and not a.pseudo and not a.optional]


def test_available_nodes_include_offline_nodes() -> None:
    """notify_available_uname lists the clone's nodes, an offline one too [case: bug-n-387749]."""
    cib = _cib(_clone(_prim("d")), nodes=3, offline=(3,))
    notes = _notifies(cib)
    assert notes, "the starts are notified"
    for meta in notes.values():
        assert set(meta["notify_available_uname"].split()) == {"node1", "node2", "node3"}
        assert set(meta["notify_all_uname"].split()) == {"node1", "node2", "node3"}


def test_available_nodes_leave_out_nodes_the_clone_cannot_know() -> None:
    """On an opt-in cluster the clone knows only the nodes its locations name."""
    cib = _cib(_clone(_prim("d")), nodes=3,
               constraints='<rsc_location id="l1" rsc="c" node="node1" score="10"/>',
               props='<nvpair id="o2" name="symmetric-cluster" value="false"/>')
    notes = _notifies(cib)
    assert notes
    for meta in notes.values():
        assert meta["notify_available_uname"].split() == ["node1"]


def test_post_demote_reaches_an_instance_that_stops_afterwards() -> None:
    """The demote comes before the stops: an instance that demotes and then stops hears after
    the demote on its node, but not after the stops [case: bug-1572-1]."""
    hist = {1: _history("s", "Stateful", _op("s", "promote", call=2)),
            2: _history("s", "Stateful", _op("s", "start", call=2))}
    attrs = {1: '<instance_attributes id="n1-a"><nvpair id="n1-a-s" name="standby" '
                'value="on"/></instance_attributes>'}
    cib = _cib(_clone(_prim("s", "Stateful"), promotable=True), histories=hist,
               node_attrs=attrs, constraints='<rsc_location id="p" rsc="c" role="Promoted" '
                                             'node="node2" score="100"/>')
    notes = _notifies(cib)
    stopping = next(k[0] for k in notes if k[1] == "node1")
    staying = next(k[0] for k in notes if k[1] == "node2")
    assert (stopping, "node1", "pre", "demote") in notes
    assert (stopping, "node1", "post", "demote") in notes
    assert (stopping, "node1", "pre", "stop") in notes
    assert (stopping, "node1", "post", "stop") not in notes
    assert (staying, "node2", "post", "stop") in notes
    assert (staying, "node2", "pre", "promote") in notes
    assert (staying, "node2", "post", "promote") in notes
    meta = notes[(stopping, "node1", "pre", "stop")]
    assert meta["notify_stop_resource"].split() == [stopping]
    assert meta["notify_demote_uname"].split() == ["node1"]


def test_pre_start_reaches_only_instances_already_running() -> None:
    """Before the starts, the instances that start are not told; after, everyone active is."""
    hist = {1: _history("d", "Dummy", _op("d", "start", call=2))}
    cib = _cib(_clone(_prim("d")), histories=hist)
    notes = _notifies(cib)
    pre = {(k[0], k[1]) for k in notes if k[2:] == ("pre", "start")}
    post = {(k[0], k[1]) for k in notes if k[2:] == ("post", "start")}
    assert {n for _, n in pre} == {"node1"}
    assert {n for _, n in post} == {"node1", "node2"}


def test_a_cloned_group_notifies_each_member_with_member_data() -> None:
    """Every member of a cloned group is notified, and the data lists the members one by one:
    a started first member is active while its stopped second member is inactive
    [case: bug-5059]."""
    group = f'<group id="g">{_prim("a")}{_prim("b")}</group>'
    hist = {1: _history("a", "Dummy", _op("a", "start", call=2)),
            2: _history("a", "Dummy", _op("a", "start", call=2))}
    cib = _cib(_clone(group), histories=hist)
    notes = _notifies(cib)
    post = {(k[0], k[1]) for k in notes if k[2:] == ("post", "start")}
    assert {r.split(":")[0] for r, _ in post} == {"a", "b"}
    assert len(post) == 4
    pre = {k[0].split(":")[0] for k in notes if k[2:] == ("pre", "start")}
    assert pre == {"a"}, "only the running members hear before the starts"
    meta = next(iter(notes.values()))
    assert sorted(r.split(":")[0] for r in meta["notify_start_resource"].split()) == ["b", "b"]
    assert sorted(r.split(":")[0] for r in meta["notify_active_resource"].split()) == ["a", "a"]
    assert sorted(r.split(":")[0] for r in meta["notify_inactive_resource"].split()) == [
        "b", "b"]


def test_a_promoted_instance_that_must_stop_demotes_first_and_is_notified() -> None:
    """A promoted instance whose restart cannot start again stops; it demotes first, so the
    clone notifies the demote as well as the stop [case: order_constraint_stops_promoted]."""
    hist = {1: _history("s", "Stateful", _op("s", "promote", call=2))}
    cons = ('<rsc_location id="ban" rsc="b" node="node1" score="-INFINITY"/>'
            '<rsc_order id="order-b-c" first="b" first-action="start" then="c" then-action="start" '
            'kind="Mandatory"/>')
    cib = _cib(_clone(_prim("s", "Stateful"), promotable=True) + _prim("b"), nodes=1,
               histories=hist, constraints=cons)
    demotes = [a for a in _actions(cib, Task.DEMOTE) if a.resource and a.resource.startswith("s")]
    assert [a.node for a in demotes] == ["node1"]
    assert demotes[0].runnable
    notes = _notifies(cib)
    inst = demotes[0].resource or ""
    assert {k[2:] for k in notes if k[0] == inst} == {
        ("pre", "demote"), ("post", "demote"), ("pre", "stop")}
    assert notes[(inst, "node1", "pre", "stop")]["notify_demote_resource"].split() == [inst]


def test_an_unclean_nodes_stop_that_cannot_run_is_still_in_the_notify_data() -> None:
    """Frozen without quorum, the stops on an unclean node cannot run; the clone still tells the other
    instances about them (the node may not be fenceable), but not about the demote there
    [case: bug-cl-5212]."""
    hist = {1: _history("s", "Stateful", _op("s", "promote", call=2)),
            2: _history("s", "Stateful", _op("s", "start", call=2)),
            3: _history("s", "Stateful", _op("s", "start", call=2))}
    text_nodes = 3
    fence = '<primitive id="fence" class="stonith" type="fence_dummy"/>'
    cib = _cib(_clone(_prim("s", "Stateful"), promotable=True) + fence, nodes=text_nodes,
               histories=hist, unclean=(1,), stonith="true", quorum=0,
               props='<nvpair id="o2" name="no-quorum-policy" value="freeze"/>')
    notes = _notifies(cib)
    assert notes, "the stop on the unclean node is notified"
    assert all(k[1] != "node1" for k in notes), "nothing runs on the unclean node"
    for (_, _, kind, op), meta in notes.items():
        assert (kind, op) in {("pre", "stop"), ("post", "stop")}
        assert meta["notify_stop_uname"].split() == ["node1"]
        assert meta["notify_demote_resource"] == " "


def test_a_group_banned_from_the_promoted_node_moves_the_promotion() -> None:
    """A group colocated with the promoted instance, its first member banned where the clone is
    promoted now: the group's ban lowers that node's promotion score to a floor instead of being
    ignored, so the other instance is promoted and the group follows it; the demote and the
    promotion are notified [case: group-dependents]."""
    hist = {1: _history("s", "Stateful", _op("s", "promote", call=2)),
            2: _history("s", "Stateful", _op("s", "start", call=2))}
    group = f'<group id="g">{_prim("a")}{_prim("b")}</group>'
    cons = ('<rsc_location id="pref1" rsc="c" role="Promoted" node="node1" score="200"/>'
            '<rsc_location id="pref2" rsc="c" role="Promoted" node="node2" score="100"/>'
            '<rsc_location id="ban-a" rsc="a" node="node1" score="-INFINITY"/>'
            '<rsc_colocation id="g-with-c" rsc="g" with-rsc="c" with-rsc-role="Promoted" '
            'score="INFINITY"/>')
    cib = _cib(_clone(_prim("s", "Stateful"), promotable=True) + group, histories=hist,
               constraints=cons)
    promotes = _actions(cib, Task.PROMOTE)
    assert [a.node for a in promotes if (a.resource or "").startswith("s")] == ["node2"]
    assert {a.node for a in _actions(cib, Task.START) if a.resource in ("a", "b")} == {"node2"}
    notes = _notifies(cib)
    assert {(k[1], k[2], k[3]) for k in notes} == {
        (n, kind, op) for n in ("node1", "node2") for kind in ("pre", "post")
        for op in ("demote", "promote")}


def test_the_floored_promotion_score_ignores_the_rest_of_the_group() -> None:
    """As above, with the group's second member sticking (INFINITY) to the promoted node: once
    the first member's ban floors that node's promotion score, the second member's stickiness
    does not lift it again, and the promotion still moves [case: promoted-move]."""
    hist = {1: _history("s", "Stateful", _op("s", "promote", call=2))
            + _history("b", "Dummy", _op("b", "start", call=3)),
            2: _history("s", "Stateful", _op("s", "start", call=2))}
    sticky_b = ('<primitive id="b" class="ocf" provider="pacemaker" type="Dummy">'
                '<meta_attributes id="b-m"><nvpair id="b-m-s" name="resource-stickiness" '
                'value="INFINITY"/></meta_attributes></primitive>')
    group = f'<group id="g">{_prim("a")}{sticky_b}</group>'
    cons = ('<rsc_location id="pref1" rsc="c" role="Promoted" node="node1" score="200"/>'
            '<rsc_location id="pref2" rsc="c" role="Promoted" node="node2" score="100"/>'
            '<rsc_location id="ban-a" rsc="a" node="node1" score="-INFINITY"/>'
            '<rsc_colocation id="g-with-c" rsc="g" with-rsc="c" with-rsc-role="Promoted" '
            'score="INFINITY"/>')
    cib = _cib(_clone(_prim("s", "Stateful"), promotable=True) + group, histories=hist,
               constraints=cons)
    promotes = _actions(cib, Task.PROMOTE)
    assert [a.node for a in promotes if (a.resource or "").startswith("s")] == ["node2"]
    assert {a.node for a in _actions(cib, Task.START) if a.resource in ("a", "b")} == {"node2"}
    assert {(k[1], k[2], k[3]) for k in _notifies(cib)} == {
        (n, kind, op) for n in ("node1", "node2") for kind in ("pre", "post")
        for op in ("demote", "promote")}
