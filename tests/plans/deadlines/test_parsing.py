"""What a submitted decision_deadline means, checked without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from plans.deadlines.rules import DeadlineInvalid, check_on_timeout, parse_deadline

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def test_it_reads_seconds_as_from_now():
    assert parse_deadline(3600, now=NOW).at(NOW) == NOW + timedelta(hours=1)
    assert parse_deadline(1.5, now=NOW).at(NOW) == NOW + timedelta(seconds=1.5)


def test_it_reads_an_iso_time_with_its_zone():
    deadline = parse_deadline("2030-01-01T15:00:00+01:00", now=NOW)
    assert deadline.at(NOW) == datetime(2030, 1, 1, 14, 0, tzinfo=UTC)
    assert parse_deadline("2030-01-02T00:00:00Z", now=NOW).until == datetime(2030, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (0, "positive"),
        (-5, "positive"),
        (True, "seconds"),
        ("2030-01-01T13:00:00", "time zone"),
        ("2029-12-31T23:00:00Z", "passed"),
        ("tomorrow", "neither seconds nor an ISO 8601 time"),
        (10**9, "at most"),
        ([60], "seconds"),
    ],
)
def test_it_refuses_what_is_no_deadline(value, says):
    with pytest.raises(DeadlineInvalid, match=says):
        parse_deadline(value, now=NOW)


def test_it_allows_skip_on_gates_only():
    assert check_on_timeout("skip", gate=True) is None
    assert "must be" in check_on_timeout("skip", gate=False)


def test_it_names_the_team_setting_when_approve_is_not_allowed():
    assert "allow_approve_on_timeout" in check_on_timeout(
        "approve", gate=False, allow_approve=False
    )
    assert check_on_timeout("approve", gate=False, allow_approve=True) is None
