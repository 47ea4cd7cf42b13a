"""A submitted plan's guardrails and quality gates are checked with the plan: one 422 lists every
problem with its JSON path, and a plan with none is accepted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient
from tests.orchestration import guarded


@pytest.fixture(autouse=True)
def checks(settings: Any) -> None:
    settings.PLANGATE_GUARDRAIL_CHECKS = guarded.CHECKS


def problems(response: Any) -> list[tuple[str, str]]:
    assert response.status_code == 422, response.json()
    return [(".".join(map(str, p["loc"][1:])), p["msg"]) for p in response.json()["detail"]]


def plan(**step: Any) -> dict[str, Any]:
    return {
        "goal": "g",
        "user_id": "u",
        "topic_id": "t",
        "steps": [{"key": "a", "task": "x"}, {"key": "b", "task": "y", **step}],
    }


def test_it_lists_every_problem_with_its_path(api: ApiClient) -> None:
    body = plan(
        guardrails={
            "input": [
                {"regex": "x"},
                {"deny": "(unclosed"},
                {"schema": {"type": "bogus"}},
                {"check": "unknown_one"},
                {"max_bytes": 0, "mode": "loud"},
            ],
            "output": [{"deny": "a", "schema": {}}, "not an object"],
            "on_block": "maybe",
            "extra": 1,
        },
        quality={"path": "", "min": "high"},
    )
    listed = problems(api.post("/plans", body))
    by_path: dict[str, list[str]] = {}
    for loc, msg in listed:
        by_path.setdefault(loc, []).append(msg)

    assert by_path["steps.1.guardrails.extra"][0].startswith("unknown field")
    assert by_path["steps.1.guardrails.on_block"] == ["must be 'fail' or 'ask'"]
    assert by_path["steps.1.guardrails.input.0.regex"][0].startswith("unknown check type")
    assert by_path["steps.1.guardrails.input.1.deny"][0].startswith(
        "not a valid regular expression"
    )
    assert by_path["steps.1.guardrails.input.2.schema"][0].startswith("not a valid JSON Schema")
    assert by_path["steps.1.guardrails.input.3.check"] == [
        "unknown check 'unknown_one'; allowed: always_raises, no_secrets"
    ]
    assert by_path["steps.1.guardrails.input.4.max_bytes"] == [
        "must be a whole number of at least 1"
    ]
    assert by_path["steps.1.guardrails.input.4.mode"] == ["must be 'block' or 'warn'"]
    assert by_path["steps.1.guardrails.output.0"][0].startswith("a check has one type, not 2")
    assert by_path["steps.1.guardrails.output.1"][0].startswith("a check must be an object")
    assert by_path["steps.1.quality.path"][0].startswith("must be dotted field names")
    assert by_path["steps.1.quality.min"] == ["must be a number"]


def test_a_named_check_must_be_in_the_allowlist(api: ApiClient, settings: Any) -> None:
    settings.PLANGATE_GUARDRAIL_CHECKS = {}
    listed = problems(api.post("/plans", plan(guardrails={"output": [{"check": "no_secrets"}]})))
    assert listed == [
        ("steps.1.guardrails.output.0.check", "unknown check 'no_secrets'; allowed: none")
    ]


def test_good_guardrails_are_accepted_and_shown(api: ApiClient) -> None:
    guardrails = {
        "input": [{"schema": {"type": "object"}, "name": "shape"}],
        "output": [
            {"max_bytes": 1000},
            {"deny": "secret", "mode": "warn"},
            {"check": "no_secrets"},
        ],
        "on_block": "ask",
    }
    response = api.post("/plans", plan(guardrails=guardrails, quality={"path": "a.0", "min": 1}))
    assert response.status_code == 201, response.json()
    step = response.json()["steps"][1]
    assert step["guardrails"] == guardrails
    assert step["quality"] == {"path": "a.0", "min": 1}
    assert step["guardrail_findings"] == []
