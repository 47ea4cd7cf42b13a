"""Telemetry's reads of the domain: what /metrics counts and what traces need (selectors.py).
The traces and metrics themselves are the project's wiring: orchestration/telemetry/."""
