"""The `vigil` command line: argument parsing (pcs grammar) and rendering. Thin."""
