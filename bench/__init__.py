"""Measurements: `make bench` (HTTP against Prism and the ceiling, crash safety, in-process)."""
