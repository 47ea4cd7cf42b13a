"""`manage.py runworker`: run approved plans, step by step, until stopped."""

from __future__ import annotations

import gc
import logging
import os
import signal
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from orchestration.engine.worker import DEFAULT_GRACE_SECONDS, Worker
from orchestration.telemetry import tracing, worker_metrics
from plans import realtime

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Command(BaseCommand):
    help = (
        "Start approved plans and run their ready steps through the executors, several at once. "
        "Run one or many, on one or many machines. SIGTERM or SIGINT stops claiming steps and "
        "waits for running ones (up to --grace seconds); a second signal exits at once. "
        "With --once, exits when nothing is left to do."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency",
            type=int,
            default=settings.PLANGATE_WORKER_CONCURRENCY,
            help="How many steps to run at once (default: %(default)s).",
        )
        parser.add_argument(
            "--poll",
            type=float,
            default=settings.PLANGATE_WORKER_POLL_SECONDS,
            metavar="SECONDS",
            help="How often to look for work when idle (default: %(default)s).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Exit when no plan is waiting to start and no step is ready or running.",
        )
        parser.add_argument(
            "--grace",
            type=float,
            default=DEFAULT_GRACE_SECONDS,
            metavar="SECONDS",
            help=(
                "On stop, how long to wait for running steps; steps still running then are "
                "stopped and released to other workers, and the process exits with status 1 "
                "(default: %(default)s)."
            ),
        )
        parser.add_argument(
            "--lease",
            type=float,
            default=settings.PLANGATE_LEASE_SECONDS,
            metavar="SECONDS",
            help=(
                "Lease on each running step, renewed every third of it; if this worker dies, "
                "others take its steps this long after (default: %(default)s)."
            ),
        )
        parser.add_argument(
            "--name", default="", help="Name in the event log (default: <hostname>:<pid>)."
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=settings.PLANGATE_WORKER_METRICS_PORT,
            metavar="PORT",
            help=(
                "Serve this worker's Prometheus metrics on this port, on PLANGATE_METRICS_BIND "
                "(default: %(default)s; 0: not served)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        if options["poll"] <= 0:
            raise CommandError("--poll must be a positive number of seconds")
        if options["grace"] < 0:
            raise CommandError("--grace must not be negative")
        if options["lease"] <= 0:
            raise CommandError("--lease must be a positive number of seconds")
        if not 0 <= options["metrics_port"] <= 65535:
            raise CommandError("--metrics-port must be a port number (0: none)")
        tracing.use_service(tracing.WORKER_SERVICE)
        if options["metrics_port"]:
            try:
                worker_metrics.serve(options["metrics_port"], settings.PLANGATE_METRICS_BIND)
            except OSError as error:
                raise CommandError(
                    f"cannot serve metrics on {settings.PLANGATE_METRICS_BIND}:"
                    f"{options['metrics_port']}: {error}"
                ) from error
        worker = Worker(
            name=options["name"] or None,
            concurrency=options["concurrency"],
            poll_seconds=options["poll"],
            grace_seconds=options["grace"],
            lease_seconds=options["lease"],
        )

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if worker.stopping:
                # Only async-signal-safe calls here: the interrupted code may hold any lock.
                os.write(
                    2,
                    b"runworker: second signal, exiting now; running steps go to other workers "
                    b"when their leases expire\n",
                )
                os._exit(128 + signum)
            worker.stop(from_signal=True)

        previous = {sig: signal.signal(sig, on_signal) for sig in STOP_SIGNALS}
        # Recording a step must not wait for Redis: pages are nudged from a thread of their own.
        realtime.publish_in_background()
        # What is loaded by now (Django, the apps, the executors' modules) lives as long as the
        # process: frozen, the collector's full passes, which a worker running thousands of steps
        # a second sets off often, no longer walk it in the middle of a step's hop.
        gc.collect()
        gc.freeze()
        try:
            worker.run_forever(once=options["once"])
        finally:
            realtime.publish_in_foreground()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            # Spans still in the batch processor go out before the process ends.
            tracing.flush()
            worker_metrics.stop()
        if worker.abandoned:
            # Their threads cannot be stopped and would keep the interpreter from exiting.
            logging.shutdown()
            os._exit(1)
