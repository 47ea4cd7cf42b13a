"""The production web server command, in one place.

Plangate is served by uvicorn with several worker processes sharing one listening socket: HTTP
and WebSockets on the same port, one process per CPU core. The README's Production section shows
this command; `manage.py benchmark` starts it to measure the API, and a PostgreSQL test starts it
to prove it.
"""

from __future__ import annotations

APPLICATION = "orchestration.asgi:application"
# In-flight requests get this long to finish after SIGTERM; open live-page sockets are closed at
# once with 1012 ("service restart"), and the pages reconnect to another server.
GRACEFUL_SHUTDOWN_SECONDS = 10


def uvicorn_args(*, host: str, port: int, workers: int) -> list[str]:
    """Arguments for `python -m uvicorn` (or the `uvicorn` script) serving Plangate with
    `workers` processes on `host:port`."""
    return [
        "-m",
        "uvicorn",
        APPLICATION,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        # Channels' router has no lifespan handler: without this, every worker starts by
        # probing it and logging that it failed.
        "--lifespan",
        "off",
        "--timeout-graceful-shutdown",
        str(GRACEFUL_SHUTDOWN_SECONDS),
    ]


def daphne_args(*, host: str, port: int) -> list[str]:
    """Arguments for `python -m daphne`: one process, the embedded set-up's server."""
    return ["-m", "daphne", "-b", host, "-p", str(port), APPLICATION]
