"""A plan with a malformed for_each is refused at submission, each problem named by its path."""

from __future__ import annotations

from typing import Any

from plans.models import Plan
from tests.conftest import ApiClient


def submit(api: ApiClient, *steps: dict[str, Any]) -> Any:
    return api.post("/plans", {"goal": "g", "user_id": "u", "topic_id": "t", "steps": list(steps)})


def problems(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {
        ".".join(str(p) for p in item["loc"][1:]): item["msg"] for item in response.json()["detail"]
    }


FETCH = {"key": "fetch", "task": "list things"}


def test_it_accepts_a_fan_out_and_a_pipeline(api: ApiClient) -> None:
    stages = [
        {"name": "get", "executor": "echo", "params": {"x": 1}, "task": "get it"},
        {
            "name": "check-2",
            "executor": "python",
            "params": {"function": "word_count"},
            "timeout_seconds": 5,
            "max_attempts": 2,
        },
    ]
    response = submit(
        api,
        FETCH,
        {"key": "each", "task": "t", "depends_on": ["fetch"], "for_each": {"over": "fetch"}},
        {
            "key": "pipe",
            "task": "t",
            "depends_on": ["fetch"],
            "for_each": {"over": "fetch.data.rows", "max_concurrency": 100, "stages": stages},
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["steps"][2]["for_each"]["stages"] == stages


def test_it_names_every_problem_with_its_path(api: ApiClient) -> None:
    found = problems(
        submit(
            api,
            FETCH,
            {"key": "a", "task": "t", "depends_on": ["fetch"], "for_each": {"over": "elsewhere"}},
            {
                "key": "b",
                "task": "t",
                "depends_on": ["fetch"],
                "for_each": {"over": "fetch..x", "max_concurrency": 0, "every": 1},
            },
            {
                "key": "c",
                "task": "t",
                "depends_on": ["fetch"],
                "for_each": {
                    "over": "fetch",
                    "stages": [
                        {"name": "Bad Name", "executor": "nope"},
                        {"name": "ok", "executor": "python", "params": {}, "max_attempts": True},
                        {"name": "ok", "executor": "echo", "params": [], "timeout_seconds": -1},
                    ],
                },
            },
            {"key": "d", "task": "t", "for_each": {"max_concurrency": 101, "stages": []}},
            {"key": "a[0]", "task": "t"},
        )
    )

    assert found == {
        "steps.1.for_each.over": "must name one of the step's dependencies: fetch",
        "steps.2.for_each.every": "unknown field; allowed: over, max_concurrency, stages",
        "steps.2.for_each.over": "'fetch..x' has an empty field name",
        "steps.2.for_each.max_concurrency": "must be a whole number from 1 to 100",
        "steps.3.for_each.stages.0.name": "must be 1 to 50 of a-z, 0-9, '_' and '-'",
        "steps.3.for_each.stages.0.executor": found["steps.3.for_each.stages.0.executor"],
        "steps.3.for_each.stages.1.params": (
            "function is required; allowed: list_items, sleep, sum_numbers, word_count"
        ),
        "steps.3.for_each.stages.1.max_attempts": "must be a whole number from 1 to 100",
        "steps.3.for_each.stages.2.name": "duplicate stage name 'ok'",
        "steps.3.for_each.stages.2.params": "must be an object",
        "steps.3.for_each.stages.2.timeout_seconds": (
            "must be a number of seconds, above 0, at most 86400"
        ),
        "steps.4.for_each.over": (
            "is required: the key of one of the step's dependencies, optionally followed by a "
            "path into its result (dependency.field...); dependencies: (none)"
        ),
        "steps.4.for_each.max_concurrency": "must be a whole number from 1 to 100",
        "steps.4.for_each.stages": "must be a list of 1 to 20 stage objects",
        "steps.5.key": "key 'a[0]' is kept for the items of fan-out step 'a'",
    }
    assert found["steps.3.for_each.stages.0.executor"].startswith("unknown executor 'nope'")
    assert Plan.objects.count() == 0


def test_it_picks_the_longest_dependency_key_that_fits(api: ApiClient) -> None:
    response = submit(
        api,
        {"key": "fetch", "task": "t"},
        {"key": "fetch.all", "task": "t"},
        {
            "key": "each",
            "task": "t",
            "depends_on": ["fetch", "fetch.all"],
            "for_each": {"over": "fetch.all.rows"},
        },
    )
    assert response.status_code == 201, response.content


def test_it_refuses_a_key_too_long_for_its_items_keys(api: ApiClient, settings: Any) -> None:
    settings.PLANGATE_MAX_FAN_OUT = 1000

    def fan_out(key: str) -> Any:
        return submit(
            api,
            FETCH,
            {"key": key, "task": "t", "depends_on": ["fetch"], "for_each": {"over": "fetch"}},
        )

    # Its last item is "<key>[999]": 200 characters fit in a step key, 201 do not.
    assert fan_out("k" * 195).status_code == 201
    found = problems(fan_out("k" * 196))
    assert found["steps.1.key"].startswith("too long for a fan-out step: its items' keys")
