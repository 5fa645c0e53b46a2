"""vigild: the asyncio shell around vigil.controller on each node; its control socket and store."""
