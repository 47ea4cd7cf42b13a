"""The plan detail page: what the reviewer reads before deciding, and who may read it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from executors.protocol import StepOutcome
from plans import services
from plans.web.templatetags.plan_tags import step_dom_id
from tests.factories import WORKER, approve, claim, finish, step, submit_plan


def run_step(plan: Any, key: str, outcome: StepOutcome) -> None:
    services.plan_start(plan=plan, actor=WORKER)
    assert finish(claim(plan, key), outcome)


def test_it_shows_the_plan_its_steps_progress_and_events(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = submit_plan(
        team,
        [step("fetch", title="Fetch rows", hint="use the replica"), step("report", "fetch")],
        goal="Send the weekly report",
        title="Weekly report",
        tags=["reports", "weekly"],
        user_id="u-42",
        topic_id="t-7",
    )
    approve(plan)
    run_step(plan, "fetch", StepOutcome(ok=True, result={"rows": 12}))
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    for text in ["Weekly report", "Send the weekly report", "reports", "u-42", "t-7", "version 1"]:
        assert text in body
    assert '<span class="badge badge-executing">Executing</span>' in body
    assert '<tr id="step-fetch" class="step step-completed">' in body
    assert "Fetch rows" in body and "Hint: use the replica" in body
    assert "&quot;rows&quot;: 12" in body
    assert "<strong>1</strong> of 2 steps done" in body
    assert 'width="50%"' in body
    for kind in ["Plan created", "Plan approved", "Plan started", "Step started", "Step completed"]:
        assert kind in body
    assert body.index("Plan created") < body.index("Step completed")  # newest last


def test_it_shows_who_approved_and_how(client: Client, reviewer: Any, team: Any) -> None:
    plan = submit_plan(team)
    services.plan_approve(plan=plan, actor=services.Actor.for_user(reviewer), version=1)
    client.force_login(reviewer)
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "version 1 by <strong>alice (reviewer)</strong> in the browser" in body


def test_it_shows_a_failed_steps_error(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    run_step(plan, "a", StepOutcome(ok=False, error="upstream said <no>"))
    client.force_login(reviewer)
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert '<p class="error-text">upstream said &lt;no&gt;</p>' in body
    assert '<span class="badge badge-failed">Failed</span>' in body


def test_it_cuts_a_huge_result(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    run_step(plan, "a", StepOutcome(ok=True, result={"text": "x" * 20_000}))
    client.force_login(reviewer)
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "x" * 20_000 not in body
    assert "characters in all)" in body


@pytest.mark.parametrize("path", ["/plans/{id}/", "/plans/{id}/live?after=0"])
def test_it_answers_404_for_another_teams_plan(
    client: Client, reviewer: Any, team: Any, other_team: Any, path: str
) -> None:
    theirs = submit_plan(other_team, title="Secret plan")
    client.force_login(reviewer)
    response = client.get(path.format(id=theirs.pk))
    assert response.status_code == 404
    assert b"Secret plan" not in response.content


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/plans/{id}/approve", {"version": 1}),
        ("/plans/{id}/cancel", {"reason": "mine now"}),
        ("/plans/{id}/skip", {"key": "a", "reason": "mine now"}),
        ("/plans/{id}/steps/a/skip", {"reason": "mine now"}),
    ],
)
def test_it_refuses_actions_on_another_teams_plan(
    client: Client, reviewer: Any, team: Any, other_team: Any, path: str, data: dict[str, Any]
) -> None:
    theirs = submit_plan(other_team)
    client.force_login(reviewer)
    assert client.post(path.format(id=theirs.pk), data).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "draft"
    assert theirs.steps.get(key="a").status == "pending"


def test_it_gives_every_step_row_a_safe_unique_id(client: Client, reviewer: Any, team: Any) -> None:
    keys = ["fetch.data", "fetch-data", "fetch_data", "a/b", "naïve step"]
    plan = submit_plan(team, [step(k) for k in keys])
    client.force_login(reviewer)
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    ids = [step_dom_id(k) for k in keys]
    assert len(set(ids)) == len(keys)
    for dom_id in ids:
        assert f'<tr id="{dom_id}"' in body
        assert all(c.isascii() and (c.isalnum() or c in "-_") for c in dom_id)


def test_it_reads_a_big_plan_in_a_few_queries(
    client: Client, reviewer: Any, team: Any, django_assert_max_num_queries: Any
) -> None:
    chain = [step("s0")] + [step(f"s{i}", f"s{i - 1}") for i in range(1, 80)]
    plan = submit_plan(team, chain)
    client.force_login(reviewer)
    # 12 for the plan, 1 for its revisions, 2 for its discussion, 1 for the inbox count, 1 for
    # the reader's roles, 1 for its approvals.
    with django_assert_max_num_queries(18):
        response = client.get(f"/plans/{plan.pk}/")
    assert response.content.count(b'<tr id="step-s') == 80
