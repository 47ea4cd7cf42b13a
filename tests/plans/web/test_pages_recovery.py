"""The plan page shows each step's recovery recipes before approval, and after a run which one
applied, what the step now runs and the recovery in the event log."""

from __future__ import annotations

from typing import Any

from django.test import Client

from executors.protocol import FailureClass, StepOutcome
from plans import services
from tests.factories import approve, claim, finish, step, submit_plan

FALLBACK = {
    "recipe": "fallback",
    "executor": "python",
    "params": {"function": "word_count", "note": "<b>second provider</b>"},
}


def row(body: str, dom_id: str) -> str:
    start = body.index(f'<tr id="{dom_id}"')
    return " ".join(body[start : body.index("</tr>", start)].split())


def test_it_shows_the_recipes_beside_the_step_before_approval(
    client: Client, reviewer: Any, team: Any, settings: Any
) -> None:
    settings.PLANGATE_RECOVERY = {"echo": {"timeout": {"recipe": "retry", "max_attempts": 5}}}
    recover = {
        "rate_limited": FALLBACK,
        "context_overflow": {"recipe": "adjust", "patch": {"max_tokens": 500}},
        "*": {"recipe": "ask"},
    }
    plan = submit_plan(team, [step("a", recover=recover), step("b")])
    client.force_login(reviewer)

    a = row(client.get(f"/plans/{plan.pk}/").content.decode(), "step-a")

    assert "When an attempt fails:" in a
    assert '<span class="failure-class">Rate limited</span> run once with executor python' in a
    assert "&lt;b&gt;second provider&lt;/b&gt;" in a
    assert "<b>second provider</b>" not in a
    assert "run once more with params changed by a merge patch" in a
    assert "{&quot;max_tokens&quot;: 500}" in a
    assert '<span class="failure-class">any other failure</span> ask a reviewer' in a
    # The step's "*" comes before the executor's recipes: they are not shown for it.
    assert "Timed out" not in a
    assert "used" not in a
    b = row(client.get(f"/plans/{plan.pk}/").content.decode(), "step-b")
    assert (
        'When an attempt fails:</p> <ul class="recipes"> <li> '
        '<span class="failure-class">Timed out</span> retry, at most 5 attempts '
        '<span class="muted">(the executor\'s setting)</span>'
    ) in b
    assert "Rate limited" not in b


def test_it_shows_which_recipe_applied_and_what_the_step_runs_now(
    client: Client, reviewer: Any, team: Any
) -> None:
    plan = approve(submit_plan(team, [step("a", recover={"rate_limited": FALLBACK})]))
    services.plan_start(plan=plan, actor=services.SYSTEM)
    finish(
        claim(plan, "a"), StepOutcome.failure("429 from the provider", FailureClass.RATE_LIMITED)
    )
    client.force_login(reviewer)

    body = client.get(f"/plans/{plan.pk}/").content.decode()

    a = row(body, "step-a")
    assert '<span class="recipe-used">used</span>' in a
    assert 'Since a recovery, runs <code class="executor">python</code> with:' in a
    assert 'Runs <code class="executor">echo</code>' in a
    log = " ".join(body[body.index('id="plan-events"') :].split())
    assert "Step recovering" in log
    assert (
        '<span class="recovery-text">Rate limited: the step&#x27;s recipe falls back from '
        "echo to python.</span>"
    ) in log
