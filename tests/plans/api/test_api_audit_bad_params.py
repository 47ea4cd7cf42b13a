"""Bad parameters of the audit export: a 422 naming each one."""

from __future__ import annotations

from typing import Any


def problems(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.content
    return [p["loc"] for p in response.json()["detail"]]


def test_it_refuses_times_without_a_time_zone_or_not_times(api: Any) -> None:
    locs = problems(api.get("/audit", since="2026-03-01T00:00:00", until="next week"))

    assert ["query", "since"] in locs and ["query", "until"] in locs
    assert problems(api.get("/audit", until="1700000000")) == [["query", "until"]]


def test_it_refuses_a_period_that_ends_before_it_starts(api: Any) -> None:
    locs = problems(api.get("/audit", since="2026-03-02T00:00:00Z", until="2026-03-01T00:00:00Z"))

    assert locs == [["query", "until"]]


def test_it_refuses_an_unknown_format_and_a_made_up_cursor(api: Any) -> None:
    assert problems(api.get("/audit", format="xml")) == [["query", "format"]]
    assert problems(api.get("/audit", cursor="not-a-cursor")) == [["query", "cursor"]]
