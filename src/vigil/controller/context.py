"""The accumulator of one step: the state as it evolves and the effects gathered so far.

Each step starts one `Step`, the rule modules update `state` and append effects, and `step()`
returns both; nothing is applied until the shell gets them (kopf's Patch, in the small).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from vigil.controller import effects as fx
from vigil.controller.messages import Message
from vigil.controller.state import State
from vigil.model.cib import Cib


@dataclass
class Step:
    state: State
    now: float
    effects: list[fx.Effect] = field(default_factory=list)

    def emit(self, kind: str, **fields: object) -> None:
        node = self.state.name_of(self.state.me)
        self.effects.append(fx.Emit(kind, (("node", node), *fields.items())))

    def send(self, message: Message) -> None:
        self.effects.append(fx.Broadcast(message))

    def set_cib(self, cib: Cib, *, persist: bool) -> None:
        self.state = dataclasses.replace(self.state, cib=cib)
        if persist:
            self.effects.append(fx.PersistCib(cib))

    def want_plan(self) -> None:
        if not self.state.plan_wanted:
            self.state = dataclasses.replace(self.state, plan_wanted=True)

    def abort(self, why: str) -> None:
        """The world changed under the transition in progress: plan again once what runs ends."""
        plan = self.state.plan
        if plan.graph is not None and not plan.aborted:
            self.state = dataclasses.replace(self.state, plan=dataclasses.replace(plan, aborted=True))
            self.emit("transition-abort", reason=why)
        self.want_plan()
