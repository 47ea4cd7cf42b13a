"""The OpenAPI document declares every answer an integration can get, with its body."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def schema(db: Any) -> dict[str, Any]:
    return Client().get("/api/v1/openapi.json").json()


def resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[1]
    return schema["components"]["schemas"][name]


def test_it_declares_every_error_answer_on_every_operation(schema: dict[str, Any]) -> None:
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) == 12
    for op in operations:
        assert {"401", "403", "404", "409", "413", "422"} <= set(op["responses"]), op["summary"]


def test_it_declares_the_error_bodies(schema: dict[str, Any]) -> None:
    responses = schema["paths"]["/api/v1/plans/{plan_id}/approve"]["post"]["responses"]

    def body(status: str) -> dict[str, Any]:
        return resolve(schema, responses[status]["content"]["application/json"]["schema"])

    assert body("401")["required"] == ["detail"]
    assert body("404")["required"] == ["detail"]
    assert set(body("409")["properties"]) == {"detail", "status", "current_version"}
    assert set(body("413")["properties"]) == {"detail", "max_bytes"}
    problem = resolve(schema, body("422")["properties"]["detail"]["items"])
    assert set(problem["required"]) == {"loc", "msg", "type"}


def test_it_declares_that_a_plan_needs_exactly_one_of_steps_and_delegation(
    schema: dict[str, Any],
) -> None:
    plan_in = schema["components"]["schemas"]["PlanIn"]
    assert [branch["required"] for branch in plan_in["oneOf"]] == [["steps"], ["delegation"]]


def test_it_declares_that_strings_may_not_hold_nul_characters(schema: dict[str, Any]) -> None:
    plan_in = schema["components"]["schemas"]["PlanIn"]
    assert plan_in["properties"]["goal"]["pattern"] == "^[^\\u0000]*$"
    assert "NUL" in plan_in["description"]


def test_it_declares_the_replay_header(schema: dict[str, Any]) -> None:
    created = schema["paths"]["/api/v1/plans"]["post"]["responses"]["201"]
    assert created["headers"]["Idempotent-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }
