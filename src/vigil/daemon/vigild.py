"""vigild: one per node, on the node's Corosync. A thin asyncio shell around pure decisions.

Every node keeps a replica of the CIB. Every change is a message broadcast in agreed order and
applied by every member in delivery order, so replicas never diverge inside a view. After each
view change the members compare versions (Hello); the highest one (lowest node id on ties) is
broadcast whole (Sync) unless all already agree. Then each member reports its own operation
history (NodeHistory: the join). The DC is the lowest node id of the view; once every member has
joined it probes what it does not know, runs the scheduler and executes the transition in graph
order, re-planning whenever the world changes under it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import hashlib
import itertools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field

from vigil.cib import status_edit
from vigil.cib.read import parse_cib
from vigil.cib.write import write_cib
from vigil.cluster.layer import (
    ClusterLayer,
    Delivery,
    Membership,
    QuorumChange,
)
from vigil.daemon import messages as m
from vigil.daemon.graph import Graph, GraphAction, build_graph
from vigil.daemon.ports import (
    CibStore,
    Clock,
    Fencer,
    LocalExecutor,
    NoFencer,
    Operation,
    Outcome,
)
from vigil.daemon.resources import operation_for, probe_targets, recurring_monitors
from vigil.model import reports
from vigil.model.cib import Cib, CibVersion, Configuration, NodeConfig
from vigil.model.reports import Report, ReportError
from vigil.scheduler.engine import schedule
from vigil.scheduler.transition import Transition

log = logging.getLogger("vigild")

RESYNC_AFTER_S = 3.0  # a node out of step this long after its Hello says hello again


@dataclass
class ViewState:
    ring: tuple[int, int] = (0, 0)
    members: tuple[int, ...] = ()
    hellos: dict[int, tuple[m.Version, str]] = field(default_factory=dict)
    synced: bool = False
    joined: set[int] = field(default_factory=set)
    # (node, resource) of operations that were running when their node joined: the join's
    # history lacks them and their results are still to come
    pending: set[tuple[int, str]] = field(default_factory=set)


@dataclass
class PendingRequest:
    future: asyncio.Future[tuple[bool, tuple[Report, ...] | m.Version]]


def cib_digest(cib: Cib) -> str:
    return hashlib.sha1(write_cib(dataclasses.replace(cib, status=())).encode()).hexdigest()


def empty_cib() -> Cib:
    return Cib(version=CibVersion(0, 0, 0), configuration=Configuration(),
               crm_feature_set="3.16.1", validate_with="pacemaker-3.8")


class Vigild:
    def __init__(self, layer: ClusterLayer, executor: LocalExecutor, store: CibStore,
                 clock: Clock, *, event_sink: Callable[[dict[str, object]], None] | None = None,
                 fencer: Fencer | None = None) -> None:
        self.layer = layer
        self.fencer: Fencer = fencer or NoFencer()
        # Durable (store): a restart of every node must not forget who was fenced when.
        self.fence_history: list[m.FenceResult] = list(store.load_fence_history())
        # Fence results this node broadcast that no replica applied yet: a result delivered
        # while a view is still syncing is dropped by everyone, so it is sent again after sync.
        self._unapplied_fences: list[m.FenceResult] = []
        self._fence_failures: dict[str, int] = {}
        self._fencing: set[str] = set()
        self._hello_sent_at = 0.0
        self._fresh = True  # the first join of this process clears its transient attributes
        self.fenced_self = asyncio.Event()
        self.executor = executor
        self.store = store
        self.clock = clock
        self.cib = store.load() or empty_cib()
        self.view = ViewState()
        self.quorum: QuorumChange | None = None
        self.names: dict[int, str] = {}
        self.requests: dict[str, PendingRequest] = {}
        self._request_ids = itertools.count(1)
        self.transition: Transition | None = None
        self.graph: Graph | None = None
        self.transition_no = 0
        self._plan_wanted = asyncio.Event()
        self._aborted = False
        self._probing: set[str] = set()
        self._running_ops: collections.Counter[str] = collections.Counter()  # resource -> ops
        self._tasks: set[asyncio.Task[object]] = set()
        self._event_sink = event_sink
        self.changed = asyncio.Condition()  # notified on every applied change (for IPC waits)

    # -- identity ----------------------------------------------------------------------------
    @property
    def me(self) -> int:
        return int(self.layer.local_node)

    @property
    def dc(self) -> int | None:
        return min(self.view.members) if self.view.members else None

    @property
    def is_dc(self) -> bool:
        return self.dc == self.me

    def name_of(self, node: int) -> str:
        return self.names.get(node) or f"node{node}"

    def node_id_of(self, name: str) -> int | None:
        for nid, n in self.names.items():
            if n == name:
                return nid
        for cfg in self.cib.configuration.nodes:
            if cfg.uname == name and cfg.id.isdigit():
                return int(cfg.id)
        return None

    def emit(self, kind: str, **fields: object) -> None:
        if self._event_sink is not None:
            self._event_sink({"event": kind, "node": self.name_of(self.me), **fields})

    # -- main loop ---------------------------------------------------------------------------
    async def run(self) -> None:
        await self.layer.start()
        self.names = {int(k): v for k, v in self.layer.node_names().items()}
        planner = asyncio.create_task(self._planner())
        self._spawn(self._resync_watch())
        try:
            async for event in self.layer.events():
                if isinstance(event, Membership):
                    await self._on_membership(event)
                elif isinstance(event, QuorumChange):
                    await self._on_quorum(event)
                elif isinstance(event, Delivery):
                    try:
                        msg = m.decode(event.payload)
                    except m.BadMessage as exc:
                        log.warning("dropping undecodable message from %s: %s", event.sender, exc)
                        continue
                    await self._on_message(int(event.sender), msg)
        finally:
            planner.cancel()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await planner

    def _spawn(self, coro: Coroutine[object, object, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def send(self, msg: m.Message) -> None:
        await self.layer.broadcast(m.encode(msg))

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    # -- membership and sync -----------------------------------------------------------------
    async def _on_membership(self, view: Membership) -> None:
        self.names.update({int(k): v for k, v in self.layer.node_names().items()})
        # the layer's `left` also names a node that rebooted between two views (it is a member
        # again, with a fresh process)
        left = [int(n) for n in view.left]
        self.view = ViewState(ring=view.ring_id, members=tuple(int(n) for n in view.members))
        self.emit("membership", ring=list(view.ring_id), members=[self.name_of(n) for n in
                                                                   self.view.members],
                  left=[self.name_of(n) for n in left])
        # Results in flight across a view change may be lost to the sync; the join (every
        # member's own NodeHistory) brings the truth back, so the DC starts over from it.
        if self.graph is not None:
            self.emit("transition-abort", reason="membership change")
        await self._start_sync()

    async def _start_sync(self) -> None:
        """Forget the plan in progress and say hello: the view has to agree on one CIB again."""
        self.graph = None
        self._aborted = False
        self._probing.clear()
        self._plan_wanted.set()
        await self._send_hello()

    async def _send_hello(self) -> None:
        self._hello_sent_at = asyncio.get_running_loop().time()
        await self.send(m.Hello(self.view.ring, self.me, self.cib.version.as_tuple(),
                                cib_digest(self.cib), tuple(self.fence_history[-50:])))

    async def _resync_watch(self) -> None:
        """Liveness of the sync: a node still out of step after a while says hello again.

        Hellos are not lost inside a view, but a view the layer reports twice, or one that
        changes while a Sync is in flight, can leave a node waiting for Hellos its synced peers
        will never resend. A repeated Hello makes them start the sync over (see `_on_hello`).
        """
        while True:
            await asyncio.sleep(RESYNC_AFTER_S / 3)
            late = asyncio.get_running_loop().time() - self._hello_sent_at
            if self.view.members and not self.view.synced and late >= RESYNC_AFTER_S:
                log.warning("view %s still not synced after %.1f s: saying hello again",
                            self.view.ring, late)
                await self._send_hello()

    async def _on_quorum(self, q: QuorumChange) -> None:
        self.quorum = q
        self.emit("quorum", quorate=q.quorate, votes=q.total_votes, expected=q.expected_votes)
        if self.is_dc and self.view.synced:
            await self._publish_node_states()

    async def _on_hello(self, msg: m.Hello) -> None:
        v = self.view
        if tuple(msg.ring) != v.ring or msg.node not in v.members:
            return
        if v.synced:
            if msg.node == self.me:
                return
            # A member of this view is out of step (it saw the view again, or missed the
            # sync). Every member gets this Hello at the same point of the agreed order, so
            # all start the sync over together, counting the Hello that triggered it.
            log.info("node %s said hello in synced view %s: syncing again", msg.node, v.ring)
            self.emit("resync", ring=list(v.ring), by=self.name_of(msg.node))
            if self.graph is not None:
                self.emit("transition-abort", reason="view re-sync")
            self.view = ViewState(ring=v.ring, members=v.members)
            await self._start_sync()
            v = self.view
        v.hellos[msg.node] = (tuple(msg.version), msg.digest)  # type: ignore[assignment]
        known = set(self.fence_history)
        learned = [f for f in msg.fence_history if f not in known]
        if learned:
            self.fence_history = sorted([*self.fence_history, *learned], key=lambda f: f.when)
            self.store.save_fence_history(self.fence_history)
        if not set(v.members) <= set(v.hellos):
            return
        digests = {d for _, d in v.hellos.values()}
        versions = {ver for ver, _ in v.hellos.values()}
        if len(digests) == 1 and len(versions) == 1:
            await self._synced()
            return
        source = sorted(v.hellos.items(), key=lambda kv: (tuple(-x for x in kv[1][0]), kv[0]))[0][0]
        if source == self.me:
            await self.send(m.Sync(v.ring, self.me, write_cib(self.cib)))

    async def _on_sync(self, msg: m.Sync) -> None:
        if tuple(msg.ring) != self.view.ring or self.view.synced:
            return
        cib, _ = parse_cib(msg.cib_xml)
        if msg.source != self.me:
            self._set_cib(cib, persist=True)
        await self._synced()

    async def _synced(self) -> None:
        self.view.synced = True
        self.emit("synced", version=list(self.cib.version.as_tuple()))
        # history and pending are taken together, with no await between: an operation is in
        # exactly one of them (see _execute)
        await self.send(m.NodeHistory(self.view.ring, self.me, self.name_of(self.me),
                                      self.executor.history(), self._fresh,
                                      tuple(sorted(self._running_ops))))
        self._fresh = False
        for result in list(self._unapplied_fences):
            await self.send(result)
        if self.is_dc:
            await self._publish_node_states()

    async def _publish_node_states(self) -> None:
        members = set(self.view.members)
        quorum_members = set(int(n) for n in self.quorum.members) if self.quorum else members
        rows = []
        known = {int(c.id) for c in self.cib.configuration.nodes if c.id.isdigit()}
        previous = {s.id: s for s in self.cib.status}
        for nid in sorted(known | members | set(self.names)):
            up = nid in members
            before = previous.get(str(nid))
            # A node that vanished stays expected up (so it is fenced) unless it said goodbye
            # (Leaving) or was fenced already; a node never seen is expected down.
            expected = "member" if up else (before.expected or "down") if before else "down"
            rows.append(m.NodeStateRow(str(nid), self.name_of(nid), in_ccm=nid in quorum_members
                                       or up, crmd=up, join="member" if up else "down",
                                       expected=expected))
        quorate = self.quorum.quorate if self.quorum is not None else False
        await self.send(m.NodeStates(tuple(rows), quorate, self.me))

    # -- applying messages -------------------------------------------------------------------
    def _set_cib(self, cib: Cib, persist: bool) -> None:
        self.cib = cib
        if persist:
            self.store.save(cib)

    async def _on_message(self, sender: int, msg: m.Message) -> None:
        if isinstance(msg, m.Hello):
            await self._on_hello(msg)
        elif isinstance(msg, m.Sync):
            await self._on_sync(msg)
        elif not self.view.synced:
            # Not yet in step with this view: everyone drops the same messages (agreed order).
            if isinstance(msg, m.ConfigReplace):
                self._answer(msg.request_id, msg.origin, False, "CIB_NOT_READY")
            return
        elif isinstance(msg, m.NodeHistory):
            self._apply_history(msg)
        elif isinstance(msg, m.NodeStates):
            self._apply_node_states(msg)
        elif isinstance(msg, m.ConfigReplace):
            self._apply_config(msg)
        elif isinstance(msg, m.OpResult):
            self._apply_result(msg)
        elif isinstance(msg, m.ExecRequest):
            if msg.node == self.me:
                # counted as running from delivery on, before the task gets its first turn
                self._running_ops[msg.resource] += 1
                self._spawn(self._execute(msg))
            return
        elif isinstance(msg, m.Attribute):
            self.cib = status_edit.bump_updates(status_edit.set_transient(
                self.cib, msg.node_id, msg.uname, msg.name, msg.value))
            self._abort("attribute changed")
        elif isinstance(msg, m.Cleanup):
            self._apply_cleanup(msg)
        elif isinstance(msg, m.FenceResult):
            self._apply_fence(msg)
        elif isinstance(msg, m.Leaving):
            self.cib = status_edit.bump_updates(status_edit.set_node_state(
                self.cib, msg.node_id, msg.uname, in_ccm=True, crmd=True, join="down",
                expected="down"))
        await self._notify()
        self._plan_wanted.set()

    def _apply_history(self, msg: m.NodeHistory) -> None:
        if tuple(msg.ring) != self.view.ring:
            return
        cib = status_edit.replace_history(self.cib, str(msg.node), msg.uname, msg.history)
        if msg.fresh:
            cib = status_edit.clear_transient(cib, str(msg.node))
        self.cib = status_edit.bump_updates(cib)
        self.view.joined.add(msg.node)
        self.view.pending |= {(msg.node, rsc) for rsc in msg.pending}

    def _apply_node_states(self, msg: m.NodeStates) -> None:
        cib = self.cib
        nodes = list(cib.configuration.nodes)
        known = {c.id for c in nodes}
        added = False
        current = {st.id: st for st in cib.status}
        for row in msg.rows:
            if row.node_id not in known:
                nodes.append(NodeConfig(id=row.node_id, uname=row.uname))
                added = True
            expected = row.expected
            before = current.get(row.node_id)
            if not row.crmd and before is not None and before.expected:
                # The DC computed this row before messages it had not seen yet (a fence result,
                # a clean leave): for a node that is not a member, what the replica holds now
                # decides, or a fenced node would be expected up again and fenced once more.
                expected = before.expected
            cib = status_edit.set_node_state(cib, row.node_id, row.uname, in_ccm=row.in_ccm,
                                             crmd=row.crmd, join=row.join, expected=expected)
        cib = dataclasses.replace(cib, have_quorum=msg.have_quorum, dc_uuid=str(msg.dc))
        if added:
            v = cib.version
            cib = dataclasses.replace(
                cib, configuration=dataclasses.replace(cib.configuration, nodes=tuple(nodes)),
                version=CibVersion(v.admin_epoch, v.epoch + 1, 0))
            self._set_cib(cib, persist=True)
        else:
            self.cib = status_edit.bump_updates(cib)
        self._abort("node states changed")

    def _apply_config(self, msg: m.ConfigReplace) -> None:
        # Only a configuration change (admin_epoch, epoch) conflicts: status updates bump
        # num_updates all the time and must not make operators' commands fail.
        if tuple(msg.read_version)[:2] != self.cib.version.as_tuple()[:2]:
            self._answer(msg.request_id, msg.origin, False, "CIB_CHANGED_UNDERNEATH")
            return
        new, _ = parse_cib(msg.cib_xml)
        config = new.configuration
        # Nodes that are members stay in the nodes section whatever was pushed (the join would
        # add them back anyway); the status is replicated, so every replica adds the same ones.
        listed = {n.id for n in config.nodes}
        missing = tuple(NodeConfig(id=s.id, uname=s.uname or s.id) for s in self.cib.status
                        if s.id not in listed and s.crmd == "online")
        if missing:
            config = dataclasses.replace(config, nodes=config.nodes + missing)
        v = self.cib.version
        cib = dataclasses.replace(self.cib, configuration=config,
                                  version=CibVersion(max(v.admin_epoch, new.version.admin_epoch),
                                                     v.epoch + 1, 0))
        self._set_cib(cib, persist=True)
        self.emit("config", version=list(cib.version.as_tuple()))
        self._answer(msg.request_id, msg.origin, True, cib.version.as_tuple())
        self._abort("configuration changed")

    def _answer(self, request_id: str, origin: int, ok: bool, detail: object) -> None:
        if origin != self.me:
            return
        pending = self.requests.pop(request_id, None)
        if pending is not None and not pending.future.done():
            pending.future.set_result((ok, detail))  # type: ignore[arg-type]

    def _apply_result(self, msg: m.OpResult) -> None:
        if msg.record.interval_ms == 0:
            self.view.pending.discard((msg.node, msg.resource.id))
        cib = status_edit.record_operation(self.cib, str(msg.node), msg.uname, msg.resource,
                                           msg.record)
        if msg.failed:
            cib = status_edit.count_failure(cib, str(msg.node), msg.uname, msg.resource.id,
                                            msg.record.operation, msg.record.interval_ms,
                                            msg.when, msg.fatal)
        self.cib = status_edit.bump_updates(cib)
        self.emit("action", resource=msg.resource.id, task=msg.record.operation,
                  target=msg.uname, rc=msg.record.rc_code, status=msg.record.op_status,
                  failed=msg.failed, transition=msg.transition)
        self._probing.discard(f"{msg.resource.id}@{msg.node}")
        if self.graph is not None and msg.transition == self._transition_id() and msg.action_key:
            self.graph.complete(msg.action_key, not msg.failed)
            if msg.failed:
                self._abort(f"{msg.resource.id} {msg.record.operation} failed")
        elif msg.failed:
            self._abort(f"{msg.resource.id} failed on {msg.uname}")

    def _apply_cleanup(self, msg: m.Cleanup) -> None:
        cib = self.cib
        targets = [s.id for s in cib.status] if msg.node_id is None else [msg.node_id]
        base = msg.resource
        for node_id in targets:
            cib = status_edit.clear_failures(cib, node_id, base)
            cib = status_edit.forget_resource(cib, node_id, base)
        self.cib = status_edit.bump_updates(cib)
        self._answer(msg.request_id, msg.origin, True, self.cib.version.as_tuple())
        self._abort("cleanup")

    def _apply_fence(self, msg: m.FenceResult) -> None:
        if msg in self._unapplied_fences:
            self._unapplied_fences.remove(msg)
        self.fence_history.append(msg)
        self.store.save_fence_history(self.fence_history)
        self._fencing.discard(msg.target)
        self.emit("fencing", target=msg.target, action=msg.action, ok=msg.ok, device=msg.device,
                  detail=msg.detail, executioner=msg.executioner, manual=msg.manual,
                  duration_ms=msg.duration_ms)
        key = f"cluster_stonith_{msg.target}"
        if self.graph is not None and key in self.graph.running:
            self.graph.complete(key, msg.ok)
        if not msg.ok:
            self._fence_failures[msg.target] = self._fence_failures.get(msg.target, 0) + 1
            self._abort(f"fencing of {msg.target} failed")
            return
        self._fence_failures.pop(msg.target, None)
        cib = status_edit.set_node_state(self.cib, msg.target_id, msg.target, in_ccm=False,
                                         crmd=False, join="down", expected="down")
        cib = status_edit.clear_history(cib, msg.target_id, msg.target)
        self.cib = status_edit.bump_updates(status_edit.clear_transient(cib, msg.target_id))
        self._abort(f"{msg.target} was fenced")
        if msg.target_id == str(self.me):
            # We were fenced yet still run: stop everything and leave, as Pacemaker does.
            self._spawn(self._self_fenced())

    async def _self_fenced(self) -> None:
        log.critical("this node was fenced by %s: stopping every resource and leaving",
                     self.fence_history[-1].executioner if self.fence_history else "?")
        for hist in self.executor.history():
            self.executor.cancel_monitors(hist.id)
            last = max(hist.operations, key=lambda r: r.call_id, default=None)
            if last is None or last.operation == "stop":
                continue
            op = Operation(resource=hist.id, standard=hist.standard or "",
                           provider=hist.provider, agent_type=hist.agent_type or "",
                           task="stop", interval_ms=0, timeout_ms=20_000, expected_rc=0,
                           transition_key="fenced")
            with contextlib.suppress(Exception):
                await self.executor.execute(op)
        self.fenced_self.set()
        await self.layer.stop()

    async def request_fence(self, target: str, action: str, manual: bool = False
                            ) -> m.FenceResult:
        """Fence a node now (`vigil stonith fence`) or record an operator's confirmation."""
        nid = self.node_id_of(target)
        if nid is None:
            raise ReportError([reports.error("NODE_NOT_FOUND", node=target)])
        if manual:
            result = m.FenceResult(str(nid), target, action, True, "", "confirmed by an operator",
                                   self.clock.now(), self.name_of(self.me), 0, True)
        else:
            outcome = await self.fencer.fence(self.cib, target, action)
            result = m.FenceResult(str(nid), target, action, outcome.ok, outcome.device,
                                   outcome.detail, self.clock.now(), self.name_of(self.me),
                                   outcome.duration_ms)
        self._unapplied_fences.append(result)
        await self.send(result)
        return result

    async def leave(self) -> None:
        """A clean shutdown: tell the others we are expected down, so nobody fences us."""
        with contextlib.suppress(Exception):
            await self.send(m.Leaving(str(self.me), self.name_of(self.me)))

    # -- requests from the local CLI ---------------------------------------------------------
    async def request_config(self, cib_xml: str, read_version: CibVersion
                             ) -> tuple[bool, object]:
        request_id = f"{self.me}-{next(self._request_ids)}"
        fut: asyncio.Future[tuple[bool, tuple[Report, ...] | m.Version]] = \
            asyncio.get_running_loop().create_future()
        self.requests[request_id] = PendingRequest(fut)
        await self.send(m.ConfigReplace(request_id, self.me, read_version.as_tuple(), cib_xml))
        return await fut

    async def request_cleanup(self, resource: str, node: str | None) -> tuple[bool, object]:
        request_id = f"{self.me}-{next(self._request_ids)}"
        fut: asyncio.Future[tuple[bool, tuple[Report, ...] | m.Version]] = \
            asyncio.get_running_loop().create_future()
        self.requests[request_id] = PendingRequest(fut)
        node_id = None
        if node is not None:
            nid = self.node_id_of(node)
            node_id = str(nid) if nid is not None else node
        await self.send(m.Cleanup(request_id, self.me, resource, node_id))
        return await fut

    # -- executing on this node --------------------------------------------------------------
    async def _execute(self, req: m.ExecRequest) -> None:
        op = Operation(resource=req.resource, standard=req.standard, provider=req.provider,
                       agent_type=req.agent_type, task=req.task, interval_ms=req.interval_ms,
                       timeout_ms=req.timeout_ms, expected_rc=req.expected_rc,
                       transition_key=req.transition, params=req.params, meta=req.meta)
        if req.task == "stop":
            self.executor.cancel_monitors(req.resource)
        try:
            outcome = await self.executor.execute(op)
        finally:
            # no await between the executor recording the result and this: a NodeHistory sent
            # from here on carries the result in its history instead of listing it as pending
            self._running_ops[req.resource] -= 1
            if self._running_ops[req.resource] <= 0:
                del self._running_ops[req.resource]
        await self._report(outcome, req.transition, req.action_key, req.task)
        record = outcome.record
        running = record.rc_code in (0, 8, 190, 191) and record.op_status == 0
        if not outcome.failed and running and req.task in ("start", "promote", "demote", "monitor"):
            self._start_monitors(req)

    def _start_monitors(self, req: m.ExecRequest) -> None:
        for mon in recurring_monitors(self.cib, req.resource, req.task):
            self.executor.start_monitor(mon, self._monitor_report)

    def _monitor_report(self, outcome: Outcome) -> None:
        self._spawn(self._report(outcome, None, None, "monitor"))

    async def _report(self, outcome: Outcome, transition: str | None, action_key: str | None,
                      task: str) -> None:
        start_fatal = task == "start" and outcome.failed and self._start_failure_is_fatal()
        await self.send(m.OpResult(self.me, self.name_of(self.me), outcome.resource,
                                   outcome.record, transition, action_key, outcome.failed,
                                   start_fatal, self.clock.now()))

    def _start_failure_is_fatal(self) -> bool:
        value = self.cib.cluster_option("start-failure-is-fatal")
        return value is None or value.strip().lower() in ("true", "yes", "1", "on", "y")

    # -- the DC: planning and executing ------------------------------------------------------
    def _transition_id(self) -> str:
        return f"{self.transition_no}:{self.me}:{self.view.ring[1]}"

    def _abort(self, why: str) -> None:
        if self.graph is not None and not self._aborted:
            self._aborted = True
            self.emit("transition-abort", reason=why)
        self._plan_wanted.set()

    async def _planner(self) -> None:
        while True:
            # Besides every change, the DC re-plans when a failure expires (failure-timeout)
            # and at least every cluster-recheck-interval, like Pacemaker's recheck timer.
            timeout = self._recheck_in() if self.is_dc else None
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._plan_wanted.wait(), timeout)
            self._plan_wanted.clear()
            try:
                await self._plan_step()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug must not kill the daemon's event loop; log it loudly
                log.exception("planning failed")

    def _recheck_in(self) -> float:
        from vigil.model.durations import parse_interval_ms

        raw = self.cib.cluster_option("cluster-recheck-interval")
        interval = (parse_interval_ms(raw) if raw else None) or 15 * 60_000
        now = self.clock.now()
        soonest = now + interval / 1000
        expiries = _failure_expiries(self.cib, self.transition) if self.transition else []
        for expiry in expiries:
            if expiry > now:
                soonest = min(soonest, expiry + 1)
        return max(0.5, soonest - now)

    async def _plan_step(self) -> None:
        if not self.is_dc or not self.view.synced:
            return
        if not set(self.view.members) <= self.view.joined:
            return
        if self.view.pending:
            return  # an operation that was running at the join: its result re-plans
        if self.graph is not None and self.graph.running:
            if not self._aborted:
                await self._dispatch()
            return  # wait for what runs; results re-trigger planning
        if self.graph is not None and not self._aborted and not self.graph.finished:
            await self._dispatch()
            return
        if self._probing:
            return
        if await self._probe():
            return
        self._aborted = False
        self.transition_no += 1
        self.transition = schedule(self.cib, self.clock.now())
        self.graph = build_graph(self.transition)
        todo = [a for a in self.graph.actions.values() if not a.pseudo]
        if not todo:
            self.graph = None  # nothing to do: the cluster is where it should be
            return
        self.emit("transition-start", transition=self._transition_id(),
                  actions=[f"fence {a.node}" if a.task == "stonith" else
                           f"{a.task} {a.resource} on {a.node}" for a in todo])
        await self._dispatch()

    async def _probe(self) -> bool:
        """Ask every member about resources it has no history for (Pacemaker's probes)."""
        sent = False
        for nid in self.view.members:
            for target in probe_targets(self.cib, str(nid)):
                key = f"{target.resource}@{nid}"
                if key in self._probing:
                    continue
                self._probing.add(key)
                await self.send(m.ExecRequest(
                    transition="probe", action_key=key, node=nid, resource=target.resource,
                    standard=target.standard, provider=target.provider,
                    agent_type=target.agent_type, task="monitor", interval_ms=0,
                    timeout_ms=target.timeout_ms, expected_rc=7, params=target.params,
                    meta=target.meta))
                sent = True
        return sent

    async def _dispatch(self) -> None:
        graph = self.graph
        if graph is None or self._aborted:
            return
        for action in graph.ready():
            await self._send_action(action)
        if graph.finished:
            self.emit("transition-end", transition=self._transition_id(),
                      failed=sorted(graph.failed))

    async def _fence_for_transition(self, target: str) -> None:
        if target in self._fencing:
            return
        if self._fence_failures.get(target, 0) >= MAX_FENCE_ATTEMPTS:
            self.emit("fencing-gave-up", target=target, attempts=MAX_FENCE_ATTEMPTS)
            return
        self._fencing.add(target)
        action = (self.cib.cluster_option("stonith-action") or "reboot").strip().lower()
        if action == "poweroff":
            action = "off"
        self.emit("fencing-requested", target=target, action=action)
        delay = self._priority_delay(target)
        if delay > 0:
            # priority-fencing-delay: the node running the most important resources is fenced
            # last, so in a two-node fence race it is the one that survives.
            await asyncio.sleep(delay)
        try:
            await self.request_fence(target, action)
        except ReportError:
            self._fencing.discard(target)

    def _priority_delay(self, target: str) -> float:
        from vigil.model.durations import parse_interval_ms

        raw = self.cib.cluster_option("priority-fencing-delay")
        delay_ms = parse_interval_ms(raw) if raw else 0
        if not delay_ms or self.transition is None:
            return 0.0
        totals: dict[str, int] = {}
        for a in self.transition.allocations:
            if a.kind == "primitive":
                for node in a.current_nodes:
                    totals[node] = totals.get(node, 0) + a.priority
        mine = totals.get(target, 0)
        others = [v for k, v in totals.items() if k != target]
        return delay_ms / 1000 if mine > max(others, default=0) else 0.0

    async def _send_action(self, action: GraphAction) -> None:
        assert self.graph is not None
        if action.task == "stonith" and action.node is not None:
            self._spawn(self._fence_for_transition(action.node))
            return
        if action.node is None or action.resource is None:
            self.graph.complete(action.key, False)
            return
        nid = self.node_id_of(action.node)
        op = operation_for(self.cib, action.resource, action.task, self._transition_id())
        if nid is None or op is None:
            self.graph.complete(action.key, False)
            return
        await self.send(m.ExecRequest(
            transition=self._transition_id(), action_key=action.key, node=nid,
            resource=op.resource, standard=op.standard, provider=op.provider,
            agent_type=op.agent_type, task=action.task, interval_ms=0, timeout_ms=op.timeout_ms,
            expected_rc=op.expected_rc, params=op.params, meta=op.meta))


MAX_FENCE_ATTEMPTS = 10  # stonith-max-attempts' default


def _failure_expiries(cib: Cib, transition: Transition) -> list[int]:
    """When each recorded failure stops counting: its last-failure time plus the resource's
    failure-timeout, as the scheduler resolved it (Allocation.failure_timeout_s)."""
    timeouts = {a.resource: a.failure_timeout_s for a in transition.allocations}
    out = []
    for state in cib.status:
        for nvset in state.transient_attributes:
            for pair in nvset.pairs:
                if not pair.name.startswith("last-failure-") or not (pair.value or "").isdigit():
                    continue
                timeout = timeouts.get(pair.name[len("last-failure-"):].split("#")[0], 0)
                if timeout > 0:
                    out.append(int(pair.value or 0) + timeout)
    return out
