"""Pacemaker CIB XML codec: read, validate, write."""
