"""Views and sync: after every view change the members agree on one CIB again.

Every member says Hello (its version, digest, and whether it was last in step with a quorate
partition). Once every member's Hello is in, either all agree, or one member broadcasts its whole
CIB (Sync) and everyone adopts it: the newest configuration (admin_epoch, epoch); among equal
configurations a replica that was in a quorate partition, so that a node coming back alone (or a
minority) does not bring back its stale status (a revoked ticket granted again, a fenced node's
state) for having counted more status updates on its own; then the most updates (num_updates);
then the lowest node id. Then each member reports its own operation history (the join) and the DC
publishes the node states.

A view's sync goes in rounds, so that a member out of step can always bring everyone back:
each member says one Hello per round; a member that is out of step (it saw its view again, or
it is still waiting RESYNC_AFTER_S after its Hello) says hello for the next round, and a Hello of
a later round makes every member (synced or not) start that round, at the same point of the
agreed order, and say its own Hello of it. Hellos and Syncs of earlier rounds are stale.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.controller import alerts, attributes
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.context import Step
from vigil.controller.state import Heard, View, cib_digest

RESYNC_AFTER_S = 3.0  # a node out of step this long after its Hello says hello again
HELLO_FENCE_HISTORY = 50  # the most recent fencing results a Hello carries


def on_view(s: Step, e: ev.ViewChanged) -> None:
    st = s.state
    names = {**st.names, **dict(e.names)}
    before = st.view
    repeated = (e.ring == before.ring and e.members == before.members and not e.left)
    s.state = dataclasses.replace(st, names=names)
    s.emit("membership", ring=list(e.ring), members=[s.state.name_of(n) for n in e.members],
           left=[s.state.name_of(n) for n in e.left])
    if not repeated:
        for n in e.members:
            if n not in before.members:
                alerts.send(s, "node", alerts.node_fields(s.state.name_of(n), str(n), True))
        for n in e.left:
            alerts.send(s, "node", alerts.node_fields(s.state.name_of(n), str(n), False))
    # Results in flight across a view change may be lost to the sync; the join (every member's
    # own NodeHistory) brings the truth back, so the DC starts over from it.
    if st.plan.graph is not None:
        s.emit("transition-abort", reason="membership change")
    attributes.on_view(s, e.members)
    if repeated:
        # The layer reported the view again (the totem ring id came late): the others are in
        # it already, maybe synced; this node may have missed Hellos, so it starts a new round.
        next_round(s)
        return
    start_round(s, View(ring=e.ring, members=e.members))


def start_round(s: Step, view: View) -> None:
    """Forget the plan in progress and say hello in `view`'s round: the view has to agree on
    one CIB again."""
    plan = dataclasses.replace(s.state.plan, graph=None, aborted=False, probing=frozenset())
    s.state = dataclasses.replace(s.state, plan=plan, view=view)
    s.want_plan()
    say_hello(s)


def next_round(s: Step) -> None:
    view = s.state.view
    start_round(s, View(ring=view.ring, members=view.members, round=view.round + 1))


def say_hello(s: Step) -> None:
    st = s.state
    if st.view.said_hello:
        return
    s.state = dataclasses.replace(st, view=dataclasses.replace(st.view, said_hello=True))
    s.send(m.Hello(st.view.ring, st.me, st.cib.version.as_tuple(), cib_digest(st.cib),
                   st.fencing.history[-HELLO_FENCE_HISTORY:], st.view.round,
                   st.synced_quorate))
    s.effects.append(fx.SetTimer(ev.Timer.RESYNC, RESYNC_AFTER_S))


def on_resync_timer(s: Step) -> None:
    """The RESYNC timer fires RESYNC_AFTER_S after this node's last Hello (each Hello re-arms it)."""
    view = s.state.view
    if view.members and not view.synced:
        s.emit("resync-hello", ring=list(view.ring), round=view.round + 1)
        next_round(s)


def on_quorum(s: Step, e: ev.QuorumChanged) -> None:
    q = e.quorum
    s.state = dataclasses.replace(s.state, quorum=q)
    if s.state.view.synced:
        s.state = dataclasses.replace(s.state, synced_quorate=q.quorate)
    s.emit("quorum", quorate=q.quorate, votes=q.total_votes, expected=q.expected_votes)
    if s.state.is_dc and s.state.view.synced:
        view = dataclasses.replace(s.state.view, states_applied=False)
        s.state = dataclasses.replace(s.state, view=view)
        publish_node_states(s)


