"""Recovery recipes on PostgreSQL: the SQL claim runs what a recovery switched a step to, and
the SQL verdict keeps the recipe's changes, with a worker running the plan end to end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from executors import registry
from executors.protocol import FailureClass, StepOutcome, StepSpec
from plans.models import Plan, PlanEvent, PlanStep
from tests.factories import approve, step, submit_plan
from tests.orchestration.engine import test_recovery as flows
from tests.orchestration.support import run_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Overloaded:
    """Always rate limited."""

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return []

    def run(self, spec: StepSpec) -> StepOutcome:
        return StepOutcome.failure("429: try later", FailureClass.RATE_LIMITED)


class Small:
    """Overflows above 1000 max_tokens; else answers with the params it ran with."""

    def validate_params(self, params: dict[str, Any]) -> list[str]:
        return [] if isinstance(params.get("max_tokens"), int) else ["max_tokens is required"]

    def run(self, spec: StepSpec) -> StepOutcome:
        if spec.params["max_tokens"] > 1000:
            return StepOutcome.failure("prompt too long", FailureClass.CONTEXT_OVERFLOW)
        return StepOutcome.success({"ran_with": spec.params})


@pytest.fixture
def executors(settings: Any) -> Iterator[None]:
    settings.PLANGATE_EXECUTORS = {
        **settings.PLANGATE_EXECUTORS,
        "overloaded": f"{__name__}.Overloaded",
        "small": f"{__name__}.Small",
    }
    registry.clear_cache()
    yield
    registry.clear_cache()


def test_a_worker_falls_back_then_adjusts_and_the_dependent_gets_the_result(
    team, worker, settings, executors
) -> None:
    settings.PLANGATE_RECOVERY = {
        "small": {"context_overflow": {"recipe": "adjust", "patch": {"max_tokens": 500}}}
    }
    fallback = {"recipe": "fallback", "executor": "small", "params": {"max_tokens": 4000}}
    plan = approve(
        submit_plan(
            team,
            [
                step("answer", executor="overloaded", recover={"rate_limited": fallback}),
                step("publish", "answer"),
            ],
        )
    )
    run_until(
        worker,
        lambda: Plan.objects.get(pk=plan.pk).status == "completed",
        "the plan to complete",
    )

    answer = PlanStep.objects.get(plan=plan, key="answer")
    assert answer.result == {"ran_with": {"max_tokens": 500}}
    assert (answer.executor, answer.params) == ("overloaded", {})
    assert (answer.run_executor, answer.run_params) == ("small", {"max_tokens": 500})
    assert answer.recoveries == ["step:rate_limited", "executor:small:context_overflow"]
    assert answer.attempts == 3
    publish = PlanStep.objects.get(plan=plan, key="publish")
    assert publish.result["inputs"] == {"answer": {"ran_with": {"max_tokens": 500}}}
    recovering = [
        (e.data["recipe"], e.data["source"], e.data["failure_class"])
        for e in PlanEvent.objects.filter(plan=plan, kind="step.recovering").order_by("id")
    ]
    assert recovering == [
        ("fallback", "step", "rate_limited"),
        ("adjust", "executor", "context_overflow"),
    ]


def test_retry_by_recipe(team) -> None:
    flows.test_it_retries_a_class_not_retried_by_default_up_to_the_recipes_limit(team)


def test_fallback(team) -> None:
    flows.test_it_falls_back_to_another_executor_and_its_result_is_the_steps(team)


def test_used_fallback(team) -> None:
    flows.test_a_used_fallback_is_not_repeated(team)


def test_adjust(team) -> None:
    flows.test_it_adjusts_params_with_a_merge_patch_after_context_overflow(team)


def test_ask(team) -> None:
    flows.test_ask_holds_the_plan_for_a_reviewer_whose_retry_resumes_it(team)


def test_no_recipe(team, settings) -> None:
    flows.test_without_a_recipe_nothing_changes(team, settings)
