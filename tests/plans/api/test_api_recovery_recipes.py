"""A step's recovery recipes are checked at submission: every problem, at its JSON path."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.conftest import ApiClient


def submit(api: ApiClient, recover: Any, **step: Any) -> Any:
    body = {
        "goal": "Answer",
        "user_id": "user-1",
        "topic_id": "topic-1",
        "steps": [
            {"key": "a", "task": "warm up"},
            {"key": "b", "task": "answer", "recover": recover, **step},
        ],
    }
    return api.post("/plans", body)


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {
        ".".join(str(p) for p in item["loc"]): item["msg"] for item in response.json()["detail"]
    }


def test_it_lists_every_problem_with_its_path(api: ApiClient) -> None:
    found = problems(
        submit(
            api,
            {
                "rate_limited": {"recipe": "fallback", "executor": "nope", "params": {}},
                "timeout": {"recipe": "retry", "max_attempts": 0, "delay_seconds": -1},
                "context_overflow": {"recipe": "adjust", "patch": {}},
                "executor_error": {"recipe": "fly"},
                "bad_input": {"recipe": "ask", "why": "x"},
                "cancelled": {"recipe": "retry"},
                "unknown": "retry",
            },
        )
    )
    at = "body.steps.1.recover"
    assert set(found) == {
        f"{at}.rate_limited.executor",
        f"{at}.timeout.max_attempts",
        f"{at}.timeout.delay_seconds",
        f"{at}.context_overflow.patch",
        f"{at}.executor_error.recipe",
        f"{at}.bad_input.why",
        f"{at}.cancelled",
        f"{at}.unknown",
    }
    assert found[f"{at}.rate_limited.executor"].startswith("unknown executor 'nope'")
    assert "not a failure class a recipe may handle" in found[f"{at}.cancelled"]
    assert found[f"{at}.executor_error.recipe"] == "must be one of: retry, fallback, adjust, ask"
    assert not Plan.objects.exists()


def test_it_checks_a_fallbacks_params_as_its_executor_does(api: ApiClient) -> None:
    found = problems(
        submit(api, {"rate_limited": {"recipe": "fallback", "executor": "python", "params": {}}})
    )
    assert list(found) == ["body.steps.1.recover.rate_limited.params"]


def test_it_checks_the_params_an_adjust_would_give(api: ApiClient) -> None:
    found = problems(
        submit(
            api,
            {"context_overflow": {"recipe": "adjust", "patch": {"function": None}}},
            executor="python",
            params={"function": "word_count"},
        )
    )
    assert list(found) == ["body.steps.1.recover.context_overflow.patch"]
    assert found["body.steps.1.recover.context_overflow.patch"].startswith("the patched params:")


def test_it_refuses_recover_that_is_not_an_object(api: ApiClient) -> None:
    assert list(problems(submit(api, ["retry"]))) == ["body.steps.1.recover"]


def test_it_accepts_and_returns_good_recipes(api: ApiClient) -> None:
    recover = {
        "rate_limited": {
            "recipe": "fallback",
            "executor": "python",
            "params": {"function": "word_count"},
        },
        "context_overflow": {"recipe": "adjust", "patch": {"max_tokens": 500}},
        "timeout": {"recipe": "retry", "max_attempts": 5, "delay_seconds": 2.5},
        "*": {"recipe": "ask"},
    }
    response = submit(api, recover)
    assert response.status_code == 201, response.content
    step = response.json()["steps"][1]
    assert step["recover"] == recover
    assert step["runs"] is None
