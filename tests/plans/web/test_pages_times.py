"""Times on the pages name their time zone ("2026-11-29 20:41 UTC") and carry the exact instant
in a <time datetime> element."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.utils import timezone

from tests.factories import approve, submit_plan


def test_it_shows_times_with_their_time_zone(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team, title="Zoned"))
    client.force_login(reviewer)
    created = timezone.localtime(plan.created_at)

    detail = client.get(f"/plans/{plan.pk}/").content.decode()
    listing = client.get("/").content.decode()

    shown = f"{created:%Y-%m-%d %H:%M} UTC</time>"
    assert f'<time datetime="{plan.created_at.isoformat()}">{shown}' in detail
    assert shown in listing
    # The approval and every event say it too.
    assert re.search(r"<dt>Approved</dt>.*? UTC</time>", detail, re.S)
    events = detail[detail.index('<section id="plan-events"') :]
    assert (
        len(
            re.findall(
                r"<time datetime=\"[^\"]+\">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</time>", events
            )
        )
        == 2
    )
