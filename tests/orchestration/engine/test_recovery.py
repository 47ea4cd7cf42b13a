"""Recovery recipes in the engine: what a failed attempt leads to when the step or its executor
has a recipe for its failure class (plans/recovery/, orchestration/engine/recovering.py).

Driven through the queue's claim and finish, as a worker does; the same flows run on PostgreSQL
in test_recovery_pg.py (its SQL claim and verdict paths)."""

from __future__ import annotations

from typing import Any

import pytest

from executors.protocol import FailureClass, StepOutcome
from plans import services
from plans.models import Plan, PlanEvent, PlanStep
from plans.rescue import services as rescue
from tests.factories import approve, claim, finish, step, submit_plan

pytestmark = pytest.mark.django_db

FALLBACK = {"recipe": "fallback", "executor": "python", "params": {"function": "word_count"}}


def started(team: Any, steps: list[Any]) -> Plan:
    plan = approve(submit_plan(team, steps))
    assert services.plan_start(plan=plan, actor=services.SYSTEM)
    return plan


def fail(plan: Plan, key: str, failure_class: str, error: str = "it broke") -> PlanStep:
    assert finish(claim(plan, key), StepOutcome.failure(error, failure_class))
    return PlanStep.objects.get(plan=plan, key=key)


def events(plan: Plan, kind: str) -> list[dict[str, Any]]:
    return [e.data for e in PlanEvent.objects.filter(plan=plan, kind=kind).order_by("id")]


def test_it_retries_a_class_not_retried_by_default_up_to_the_recipes_limit(team) -> None:
    recipe = {"recipe": "retry", "max_attempts": 3, "delay_seconds": 0}
    plan = started(team, [step("a", recover={"bad_input": recipe}, max_attempts=1)])

    assert fail(plan, "a", FailureClass.BAD_INPUT).status == "pending"
    assert fail(plan, "a", FailureClass.BAD_INPUT).status == "pending"
    last = fail(plan, "a", FailureClass.BAD_INPUT)

    assert (last.status, last.attempts) == ("failed", 3)
    retrying = events(plan, "step.retrying")
    assert [r["max_attempts"] for r in retrying] == [3, 3]
    assert retrying[0]["recovery"] == {"recipe": "retry", "source": "step"}
    assert retrying[0]["retry_in"] == 0
    recovering = events(plan, "step.recovering")
    assert [(r["recipe"], r["failure_class"], r["error"]) for r in recovering] == [
        ("retry", "bad_input", "it broke"),
        ("retry", "bad_input", "it broke"),
    ]
    assert Plan.objects.get(pk=plan.pk).status == "failed"


def test_it_falls_back_to_another_executor_and_its_result_is_the_steps(team) -> None:
    plan = started(
        team,
        [
            step("draft", params={"model": "big"}, recover={"rate_limited": FALLBACK}),
            step("publish", "draft"),
        ],
    )
    first = fail(plan, "draft", FailureClass.RATE_LIMITED, "429 from the provider")
    assert first.status == "pending"
    assert (first.run_executor, first.run_params) == ("python", {"function": "word_count"})
    # What the reviewer approved stays as it was.
    assert (first.executor, first.params) == ("echo", {"model": "big"})

    again = claim(plan, "draft")
    assert (again.executor, again.params) == ("python", {"function": "word_count"})
    assert finish(again, StepOutcome.success({"words": 3}))

    draft = PlanStep.objects.get(plan=plan, key="draft")
    assert (draft.status, draft.result, draft.recoveries) == (
        "completed",
        {"words": 3},
        ["step:rate_limited"],
    )
    publish = claim(plan, "publish")
    assert publish.inputs == {"draft": {"words": 3}}
    assert publish.executor == "echo"
    [recovering] = events(plan, "step.recovering")
    assert recovering | {"error": "", "attempt": 0} == {
        "recipe": "fallback",
        "source": "step",
        "listed_as": "rate_limited",
        "failure_class": "rate_limited",
        "error": "",
        "attempt": 0,
        "from_executor": "echo",
        "executor": "python",
        "params": {"function": "word_count"},
    }
    assert recovering["error"] == "429 from the provider"


def test_a_used_fallback_is_not_repeated(team) -> None:
    plan = started(team, [step("a", recover={"rate_limited": FALLBACK}, max_attempts=3)])
    fail(plan, "a", FailureClass.RATE_LIMITED)

    # The fallback fails the same way: the default retry applies, still on the fallback.
    second = fail(plan, "a", FailureClass.RATE_LIMITED)
    assert (second.status, second.run_executor) == ("pending", "python")
    assert second.recoveries == ["step:rate_limited"]
    assert len(events(plan, "step.recovering")) == 1
    PlanStep.objects.filter(pk=second.pk).update(run_after=None)

    third = fail(plan, "a", FailureClass.RATE_LIMITED)
    assert third.status == "failed"
    assert len(events(plan, "step.recovering")) == 1


