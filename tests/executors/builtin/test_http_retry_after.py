"""A 429's Retry-After header becomes the outcome's retry_after, in either of its two forms."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from executors.builtin.http import HttpExecutor, parse_retry_after
from executors.protocol import FailureClass, StepSpec

NOW = datetime(2025, 3, 4, 12, 0, 0, tzinfo=UTC)


def post(url: str):
    return asyncio.run(
        HttpExecutor().run(StepSpec(plan_id="p1", step_key="s", task="t", params={"url": url}))
    )


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("7", 7.0), (" 120 ", 120.0)])
def test_parse_retry_after__reads_delay_seconds(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds


def test_parse_retry_after__reads_an_http_date_as_seconds_from_now():
    assert parse_retry_after("Tue, 04 Mar 2025 12:01:30 GMT", now=NOW) == 90.0


def test_parse_retry_after__reads_a_date_without_a_zone_as_utc():
    assert parse_retry_after("Tue, 04 Mar 2025 12:00:05 -0000", now=NOW) == 5.0


def test_parse_retry_after__gives_zero_for_a_date_already_past():
    assert parse_retry_after("Tue, 04 Mar 2025 11:00:00 GMT", now=NOW) == 0.0


@pytest.mark.parametrize(
    "value", [None, "", "soon", "-5", "1.5", "5s", "²", "Tue, 99 Mar 2025 12:00:00 GMT"]
)
def test_parse_retry_after__ignores_garbage(value):
    assert parse_retry_after(value, now=NOW) is None


def test_it_gives_a_429_the_retry_after_in_seconds(server):
    url = server.answer("/busy", 429, "slow down", "text/plain", **{"Retry-After": "7"})
    outcome = post(url)
    assert outcome.failure_class == FailureClass.RATE_LIMITED
    assert outcome.retry_after == 7.0


def test_it_gives_a_429_the_retry_after_of_an_http_date(server):
    when = datetime.now(UTC) + timedelta(seconds=30)
    url = server.answer(
        "/busy", 429, "slow down", "text/plain", **{"Retry-After": format_datetime(when, True)}
    )
    outcome = post(url)
    assert outcome.failure_class == FailureClass.RATE_LIMITED
    assert outcome.retry_after is not None
    assert 25 <= outcome.retry_after <= 30


def test_it_leaves_retry_after_unset_for_a_garbage_header(server):
    url = server.answer("/busy", 429, "slow down", "text/plain", **{"Retry-After": "later"})
    outcome = post(url)
    assert outcome.failure_class == FailureClass.RATE_LIMITED
    assert outcome.retry_after is None


def test_it_ignores_retry_after_on_other_statuses(server):
    url = server.answer("/down", 503, "maintenance", "text/plain", **{"Retry-After": "7"})
    outcome = post(url)
    assert outcome.failure_class == FailureClass.EXECUTOR_ERROR
    assert outcome.retry_after is None
