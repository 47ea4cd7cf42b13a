"""A step row tells the reviewer how its attempts went: why one failed, when it is retried, on
which worker it runs, and whether a worker was lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from executors.protocol import FailureClass, StepOutcome
from orchestration.engine import queue
from plans import services
from plans.models import PlanStep
from tests.factories import WORKER, approve, claim, finish, step, submit_plan


def row(client: Client, plan: Any, key: str) -> str:
    body = client.get(f"/plans/{plan.pk}/").content.decode()
    start = body.index(f'id="step-{key}"')
    return body[start : body.index("</tr>", start)]


def test_it_shows_the_worker_running_a_step(client: Client, reviewer: Any, team: Any) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    services.plan_start(plan=plan, actor=WORKER)
    claim(plan, "a")
    client.force_login(reviewer)

    assert "Running on <code>test</code>." in row(client, plan, "a")


def test_it_shows_why_an_attempt_failed_and_when_it_is_retried(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.PLANGATE_RETRY_BASE_SECONDS = 60
    plan = approve(submit_plan(team, [step("a", max_attempts=3)]))
    services.plan_start(plan=plan, actor=WORKER)
    failure = StepOutcome.failure("the API answered 503", FailureClass.EXECUTOR_ERROR)
    assert finish(claim(plan, "a"), failure)
    client.force_login(reviewer)

    html = row(client, plan, "a")
    assert '<span class="failure-class">Executor error</span> the API answered 503' in html
    retry_at = timezone.localtime(PlanStep.objects.get(plan=plan).run_after)
    assert "Attempt 1 failed; retrying after <time datetime=" in html
    assert f">{retry_at:%H:%M:%S} UTC</time>." in html


def test_it_says_when_a_worker_running_the_step_was_lost(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = approve(submit_plan(team, [step("a")]))
    services.plan_start(plan=plan, actor=WORKER)
    claim(plan, "a")
    PlanStep.objects.filter(plan=plan).update(lease_expires_at=timezone.now() - timedelta(1))
    queue.steps_reclaim_expired(actor=WORKER)
    client.force_login(reviewer)

    assert "Its worker was lost 1 time; another took it over." in row(client, plan, "a")
