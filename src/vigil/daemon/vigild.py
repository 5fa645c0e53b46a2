"""vigild: one per node, on the node's Corosync. A thin asyncio shell around vigil.controller.

The shell turns Corosync callbacks, executor and fencer results, timers and local requests into
controller events, feeds them one at a time to `controller.step`, and applies the effects it
returns, in order, in one place (`_apply`). Every decision is the controller's; see
vigil.controller.core for where each rule lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass

from vigil import controller
from vigil.cluster.layer import ClusterLayer, Delivery, Membership, QuorumChange
from vigil.controller import effects as fx
from vigil.controller import events as ev
from vigil.controller import messages as m
from vigil.controller.operations import Operation, Outcome
from vigil.controller.state import Attributes, State, View
from vigil.daemon.local_executor import identity
from vigil.daemon.ports import (
    AlertRunner,
    CibStore,
    Clock,
    Fencer,
    LocalExecutor,
    NoAlerts,
    NoFencer,
)
from vigil.model import ocf, reports
from vigil.model.cib import Cib
from vigil.model.fencing import FenceOutcome, FenceStatus
from vigil.model.reports import ReportError
from vigil.model.status import OperationRecord
from vigil.model.version import CibVersion
from vigil.scheduler.transition import Transition

log = logging.getLogger("vigild")

@dataclass(frozen=True)
class _LayerLost:
    """The cluster layer's event stream ended with an error (ClusterUnavailable, mostly)."""

    error: BaseException


