"""For scale: pgbench's rate for a single-row UPDATE on the same PostgreSQL server."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.db import connection

from orchestration.benchmarks.support import Bench


def run(bench: Bench) -> None:
    for clients in (1, 4):
        tps = rate(bench, clients, bench.options["pgbench_seconds"])
        bench.out(
            f"pgbench single-row UPDATE, {clients} client(s): "
            + (f"{tps:8.0f} transactions/s" if tps else "not available")
        )


def rate(bench: Bench, clients: int, seconds: int) -> float | None:
    binary = shutil.which("pgbench") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True)), None
    )
    if binary is None:
        bench.stderr.write("pgbench not found (Debian: apt-get install postgresql-client)")
        return None
    db = connection.settings_dict
    scratch = "plangate_pgbench"
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432)}
    if db["USER"]:
        env["PGUSER"] = db["USER"]
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    with bench.admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {scratch}")
        admin.execute(f"CREATE DATABASE {scratch}")
    try:
        subprocess.run(  # noqa: S603 - pgbench, found on PATH, with our own arguments
            [str(binary), "-i", "-q", "-s", "1", scratch],
            env=env,
            check=True,
            capture_output=True,
        )
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
            script.write(
                "\\set aid random(1, 100000)\n"
                "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = :aid;\n"
            )
        try:
            run = subprocess.run(  # noqa: S603 - as above
                [
                    str(binary),
                    "-n",
                    "-c",
                    str(clients),
                    "-j",
                    str(min(clients, os.cpu_count() or 1)),
                    "-T",
                    str(seconds),
                    "-f",
                    script.name,
                    scratch,
                ],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
        finally:
            os.unlink(script.name)
    finally:
        with bench.admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {scratch}")
    found = re.search(r"tps = ([\d.]+)", run.stdout)
    return float(found.group(1)) if found else None
