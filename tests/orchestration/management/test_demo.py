"""`manage.py demo --no-serve`: the data a new user starts from, with a login that works."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from plans import services
from plans.gates.services import step_approve
from plans.models import Plan, PolicyVersion
from plans.rescue.services import step_retry
from tests.conftest import ApiClient
from tests.factories import approve


def test_it_sets_up_a_reviewer_a_token_and_a_plan_awaiting_approval(db: Any) -> None:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    text = out.getvalue()
    password = re.search(r"user demo, password (\S+)", text)
    token = re.search(r"API token (pgt_\S+)", text)
    assert password and token, text

    client = Client()
    assert client.login(username="demo", password=password.group(1))
    plan = Plan.objects.get(team__name="demo", title="Offsite venue shortlist")
    assert plan.status == "draft"
    assert plan.steps.count() == 4
    assert client.get(f"/plans/{plan.pk}/").status_code == 200
    assert ApiClient(token.group(1)).get(f"/plans/{plan.pk}").json()["status"] == "draft"

    assert f"/plans/{plan.pk}/" in text  # the link goes straight to it
    # The demo's reviewer runs the team, so its settings and response-times pages open too.
    assert client.get(f"/teams/{plan.team_id}/settings/").status_code == 200
    assert client.get(f"/teams/{plan.team_id}/decisions/").status_code == 200


def test_it_leaves_a_fresh_plan_to_approve_on_every_run(db: Any) -> None:
    call_command("demo", "--no-serve", stdout=io.StringIO())
    first = Plan.objects.get(team__name="demo", title="Offsite venue shortlist")
    # What a newcomer may have done with it on the first run.
    services.step_skip(plan=first, key="plan.left", actor=services.SYSTEM, reason="trying it")

    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)

    [fresh] = Plan.objects.filter(team__name="demo", title=first.title).exclude(pk=first.pk)
    assert (fresh.status, fresh.version) == ("draft", 1)
    assert set(fresh.steps.values_list("status", flat=True)) == {"pending"}
    assert f"/plans/{fresh.pk}/" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_demo_plan_runs_to_completion_once_approved_rescued_and_let_through_its_gate() -> None:
    call_command("demo", "--no-serve", stdout=io.StringIO())
    plan = Plan.objects.get(team__name="demo", title="Offsite venue shortlist")
    reviewer = services.Actor.for_user(get_user_model().objects.get(username="demo"))
    approve(plan)
    run_worker_until_idle()

    # The step with misnamed params failed and holds the plan; the gate waits with its input.
    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    left = plan.steps.get(key="plan.left")
    assert (left.status, left.on_failure) == ("failed", "ask")
    gated = plan.steps.get(key="plan.right")
    assert gated.status == "awaiting_approval"
    assert plan.steps.get(key="plan.right.input").status == "completed"

    fixed = {"function": "list_items", "items": left.params["venues"]}
    step_retry(plan=plan, key="plan.left", actor=reviewer, version=plan.version, params=fixed)
    plan.refresh_from_db()
    step_approve(plan=plan, key="plan.right", actor=reviewer, version=plan.version)
    run_worker_until_idle()

    plan.refresh_from_db()
    assert plan.status == "completed"
    assert plan.steps.get(key="plan").result == ["Old Mill", "Glasshouse"]
    # One step runs long enough for a reviewer watching the page to see it in progress.
    slowest = max(
        (s.finished_at - s.started_at).total_seconds()
        for s in plan.steps.all()
        if s.started_at and s.finished_at
    )
    assert slowest >= 3


def run_worker_until_idle() -> None:
    call_command("runworker", "--once", stdout=io.StringIO(), stderr=io.StringIO())


def test_the_demo_plan_shows_its_policy_and_budget_and_a_changed_policy_is_kept(db: Any) -> None:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    password = re.search(r"user demo, password (\S+)", out.getvalue())
    assert password
    client = Client()
    assert client.login(username="demo", password=password.group(1))
    plan = Plan.objects.get(team__name="demo", title="Offsite venue shortlist")

    page = client.get(f"/plans/{plan.pk}/").content.decode()
    assert "auto-approve-demo-plans" in page
    assert "Would have auto-approved" in page  # shadow mode: recorded and shown, not acted on
    assert "0.00 of 5.00" in page
    assert plan.status == "draft"

    PolicyVersion.objects.filter(team=plan.team).delete()
    call_command("demo", "--no-serve", stdout=io.StringIO())
    call_command("demo", "--no-serve", stdout=io.StringIO())
    assert PolicyVersion.objects.filter(team=plan.team).count() == 1


def test_the_planner_drafts_a_second_plan_that_asks_for_its_input(db: Any) -> None:
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    proposed = Plan.objects.get(team__name="demo", goal="Count the words of the offsite invitation")
    assert proposed.status == "draft"
    assert list(proposed.steps.values_list("action", flat=True)) == ["count_words"]
    assert proposed.artifacts.get().parameters["backend"] == "catalog"
    assert f"/plans/{proposed.pk}/ (drafted by the planner" in out.getvalue()
    token = re.search(r"API token (pgt_\S+)", out.getvalue())
    assert token
    missing = ApiClient(token.group(1)).get(f"/plans/{proposed.pk}").json()["missing_inputs"]
    assert [m["name"] for m in missing] == ["text"]
