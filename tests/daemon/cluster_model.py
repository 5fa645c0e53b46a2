"""Several node controllers over a simulated network, driven step by step: no asyncio, no sleeps.

The model plays the shell (applies every effect as vigild does) and the world around it:

- the network: partitions of the powered nodes; each partition orders its members' broadcasts
  (agreed order) and delivers the next one to every member at once; at a view change the
  messages not delivered yet are either delivered to the old members first or dropped for all
  (virtual synchrony allows both);
- the executor: each node's operations wait until a rule finishes them; the resources' truth is
  the shared `World` (tests/daemon/agent_world.py), monitors report on `tick`;
- the fencer: attempts wait until a rule finishes them; a successful one powers the target off;
- timers: armed by SetTimer, fired by a rule.

`check()` asserts the invariants of ARCHITECTURE.md on what the controllers decided; it runs
after every step of the state machine and of the scripted scenarios.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from vigil import controller
from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.cluster.layer import NodeId, QuorumChange
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.operations import Operation
from vigil.controller.state import State
from vigil.daemon.store import durable_part
from vigil.model.cib import Cib
from vigil.model.fencing import FenceOutcome, FenceStatus
from vigil.model.resources import Primitive

from .agent_world import World, WorldExecutor
from .service_cibs import FENCED_CONFIG


class InvariantBroken(AssertionError):
    pass


@dataclass
class Machine:
    """One node: its power, its daemon's controller (None while down), what it has in flight."""

    id: int
    name: str
    powered: bool = True
    state: State | None = None
    inbox: deque[ev.Event] = field(default_factory=deque)
    executor: WorldExecutor | None = None
    running_ops: list[tuple[m.ExecRequest, Operation]] = field(default_factory=list)
    fences: list[fx.Fence] = field(default_factory=list)
    timers: set[ev.Timer] = field(default_factory=set)
    # durable (the store): what PersistCib / PersistFenceHistory wrote last
    stored_cib: Cib | None = None
    stored_fences: tuple[m.FenceResult, ...] = ()
    group: int = 0  # partition label; nodes with the same label reach each other


@dataclass
class Ack:
    resource: str  # the primitive the acknowledged push added
    version: tuple[int, int, int]