def on_hello(s: Step, msg: m.Hello) -> None:
    view = s.state.view
    if tuple(msg.ring) != view.ring or msg.node not in view.members or msg.round < view.round:
        return  # another view's, or an earlier round's
    if msg.round > view.round:
        # A member out of step started a new round: everyone starts it here, at the same point
        # of the agreed order, counting the Hello that started it.
        if view.synced:
            s.emit("resync", ring=list(view.ring), by=s.state.name_of(msg.node), round=msg.round)
            if s.state.plan.graph is not None:
                s.emit("transition-abort", reason="view re-sync")
        start_round(s, View(ring=view.ring, members=view.members, round=msg.round))
        view = s.state.view
    elif view.synced:
        return  # a late Hello of the round already synced
    heard = Heard(tuple(msg.version), msg.digest, msg.quorate)  # type: ignore[arg-type]
    hellos = {**view.hellos, msg.node: heard}
    view = dataclasses.replace(view, hellos=hellos)
    s.state = dataclasses.replace(s.state, view=view)
    _learn_fence_history(s, msg.fence_history)
    if not set(view.members) <= set(hellos):
        return
    if len({(h.version, h.digest) for h in hellos.values()}) == 1:
        synced(s)
        return
    if sync_source(hellos) == s.state.me:
        s.send(m.Sync(view.ring, s.state.me, write_cib(s.state.cib), view.round))


def sync_source(hellos: Mapping[int, Heard]) -> int:
    """The member whose CIB the view adopts (the order is the module's docstring's)."""
    def rank(item: tuple[int, Heard]) -> tuple[int, ...]:
        node, h = item
        admin_epoch, epoch, num_updates = h.version
        return (-admin_epoch, -epoch, 0 if h.quorate else 1, -num_updates, node)
    return min(hellos.items(), key=rank)[0]


def _learn_fence_history(s: Step, heard: tuple[m.FenceResult, ...]) -> None:
    fencing = s.state.fencing
    known = set(fencing.history)
    learned = [f for f in heard if f not in known]
    if learned:
        history = tuple(sorted([*fencing.history, *learned], key=lambda f: f.when))
        s.state = dataclasses.replace(s.state, fencing=dataclasses.replace(fencing, history=history))
        s.effects.append(fx.PersistFenceHistory(history))


def on_sync(s: Step, msg: m.Sync) -> None:
    view = s.state.view
    if tuple(msg.ring) != view.ring or msg.round != view.round or view.synced:
        return
    if msg.source != s.state.me:
        cib, _ = parse_cib(msg.cib_xml)
        s.set_cib(cib, persist=True)
    synced(s)


def synced(s: Step) -> None:
    st = s.state
    quorate = st.quorum.quorate if st.quorum is not None else False
    s.state = dataclasses.replace(st, view=dataclasses.replace(st.view, synced=True), fresh=False,
                                  synced_quorate=quorate)
    s.emit("synced", version=list(st.cib.version.as_tuple()))
    transient, private = attributes.join_announcement(st)
    s.effects.append(fx.BroadcastJoin(st.view.ring, st.fresh, tuple(sorted(st.running_ops)),
                                      transient, private))
    for result in st.fencing.unapplied:
        s.send(result)
    if s.state.is_dc:
        publish_node_states(s)


def on_joined(s: Step, node: int) -> None:
    """The DC: a member's join is in; if that makes it expected up, the node states say so
    (before planning, which waits for them)."""
    st = s.state
    if not (st.is_dc and st.view.synced):
        return
    row = next((n for n in st.cib.status if n.id == str(node)), None)
    if row is None or row.expected != "member":
        s.state = dataclasses.replace(st, view=dataclasses.replace(st.view, states_applied=False))
        publish_node_states(s)


def publish_node_states(s: Step) -> None:
    st = s.state
    members = set(st.view.members)
    quorum_members = {int(n) for n in st.quorum.members} if st.quorum else members
    rows = []
    known = {int(c.id) for c in st.cib.configuration.nodes if c.id.isdigit()}
    previous = {n.id: n for n in st.cib.status}
    for nid in sorted(known | members | set(st.names)):
        up = nid in members
        before = previous.get(str(nid))
        # A node that vanished stays expected up (so it is fenced) unless it said goodbye
        # (Leaving) or was fenced already; a node never seen is expected down. A member is
        # expected up once its join is in (Pacemaker's DC marks a node a member when it asks to
        # join): one that vanishes before its join has run nothing of this view, and is judged
        # by what it was before (down after a clean stop, CTS's PartialStart: its goodbye may
        # be lost to the view's sync round).
        expected = ("member" if up and nid in st.view.joined
                    else (before.expected or "down") if before else "down")
        rows.append(m.NodeStateRow(str(nid), st.name_of(nid), in_ccm=nid in quorum_members or up,
                                   crmd=up, join="member" if up else "down", expected=expected))
    quorate = st.quorum.quorate if st.quorum is not None else False
    s.send(m.NodeStates(tuple(rows), quorate, st.me))
