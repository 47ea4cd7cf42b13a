"""A worker's own Prometheus metrics: how long attempts take, how long steps wait to be claimed,
how long the claim statement takes, and how many steps it claimed and finished.

They live in the worker process, in a registry of their own (`REGISTRY`), served by
prometheus-client's HTTP server when the worker is started with `--metrics-port`
(settings.PLANGATE_WORKER_METRICS_PORT) on settings.PLANGATE_METRICS_BIND. Counting costs a lock
and an addition; the claim latency needs one more small query per claim, made only while the
server runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING
from wsgiref.simple_server import WSGIServer

from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from plans.telemetry import selectors

if TYPE_CHECKING:
    from orchestration.engine.claims import Claim

logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

# From a few milliseconds (echo, combine) to the longest default timeout (300 s) and past it.
ATTEMPT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
STATEMENT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)

ATTEMPT_SECONDS = Histogram(
    "plangate_worker_attempt_seconds",
    "Seconds a step attempt ran, from its claim to its outcome, by executor and status "
    "(completed, failed, refused: the step had moved on; stopped: cancelled, reclaimed or "
    "released).",
    ["executor", "status"],
    buckets=ATTEMPT_BUCKETS,
    registry=REGISTRY,
)
CLAIM_LATENCY = Histogram(
    "plangate_worker_claim_latency_seconds",
    "Seconds from a step becoming ready (its plan started, its dependencies done, its gate "
    "approved, its retry due) to a worker claiming it, by executor. Fan-out items are not "
    "counted.",
    ["executor"],
    buckets=WAIT_BUCKETS,
    registry=REGISTRY,
)
CLAIM_STATEMENT_SECONDS = Histogram(
    "plangate_worker_claim_statement_seconds",
    "Seconds one claim (the statements that lock plans and claim their ready steps) took, "
    "whether it found steps or not.",
    buckets=STATEMENT_BUCKETS,
    registry=REGISTRY,
)
STEPS_CLAIMED = Counter(
    "plangate_worker_steps_claimed",
    "Step attempts this worker claimed, by executor.",
    ["executor"],
    registry=REGISTRY,
)
STEPS_FINISHED = Counter(
    "plangate_worker_steps_finished",
    "Step attempts this worker ended, by executor and status (as for attempt_seconds).",
    ["executor", "status"],
    registry=REGISTRY,
)


class _Server:
    server: WSGIServer | None = None
    thread: threading.Thread | None = None


_served = _Server()


def serve(port: int, addr: str) -> int:
    """Serve this process's worker metrics on addr:port (port 0: any free one); returns the port.
    Raises OSError when the address is taken."""
    if _served.server is not None:
        return int(_served.server.server_address[1])
    server, thread = start_http_server(port, addr=addr, registry=REGISTRY)
    _served.server, _served.thread = server, thread
    bound = int(server.server_address[1])
    logger.info("worker metrics served on http://%s:%d/metrics", addr, bound)
    return bound


def stop() -> None:
    """Stop serving (tests, and the end of a worker)."""
    server, thread = _served.server, _served.thread
    _served.server = _served.thread = None
    if server is not None:
        server.shutdown()
        server.server_close()
    if thread is not None:
        thread.join(timeout=5)


def serving() -> bool:
    return _served.server is not None


def steps_claimed(claims: Sequence[Claim], seconds: float) -> None:
    """Count a claim: its statement's duration, the steps it took and how long they had been
    ready."""
    CLAIM_STATEMENT_SECONDS.observe(seconds)
    for claim in claims:
        STEPS_CLAIMED.labels(claim.executor).inc()
    if not claims or not serving():
        return
    now = timezone.now()
    ready = selectors.step_ready_times(c.id for c in claims if c.parent_id is None)
    for claim in claims:
        since = ready.get(claim.id)
        if since is not None:
            CLAIM_LATENCY.labels(claim.executor).observe(max((now - since).total_seconds(), 0.0))


def attempt_ended(claim: Claim, status: str, seconds: float) -> None:
    ATTEMPT_SECONDS.labels(claim.executor, status).observe(seconds)
    STEPS_FINISHED.labels(claim.executor, status).inc()
