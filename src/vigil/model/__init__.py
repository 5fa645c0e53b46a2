"""Frozen data of the cluster: configuration, status, scores and reports. No I/O."""
