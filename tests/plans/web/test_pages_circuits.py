"""The plan page says when an executor its steps use is paused by its circuit breaker."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from executors.protocol import FailureClass, StepOutcome
from orchestration.engine import circuits
from plans import selectors, services
from plans.models import ExecutorCircuit
from tests.factories import WORKER, approve, step, submit_plan

HTTP_DOWN = "http: 503 Service Unavailable from https://api.example.com/run"


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def section(body: str, dom_id: str) -> str:
    match = re.search(rf'<(section|tr) id="{dom_id}"[^>]*>.*?</\1>', body, re.S)
    assert match, f"no #{dom_id} in the page"
    return match.group(0)


def fail(team: Any, executor: str, times: int, error: str = HTTP_DOWN) -> None:
    """Count `times` executor errors against the team's circuit, as finished steps do."""
    failure = StepOutcome.failure(error, FailureClass.EXECUTOR_ERROR)
    circuits.record([(team.pk, executor, failure)] * times)


def executing_plan(team: Any) -> Any:
    plan = approve(
        submit_plan(
            team,
            [
                step("ping", executor="python", params={"function": "word_count"}),
                step("after", "ping", executor="python", params={"function": "word_count"}),
                step("note"),
            ],
        )
    )
    services.plan_start(plan=plan, actor=WORKER)
    return plan


def test_it_says_which_executor_is_paused_until_when_and_why(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.PLANGATE_BREAKER_FAILURES = 5
    plan = executing_plan(team)
    fail(team, "python", 5)
    until = ExecutorCircuit.objects.get(team=team, executor="python").open_until
    assert until is not None
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    banner = section(body, "plan-circuits")
    assert " hidden" not in banner.split(">")[0]
    assert text(banner) == (
        f"Executor python is paused until {timezone.localtime(until):%H:%M:%S} UTC after 5 "
        f"consecutive failures: {HTTP_DOWN}; its steps wait."
    )
    # The ready step waits for the executor; the one behind it waits for its dependency; the
    # echo step is not held up.
    assert "waiting: executor paused" in section(body, "step-ping")
    assert "waiting: executor paused" not in section(body, "step-after")
    assert "waiting: executor paused" not in section(body, "step-note")


def test_it_says_a_half_open_executor_is_being_tried_again(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.PLANGATE_BREAKER_FAILURES = 3
    plan = executing_plan(team)
    fail(team, "python", 3)
    ExecutorCircuit.objects.filter(team=team, executor="python").update(
        open_until=timezone.now() - timedelta(seconds=1)
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert text(section(body, "plan-circuits")) == (
        f"Executor python was paused after 3 consecutive failures: {HTTP_DOWN}; it is being "
        "tried again, and its next outcome resumes its steps or pauses it again."
    )
    assert "waiting: executor paused" not in section(body, "step-ping")


def test_it_hides_the_banner_while_the_plans_executors_are_well(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.PLANGATE_BREAKER_FAILURES = 2
    plan = executing_plan(team)
    fail(team, "python", 1)  # one failure: still closed
    fail(team, "shell", 2)  # open, but the plan does not use it
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    banner = section(body, "plan-circuits")
    assert " hidden" in banner.split(">")[0]
    assert text(banner) == ""
    assert "waiting: executor paused" not in body


def test_the_live_update_shows_a_circuit_that_opened_without_an_event_of_the_plan(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.PLANGATE_BREAKER_FAILURES = 2
    plan = executing_plan(team)
    client.force_login(reviewer)
    seen = selectors.latest_event_id(plan.pk)
    fail(team, "python", 2)

    body = client.get(f"/plans/{plan.pk}/live?after={seen}").content.decode()

    banner = section(body, "plan-circuits")
    assert 'hx-swap-oob="true"' in banner
    assert "Executor python is paused until" in text(banner)
    assert "waiting: executor paused" in section(body, "step-ping")

    # It closes again (a step of another plan succeeded): the row stops saying so.
    circuits.record([(team.pk, "python", StepOutcome.success({"words": 1}))])

    body = client.get(f"/plans/{plan.pk}/live?after={seen}").content.decode()

    banner = section(body, "plan-circuits")
    assert " hidden" in banner.split(">")[0]
    assert "waiting: executor paused" not in section(body, "step-ping")


def test_the_pages_of_plans_waiting_for_an_executor_are_nudged_when_its_circuit_changes(
    team: Any, settings: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PLANGATE_BREAKER_FAILURES = 2
    waiting = executing_plan(team)
    draft = submit_plan(team, [step("x", executor="python", params={"function": "word_count"})])
    nudged: list[tuple[Any, int]] = []
    monkeypatch.setattr(
        "plans.realtime.publish",
        lambda *, plan_id, team_id, event_id: nudged.append((plan_id, event_id)),
    )

    with django_capture_on_commit_callbacks(execute=True):
        fail(team, "python", 1)
    assert nudged == []  # still closed: nothing to redraw

    with django_capture_on_commit_callbacks(execute=True):
        fail(team, "python", 1)
    assert nudged == [(waiting.pk, selectors.latest_event_id(waiting.pk))]
    assert draft.pk not in [pk for pk, _ in nudged]


def test_another_teams_paused_executor_is_not_shown(
    client: Client, reviewer: Any, team: Any, other_team: Any, settings: Any
) -> None:
    settings.PLANGATE_BREAKER_FAILURES = 2
    plan = executing_plan(team)
    fail(other_team, "python", 2, error="globex secret: customer 4711 over quota")
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    assert "globex secret" not in body
    assert " hidden" in section(body, "plan-circuits").split(">")[0]
    assert "waiting: executor paused" not in body
