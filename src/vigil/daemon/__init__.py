"""vigild: the per-node daemon (controller): CIB replica, DC election, planning, execution."""
