"""The policy document's checks and evaluation, without a database."""

from __future__ import annotations

from plans.policy import rules
from plans.policy.rules import PlanFacts, StepFacts


def paths(document: object, **kwargs: object) -> list[str]:
    return [p.path for p in rules.problems(document, **kwargs)]  # type: ignore[arg-type]


def test_it_names_the_path_of_each_problem() -> None:
    assert paths(
        {
            "rules": [
                {"name": "a", "when": {"params": {"url": {"equals": 1}}}, "action": "forbid"},
                {"name": "b", "when": {"steps": {"gt": "many"}}, "action": "require_approvals"},
                {
                    "name": "c",
                    "when": {},
                    "action": "set_deadline",
                    "seconds": 0,
                    "on_timeout": "skip",
                },
                {"name": "d", "when": {}, "action": "forbid", "count": 2, "shadow": "yes"},
            ],
            "permissions": [
                {"executor": "echo", "role": "*", "mode": "ask"},
                {"executor": "echo", "role": "*", "mode": "deny"},
                {"executor": "nope", "role": "x", "mode": "allow"},
            ],
            "extra": 1,
        },
        groups=[],
        executors=["echo", "http"],
    ) == [
        "extra",
        "rules[0].when.params.url",
        "rules[1].count",
        "rules[1].when.steps.gt",
        "rules[2].seconds",
        "rules[2].on_timeout",
        "rules[3].count",
        "rules[3].shadow",
        "permissions[1]",
        "permissions[2].executor",
    ]


def test_it_refuses_an_unknown_group_and_approve_the_team_does_not_allow() -> None:
    document = {
        "rules": [
            {"name": "a", "when": {}, "action": "require_approvals", "count": 2, "group": "ops"},
            {
                "name": "b",
                "when": {},
                "action": "set_deadline",
                "seconds": 9,
                "on_timeout": "approve",
            },
        ]
    }
    assert paths(document, groups=["finance"], allow_approve_on_timeout=False) == [
        "rules[0].group",
        "rules[1].on_timeout",
    ]
    assert paths(document, groups=["ops"], allow_approve_on_timeout=True) == []


def test_json_paths_reach_into_lists_and_quoted_names() -> None:
    assert rules.parse_path('$.headers["X-Env"].list[2]') == ["headers", "X-Env", "list", 2]
    assert rules.parse_path("$") == []
    assert rules.parse_path("headers") is None
    assert rules.parse_path("$..x") is None


def test_the_most_specific_permission_wins() -> None:
    entries = [
        {"executor": "*", "role": "*", "mode": "deny"},
        {"executor": "*", "role": "ops", "mode": "ask"},
        {"executor": "http", "role": "*", "mode": "allow"},
    ]
    facts = PlanFacts(
        steps=[StepFacts(key="a", executor="http", params={}), StepFacts("b", "shell", {})],
        role="ops",
    )

    evaluation = rules.evaluate({"rules": [], "permissions": entries}, facts, version=1)

    # http: the exact executor beats the exact role; shell: the role beats nothing.
    assert [(m.name, m.action, m.steps) for m in evaluation.matches] == [("*/ops", "ask", ["b"])]


def test_values_of_any_json_type_are_problems_not_errors() -> None:
    odd: list[object] = [None, 1, "x", [], {}, [1], {"a": []}]
    for value in odd:
        document = {
            "rules": [{"name": value, "when": value, "action": value, "shadow": value}, value],
            "permissions": [{"executor": value, "role": value, "mode": value}, value],
        }
        assert rules.problems(document)
