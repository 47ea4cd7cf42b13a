"""The live endpoint: the fragments an open plan page fetches when told the plan changed."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from plans import selectors, services
from plans.models import PlanEvent
from tests.factories import approve, step, submit_plan


def oob_ids(body: str) -> list[str]:
    return re.findall(r'<\w+ id="([^"]+)"[^>]*hx-swap-oob="true"', body)


def test_it_returns_the_fragments_out_of_band_with_the_new_last_event_id(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b", "a")])
    client.force_login(reviewer)
    seen = selectors.latest_event_id(plan.pk)
    approve(plan)
    latest = PlanEvent.objects.filter(plan=plan).latest("id").pk
    assert latest > seen

    response = client.get(f"/plans/{plan.pk}/live?after={seen}")

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert oob_ids(body) == [
        "plan-header",
        "plan-circuits",
        "plan-rescue",
        "plan-budget",
        "plan-progress",
        "plan-graph",
        "step-a",
        "step-b",
        "plan-artifacts",
        "plan-discussion",
        "plan-events",
        "inbox-count",
        "live-state",
    ]
    assert f'<div id="live-state" data-last-event-id="{latest}"' in body
    assert '<span class="badge badge-approved">Approved</span>' in body
    assert "Plan approved" in body


def test_it_sends_only_the_rows_of_steps_that_changed(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(team, [step("a"), step("b"), step("c")])
    client.force_login(reviewer)
    seen = selectors.latest_event_id(plan.pk)
    services.step_skip(plan=plan, key="b", actor=services.SYSTEM, reason="not needed")

    body = client.get(f"/plans/{plan.pk}/live?after={seen}").content.decode()

    assert [i for i in oob_ids(body) if i.startswith("step-")] == ["step-b"]
    assert "Skipped: not needed" in body


def test_it_answers_404_for_another_teams_plan(
    client: Client, reviewer: Any, other_team: Any
) -> None:
    theirs = submit_plan(other_team)
    client.force_login(reviewer)
    assert client.get(f"/plans/{theirs.pk}/live?after=0").status_code == 404


def test_it_tolerates_a_bad_after(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    client.force_login(reviewer)
    response = client.get(f"/plans/{plan.pk}/live?after=oops")
    assert response.status_code == 200
    assert "step-a" in oob_ids(response.content.decode())
