"""A `$from` binding makes the step depend on the step it reads; the page shows where the
value comes from."""

from __future__ import annotations

from plans.models import Plan
from tests.conftest import ApiClient
from tests.plans.catalog.support import body


def test_a_from_binding_adds_the_dependency(api: ApiClient) -> None:
    response = api.post(
        "/plans",
        body(
            {"key": "find", "task": "Find", "action": "search", "inputs": {"city": "Oslo"}},
            {
                "key": "write",
                "task": "Write",
                "action": "summarise",
                "inputs": {"text": {"$from": "find.result.params.city"}, "style": "short"},
            },
        ),
    )
    assert response.status_code == 201, response.json()
    write = next(s for s in response.json()["steps"] if s["key"] == "write")
    assert write["depends_on"] == ["find"]
    assert write["params"] == {"text": {"$from": "find.result.params.city"}, "style": "short"}
    plan = Plan.objects.get(pk=response.json()["id"])
    assert plan.steps.get(key="write").waiting_on == 1
