"""vigild's decisions, pure: `step(state, event, now) -> (state, effects)` (see core)."""

from vigil.controller.core import step, wants_plan, with_names
from vigil.controller.state import State, initial_state

__all__ = ["State", "initial_state", "step", "wants_plan", "with_names"]
