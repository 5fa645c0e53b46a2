"""The policy engine: (CIB, now) -> Transition. Pure and deterministic."""