def test_it_adjusts_params_with_a_merge_patch_after_context_overflow(team) -> None:
    adjust = {"recipe": "adjust", "patch": {"max_tokens": 1000, "style": None}}
    plan = started(
        team,
        [
            step(
                "summarise",
                params={"max_tokens": 8000, "style": "long", "model": {"name": "m", "v": 1}},
                recover={"context_overflow": adjust},
            )
        ],
    )
    first = fail(plan, "summarise", FailureClass.CONTEXT_OVERFLOW, "input too large")
    assert first.status == "pending"
    assert first.params == {"max_tokens": 8000, "style": "long", "model": {"name": "m", "v": 1}}

    again = claim(plan, "summarise")
    assert again.params == {"max_tokens": 1000, "model": {"name": "m", "v": 1}}
    assert events(plan, "step.recovering")[0]["patch"] == {"max_tokens": 1000, "style": None}

    # Applied once: a second overflow fails the step, as without a recipe.
    assert finish(again, StepOutcome.failure("still too large", FailureClass.CONTEXT_OVERFLOW))
    assert PlanStep.objects.get(pk=again.id).status == "failed"


def test_ask_holds_the_plan_for_a_reviewer_whose_retry_resumes_it(team) -> None:
    plan = started(team, [step("a", recover={"executor_error": {"recipe": "ask"}}), step("b", "a")])
    failed = fail(plan, "a", FailureClass.EXECUTOR_ERROR, "upstream 502")

    assert (failed.status, failed.asks_reviewer) == ("failed", True)
    plan.refresh_from_db()
    assert plan.status == "needs_attention"
    assert events(plan, "step.recovering")[0]["recipe"] == "ask"
    assert events(plan, "step.failed")[0]["recovery"] == {"recipe": "ask", "source": "step"}

    rescue.step_retry(plan=plan, key="a", actor=services.SYSTEM, version=plan.version)
    assert Plan.objects.get(pk=plan.pk).status == "executing"
    assert finish(claim(plan, "a"), StepOutcome.success("fine now"))
    assert finish(claim(plan, "b"), StepOutcome.success("done"))
    assert Plan.objects.get(pk=plan.pk).status == "completed"


def test_it_applies_the_executors_recipes_from_the_settings(team, settings) -> None:
    settings.PLANGATE_RECOVERY = {"echo": {"*": {"recipe": "ask"}}}
    plan = started(team, [step("a")])

    failed = fail(plan, "a", FailureClass.TIMEOUT)

    assert (failed.status, failed.asks_reviewer) == ("failed", True)
    assert Plan.objects.get(pk=plan.pk).status == "needs_attention"
    [recovering] = events(plan, "step.recovering")
    assert (recovering["source"], recovering["executor_of_recipe"]) == ("executor", "echo")


def test_the_steps_recipe_wins_over_the_executors(team, settings) -> None:
    settings.PLANGATE_RECOVERY = {"echo": {"timeout": {"recipe": "ask"}}}
    plan = started(team, [step("a", recover={"timeout": FALLBACK})])

    failed = fail(plan, "a", FailureClass.TIMEOUT)

    assert (failed.status, failed.run_executor) == ("pending", "python")
    # The fallback times out too: its own executor's recipes apply now (none for python), so
    # the default retry follows; the echo executor's "ask" is not the fallback's.
    assert fail(plan, "a", FailureClass.TIMEOUT).status == "pending"
    assert [r["recipe"] for r in events(plan, "step.recovering")] == ["fallback"]


def test_without_a_recipe_nothing_changes(team, settings) -> None:
    # Recipes for other classes and other executors only.
    settings.PLANGATE_RECOVERY = {"python": {"*": {"recipe": "ask"}}}
    retried = started(team, [step("a", recover={"rate_limited": FALLBACK}, max_attempts=3)])
    a = fail(retried, "a", FailureClass.EXECUTOR_ERROR)
    failed = started(team, [step("b", recover={"rate_limited": FALLBACK})])
    b = fail(failed, "b", FailureClass.BAD_INPUT)

    assert (a.status, a.run_executor, a.run_params, a.recoveries) == ("pending", "", None, [])
    assert a.run_after is not None
    assert (b.status, b.asks_reviewer) == ("failed", False)
    assert Plan.objects.get(pk=failed.pk).status == "failed"
    assert events(retried, "step.recovering") == events(failed, "step.recovering") == []
    assert "recovery" not in events(retried, "step.retrying")[0]


def test_a_cancelled_or_guardrail_failure_is_never_recovered(team) -> None:
    plan = started(team, [step("a", recover={"*": {"recipe": "retry", "max_attempts": 5}})])

    failed = fail(plan, "a", FailureClass.GUARDRAIL)

    assert failed.status == "failed"
    assert events(plan, "step.recovering") == []


def test_a_reviewers_retry_with_params_runs_the_steps_own_executor_with_them(team) -> None:
    recover = {"rate_limited": FALLBACK, "*": {"recipe": "ask"}}
    plan = started(team, [step("a", params={"v": 1}, recover=recover)])
    fail(plan, "a", FailureClass.RATE_LIMITED)
    assert fail(plan, "a", FailureClass.EXECUTOR_ERROR).asks_reviewer
    plan.refresh_from_db()

    rescue.step_retry(
        plan=plan, key="a", actor=services.SYSTEM, version=plan.version, params={"v": 2}
    )

    again = claim(plan, "a")
    assert (again.executor, again.params) == ("echo", {"v": 2})