class ClusterModel:
    def __init__(self, n: int = 3) -> None:
        self.world = World()
        self.now = float(self.world.clock)
        self.machines = {i: Machine(i, f"node{i}") for i in range(1, n + 1)}
        self.ring_seq = 0
        self.views: dict[int, tuple[tuple[int, int], tuple[int, ...]]] = {}  # node -> its view
        self.in_flight: dict[tuple[int, int], deque[tuple[int, m.Message]]] = {}  # ring -> msgs
        self.request_ids = itertools.count(1)
        self.pushes: dict[str, str] = {}  # request id -> resource it adds
        self.acks: list[Ack] = []
        self.fence_log: list[tuple[str, str]] = []  # (fencer, target) of successful fences
        self.answers: list[tuple[int, fx.Answer]] = []  # (node, answer) to local clients
        self.emitted: list[tuple[int, fx.Emit]] = []  # (node, event) for events.jsonl
        for mach in self.machines.values():
            self._start_daemon(mach)
        self._reconfigure(())
        self.world.on_attribute = self._agent_attribute

    def _agent_attribute(self, node: str, rsc: str, name: str, value: str | None) -> None:
        """An agent's crm_attribute call (a promotion score) reaches its node's daemon."""
        mach = next(x for x in self.machines.values() if x.name == node)
        if mach.state is not None:
            mach.inbox.append(ev.AttributeRequested(str(mach.id), mach.name, name, value))

    # -- the world's rules -------------------------------------------------------------------
    def names(self) -> tuple[tuple[int, str], ...]:
        return tuple((i, mach.name) for i, mach in sorted(self.machines.items()))

    def up(self) -> list[Machine]:
        return [mach for mach in self.machines.values() if mach.state is not None]

    def groups(self) -> dict[int, tuple[int, ...]]:
        out: dict[int, list[int]] = {}
        for mach in self.up():
            out.setdefault(mach.group, []).append(mach.id)
        return {g: tuple(sorted(ids)) for g, ids in out.items()}

    def _start_daemon(self, mach: Machine) -> None:
        mach.powered = True
        mach.executor = self.world.executor(mach.name)
        mach.state = controller.with_names(
            controller.initial_state(mach.id, mach.stored_cib, mach.stored_fences),
            dict(self.names()))
        mach.inbox.clear()
        mach.running_ops.clear()
        mach.fences.clear()
        mach.timers.clear()

    def _power_off(self, mach: Machine) -> None:
        mach.powered = False
        mach.state = None
        mach.inbox.clear()
        mach.running_ops.clear()
        mach.fences.clear()
        mach.timers.clear()
        mach.executor = None
        self.world.power_off(mach.name)

    def _reconfigure(self, rebooted: Iterable[int], *, deliver_in_flight: bool = True) -> None:
        """A membership change: every partition whose members changed gets a new view."""
        rebooted = set(rebooted)
        n = len(self.machines)
        for _, members in sorted(self.groups().items()):
            old = {self.views.get(i) for i in members}
            if len(old) == 1 and None not in old and not rebooted & set(members):
                view = old.pop()
                assert view is not None
                if view[1] == members:
                    continue
            # the old views' undelivered messages: to all their surviving members, or to none
            for ring in {v[0] for v in old if v is not None}:
                pending = self.in_flight.pop(ring, deque())
                if deliver_in_flight:
                    receivers = [i for i, v in self.views.items() if v is not None and v[0] == ring
                                 and self.machines[i].state is not None and i not in rebooted]
                    for sender, msg in pending:
                        for i in receivers:
                            self.machines[i].inbox.append(ev.Delivered(sender, msg))
            self.ring_seq += 1
            ring = (members[0], self.ring_seq)
            self.in_flight[ring] = deque()
            for i in members:
                before = self.views.get(i)
                left = set(before[1]) - set(members) if before else set()
                left |= rebooted & set(members) - {i}
                self.views[i] = (ring, members)
                mach = self.machines[i]
                mach.inbox.append(ev.ViewChanged(ring, members, tuple(sorted(left)), self.names()))
                mach.inbox.append(ev.QuorumChanged(QuorumChange(
                    quorate=2 * len(members) > n, total_votes=len(members), expected_votes=n,
                    quorum=n // 2 + 1, members=tuple(NodeId(x) for x in members))))
        for i in [i for i in self.views if self.machines[i].state is None]:
            del self.views[i]

    def crash(self, node: int, *, deliver_in_flight: bool = True) -> None:
        self._power_off(self.machines[node])
        self._reconfigure((), deliver_in_flight=deliver_in_flight)

    def boot(self, node: int) -> None:
        mach = self.machines[node]
        if mach.state is None:
            self._start_daemon(mach)
            self._reconfigure(())

    def fast_reboot(self, node: int) -> None:
        """Down and up again within one token timeout: one ring change, the node in `left`."""
        mach = self.machines[node]
        self._power_off(mach)
        self._start_daemon(mach)
        self._reconfigure({node})

    def restart_daemon(self, node: int) -> None:
        """vigild restarts on a node that stays up: its resources keep running, its executor
        forgets their history (the cluster probes them again)."""
        mach = self.machines[node]
        self._start_daemon(mach)
        self._reconfigure({node})

    def restart_daemon_alone_first(self, node: int, *alone: ev.Event) -> None:
        """vigild restarts on a node that stays up, and Corosync shows it a ring of its own
        first, merged with the others' a moment later (as a starting Corosync does): its first
        join, the fresh one, is made alone (`alone`: what its clients ask meanwhile); the
        others see it leave and come back at once."""
        mach = self.machines[node]
        self._start_daemon(mach)
        self.ring_seq += 1
        ring = (node, self.ring_seq)
        self.in_flight[ring] = deque()
        self.views[node] = (ring, (node,))
        mach.inbox.append(ev.ViewChanged(ring, (node,), (), self.names()))
        n = len(self.machines)
        mach.inbox.append(ev.QuorumChanged(QuorumChange(
            quorate=False, total_votes=1, expected_votes=n, quorum=n // 2 + 1,
            members=(NodeId(node),))))
        while self.process(node) or self.deliver(node):
            pass
        mach.inbox.extend(alone)
        while self.process(node) or self.deliver(node):
            pass
        self._reconfigure({node})

    def partition(self, *groups: Iterable[int], deliver_in_flight: bool = True) -> None:
        for label, members in enumerate(groups):
            for i in members:
                self.machines[i].group = label
        self._reconfigure((), deliver_in_flight=deliver_in_flight)

    def heal(self) -> None:
        for mach in self.machines.values():
            mach.group = 0
        self._reconfigure(())

    def repeat_view(self, node: int) -> None:
        """The layer reports the node's current view again (the ring id came late)."""
        mach = self.machines[node]
        view = self.views.get(node)
        if mach.state is not None and view is not None:
            mach.inbox.append(ev.ViewChanged(view[0], view[1], (), self.names()))

    # -- driving the controllers -------------------------------------------------------------
    def process(self, node: int) -> bool:
        """The node's daemon takes its next event (then plans, if it wants to and is idle)."""
        mach = self.machines[node]
        if mach.state is None or not mach.inbox:
            return False
        self._step(mach, mach.inbox.popleft())
        if mach.state is not None and not mach.inbox and controller.wants_plan(mach.state):
            self._step(mach, ev.PlanDue())
        return True

    def deliver(self, node: int) -> bool:
        """The next message in agreed order of the node's view reaches every member."""
        view = self.views.get(node)
        if view is None:
            return False
        queue = self.in_flight.get(view[0])
        if not queue:
            return False
        sender, msg = queue.popleft()
        for i, other in self.views.items():
            if other[0] == view[0]:
                self.machines[i].inbox.append(ev.Delivered(sender, msg))
        return True

    def finish_operation(self, node: int, index: int = 0) -> bool:
        mach = self.machines[node]
        if mach.executor is None or not mach.running_ops:
            return False
        req, op = mach.running_ops.pop(index % len(mach.running_ops))
        outcome = mach.executor._record(op, mach.executor._rc(op))
        mach.inbox.append(ev.OperationFinished(req, outcome))
        return True

    def finish_fence(self, node: int, ok: bool = True) -> bool:
        mach = self.machines[node]
        if not mach.fences:
            return False
        fence = mach.fences.pop(0)
        if ok:
            target = next(x for x in self.machines.values() if x.name == fence.target)
            self.fence_log.append((mach.name, target.name))
            if target.state is not None:
                self._power_off(target)
                self._reconfigure(())
            outcome = FenceOutcome(target=fence.target, action=fence.action, status=FenceStatus.OK,
                                   detail=f"{fence.target} powered off", devices=("fence-lab",))
        else:
            outcome = FenceOutcome(target=fence.target, action=fence.action,
                                   status=FenceStatus.FAILED, detail="the device did not answer",
                                   devices=("fence-lab",))
        if mach.state is not None:  # the fencer may have fenced itself
            mach.inbox.append(ev.FenceFinished(fence.target, fence.action, outcome,
                                               fence.request_id))
        return True

    def fire_timer(self, node: int, timer: ev.Timer) -> bool:
        mach = self.machines[node]
        if timer not in mach.timers or mach.state is None:
            return False
        mach.timers.discard(timer)
        mach.inbox.append(ev.TimerFired(timer))
        return True

    def tick(self) -> None:
        """Time passes: every recurring monitor runs once."""
        self.now += 1
        self.world.clock += 1
        self.world.tick()

    def kill(self, node: int, resource: str) -> None:
        self.world.kill(f"node{node}", resource)

    def push(self, node: int) -> str | None:
        """An operator adds a primitive through `node` (computed against its replica now)."""
        mach = self.machines[node]
        if mach.state is None or not mach.state.view.synced:
            return None
        request_id = f"push-{next(self.request_ids)}"
        rsc = f"Extra{request_id.split('-')[1]}"
        cib = mach.state.cib
        config = cib.configuration
        extra = Primitive(id=rsc, standard="ocf", provider="heartbeat", agent_type="Dummy")
        new = dataclasses.replace(cib, configuration=dataclasses.replace(
            config, resources=(*config.resources, extra)))
        self.pushes[request_id] = rsc
        mach.inbox.append(ev.ConfigPushRequested(request_id, write_cib(new),
                                                 cib.version.as_tuple()))
        return request_id

    def configure(self, xml: str = FENCED_CONFIG, via: int = 1) -> None:
        mach = self.machines[via]
        assert mach.state is not None
        new, _ = parse_cib(xml)
        mach.inbox.append(ev.ConfigPushRequested("configure", write_cib(new),
                                                 mach.state.cib.version.as_tuple()))

    # -- the shell's part: applying effects --------------------------------------------------
    def _step(self, mach: Machine, event: ev.Event) -> None:
        assert mach.state is not None
        mach.state, effects = controller.step(mach.state, event, self.now)
        for e in effects:
            self._apply(mach, e)
            if mach.state is None:
                return  # it left the cluster (fenced itself)

    def _apply(self, mach: Machine, e: fx.Effect) -> None:
        assert mach.state is not None
        if isinstance(e, fx.Broadcast):
            self._broadcast(mach, e.message)
        elif isinstance(e, fx.BroadcastJoin):
            assert mach.executor is not None
            self._broadcast(mach, m.NodeHistory(e.ring, mach.id, mach.name,
                                                mach.executor.history(), e.fresh, e.pending,
                                                e.attributes, e.private))
        elif isinstance(e, fx.PersistCib):
            mach.stored_cib = durable_part(e.cib)  # what vigild's store keeps
        elif isinstance(e, fx.PersistFenceHistory):
            mach.stored_fences = e.history
        elif isinstance(e, fx.Execute):
            if e.operation.task in ("start", "promote"):
                self._check_exclusive_start(mach, e.operation.resource, e.operation.task)
            mach.running_ops.append((e.request, e.operation))
        elif isinstance(e, fx.StartMonitors):
            assert mach.executor is not None
            for op in e.operations:
                mach.executor.start_monitor(op, lambda o, mach=mach: mach.inbox.append(
                    ev.MonitorChanged(o)) if mach.state is not None else None)
        elif isinstance(e, fx.CancelMonitors):
            assert mach.executor is not None
            mach.executor.cancel_monitors(e.resource)
        elif isinstance(e, fx.Fence):
            if e.request_id is None and not self._quorate(mach.id):
                raise InvariantBroken(f"{mach.name}, without quorum, fences {e.target}")
            mach.fences.append(e)
        elif isinstance(e, fx.Answer):
            self.answers.append((mach.id, e))
            rsc = self.pushes.pop(e.request_id, None)
            # Invariant 4 is for changes acknowledged with quorum: one made in a partition
            # without it can be overwritten when the partitions merge (highest version wins),
            # as in Pacemaker
            quorate = mach.state.quorum is not None and mach.state.quorum.quorate
            if rsc is not None and e.ok and e.version is not None and quorate:
                self.acks.append(Ack(rsc, e.version))
        elif isinstance(e, fx.SetTimer):
            mach.timers.add(e.timer)
        elif isinstance(e, fx.Emit):
            self.emitted.append((mach.id, e))
        elif isinstance(e, fx.StopEverythingAndLeave):
            self._power_off(mach)  # stops everything (the world's truth) and leaves
            self._reconfigure(())

    def _quorate(self, node: int) -> bool:
        """What Corosync told the node last (what its controller may act on)."""
        state = self.machines[node].state
        return state is not None and state.quorum is not None and state.quorum.quorate

    def _broadcast(self, mach: Machine, msg: m.Message) -> None:
        if isinstance(msg, m.ExecRequest) and msg.task in ("start", "promote") and not (
                self._quorate(mach.id)):
            # Invariant 2: a partition without quorum never starts or promotes (stop policy)
            raise InvariantBroken(f"{mach.name}, without quorum, starts {msg.resource}")
        view = self.views.get(mach.id)
        if view is not None:
            self.in_flight.setdefault(view[0], deque()).append((mach.id, msg))

    # -- invariants --------------------------------------------------------------------------
    def _check_exclusive_start(self, mach: Machine, resource: str, task: str) -> None:
        """Invariant 1 (and 3): a primitive starts, and a promotable clone's instance is
        promoted (promoted-max 1), only where no other powered node may run it, or have it
        promoted; an unclean node's are recovered only once it is fenced (powered off)."""
        if resource in self.world.promotable:
            if task != "promote":
                return  # a clone's instances start everywhere
            active = self.world.where_promoted(resource)
        else:
            active = self.world.where(resource)
        elsewhere = [n for n in active if n != mach.name
                     and self.machines[int(n.removeprefix("node"))].powered]
        if elsewhere:
            raise InvariantBroken(f"{mach.name} {task}s {resource} while it runs on {elsewhere}")

    def quiet(self, members: tuple[int, ...]) -> bool:
        """Nothing left to happen inside this partition by itself."""
        view = self.views.get(members[0])
        return (view is not None and not self.in_flight.get(view[0])
                and all(not self.machines[i].inbox for i in members))

    def check(self) -> None:
        """Invariants 1 and 4 and equal replicas, on what the controllers decided so far."""
        for rsc in ("WebIP", "WebSite"):
            powered = [n for n in self.world.where(rsc)
                       if self.machines[int(n.removeprefix("node"))].powered]
            if len(powered) > 1:
                raise InvariantBroken(f"{rsc} active on {powered}")
        for rsc in self.world.promotable:  # promoted-max 1 in every promotable test CIB
            promoted = [n for n in self.world.where_promoted(rsc)
                        if self.machines[int(n.removeprefix("node"))].powered]
            if len(promoted) > 1:
                raise InvariantBroken(f"{rsc} promoted on {promoted}")
        for members in self.groups().values():
            states = [self.machines[i].state for i in members]
            if not self.quiet(members) or not all(s is not None and s.view.synced for s in states):
                continue
            if any(s is not None and s.view.ring != self.views[members[0]][0] for s in states):
                continue
            xmls = {write_cib(s.cib) for s in states if s is not None}
            if len(xmls) != 1:
                raise InvariantBroken(f"replicas differ in the synced view of {members}")
            cib = states[0].cib if states[0] is not None else None
            assert cib is not None
            ids = {r.id for r in cib.configuration.resources}
            if 2 * len(members) <= len(self.machines):
                continue  # a minority may have been cut off before the change: it syncs later
            for ack in self.acks:
                if ack.resource not in ids:
                    raise InvariantBroken(f"acknowledged {ack.resource} (version {ack.version}) "
                                          f"lost in the view of {members}")

    # -- letting it run ----------------------------------------------------------------------
    def settle(self, limit: int = 5000, *, fences_ok: bool = True) -> None:
        """Run every pending thing until nothing is left (timers only when all else is idle)."""
        for _ in range(limit):
            self.check()
            if any(self.process(i) for i in list(self.machines)):
                continue
            if any(self.deliver(i) for i in list(self.machines)):
                continue
            if any(self.finish_operation(i) for i in list(self.machines)):
                continue
            if any(self.finish_fence(i, fences_ok) for i in list(self.machines)):
                continue
            if any(self.fire_timer(i, ev.Timer.RESYNC) for i in list(self.machines)):
                continue
            return
        raise AssertionError("the cluster did not settle")

    def converged(self) -> None:
        """Once healed and settled: one view, every replica in step and equal, the DC idle, the
        service running exactly once."""
        groups = self.groups()
        assert len(groups) == 1, groups
        members = next(iter(groups.values()))
        states = [self.machines[i].state for i in members]
        assert all(s is not None and s.view.synced for s in states), "a member is out of step"
        dc = self.machines[members[0]].state
        assert dc is not None and dc.is_dc
        assert dc.plan.graph is None or dc.plan.graph.finished, "the DC's transition never ended"
        self.check()
        web = [n for n in self.world.where("WebSite")]
        if any(r.id == "WebSite" for r in dc.cib.configuration.resources):
            assert len(web) == 1 and self.world.where("WebIP") == web, (
                self.world.where("WebIP"), web)