class Vigild:
    def __init__(self, layer: ClusterLayer, executor: LocalExecutor, store: CibStore,
                 clock: Clock, *, event_sink: Callable[[dict[str, object]], None] | None = None,
                 fencer: Fencer | None = None, alerts: AlertRunner | None = None) -> None:
        self.layer = layer
        self.executor = executor
        self.store = store
        self.clock = clock
        self.fencer: Fencer = fencer or NoFencer()
        self.alerts: AlertRunner = alerts or NoAlerts()
        self._alert_sequence = itertools.count(1)  # CRM_alert_node_sequence: this node's count
        self._event_sink = event_sink
        # Durable (store): a restart of every node must not forget who was fenced when.
        self.state: State = controller.initial_state(0, store.load(),
                                                     tuple(store.load_fence_history()))
        self._queue: asyncio.Queue[ev.Event | _LayerLost] = asyncio.Queue()
        self._answers: dict[str, asyncio.Future[fx.Answer]] = {}
        self._request_ids = itertools.count(1)
        self._timers: dict[ev.Timer, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self.fenced_self = asyncio.Event()
        self.changed = asyncio.Condition()  # notified after every step (for IPC waits)

    # -- what the control socket and tests read ----------------------------------------------
    @property
    def me(self) -> int:
        return self.state.me

    @property
    def cib(self) -> Cib:
        return self.state.cib

    @property
    def view(self) -> View:
        return self.state.view

    @property
    def quorum(self) -> QuorumChange | None:
        return self.state.quorum

    @property
    def fence_history(self) -> list[m.FenceResult]:
        return list(self.state.fencing.history)

    @property
    def transition(self) -> Transition | None:
        return self.state.plan.transition

    @property
    def names(self) -> Mapping[int, str]:
        return self.state.names

    @property
    def dc(self) -> int | None:
        return self.state.dc

    @property
    def is_dc(self) -> bool:
        return self.state.is_dc

    @property
    def running_operations(self) -> int:
        """Operations the cluster asked of this node that have not finished."""
        return sum(self.state.running_ops.values())

    @property
    def node_attributes(self) -> Attributes:
        return self.state.attributes

    def name_of(self, node: int) -> str:
        return self.state.name_of(node)

    def node_id_of(self, name: str) -> int | None:
        return self.state.node_id_of(name)

    # -- main loop ---------------------------------------------------------------------------
    async def run(self) -> None:
        await self.layer.start()
        self.state = controller.with_names(dataclasses.replace(self.state, me=int(self.layer.local_node)),
                                           {int(k): v for k, v in self.layer.node_names().items()})
        self._spawn(self._pump_layer())
        try:
            while True:
                event = await self._queue.get()
                if isinstance(event, _LayerLost):
                    raise event.error
                await self._step(event)
                if controller.wants_plan(self.state) and self._queue.empty():
                    await self._step(ev.PlanDue())
        finally:
            for handle in self._timers.values():
                handle.cancel()
            for task in list(self._tasks):
                task.cancel()

    async def _pump_layer(self) -> None:
        try:
            async for event in self.layer.events():
                if isinstance(event, Membership):
                    names = tuple((int(k), v) for k, v in self.layer.node_names().items())
                    self._queue.put_nowait(ev.ViewChanged(
                        event.ring_id, tuple(int(n) for n in event.members),
                        tuple(int(n) for n in event.left), names))
                elif isinstance(event, QuorumChange):
                    self._queue.put_nowait(ev.QuorumChanged(event))
                elif isinstance(event, Delivery):
                    try:
                        msg = m.decode(event.payload)
                    except m.BadMessage as exc:
                        log.warning("dropping undecodable message from %s: %s", event.sender, exc)
                        continue
                    self._queue.put_nowait(ev.Delivered(int(event.sender), msg))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to run(), which raises it
            self._queue.put_nowait(_LayerLost(exc))

    async def _step(self, event: ev.Event) -> None:
        try:
            self.state, effects = controller.step(self.state, event, self.clock.now())
        except Exception:  # a bug must not kill the daemon's event loop; log it loudly
            log.exception("the controller failed on %s", type(event).__name__)
            return
        await self._apply(effects)
        async with self.changed:
            self.changed.notify_all()

    def _spawn(self, coro: Coroutine[object, object, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- effects, applied in one place -------------------------------------------------------
    async def _apply(self, effects: tuple[fx.Effect, ...]) -> None:
        for e in effects:
            if isinstance(e, fx.Broadcast):
                await self.send(e.message)
            elif isinstance(e, fx.BroadcastJoin):
                # the executor's history as it is now, with no await before the send's encoding:
                # a result recorded later is in `pending` (see BroadcastJoin)
                st = self.state
                await self.send(m.NodeHistory(e.ring, st.me, st.name_of(st.me),
                                              self.executor.history(), e.fresh, e.pending,
                                              e.attributes, e.private))
            elif isinstance(e, fx.PersistCib):
                self.store.save(e.cib)
            elif isinstance(e, fx.PersistFenceHistory):
                self.store.save_fence_history(e.history)
            elif isinstance(e, fx.Execute):
                self._spawn(self._execute(e.request, e.operation))
            elif isinstance(e, fx.StartMonitors):
                for op in e.operations:
                    self.executor.start_monitor(op, self._monitor_changed)
            elif isinstance(e, fx.CancelMonitors):
                self.executor.cancel_monitors(e.resource, e.remote)
            elif isinstance(e, fx.Fence):
                self._spawn(self._fence(e))
            elif isinstance(e, fx.Answer):
                future = self._answers.pop(e.request_id, None)
                if future is not None and not future.done():
                    future.set_result(e)
            elif isinstance(e, fx.Emit):
                if self._event_sink is not None:
                    self._event_sink({"event": e.kind, **dict(e.fields)})
            elif isinstance(e, fx.SetTimer):
                old = self._timers.pop(e.timer, None)
                if old is not None:
                    old.cancel()
                self._timers[e.timer] = asyncio.get_running_loop().call_later(
                    e.after_s, self._queue.put_nowait, ev.TimerFired(e.timer))
            elif isinstance(e, fx.StopEverythingAndLeave):
                self._spawn(self._self_fenced(e.fenced_by))
            elif isinstance(e, fx.RunAlerts):
                for call in e.calls:
                    self._spawn(self._alert(call, next(self._alert_sequence)))

    async def send(self, msg: m.Message) -> None:
        await self.layer.broadcast(m.encode(msg))

    async def _execute(self, req: m.ExecRequest, op: Operation) -> None:
        try:
            outcome = await self.executor.execute(op)
        except Exception as exc:  # the executor reports agent failures itself; this is a bug
            log.exception("executing %s %s failed", op.task, op.resource)
            outcome = _could_not_run(op, str(exc))
        self._queue.put_nowait(ev.OperationFinished(req, outcome))

    def _monitor_changed(self, outcome: Outcome) -> None:
        self._queue.put_nowait(ev.MonitorChanged(outcome))

    async def _alert(self, call: fx.AlertCall, sequence: int) -> None:
        try:
            problem = await self.alerts.run(call, sequence)
        except Exception as exc:  # the runner reports agent trouble itself; this is a bug
            log.exception("running alert %s failed", call.alert_id)
            problem = f"the alert runner failed: {exc}"
        if problem is not None:
            log.warning("alert %s (recipient %s): %s", call.alert_id, call.recipient_id, problem)
            if self._event_sink is not None:
                self._event_sink({"event": "alert-failed", "alert": call.alert_id,
                                  "recipient": call.recipient_id, "problem": problem})

    async def _fence(self, e: fx.Fence) -> None:
        # Every attempt is reported back, also one that raised: the controller must learn the
        # fence is no longer in flight, or the target would never be fenced again.
        try:
            if e.delay_s > 0:
                await asyncio.sleep(e.delay_s)
            outcome = await self.fencer.fence(self.cib, e.target, e.action)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("fencing %s failed", e.target)
            outcome = FenceOutcome(target=e.target, action=e.action, status=FenceStatus.FAILED,
                                   detail=f"the fencer failed: {exc}")
        self._queue.put_nowait(ev.FenceFinished(e.target, e.action, outcome, e.request_id))

    async def _self_fenced(self, fenced_by: str) -> None:
        log.critical("this node was fenced by %s: stopping every resource and leaving", fenced_by)
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

    # -- requests from the local CLI ---------------------------------------------------------
    async def _request(self, make: Callable[[str], ev.Event]) -> fx.Answer:
        request_id = f"{self.me}-{next(self._request_ids)}"
        future: asyncio.Future[fx.Answer] = asyncio.get_running_loop().create_future()
        self._answers[request_id] = future
        self._queue.put_nowait(make(request_id))
        try:
            return await future
        finally:
            self._answers.pop(request_id, None)

    async def request_config(self, cib_xml: str, read_version: CibVersion) -> tuple[bool, object]:
        """(True, new version) or (False, the refusal's code)."""
        answer = await self._request(lambda rid: ev.ConfigPushRequested(
            rid, cib_xml, read_version.as_tuple()))
        return (True, answer.version) if answer.ok else (False, answer.code)

    async def request_cleanup(self, resource: str, node: str | None) -> tuple[bool, object]:
        answer = await self._request(lambda rid: ev.CleanupRequested(rid, resource, node))
        return answer.ok, answer.version

    async def request_ticket(self, ticket: str, change: str) -> tuple[bool, object]:
        answer = await self._request(lambda rid: ev.TicketRequested(rid, ticket, change))
        return answer.ok, answer.version

    async def request_forget(self, node: str) -> tuple[bool, object]:
        answer = await self._request(lambda rid: ev.ForgetNodeRequested(rid, node))
        return (True, answer.version) if answer.ok else (False, answer.code)

    async def request_attribute(self, node_id: str, uname: str, name: str, value: str | None,
                                *, private: bool = False, delay_ms: int | None = None
                                ) -> tuple[bool, object]:
        """Set (None: delete) a node attribute through attrd (controller.attributes)."""
        answer = await self._request(lambda rid: ev.AttributeRequested(
            node_id, uname, name, value, private, delay_ms, rid))
        return (True, answer.version) if answer.ok else (False, answer.code)

    async def request_config_attribute(self, section: str, node_id: str | None, name: str,
                                       value: str | None, set_id: str | None = None
                                       ) -> tuple[bool, object]:
        """Set (None: delete) a permanent node attribute or a cluster option."""
        answer = await self._request(lambda rid: ev.ConfigAttributeRequested(
            rid, section, node_id, name, value, set_id))
        return (True, answer.version) if answer.ok else (False, answer.code)

    async def request_fence(self, target: str, action: str, manual: bool = False
                            ) -> m.FenceResult:
        """Fence a node now (`vigil stonith fence`) or record an operator's confirmation."""
        answer = await self._request(lambda rid: ev.FenceRequested(rid, target, action, manual))
        if answer.fence is None:
            raise ReportError(list(answer.reports) or [reports.error(answer.code or "FENCE_FAILED",
                                                                     node=target)])
        return answer.fence

    async def leave(self) -> None:
        """A clean shutdown: tell the others we are expected down, so nobody fences us."""
        with contextlib.suppress(Exception):
            _, effects = controller.step(self.state, ev.LeaveRequested(), self.clock.now())
            await self._apply(effects)


def _could_not_run(op: Operation, why: str) -> Outcome:
    record = OperationRecord(id=f"{op.resource}_last_failure_0", operation=op.task, call_id=0,
                             rc_code=int(ocf.OcfResult.ERR_GENERIC),
                             op_status=int(ocf.ExecStatus.ERROR), interval_ms=op.interval_ms,
                             exit_reason=why)
    return Outcome(identity(op), record)
