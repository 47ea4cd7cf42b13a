"""The benchmark command runs end to end and prints every figure it promises."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from plans.models import Plan, Team


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_prints_throughput_latency_and_pgbench_and_cleans_up() -> None:
    out = StringIO()
    call_command(
        "benchmark",
        "--steps=40",
        "--steps-per-plan=20",
        "--workers=1,2",
        "--concurrency=8",
        "--latency-samples=5",
        "--pgbench-seconds=1",
        "--parts=throughput,latency,pgbench",
        stdout=out,
    )
    text = out.getvalue()
    assert re.search(r"1 worker\(s\):\s+\d+ steps/s", text), text
    assert re.search(r"2 worker\(s\):\s+\d+ steps/s", text), text
    assert re.search(r"p50 [\d.]+ ms, p99 [\d.]+ ms", text), text
    assert re.search(r"pgbench single-row UPDATE, 4 client\(s\):\s+\d+ transactions/s", text), text
    assert "API" not in text
    assert not Plan.objects.exists()
    assert not Team.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_database_other_than_postgresql(monkeypatch) -> None:
    # As on the embedded SQLite default.
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="the benchmark needs PostgreSQL"):
        call_command("benchmark")


@pytest.mark.django_db
def test_it_refuses_an_unknown_part(monkeypatch) -> None:
    monkeypatch.setattr(connection, "vendor", "postgresql")
    with pytest.raises(CommandError, match="--parts must be"):
        call_command("benchmark", "--parts=throughput,web")
