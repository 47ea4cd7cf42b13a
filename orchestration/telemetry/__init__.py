"""Telemetry: OpenTelemetry traces of plan runs (tracing.py), the worker's own Prometheus
metrics (worker_metrics.py) and the web process's /metrics, read from the database at scrape
time (collector.py, views.py). The worker calls in through hooks.py."""
