"""Batch approval from the inbox page, without JavaScript: each selected plan is approved as of
the version its row showed; a plan that changed since is refused and named, the rest go through."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans.models import Plan
from tests.plans.inbox.helpers import draft, revise


def test_it_approves_the_selection_and_lists_the_stale_plan(
    client: Client, reviewer: Any, team: Any
) -> None:
    plans = [draft(team, f"Plan {name}") for name in "ABC"]
    revise(plans[2])  # Plan C is at version 2 when the inbox opens
    client.force_login(reviewer)
    page = client.get("/inbox").content.decode()
    selected = re.findall(r'name="item" value="([^"]+)" form="inbox-batch"', page)
    assert len(selected) == 3
    revise(plans[1])  # Plan B changes after the reviewer opened the inbox

    response = client.post("/inbox/approve", {"item": selected}, follow=True)

    body = response.content.decode()
    statuses = dict(Plan.objects.values_list("title", "status"))
    assert statuses == {"Plan A": "approved", "Plan B": "draft", "Plan C": "approved"}
    assert Plan.objects.get(title="Plan C").approved_version == 2
    assert "Approved 2 plans: Plan A, Plan C." in body
    assert "Not approved: Plan B changed since you opened the inbox (version 1 → 2)." in body
    # Still waiting, now at its new version.
    assert re.findall(r"data-inbox-open>([^<]+)</a>", body) == ["Plan B"]
    assert "Approve version 2" in body


def test_it_refuses_a_post_without_the_csrf_token(reviewer: Any, team: Any) -> None:
    plan = draft(team, "Plan A")
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)

    response = client.post("/inbox/approve", {"item": [f"{plan.pk}:1"]})

    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_it_does_not_approve_another_teams_plan(
    client: Client, reviewer: Any, team: Any, other_team: Any
) -> None:
    theirs = draft(other_team, "Theirs")
    client.force_login(reviewer)

    body = client.post("/inbox/approve", {"item": [f"{theirs.pk}:1"]}, follow=True)

    theirs.refresh_from_db()
    assert theirs.status == "draft"
    assert "Not approved: a plan that is not in your teams&#x27; inbox." in body.content.decode()
    assert "Theirs" not in body.content.decode()
